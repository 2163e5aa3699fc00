"""An export's rows from every store that holds them, each row from one.

Five-minute rows (`source`, default `auto`), each five minutes from the
first store that has it:

1. the five-minute archive: its samples carry their exact times, so each
   row is the meter's total interpolated at the row's edges
   (`sample_rows.py`, `meter/readings.py`): a reload, a late or a missed poll
   moves no energy between rows;
2. the sink (InfluxDB, Timestream), the same way, for the time before the
   archive's first row and after its last (the archive off, younger than
   the range, or pruned);
3. the recorder's 5-minute statistics for the five minutes neither holds:
   before the archive existed, while it was off, or a home without a store.
   Those rows are the sensors' own: a change lands in the five minutes in
   which the new state arrived, so the row right after a stored row is
   unknown (`_past_seams`): the newest five minutes wait for the sample
   after them.

A store's row needs a sample on both sides of its edges (within an hour,
the longest poll interval); a row without one is left to the next store, or
is a gap, never a dip. A store is read only for the completed five minutes
the stores before it left at either end, and the recorder once, for every
home, from the first to the last five minutes the stores left; no row is
counted twice.
`recorder`, `archive` and `sink` read that store only; the archive and the
sink can be read at any aggregate (their five-minute rows are bucketed like
the recorder's). Hourly and coarser aggregates otherwise read the hourly
statistics (`recorder.py`).

What cannot be filled is said, never an error: with `auto`, a store that
does not answer costs only the rows only it could give (a `Gap` naming it,
and one log warning per store and hour); a range that begins before any
store's first row of known energy answers from where the rows begin (a
`Gap` without a store: all of it for a home without a real-time meter at
five minutes). Only a store read on its own (`source=archive|sink`) that fails is a
`StoreError` naming it (the endpoint says 503 or 502).
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Awaitable
from dataclasses import replace
from datetime import UTC, datetime

import numpy as np
from homeassistant.core import HomeAssistant
from homeassistant.helpers.recorder import get_instance
from homeassistant.util import dt as dt_util
from homeassistant.util.hass_dict import HassKey

from ..sink.models import FloatArray, SampleReader, SinkError
from .models import Aggregate, ExportHome, Gap, ReadFrom, Series
from .params import ROW_SECONDS, ExportError, ExportParams
from .recorder import recorder_reader
from .sample_rows import COLUMNS, five_minute_rows

_LOGGER = logging.getLogger(__name__)

ARCHIVE_NAME = "five-minute archive"
FIVE = float(ROW_SECONDS[Aggregate.FIVE_MINUTES])
MARGIN = 3600.0
"""Seconds of samples read after a span: the sample after its last row's end
(polls are at most an hour apart) makes that row known."""
WARN_EVERY = 3600.0
"""Seconds between two log warnings about the same store."""
_WARNED: HassKey[dict[str, float]] = HassKey("powertracker_export_warned")
"""When each store was last warned about (monotonic seconds)."""

type Store = tuple[str, SampleReader]
"""A store's name (for errors) and its reader, most exact first."""


class StoreError(Exception):
    """A store holding samples did not answer, or answered with an error.

    The message names the store by kind and database, never its host or URL
    (a store's own error text may carry them: it stays in `error`, for logs).
    """

    def __init__(self, store: str, err: SinkError) -> None:
        """`store` names it: `ARCHIVE_NAME`, or the sink's name."""
        self.store = store
        self.error = str(err)
        """The store's own words, for the log (they may name its host)."""
        self.reason = _without_urls(err.detail)
        """Why it refused (a status, the server's words), without any address."""
        self.unreachable = err.retryable
        """Worth trying again later (503: no answer, a lock, a full disk),
        rather than a refusal (502: credentials, a missing database)."""
        super().__init__(
            f"The {store} did not answer. Try again later"
            if self.unreachable
            else f"The {store} refused the export's read: {self.reason}"
        )


