"""Reading samples back from InfluxDB 1.x with InfluxQL (``GET /query``).

Free of Home Assistant. `InfluxSink` delegates `columns` and `oldest` here for
``api="v1"``; requests, credentials and HTTP errors are `influx_http`'s.

One statement a request: ``columns`` sends two (the samples in [start, end),
then the latest before `start`), not one query of two statements, because
influxd answers such a query about a missing database with a bare "not
executed" instead of "database not found". ``epoch=ms`` makes every time an
integer. Both select ``*``: a sample's fields whatever it has (`readback` says
why), merged over the series the ``currency`` tag makes.

InfluxDB answers 200 even when a statement fails: its ``results[].error``
("database not found: x", "not authorized to execute statement") is mapped
by `statement_results`, which the sink's `validate` uses too. An answer cut
short by the server's ``max-row-limit`` (``"partial": true``) raises instead of
returning part of the range.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

from .influx_http import InfluxHttp, InfluxRequestError, Reply
from .models import SinkError, SinkNotFoundError, SinkPermissionError
from .readback import Row, StatementReader, epoch_ns

_ESCAPES: Final = {"\\": "\\\\", "\n": "\\n"}


def quote_identifier(name: str) -> str:
    """`name` as an InfluxQL identifier in double quotes."""
    return _quoted(name, '"')


def quote_literal(text: str) -> str:
    """`text` as an InfluxQL string literal in single quotes."""
    return _quoted(text, "'")


def _quoted(text: str, mark: str) -> str:
    # InfluxQL's scanner knows \\, \n, \" and \' inside quotes, nothing else.
    escapes = {**_ESCAPES, mark: f"\\{mark}"}
    return mark + "".join(escapes.get(char, char) for char in text) + mark


def statement_results(
    http: InfluxHttp, reply: Reply, what: str
) -> list[dict[str, Any]]:
    """The ``results`` of a 200 answer to ``/query``, one per statement.

    A statement's error raises: a missing database `SinkNotFoundError`, a
    missing privilege `SinkPermissionError`, anything else `InfluxRequestError`.
    """
    results = http.json(reply, what, "results", kind=list)
    checked: list[dict[str, Any]] = []
    for result in results:
        if not isinstance(result, dict):
            raise InfluxRequestError(
                f"InfluxDB at {http.url} sent an unexpected {what}"
            )
        if isinstance(error := result.get("error"), str):
            lowered = error.lower()
            refusal: type[SinkError] = InfluxRequestError
            if "database not found" in lowered:
                refusal = SinkNotFoundError
            elif "authoriz" in lowered:
                refusal = SinkPermissionError
            raise refusal(f"InfluxDB: {http.short(error)}")
        checked.append(result)
    return checked


class InfluxQLReader(StatementReader):
    """`SampleReader` of one InfluxDB 1.x database and measurement."""

    def __init__(self, http: InfluxHttp, *, database: str, measurement: str) -> None:
        """Read `measurement` of `database` through `http`."""
        self._http = http
        self._database = database
        self._from = f"SELECT * FROM {quote_identifier(measurement)}"  # noqa: S608

    def _home(self, home_id: str) -> str:
        return f'{self._from} WHERE "home_id" = {quote_literal(home_id)}'

    def _time(self, moment: datetime) -> str:
        return str(epoch_ns(moment))

    async def _rows(self, statement: str) -> list[Row]:
        """The statement's rows (time in seconds), over all its series."""
        reply = await self._http.checked(
            "GET",
            "/query",
            "query",
            params={"db": self._database, "q": statement, "epoch": "ms"},
            headers={"Accept": "application/json"},
        )
        results = statement_results(self._http, reply, "query answer")
        if len(results) != 1:
            raise InfluxRequestError(
                f"InfluxDB at {self._http.url} answered {len(results)} results "
                "to one statement"
            )
        return self._result_rows(results[0])

    def _result_rows(self, result: dict[str, Any]) -> list[Row]:
        rows: list[Row] = []
        for series in result.get("series") or []:
            if not isinstance(series, dict):
                raise SinkError(f"InfluxDB at {self._http.url} sent a malformed series")
            if result.get("partial") or series.get("partial"):
                raise SinkError(
                    f"InfluxDB at {self._http.url} cut the answer short (its "
                    "max-row-limit); ask for a shorter range or raise the limit"
                )
            names, values = series.get("columns"), series.get("values")
            if not isinstance(names, list) or not isinstance(values, list):
                raise SinkError(f"InfluxDB at {self._http.url} sent a malformed series")
            for value in values:
                row = dict(zip(names, value, strict=False))
                time = row.get("time")
                if not isinstance(time, int | float) or isinstance(time, bool):
                    raise SinkError(
                        f"InfluxDB at {self._http.url} sent a row without a time"
                    )
                rows.append((time / 1000, row))
        return rows
