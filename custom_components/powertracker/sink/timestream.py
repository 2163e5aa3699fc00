"""AWS Timestream for LiveAnalytics sink, through aiobotocore (no Home Assistant).

The IAM policy it needs is in the README ("Least-privilege IAM policy"). The
client, its calls and AWS's errors are `aws.AwsService`'s; the record of a sample
is `timestream_record.sample_record`'s; reading samples back is
`timestream_query`'s (a ``timestream-query`` client of the same settings). This
module provisions and writes.

Provisioning. The sink creates the database without a `KmsKeyId`, so Timestream
encrypts it with the AWS managed key `alias/aws/timestream`. Should
CreateDatabase be refused with an AccessDenied naming a `kms:` action, grant
that action on the key, or create the database beforehand; the
`SinkPermissionError` carries AWS's message.

Idempotence. Re-sending a record with the same version and the same values
succeeds and changes nothing, so the outbox may re-send a batch (after a
timeout or a partly written `write`) without duplicates. A re-send with the
same version but other values is rejected (`RejectedRecords`, a version
conflict with `ExistingVersion`): the first values stay, and the sink counts
that record as dropped instead of retrying it forever. (For records that land
in the magnetic store, Timestream reports such conflicts only asynchronously,
to an S3 bucket if one is set; the stored record stays the first one all the
same.)

Rejected records. When `WriteRecords` rejects records it writes the others of
the request and raises `RejectedRecordsException` listing the rejected ones by
`RecordIndex` with a `Reason`: version conflicts, times outside the retention
window (older than the memory store with magnetic writes off, older than the
magnetic store, or more than 15 minutes in the future), values over Timestream's
limits. None of them can succeed on a re-send, so they are dropped and counted in
`WriteResult.dropped`; the rest of the request counts as written. A
`ValidationException` refuses a whole request: it is dropped and counted too,
with a warning. Note that right after the retention is changed, Timestream may
reject records inside the new window for a while (its documented behaviour).

Retries. `ThrottlingException`, `InternalServerException` and other 5xx answers
are retried inside `write()` (3 attempts; before attempt n+1 the sink sleeps
between half and all of 0.5 s * 2**n, at random), then `SinkUnreachableError`
leaves the batch to the outbox. botocore's own retries are off, so these are the
only ones. Connection failures and timeouts raise `SinkUnreachableError` at once.

Endpoints. Without `endpoint_url` botocore asks `DescribeEndpoints` for the
account's ingestion cell (the query client: its query cell) and caches it
(Timestream requires this). `endpoint_url`
is for local test servers (moto) only; botocore skips discovery with it.

Secrets. The secret access key is handed to botocore and kept nowhere else
(`aws`): it is not in `repr()`, in the sink's log lines or in exception
messages. botocore itself never logs the secret; at DEBUG it logs signed
requests, whose `Authorization` header holds the access key ID (not the secret).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import random
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any, Final

from botocore.exceptions import ClientError  # type: ignore[import-untyped]

from .aws import MAX_MESSAGE_CHARS, AwsConfigError, AwsService, code, message, transient
from .models import Sample, SinkNotFoundError, WriteResult
from .readback import ReadsBack
from .settings import (
    DEFAULT_MAGNETIC_RETENTION_DAYS,
    DEFAULT_MEMORY_RETENTION_HOURS,
    MAGNETIC_RETENTION_DAYS_RANGE,
    MEMORY_RETENTION_HOURS_RANGE,
    check_key_pair,
    check_url,
    whole_number,
)
from .timestream_query import SERVICE as QUERY_SERVICE, TimestreamReader
from .timestream_record import sample_record

_LOGGER = logging.getLogger(__name__)

SERVICE: Final = "timestream-write"
MAX_RECORDS_PER_WRITE: Final = 100
"""Timestream's limit of records in one `WriteRecords` request."""
WRITE_ATTEMPTS: Final = 3
BACKOFF_BASE: Final = 0.5
"""Seconds: the longest sleep before the second attempt; it doubles each time."""
_NOT_FOUND: Final = frozenset({"ResourceNotFoundException"})

Sleep = Callable[[float], Awaitable[None]]


