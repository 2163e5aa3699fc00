"""The Timestream sink against moto on 127.0.0.1, and its error paths stubbed."""

from __future__ import annotations

import builtins
import logging
import os
import ssl
import threading
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import NoCredentialsError  # type: ignore[import-untyped]
from botocore.stub import Stubber  # type: ignore[import-untyped]
from freezegun.api import FrozenDateTimeFactory
from homeassistant import block_async_io

from custom_components.powertracker.sink.aws import (
    AwsConfigError,
    _ChainInThread,
    _tls_context,
)
from custom_components.powertracker.sink.models import (
    Sample,
    SinkAuthError,
    SinkError,
    SinkNotFoundError,
    SinkPermissionError,
    SinkUnreachableError,
    WriteResult,
)
from custom_components.powertracker.sink.timestream import TimestreamSink
from loopback.influxd import free_loopback_port
from tests.sink import timestream_server
from tests.sink.samples import T0, T0_S, VALUES, full_sample, sample, series
from tests.sink.timestream_server import (
    FAKE_KEY,
    REGION,
    CallLog,
    MotoTimestream,
    aws_client,
    json_response,
)

LOOP_LOGGER = "homeassistant.util.loop"
"""Where Home Assistant reports a blocking call in the event loop."""

moto_server = timestream_server.moto_server
moto = timestream_server.moto
names = timestream_server.names
no_aws_credentials = timestream_server.no_aws_credentials

KEY_ID = "AKIAPOWERTRACKER0TEST"
SECRET = "pt/Secret+Key/0123456789abcdefghijklmnopq"
T0_MS = T0_S * 1000
VILLA = "home-villa-1"
CABIN = "home-cabin-2"
SINK_LOGGER = "custom_components.powertracker.sink.timestream"
NOT_FOUND = "ResourceNotFoundException"
CONFLICT = "ConflictException"


# ---------------------------------------------------------------------------
# fixtures
# ---------------------------------------------------------------------------


@dataclass
class Sleeps:
    """An injected `sleep` that records instead of waiting."""

    delays: list[float] = field(default_factory=list)

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


@pytest.fixture
def sleeps() -> Sleeps:
    """The back-off delays the sinks of a test asked for."""
    return Sleeps()


def offline_sink(**overrides: Any) -> TimestreamSink:
    """A sink of "pt_db"."pt_tbl" with a real-looking key pair and `overrides`."""
    settings: dict[str, Any] = {
        "region": REGION,
        "database": "pt_db",
        "table": "pt_tbl",
        "access_key_id": KEY_ID,
        "secret_access_key": SECRET,
    }
    return TimestreamSink(**(settings | overrides))


@dataclass
class MotoTable:
    """This test's database and table in moto, and the sinks made of them."""

    moto: MotoTimestream
    database: str
    table: str
    sleeps: Sleeps
    made: list[TimestreamSink] = field(default_factory=list)

    def sink(self, **overrides: Any) -> TimestreamSink:
        """A sink of the table in moto (fake key pair); closed at the end."""
        settings = {
            "database": self.database,
            "table": self.table,
            "access_key_id": FAKE_KEY,
            "secret_access_key": FAKE_KEY,
            "endpoint_url": self.moto.url,
            "sleep": self.sleeps,
        }
        sink = offline_sink(**(settings | overrides))
        self.made.append(sink)
        return sink

    async def validated(self, **overrides: Any) -> TimestreamSink:
        """A sink whose `validate()` has passed."""
        sink = self.sink(**overrides)
        await sink.validate()
        return sink

    def exists(self) -> bool:
        """Whether moto holds the database."""
        return self.moto.has_database(self.database)

    @property
    def records(self) -> list[dict[str, Any]]:
        """What moto stored in the table, in order."""
        return self.moto.table(self.database, self.table).records

    def settings(self) -> tuple[int, int, bool]:
        """(memory hours, magnetic days, magnetic writes) of the table."""
        return self.moto.settings(self.database, self.table)


@pytest.fixture
async def moto_table(
    moto: MotoTimestream, names: tuple[str, str], sleeps: Sleeps
) -> AsyncIterator[MotoTable]:
    """This test's table in moto (not created yet)."""
    table = MotoTable(moto, *names, sleeps)
    yield table
    for sink in table.made:
        await sink.close()


