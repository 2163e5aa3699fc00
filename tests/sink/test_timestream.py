"""The Timestream sink against moto on 127.0.0.1, and its error paths stubbed."""

from __future__ import annotations

import builtins
import calendar
import logging
import os
import ssl
import threading
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import pytest_socket  # type: ignore[import-untyped]
from botocore.stub import Stubber  # type: ignore[import-untyped]

from custom_components.powertracker.sink import timestream
from custom_components.powertracker.sink.models import (
    Sample,
    SinkAuthError,
    SinkError,
    SinkNotFoundError,
    SinkPermissionError,
    SinkUnreachableError,
    WriteResult,
)
from custom_components.powertracker.sink.timestream import (
    TimestreamConfigError,
    TimestreamSink,
)
from tests.sink.timestream_server import (
    FAKE_KEY,
    REGION,
    CallLog,
    MotoTimestream,
    aws_client,
    free_loopback_port,
    join_request_threads,
    json_response,
    request_threads,
)

pytestmark = pytest.mark.filterwarnings(
    # botocore 1.34 (pinned with Home Assistant 2025.4) signs with utcnow().
    "ignore:datetime.datetime.utcnow:DeprecationWarning:botocore"
)

KEY_ID = "AKIAPOWERTRACKER0TEST"
SECRET = "pt/Secret+Key/0123456789abcdefghijklmnopq"
T0 = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
T0_MS = calendar.timegm(T0.utctimetuple()) * 1000
VILLA = "home-villa-1"
CABIN = "home-cabin-2"
SINK_LOGGER = "custom_components.powertracker.sink.timestream"


# ---------------------------------------------------------------------------
# fixtures
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def moto_server() -> Iterator[MotoTimestream]:
    """moto in a thread of this process, for the whole module.

    Started here, before phacc's per-test thread check takes its snapshot (a
    thread started inside a test would count as left behind). Module fixtures
    cannot use the function fixture `socket_enabled`, and phacc disables
    sockets before every test, so binding the server needs them enabled here;
    every test using the server requests `socket_enabled` as well.
    """
    pytest_socket.enable_socket()
    server = MotoTimestream()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def moto(socket_enabled: None, moto_server: MotoTimestream) -> Iterator[MotoTimestream]:
    """The module's moto server; waits for its request threads at the end."""
    before = request_threads()
    yield moto_server
    join_request_threads(before)


@pytest.fixture
def names() -> tuple[str, str]:
    """A database and table name no other test uses (moto's state is shared)."""
    suffix = uuid.uuid4().hex[:10]
    return f"pt_db_{suffix}", f"pt_tbl_{suffix}"


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


@pytest.fixture
async def make_sink(
    moto: MotoTimestream, names: tuple[str, str], sleeps: Sleeps
) -> AsyncIterator[Callable[..., TimestreamSink]]:
    """Make sinks of moto (fake key, this test's names); closed at the end."""
    made: list[TimestreamSink] = []
    database, table = names

    def make(**overrides: Any) -> TimestreamSink:
        settings: dict[str, Any] = {
            "region": REGION,
            "database": database,
            "table": table,
            "access_key_id": FAKE_KEY,
            "secret_access_key": FAKE_KEY,
            "endpoint_url": moto.url,
            "sleep": sleeps,
        }
        settings.update(overrides)
        sink = TimestreamSink(**settings)
        made.append(sink)
        return sink

    yield make
    for sink in made:
        await sink.close()


@pytest.fixture
async def aws(moto: MotoTimestream) -> AsyncIterator[Any]:
    """A separate aiobotocore client of moto, to read back and set up state."""
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
    sink = TimestreamSink(
        region=REGION,
        database="pt_db",
        table="pt_tbl",
        access_key_id=KEY_ID,
        secret_access_key=SECRET,
        # Never contacted: the Stubber answers before anything is sent.
        endpoint_url="http://127.0.0.1:9",
        sleep=sleeps,
    )
    client = await sink._ensure_client()
    stubber = Stubber(client)
    stubber.activate()
    yield Stubbed(sink, stubber, sleeps)
    stubber.deactivate()
    await sink.close()
    stubber.assert_no_pending_responses()


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------


