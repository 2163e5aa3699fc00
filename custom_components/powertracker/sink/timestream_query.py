"""Reading samples back from Timestream for LiveAnalytics (``timestream-query``).

Free of Home Assistant. `TimestreamSink` delegates `columns` and `oldest` here;
the client, its calls and AWS's errors are `aws.AwsService`'s (a second service
of the same region, credentials and endpoint as the sink's writes), the record
layout `timestream_record`'s.

Pages. ``Query`` answers a page at a time and names the next with
``NextToken``; a page may hold no rows and still have a token (the query is
still running). Every page is read until one comes without a token: reading
the first only would silently cut a range short.

SQL. ``SELECT *`` of the table's multi-measure ``powertracker`` records of one
home, times compared with ``from_milliseconds``; the bounds are rounded up to
the millisecond, which for records stored in milliseconds is the same as
comparing with the exact times. ``*`` because a measure no record has carried
is no column of the table (`readback`).

Errors. AWS's, mapped by `AwsService.error`; a ``ValidationException`` saying
that the database or table does not exist is a `SinkNotFoundError` (Timestream
reports a missing table so, not as ``ResourceNotFoundException``).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Final

from botocore.exceptions import ClientError  # type: ignore[import-untyped]

from .aws import AwsService, code, message
from .models import SinkError, SinkNotFoundError
from .readback import Row, StatementReader, epoch_ns, epoch_seconds
from .sql_quote import identifier, literal
from .timestream_record import HOME_DIMENSION, MEASURE_NAME

SERVICE: Final = "timestream-query"
_MISSING: Final = re.compile(
    r"\b(database|table)\b.*\b(does not exist|not found)", re.IGNORECASE
)


def _milliseconds(moment: datetime) -> int:
    """Epoch milliseconds of `moment`, rounded up."""
    return -(-epoch_ns(moment) // 1_000_000)


class TimestreamReader(StatementReader):
    """`SampleReader` of one Timestream table; see the module docstring."""

    def __init__(self, aws: AwsService, *, database: str, table: str) -> None:
        """Query `database`.`table` through `aws` (a ``timestream-query`` service)."""
        self._aws = aws
        self._table = f"{identifier(database)}.{identifier(table)}"

    async def close(self) -> None:
        """Close the query client."""
        await self._aws.close()

    def _home(self, home_id: str) -> str:
        where = (
            f"{identifier(HOME_DIMENSION)} = {literal(home_id)} "
            f"AND measure_name = {literal(MEASURE_NAME)}"
        )
        return f"SELECT * FROM {self._table} WHERE {where}"  # noqa: S608 - quoted (sql_quote)

    def _time(self, moment: datetime) -> str:
        return f"from_milliseconds({_milliseconds(moment)})"

    async def _rows(self, sql: str) -> list[Row]:
        """The rows of every page of `sql`'s answer, in order."""
        rows: list[Row] = []
        token: str | None = None
        while True:
            page = await self._page(sql, token)
            rows += _page_rows(page)
            token = page.get("NextToken")
            if not token:
                return rows

    async def _page(self, sql: str, token: str | None) -> dict[str, Any]:
        params = {"QueryString": sql, **({"NextToken": token} if token else {})}
        try:
            return await self._aws.call("Query", **params)
        except ClientError as err:
            error = self._aws.error("Query", err)
            if code(err) == "ValidationException" and _MISSING.search(message(err)):
                raise SinkNotFoundError(str(error), error.detail) from None
            raise error from None


def _page_rows(page: dict[str, Any]) -> list[Row]:
    """A page's rows: `ColumnInfo` names the cells, ``NullValue`` is None."""
    names = [str(column.get("Name")) for column in page.get("ColumnInfo") or []]
    rows: list[Row] = []
    for row in page.get("Rows") or []:
        cells = [
            None if datum.get("NullValue") else datum.get("ScalarValue")
            for datum in row.get("Data") or []
        ]
        values = dict(zip(names, cells, strict=False))
        time = values.get("time")
        if not isinstance(time, str):
            raise SinkError("Timestream Query sent a row without a time")
        rows.append((epoch_seconds(time), values))
    return rows
