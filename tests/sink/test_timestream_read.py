"""Reading samples back from Timestream: pages from moto on 127.0.0.1, errors
from a botocore Stubber."""

from __future__ import annotations

import math
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest
from botocore.stub import ANY, Stubber  # type: ignore[import-untyped]
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.timestreamquery.models import timestreamquery_backends

from custom_components.powertracker.sink.aws import AwsConfigError
from custom_components.powertracker.sink.models import (
    MEASURES,
    SampleReader,
    SinkAuthError,
    SinkError,
    SinkNotFoundError,
    SinkPermissionError,
    SinkUnreachableError,
)
from custom_components.powertracker.sink.timestream import TimestreamSink
from loopback.influxd import free_loopback_port
from tests.sink import timestream_server
from tests.sink.timestream_server import FAKE_KEY, REGION, MotoTimestream, json_response

moto_server = timestream_server.moto_server
moto = timestream_server.moto
names = timestream_server.names

KEY_ID = "AKIAPOWERTRACKER0TEST"
SECRET = "pt/Secret+Key/0123456789abcdefghijklmnopq"
HOME = "o'brien-villa"
START = datetime(2026, 1, 3, 23, 55, tzinfo=UTC)
END = datetime(2026, 1, 4, 0, 10, tzinfo=UTC)
START_MS = 1_767_484_500_000
END_MS = 1_767_485_400_000
COLUMN_INFO = [
    {"Name": name, "Type": {"ScalarType": kind}}
    for name, kind in [
        ("home_id", "VARCHAR"),
        ("accumulated_cost", "DOUBLE"),
        ("currency", "VARCHAR"),
        ("measure_name", "VARCHAR"),
        ("time", "TIMESTAMP"),
        ("power", "DOUBLE"),
    ]
]


def row(time: str, power: float, cost: float | None) -> dict[str, Any]:
    """A row of `SELECT *` in COLUMN_INFO's order (a null cost: NullValue)."""
    return {
        "Data": [
            {"ScalarValue": HOME},
            {"NullValue": True} if cost is None else {"ScalarValue": repr(cost)},
            {"ScalarValue": "SEK"},
            {"ScalarValue": "powertracker"},
            {"ScalarValue": time},
            {"ScalarValue": repr(power)},
        ]
    }


def page(*rows: dict[str, Any], token: str | None = None) -> dict[str, Any]:
    """A Query answer."""
    answer = {"QueryId": "q-1", "Rows": list(rows), "ColumnInfo": COLUMN_INFO}
    return answer | ({"NextToken": token} if token else {})


def sql(database: str, table: str, condition: str) -> str:
    """The query the reader sends for `condition` on HOME's records."""
    return (
        f'SELECT * FROM "{database}"."{table}" WHERE '  # noqa: S608
        f"\"home_id\" = 'o''brien-villa' AND measure_name = 'powertracker' "
        f"{condition}"
    )


def queue(answers: dict[str, list[dict[str, Any]]]) -> None:
    """moto answers each query string with its pages, in turn."""
    backend = timestreamquery_backends[DEFAULT_ACCOUNT_ID][REGION]
    for query, pages in answers.items():
        backend.query_result_queue[query] = list(pages)


@pytest.fixture
async def moto_sink(
    moto: MotoTimestream, names: tuple[str, str]
) -> AsyncIterator[TimestreamSink]:
    """A sink of this test's (never created) table in moto."""
    database, table = names
    sink = TimestreamSink(
        region=REGION,
        database=database,
        table=table,
        access_key_id=FAKE_KEY,
        secret_access_key=FAKE_KEY,
        endpoint_url=moto.url,
    )
    yield sink
    await sink.close()


async def calls_of(sink: TimestreamSink) -> list[tuple[str, str | None]]:
    """(QueryString, NextToken) of every Query the sink's reader sends from now."""
    calls: list[tuple[str, str | None]] = []
    client = await sink._reader._aws.client()

    def record(params: dict[str, Any], **_: Any) -> None:
        calls.append((params["QueryString"], params.get("NextToken")))

    client.meta.events.register("before-parameter-build.timestream-query.Query", record)
    return calls


