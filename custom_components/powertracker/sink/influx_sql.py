"""Reading samples back from InfluxDB 3 Core/Enterprise with SQL.

Free of Home Assistant. `InfluxSink` delegates `columns` and `oldest` here for
``api="v3"``; requests, credentials and HTTP errors are `influx_http`'s.

``POST /api/v3/query_sql`` with ``{"db", "q", "format": "json"}``: the answer
is a JSON array of row objects, ``time`` as an RFC 3339 string without a zone
(UTC, down to nanoseconds) and a null field left out of its object. `columns`
sends two queries (the samples in [start, end), then the latest before
`start`); each selects ``*``, since InfluxDB 3 refuses to select a field that
was never written (`readback`).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Final

from .influx_http import InfluxHttp
from .models import SinkError
from .readback import Row, StatementReader, epoch_seconds, rfc3339
from .sql_quote import identifier, literal

_HEADERS: Final = {"Content-Type": "application/json", "Accept": "application/json"}


class InfluxSqlReader(StatementReader):
    """`SampleReader` of one InfluxDB 3 database and table (the measurement)."""

    def __init__(self, http: InfluxHttp, *, database: str, measurement: str) -> None:
        """Read `measurement` of `database` through `http`."""
        self._http = http
        self._database = database
        self._table = identifier(measurement)

    def _home(self, home_id: str) -> str:
        where = f"{identifier('home_id')} = {literal(home_id)}"
        return f"SELECT * FROM {self._table} WHERE {where}"  # noqa: S608 - quoted (sql_quote)

    def _time(self, moment: datetime) -> str:
        return literal(rfc3339(moment))

    async def _rows(self, sql: str) -> list[Row]:
        """The answer's rows, by their ``time`` (seconds)."""
        body = {"db": self._database, "q": sql, "format": "json"}
        reply = await self._http.checked(
            "POST",
            "/api/v3/query_sql",
            "query",
            data=json.dumps(body).encode(),
            headers=_HEADERS,
        )
        found = self._http.json(
            reply, "query answer (is the API version right?)", kind=list
        )
        rows: list[Row] = []
        for row in found:
            time = row.get("time") if isinstance(row, dict) else None
            if not isinstance(time, str):
                raise SinkError(
                    f"InfluxDB at {self._http.url} sent a row without a time"
                )
            rows.append((epoch_seconds(time), row))
        return rows