class TimestreamSink(ReadsBack[TimestreamReader]):
    """Writes samples to one Timestream table; see the module docstring."""

    def __init__(
        self,
        *,
        region: str,
        database: str,
        table: str,
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        create: bool = True,
        memory_retention_hours: float = DEFAULT_MEMORY_RETENTION_HOURS,
        magnetic_retention_days: float = DEFAULT_MAGNETIC_RETENTION_DAYS,
        magnetic_writes: bool = True,
        endpoint_url: str | None = None,
        sleep: Sleep = asyncio.sleep,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        """Keep the settings; nothing connects before the first call.

        Without `access_key_id` and `secret_access_key` the default AWS
        credential chain applies (environment, shared files, instance role).
        `create` lets `validate()` create the database and table and keep the
        table's retention and magnetic-store settings in line with these; with
        `create=False` the sink never changes anything in AWS. The retention
        periods must be whole numbers (48.0 is taken as 48). `endpoint_url` is
        for local test servers only. `sleep` and `jitter` (a float in [0, 1))
        drive the write back-off; tests replace them.
        """
        # Empty form fields mean "not given".
        access_key_id = access_key_id or None
        secret_access_key = secret_access_key or None
        check_key_pair(access_key_id, secret_access_key)
        if endpoint_url:
            check_url("endpoint_url", endpoint_url)
        self.region = region
        self.database = database
        self.table = table
        self.access_key_id = access_key_id
        self.create = create
        self.memory_retention_hours = whole_number(
            "memory_retention_hours",
            memory_retention_hours,
            MEMORY_RETENTION_HOURS_RANGE,
        )
        self.magnetic_retention_days = whole_number(
            "magnetic_retention_days",
            magnetic_retention_days,
            MAGNETIC_RETENTION_DAYS_RANGE,
        )
        self.magnetic_writes = magnetic_writes
        self.endpoint_url = endpoint_url or None
        self._sleep = sleep
        self._jitter = jitter
        service = functools.partial(
            AwsService,
            name="Timestream",
            region=region,
            endpoint_url=self.endpoint_url,
            access_key_id=access_key_id,
            secret_access_key=secret_access_key,
        )
        self._aws = service(SERVICE)
        self._reader = TimestreamReader(
            service(QUERY_SERVICE), database=database, table=table
        )

    def __repr__(self) -> str:
        """The settings, without the secret."""
        credentials = "access key" if self.access_key_id else "default chain"
        endpoint = f", endpoint_url={self.endpoint_url!r}" if self.endpoint_url else ""
        return (
            f"TimestreamSink(region={self.region!r}, database={self.database!r}, "
            f"table={self.table!r}, credentials={credentials!r}{endpoint})"
        )

    # -- the Sink protocol ------------------------------------------------

    async def validate(self) -> None:
        """Check the database and table, creating or reconciling them if allowed.

        Idempotent: a second call only describes. Raises `SinkNotFoundError` when
        something is missing and `create` is off.
        """
        aws = self._aws
        database = {"DatabaseName": self.database}
        table = {**database, "TableName": self.table}
        if await aws.answer("DescribeDatabase", _NOT_FOUND, **database) is None:
            what = f"database {self.database!r}"
            await self._create("CreateDatabase", what, **database)
        answer = await aws.answer("DescribeTable", _NOT_FOUND, **table)
        if answer is None and not await self._create(
            "CreateTable",
            f"table {self.database}.{self.table}",
            **table,
            RetentionProperties=self._retention(),
            MagneticStoreWriteProperties={
                "EnableMagneticStoreWrites": self.magnetic_writes
            },
        ):
            # Someone else created it: check what they made.
            answer = await aws.answer("DescribeTable", **table)
        if answer is not None:
            await self._reconcile_table(answer.get("Table", {}))

    async def write(self, samples: list[Sample]) -> WriteResult:
        """Write `samples` in requests of at most 100 records (see module doc)."""
        records = [r for s in samples if (r := sample_record(s)) is not None]
        result = WriteResult(written=0, dropped=len(samples) - len(records))
        if result.dropped:
            _LOGGER.warning(
                "Dropped %d sample(s) Timestream cannot store (no finite value, "
                "naive time or bad home id)",
                result.dropped,
            )
        for start in range(0, len(records), MAX_RECORDS_PER_WRITE):
            batch = records[start : start + MAX_RECORDS_PER_WRITE]
            result += await self._write_batch(batch)
        return result

    async def close(self) -> None:
        """Close both clients and their connection pools (made anew if used again)."""
        await self._aws.close()
        await self._reader.close()

    # -- provisioning -----------------------------------------------------

    async def _create(self, operation: str, what: str, **params: Any) -> bool:
        """Create `what` (True), unless someone else just did (False).

        `SinkNotFoundError` if creating is off.
        """
        if not self.create:
            raise SinkNotFoundError(
                f"Timestream {what} does not exist in {self.region} "
                "(and creating it is off)",
                f"{what}, {self.region}",
            )
        conflict = {"ConflictException"}
        if await self._aws.answer(operation, conflict, **params) is not None:
            _LOGGER.info("Created Timestream %s", what)
            return True
        _LOGGER.debug("Timestream %s appeared meanwhile", what)
        return False

    def _retention(self) -> dict[str, int]:
        return {
            "MemoryStoreRetentionPeriodInHours": self.memory_retention_hours,
            "MagneticStoreRetentionPeriodInDays": self.magnetic_retention_days,
        }

    async def _reconcile_table(self, table: dict[str, Any]) -> None:
        """Bring retention and magnetic-store writes in line with the settings."""
        retention = table.get("RetentionProperties") or {}
        magnetic = dict(table.get("MagneticStoreWriteProperties") or {})
        enabled = magnetic.get("EnableMagneticStoreWrites")
        if retention == self._retention() and bool(enabled) == self.magnetic_writes:
            return
        if not self.create:
            _LOGGER.warning(
                "Timestream table %s.%s differs from the settings (retention %s, "
                "magnetic writes %s); leaving it as it is, since changing it is off",
                self.database,
                self.table,
                retention,
                enabled,
            )
            return
        if self.magnetic_writes:
            # Keep an S3 location for asynchronous rejections, if one is set.
            magnetic["EnableMagneticStoreWrites"] = True
        else:
            magnetic = {"EnableMagneticStoreWrites": False}
        await self._aws.answer(
            "UpdateTable",
            DatabaseName=self.database,
            TableName=self.table,
            RetentionProperties=self._retention(),
            MagneticStoreWriteProperties=magnetic,
        )
        _LOGGER.info(
            "Updated Timestream table %s.%s: memory %d h, magnetic %d d, "
            "magnetic writes %s",
            self.database,
            self.table,
            self.memory_retention_hours,
            self.magnetic_retention_days,
            self.magnetic_writes,
        )

    # -- writing ----------------------------------------------------------

    async def _write_batch(self, batch: list[dict[str, Any]]) -> WriteResult:
        """Write one request's records."""
        for attempt in range(WRITE_ATTEMPTS):
            try:
                await self._aws.call(
                    "WriteRecords",
                    DatabaseName=self.database,
                    TableName=self.table,
                    Records=batch,
                )
            except ClientError as err:
                error_code = code(err)
                if error_code == "RejectedRecordsException":
                    return self._rejected(err, len(batch))
                if error_code == "ValidationException":
                    _LOGGER.warning(
                        "Timestream refused a request of %d record(s) as invalid; "
                        "dropped: %s",
                        len(batch),
                        self._aws.redact(message(err)),
                    )
                    return WriteResult(written=0, dropped=len(batch))
                if not transient(err) or attempt == WRITE_ATTEMPTS - 1:
                    raise self._aws.error("WriteRecords", err) from None
                delay = self._backoff(attempt)
                _LOGGER.debug(
                    "Timestream WriteRecords: %s, attempt %d of %d, retrying in %.2f s",
                    error_code,
                    attempt + 1,
                    WRITE_ATTEMPTS,
                    delay,
                )
                await self._sleep(delay)
            except AwsConfigError as err:
                # botocore's own check of the request, before sending it.
                _LOGGER.warning(
                    "Timestream request of %d record(s) is invalid; dropped: %s",
                    len(batch),
                    err,
                )
                return WriteResult(written=0, dropped=len(batch))
            else:
                return WriteResult(written=len(batch))
        raise AssertionError("unreachable")  # pragma: no cover

    def _backoff(self, attempt: int) -> float:
        """Seconds before attempt `attempt + 2`: half to all of base * 2**attempt."""
        ceiling: float = BACKOFF_BASE * 2.0**attempt
        return ceiling / 2 + ceiling / 2 * self._jitter()

    def _rejected(self, err: ClientError, size: int) -> WriteResult:
        """Count a partial write: Timestream wrote every record it did not list."""
        rejected = err.response.get("RejectedRecords")
        if not isinstance(rejected, list) or not rejected:
            _LOGGER.warning(
                "Timestream rejected records of a request of %d without saying "
                "which; counting all as dropped",
                size,
            )
            return WriteResult(written=0, dropped=size)
        indexes: set[int] = set()
        reasons: Counter[str] = Counter()
        conflicts = 0
        for entry in rejected:
            index = entry.get("RecordIndex") if isinstance(entry, dict) else None
            if not isinstance(index, int) or not 0 <= index < size:
                continue
            indexes.add(index)
            reason = str(entry.get("Reason") or "no reason given")
            if "ExistingVersion" in entry or "version" in reason.lower():
                conflicts += 1
            else:
                reasons[reason[:MAX_MESSAGE_CHARS]] += 1
        if conflicts:
            _LOGGER.debug(
                "Timestream kept %d record(s) it already had with other values "
                "(version conflict)",
                conflicts,
            )
        for reason, count in reasons.items():
            _LOGGER.warning("Timestream rejected %d record(s): %s", count, reason)
        return WriteResult(written=size - len(indexes), dropped=len(indexes))
