"""Read a home's usage from the recorder's statistics (in the recorder's executor).

- `5m`: the 5-minute statistics of Powertracker's own sensors (kept for the
  recorder's `purge_keep_days`, 10 days by default).
- everything else: hourly statistics; Tibber's corrected hourly history
  imported as `powertracker:<home>_consumption` (and cost, production) first,
  the sensors' own hourly statistics for the hours it does not have yet.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from homeassistant.components.recorder.statistics import statistics_during_period
from homeassistant.const import Platform
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


def _changes(rows: Iterable[dict[str, Any]]) -> dict[float, tuple[float, float]]:
    return {
        row["start"]: (row["end"], row["change"])
        for row in rows
        if row.get("change") is not None
    }


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
    wanted = {
        stat
        for columns in ids.values()
        for sources in columns.values()
        for stat in sources
    }
    rows: dict[str, list[Any]] = await recorder.async_add_executor_job(
        statistics_during_period,
        hass,
        params.start,
        params.end,
        wanted,
        "hour" if hourly else "5minute",
        None,
        {"change"},
    )
    series = []
    for entry in homes:
        columns: dict[str, dict[float, tuple[float, float]]] = {}
        for column, sources in ids[entry.home.id].items():
            merged: dict[float, tuple[float, float]] = {}
            for source in reversed(sources):  # the preferred source wins
                merged.update(_changes(rows.get(source, ())))
            columns[column] = merged
        intervals = [
            Interval(
                start=dt_util.utc_from_timestamp(start),
                end=dt_util.utc_from_timestamp(end),
                energy=energy,
                cost=columns["cost"].get(start, (0.0, None))[1],
                production=columns["production"].get(start, (0.0, None))[1],
            )
            for start, (end, energy) in sorted(columns["energy"].items())
        ]
        series.append(Series(entry.home.id, entry.home.name, entry.currency, intervals))
    return series