@pytest.fixture
async def aws(moto: MotoTimestream) -> AsyncIterator[Any]:
    """A separate aiobotocore client of moto, to set up state."""
    async with aws_client(moto.url) as client:
        yield client


@dataclass
class Stubbed:
    """A sink whose client answers from a botocore Stubber (no network)."""

    sink: TimestreamSink
    stubber: Any
    sleeps: Sleeps


@pytest.fixture
async def stubbed(sleeps: Sleeps) -> AsyncIterator[Stubbed]:
    """A sink with a real key pair, its client stubbed; all answers must be used."""
    # Never contacted: the Stubber answers before anything is sent.
    sink = offline_sink(endpoint_url="http://127.0.0.1:9", sleep=sleeps)
    stubber = Stubber(await sink._aws.client())
    stubber.activate()
    yield Stubbed(sink, stubber, sleeps)
    stubber.deactivate()
    await sink.close()
    stubber.assert_no_pending_responses()


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------


def update_table(
    database: str = "pt_db",
    table: str = "pt_tbl",
    hours: int = 48,
    days: int = 730,
    **magnetic: Any,
) -> dict[str, Any]:
    """UpdateTable's parameters (magnetic writes on unless `magnetic` says)."""
    return {
        "DatabaseName": database,
        "TableName": table,
        "RetentionProperties": {
            "MemoryStoreRetentionPeriodInHours": hours,
            "MagneticStoreRetentionPeriodInDays": days,
        },
        "MagneticStoreWriteProperties": {"EnableMagneticStoreWrites": True, **magnetic},
    }


def table_answer(hours: int = 48, days: int = 730, **magnetic: Any) -> dict[str, Any]:
    """A DescribeTable (or UpdateTable) answer about "pt_db"."pt_tbl"."""
    arn = f"arn:aws:timestream:{REGION}:123456789012:database/pt_db/table/pt_tbl"
    settings = update_table(hours=hours, days=days, **magnetic)
    return {"Table": {"Arn": arn, "TableStatus": "ACTIVE", **settings}}


DATABASE_ANSWER = {"Database": {"DatabaseName": "pt_db"}}


def ingested(count: int) -> dict[str, Any]:
    """A WriteRecords answer."""
    return {"RecordsIngested": {"Total": count, "MemoryStore": count}}


@dataclass(frozen=True)
class Fail:
    """An AWS error answer for the Stubber."""

    code: str
    status: int = 400
    message: str = ""
    modeled: dict[str, Any] | None = None


def stub(stubber: Any, method: str, *answers: dict[str, Any] | Fail) -> None:
    """Queue `answers` to `method`, in turn: a dict answers, a `Fail` refuses."""
    for answer in answers:
        if isinstance(answer, Fail):
            stubber.add_client_error(
                method,
                service_error_code=answer.code,
                service_message=answer.message or f"{answer.code} from the stub",
                http_status_code=answer.status,
                modeled_fields=answer.modeled,
            )
        else:
            stubber.add_response(method, answer)


def sink_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The sink's warnings, in order."""
    return [
        r.message
        for r in caplog.records
        if r.name == SINK_LOGGER and r.levelno == logging.WARNING
    ]


def doubles(**values: float) -> list[dict[str, str]]:
    """A record's DOUBLE measure values, in the order given."""
    return [{"Name": k, "Value": str(v), "Type": "DOUBLE"} for k, v in values.items()]


# ---------------------------------------------------------------------------
# provisioning against moto
# ---------------------------------------------------------------------------


async def test_validate_creates_database_and_table(moto_table: MotoTable) -> None:
    sink = moto_table.sink()
    log = await CallLog.of(sink)

    await sink.validate()

    # endpoint_url set: no DescribeEndpoints (botocore skips discovery).
    assert log.operations == [
        "DescribeDatabase",
        "CreateDatabase",
        "DescribeTable",
        "CreateTable",
    ]
    assert moto_table.exists()
    assert moto_table.settings() == (48, 730, True)