async def test_every_page_is_read_in_order(
    moto_sink: TimestreamSink, names: tuple[str, str]
) -> None:
    within = sql(
        *names,
        f"AND time >= from_milliseconds({START_MS}) "
        f"AND time < from_milliseconds({END_MS}) ORDER BY time",
    )
    before = sql(
        *names,
        f"AND time < from_milliseconds({START_MS}) ORDER BY time DESC LIMIT 1",
    )
    queue(
        {
            within: [
                page(
                    row("2026-01-03 23:55:00.000000000", 1002.0, 3.0),
                    row("2026-01-04 00:00:00.000000000", 1003.0, None),
                    token="page-2",
                ),
                page(token="page-3"),  # no rows, but more to come
                page(row("2026-01-04 00:05:00.250000000", 1004.0, 6.5)),
            ],
            before: [page(row("2026-01-03 23:50:00.000000000", 1001.0, 1.5))],
        }
    )
    calls = await calls_of(moto_sink)
    reader: SampleReader = moto_sink

    result = await reader.columns(HOME, ("power", "accumulated_cost"), START, END)

    assert calls == [
        (within, None),
        (within, "page-2"),
        (within, "page-3"),
        (before, None),
    ]
    assert list(result) == ["time", "power", "accumulated_cost"]
    np.testing.assert_array_equal(
        result["time"], START.timestamp() + np.array([-300, 0, 300, 600.25])
    )
    np.testing.assert_array_equal(result["power"], [1001.0, 1002, 1003, 1004])
    np.testing.assert_array_equal(result["accumulated_cost"], [1.5, 3, math.nan, 6.5])


async def test_nothing_before_and_nothing_within(
    moto_sink: TimestreamSink, names: tuple[str, str]
) -> None:
    # moto answers an unknown query with no rows (and no token).
    result = await moto_sink.columns(HOME, MEASURES, START, END)

    assert list(result) == ["time", *MEASURES]
    assert all(len(column) == 0 for column in result.values())


async def test_bounds_rounded_up_to_the_millisecond(
    moto_sink: TimestreamSink,
) -> None:
    calls = await calls_of(moto_sink)
    late = timedelta(microseconds=250)

    await moto_sink.columns(HOME, ("power",), START + late, END + late)

    (within, _), (before, _) = calls
    assert f"time >= from_milliseconds({START_MS + 1}) " in within
    assert f"time < from_milliseconds({END_MS + 1}) " in within
    assert f"time < from_milliseconds({START_MS + 1}) " in before


async def test_oldest(moto_sink: TimestreamSink, names: tuple[str, str]) -> None:
    first = sql(*names, "ORDER BY time LIMIT 1")
    answer = {
        "QueryId": "q-2",
        "Rows": [{"Data": [{"ScalarValue": "2026-01-03 23:45:00.000000000"}]}],
        "ColumnInfo": [{"Name": "time", "Type": {"ScalarType": "TIMESTAMP"}}],
    }
    queue({first: [page(token="more"), answer]})
    calls = await calls_of(moto_sink)

    assert await moto_sink.oldest(HOME) == datetime(2026, 1, 3, 23, 45, tzinfo=UTC)
    assert await moto_sink.oldest("attic") is None
    assert calls[:2] == [(first, None), (first, "more")]


# ---------------------------------------------------------------------------
# errors, from a Stubber (no network)
# ---------------------------------------------------------------------------


@pytest.fixture
async def stubbed() -> AsyncIterator[tuple[TimestreamSink, Any]]:
    """A sink with a real-looking key pair, its query client stubbed."""
    sink = TimestreamSink(
        region=REGION,
        database="pt_db",
        table="pt_tbl",
        access_key_id=KEY_ID,
        secret_access_key=SECRET,
        endpoint_url="http://127.0.0.1:9",  # never contacted
    )
    stubber = Stubber(await sink._reader._aws.client())
    stubber.activate()
    yield sink, stubber
    stubber.deactivate()
    await sink.close()
    stubber.assert_no_pending_responses()


