"""Reading samples back from InfluxDB: v1 from a real influxd, v2/v3 from the
loopback fake (what they ask and how they read realistic answers)."""

from __future__ import annotations

import json
import logging
import math
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import numpy as np
import pytest

from custom_components.powertracker.sink.influx import InfluxRequestError, InfluxSink
from custom_components.powertracker.sink.models import (
    MEASURES,
    FloatArray,
    Sample,
    SampleReader,
    SinkAuthError,
    SinkError,
    SinkNotFoundError,
    SinkPermissionError,
    SinkUnreachableError,
    WriteResult,
)
from custom_components.powertracker.sink.settings import ApiVersion
from loopback.influxd import (
    INFLUX_ADMIN,
    INFLUX_ADMIN_PASSWORD,
    INFLUX_DATABASE,
    Influxd,
    free_loopback_port,
)
from tests.sink import influx_fake
from tests.sink.influx_fake import (
    ORG,
    PASSWORD,
    TOKEN,
    Answer,
    FakeInflux,
    assert_no_secret,
    fake_sink,
)

fake = influx_fake.fake

T = datetime(2026, 1, 3, 23, 45, tzinfo=UTC)
"""Seven five-minute samples from here cross midnight."""
START = T + timedelta(minutes=10)  # 23:55
END = T + timedelta(minutes=25)  # 00:10, not included
FIVE = timedelta(minutes=5)


def villa(index: int) -> Sample:
    """Villa's sample `index`: no cost in #3, no currency in #2, never production."""
    return Sample(
        home_id="villa",
        time=T + index * FIVE,
        power=1000.0 + index,
        accumulated_consumption=(0.25 * index if index < 3 else 0.125 * (index - 3)),
        consumption_total=40000.5 + 0.25 * index,
        accumulated_cost=None if index == 3 else 1.5 * index,
        currency=None if index == 2 else "SEK",
    )


def cabin(index: int) -> Sample:
    """Cabin's sample `index`, at villa's times, with production."""
    return Sample(
        home_id="cabin",
        time=T + index * FIVE,
        power=10.0 * index,
        consumption_total=7.75 + index,
        power_production=500.0 - index,
        accumulated_production=0.5 * index,
        currency="NOK",
    )


def expected(samples: list[Sample], names: tuple[str, ...]) -> dict[str, FloatArray]:
    """The columns `samples` are, NaN for a missing value."""
    result = {"time": np.array([s.time.timestamp() for s in samples])}
    for name in names:
        values = [getattr(s, name) for s in samples]
        result[name] = np.array([math.nan if v is None else v for v in values])
    return result


def assert_columns(
    actual: dict[str, FloatArray], wanted: dict[str, FloatArray]
) -> None:
    """The same columns in the same order, equal to the bit (NaN equal to NaN)."""
    assert list(actual) == list(wanted)
    for name, column in wanted.items():
        assert actual[name].dtype == np.float64
        np.testing.assert_array_equal(actual[name], column, err_msg=name)


# ---------------------------------------------------------------------------
# InfluxDB 1.x: the real influxd
# ---------------------------------------------------------------------------


def v1_sink(
    session: aiohttp.ClientSession, server: Influxd | str, **settings: Any
) -> InfluxSink:
    url = server if isinstance(server, str) else server.url
    settings = {"database": INFLUX_DATABASE} | settings
    return InfluxSink(session, url=url, api="v1", **settings)


@pytest.fixture
async def written(influxdb: Influxd, http_session: aiohttp.ClientSession) -> InfluxSink:
    """Villa's and cabin's seven samples in influxd; the sink that wrote them."""
    sink = v1_sink(http_session, influxdb)
    samples = [make(i) for i in range(7) for make in (villa, cabin)]
    assert await sink.write(samples) == WriteResult(written=14)
    return sink


async def test_v1_reads_back_what_it_wrote(written: InfluxSink) -> None:
    result = await written.columns("villa", MEASURES, START, END)

    # 23:50 (the one before), 23:55, 00:00, 00:05; 00:10 is the end.
    assert_columns(result, expected([villa(i) for i in (1, 2, 3, 4)], MEASURES))
    assert np.isnan(result["accumulated_cost"][2])  # #3 had none
    assert np.isnan(result["power_production"]).all()  # villa never produced