async def test_second_validate_only_describes(moto_table: MotoTable) -> None:
    sink = await moto_table.validated()
    assert await sink.write([sample(VILLA)]) == WriteResult(written=1)
    log = await CallLog.of(sink)

    await sink.validate()
    await moto_table.sink().validate()  # a new sink, same settings

    assert log.operations == ["DescribeDatabase", "DescribeTable"]
    # moto replaces a table on CreateTable: the record survived, so nothing was.
    assert len(moto_table.records) == 1


@pytest.mark.parametrize(
    ("first", "changed", "expected"),
    [
        pytest.param(
            {},
            {
                "memory_retention_hours": 24,
                "magnetic_retention_days": 365,
                "magnetic_writes": False,
            },
            (24, 365, False),
            id="all-settings",
        ),
        pytest.param(
            {"magnetic_writes": False},
            {"magnetic_writes": True},
            (48, 730, True),
            id="only-magnetic-writes",
        ),
    ],
)
async def test_changed_settings_are_reconciled(
    moto_table: MotoTable,
    first: dict[str, Any],
    changed: dict[str, Any],
    expected: tuple[int, int, bool],
) -> None:
    await moto_table.validated(**first)
    sink = moto_table.sink(**changed)
    log = await CallLog.of(sink)

    await sink.validate()
    await sink.validate()

    assert log.operations == [
        "DescribeDatabase",
        "DescribeTable",
        "UpdateTable",
        "DescribeDatabase",
        "DescribeTable",
    ]
    hours, days, magnetic = expected
    assert log.calls[2][1] == update_table(
        moto_table.database,
        moto_table.table,
        hours,
        days,
        EnableMagneticStoreWrites=magnetic,
    )
    assert moto_table.settings() == expected


async def test_create_off_and_missing_table_is_not_found(
    moto_table: MotoTable, aws: Any
) -> None:
    database, table = moto_table.database, moto_table.table
    sink = moto_table.sink(create=False)

    with pytest.raises(SinkNotFoundError, match="database") as missing_db:
        await sink.validate()
    assert not moto_table.exists()
    assert missing_db.value.retryable is False

    await aws.create_database(DatabaseName=database)
    with pytest.raises(SinkNotFoundError, match="table") as missing_table:
        await sink.validate()
    assert table not in moto_table.moto.backend().databases[database].tables
    assert f"{database}.{table}" in str(missing_table.value)


async def test_create_off_leaves_a_differing_table_alone(
    moto_table: MotoTable, caplog: pytest.LogCaptureFixture
) -> None:
    await moto_table.validated()
    hands_off = moto_table.sink(create=False, memory_retention_hours=12)
    log = await CallLog.of(hands_off)

    await hands_off.validate()

    assert log.operations == ["DescribeDatabase", "DescribeTable"]
    assert moto_table.settings() == (48, 730, True)
    assert any(moto_table.table in warning for warning in sink_warnings(caplog))


async def test_default_credential_chain(
    moto_table: MotoTable, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", FAKE_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", FAKE_KEY)
    sink = moto_table.sink(access_key_id=None, secret_access_key=None)

    await sink.validate()

    assert moto_table.exists()
    assert "default chain" in repr(sink)


async def test_empty_fields_mean_not_given() -> None:
    sink = offline_sink(access_key_id="", secret_access_key="", endpoint_url="")

    assert sink.access_key_id is None
    assert sink.endpoint_url is None
    assert "default chain" in repr(sink)


async def test_no_credentials_anywhere_is_an_auth_error(
    moto_table: MotoTable, no_aws_credentials: None
) -> None:
    sink = moto_table.sink(access_key_id=None, secret_access_key=None)

    with pytest.raises(SinkAuthError, match="no AWS credentials") as caught:
        await sink.validate()

    assert caught.value.retryable is False
    assert not moto_table.exists()


# ---------------------------------------------------------------------------
# writes against moto
# ---------------------------------------------------------------------------


