"""An export's rows from every store that holds them, each row from one.

Five-minute rows (`source`, default `auto`): the recorder's 5-minute
statistics where they have rows; before the first of them, the five-minute
archive's rows; before the archive's first row, the sink's. A store only
fills the time before the next store's first row, so no row is counted twice
and each row comes from the most exact store that has it (the recorder's rows
are the sensors' own). `recorder`, `archive` and `sink` read that store only;
the archive and the sink can be read at any aggregate (their five-minute rows
are bucketed like the recorder's). Hourly and coarser aggregates otherwise
read the hourly statistics (`recorder.py`).

A store that fails to answer is a `StoreError` naming it (the endpoint says
503 or 502): never a partial answer.
"""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import UTC, datetime, timedelta

import numpy as np
from homeassistant.core import HomeAssistant
from homeassistant.helpers.recorder import get_instance
from homeassistant.util import dt as dt_util

from ..sink.models import FloatArray, SampleReader, SinkError
from .models import Aggregate, ExportHome, ReadFrom, Series
from .params import ROW_SECONDS, ExportError, ExportParams
from .recorder import recorder_reader
from .sample_rows import COLUMNS, five_minute_rows

ARCHIVE_NAME = "five-minute archive"
FIVE = float(ROW_SECONDS[Aggregate.FIVE_MINUTES])

type Store = tuple[str, SampleReader]
"""A store's name (for errors) and its reader, most exact first."""


class StoreError(Exception):
    """A store holding samples did not answer, or answered with an error."""

    def __init__(self, store: str, err: SinkError) -> None:
        """`store` names it: `ARCHIVE_NAME`, or the sink's name."""
        super().__init__(f"The {store} could not be read: {err}")
        self.store = store
        self.error = str(err)
        self.unreachable = err.retryable
        """Worth trying again later (503: no answer, a lock, a full disk),
        rather than a refusal (502: credentials, a missing database)."""


async def read_series(
    hass: HomeAssistant, homes: list[ExportHome], params: ExportParams
) -> list[Series]:
    """Each home's rows of the export (raises `ExportError`, `StoreError`)."""
    stores = {home.home_id: _stores(home, params.source) for home in homes}
    recorder = get_instance(hass)
    if params.source in (ReadFrom.AUTO, ReadFrom.RECORDER):
        if params.reads_samples:
            await _check_reach(params, recorder.keep_days, stores)
        read = recorder_reader(hass, homes, params)
        series = await recorder.async_add_executor_job(read)
    else:
        series = [_empty(home) for home in homes]
    if not params.reads_samples:
        return series
    return [await _fill(one, stores[one.home_id], params) for one in series]


def _stores(home: ExportHome, source: ReadFrom) -> list[Store]:
    """The stores to read before the recorder's rows, in precedence order."""
    archive = [(ARCHIVE_NAME, home.archive)] if home.archive else []
    sink = [(home.sink_name, home.sink)] if home.sink else []
    if source is ReadFrom.ARCHIVE and not archive:
        raise ExportError(
            "source",
            "no_archive",
            f"The five-minute archive of {home.name} is turned off (or its entry "
            "is not loaded): choose another source",
            home=home.name,
        )
    if source is ReadFrom.SINK and not sink:
        raise ExportError(
            "source",
            "no_sink",
            f"{home.name} has no sink that can be read back (InfluxDB or "
            "Timestream, set in the options): choose another source",
            home=home.name,
        )
    return {
        ReadFrom.AUTO: archive + sink,
        ReadFrom.ARCHIVE: archive,
        ReadFrom.SINK: sink,
    }.get(source, [])


async def _check_reach(
    params: ExportParams, keep_days: int, stores: dict[str, list[Store]]
) -> None:
    """A 400 when the recorder has purged the start and no store reaches further."""
    kept = dt_util.utcnow() - timedelta(days=keep_days)
    if params.start >= kept:
        return
    for home_id, home_stores in stores.items():
        for name, reader in home_stores:
            oldest = await _asked(name, reader.oldest(home_id))
            if oldest is not None and oldest < kept:
                return
    raise ExportError(
        "from",
        "five_minutes_retention",
        f"5-minute data goes back {keep_days} days (the recorder's "
        "purge_keep_days, and neither the five-minute archive nor the sink holds "
        "anything older); use aggregate=1h for older data",
        days=str(keep_days),
    )


async def _fill(series: Series, stores: list[Store], params: ExportParams) -> Series:
    """`series` with each store's rows before its first row, in turn."""
    since = params.start.timestamp()
    for name, reader in stores:
        until = series.start[0] if len(series.start) else params.end.timestamp()
        if until <= since:
            break
        # Five minutes more: the store's row at `until` may replace an unknown one.
        end = datetime.fromtimestamp(min(until + FIVE, params.end.timestamp()), UTC)
        columns = await _asked(
            name, reader.columns(series.home_id, COLUMNS, params.start, end)
        )
        series = _before(series, columns, since)
    return series


async def _asked[T](name: str, answer: Awaitable[T]) -> T:
    """The store's answer; its failure as a `StoreError` naming it."""
    try:
        return await answer
    except SinkError as err:
        raise StoreError(name, err) from err


def _before(series: Series, columns: dict[str, FloatArray], since: float) -> Series:
    """The store's rows before `series`' first row, then `series`.

    The first 5-minute row of the recorder whose change is unknown (the oldest
    left by a purge) gives way to the store's row of the same five minutes.
    """
    start, energy, cost, production = five_minute_rows(columns, since)
    older = Series(
        series.home_id,
        series.home_name,
        series.currency,
        np.full(len(start), FIVE),
        start,
        energy,
        cost,
        production,
    )
    until = series.start[0] if len(series.start) else np.inf
    keep = start < until
    if len(series.start) and np.isnan(series.energy[0]) and until in start:
        keep |= start == until
        series = series.rows(slice(1, None))
    return older.rows(keep).then(series)


def _empty(home: ExportHome) -> Series:
    """A series without rows."""
    none = np.empty(0)
    return Series(home.home_id, home.name, home.currency, none, none, none, none, none)
