"""AWS Timestream for LiveAnalytics sink, through aiobotocore (no Home Assistant).

Least-privilege IAM policy (replace REGION, ACCOUNT, DATABASE and TABLE). With
`create=False` the Create*/UpdateTable actions may be left out::

    {
      "Version": "2012-10-17",
      "Statement": [
        {
          "Sid": "PowertrackerEndpointDiscovery",
          "Effect": "Allow",
          "Action": "timestream:DescribeEndpoints",
          "Resource": "*"
        },
        {
          "Sid": "PowertrackerDatabase",
          "Effect": "Allow",
          "Action": ["timestream:DescribeDatabase", "timestream:CreateDatabase"],
          "Resource": "arn:aws:timestream:REGION:ACCOUNT:database/DATABASE"
        },
        {
          "Sid": "PowertrackerTable",
          "Effect": "Allow",
          "Action": [
            "timestream:DescribeTable",
            "timestream:CreateTable",
            "timestream:UpdateTable",
            "timestream:WriteRecords"
          ],
          "Resource": "arn:aws:timestream:REGION:ACCOUNT:database/DATABASE/table/TABLE"
        }
      ]
    }

The sink creates the database without a `KmsKeyId`, so Timestream encrypts it
with the AWS managed key `alias/aws/timestream`. Should CreateDatabase be refused
with an AccessDenied naming a `kms:` action, grant that action on the key, or
create the database beforehand; the `SinkPermissionError` carries AWS's message.

Records. One multi-measure record per `Sample`:

- dimension `home_id` (the only dimension: it names the series);
- measure name `powertracker`, type `MULTI`: a DOUBLE per value of
  `models.MEASURES` that is set and finite (a sample with none is dropped and
  counted), and `currency` as VARCHAR when known. Currency is a measure, not a
  dimension: a dimension would split a home's series whenever the currency
  changed, and one that is sometimes missing makes a different series as well;
- `Time`: Tibber's measurement timestamp in epoch milliseconds (`TimeUnit`
  MILLISECONDS), so samples of one home within the same millisecond are one
  record;
- `Version` 1, always.

Idempotence. Timestream identifies a record by its dimensions, measure name and
time. Re-sending a record with the same version and the same values succeeds and
changes nothing, so the outbox may re-send a batch (after a timeout or a partly
written `write`) without duplicates. A re-send with the same version but other
values is rejected (`RejectedRecords`, a version conflict with `ExistingVersion`):
the first values stay, and the sink counts that record as dropped instead of
retrying it forever. (For records that land in the magnetic store, Timestream
reports such conflicts only asynchronously, to an S3 bucket if one is set; the
stored record stays the first one all the same.)

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
account's ingestion cell and caches it (Timestream requires this). `endpoint_url`
is for local test servers (moto) only; botocore skips discovery with it.

Secrets. The secret access key is handed to botocore and kept nowhere else: it
is not in `repr()`, in the sink's log lines or in exception messages (AWS error
messages are passed on with the access key ID and the secret masked, and the
botocore exception is not chained: the `SinkError` carries the operation, error
code, HTTP status, message and request ID). botocore itself never logs the
secret; at DEBUG it logs signed requests, whose `Authorization` header holds
the access key ID (not the secret).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import random
import ssl
from collections import Counter
from collections.abc import Awaitable, Callable, Collection
from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import aiohttp
from aiobotocore.config import AioConfig  # type: ignore[import-untyped]
from aiobotocore.httpsession import AIOHTTPSession  # type: ignore[import-untyped]
from aiobotocore.session import AioSession  # type: ignore[import-untyped]
from botocore import xform_name  # type: ignore[import-untyped]
from botocore.exceptions import (  # type: ignore[import-untyped]
    BotoCoreError,
    ClientError,
    ConnectionError as BotoConnectionError,
    HTTPClientError,
    InvalidRegionError,
    NoCredentialsError,
    NoRegionError,
    ParamValidationError,
    PartialCredentialsError,
)
from botocore.httpsession import (  # type: ignore[import-untyped]
    create_urllib3_context,
    get_cert_path,
)

from .models import (
    Sample,
    SettingsError,
    SinkAuthError,
    SinkError,
    SinkNotFoundError,
    SinkPermissionError,
    SinkUnreachableError,
    WriteResult,
)
from .settings import (
    DEFAULT_MAGNETIC_RETENTION_DAYS,
    DEFAULT_MEMORY_RETENTION_HOURS,
    MAGNETIC_RETENTION_DAYS_RANGE,
    MEMORY_RETENTION_HOURS_RANGE,
)

_LOGGER = logging.getLogger(__name__)

SERVICE: Final = "timestream-write"
MEASURE_NAME: Final = "powertracker"
"""The measure name of every record (the multi-measure record's name)."""
HOME_DIMENSION: Final = "home_id"
RECORD_VERSION: Final = 1
"""The version of every record: a re-send is an idempotent upsert (see above)."""
MAX_RECORDS_PER_WRITE: Final = 100
"""Timestream's limit of records in one `WriteRecords` request."""


WRITE_ATTEMPTS: Final = 3
BACKOFF_BASE: Final = 0.5
"""Seconds: the longest sleep before the second attempt; it doubles each time."""

CONNECT_TIMEOUT: Final = 10.0
READ_TIMEOUT: Final = 30.0

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_MILLISECOND: Final = timedelta(milliseconds=1)
_MAX_DIMENSION_VALUE_BYTES: Final = 2048
_MAX_MESSAGE_CHARS: Final = 300

_AUTH_CODES: Final = frozenset(
    {
        "UnrecognizedClientException",
        "InvalidSignatureException",
        "ExpiredTokenException",
        "ExpiredToken",
        "InvalidClientTokenId",
        "IncompleteSignature",
        "MissingAuthenticationToken",
        "SignatureDoesNotMatch",
    }
)
_PERMISSION_CODES: Final = frozenset({"AccessDeniedException", "AccessDenied"})
_NOT_FOUND: Final = frozenset({"ResourceNotFoundException"})
_TRANSIENT_CODES: Final = frozenset(
    {
        "ThrottlingException",
        "Throttling",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "InternalServerException",
        "InternalFailure",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "RequestTimeout",
        "RequestTimeoutException",
        "InvalidEndpointException",
    }
)

Sleep = Callable[[float], Awaitable[None]]


class TimestreamConfigError(SinkError):
    """AWS refused the settings themselves (e.g. a database name it won't take)."""

    retryable = False


class TimestreamSink:
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
        endpoint_url = endpoint_url or None
        if (access_key_id is None) != (secret_access_key is None):
            raise SettingsError(
                "key_pair",
                "give both access_key_id and secret_access_key, or neither",
                "access_key_id" if access_key_id is None else "secret_access_key",
            )
        self.region = region
        self.database = database
        self.table = table
        self.access_key_id = access_key_id
        self._secret_access_key = secret_access_key
        self.create = create
        self.memory_retention_hours = _whole(
            "memory_retention_hours",
            memory_retention_hours,
            MEMORY_RETENTION_HOURS_RANGE,
        )
        self.magnetic_retention_days = _whole(
            "magnetic_retention_days",
            magnetic_retention_days,
            MAGNETIC_RETENTION_DAYS_RANGE,
        )
        self.magnetic_writes = magnetic_writes
        self.endpoint_url = endpoint_url
        self._sleep = sleep
        self._jitter = jitter
        self._stack: AsyncExitStack | None = None
        self._client: Any = None
        self._client_lock = asyncio.Lock()

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
        client = await self._ensure_client()
        database = {"DatabaseName": self.database}
        table = {**database, "TableName": self.table}
        found = await self._answer(client, "DescribeDatabase", _NOT_FOUND, **database)
        if found is None:
            what = f"database {self.database!r}"
            await self._create(client, "CreateDatabase", what, **database)
        answer = await self._answer(client, "DescribeTable", _NOT_FOUND, **table)
        if answer is None and not await self._create(
            client,
            "CreateTable",
            f"table {self.database}.{self.table}",
            **table,
            RetentionProperties=self._retention(),
            MagneticStoreWriteProperties={
                "EnableMagneticStoreWrites": self.magnetic_writes
            },
        ):
            # Someone else created it: check what they made.
            answer = await self._answer(client, "DescribeTable", (), **table)
        if answer is not None:
            await self._reconcile_table(client, answer.get("Table", {}))

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
        if not records:
            return result
        client = await self._ensure_client()
        for start in range(0, len(records), MAX_RECORDS_PER_WRITE):
            batch = records[start : start + MAX_RECORDS_PER_WRITE]
            result += await self._write_batch(client, batch)
        return result

    async def close(self) -> None:
        """Close the client (and its connection pool); a later call makes a new one."""
        async with self._client_lock:
            stack, self._stack, self._client = self._stack, None, None
            if stack is not None:
                await stack.aclose()

    # -- the client -------------------------------------------------------

    async def _ensure_client(self) -> Any:
        """The aiobotocore client, created on first use."""
        async with self._client_lock:
            if self._client is not None:
                return self._client
            # botocore reads its JSON models from disk (and lists its data
            # folders) when it builds a client: do that in a thread, so that
            # building the client in the event loop finds them cached.
            try:
                session = await asyncio.to_thread(_prepared_session)
            except (BotoCoreError, OSError) as err:  # OSError: an unreadable CA bundle
                raise self._botocore_error("set-up", err) from None
            config = AioConfig(
                http_session_cls=_PreparedHTTPSession,
                connect_timeout=CONNECT_TIMEOUT,
                read_timeout=READ_TIMEOUT,
                # One attempt per call: write() does its own bounded retries.
                retries={"mode": "standard", "total_max_attempts": 1},
            )
            stack = AsyncExitStack()
            try:
                self._client = await stack.enter_async_context(
                    session.create_client(
                        SERVICE,
                        region_name=self.region,
                        endpoint_url=self.endpoint_url,
                        aws_access_key_id=self.access_key_id,
                        aws_secret_access_key=self._secret_access_key,
                        config=config,
                    )
                )
            except BotoCoreError as err:
                await stack.aclose()
                raise self._botocore_error("create client", err) from None
            self._stack = stack
            return self._client

    # -- provisioning -----------------------------------------------------

    async def _create(
        self, client: Any, operation: str, what: str, **params: Any
    ) -> bool:
        """Create `what` (True), unless someone else just did (False).

        `SinkNotFoundError` if creating is off.
        """
        if not self.create:
            raise SinkNotFoundError(
                f"Timestream {what} does not exist in {self.region} "
                "(and creating it is off)"
            )
        conflict = {"ConflictException"}
        if await self._answer(client, operation, conflict, **params) is not None:
            _LOGGER.info("Created Timestream %s", what)
            return True
        _LOGGER.debug("Timestream %s appeared meanwhile", what)
        return False

    def _retention(self) -> dict[str, int]:
        return {
            "MemoryStoreRetentionPeriodInHours": self.memory_retention_hours,
            "MagneticStoreRetentionPeriodInDays": self.magnetic_retention_days,
        }

    async def _reconcile_table(self, client: Any, table: dict[str, Any]) -> None:
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
        await self._answer(
            client,
            "UpdateTable",
            (),
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

    async def _write_batch(
        self, client: Any, batch: list[dict[str, Any]]
    ) -> WriteResult:
        """Write one request's records."""
        for attempt in range(WRITE_ATTEMPTS):
            try:
                await self._call(
                    client,
                    "WriteRecords",
                    DatabaseName=self.database,
                    TableName=self.table,
                    Records=batch,
                )
            except ClientError as err:
                code = _code(err)
                if code == "RejectedRecordsException":
                    return self._rejected(err, len(batch))
                if code == "ValidationException":
                    _LOGGER.warning(
                        "Timestream refused a request of %d record(s) as invalid; "
                        "dropped: %s",
                        len(batch),
                        self._redact(_message(err)),
                    )
                    return WriteResult(written=0, dropped=len(batch))
                if not _transient(err) or attempt == WRITE_ATTEMPTS - 1:
                    raise self._client_error("WriteRecords", err) from None
                delay = self._backoff(attempt)
                _LOGGER.debug(
                    "Timestream WriteRecords: %s, attempt %d of %d, retrying in %.2f s",
                    code,
                    attempt + 1,
                    WRITE_ATTEMPTS,
                    delay,
                )
                await self._sleep(delay)
            except TimestreamConfigError as err:
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
                reasons[reason[:_MAX_MESSAGE_CHARS]] += 1
        if conflicts:
            _LOGGER.debug(
                "Timestream kept %d record(s) it already had with other values "
                "(version conflict)",
                conflicts,
            )
        for reason, count in reasons.items():
            _LOGGER.warning("Timestream rejected %d record(s): %s", count, reason)
        return WriteResult(written=size - len(indexes), dropped=len(indexes))

    # -- calls and errors -------------------------------------------------

    async def _answer(
        self, client: Any, operation: str, none_for: Collection[str], **params: Any
    ) -> dict[str, Any] | None:
        """AWS's answer to `operation`, or None for an error code in `none_for`.

        Any other error answer raises its `SinkError`.
        """
        try:
            return await self._call(client, operation, **params)
        except ClientError as err:
            if _code(err) in none_for:
                return None
            raise self._client_error(operation, err) from None

    async def _call(self, client: Any, operation: str, **params: Any) -> dict[str, Any]:
        """Call `operation` (e.g. "WriteRecords"), mapping all but AWS's answers.

        `ClientError` passes through for the caller (see `_answer`).
        """
        method = getattr(client, xform_name(operation))
        try:
            answer: dict[str, Any] = await method(**params)
        except (BotoConnectionError, HTTPClientError) as err:
            raise SinkUnreachableError(
                f"Timestream {operation} got no answer: {type(err).__name__}"
                f" ({self.endpoint_url or self.region})"
            ) from None
        except BotoCoreError as err:
            raise self._botocore_error(operation, err) from None
        return answer

    def _botocore_error(
        self, operation: str, err: BotoCoreError | OSError
    ) -> SinkError:
        if isinstance(err, NoCredentialsError | PartialCredentialsError):
            return SinkAuthError(
                f"Timestream {operation}: no AWS credentials (give an access key, "
                "or set up the default credential chain)"
            )
        if isinstance(err, ParamValidationError | InvalidRegionError | NoRegionError):
            return TimestreamConfigError(
                f"Timestream {operation}: invalid settings: {self._redact(str(err))}"
            )
        kind = SinkError if isinstance(err, BotoCoreError) else TimestreamConfigError
        return kind(
            f"Timestream {operation} failed: {type(err).__name__}: "
            f"{self._redact(str(err))}"
        )

    def _client_error(self, operation: str, err: ClientError) -> SinkError:
        """The SinkError for an AWS error answer: operation, code, status, message."""
        code = _code(err)
        status = _status(err)
        request_id = err.response.get("ResponseMetadata", {}).get("RequestId")
        text = (
            f"Timestream {operation} failed: {code or 'unknown error'}"
            f" (HTTP {status}): {self._redact(_message(err))}"
            + (f" [request ID {request_id}]" if request_id else "")
        )
        if code in _AUTH_CODES:
            return SinkAuthError(text)
        if code in _PERMISSION_CODES:
            return SinkPermissionError(text)
        if code in _NOT_FOUND:
            return SinkNotFoundError(text)
        if _transient(err):
            return SinkUnreachableError(text)
        if code == "ValidationException":
            return TimestreamConfigError(text)
        return SinkError(text)

    def _redact(self, text: str) -> str:
        """`text` with the credentials masked, and not too long."""
        for secret in (self._secret_access_key, self.access_key_id):
            if secret:
                text = text.replace(secret, "***")
        return text[:_MAX_MESSAGE_CHARS]


def _prepared_session() -> Any:
    """A session whose loader has read the Timestream models (blocking I/O).

    Also builds the TLS context `_PreparedHTTPSession` will use, with the CA
    bundle botocore will pick (AWS_CA_BUNDLE or `ca_bundle`, else
    REQUESTS_CA_BUNDLE, else its own default).
    """
    session = AioSession()
    loader = session.get_component("data_loader")
    loader.load_service_model(SERVICE, "service-2")
    loader.load_service_model(SERVICE, "endpoint-rule-set-1")
    session.get_scoped_config()
    verify: str | bool = (
        session.get_config_variable("ca_bundle")
        or os.environ.get("REQUESTS_CA_BUNDLE")
        or True
    )
    _tls_context(verify)
    return session


@functools.cache
def _tls_context(verify: str | bool) -> ssl.SSLContext:
    """The context aiobotocore would build per connection pool (blocking I/O)."""
    context: ssl.SSLContext = create_urllib3_context()
    context.load_verify_locations(get_cert_path(verify))
    return context


class _PreparedHTTPSession(AIOHTTPSession):  # type: ignore[misc]
    """aiobotocore's HTTP session with the TLS context built off the event loop.

    aiobotocore loads the CA bundle (`load_verify_locations`) in the event loop
    when it makes its connection pool; Home Assistant reports that as blocking.
    This takes the context from `_tls_context`, which `_prepared_session` has
    built in a thread for the same bundle. Verification off, a client
    certificate or a proxy go aiobotocore's usual way.
    """

    def _create_connector(self, proxy_url: str | None) -> aiohttp.TCPConnector:
        if not self._verify or proxy_url or self._cert_file:
            connector: aiohttp.TCPConnector = super()._create_connector(proxy_url)
            return connector
        return aiohttp.TCPConnector(
            limit=self._max_pool_connections,
            ssl=_tls_context(self._verify),
            **self._connector_args,
        )


def sample_record(sample: Sample) -> dict[str, Any] | None:
    """The Timestream record of `sample`, or None if it has nothing storable."""
    home = sample.home_id
    if (
        sample.time.utcoffset() is None
        or not home
        or len(home.encode()) > _MAX_DIMENSION_VALUE_BYTES
    ):
        return None
    values = [
        {"Name": name, "Value": repr(value), "Type": "DOUBLE"}
        for name, value in sample.measures()
    ]
    if not values:
        return None
    if sample.currency:
        values.append({"Name": "currency", "Value": sample.currency, "Type": "VARCHAR"})
    return {
        "Dimensions": [{"Name": HOME_DIMENSION, "Value": home}],
        "MeasureName": MEASURE_NAME,
        "MeasureValueType": "MULTI",
        "MeasureValues": values,
        "Time": str((sample.time - _EPOCH) // _MILLISECOND),
        "TimeUnit": "MILLISECONDS",
        "Version": RECORD_VERSION,
    }


def _whole(name: str, value: float, valid: range) -> int:
    """`value` as an int within `valid` (UI number fields give floats such as 48.0)."""
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        number = None
    if number is None or number != value or number not in valid:
        raise SettingsError(
            "retention_range",
            f"{name} must be a whole number within {valid[0]}..{valid[-1]}",
            name,
            min=str(valid[0]),
            max=str(valid[-1]),
        )
    return number


def _code(err: ClientError) -> str:
    return str(err.response.get("Error", {}).get("Code", ""))


def _message(err: ClientError) -> str:
    return str(err.response.get("Error", {}).get("Message", ""))


def _status(err: ClientError) -> int:
    status = err.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
    return status if isinstance(status, int) else 0


def _transient(err: ClientError) -> bool:
    """Throttled or a server fault: worth another try later."""
    return _code(err) in _TRANSIENT_CODES or _status(err) >= 500