async def test_write_250_samples_of_two_homes(moto_table: MotoTable) -> None:
    sink = await moto_table.validated()
    homes = [VILLA if i % 2 else CABIN for i in range(250)]
    samples = [
        full_sample(home, T0 + timedelta(seconds=i)) for i, home in enumerate(homes)
    ]
    log = await CallLog.of(sink)

    result = await sink.write(samples)

    assert result == WriteResult(written=250, dropped=0)
    assert log.operations == ["WriteRecords"] * 3
    assert [len(params["Records"]) for _, params in log.calls] == [100, 100, 50]
    assert moto_table.records == [
        {
            "Dimensions": [{"Name": "home_id", "Value": home}],
            "MeasureName": "powertracker",
            "MeasureValueType": "MULTI",
            "MeasureValues": [
                *doubles(**VALUES),
                {"Name": "currency", "Value": "SEK", "Type": "VARCHAR"},
            ],
            "Time": str(T0_MS + 1000 * i),
            "TimeUnit": "MILLISECONDS",
            "Version": 1,
        }
        for i, home in enumerate(homes)
    ]


async def test_record_fields_times_and_unstorable_samples(
    moto_table: MotoTable, caplog: pytest.LogCaptureFixture
) -> None:
    sink = await moto_table.validated()
    cet = timezone(timedelta(hours=1))
    samples = [
        # Only power; a local time with microseconds (truncated to ms).
        sample(VILLA, datetime(2026, 11, 28, 13, 34, 56, 123_987, tzinfo=cet)),
        # Production values; a NaN cost is left out, an empty currency too.
        sample(
            CABIN,
            power=0.0,
            accumulated_cost=float("nan"),
            currency="",
            power_production=2300.0,
            accumulated_production=4.75,
        ),
        # Nothing finite to store: dropped and counted.
        sample(VILLA, power=float("inf")),
        # A naive time: cannot be placed, dropped and counted.
        sample(VILLA, datetime(2026, 11, 28, 12, 0)),  # noqa: DTZ001
        # No home: dropped and counted.
        sample(""),
    ]

    result = await sink.write(samples)

    assert result == WriteResult(written=2, dropped=3)
    villa, cabin = moto_table.records
    assert villa["Time"] == str(T0_MS + 123)
    assert villa["MeasureValues"] == doubles(power=1234.5)
    assert cabin["Dimensions"] == [{"Name": "home_id", "Value": CABIN}]
    assert cabin["Time"] == str(T0_MS)
    assert cabin["MeasureValues"] == doubles(
        power=0.0, power_production=2300.0, accumulated_production=4.75
    )
    assert any("3 sample" in warning for warning in sink_warnings(caplog))


async def test_a_resend_sends_identical_records(moto_table: MotoTable) -> None:
    """Same version, same values: Timestream treats the re-send as a no-op.

    moto keeps duplicates (it does not model versions), so this checks what
    Timestream's idempotence rests on: the same samples give the same records.
    """
    sink = await moto_table.validated()
    samples = series(VILLA, 3)

    await sink.write(samples)
    await moto_table.sink().write(samples)

    stored = moto_table.records
    assert len(stored) == 6
    assert stored[:3] == stored[3:]
    assert {record["Version"] for record in stored} == {1}


async def test_nothing_to_write_connects_nowhere(socket_enabled: None) -> None:
    sink = offline_sink(endpoint_url=f"http://127.0.0.1:{free_loopback_port()}")

    assert await sink.write([]) == WriteResult(written=0, dropped=0)
    assert await sink.write([Sample(VILLA, T0, float("nan"))]) == WriteResult(0, 1)
    await sink.close()


async def test_close_then_write_again(moto_table: MotoTable) -> None:
    sink = await moto_table.validated()
    await sink.close()
    await sink.close()  # twice is fine

    assert await sink.write([sample(VILLA)]) == WriteResult(written=1)
    assert len(moto_table.records) == 1


# ---------------------------------------------------------------------------
# error paths, stubbed
# ---------------------------------------------------------------------------

S3_LOCATION = {"S3Configuration": {"BucketName": "rejects", "ObjectKeyPrefix": "pt"}}