_ADDRESS = re.compile(r"\S*://\S*|[\w-]+(?:\.[\w-]+){2,}(?::\d+)?")
"""A URL, or a host name or IPv4 address of three labels or more (port too)."""


def _without_urls(text: str) -> str:
    """`text` with every URL and host replaced by `...`."""
    return _ADDRESS.sub("...", text)


async def read_series(
    hass: HomeAssistant, homes: list[ExportHome], params: ExportParams
) -> tuple[list[Series], list[Gap]]:
    """Each home's rows of the export, and what could not be filled (raises
    `ExportError`, and `StoreError` for a store read on its own)."""
    stores = {home.home_id: _stores(home, params.source) for home in homes}
    if not params.reads_samples:
        return await _recorded(hass, homes, params), []
    failed: list[_Failure] = []
    found = [
        await _from_stores(hass, home, stores[home.home_id], params, failed)
        for home in homes
    ]
    # The recorder, once for every home, over the five minutes the stores left.
    spans = await hass.async_add_executor_job(_missing, found, params)
    low = min((span[0] for span in spans if span), default=None)
    high = max((span[1] for span in spans if span), default=None)
    reads = params.source in (ReadFrom.AUTO, ReadFrom.RECORDER)
    if reads and low is not None and high is not None:
        window = replace(params, start=_utc(low), end=_utc(high))
        recorded = await _recorded(hass, homes, window)
    else:
        recorded = [_empty(home) for home in homes]
    by_home = {one.home_id: one for one in recorded}
    gaps = [
        Gap(home_name, start, end, store, not err.unreachable)
        for home_id, home_name, store, err, since, until in failed
        for start, end in _uncovered(by_home[home_id], since, until)
    ]
    filled = await hass.async_add_executor_job(_all_merged, found, by_home)
    for one in filled:
        # Rows of unknown energy hold no data: a home without a real-time
        # meter has only those at 5 minutes.
        known = one.start[np.isfinite(one.energy)]
        begins = known[0] if len(known) else params.end.timestamp()
        if begins > params.start.timestamp():
            gaps.append(Gap(one.home_name, params.start.timestamp(), begins))
    return filled, gaps


async def _recorded(
    hass: HomeAssistant, homes: list[ExportHome], params: ExportParams
) -> list[Series]:
    """The recorder's rows of `homes` (in its executor)."""
    read = recorder_reader(hass, homes, params)
    return await get_instance(hass).async_add_executor_job(read)


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


type _Failure = tuple[str, str, str, StoreError, float, float]
"""A store that failed: home id, home name, store, error, the span asked."""


async def _from_stores(
    hass: HomeAssistant,
    home: ExportHome,
    stores: list[Store],
    params: ExportParams,
    failed: list[_Failure],
) -> Series:
    """The home's rows from its stores, each in turn read for the time the
    stores before it left at either end of the completed five minutes (the
    first store: all of it). With `auto`, a store that fails is added to
    `failed`; a store read on its own raises `StoreError`.
    """
    since = params.start.timestamp()
    # Only five minutes that have ended: the one running is still counting.
    now = dt_util.utcnow().timestamp()
    completed = min(params.end.timestamp(), now) // FIVE * FIVE
    found = _empty(home)
    for name, reader in stores:
        for low, high in _uncovered(found, since, completed):
            try:
                columns = await _asked(
                    name,
                    reader.columns(
                        home.home_id, COLUMNS, _utc(low), _utc(high + MARGIN)
                    ),
                )
            except StoreError as err:
                if params.source is not ReadFrom.AUTO:
                    raise
                _warn(hass, err)
                failed.append((home.home_id, home.name, name, err, low, high))
                continue
            found = await hass.async_add_executor_job(
                _with_rows, found, columns, low, high
            )
    return found