def sample(home: str, i: int, **values: Any) -> Sample:
    """A sample of `home` at T0 + 10 s * i with simple, exactly printable values."""
    defaults: dict[str, Any] = {
        "power": 1000.0 + i,
        "accumulated_consumption": 0.5 * i,
        "consumption_total": 12000.25 + i,
        "accumulated_cost": 0.25 * i,
        "currency": "SEK",
    }
    defaults.update(values)
    return Sample(home_id=home, time=T0 + timedelta(seconds=10 * i), **defaults)


def table_settings(table: dict[str, Any]) -> tuple[int, int, bool]:
    """(memory hours, magnetic days, magnetic writes) of a DescribeTable answer."""
    retention = table["RetentionProperties"]
    return (
        retention["MemoryStoreRetentionPeriodInHours"],
        retention["MagneticStoreRetentionPeriodInDays"],
        table["MagneticStoreWriteProperties"]["EnableMagneticStoreWrites"],
    )


def describe_table_answer(
    database: str, table: str, hours: int = 48, days: int = 730, magnetic: bool = True
) -> dict[str, Any]:
    """A DescribeTable answer for the Stubber."""
    return {
        "Table": {
            "Arn": (
                f"arn:aws:timestream:{REGION}:123456789012:"
                f"database/{database}/table/{table}"
            ),
            "TableName": table,
            "DatabaseName": database,
            "TableStatus": "ACTIVE",
            "RetentionProperties": {
                "MemoryStoreRetentionPeriodInHours": hours,
                "MagneticStoreRetentionPeriodInDays": days,
            },
            "MagneticStoreWriteProperties": {"EnableMagneticStoreWrites": magnetic},
        }
    }


def write_ok(stubber: Any, count: int) -> None:
    """Queue a successful WriteRecords answer."""
    stubber.add_response(
        "write_records",
        {"RecordsIngested": {"Total": count, "MemoryStore": count, "MagneticStore": 0}},
    )


def stub_error(
    stubber: Any,
    method: str,
    code: str,
    status: int = 400,
    message: str = "",
    **modeled: Any,
) -> None:
    """Queue an AWS error answer."""
    stubber.add_client_error(
        method,
        service_error_code=code,
        service_message=message or f"{code} from the stub",
        http_status_code=status,
        modeled_fields=modeled or None,
    )


# ---------------------------------------------------------------------------
# provisioning against moto
# ---------------------------------------------------------------------------


async def test_validate_creates_database_and_table(
    make_sink: Callable[..., TimestreamSink],
    moto: MotoTimestream,
    aws: Any,
    names: tuple[str, str],
) -> None:
    database, table = names
    sink = make_sink()
    log = CallLog()
    log.attach(await sink._ensure_client())

    await sink.validate()

    # endpoint_url set: no DescribeEndpoints (botocore skips discovery).
    assert log.operations == [
        "DescribeDatabase",
        "CreateDatabase",
        "DescribeTable",
        "CreateTable",
    ]
    assert moto.has_database(database)
    answer = await aws.describe_table(DatabaseName=database, TableName=table)
    assert table_settings(answer["Table"]) == (48, 730, True)


async def test_second_validate_only_describes(
    make_sink: Callable[..., TimestreamSink],
    moto: MotoTimestream,
    names: tuple[str, str],
) -> None:
    database, table = names
    sink = make_sink()
    await sink.validate()
    assert await sink.write([sample(VILLA, 1)]) == WriteResult(written=1)
    log = CallLog()
    log.attach(await sink._ensure_client())

    await sink.validate()
    await make_sink().validate()  # a new sink, same settings

    assert log.operations == ["DescribeDatabase", "DescribeTable"]
    # moto replaces a table on CreateTable: the record survived, so nothing was.
    assert len(moto.table(database, table).records) == 1