@pytest.mark.parametrize(
    ("steps", "update"),
    [
        pytest.param(
            [
                ("describe_database", Fail(NOT_FOUND)),
                ("create_database", Fail(CONFLICT)),
                ("describe_table", table_answer()),
            ],
            None,
            id="database-created-meanwhile",
        ),
        pytest.param(
            [
                ("describe_database", DATABASE_ANSWER),
                ("describe_table", Fail(NOT_FOUND)),
                ("create_table", Fail(CONFLICT)),
                ("describe_table", table_answer(hours=6)),
            ],
            update_table(),
            id="table-created-meanwhile-is-reconciled",
        ),
        pytest.param(
            [
                ("describe_database", DATABASE_ANSWER),
                (
                    "describe_table",
                    table_answer(
                        days=365, MagneticStoreRejectedDataLocation=S3_LOCATION
                    ),
                ),
            ],
            update_table(MagneticStoreRejectedDataLocation=S3_LOCATION),
            id="update-keeps-the-s3-location-of-rejections",
        ),
    ],
)
async def test_validate_copes_with_others_and_reconciles(
    stubbed: Stubbed,
    steps: list[tuple[str, dict[str, Any] | Fail]],
    update: dict[str, Any] | None,
) -> None:
    for method, answer in steps:
        stub(stubbed.stubber, method, answer)
    if update is not None:  # the Stubber checks the parameters
        stubbed.stubber.add_response("update_table", table_answer(), update)

    await stubbed.sink.validate()

    stubbed.stubber.assert_no_pending_responses()


REJECTED = Fail(
    "RejectedRecordsException",
    message="One or more records have been rejected. See RejectedRecords.",
    modeled={
        "RejectedRecords": [
            {
                "RecordIndex": 3,
                "Reason": "A record with the same time, dimensions and measure name "
                "already exists with a different value and an equal or higher version.",
                "ExistingVersion": 1,
            },
            {
                "RecordIndex": 7,
                "Reason": "The record timestamp is outside the time range "
                "[2026-11-26T12:00:00Z, 2026-11-28T12:15:00Z) of the memory store.",
            },
        ]
    },
)
THROTTLED = Fail("ThrottlingException")


@pytest.mark.parametrize(
    ("answers", "count", "expected", "retries", "warned"),
    [
        # The retention rejection is worth a warning; the version conflict is not.
        pytest.param(
            [REJECTED, ingested(50)],
            150,
            WriteResult(written=148, dropped=2),
            0,
            "outside the time range",
            id="rejected-records-dropped-the-rest-written",
        ),
        pytest.param(
            [Fail("RejectedRecordsException")],
            5,
            WriteResult(written=0, dropped=5),
            0,
            "without saying which",
            id="rejection-without-a-list-drops-the-request",
        ),
        pytest.param(
            [
                Fail("ValidationException", message="Measure name pt is reserved"),
                ingested(20),
            ],
            120,
            WriteResult(written=20, dropped=100),
            0,
            "is reserved",
            id="invalid-request-dropped-only",
        ),
        pytest.param(
            [THROTTLED, THROTTLED, ingested(10)],
            10,
            WriteResult(written=10),
            2,
            None,
            id="throttled-twice-then-written",
        ),
        pytest.param(
            [
                Fail("InternalServerException", 500),
                Fail("ServiceUnavailable", 503),
                ingested(1),
            ],
            1,
            WriteResult(written=1),
            2,
            None,
            id="server-faults-are-retried",
        ),
    ],
)
async def test_write_outcomes(
    stubbed: Stubbed,
    caplog: pytest.LogCaptureFixture,
    answers: list[dict[str, Any] | Fail],
    count: int,
    expected: WriteResult,
    retries: int,
    warned: str | None,
) -> None:
    stub(stubbed.stubber, "write_records", *answers)

    assert await stubbed.sink.write(series(VILLA, count)) == expected

    # Half to all of 0.5 s, then of 1 s: growing, jittered, bounded.
    assert len(stubbed.sleeps.delays) == retries
    for attempt, delay in enumerate(stubbed.sleeps.delays):
        assert 0.25 * 2**attempt <= delay <= 0.5 * 2**attempt
    warnings = sink_warnings(caplog)
    if warned is None:
        assert warnings == []
    else:
        (warning,) = warnings
        assert warned in warning


