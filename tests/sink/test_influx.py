"""The InfluxDB sink: a real influxd 1.x, v2/v3 on a loopback fake (the lines
themselves: test_line_protocol.py)."""

from __future__ import annotations

import asyncio
import base64
import ipaddress
import logging
import ssl
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from custom_components.powertracker.sink.influx import (
    MAX_LINES_PER_REQUEST,
    InfluxRequestError,
    InfluxSink,
)
from custom_components.powertracker.sink.line_protocol import line
from custom_components.powertracker.sink.models import (
    Sink,
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
    Recorded,
    assert_no_secret,
    fake_sink,
    reply,
    serve,
)
from tests.sink.samples import T0, T0_S, VALUES, full_sample, sample, series

fake = influx_fake.fake

CONTENT_TYPE = "text/plain; charset=utf-8"


# ---------------------------------------------------------------------------
# Settings and secrets
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"api": "v4"}, "api must be one of"),
        ({"url": "ftp://127.0.0.1"}, "http"),
        ({"url": f"http://admin:{PASSWORD}@127.0.0.1:8086"}, "credentials"),
        ({"url": "http://127.0.0.1:8086/?db=x"}, "query"),
        ({"database": ""}, "database"),
        ({"api": "v2", "token": TOKEN}, "needs org"),
        ({"api": "v2", "org": ORG}, "needs a token"),
        ({"api": "v3", "username": "u", "password": PASSWORD}, "not username"),
        ({"token": TOKEN, "username": "u", "password": PASSWORD}, "not both"),
        ({"password": PASSWORD}, "needs a username"),
        ({"username": "a:b", "password": PASSWORD}, "cannot contain ':'"),
        ({"measurement": "bad\\"}, "backslash"),
        ({"timeout": 0}, "positive"),
    ],
)
async def test_settings_that_cannot_work_raise_without_secrets(
    http_session: aiohttp.ClientSession, settings: dict[str, Any], message: str
) -> None:
    kwargs: dict[str, Any] = {
        "url": "http://127.0.0.1:8086",
        "api": "v1",
        "database": INFLUX_DATABASE,
    }
    with pytest.raises(ValueError, match=message) as err:
        InfluxSink(http_session, **(kwargs | settings))
    assert_no_secret(err.value)


async def test_repr_hides_token_and_password(
    http_session: aiohttp.ClientSession,
) -> None:
    with_token = InfluxSink(
        http_session,
        url="http://127.0.0.1:8086",
        api="v2",
        org=ORG,
        database="bucket",
        token=TOKEN,
    )
    with_password = InfluxSink(
        http_session,
        url="http://127.0.0.1:8086",
        api="v1",
        database=INFLUX_DATABASE,
        username="ada",
        password=PASSWORD,
    )
    assert repr(with_token) == (
        "InfluxSink(url='http://127.0.0.1:8086', api='v2', database='bucket', "
        "org='home org', token='***', measurement='powertracker', verify_ssl=True)"
    )
    assert "username='ada'" in repr(with_password)
    assert "password='***'" in repr(with_password)
    assert_no_secret(repr(with_token), repr(with_password))


async def test_is_a_sink_and_close_leaves_the_session_open(
    http_session: aiohttp.ClientSession,
) -> None:
    sink: Sink = InfluxSink(
        http_session, url="http://127.0.0.1:8086", api="v1", database="db"
    )
    await sink.close()
    assert not http_session.closed


# ---------------------------------------------------------------------------
# InfluxDB 1.x: the real influxd
# ---------------------------------------------------------------------------


def v1_sink(
    session: aiohttp.ClientSession, server: Influxd | str, **settings: Any
) -> InfluxSink:
    url = server if isinstance(server, str) else server.url
    return InfluxSink(session, url=url, api="v1", database=INFLUX_DATABASE, **settings)


