"""Reading samples back from InfluxDB 2.x (and Timestream for InfluxDB) with Flux.

Free of Home Assistant. `InfluxSink` delegates `columns` and `oldest` here for
``api="v2"``; requests, credentials and HTTP errors are `influx_http`'s, the
CSV of the answers `flux_csv`'s.

``POST /api/v2/query?org=<org>`` with the Flux as the body
(``application/vnd.flux``) and CSV back. `columns` sends two scripts: the
samples in [start, end), and the latest one before `start`. The filter keeps
every field of `MEASURES` (`readback` says why not only those asked for). For
the one before, ``last()`` runs per series and field before the pivot (so
InfluxDB reads one point of each instead of pivoting years of them): the
fields a sample has share its time, so the row of the latest time is that
sample, and a field whose last value is older is rightly missing from it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

from .flux_csv import FluxCsvError, records
from .influx_http import InfluxHttp
from .models import MEASURES, FloatArray, SinkError
from .readback import Row, columns, epoch_seconds, rfc3339, time_of

_BEGINNING: Final = "1970-01-01T00:00:00Z"
_PIVOT: Final = (
    '|> group() |> pivot(rowKey: ["_time"], columnKey: ["_field"], '
    'valueColumn: "_value")'
)
_HEADERS: Final = {"Content-Type": "application/vnd.flux", "Accept": "application/csv"}
_ESCAPES: Final = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def flux_string(text: str) -> str:
    """`text` as a Flux string literal: quoted, escaped, no interpolation."""
    escaped = "".join(_ESCAPES.get(char, char) for char in text)
    return '"' + escaped.replace("${", "\\${") + '"'


class FluxReader:
    """`SampleReader` of one InfluxDB 2.x bucket and measurement."""

    def __init__(
        self, http: InfluxHttp, *, org: str, bucket: str, measurement: str
    ) -> None:
        """Read `measurement` of `bucket` (of `org`) through `http`."""
        self._http = http
        self._org = org
        self._from = f"from(bucket: {flux_string(bucket)})"
        self._measurement = flux_string(measurement)

    async def columns(
        self, home_id: str, names: tuple[str, ...], start: datetime, end: datetime
    ) -> dict[str, FloatArray]:
        """`SampleReader.columns`, in two queries."""
        since, until = rfc3339(start), rfc3339(end)
        fields = self._fields(home_id)
        within = await self._rows(
            f"{self._from} |> range(start: {since}, stop: {until}) {fields} "
            f'{_PIVOT} |> sort(columns: ["_time"])'
        )
        before = await self._rows(
            f"{self._from} |> range(start: {_BEGINNING}, stop: {since}) {fields} "
            f'|> last() {_PIVOT} |> sort(columns: ["_time"], desc: true) '
            "|> limit(n: 1)"
        )
        return columns(before, within, names)

    async def oldest(self, home_id: str) -> datetime | None:
        """`SampleReader.oldest`: the earliest of each series' and field's first."""
        rows = await self._rows(
            f"{self._from} |> range(start: {_BEGINNING}) {self._fields(home_id)} "
            '|> first() |> keep(columns: ["_time"]) |> group() '
            '|> sort(columns: ["_time"]) |> limit(n: 1)'
        )
        return time_of(min(time for time, _ in rows)) if rows else None

    def _fields(self, home_id: str) -> str:
        """The filter of `home_id`'s points of the sample fields."""
        fields = " or ".join(f"r._field == {flux_string(name)}" for name in MEASURES)
        return (
            f"|> filter(fn: (r) => r._measurement == {self._measurement} "
            f"and r.home_id == {flux_string(home_id)} and ({fields}))"
        )

    async def _rows(self, flux: str) -> list[Row]:
        """The answer's rows, by their ``_time`` (seconds)."""
        reply = await self._http.checked(
            "POST",
            "/api/v2/query",
            "query",
            params={"org": self._org},
            data=flux.encode(),
            headers=_HEADERS,
        )
        try:
            found = list(records(reply.text))
        except FluxCsvError as err:
            said = self._http.short(str(err))
            raise SinkError(f"InfluxDB query failed: {said}") from None
        rows: list[Row] = []
        for row in found:
            if "_time" not in row:
                raise SinkError(
                    f"InfluxDB at {self._http.url} sent rows without _time "
                    "(is the API version right?)"
                )
            rows.append((epoch_seconds(row["_time"]), row))
        return rows
