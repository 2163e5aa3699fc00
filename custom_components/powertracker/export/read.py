"""An export's rows from every store that holds them, each row from one.

Five-minute rows (`source`, default `auto`): the recorder's 5-minute
statistics where they have rows; before the first of them, the five-minute
archive's rows; before the archive's first row, the sink's. After the
recorder's last row, the completed five minutes the archive (else the sink)
already holds but the recorder has not compiled yet. A store only fills the
time the stores before it left, so no row is counted twice and each row comes
from the most exact store that has it (the recorder's rows are the sensors'
own). `recorder`, `archive` and `sink` read that store only; the archive and
the sink can be read at any aggregate (their five-minute rows are bucketed
like the recorder's). Hourly and coarser aggregates otherwise read the hourly
statistics (`recorder.py`).

What cannot be filled is said, never an error: with `auto`, a store that
does not answer costs only the rows only it could give (a `Gap` naming it,
and one log warning per store and hour); a range that begins before any
store's first row answers from where the rows begin (a `Gap` without a
store). Only a store read on its own (`source=archive|sink`) that fails is a
`StoreError` naming it (the endpoint says 503 or 502).
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Awaitable
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
    if params.source in (ReadFrom.AUTO, ReadFrom.RECORDER):
        recorder = get_instance(hass)
        read = recorder_reader(hass, homes, params)
        series = await recorder.async_add_executor_job(read)
    else:
        series = [_empty(home) for home in homes]
    if not params.reads_samples:
        return series, []
    gaps: list[Gap] = []
    filled = [
        await _fill(hass, one, stores[one.home_id], params, gaps) for one in series
    ]
    for one in filled:
        begins = one.start[0] if len(one.start) else params.end.timestamp()
        if begins > params.start.timestamp():
            gaps.append(Gap(one.home_name, params.start.timestamp(), begins))
    return filled, gaps


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


async def _fill(
    hass: HomeAssistant,
    series: Series,
    stores: list[Store],
    params: ExportParams,
    gaps: list[Gap],
) -> Series:
    """`series` with each store's rows before its first row and, with `auto`,
    the completed five minutes after its last row, in turn.

    With `auto`, a store that fails adds a `Gap` and the next store fills
    in; a store read on its own raises `StoreError`.
    """
    since = params.start.timestamp()
    # Only five minutes that have ended: the one running is still counting.
    now = dt_util.utcnow().timestamp()
    completed = min(params.end.timestamp(), now) // FIVE * FIVE
    for name, reader in stores:
        until = series.start[0] if len(series.start) else params.end.timestamp()
        after = series.start[-1] + FIVE if len(series.start) else completed
        unknown = len(series.start) > 0 and np.isnan(series.energy[0])
        try:
            if until > since or unknown:
                # Five minutes more: the store's row at `until` may replace
                # an unknown one.
                end = min(until + FIVE, params.end.timestamp())
                columns = await _asked(
                    name,
                    reader.columns(series.home_id, COLUMNS, params.start, _utc(end)),
                )
                series = _before(series, columns, since)
            if params.source is ReadFrom.AUTO and after < completed:
                columns = await _asked(
                    name,
                    reader.columns(
                        series.home_id, COLUMNS, _utc(after), _utc(completed)
                    ),
                )
                series = _after(series, columns, after)
        except StoreError as err:
            if params.source is not ReadFrom.AUTO:
                raise
            _warn(hass, err)
            refused = not err.unreachable
            if until > since:
                gaps.append(Gap(series.home_name, since, until, name, refused))
            if after < completed:
                gaps.append(Gap(series.home_name, after, completed, name, refused))
    return series


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


def _before(series: Series, columns: dict[str, FloatArray], since: float) -> Series:
    """The store's rows before `series`' first row, then `series`.

    The first 5-minute row of the recorder whose change is unknown (the oldest
    left by a purge) gives way to the store's row of the same five minutes.
    """
    older = _rows(series, columns, since)
    start = older.start
    until = series.start[0] if len(series.start) else np.inf
    keep = start < until
    if len(series.start) and np.isnan(series.energy[0]) and until in start:
        keep |= start == until
        series = series.rows(slice(1, None))
    return older.rows(keep).then(series)


def _after(series: Series, columns: dict[str, FloatArray], after: float) -> Series:
    """`series`, then the store's rows from `after` (the end of its last row)."""
    return series.then(_rows(series, columns, after))


def _rows(series: Series, columns: dict[str, FloatArray], since: float) -> Series:
    """The store's five-minute rows from `since`, named as `series`."""
    start, energy, cost, production = five_minute_rows(columns, since)
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