async def test_v1_writes_two_homes_and_reads_back_the_same(
    influxdb: Influxd, http_session: aiohttp.ClientSession
) -> None:
    samples = [
        full_sample("villa", T0),
        sample("villa", T0 + timedelta(seconds=10), power=2000, currency="SEK"),
        sample("cabin", T0, power=0.0, accumulated_consumption=3.0),
    ]

    result = await v1_sink(http_session, influxdb).write(samples)

    assert result == WriteResult(written=3, dropped=0)
    rows = await influxdb.rows(http_session, "SELECT * FROM powertracker GROUP BY *")
    nothing = dict.fromkeys(VALUES)
    assert sorted(rows, key=lambda row: (row["time"], row["power"])) == [
        {"time": T0_S, **nothing, "power": 0.0, "accumulated_consumption": 3.0},
        {"time": T0_S, **VALUES},
        {"time": T0_S + 10, **nothing, "power": 2000.0},
    ]
    # The tags, by series (GROUP BY * puts them there).
    (counted,) = await influxdb.query(
        http_session,
        "SELECT count(power) FROM powertracker GROUP BY *",
        db=INFLUX_DATABASE,
    )
    series = counted["series"]
    assert sorted(
        (s["tags"]["home_id"], s["tags"]["currency"], s["values"][0][1]) for s in series
    ) == [("cabin", "", 1), ("villa", "SEK", 2)]
    # Floats every one, even 2000 and 0 (no integer field to conflict later).
    keys = await influxdb.rows(http_session, "SHOW FIELD KEYS FROM powertracker")
    assert {(k["fieldKey"], k["fieldType"]) for k in keys} == {
        (name, "float") for name in VALUES
    }


async def test_v1_writing_again_overwrites_instead_of_adding(
    influxdb: Influxd, http_session: aiohttp.ClientSession
) -> None:
    sink = v1_sink(http_session, influxdb)
    samples = [full_sample("villa"), full_sample("cabin")]

    assert await sink.write(samples) == WriteResult(written=2)
    assert await sink.write(samples) == WriteResult(written=2)
    assert await sink.write([sample("villa", currency="SEK", power=99.0)]) == (
        WriteResult(written=1)
    )

    rows = await influxdb.rows(
        http_session, "SELECT power, consumption_total FROM powertracker GROUP BY *"
    )
    assert sorted((row["power"], row["consumption_total"]) for row in rows) == [
        (99.0, 40123.5),  # villa: power replaced, the other fields kept
        (1234.5, 40123.5),
    ]
    count = await influxdb.rows(http_session, "SELECT count(power) FROM powertracker")
    assert count[0]["count"] == 2


HOSTILE_HOME_IDS = [
    "villa, 1=a\\b",
    "  spaced  out  ",
    "=starts with equals",
    "comma,at,end,",
    "ünïcödé ✓ 家",
    "back\\slashes\\x\\y",
    'quote"d',
]


async def test_v1_hostile_home_ids_and_currency_round_trip_exactly(
    influxdb: Influxd, http_session: aiohttp.ClientSession
) -> None:
    samples = [
        sample(home_id, T0 + timedelta(seconds=index), currency="N O,K=\\x")
        for index, home_id in enumerate(HOSTILE_HOME_IDS)
    ]
    unwritable = [sample("ends\\"), sample("a\\,b"), sample("")]

    result = await v1_sink(http_session, influxdb).write(samples + unwritable)

    assert result == WriteResult(written=len(samples), dropped=len(unwritable))
    rows = await influxdb.rows(
        http_session, "SELECT power, home_id, currency FROM powertracker"
    )
    assert sorted((row["time"], row["home_id"]) for row in rows) == [
        (T0_S + index, home_id) for index, home_id in enumerate(HOSTILE_HOME_IDS)
    ]
    assert {row["currency"] for row in rows} == {"N O,K=\\x"}


async def test_v1_validate_passes_for_an_existing_database(
    influxdb: Influxd, http_session: aiohttp.ClientSession
) -> None:
    await v1_sink(http_session, influxdb).validate()


async def test_v1_missing_database_is_not_found(
    influxdb: Influxd, http_session: aiohttp.ClientSession
) -> None:
    sink = InfluxSink(http_session, url=influxdb.url, api="v1", database="nope")

    with pytest.raises(SinkNotFoundError, match="'nope'") as validated:
        await sink.validate()
    with pytest.raises(SinkNotFoundError, match=r"HTTP 404.*database not found"):
        await sink.write([full_sample()])

    assert validated.value.retryable is False