def _missing(
    found: list[Series], params: ExportParams
) -> list[tuple[float, float] | None]:
    """Per series, from the first to the end of the last five minutes of the
    range it has no row of (None: it has them all). Executor: a year is
    105,120 five minutes."""
    first = np.floor(params.start.timestamp() / FIVE)
    count = int(np.ceil(params.end.timestamp() / FIVE) - first)
    spans: list[tuple[float, float] | None] = []
    for series in found:
        have = np.zeros(count, dtype=bool)
        index = np.rint(series.start / FIVE - first).astype(np.intp)
        have[index[(index >= 0) & (index < count)]] = True
        absent = np.flatnonzero(~have)
        spans.append(
            (float(first + absent[0]) * FIVE, float(first + absent[-1] + 1) * FIVE)
            if len(absent)
            else None
        )
    return spans


def _with_rows(
    found: Series, columns: dict[str, FloatArray], since: float, until: float
) -> Series:
    """`found` and the store's rows in [since, until) it lacks (executor)."""
    return _merged(found, _rows(found, columns, since, until))


def _all_merged(found: list[Series], recorded: dict[str, Series]) -> list[Series]:
    """Each home's stored rows and its recorder's rows they lack (executor)."""
    return [_merged(one, _past_seams(one, recorded[one.home_id])) for one in found]


def _past_seams(stored: Series, recorded: Series) -> Series:
    """`recorded` with each row right after a stored row unknown: the stored
    row counts to its end exactly, and the recorder's next row counts from
    the last state before that end, so both would count the minutes between
    (the newest five minutes, until the sample after them arrives). A gap,
    never counted twice."""
    seam = np.isin(recorded.start - FIVE, stored.start)
    if not seam.any():
        return recorded
    unknown = [
        np.where(seam, np.nan, column)
        for column in (recorded.energy, recorded.cost, recorded.production)
    ]
    return replace(recorded, energy=unknown[0], cost=unknown[1], production=unknown[2])


def _uncovered(series: Series, since: float, until: float) -> list[tuple[float, float]]:
    """The spans of [since, until) before `series`' first row and after its last."""
    if not len(series.start):
        return [(since, until)] if since < until else []
    first, after = series.start[0], series.start[-1] + series.seconds[-1]
    return [
        (low, high)
        for low, high in ((since, min(first, until)), (max(after, since), until))
        if low < high
    ]


def _merged(series: Series, more: Series) -> Series:
    """The rows of `series`, and those of `more` whose five minutes it lacks,
    in time order."""
    if not len(more.start):
        return series
    joined = series.then(more.rows(~np.isin(more.start, series.start)))
    return joined.rows(np.argsort(joined.start, kind="stable"))


def _utc(stamp: float) -> datetime:
    return datetime.fromtimestamp(stamp, UTC)


def _warn(hass: HomeAssistant, err: StoreError) -> None:
    """One warning per store and hour (an export may be asked for every minute)."""
    warned = hass.data.setdefault(_WARNED, {})
    now = time.monotonic()
    if now - warned.get(err.store, -WARN_EVERY) < WARN_EVERY:
        return
    warned[err.store] = now
    _LOGGER.warning(
        "The %s %s an export (%s); exports leave out the rows only it holds, "
        "and say so (not repeated for an hour)",
        err.store,
        "did not answer" if err.unreachable else "refused",
        err.error,
    )


async def _asked[T](name: str, answer: Awaitable[T]) -> T:
    """The store's answer; its failure as a `StoreError` naming it."""
    try:
        return await answer
    except SinkError as err:
        raise StoreError(name, err) from err


def _rows(
    series: Series, columns: dict[str, FloatArray], since: float, until: float
) -> Series:
    """The store's five-minute rows in [since, until), named as `series`."""
    start, energy, cost, production = five_minute_rows(columns, since, until)
    return Series(
        series.home_id,
        series.home_name,
        series.currency,
        np.full(len(start), FIVE),
        start,
        energy,
        cost,
        production,
    )


def _empty(home: ExportHome) -> Series:
    """A series without rows."""
    none = np.empty(0)
    return Series(home.home_id, home.name, home.currency, none, none, none, none, none)