async def test_changed_settings_are_reconciled(
    make_sink: Callable[..., TimestreamSink], aws: Any, names: tuple[str, str]
) -> None:
    database, table = names
    await make_sink().validate()
    changed = make_sink(
        memory_retention_hours=24, magnetic_retention_days=365, magnetic_writes=False
    )
    log = CallLog()
    log.attach(await changed._ensure_client())

    await changed.validate()
    await changed.validate()

    assert log.operations == [
        "DescribeDatabase",
        "DescribeTable",
        "UpdateTable",
        "DescribeDatabase",
        "DescribeTable",
    ]
    update = log.calls[2][1]
    assert update["RetentionProperties"] == {
        "MemoryStoreRetentionPeriodInHours": 24,
        "MagneticStoreRetentionPeriodInDays": 365,
    }
    assert update["MagneticStoreWriteProperties"] == {
        "EnableMagneticStoreWrites": False
    }
    answer = await aws.describe_table(DatabaseName=database, TableName=table)
    assert table_settings(answer["Table"]) == (24, 365, False)


async def test_only_magnetic_writes_differ_is_reconciled(
    make_sink: Callable[..., TimestreamSink], aws: Any, names: tuple[str, str]
) -> None:
    database, table = names
    await make_sink(magnetic_writes=False).validate()

    await make_sink(magnetic_writes=True).validate()

    answer = await aws.describe_table(DatabaseName=database, TableName=table)
    assert table_settings(answer["Table"]) == (48, 730, True)


async def test_create_off_and_missing_table_is_not_found(
    make_sink: Callable[..., TimestreamSink],
    moto: MotoTimestream,
    aws: Any,
    names: tuple[str, str],
) -> None:
    database, table = names
    sink = make_sink(create=False)

    with pytest.raises(SinkNotFoundError, match="database") as missing_db:
        await sink.validate()
    assert not moto.has_database(database)
    assert missing_db.value.retryable is False

    await aws.create_database(DatabaseName=database)
    with pytest.raises(SinkNotFoundError, match="table") as missing_table:
        await sink.validate()
    assert table not in moto.backend().databases[database].tables
    assert f"{database}.{table}" in str(missing_table.value)