async def test_v1_closed_port_is_unreachable(
    socket_enabled: None, http_session: aiohttp.ClientSession
) -> None:
    port = free_loopback_port()
    sink = v1_sink(http_session, f"http://127.0.0.1:{port}")

    with pytest.raises(SinkUnreachableError, match=f"127.0.0.1:{port}") as err:
        await sink.validate()
    with pytest.raises(SinkUnreachableError):
        await sink.write([full_sample()])

    assert err.value.retryable is True


async def test_v1_field_type_conflict_is_dropped_not_retried(
    influxdb: Influxd, http_session: aiohttp.ClientSession
) -> None:
    # Someone else wrote `power` as an integer in this week's shard.
    status, _ = await influxdb.write_lp(
        http_session, f"powertracker,home_id=villa power=5i {T0_S}"
    )
    assert status == 204
    conflicting = sample("villa", T0 + timedelta(minutes=1), power=6.0)
    other_shard = sample("villa", datetime(2025, 6, 1, tzinfo=UTC), power=7.0)
    sink = v1_sink(http_session, influxdb)

    first = await sink.write([conflicting, other_shard])
    again = await sink.write([conflicting, other_shard])

    assert first == again == WriteResult(written=1, dropped=1)
    rows = await influxdb.rows(http_session, "SELECT power FROM powertracker")
    assert sorted(row["power"] for row in rows) == [5, 7.0]


async def test_v1_more_than_one_request_of_samples_all_arrive(
    influxdb: Influxd, http_session: aiohttp.ClientSession
) -> None:
    samples = [
        sample("villa", T0 + timedelta(seconds=index), power=float(index))
        for index in range(MAX_LINES_PER_REQUEST + 7)
    ]

    result = await v1_sink(http_session, influxdb).write(samples)

    assert result == WriteResult(written=len(samples))
    count = await influxdb.rows(
        http_session, "SELECT count(power), sum(power) FROM powertracker"
    )
    assert (count[0]["count"], count[0]["sum"]) == (
        len(samples),
        sum(range(len(samples))),
    )