async def test_v1_reads_only_the_names_asked_for_of_one_home(
    written: InfluxSink,
) -> None:
    names = ("accumulated_production", "power")

    result = await written.columns("cabin", names, START, END)

    assert_columns(result, expected([cabin(i) for i in (1, 2, 3, 4)], names))


async def test_v1_bounds_of_the_range(written: InfluxSink) -> None:
    everything = await written.columns("villa", ("power",), T, T + 7 * FIVE)
    after_all = await written.columns("villa", ("power",), T + 8 * FIVE, T + 9 * FIVE)
    exactly_one = await written.columns(
        "villa", ("power",), T + 3 * FIVE, T + 3 * FIVE + timedelta(seconds=1)
    )
    nothing = await written.columns("attic", ("power",), T, T + 7 * FIVE)

    # Nothing before the first sample: no row before.
    assert_columns(everything, expected([villa(i) for i in range(7)], ("power",)))
    assert_columns(after_all, expected([villa(6)], ("power",)))
    assert_columns(exactly_one, expected([villa(2), villa(3)], ("power",)))
    assert_columns(nothing, expected([], ("power",)))


async def test_v1_oldest(written: InfluxSink) -> None:
    assert await written.oldest("villa") == T
    assert await written.oldest("attic") is None


QUOTED_HOMES = [
    "o'brien",
    'quote"d',
    "back\\slashes\\x\\y",
    "villa, 1=a\\b",
    "'; DROP DATABASE powertracker; '",
    "${x} ünïcödé",
]


@pytest.mark.parametrize("measurement", ["powertracker", 'pt "q" \\m'])
async def test_v1_quotes_in_home_ids_and_measurement(
    influxdb: Influxd, http_session: aiohttp.ClientSession, measurement: str
) -> None:
    sink = v1_sink(http_session, influxdb, measurement=measurement)
    samples = [
        Sample(home_id=home, time=T + i * FIVE, power=float(i))
        for i, home in enumerate(QUOTED_HOMES)
    ]
    assert await sink.write(samples) == WriteResult(written=len(samples))

    for sample in samples:
        result = await sink.columns(sample.home_id, ("power",), T, END + 9 * FIVE)
        assert_columns(result, expected([sample], ("power",)))
        assert await sink.oldest(sample.home_id) == sample.time


async def test_v1_unknown_database_is_not_found(
    written: InfluxSink, influxdb: Influxd, http_session: aiohttp.ClientSession
) -> None:
    sink = v1_sink(http_session, influxdb, database="nope")

    with pytest.raises(SinkNotFoundError, match="database not found: nope") as read:
        await sink.columns("villa", MEASURES, START, END)
    with pytest.raises(SinkNotFoundError):
        await sink.oldest("villa")

    assert read.value.retryable is False


