"""What every queryable sink's read-back shares: rows in, `SampleReader` columns out.

Free of Home Assistant and of I/O. The InfluxDB readers (`influxql`, `flux`,
`influx_sql`) and the Timestream reader (`timestream_query`) each turn their
server's answer into `Row`s; `columns` applies the protocol's contract once
(the latest row before `start`, then the rows in [start, end), oldest first,
NaN for what is missing), and `epoch_seconds` reads the time strings the
servers send (RFC 3339 from InfluxDB, ``2026-01-03 17:05:00.000000000`` from
Timestream), so no reader has its own idea of either.

The readers read every stored measure of a sample and `columns` keeps those
asked for: asking the server for only some of them would lose the samples that
lack all of those (InfluxDB drops rows whose selected fields are all null) or
fail outright (InfluxDB 3 and Timestream refuse a column never written).
"""

from __future__ import annotations

import math
import re
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Final

import numpy as np

from .models import MEASURES, FloatArray, SampleReader, SinkError

type Row = tuple[float, Mapping[str, object]]
"""A sample as read back: (UTC epoch seconds, its values by column name)."""

EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_TIME: Final = re.compile(
    r"(\d{4}-\d\d-\d\d)[T ](\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:?\d\d)?",
    re.IGNORECASE,
)


def columns(
    before: Sequence[Row], within: Sequence[Row], names: tuple[str, ...]
) -> dict[str, FloatArray]:
    """The `SampleReader.columns` answer of what a server sent.

    `before` holds the candidates for the sample before `start` (the latest is
    kept), `within` the samples in [start, end) in any order. "time" and each
    of `names` that is one of `MEASURES`; a value that is missing, null or
    empty is NaN, one that is not a number raises `SinkError`.
    """
    rows = sorted(within, key=lambda row: row[0])
    if before:
        rows.insert(0, max(before, key=lambda row: row[0]))
    result = {"time": np.array([time for time, _ in rows], dtype=np.float64)}
    for name in names:
        if name in MEASURES:
            values = [number(row.get(name), name) for _, row in rows]
            result[name] = np.array(values, dtype=np.float64)
    return result


def number(value: object, name: str) -> float:
    """`value` as a float; NaN for None or ""; `SinkError` if it is no number."""
    if value is None or value == "":
        return math.nan
    if isinstance(value, int | float | str) and not isinstance(value, bool):
        try:
            return float(value)
        except ValueError:
            pass
    raise SinkError(f"The sink sent {name} = {str(value)[:40]!r}, not a number")


def epoch_seconds(text: str) -> float:
    """UTC epoch seconds of an RFC 3339-like time (no zone: UTC); else `SinkError`.

    Fractions down to nanoseconds; float64 keeps them to about a microsecond.
    """
    match = _TIME.fullmatch(text.strip())
    if match is None:
        raise SinkError(f"The sink sent an unreadable time {text[:40]!r}")
    day, clock, fraction, zone = match.groups()
    zone = "+00:00" if zone is None or zone.upper() == "Z" else zone
    try:
        moment = datetime.fromisoformat(f"{day}T{clock}{zone}")
    except ValueError:
        raise SinkError(f"The sink sent an impossible time {text[:40]!r}") from None
    whole = (moment - EPOCH) // timedelta(seconds=1)
    return whole + (int(fraction) / 10 ** len(fraction) if fraction else 0.0)


def rfc3339(moment: datetime) -> str:
    """`moment` (timezone-aware) in UTC as RFC 3339 with a "Z"."""
    epoch_ns(moment)  # refuses a naive time
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def epoch_ns(moment: datetime) -> int:
    """UTC epoch nanoseconds of a timezone-aware `moment` (exact: datetimes hold µs)."""
    if moment.utcoffset() is None:
        raise ValueError(f"time {moment.isoformat()} has no time zone")
    return (moment - EPOCH) // timedelta(microseconds=1) * 1000


def time_of(seconds: float) -> datetime:
    """The UTC datetime of epoch `seconds` (for `SampleReader.oldest`)."""
    return EPOCH + timedelta(seconds=seconds)


class StatementReader(ABC):
    """A `SampleReader` whose store answers statements (InfluxQL, SQL).

    `columns` asks twice, as every such store is asked: the samples in
    [start, end), then the latest before `start` (one statement each: a store
    may answer a query of two about a missing database with nothing useful).
    A store says how it selects a home's samples, writes a time and runs a
    statement.
    """

    async def columns(
        self, home_id: str, names: tuple[str, ...], start: datetime, end: datetime
    ) -> dict[str, FloatArray]:
        """`SampleReader.columns`, in two statements."""
        home = self._home(home_id)
        since, until = self._time(start), self._time(end)
        within = await self._rows(
            f"{home} AND time >= {since} AND time < {until} ORDER BY time"
        )
        before = await self._rows(
            f"{home} AND time < {since} ORDER BY time DESC LIMIT 1"
        )
        return columns(before, within, names)

    async def oldest(self, home_id: str) -> datetime | None:
        """`SampleReader.oldest`: the first sample's time."""
        rows = await self._rows(f"{self._home(home_id)} ORDER BY time LIMIT 1")
        return time_of(rows[0][0]) if rows else None

    @abstractmethod
    def _home(self, home_id: str) -> str:
        """``SELECT * FROM <samples> WHERE <the home's>``, quoted."""

    @abstractmethod
    def _time(self, moment: datetime) -> str:
        """`moment` as the statement language writes a time."""

    @abstractmethod
    async def _rows(self, statement: str) -> list[Row]:
        """The rows `statement` answers (time in seconds)."""


class ReadsBack[R: SampleReader]:
    """A sink's `SampleReader` methods, answered by the reader it holds."""

    _reader: R

    async def columns(
        self, home_id: str, names: tuple[str, ...], start: datetime, end: datetime
    ) -> dict[str, FloatArray]:
        """`SampleReader.columns`, in the store's query language."""
        return await self._reader.columns(home_id, names, start, end)

    async def oldest(self, home_id: str) -> datetime | None:
        """`SampleReader.oldest`."""
        return await self._reader.oldest(home_id)