@pytest.mark.parametrize(
    ("code", "status", "error", "attempts"),
    [
        ("ThrottlingException", 400, SinkUnreachableError, 3),
        ("InternalServerException", 500, SinkUnreachableError, 3),
        ("UnrecognizedClientException", 400, SinkAuthError, 1),
        ("AccessDeniedException", 403, SinkPermissionError, 1),
        (NOT_FOUND, 400, SinkNotFoundError, 1),
    ],
)
@pytest.mark.parametrize("batches", [1, 2])
async def test_write_failures_raise_once_retrying_cannot_help(
    stubbed: Stubbed,
    code: str,
    status: int,
    error: type[SinkError],
    attempts: int,
    batches: int,
) -> None:
    """Also after an earlier batch was written: the outbox re-sends all, and the
    written batch is then an idempotent no-op."""
    if batches == 2:
        stub(stubbed.stubber, "write_records", ingested(100))
    stub(stubbed.stubber, "write_records", *[Fail(code, status)] * attempts)

    with pytest.raises(error, match=f"WriteRecords failed: {code}") as caught:
        await stubbed.sink.write(series(VILLA, 100 * batches - 99))

    assert type(caught.value) is error
    assert len(stubbed.sleeps.delays) == attempts - 1


@pytest.mark.parametrize(("jitter", "expected"), [(0.0, [0.25, 0.5]), (0.999, None)])
async def test_backoff_bounds_follow_the_jitter(
    sleeps: Sleeps, jitter: float, expected: list[float] | None
) -> None:
    sink = offline_sink(
        endpoint_url="http://127.0.0.1:9", sleep=sleeps, jitter=lambda: jitter
    )
    stubber = Stubber(await sink._aws.client())
    stub(stubber, "write_records", *[THROTTLED] * 3)
    with stubber, pytest.raises(SinkUnreachableError):
        await sink.write([sample(VILLA)])
    await sink.close()

    if expected is not None:
        assert sleeps.delays == expected
    else:
        assert sleeps.delays == pytest.approx([0.4998, 0.9995], abs=1e-3)


@pytest.mark.parametrize(
    ("code", "status", "error", "retryable"),
    [
        ("UnrecognizedClientException", 400, SinkAuthError, False),
        ("InvalidSignatureException", 403, SinkAuthError, False),
        ("ExpiredTokenException", 400, SinkAuthError, False),
        ("AccessDeniedException", 403, SinkPermissionError, False),
        ("ThrottlingException", 400, SinkUnreachableError, True),
        ("InternalServerException", 500, SinkUnreachableError, True),
        ("SomethingNewException", 502, SinkUnreachableError, True),
        ("ServiceQuotaExceededException", 402, SinkError, True),
    ],
)
async def test_validate_maps_errors(
    stubbed: Stubbed,
    code: str,
    status: int,
    error: type[SinkError],
    retryable: bool,
) -> None:
    stub(stubbed.stubber, "describe_database", Fail(code, status))

    with pytest.raises(SinkError) as caught:
        await stubbed.sink.validate()

    assert type(caught.value) is error
    assert caught.value.retryable is retryable
    assert "DescribeDatabase" in str(caught.value)
    assert code in str(caught.value)
    assert f"HTTP {status}" in str(caught.value)


async def test_access_denied_while_creating_is_a_permission_error(
    stubbed: Stubbed,
) -> None:
    message = (
        f"User: arn:aws:iam::123456789012:user/pt is not authorized to perform: "
        f"timestream:CreateTable (key {KEY_ID})"
    )
    stub(stubbed.stubber, "describe_database", DATABASE_ANSWER)
    stub(stubbed.stubber, "describe_table", Fail(NOT_FOUND))
    stub(stubbed.stubber, "create_table", Fail("AccessDeniedException", 403, message))

    with pytest.raises(SinkPermissionError) as caught:
        await stubbed.sink.validate()

    text = str(caught.value)
    assert "CreateTable failed: AccessDeniedException" in text
    assert "timestream:CreateTable" in text  # AWS's hint is passed on...
    assert KEY_ID not in text  # ...with the key masked


async def test_closed_port_is_unreachable(socket_enabled: None, sleeps: Sleeps) -> None:
    sink = offline_sink(
        endpoint_url=f"http://127.0.0.1:{free_loopback_port()}", sleep=sleeps
    )

    with pytest.raises(SinkUnreachableError, match="DescribeDatabase got no answer"):
        await sink.validate()
    with pytest.raises(SinkUnreachableError, match="WriteRecords got no answer"):
        await sink.write([sample(VILLA)])
    await sink.close()

    assert sleeps.delays == []


# ---------------------------------------------------------------------------
# endpoints, secrets, the event loop
# ---------------------------------------------------------------------------