async def test_v1_credentials_and_privileges(
    influxdb_auth: Influxd,
    http_session: aiohttp.ClientSession,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    admin = v1_sink(
        http_session,
        influxdb_auth,
        username=INFLUX_ADMIN,
        password=INFLUX_ADMIN_PASSWORD,
    )
    await influxdb_auth.query(
        http_session, f"CREATE USER nobody WITH PASSWORD '{PASSWORD}'"
    )
    await admin.write([villa(i) for i in range(7)])
    wrong = v1_sink(
        http_session, influxdb_auth, username=INFLUX_ADMIN, password=PASSWORD
    )
    nobody = v1_sink(http_session, influxdb_auth, username="nobody", password=PASSWORD)
    token = v1_sink(http_session, influxdb_auth, token=TOKEN)

    with pytest.raises(SinkAuthError, match="HTTP 401") as bad_password:
        await wrong.columns("villa", MEASURES, START, END)
    with pytest.raises(SinkAuthError) as bad_token:
        await token.oldest("villa")
    with pytest.raises(SinkPermissionError, match="not authorized") as no_privilege:
        await nobody.columns("villa", MEASURES, START, END)

    result = await admin.columns("villa", MEASURES, START, END)
    assert_columns(result, expected([villa(i) for i in (1, 2, 3, 4)], MEASURES))
    errors = (bad_password.value, bad_token.value, no_privilege.value)
    assert_no_secret(*errors, *(record.getMessage() for record in caplog.records))


async def test_v1_closed_port_is_unreachable(
    socket_enabled: None, http_session: aiohttp.ClientSession
) -> None:
    port = free_loopback_port()
    sink = v1_sink(
        http_session, f"http://127.0.0.1:{port}", username="u", password=PASSWORD
    )

    with pytest.raises(SinkUnreachableError, match=f"127.0.0.1:{port}") as read:
        await sink.columns("villa", MEASURES, START, END)
    with pytest.raises(SinkUnreachableError):
        await sink.oldest("villa")

    assert read.value.retryable is True
    assert_no_secret(read.value)


# ---------------------------------------------------------------------------
# InfluxDB 2.x (Flux) on the fake
# ---------------------------------------------------------------------------

HOSTILE = 'o"b ${x} \\'
"""A home id with every character Flux and SQL strings need escaped."""

WITHIN_CSV = (
    # Two tables of different columns (a series without accumulated_cost), the
    # later one first: the reader merges and sorts them.
    "#group,false,false,true,true,false,false,false\r\n"
    "#datatype,string,long,string,string,dateTime:RFC3339,double,double\r\n"
    "#default,_result,,,,,,\r\n"
    ",result,table,_measurement,home_id,_time,power,accumulated_cost\r\n"
    ',,0,powertracker,"o""b ${x} \\",2026-01-04T00:00:00Z,1003,\r\n'
    ',,0,powertracker,"o""b ${x} \\",2026-01-04T00:05:00.5Z,1004,6\r\n'
    "\r\n"
    "#group,false,false,true,true,false,false\r\n"
    "#datatype,string,long,string,string,dateTime:RFC3339,double\r\n"
    "#default,_result,,,,,\r\n"
    ",result,table,_measurement,home_id,_time,power\r\n"
    ',,1,powertracker,"o""b ${x} \\",2026-01-03T23:55:00Z,1002\r\n'
    "\r\n"
)
BEFORE_CSV = (
    "#group,false,false,false,false,false\r\n"
    "#datatype,string,long,dateTime:RFC3339,double,double\r\n"
    "#default,_result,,,,\r\n"
    ",result,table,_time,accumulated_cost,power\r\n"
    ",,0,2026-01-03T23:50:00Z,1.5,1001\r\n"
    "\r\n"
)
ERROR_CSV = (
    "#datatype,string,string\r\n"
    "#group,true,true\r\n"
    "#default,,\r\n"
    ",error,reference\r\n"
    ',"runtime error: pivot: duplicate, too many rows",897\r\n'
)
FLUX_HEADERS = {
    "Content-Type": "application/vnd.flux",
    "Accept": "application/csv",
    "Authorization": f"Token {TOKEN}",
}
FILTER = (
    '|> filter(fn: (r) => r._measurement == "powertracker" and '
    'r.home_id == "o\\"b \\${x} \\\\" and ('
    + " or ".join(f'r._field == "{name}"' for name in MEASURES)
    + "))"
)
PIVOT = (
    '|> group() |> pivot(rowKey: ["_time"], columnKey: ["_field"], '
    'valueColumn: "_value")'
)


async def test_v2_columns_request_and_answer(
    fake: FakeInflux, http_session: aiohttp.ClientSession
) -> None:
    fake.answer([(200, WITHIN_CSV), (200, BEFORE_CSV)])
    reader: SampleReader = fake_sink(http_session, fake, "v2")

    result = await reader.columns(HOSTILE, ("power", "accumulated_cost"), START, END)

    assert_columns(
        result,
        {
            "time": T.timestamp() + np.array([300, 600, 900, 1200.5]),
            "power": np.array([1001.0, 1002, 1003, 1004]),
            "accumulated_cost": np.array([1.5, math.nan, math.nan, 6]),
        },
    )
    within, before = fake.requests
    for request in (within, before):
        assert (request.method, request.path) == ("POST", "/api/v2/query")
        assert request.query == {"org": ORG}
        assert {k: request.headers[k] for k in FLUX_HEADERS} == FLUX_HEADERS
    assert within.body.decode() == (
        'from(bucket: "powertracker") '
        "|> range(start: 2026-01-03T23:55:00Z, stop: 2026-01-04T00:10:00Z) "
        f'{FILTER} {PIVOT} |> sort(columns: ["_time"])'
    )
    assert before.body.decode() == (
        'from(bucket: "powertracker") '
        "|> range(start: 1970-01-01T00:00:00Z, stop: 2026-01-03T23:55:00Z) "
        f'{FILTER} |> last() {PIVOT} |> sort(columns: ["_time"], desc: true) '
        "|> limit(n: 1)"
    )


async def test_v2_oldest(fake: FakeInflux, http_session: aiohttp.ClientSession) -> None:
    first = ",result,table,_time\r\n,_result,0,2026-01-03T23:45:00Z\r\n\r\n"
    fake.answer([(200, first), (200, "\r\n")])
    sink = fake_sink(http_session, fake, "v2")

    assert await sink.oldest(HOSTILE) == T
    assert await sink.oldest("attic") is None

    assert fake.requests[0].body.decode() == (
        'from(bucket: "powertracker") |> range(start: 1970-01-01T00:00:00Z) '
        f'{FILTER} |> first() |> keep(columns: ["_time"]) |> group() '
        '|> sort(columns: ["_time"]) |> limit(n: 1)'
    )


async def test_v2_error_table_in_a_200_answer_is_a_sink_error(
    fake: FakeInflux, http_session: aiohttp.ClientSession
) -> None:
    fake.answer([(200, WITHIN_CSV + ERROR_CSV)])

    with pytest.raises(SinkError, match="pivot: duplicate, too many rows") as err:
        await fake_sink(http_session, fake, "v2").columns("villa", MEASURES, START, END)

    assert type(err.value) is SinkError
    assert len(fake.requests) == 1


async def test_v2_answer_without_times_is_a_sink_error(
    fake: FakeInflux, http_session: aiohttp.ClientSession
) -> None:
    fake.answer([(200, ",result,table,_value\r\n,_result,0,1\r\n")])

    with pytest.raises(SinkError, match="without _time"):
        await fake_sink(http_session, fake, "v2").oldest("villa")


# ---------------------------------------------------------------------------
# InfluxDB 3 (SQL) on the fake
# ---------------------------------------------------------------------------

SQL_HOME = 'SELECT * FROM "powertracker" WHERE "home_id" = \'o"b ${x} \\\''
SQL_HEADERS = {
    "Content-Type": "application/json",
    "Accept": "application/json",
    "Authorization": f"Bearer {TOKEN}",
}


async def test_v3_columns_request_and_answer(
    fake: FakeInflux, http_session: aiohttp.ClientSession
) -> None:
    within = [
        # A null field is left out of its object; nanoseconds, no zone.
        {"home_id": HOSTILE, "power": 1002.0, "time": "2026-01-03T23:55:00"},
        {
            "accumulated_cost": 4.5,
            "currency": "SEK",
            "home_id": HOSTILE,
            "power": 1003,
            "time": "2026-01-04T00:00:00.500000000",
        },
    ]
    before = [
        {"power": 1001.0, "accumulated_cost": None, "time": "2026-01-03T23:50:00"}
    ]
    fake.answer([(200, within), (200, before)])
    sink = fake_sink(http_session, fake, "v3")

    result = await sink.columns(HOSTILE, ("accumulated_cost", "power"), START, END)

    assert_columns(
        result,
        {
            "time": T.timestamp() + np.array([300, 600, 900.5]),
            "accumulated_cost": np.array([math.nan, math.nan, 4.5]),
            "power": np.array([1001.0, 1002, 1003]),
        },
    )
    queries = []
    for request in fake.requests:
        assert (request.method, request.path, request.query) == (
            "POST",
            "/api/v3/query_sql",
            {},
        )
        assert {k: request.headers[k] for k in SQL_HEADERS} == SQL_HEADERS
        body = json.loads(request.body)
        assert body.keys() == {"db", "q", "format"}
        assert (body["db"], body["format"]) == (INFLUX_DATABASE, "json")
        queries.append(body["q"])
    assert queries == [
        f"{SQL_HOME} AND time >= '2026-01-03T23:55:00Z' "
        "AND time < '2026-01-04T00:10:00Z' ORDER BY time",
        f"{SQL_HOME} AND time < '2026-01-03T23:55:00Z' ORDER BY time DESC LIMIT 1",
    ]


async def test_v3_oldest(fake: FakeInflux, http_session: aiohttp.ClientSession) -> None:
    fake.answer([(200, [{"time": "2026-01-03T23:45:00"}]), (200, [])])
    sink = fake_sink(http_session, fake, "v3")

    assert await sink.oldest("o'brien") == T
    assert await sink.oldest("attic") is None

    assert json.loads(fake.requests[0].body)["q"] == (
        "SELECT * FROM \"powertracker\" WHERE \"home_id\" = 'o''brien' "
        "ORDER BY time LIMIT 1"
    )


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param((200, {"results": []}), id="not-a-list"),
        pytest.param((200, [{"power": 1.0}]), id="no-time"),
        pytest.param((200, [{"time": "soon"}]), id="bad-time"),
        pytest.param((200, [{"time": "2026-01-03T23:55:00", "power": "x"}]), id="nan"),
    ],
)
async def test_v3_bad_answers_are_sink_errors(
    fake: FakeInflux, http_session: aiohttp.ClientSession, answer: Answer
) -> None:
    fake.answer([answer, (200, [])])

    with pytest.raises(SinkError):
        await fake_sink(http_session, fake, "v3").columns("villa", MEASURES, START, END)