@pytest.mark.parametrize(
    ("code", "status", "said", "error"),
    [
        ("ValidationException", 400, "line 1:15: Table 'pt_db.pt_tbl' does not exist", SinkNotFoundError),  # noqa: E501
        ("ValidationException", 400, "The database pt_db does not exist.", SinkNotFoundError),  # noqa: E501
        ("ValidationException", 400, "line 1:8: Column 'power' cannot be resolved", AwsConfigError),  # noqa: E501
        ("ResourceNotFoundException", 400, "no such table", SinkNotFoundError),
        ("AccessDeniedException", 400, f"User {KEY_ID} may not timestream:Select", SinkPermissionError),  # noqa: E501
        ("UnrecognizedClientException", 400, f"bad key {KEY_ID}/{SECRET}", SinkAuthError),  # noqa: E501
        ("ThrottlingException", 400, "slow down", SinkUnreachableError),
        ("InternalServerException", 500, "oops", SinkUnreachableError),
        ("QueryExecutionException", 400, "query aborted", SinkError),
    ],
)  # fmt: skip
async def test_errors_map_to_sink_errors_without_secrets(
    stubbed: tuple[TimestreamSink, Any],
    code: str,
    status: int,
    said: str,
    error: type[SinkError],
) -> None:
    sink, stubber = stubbed
    stubber.add_client_error(
        "query", service_error_code=code, service_message=said, http_status_code=status
    )

    with pytest.raises(error) as raised:
        await sink.columns(HOME, MEASURES, START, END)

    assert type(raised.value) is error
    assert f"Timestream Query failed: {code} (HTTP {status})" in str(raised.value)
    assert KEY_ID not in str(raised.value)
    assert SECRET not in str(raised.value)
    assert raised.value.__cause__ is None


async def test_an_error_on_a_later_page_raises_instead_of_returning_part(
    stubbed: tuple[TimestreamSink, Any],
) -> None:
    sink, stubber = stubbed
    stubber.add_response(
        "query", page(row("2026-01-03 23:55:00.000000000", 1.0, 2.0), token="t2")
    )
    stubber.add_client_error(
        "query",
        service_error_code="ThrottlingException",
        http_status_code=400,
        expected_params={"QueryString": ANY, "NextToken": "t2"},
    )

    with pytest.raises(SinkUnreachableError, match="ThrottlingException"):
        await sink.columns(HOME, MEASURES, START, END)


async def test_a_row_without_a_time_is_a_sink_error(
    stubbed: tuple[TimestreamSink, Any],
) -> None:
    sink, stubber = stubbed
    stubber.add_response(
        "query",
        {
            "QueryId": "q",
            "Rows": [{"Data": [{"ScalarValue": "1.0"}]}],
            "ColumnInfo": [{"Name": "power", "Type": {"ScalarType": "DOUBLE"}}],
        },
    )

    with pytest.raises(SinkError, match="without a time"):
        await sink.oldest(HOME)


async def test_closed_port_is_unreachable(socket_enabled: None) -> None:
    sink = TimestreamSink(
        region=REGION,
        database="pt_db",
        table="pt_tbl",
        access_key_id=KEY_ID,
        secret_access_key=SECRET,
        endpoint_url=f"http://127.0.0.1:{free_loopback_port()}",
    )

    with pytest.raises(SinkUnreachableError, match="Query got no answer") as err:
        await sink.oldest(HOME)
    await sink.close()

    assert SECRET not in str(err.value)
    assert sink._reader._aws._client is None  # close() closed the query client


async def test_query_endpoint_discovery_stays_on_without_endpoint_url() -> None:
    """Production query clients ask DescribeEndpoints for their query cell."""
    sink = TimestreamSink(
        region=REGION,
        database="pt_db",
        table="pt_tbl",
        access_key_id=KEY_ID,
        secret_access_key=SECRET,
    )
    client = await sink._reader._aws.client()
    sent: list[tuple[str, str]] = []
    cell = f"query-cell2.timestream.{REGION}.amazonaws.com"

    def answer(request: Any, **_: Any) -> Any:
        target = request.headers["X-Amz-Target"].decode()
        sent.append((request.url, target))
        body: dict[str, Any]
        if target.endswith("DescribeEndpoints"):
            body = {"Endpoints": [{"Address": cell, "CachePeriodInMinutes": 1440}]}
        else:
            body = {"QueryId": "q", "Rows": [], "ColumnInfo": []}
        return json_response(request.url, body)

    client.meta.events.register("before-send.timestream-query", answer)
    assert await sink.oldest(HOME) is None
    await sink.close()

    assert sent == [
        (
            f"https://query.timestream.{REGION}.amazonaws.com/",
            "Timestream_20181101.DescribeEndpoints",
        ),
        (f"https://{cell}", "Timestream_20181101.Query"),
    ]
