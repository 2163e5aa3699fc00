"""Read a home's usage from the recorder's statistics (in the recorder's executor).

- `5m`: the 5-minute statistics of Powertracker's own sensors (kept for the
  recorder's `purge_keep_days`, 10 days by default).
- everything else: hourly statistics; Tibber's corrected hourly history
  imported as `powertracker:<home>_consumption` (and cost, production) first,
  the sensors' own hourly statistics for the hours it does not have yet.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal

from homeassistant.components.recorder.statistics import statistics_during_period
from homeassistant.const import Platform, UnitOfEnergy
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.recorder import get_instance
from homeassistant.util import dt as dt_util

from ..const import DOMAIN
from ..statistics import statistic_id
from ..tibber import Home
from .models import Aggregate, Interval, Series
from .params import ExportError, ExportParams

_KINDS = {  # export column: (sensor key, imported statistic kind)
    "energy": ("energy_consumption", "consumption"),
    "cost": ("cost_today", "cost"),
    "production": ("energy_production", "production"),
}


@dataclass(frozen=True, slots=True)
class ExportHome:
    """A home the export can read."""

    home: Home
    currency: str | None


def _ids(hass: HomeAssistant, home: Home, hourly: bool) -> dict[str, list[str]]:
    """Statistic ids per column, the preferred source first."""
    registry = er.async_get(hass)
    ids: dict[str, list[str]] = {}
    for column, (sensor_key, kind) in _KINDS.items():
        sources = [statistic_id(home, kind)] if hourly else []
        entity_id = registry.async_get_entity_id(
            Platform.SENSOR, DOMAIN, f"{home.id}_{sensor_key}"
        )
        if entity_id:
            sources.append(entity_id)
        ids[column] = sources
    return ids


def _merge(
    rows: dict[str, list[Any]], home: ExportHome, ids: dict[str, list[str]]
) -> Series:
    """One series from the rows; each hour takes all columns from one source.

    The preferred source (Tibber's imported history) is used for every hour
    it has; the sensors' statistics fill the other hours, so a row never
    pairs one source's energy with another's cost.
    """
    by_source: list[dict[float, dict[str, tuple[float, float]]]] = []
    for rank in range(max(len(sources) for sources in ids.values())):
        found: dict[float, dict[str, tuple[float, float]]] = {}
        for column, sources in ids.items():
            if rank >= len(sources):
                continue
            for row in rows.get(sources[rank], ()):
                if row.get("change") is not None:
                    found.setdefault(row["start"], {})[column] = (
                        row["end"],
                        row["change"],
                    )
        by_source.append(found)
    chosen: dict[float, dict[str, tuple[float, float]]] = {}
    for found in reversed(by_source):  # the preferred source is applied last
        chosen.update(
            (start, cells) for start, cells in found.items() if "energy" in cells
        )
    intervals = [
        Interval(
            start=dt_util.utc_from_timestamp(start),
            end=dt_util.utc_from_timestamp(cells["energy"][0]),
            energy=cells["energy"][1],
            cost=cells["cost"][1] if "cost" in cells else None,
            production=cells["production"][1] if "production" in cells else None,
        )
        for start, cells in sorted(chosen.items())
    ]
    return Series(home.home.id, home.home.name, home.currency, intervals)


def _read(
    hass: HomeAssistant,
    homes: list[ExportHome],
    ids: dict[str, dict[str, list[str]]],
    params: ExportParams,
    period: Literal["5minute", "hour"],
) -> list[Series]:
    """Read and merge (recorder executor: SQL and per-row work stay off the loop)."""
    wanted = {
        stat
        for columns in ids.values()
        for sources in columns.values()
        for stat in sources
    }
    rows: dict[str, list[Any]] = statistics_during_period(
        hass,
        params.start,
        params.end,
        wanted,
        period,
        # Statistics come in the unit each sensor is displayed in; ask for kWh.
        {"energy": UnitOfEnergy.KILO_WATT_HOUR},
        {"change"},
    )
    return [_merge(rows, home, ids[home.home.id]) for home in homes]


async def read_series(
    hass: HomeAssistant, homes: list[ExportHome], params: ExportParams
) -> list[Series]:
    """The intervals of each home over the export range."""
    hourly = params.aggregate is not Aggregate.FIVE_MINUTES
    recorder = get_instance(hass)
    if not hourly:
        kept = dt_util.utcnow() - timedelta(days=recorder.keep_days)
        if params.start < kept:
            raise ExportError(
                "from",
                "five_minutes_retention",
                f"5-minute data goes back {recorder.keep_days} days (the recorder's "
                "purge_keep_days); use aggregate=1h for older data",
                days=str(recorder.keep_days),
            )
    ids = {entry.home.id: _ids(hass, entry.home, hourly) for entry in homes}
    return await recorder.async_add_executor_job(
        _read, hass, homes, ids, params, "hour" if hourly else "5minute"
    )