async def test_v1_credentials_checked_without_leaking_them(
    influxdb_auth: Influxd,
    http_session: aiohttp.ClientSession,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = v1_sink(
        http_session, influxdb_auth, username=INFLUX_ADMIN, password=PASSWORD
    )

    with pytest.raises(SinkAuthError, match=r"HTTP 401.*authorization failed") as v:
        await wrong.validate()
    with pytest.raises(SinkAuthError) as w:
        await wrong.write([full_sample()])

    assert v.value.retryable is False
    assert_no_secret(v.value, w.value, repr(wrong))
    assert_no_secret(*(record.getMessage() for record in caplog.records))
    assert any("HTTP 401" in record.getMessage() for record in caplog.records)

    right = v1_sink(
        http_session,
        influxdb_auth,
        username=INFLUX_ADMIN,
        password=INFLUX_ADMIN_PASSWORD,
    )
    await right.validate()
    assert await right.write([full_sample()]) == WriteResult(written=1)
    assert (
        len(await influxdb_auth.rows(http_session, "SELECT * FROM powertracker")) == 1
    )


async def test_v1_users_without_write_privilege(
    influxdb_auth: Influxd, http_session: aiohttp.ClientSession
) -> None:
    for statement in (
        f"CREATE USER reader WITH PASSWORD '{PASSWORD}'",
        f"GRANT READ ON {INFLUX_DATABASE} TO reader",
        f"CREATE USER nobody WITH PASSWORD '{PASSWORD}'",
    ):
        await influxdb_auth.query(http_session, statement)
    reader = v1_sink(http_session, influxdb_auth, username="reader", password=PASSWORD)
    nobody = v1_sink(http_session, influxdb_auth, username="nobody", password=PASSWORD)

    with pytest.raises(SinkPermissionError, match="not authorized to write") as err:
        await reader.validate()
    with pytest.raises(SinkPermissionError):
        await reader.write([full_sample()])
    # InfluxDB lists only the databases a user has privileges on.
    with pytest.raises(SinkNotFoundError, match="may use"):
        await nobody.validate()

    assert err.value.retryable is False
    assert_no_secret(err.value)


# ---------------------------------------------------------------------------
# A loopback fake of InfluxDB's HTTP APIs (v1 token, v2, v3)
# ---------------------------------------------------------------------------


WRITE_SHAPES = {
    "v1": ("/write", {"db": INFLUX_DATABASE, "precision": "s"}, f"Token {TOKEN}"),
    "v2": (
        "/api/v2/write",
        {"org": ORG, "bucket": INFLUX_DATABASE, "precision": "s"},
        f"Token {TOKEN}",
    ),
    "v3": (
        "/api/v3/write_lp",
        {"db": INFLUX_DATABASE, "precision": "second"},
        f"Bearer {TOKEN}",
    ),
}


@pytest.mark.parametrize("api", ["v1", "v2", "v3"])
async def test_write_request(
    fake: FakeInflux, http_session: aiohttp.ClientSession, api: ApiVersion
) -> None:
    samples = [full_sample("villa"), sample("cabin", T0 + timedelta(seconds=1))]

    result = await fake_sink(http_session, fake, api).write(samples)

    assert result == WriteResult(written=2)
    (request,) = fake.requests
    path, query, authorization = WRITE_SHAPES[api]
    assert (request.method, request.path, request.query) == ("POST", path, query)
    assert request.headers["Authorization"] == authorization
    assert request.headers["Content-Type"] == CONTENT_TYPE
    assert request.lines == [
        line(samples[0]),
        f"powertracker,home_id=cabin power=1234.5 {T0_S + 1}",
    ]


async def test_v1_password_goes_in_basic_auth_not_the_url(
    fake: FakeInflux, http_session: aiohttp.ClientSession
) -> None:
    sink = fake_sink(
        http_session, fake, "v1", token=None, username="ada", password=PASSWORD
    )

    await sink.write([full_sample()])

    (request,) = fake.requests
    expected = base64.b64encode(f"ada:{PASSWORD}".encode()).decode()
    assert request.headers["Authorization"] == f"Basic {expected}"
    assert request.query == {"db": INFLUX_DATABASE, "precision": "s"}


async def test_v3_without_token_sends_no_authorization(
    fake: FakeInflux, http_session: aiohttp.ClientSession
) -> None:
    await fake_sink(http_session, fake, "v3", token=None).write([full_sample()])

    assert "Authorization" not in fake.requests[0].headers


async def test_url_path_prefix_is_kept(
    fake: FakeInflux, http_session: aiohttp.ClientSession
) -> None:
    sink = fake_sink(http_session, fake, "v2", url=f"{fake.url}/influx/")

    await sink.write([full_sample()])

    assert fake.requests[0].path == "/influx/api/v2/write"


async def test_nothing_to_write_sends_nothing(
    fake: FakeInflux, http_session: aiohttp.ClientSession
) -> None:
    sink = fake_sink(http_session, fake, "v2")

    assert await sink.write([]) == WriteResult(written=0)
    assert await sink.write([sample(""), sample("x\\")]) == WriteResult(0, 2)
    assert fake.requests == []


async def test_large_batches_go_in_requests_of_5000_lines(
    fake: FakeInflux, http_session: aiohttp.ClientSession
) -> None:
    samples = series("villa", 12_001)

    result = await fake_sink(http_session, fake, "v2").write(samples)

    assert result == WriteResult(written=12_001)
    assert [len(request.lines) for request in fake.requests] == [5000, 5000, 2001]
    sent = [text for request in fake.requests for text in request.lines]
    assert sent == [line(s) for s in samples]


async def test_too_large_requests_are_split_in_halves(
    fake: FakeInflux, http_session: aiohttp.ClientSession
) -> None:
    async def at_most_two_lines(request: Recorded) -> web.Response:
        if len(request.lines) > 2:
            return reply(413, {"error": "Request Entity Too Large"})
        return reply(204)

    fake.responder = at_most_two_lines
    samples = series("villa", 5)

    result = await fake_sink(http_session, fake, "v1").write(samples)

    assert result == WriteResult(written=5)
    assert [len(request.lines) for request in fake.requests] == [5, 2, 3, 1, 2]
    accepted = [t for r in fake.requests if len(r.lines) <= 2 for t in r.lines]
    assert accepted == [line(s) for s in samples]


async def test_a_single_line_too_large_is_dropped(
    fake: FakeInflux, http_session: aiohttp.ClientSession
) -> None:
    async def always_too_large(request: Recorded) -> web.Response:
        return reply(413)

    fake.responder = always_too_large
    samples = series("villa", 3)

    result = await fake_sink(http_session, fake, "v2").write(samples)

    assert result == WriteResult(written=0, dropped=3)
    assert [len(request.lines) for request in fake.requests] == [3, 1, 2, 1, 1]


CONFLICT = (
    'partial write: field type conflict: input field "power" on measurement '
    '"powertracker" is type float, already exists as type integer dropped=1'
)


@pytest.mark.parametrize(
    ("api", "status", "body", "expected"),
    [
        pytest.param(
            "v1", 400, {"error": CONFLICT}, WriteResult(2, 1), id="v1-conflict"
        ),
        pytest.param(
            "v1",
            400,
            {"error": "partial write: unable to parse 'x': invalid number dropped=0"},
            WriteResult(2, 1),
            id="v1-unparsable",
        ),
        pytest.param(
            "v1",
            400,
            {"error": "unable to parse 'x': missing tag value"},
            WriteResult(0, 3),
            id="v1-nothing-parsed",
        ),
        pytest.param(
            "v2",
            422,
            {
                "code": "unprocessable entity",
                "message": "failure writing points to database: "
                + CONFLICT.replace("dropped=1", "dropped=2"),
            },
            WriteResult(1, 2),
            id="v2-conflict",
        ),
        pytest.param(
            "v2",
            400,
            {"code": "invalid", "message": "unable to parse 'x': bad timestamp"},
            WriteResult(0, 3),
            id="v2-unparsable",
        ),
        pytest.param(
            "v3",
            400,
            {
                "error": "partial write of line protocol occurred",
                "data": [
                    {
                        "original_line": "x",
                        "line_number": 2,
                        "error_message": "invalid column type for column 'power'",
                    }
                ],
            },
            WriteResult(2, 1),
            id="v3-partial",
        ),
    ],
)
async def test_refused_data_is_dropped_not_raised(
    fake: FakeInflux,
    http_session: aiohttp.ClientSession,
    caplog: pytest.LogCaptureFixture,
    api: ApiVersion,
    status: int,
    body: dict[str, Any],
    expected: WriteResult,
) -> None:
    fake.answer([(status, body), (status, body)])
    sink = fake_sink(http_session, fake, api)
    samples = series("villa", 3)

    assert await sink.write(samples) == expected
    assert await sink.write(samples) == expected  # the same again, no loop
    assert f"refused {expected.dropped} of 3 samples" in caplog.text


@pytest.mark.parametrize("api", ["v1", "v2", "v3"])
@pytest.mark.parametrize(
    ("status", "body", "error", "retryable"),
    [
        (
            401,
            {"code": "unauthorized", "message": "unauthorized access"},
            SinkAuthError,
            False,
        ),
        (
            403,
            {"error": "insufficient permissions for write"},
            SinkPermissionError,
            False,
        ),
        (
            404,
            {"code": "not found", "message": 'bucket "x" not found'},
            SinkNotFoundError,
            False,
        ),
        (404, {"error": 'database not found: "x"'}, SinkNotFoundError, False),
        (404, "404 page not found", InfluxRequestError, False),
        (
            400,
            {"code": "invalid", "message": "invalid bucket name"},
            InfluxRequestError,
            False,
        ),
        (408, None, SinkUnreachableError, True),
        (
            429,
            {"code": "too many requests", "message": "slow down"},
            SinkUnreachableError,
            True,
        ),
        (500, {"error": "engine: timeout"}, SinkUnreachableError, True),
        (503, "Service Unavailable", SinkUnreachableError, True),
    ],
)
async def test_write_refusals_map_to_sink_errors(
    fake: FakeInflux,
    http_session: aiohttp.ClientSession,
    api: ApiVersion,
    status: int,
    body: Any,
    error: type[SinkError],
    retryable: bool,
) -> None:
    fake.answer([(status, body)])

    with pytest.raises(error) as raised:
        await fake_sink(http_session, fake, api).write([full_sample()])

    assert type(raised.value) is error
    assert raised.value.retryable is retryable
    message = str(raised.value)
    assert f"HTTP {status}" in message
    if isinstance(body, str):
        assert body in message
    elif body is not None:
        assert next(v for k, v in body.items() if k != "code") in message
    assert_no_secret(message)


async def test_error_text_is_short_and_redacted(
    fake: FakeInflux,
    http_session: aiohttp.ClientSession,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    echoed = f"token {TOKEN} is not valid; " + "x" * 5000
    fake.answer([(401, {"error": echoed}), (500, {"error": echoed})])
    sink = fake_sink(http_session, fake, "v3")

    with pytest.raises(SinkAuthError) as auth:
        await sink.write([full_sample()])
    with pytest.raises(SinkUnreachableError) as server:
        await sink.write([full_sample()])

    for err in (auth.value, server.value):
        assert "token *** is not valid" in str(err)
        assert len(str(err)) < 300
        assert str(err).endswith("…)")
    logged = [record.getMessage() for record in caplog.records]
    assert any("HTTP 500" in message for message in logged)
    assert_no_secret(auth.value, server.value, *logged)


async def test_timeout_is_unreachable(
    fake: FakeInflux, http_session: aiohttp.ClientSession
) -> None:
    async def hang(request: Recorded) -> web.Response:
        await asyncio.wait_for(fake.release.wait(), 5)
        return reply(204)

    fake.responder = hang
    sink = fake_sink(http_session, fake, "v2", timeout=0.2)

    with pytest.raises(SinkUnreachableError, match=r"did not answer within 0\.2 s"):
        await sink.write([full_sample()])
    fake.release.set()


async def test_https_to_a_plain_http_server_is_unreachable(
    fake: FakeInflux, http_session: aiohttp.ClientSession
) -> None:
    sink = fake_sink(http_session, fake, "v3", url=fake.url.replace("http", "https"))

    with pytest.raises(SinkUnreachableError) as err:
        await sink.validate()
    assert_no_secret(err.value)


def _self_signed(directory: Path) -> ssl.SSLContext:
    """A server TLS context with a fresh self-signed certificate for 127.0.0.1."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.IPv4Address("127.0.0.1"))]
            ),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_file = directory / "cert.pem"
    key_file = directory / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    return context


async def test_tls_certificate_checked_unless_told_not_to(
    socket_enabled: None, http_session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    async with serve(FakeInflux(), _self_signed(tmp_path)) as tls:
        checking = fake_sink(http_session, tls, "v2")
        trusting = fake_sink(http_session, tls, "v2", verify_ssl=False)

        with pytest.raises(SinkUnreachableError, match="certificate"):
            await checking.write([full_sample()])
        assert tls.requests == []
        assert await trusting.write([full_sample()]) == WriteResult(written=1)
        assert len(tls.requests) == 1


# ---------------------------------------------------------------------------
# validate() against the fake: v1 with a token, v2, v3
# ---------------------------------------------------------------------------


async def test_v1_validate_requests(
    fake: FakeInflux, http_session: aiohttp.ClientSession
) -> None:
    databases = {
        "name": "databases",
        "columns": ["name"],
        "values": [["_internal"], [INFLUX_DATABASE]],
    }
    fake.answer(
        [
            (204, None),
            (200, {"results": [{"statement_id": 0, "series": [databases]}]}),
            (204, None),
        ]
    )

    await fake_sink(http_session, fake, "v1").validate()

    ping, query, probe = fake.requests
    assert (ping.method, ping.path) == ("GET", "/ping")
    assert (query.method, query.path) == ("POST", "/query")
    assert query.body == b"q=SHOW+DATABASES"
    assert (probe.method, probe.path, probe.body) == ("POST", "/write", b"")
    assert probe.query == {"db": INFLUX_DATABASE, "precision": "s"}
    assert {r.headers["Authorization"] for r in fake.requests} == {f"Token {TOKEN}"}


BUCKETS = {"buckets": [{"id": "0a1b", "name": INFLUX_DATABASE, "orgID": "9f"}]}
NO_BUCKETS: dict[str, list[Any]] = {"buckets": []}
NEEDS_POINTS = {"code": "invalid", "message": "writing requires points"}


@pytest.mark.parametrize(
    ("buckets", "probe"),
    [
        pytest.param((200, BUCKETS), (400, NEEDS_POINTS), id="listed"),
        pytest.param((200, NO_BUCKETS), (204, None), id="write-only-token"),
    ],
)
async def test_v2_validate_passes(
    fake: FakeInflux,
    http_session: aiohttp.ClientSession,
    buckets: Answer,
    probe: Answer,
) -> None:
    fake.answer([buckets, probe])

    await fake_sink(http_session, fake, "v2").validate()

    lookup, write = fake.requests
    assert (lookup.method, lookup.path) == ("GET", "/api/v2/buckets")
    assert lookup.query == {"org": ORG, "name": INFLUX_DATABASE}
    assert (write.method, write.path, write.body) == ("POST", "/api/v2/write", b"")
    assert write.query == {"org": ORG, "bucket": INFLUX_DATABASE, "precision": "s"}
    assert {r.headers["Authorization"] for r in fake.requests} == {f"Token {TOKEN}"}


DATABASES = [{"iox::database": "_internal"}, {"iox::database": INFLUX_DATABASE}]


async def test_v3_validate_passes(
    fake: FakeInflux, http_session: aiohttp.ClientSession
) -> None:
    fake.answer([(200, DATABASES)])

    await fake_sink(http_session, fake, "v3").validate()

    (request,) = fake.requests
    assert (request.method, request.path) == ("GET", "/api/v3/configure/database")
    assert request.query == {"format": "json"}
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"


@pytest.mark.parametrize(
    ("api", "replies", "error", "match"),
    [
        pytest.param(
            "v2",
            [(401, {"code": "unauthorized", "message": "unauthorized access"})],
            SinkAuthError,
            "unauthorized access",
            id="v2-bad-token",
        ),
        pytest.param(
            "v2",
            [
                (
                    404,
                    {
                        "code": "not found",
                        "message": 'organization name "home org" not found',
                    },
                )
            ],
            SinkNotFoundError,
            "organization",
            id="v2-no-org",
        ),
        pytest.param(
            "v2",
            [
                (200, NO_BUCKETS),
                (
                    404,
                    {"code": "not found", "message": 'bucket "powertracker" not found'},
                ),
            ],
            SinkNotFoundError,
            "bucket",
            id="v2-no-bucket",
        ),
        pytest.param(
            "v2",
            [
                (200, BUCKETS),
                (
                    403,
                    {
                        "code": "forbidden",
                        "message": "insufficient permissions for write",
                    },
                ),
            ],
            SinkPermissionError,
            "insufficient permissions",
            id="v2-read-only-token",
        ),
        pytest.param(
            "v2",
            [(404, "404 page not found")],
            InfluxRequestError,
            r"API version \(v2\)",
            id="v2-not-a-v2-server",
        ),
        pytest.param(
            "v2",
            [(200, {"results": []})],
            InfluxRequestError,
            "unexpected bucket list",
            id="v2-not-a-bucket-list",
        ),
        ("v3", [(200, DATABASES[:1])], SinkNotFoundError, "database 'powertracker'"),
        ("v3", [(401, {"error": "invalid token"})], SinkAuthError, "HTTP 401"),
        ("v3", [(403, {"error": "may not list"})], SinkPermissionError, "HTTP 403"),
        ("v3", [(500, "boom")], SinkUnreachableError, "HTTP 500: boom"),
        ("v3", [(200, {"databases": {}})], InfluxRequestError, "unexpected database"),
    ],
)
async def test_validate_fails(
    fake: FakeInflux,
    http_session: aiohttp.ClientSession,
    api: ApiVersion,
    replies: list[Answer],
    error: type[SinkError],
    match: str,
) -> None:
    fake.answer(replies)

    with pytest.raises(error, match=match) as raised:
        await fake_sink(http_session, fake, api).validate()

    assert type(raised.value) is error
    assert len(fake.requests) == len(replies)
    assert_no_secret(raised.value)