# ---------------------------------------------------------------------------
# v2 and v3 refusals
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("api", "answer", "error"),
    [
        ("v2", (401, {"code": "unauthorized", "message": "unauthorized access"}), SinkAuthError),  # noqa: E501
        ("v2", (403, {"code": "forbidden", "message": "insufficient permissions"}), SinkPermissionError),  # noqa: E501
        ("v2", (404, {"code": "not found", "message": 'failed to initialize execute state: could not find bucket "powertracker"'}), SinkNotFoundError),  # noqa: E501
        ("v2", (404, {"code": "not found", "message": 'organization name "home org" not found'}), SinkNotFoundError),  # noqa: E501
        ("v2", (400, {"code": "invalid", "message": "compilation failed: error at @1:1"}), InfluxRequestError),  # noqa: E501
        ("v2", (500, {"code": "internal error", "message": "engine down"}), SinkUnreachableError),  # noqa: E501
        ("v2", (503, "Service Unavailable"), SinkUnreachableError),
        ("v3", (401, {"error": "invalid token"}), SinkAuthError),
        ("v3", (403, {"error": "token may not read"}), SinkPermissionError),
        ("v3", (404, {"error": "database not found: powertracker"}), SinkNotFoundError),
        ("v3", (400, {"error": "Error during planning: table not found"}), InfluxRequestError),  # noqa: E501
        ("v3", (500, {"error": "query failed"}), SinkUnreachableError),
        ("v3", (502, "Bad Gateway"), SinkUnreachableError),
    ],
)  # fmt: skip
async def test_v2_v3_refusals_map_to_sink_errors(
    fake: FakeInflux,
    http_session: aiohttp.ClientSession,
    api: ApiVersion,
    answer: Answer,
    error: type[SinkError],
) -> None:
    status, body = answer
    echoed = {
        k: f"{v} (token {TOKEN})" if k != "code" else v for k, v in body.items()
    } if isinstance(body, dict) else f"{body} (token {TOKEN})"  # fmt: skip
    fake.answer([(status, echoed), (status, echoed)])
    sink = fake_sink(http_session, fake, api)

    with pytest.raises(error, match=f"HTTP {status}") as read:
        await sink.columns("villa", MEASURES, START, END)
    with pytest.raises(error) as oldest:
        await sink.oldest("villa")

    assert type(read.value) is error
    assert "token ***" in str(read.value)
    assert_no_secret(read.value, oldest.value)
