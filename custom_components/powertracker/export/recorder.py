"""Read a home's usage from the recorder's statistics (in the recorder's executor).

- `5m`: the 5-minute statistics of Powertracker's own sensors (kept for the
  recorder's `purge_keep_days`, 10 days by default); `read.py` gives them the
  five minutes the archive and the sink do not hold. The capacity tariff's
  quarter-hours read the energy sensor's (`five_minute_energy`) when the
  archive is off.
- everything else: hourly statistics; Powertracker's hourly statistics
  `powertracker:<home>_hourly_consumption_<id>` (and cost, production: Tibber's history
  and the live hours) first, the sensors' own hourly statistics for the hours
  they do not have yet, then the sensors' 5-minute statistics for the time
  after the newest hourly row (the current hour, so far).

The rows are read with one SELECT into numpy columns. Home Assistant's
`statistics_during_period` would build a dict per row (a year of hours for
two homes and three columns is 50,000 of them) and costs several times the
read itself; the export only needs each row's start and the change of its
sum, which is what that function computes as `change`, too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from functools import partial
from itertools import chain
from typing import Any, Literal

import numpy as np
from homeassistant.components.recorder.core import Recorder
from homeassistant.components.recorder.db_schema import Statistics, StatisticsShortTerm
from homeassistant.const import Platform, UnitOfEnergy
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.recorder import get_instance, session_scope
from homeassistant.util import dt as dt_util
from homeassistant.util.unit_conversion import EnergyConverter
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from ..const import DOMAIN, statistic_id
from ..sink.models import FloatArray
from .models import Aggregate, ExportHome, Series
from .params import ROW_SECONDS, ExportParams

type Column = Literal["energy", "cost", "production"]
type Origin = dict[Column, str | None]
"""One origin of rows (Tibber's imported history, the sensors): its statistic
id per column (None: that origin has no such column)."""

_SENSOR_KEYS: dict[Column, tuple[str, str]] = {  # sensor key, imported kind
    "energy": ("energy_consumption", "consumption"),
    "cost": ("cost_today", "cost"),
    "production": ("energy_production", "production"),
}
_EMPTY: FloatArray = np.empty(0)


def home_sensor(registry: er.EntityRegistry, home_id: str, key: str) -> str | None:
    """The entity id of a home's sensor (unique id `<home id>_<key>`), if any."""
    return registry.async_get_entity_id(Platform.SENSOR, DOMAIN, f"{home_id}_{key}")


def _origins(hass: HomeAssistant, home: ExportHome, hourly: bool) -> list[Origin]:
    """The origins of a home's rows, the preferred one first."""
    registry = er.async_get(hass)
    sensors: Origin = {
        column: home_sensor(registry, home.home_id, sensor_key)
        for column, (sensor_key, _) in _SENSOR_KEYS.items()
    }
    if not hourly:
        return [sensors]
    imported: Origin = {
        column: statistic_id(home.home_id, home.name, kind)
        for column, (_, kind) in _SENSOR_KEYS.items()
    }
    return [imported, sensors]


_BATCH = 2048
"""Rows per DB-API `fetchmany`."""


def _fetch(session: Session, query: Select[Any]) -> FloatArray:
    """The rows of a three-column numeric query, as an (n, 3) array.

    Fetched in batches from the DB-API cursor: a SQLAlchemy `Row` per row
    costs more than the read itself. With SQLite (the default recorder) the
    batches die young: rows that lived through two young collections would
    count towards the garbage collector's next full collection, which holds
    the GIL, the event loop's too, for as long as it takes to walk Home
    Assistant's heap (~0.2 s). MySQL's and PostgreSQL's default cursors hold
    the whole result on the client anyway; the batches work the same there.
    """
    result = session.connection().execute(query)
    parts = [_EMPTY]
    try:
        while batch := result.cursor.fetchmany(_BATCH):
            parts.append(np.fromiter(chain.from_iterable(batch), np.float64))
    finally:
        result.close()
    return np.concatenate(parts).reshape(-1, 3)


type Changes = tuple[FloatArray, FloatArray]
"""Row starts (UTC timestamps) and each row's change of the sum."""


def _changes(
    recorder: Recorder,
    session: Session,
    table: type[Statistics | StatisticsShortTerm],
    statistic_ids: set[str],
    *,
    start: datetime,
    end: datetime,
    step: float,
) -> dict[str, Changes]:
    """The rows of `statistic_ids` in [start, end), energy in kWh.

    A row's change is its sum minus the previous row's sum, the first row's
    minus the last sum before `start` (0 without one), as the recorder's own
    `change`. Rows without a sum are skipped. One SELECT reads every
    statistic, from one `step` before `start`: that row, when there is one,
    holds the sum to start from; otherwise a second query looks further back.
    """
    metadata = {
        meta_id: (stat_id, meta)
        for stat_id, (meta_id, meta) in recorder.statistics_meta_manager.get_many(
            session, statistic_ids=statistic_ids
        ).items()
    }
    low = start.timestamp()
    query = (
        select(table.metadata_id, table.start_ts, table.sum)
        .where(
            table.metadata_id.in_(metadata),
            table.start_ts >= low - step,
            table.start_ts < end.timestamp(),
            table.sum.is_not(None),
        )
        .order_by(table.metadata_id, table.start_ts)
    )
    table_rows = _fetch(session, query)
    result: dict[str, Changes] = {}
    cuts = np.flatnonzero(np.diff(table_rows[:, 0])) + 1
    for block in np.split(table_rows, cuts) if len(table_rows) else ():
        stat_id, meta = metadata[int(block[0, 0])]
        starts, sums = block[:, 1], block[:, 2]
        if starts[0] < low:
            previous, starts, sums = sums[0], starts[1:], sums[1:]
        else:
            previous = session.execute(
                select(table.sum)
                .where(
                    table.metadata_id == int(block[0, 0]),
                    table.start_ts < low,
                    table.sum.is_not(None),
                )
                .order_by(table.start_ts.desc())
                .limit(1)
            ).scalar()
        if not len(starts):
            continue
        if previous is None:
            # The first row ever starts the sum; the first 5-minute row left
            # by a purge does not, so its change is unknown, not its whole sum.
            previous = np.nan if table is StatisticsShortTerm else 0.0
        change = np.diff(sums, prepend=previous)
        unit = meta["unit_of_measurement"]
        if unit in EnergyConverter.VALID_UNITS:
            change *= EnergyConverter.converter_factory(
                unit, UnitOfEnergy.KILO_WATT_HOUR
            )(1.0)
        result[stat_id] = (starts, change)
    return result


def hourly_changes(
    hass: HomeAssistant, statistic_ids: set[str], start: datetime, end: datetime
) -> dict[str, Changes]:
    """Each statistic's hourly rows in [start, end) and their kWh (the change
    of the sum), with the export's one SELECT (recorder executor): the
    capacity tariffs' hours."""
    with session_scope(hass=hass, read_only=True) as session:
        return _changes(
            get_instance(hass),
            session,
            Statistics,
            statistic_ids,
            start=start,
            end=end,
            step=float(ROW_SECONDS[Aggregate.HOUR]),
        )


def _pick(found: Changes | None, at: FloatArray) -> FloatArray:
    """The changes of `found` (never empty) at the row starts `at`; NaN elsewhere."""
    if found is None:
        return np.full(len(at), np.nan)
    starts, values = found
    index = np.minimum(np.searchsorted(starts, at), len(starts) - 1)
    return np.where(starts[index] == at, values[index], np.nan)


def _merge(
    changes: dict[str, Changes], home: ExportHome, origins: list[Origin], step: float
) -> Series:
    """One series from the rows; each row takes all columns from one origin.

    The preferred origin (Tibber's imported history) is used for every hour
    it has; the sensors' statistics fill the other hours, so a row never
    pairs one origin's energy with another's cost.
    """
    parts: list[tuple[FloatArray, FloatArray, FloatArray, FloatArray]] = []
    taken: FloatArray = _EMPTY
    for origin in origins:
        energy_id = origin["energy"]
        if energy_id is None or energy_id not in changes:
            continue
        starts, energy = changes[energy_id]
        fresh = ~np.isin(starts, taken)
        starts, energy = starts[fresh], energy[fresh]
        cost_id, production_id = origin["cost"], origin["production"]
        parts.append(
            (
                starts,
                energy,
                _pick(changes.get(cost_id) if cost_id else None, starts),
                _pick(changes.get(production_id) if production_id else None, starts),
            )
        )
        taken = np.concatenate((taken, starts))
    start, energy, cost, production = (
        np.concatenate([part[column] for part in parts]) if parts else _EMPTY
        for column in range(4)
    )
    order = np.argsort(start, kind="stable")
    return Series(
        home.home_id,
        home.name,
        home.currency,
        np.full(len(start), step),
        start[order],
        energy[order],
        cost[order],
        production[order],
    )


def _read(
    hass: HomeAssistant,
    homes: list[ExportHome],
    origins: dict[str, list[Origin]],
    params: ExportParams,
    hourly: bool,
) -> list[Series]:
    """Read and merge (recorder executor: SQL and per-row work stay off the loop).

    An hourly export ends with the 5-minute rows of the sensors after the
    newest hourly row: the hour still running (and one the recorder has not
    compiled yet) counts what was measured so far.
    """
    recorder = get_instance(hass)
    table = Statistics if hourly else StatisticsShortTerm
    step = float(ROW_SECONDS[params.aggregate])
    with session_scope(hass=hass, read_only=True) as session:
        changes = _changes(
            recorder,
            session,
            table,
            _ids(origins.values()),
            start=params.start,
            end=params.end,
            step=step,
        )
        series = [_merge(changes, home, origins[home.home_id], step) for home in homes]
        if not hourly:
            return series
        newest = [
            max(
                params.start.timestamp(),
                one.start[-1] + step if len(one.start) else 0.0,
            )
            for one in series
        ]
        if min(newest, default=np.inf) >= params.end.timestamp():
            return series
        sensors = {
            home_id: home_origins[-1:] for home_id, home_origins in origins.items()
        }
        five = float(ROW_SECONDS[Aggregate.FIVE_MINUTES])
        recent = _changes(
            recorder,
            session,
            StatisticsShortTerm,
            _ids(sensors.values()),
            start=dt_util.utc_from_timestamp(min(newest)),
            end=params.end,
            step=five,
        )
    more = (_merge(recent, home, sensors[home.home_id], five) for home in homes)
    return [
        one.then(rows.rows(rows.start >= since))
        for one, rows, since in zip(series, more, newest, strict=True)
    ]


def _ids(origins: Iterable[list[Origin]]) -> set[str]:
    """Every statistic id the origins name."""
    return {
        stat_id
        for home_origins in origins
        for origin in home_origins
        for stat_id in origin.values()
        if stat_id is not None
    }


def five_minute_energy(
    hass: HomeAssistant, home_id: str, start: datetime, end: datetime
) -> Callable[[], Changes] | None:
    """The read (for the recorder's executor) of the row starts and kWh of
    the home's energy sensor's 5-minute statistics in [start, end): None
    without the sensor. Look-up on the event loop."""
    sensor = home_sensor(er.async_get(hass), home_id, _SENSOR_KEYS["energy"][0])
    if sensor is None:
        return None

    def read() -> Changes:
        with session_scope(hass=hass, read_only=True) as session:
            found = _changes(
                get_instance(hass),
                session,
                StatisticsShortTerm,
                {sensor},
                start=start,
                end=end,
                step=float(ROW_SECONDS[Aggregate.FIVE_MINUTES]),
            )
        return found.get(sensor, (_EMPTY, _EMPTY))

    return read


def recorder_reader(
    hass: HomeAssistant, homes: list[ExportHome], params: ExportParams
) -> Callable[[], list[Series]]:
    """Look the origins up (event loop); return the read, for the recorder's
    executor: 5-minute rows if `params` read samples, else hourly ones."""
    hourly = not params.reads_samples
    origins = {home.home_id: _origins(hass, home, hourly) for home in homes}
    return partial(_read, hass, homes, origins, params, hourly)