async def test_endpoint_discovery_stays_on_without_endpoint_url() -> None:
    """Production clients ask DescribeEndpoints first and use the cell it names."""
    sink = offline_sink()
    client = await sink._aws.client()
    sent: list[tuple[str, str]] = []
    cell = f"ingest-cell7.timestream.{REGION}.amazonaws.com"

    def answer(request: Any, **_: Any) -> Any:
        target = request.headers["X-Amz-Target"].decode()
        sent.append((request.url, target.rsplit(".", 1)[1]))
        body: dict[str, Any]
        if target.endswith("DescribeEndpoints"):
            body = {"Endpoints": [{"Address": cell, "CachePeriodInMinutes": 1440}]}
        elif target.endswith("DescribeDatabase"):
            body = DATABASE_ANSWER
        else:
            body = table_answer()
        return json_response(request.url, body)

    # A before-send hook answers in place of the network.
    client.meta.events.register("before-send.timestream-write", answer)
    await sink.validate()
    await sink.close()

    assert sent == [
        (f"https://ingest.timestream.{REGION}.amazonaws.com/", "DescribeEndpoints"),
        (f"https://{cell}", "DescribeDatabase"),
        (f"https://{cell}", "DescribeTable"),
    ]


async def test_repr_hides_the_secret() -> None:
    sink = offline_sink()

    assert SECRET not in repr(sink)
    assert KEY_ID not in repr(sink)
    assert "pt_db" in repr(sink)
    assert "access key" in repr(sink)


async def test_a_malformed_region_is_a_settings_error() -> None:
    sink = offline_sink(region="eu west 1")

    with pytest.raises(AwsConfigError, match="region_name 'eu west 1'") as caught:
        await sink.validate()

    assert caught.value.retryable is False
    await sink.close()