async def test_create_off_leaves_a_differing_table_alone(
    make_sink: Callable[..., TimestreamSink],
    aws: Any,
    names: tuple[str, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    database, table = names
    await make_sink().validate()
    hands_off = make_sink(create=False, memory_retention_hours=12)
    log = CallLog()
    log.attach(await hands_off._ensure_client())

    await hands_off.validate()

    assert log.operations == ["DescribeDatabase", "DescribeTable"]
    answer = await aws.describe_table(DatabaseName=database, TableName=table)
    assert table_settings(answer["Table"]) == (48, 730, True)
    assert any(
        r.name == SINK_LOGGER and r.levelno == logging.WARNING and table in r.message
        for r in caplog.records
    )


async def test_default_credential_chain(
    make_sink: Callable[..., TimestreamSink],
    moto: MotoTimestream,
    names: tuple[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", FAKE_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", FAKE_KEY)
    sink = make_sink(access_key_id=None, secret_access_key=None)

    await sink.validate()

    assert moto.has_database(names[0])
    assert "default chain" in repr(sink)


async def test_empty_fields_mean_not_given() -> None:
    sink = TimestreamSink(
        region=REGION,
        database="pt_db",
        table="pt_tbl",
        access_key_id="",
        secret_access_key="",
        endpoint_url="",
    )

    assert sink.access_key_id is None
    assert sink.endpoint_url is None
    assert "default chain" in repr(sink)


async def test_no_credentials_anywhere_is_an_auth_error(
    make_sink: Callable[..., TimestreamSink],
    moto: MotoTimestream,
    names: tuple[str, str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    sink = make_sink(access_key_id=None, secret_access_key=None)

    with pytest.raises(SinkAuthError, match="no AWS credentials") as caught:
        await sink.validate()

    assert caught.value.retryable is False
    assert not moto.has_database(names[0])


# ---------------------------------------------------------------------------
# writes against moto
# ---------------------------------------------------------------------------


async def test_write_250_samples_of_two_homes(
    make_sink: Callable[..., TimestreamSink],
    moto: MotoTimestream,
    names: tuple[str, str],
) -> None:
    database, table = names
    sink = make_sink()
    await sink.validate()
    samples = [sample(VILLA if i % 2 else CABIN, i) for i in range(250)]
    log = CallLog()
    log.attach(await sink._ensure_client())

    result = await sink.write(samples)

    assert result == WriteResult(written=250, dropped=0)
    assert log.operations == ["WriteRecords"] * 3
    assert [len(params["Records"]) for _, params in log.calls] == [100, 100, 50]
    stored = moto.table(database, table).records
    assert len(stored) == 250
    for i, record in enumerate(stored):
        assert record == {
            "Dimensions": [
                {"Name": "home_id", "Value": VILLA if i % 2 else CABIN},
            ],
            "MeasureName": "powertracker",
            "MeasureValueType": "MULTI",
            "MeasureValues": [
                {"Name": "power", "Value": str(1000.0 + i), "Type": "DOUBLE"},
                {
                    "Name": "accumulated_consumption",
                    "Value": str(0.5 * i),
                    "Type": "DOUBLE",
                },
                {
                    "Name": "consumption_total",
                    "Value": str(12000.25 + i),
                    "Type": "DOUBLE",
                },
                {"Name": "accumulated_cost", "Value": str(0.25 * i), "Type": "DOUBLE"},
                {"Name": "currency", "Value": "SEK", "Type": "VARCHAR"},
            ],
            "Time": str(T0_MS + 10_000 * i),
            "TimeUnit": "MILLISECONDS",
            "Version": 1,
        }


async def test_record_fields_times_and_unstorable_samples(
    make_sink: Callable[..., TimestreamSink],
    moto: MotoTimestream,
    names: tuple[str, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    database, table = names
    sink = make_sink()
    await sink.validate()
    cet = timezone(timedelta(hours=1))
    samples = [
        # Only power; a local time with microseconds (truncated to ms).
        Sample(
            home_id=VILLA,
            time=datetime(2026, 11, 28, 13, 0, 0, 123_987, tzinfo=cet),
            power=1500.5,
        ),
        # Production values; a NaN cost is left out, an empty currency too.
        Sample(
            home_id=CABIN,
            time=T0,
            power=0.0,
            accumulated_cost=float("nan"),
            currency="",
            power_production=2300.0,
            accumulated_production=4.75,
        ),
        # Nothing finite to store: dropped and counted.
        Sample(home_id=VILLA, time=T0, power=float("inf")),
        # A naive time: cannot be placed, dropped and counted.
        Sample(home_id=VILLA, time=datetime(2026, 11, 28, 12, 0), power=1.0),  # noqa: DTZ001
        # No home: dropped and counted.
        Sample(home_id="", time=T0, power=1.0),
    ]

    result = await sink.write(samples)

    assert result == WriteResult(written=2, dropped=3)
    villa, cabin = moto.table(database, table).records
    assert villa["Time"] == str(T0_MS + 123)
    assert villa["MeasureValues"] == [
        {"Name": "power", "Value": "1500.5", "Type": "DOUBLE"}
    ]
    assert cabin["Dimensions"] == [{"Name": "home_id", "Value": CABIN}]
    assert cabin["Time"] == str(T0_MS)
    assert cabin["MeasureValues"] == [
        {"Name": "power", "Value": "0.0", "Type": "DOUBLE"},
        {"Name": "power_production", "Value": "2300.0", "Type": "DOUBLE"},
        {"Name": "accumulated_production", "Value": "4.75", "Type": "DOUBLE"},
    ]
    assert any(
        r.name == SINK_LOGGER
        and r.levelno == logging.WARNING
        and "3 sample" in r.message
        for r in caplog.records
    )


async def test_a_resend_sends_identical_records(
    make_sink: Callable[..., TimestreamSink],
    moto: MotoTimestream,
    names: tuple[str, str],
) -> None:
    """Same version, same values: Timestream treats the re-send as a no-op.

    moto keeps duplicates (it does not model versions), so this checks what
    Timestream's idempotence rests on: the same samples give the same records.
    """
    database, table = names
    sink = make_sink()
    await sink.validate()
    samples = [sample(VILLA, i) for i in range(3)]

    await sink.write(samples)
    await make_sink().write(samples)

    stored = moto.table(database, table).records
    assert len(stored) == 6
    assert stored[:3] == stored[3:]
    assert {record["Version"] for record in stored} == {1}


async def test_nothing_to_write_connects_nowhere(socket_enabled: None) -> None:
    sink = TimestreamSink(
        region=REGION,
        database="pt_db",
        table="pt_tbl",
        access_key_id=KEY_ID,
        secret_access_key=SECRET,
        endpoint_url=f"http://127.0.0.1:{free_loopback_port()}",
    )

    assert await sink.write([]) == WriteResult(written=0, dropped=0)
    assert await sink.write([Sample(VILLA, T0, float("nan"))]) == WriteResult(0, 1)
    await sink.close()


async def test_close_then_write_again(
    make_sink: Callable[..., TimestreamSink],
    moto: MotoTimestream,
    names: tuple[str, str],
) -> None:
    sink = make_sink()
    await sink.validate()
    await sink.close()
    await sink.close()  # twice is fine

    assert await sink.write([sample(VILLA, 1)]) == WriteResult(written=1)
    assert len(moto.table(*names).records) == 1


# ---------------------------------------------------------------------------
# error paths, stubbed
# ---------------------------------------------------------------------------


async def test_conflict_on_create_database_is_fine(stubbed: Stubbed) -> None:
    st = stubbed.stubber
    stub_error(st, "describe_database", "ResourceNotFoundException")
    stub_error(st, "create_database", "ConflictException")
    st.add_response("describe_table", describe_table_answer("pt_db", "pt_tbl"))

    await stubbed.sink.validate()


async def test_conflict_on_create_table_reconciles_what_was_made(
    stubbed: Stubbed,
) -> None:
    st = stubbed.stubber
    st.add_response("describe_database", {"Database": {"DatabaseName": "pt_db"}})
    stub_error(st, "describe_table", "ResourceNotFoundException")
    stub_error(st, "create_table", "ConflictException")
    st.add_response("describe_table", describe_table_answer("pt_db", "pt_tbl", hours=6))
    st.add_response(
        "update_table",
        describe_table_answer("pt_db", "pt_tbl"),
        {
            "DatabaseName": "pt_db",
            "TableName": "pt_tbl",
            "RetentionProperties": {
                "MemoryStoreRetentionPeriodInHours": 48,
                "MagneticStoreRetentionPeriodInDays": 730,
            },
            "MagneticStoreWriteProperties": {"EnableMagneticStoreWrites": True},
        },
    )

    await stubbed.sink.validate()


async def test_update_keeps_the_s3_location_of_rejections(stubbed: Stubbed) -> None:
    location = {"S3Configuration": {"BucketName": "rejects", "ObjectKeyPrefix": "pt"}}
    st = stubbed.stubber
    st.add_response("describe_database", {"Database": {"DatabaseName": "pt_db"}})
    answer = describe_table_answer("pt_db", "pt_tbl", days=365)
    answer["Table"]["MagneticStoreWriteProperties"][
        "MagneticStoreRejectedDataLocation"
    ] = location
    st.add_response("describe_table", answer)
    st.add_response(
        "update_table",
        describe_table_answer("pt_db", "pt_tbl"),
        {
            "DatabaseName": "pt_db",
            "TableName": "pt_tbl",
            "RetentionProperties": {
                "MemoryStoreRetentionPeriodInHours": 48,
                "MagneticStoreRetentionPeriodInDays": 730,
            },
            "MagneticStoreWriteProperties": {
                "EnableMagneticStoreWrites": True,
                "MagneticStoreRejectedDataLocation": location,
            },
        },
    )

    await stubbed.sink.validate()


async def test_rejected_records_are_dropped_and_the_rest_written(
    stubbed: Stubbed, caplog: pytest.LogCaptureFixture
) -> None:
    st = stubbed.stubber
    stub_error(
        st,
        "write_records",
        "RejectedRecordsException",
        message="One or more records have been rejected. See RejectedRecords.",
        RejectedRecords=[
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
        ],
    )
    write_ok(st, 50)
    samples = [sample(VILLA, i) for i in range(150)]

    result = await stubbed.sink.write(samples)

    assert result == WriteResult(written=148, dropped=2)
    assert stubbed.sleeps.delays == []  # nothing retried
    warnings = [
        r.message
        for r in caplog.records
        if r.name == SINK_LOGGER and r.levelno == logging.WARNING
    ]
    # The retention rejection is worth a warning; the version conflict is not.
    assert len(warnings) == 1
    assert "outside the time range" in warnings[0]


async def test_rejection_without_a_list_drops_the_request(stubbed: Stubbed) -> None:
    stub_error(stubbed.stubber, "write_records", "RejectedRecordsException")

    result = await stubbed.sink.write([sample(VILLA, i) for i in range(5)])

    assert result == WriteResult(written=0, dropped=5)


async def test_validation_exception_drops_that_request_only(
    stubbed: Stubbed, caplog: pytest.LogCaptureFixture
) -> None:
    stub_error(
        stubbed.stubber,
        "write_records",
        "ValidationException",
        message="Measure name powertracker is reserved",
    )
    write_ok(stubbed.stubber, 20)

    result = await stubbed.sink.write([sample(CABIN, i) for i in range(120)])

    assert result == WriteResult(written=20, dropped=100)
    assert any(
        r.levelno == logging.WARNING and "is reserved" in r.message
        for r in caplog.records
    )


async def test_throttled_twice_then_written(stubbed: Stubbed) -> None:
    stub_error(stubbed.stubber, "write_records", "ThrottlingException")
    stub_error(stubbed.stubber, "write_records", "ThrottlingException")
    write_ok(stubbed.stubber, 10)

    result = await stubbed.sink.write([sample(VILLA, i) for i in range(10)])

    assert result == WriteResult(written=10, dropped=0)
    first, second = stubbed.sleeps.delays
    # Half to all of 0.5 s, then of 1 s: growing, jittered, bounded.
    assert 0.25 <= first <= 0.5
    assert 0.5 <= second <= 1.0
    assert second >= first


@pytest.mark.parametrize(("jitter", "expected"), [(0.0, [0.25, 0.5]), (0.999, None)])
async def test_backoff_bounds_follow_the_jitter(
    sleeps: Sleeps, jitter: float, expected: list[float] | None
) -> None:
    sink = TimestreamSink(
        region=REGION,
        database="pt_db",
        table="pt_tbl",
        access_key_id=KEY_ID,
        secret_access_key=SECRET,
        endpoint_url="http://127.0.0.1:9",
        sleep=sleeps,
        jitter=lambda: jitter,
    )
    stubber = Stubber(await sink._ensure_client())
    for _ in range(3):
        stub_error(stubber, "write_records", "ThrottlingException")
    with stubber, pytest.raises(SinkUnreachableError):
        await sink.write([sample(VILLA, 1)])
    await sink.close()

    if expected is not None:
        assert sleeps.delays == expected
    else:
        assert sleeps.delays == pytest.approx([0.4998, 0.9995], abs=1e-3)


async def test_throttled_every_time_is_unreachable(stubbed: Stubbed) -> None:
    for _ in range(3):
        stub_error(stubbed.stubber, "write_records", "ThrottlingException")

    with pytest.raises(SinkUnreachableError) as caught:
        await stubbed.sink.write([sample(VILLA, i) for i in range(10)])

    assert caught.value.retryable is True
    assert "WriteRecords" in str(caught.value)
    assert "ThrottlingException" in str(caught.value)
    assert len(stubbed.sleeps.delays) == 2  # 3 attempts


async def test_server_faults_are_retried(stubbed: Stubbed) -> None:
    stub_error(stubbed.stubber, "write_records", "InternalServerException", 500)
    stub_error(stubbed.stubber, "write_records", "ServiceUnavailable", 503)
    write_ok(stubbed.stubber, 1)

    assert await stubbed.sink.write([sample(VILLA, 1)]) == WriteResult(written=1)
    assert len(stubbed.sleeps.delays) == 2


async def test_a_later_batch_failing_raises_after_the_first_was_written(
    stubbed: Stubbed,
) -> None:
    """The outbox re-sends all; the written batch is then an idempotent no-op."""
    write_ok(stubbed.stubber, 100)
    for _ in range(3):
        stub_error(stubbed.stubber, "write_records", "InternalServerException", 500)

    with pytest.raises(SinkUnreachableError):
        await stubbed.sink.write([sample(VILLA, i) for i in range(101)])


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
    stub_error(stubbed.stubber, "describe_database", code, status)

    with pytest.raises(SinkError) as caught:
        await stubbed.sink.validate()

    assert type(caught.value) is error
    assert caught.value.retryable is retryable
    assert "DescribeDatabase" in str(caught.value)
    assert code in str(caught.value)
    assert f"HTTP {status}" in str(caught.value)


@pytest.mark.parametrize(
    ("code", "error"),
    [
        ("UnrecognizedClientException", SinkAuthError),
        ("AccessDeniedException", SinkPermissionError),
        ("ResourceNotFoundException", SinkNotFoundError),
    ],
)
async def test_write_maps_errors_without_retrying(
    stubbed: Stubbed, code: str, error: type[SinkError]
) -> None:
    stub_error(stubbed.stubber, "write_records", code)

    with pytest.raises(error, match=f"WriteRecords failed: {code}"):
        await stubbed.sink.write([sample(VILLA, 1)])

    assert stubbed.sleeps.delays == []


async def test_access_denied_while_creating_is_a_permission_error(
    stubbed: Stubbed,
) -> None:
    message = (
        f"User: arn:aws:iam::123456789012:user/pt is not authorized to perform: "
        f"timestream:CreateTable (key {KEY_ID})"
    )
    st = stubbed.stubber
    st.add_response("describe_database", {"Database": {"DatabaseName": "pt_db"}})
    stub_error(st, "describe_table", "ResourceNotFoundException")
    stub_error(st, "create_table", "AccessDeniedException", 403, message)

    with pytest.raises(SinkPermissionError) as caught:
        await stubbed.sink.validate()

    text = str(caught.value)
    assert "CreateTable failed: AccessDeniedException" in text
    assert "timestream:CreateTable" in text  # AWS's hint is passed on...
    assert KEY_ID not in text  # ...with the key masked


async def test_closed_port_is_unreachable(socket_enabled: None, sleeps: Sleeps) -> None:
    sink = TimestreamSink(
        region=REGION,
        database="pt_db",
        table="pt_tbl",
        access_key_id=KEY_ID,
        secret_access_key=SECRET,
        endpoint_url=f"http://127.0.0.1:{free_loopback_port()}",
        sleep=sleeps,
    )

    with pytest.raises(SinkUnreachableError, match="DescribeDatabase got no answer"):
        await sink.validate()
    with pytest.raises(SinkUnreachableError, match="WriteRecords got no answer"):
        await sink.write([sample(VILLA, 1)])
    await sink.close()

    assert sleeps.delays == []


# ---------------------------------------------------------------------------
# endpoints, secrets, the event loop
# ---------------------------------------------------------------------------


async def test_endpoint_discovery_stays_on_without_endpoint_url() -> None:
    """Production clients ask DescribeEndpoints first and use the cell it names."""
    sink = TimestreamSink(
        region=REGION,
        database="pt_db",
        table="pt_tbl",
        access_key_id=KEY_ID,
        secret_access_key=SECRET,
    )
    client = await sink._ensure_client()
    sent: list[tuple[str, str]] = []
    cell = f"ingest-cell7.timestream.{REGION}.amazonaws.com"

    def answer(request: Any, **_: Any) -> Any:
        target = request.headers["X-Amz-Target"].decode()
        sent.append((request.url, target.rsplit(".", 1)[1]))
        body: dict[str, Any]
        if target.endswith("DescribeEndpoints"):
            body = {"Endpoints": [{"Address": cell, "CachePeriodInMinutes": 1440}]}
        elif target.endswith("DescribeDatabase"):
            body = {"Database": {"DatabaseName": "pt_db"}}
        else:
            body = describe_table_answer("pt_db", "pt_tbl")
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
    sink = TimestreamSink(
        region=REGION,
        database="pt_db",
        table="pt_tbl",
        access_key_id=KEY_ID,
        secret_access_key=SECRET,
    )

    assert SECRET not in repr(sink)
    assert KEY_ID not in repr(sink)
    assert "pt_db" in repr(sink)
    assert "access key" in repr(sink)


async def test_a_malformed_region_is_a_settings_error() -> None:
    sink = TimestreamSink(
        region="eu west 1",
        database="pt_db",
        table="pt_tbl",
        access_key_id=KEY_ID,
        secret_access_key=SECRET,
    )

    with pytest.raises(
        TimestreamConfigError, match="region_name 'eu west 1'"
    ) as caught:
        await sink.validate()

    assert caught.value.retryable is False
    await sink.close()


async def test_an_unreadable_ca_bundle_is_a_settings_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("AWS_CA_BUNDLE", str(tmp_path / "missing.pem"))
    sink = TimestreamSink(
        region=REGION,
        database="pt_db",
        table="pt_tbl",
        access_key_id=KEY_ID,
        secret_access_key=SECRET,
    )

    with pytest.raises(TimestreamConfigError, match="set-up failed"):
        await sink.validate()
    await sink.close()


async def test_settings_are_checked() -> None:
    with pytest.raises(ValueError, match="both"):
        TimestreamSink(region=REGION, database="d", table="t", access_key_id=KEY_ID)
    with pytest.raises(ValueError, match="memory_retention_hours"):
        TimestreamSink(region=REGION, database="d", table="t", memory_retention_hours=0)
    with pytest.raises(ValueError, match="magnetic_retention_days"):
        TimestreamSink(
            region=REGION, database="d", table="t", magnetic_retention_days=73001
        )
    for bad in (24.5, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="whole number"):
            TimestreamSink(
                region=REGION, database="d", table="t", memory_retention_hours=bad
            )


async def test_whole_float_retention_from_a_form_is_sent_as_integers(
    make_sink: Callable[..., TimestreamSink], aws: Any, names: tuple[str, str]
) -> None:
    """Home Assistant's number selectors give floats; AWS wants integers."""
    database, table = names
    sink = make_sink(memory_retention_hours=12.0, magnetic_retention_days=30.0)

    await sink.validate()

    answer = await aws.describe_table(DatabaseName=database, TableName=table)
    assert table_settings(answer["Table"]) == (12, 30, True)
    assert sink.memory_retention_hours == 12
    assert isinstance(sink.memory_retention_hours, int)


async def test_secret_never_in_logs_or_errors(
    make_sink: Callable[..., TimestreamSink],
    moto: MotoTimestream,
    names: tuple[str, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    errors: list[BaseException] = []
    sink = make_sink(access_key_id=KEY_ID, secret_access_key=SECRET)
    await sink.validate()
    await sink.write([sample(VILLA, i) for i in range(3)])

    closed = make_sink(
        access_key_id=KEY_ID,
        secret_access_key=SECRET,
        endpoint_url=f"http://127.0.0.1:{free_loopback_port()}",
    )
    with pytest.raises(SinkUnreachableError) as unreachable:
        await closed.validate()
    errors.append(unreachable.value)

    refused = make_sink(access_key_id=KEY_ID, secret_access_key=SECRET)
    stubber = Stubber(await refused._ensure_client())
    stub_error(
        stubber,
        "describe_database",
        "InvalidSignatureException",
        403,
        f"Signature mismatch for {KEY_ID} / {SECRET}",
    )
    with stubber, pytest.raises(SinkAuthError) as auth:
        await refused.validate()
    errors.append(auth.value)

    assert len(moto.table(*names).records) == 3
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
    make_sink: Callable[..., TimestreamSink],
    monkeypatch: pytest.MonkeyPatch,
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
    timestream._tls_context.cache_clear()
    sink = make_sink()

    await sink.validate()
    await sink.write([sample(VILLA, 1)])

    assert in_loop == []
    assert {"open", "listdir", "load_verify_locations"} <= set(elsewhere)