async def test_an_unreadable_ca_bundle_is_a_settings_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("AWS_CA_BUNDLE", str(tmp_path / "missing.pem"))
    sink = offline_sink()

    with pytest.raises(AwsConfigError, match="set-up failed"):
        await sink.validate()
    await sink.close()


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"secret_access_key": None}, "both"),
        ({"memory_retention_hours": 0}, "memory_retention_hours"),
        ({"magnetic_retention_days": 73001}, "magnetic_retention_days"),
        ({"memory_retention_hours": 24.5}, "whole number"),
        ({"memory_retention_hours": float("nan")}, "whole number"),
        ({"memory_retention_hours": float("inf")}, "whole number"),
    ],
)
def test_settings_are_checked(settings: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        offline_sink(**settings)


async def test_whole_float_retention_from_a_form_is_sent_as_integers(
    moto_table: MotoTable,
) -> None:
    """Home Assistant's number selectors give floats; AWS wants integers."""
    sink = moto_table.sink(memory_retention_hours=12.0, magnetic_retention_days=30.0)

    await sink.validate()

    assert moto_table.settings() == (12, 30, True)
    assert sink.memory_retention_hours == 12
    assert isinstance(sink.memory_retention_hours, int)


async def test_secret_never_in_logs_or_errors(
    moto_table: MotoTable, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    errors: list[BaseException] = []
    keys = {"access_key_id": KEY_ID, "secret_access_key": SECRET}
    sink = moto_table.sink(**keys)
    await sink.validate()
    await sink.write(series(VILLA, 3))

    closed = moto_table.sink(
        **keys, endpoint_url=f"http://127.0.0.1:{free_loopback_port()}"
    )
    with pytest.raises(SinkUnreachableError) as unreachable:
        await closed.validate()
    errors.append(unreachable.value)

    refused = moto_table.sink(**keys)
    stubber = Stubber(await refused._aws.client())
    mismatch = f"Signature mismatch for {KEY_ID} / {SECRET}"
    stub(stubber, "describe_database", Fail("InvalidSignatureException", 403, mismatch))
    with stubber, pytest.raises(SinkAuthError) as auth:
        await refused.validate()
    errors.append(auth.value)

    assert len(moto_table.records) == 3
    assert any(r.name.startswith("botocore") for r in caplog.records)  # DEBUG is on
    assert SECRET not in caplog.text
    for record in caplog.records:
        assert SECRET not in record.getMessage()
        if record.name == SINK_LOGGER:
            assert KEY_ID not in record.getMessage()
    for error in errors:
        chain: BaseException | None = error
        while chain is not None:  # the error and what it was raised from
            assert SECRET not in str(chain)
            chain = chain.__cause__
        assert KEY_ID not in str(error)


async def test_no_blocking_io_in_the_event_loop(
    moto_table: MotoTable, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Models, folders and the CA bundle are read in a thread, not in the loop.

    Home Assistant reports each of these calls in the event loop as blocking.
    """
    loop_thread = threading.get_ident()
    in_loop: list[str] = []
    elsewhere: list[str] = []

    def spy(name: str, real: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            if threading.get_ident() == loop_thread:
                in_loop.append(f"{name}{args[:2]!r}")
            else:
                elsewhere.append(name)
            return real(*args, **kwargs)

        return call

    monkeypatch.setattr(builtins, "open", spy("open", builtins.open))
    monkeypatch.setattr(os, "listdir", spy("listdir", os.listdir))
    monkeypatch.setattr(
        ssl.SSLContext,
        "load_verify_locations",
        spy("load_verify_locations", ssl.SSLContext.load_verify_locations),
    )
    _tls_context.cache_clear()
    sink = moto_table.sink()

    await sink.validate()
    await sink.write([sample(VILLA)])

    assert in_loop == []
    assert {"open", "listdir", "load_verify_locations"} <= set(elsewhere)


@pytest.mark.usefixtures("no_aws_credentials", "disable_block_async_io")
async def test_home_assistant_detects_no_blocking_call(
    moto_table: MotoTable,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Home Assistant's own detector, on: no path of the sink blocks the loop.

    With a key pair, with keys from the environment, and with no keys at all,
    when the default chain asks the instance metadata service (here a closed
    loopback port) in aiobotocore's own HTTP session.
    """
    caplog.set_level(logging.DEBUG, logger=LOOP_LOGGER)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "false")
    monkeypatch.setenv(
        "AWS_EC2_METADATA_SERVICE_ENDPOINT", f"http://127.0.0.1:{free_loopback_port()}"
    )
    _tls_context.cache_clear()
    # All of it: in tests, Home Assistant leaves out the checks of file and
    # TLS-certificate loading.
    monkeypatch.setattr(block_async_io, "_IN_TESTS", False)
    block_async_io.enable()

    sink = moto_table.sink()
    await sink.validate()
    await sink.write([sample(VILLA)])

    no_keys = {"access_key_id": None, "secret_access_key": None}
    with pytest.raises(SinkAuthError):
        await moto_table.sink(**no_keys).validate()

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", FAKE_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", FAKE_KEY)
    from_environment = moto_table.sink(**no_keys)
    await from_environment.validate()
    await from_environment.write([sample(VILLA, T0 + timedelta(minutes=5))])
    # Reading back: the query client (moto answers an unknown query with no rows).
    read = await from_environment.columns(
        VILLA, ("power",), T0, T0 + timedelta(hours=1)
    )
    assert len(read["time"]) == 0

    assert len(moto_table.records) == 2 * len(sample(VILLA).measures())
    assert [r.getMessage() for r in caplog.records if r.name == LOOP_LOGGER] == []


@pytest.mark.usefixtures("no_aws_credentials")
async def test_the_default_chain_is_asked_again_within_the_hour(
    monkeypatch: pytest.MonkeyPatch, freezer: FrozenDateTimeFactory
) -> None:
    """Keys of the default chain are renewed (asked for in a thread again)
    before they are an hour old: an instance role's keys expire."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAFIRSTKEY")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", FAKE_KEY)
    credentials = await _ChainInThread(REGION).load_credentials()
    assert (await credentials.get_frozen_credentials()).access_key == "AKIAFIRSTKEY"

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIASECONDKEY")
    freezer.tick(timedelta(minutes=30))
    assert (await credentials.get_frozen_credentials()).access_key == "AKIAFIRSTKEY"
    freezer.tick(timedelta(minutes=20))  # 10 minutes before the hour is over
    assert (await credentials.get_frozen_credentials()).access_key == "AKIASECONDKEY"

    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name)
    freezer.tick(timedelta(hours=2))  # expired, and the chain has nothing now
    with pytest.raises(NoCredentialsError):
        await credentials.get_frozen_credentials()
