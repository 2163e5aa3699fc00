"""One AWS service through aiobotocore: its client, its calls, its errors.

Free of Home Assistant. The Timestream sink writes through it
(`timestream-write`); the same class serves any other AWS service.

The client is made on first use, with botocore's models and the CA bundle read in
a thread (Home Assistant reports both as blocking I/O in the event loop), and
with botocore's own retries off: callers retry what is worth retrying. Without
a key pair the default credential chain is asked in a thread as well
(`_ChainInThread`): its instance-role and container look-ups open HTTP sessions
of aiobotocore's own, which read the CA bundle in the loop.

Errors. An AWS error answer (`ClientError`) passes through `call` for the
caller to judge; `error` turns it into the `SinkError` that says what went
wrong (operation, error code, HTTP status, AWS's message, request ID), and
`answer` does so for every code but those the caller expects. Connection
failures and timeouts raise `SinkUnreachableError`. The botocore exception is
never chained, and AWS's messages are passed on with the access key ID and the
secret masked: the secret is handed to botocore and kept nowhere else.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import os
import ssl
from collections.abc import Collection
from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import aiohttp
from aiobotocore.config import AioConfig  # type: ignore[import-untyped]
from aiobotocore.credentials import (  # type: ignore[import-untyped]
    AioRefreshableCredentials,
)
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
    SinkAuthError,
    SinkError,
    SinkNotFoundError,
    SinkPermissionError,
    SinkUnreachableError,
)

CONNECT_TIMEOUT: Final = 10.0
READ_TIMEOUT: Final = 30.0
MAX_MESSAGE_CHARS: Final = 300
CHAIN_KEYS_KEPT: Final = (3600, 1800, 1200)
"""Seconds the default chain's keys are used before the chain is asked again:
the longest of these that the keys are still valid for (else 600)."""
"""Characters of AWS's message kept in an exception or log line."""

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
_NOT_FOUND_CODES: Final = frozenset({"ResourceNotFoundException"})
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


class AwsConfigError(SinkError):
    """AWS refused the settings themselves (e.g. a database name it won't take)."""

    retryable = False
    reason = "sink_settings_refused"


class AwsNoCredentialsError(SinkAuthError):
    """No key pair given, and the default credential chain found none."""

    reason = "sink_no_credentials"


class AwsService:
    """The client of one AWS service, made on first use; see the module doc."""

    def __init__(
        self,
        service: str,
        *,
        name: str,
        region: str,
        endpoint_url: str | None,
        access_key_id: str | None,
        secret_access_key: str | None,
    ) -> None:
        """`name` starts every error message ("Timestream WriteRecords failed")."""
        self.service = service
        self.name = name
        self.region = region
        self.endpoint_url = endpoint_url
        self._access_key_id = access_key_id
        self._secret_access_key = secret_access_key
        self._stack: AsyncExitStack | None = None
        self._client: Any = None
        self._lock = asyncio.Lock()

    async def client(self) -> Any:
        """The aiobotocore client, created on first use."""
        async with self._lock:
            if self._client is not None:
                return self._client
            chain = self._access_key_id is None
            try:
                session = await asyncio.to_thread(
                    _prepared_session, self.service, self.region if chain else None
                )
            except (BotoCoreError, OSError) as err:  # OSError: an unreadable CA bundle
                raise self._botocore_error("set-up", err) from None
            config = AioConfig(
                http_session_cls=_HTTP_SESSION,
                connect_timeout=CONNECT_TIMEOUT,
                read_timeout=READ_TIMEOUT,
                retries={"mode": "standard", "total_max_attempts": 1},
            )
            stack = AsyncExitStack()
            try:
                self._client = await stack.enter_async_context(
                    session.create_client(
                        self.service,
                        region_name=self.region,
                        endpoint_url=self.endpoint_url,
                        aws_access_key_id=self._access_key_id,
                        aws_secret_access_key=self._secret_access_key,
                        config=config,
                    )
                )
            except BotoCoreError as err:
                await stack.aclose()
                raise self._botocore_error("create client", err) from None
            self._stack = stack
            return self._client

    async def close(self) -> None:
        """Close the client (and its connection pool); a later call makes a new one."""
        async with self._lock:
            stack, self._stack, self._client = self._stack, None, None
            if stack is not None:
                await stack.aclose()

    async def call(self, operation: str, **params: Any) -> dict[str, Any]:
        """Call `operation` (e.g. "WriteRecords"), mapping all but AWS's answers.

        `ClientError` passes through for the caller (see `answer`).
        """
        method = getattr(await self.client(), xform_name(operation))
        try:
            answer: dict[str, Any] = await method(**params)
        except (BotoConnectionError, HTTPClientError) as err:
            detail = f"{self.endpoint_url or self.region}: {type(err).__name__}"
            raise SinkUnreachableError(
                f"{self.name} {operation} got no answer ({detail})", detail
            ) from None
        except BotoCoreError as err:
            raise self._botocore_error(operation, err) from None
        return answer

    async def answer(
        self, operation: str, none_for: Collection[str] = (), **params: Any
    ) -> dict[str, Any] | None:
        """AWS's answer to `operation`, or None for an error code in `none_for`.

        Any other error answer raises its `SinkError`.
        """
        try:
            return await self.call(operation, **params)
        except ClientError as err:
            if code(err) in none_for:
                return None
            raise self.error(operation, err) from None

    def error(self, operation: str, err: ClientError) -> SinkError:
        """The SinkError for an AWS error answer: operation, code, status, message."""
        error_code = code(err)
        request_id = err.response.get("ResponseMetadata", {}).get("RequestId")
        detail = (
            f"{error_code or 'unknown error'} (HTTP {status(err)}):"
            f" {self.redact(message(err))}"
        )
        text = f"{self.name} {operation} failed: {detail}" + (
            f" [request ID {request_id}]" if request_id else ""
        )
        kind: type[SinkError] = SinkError
        if error_code in _AUTH_CODES:
            kind = SinkAuthError
        elif error_code in _PERMISSION_CODES:
            kind = SinkPermissionError
        elif error_code in _NOT_FOUND_CODES:
            kind = SinkNotFoundError
        elif transient(err):
            kind = SinkUnreachableError
        elif error_code == "ValidationException":
            kind = AwsConfigError
        return kind(text, detail)

    def redact(self, text: str) -> str:
        """`text` with the credentials masked, and not too long."""
        for secret in (self._secret_access_key, self._access_key_id):
            if secret:
                text = text.replace(secret, "***")
        return text[:MAX_MESSAGE_CHARS]

    def _botocore_error(
        self, operation: str, err: BotoCoreError | OSError
    ) -> SinkError:
        if isinstance(err, NoCredentialsError | PartialCredentialsError):
            return AwsNoCredentialsError(
                f"{self.name} {operation}: no AWS credentials (give an access key, "
                "or set up the default credential chain)",
                type(err).__name__,
            )
        if isinstance(err, ParamValidationError | InvalidRegionError | NoRegionError):
            detail = self.redact(str(err))
            return AwsConfigError(
                f"{self.name} {operation}: invalid settings: {detail}", detail
            )
        kind = SinkError if isinstance(err, BotoCoreError) else AwsConfigError
        detail = f"{type(err).__name__}: {self.redact(str(err))}"
        return kind(f"{self.name} {operation} failed: {detail}", detail)


def code(err: ClientError) -> str:
    """AWS's error code ("ThrottlingException")."""
    return str(err.response.get("Error", {}).get("Code", ""))


def message(err: ClientError) -> str:
    """AWS's error message (may hold the access key ID: redact it)."""
    return str(err.response.get("Error", {}).get("Message", ""))


def status(err: ClientError) -> int:
    """The answer's HTTP status, 0 if unknown."""
    value = err.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
    return value if isinstance(value, int) else 0


def transient(err: ClientError) -> bool:
    """Throttled or a server fault: worth another try later."""
    return code(err) in _TRANSIENT_CODES or status(err) >= 500


def _prepared_session(service: str, chain_region: str | None) -> Any:
    """A session whose loader has read `service`'s models (blocking I/O).

    Also builds the TLS context `_PreparedHTTPSession` will use, with the CA
    bundle botocore will pick (AWS_CA_BUNDLE or `ca_bundle`, else
    REQUESTS_CA_BUNDLE, else its own default). With `chain_region`, the
    session's credentials come from the default chain, asked in a thread.
    """
    session = AioSession()
    if chain_region is not None:
        session.register_component("credential_provider", _ChainInThread(chain_region))
    loader = session.get_component("data_loader")
    loader.load_service_model(service, "service-2")
    loader.load_service_model(service, "endpoint-rule-set-1")
    session.get_scoped_config()
    verify: str | bool = (
        session.get_config_variable("ca_bundle")
        or os.environ.get("REQUESTS_CA_BUNDLE")
        or True
    )
    _tls_context(verify)
    return session


class _ChainInThread:
    """The default credential chain, asked in a worker thread on a loop of its own.

    The session's credential provider. The chain reads files, and its
    instance-role and container look-ups open aiobotocore's own HTTP sessions,
    which load the CA bundle in the event loop: Home Assistant reports both.
    Here the chain only hands over keys. They are refreshable whatever their
    source: each refresh asks the chain again, in a thread, so keys that expire
    (an instance role, a container, SSO, an assumed role) are renewed in time
    and keys in the environment or a file may change.
    """

    def __init__(self, region: str) -> None:
        """Ask the chain as a client of `region` would."""
        self._region = region

    async def load_credentials(self) -> Any:
        """Credentials for the session (None: the chain has none)."""
        keys = await asyncio.to_thread(_chain_keys, self._region)
        if keys is None:
            return None
        return AioRefreshableCredentials.create_from_metadata(
            keys, refresh_using=self._refresh, method="default-chain-in-thread"
        )

    async def _refresh(self) -> dict[str, Any]:
        keys = await asyncio.to_thread(_chain_keys, self._region)
        if keys is None:
            raise NoCredentialsError
        return keys


def _chain_keys(region: str) -> dict[str, Any] | None:
    """The default chain's keys now, and until when to use them (in a thread)."""
    return asyncio.run(_ask_chain(region))


async def _ask_chain(region: str) -> dict[str, Any] | None:
    session = AioSession()
    session.set_config_variable("region", region)
    credentials = await session.get_credentials()
    if credentials is None:
        return None
    keys = await credentials.get_frozen_credentials()
    expires = getattr(credentials, "refresh_needed", lambda _: False)
    kept = next((s for s in CHAIN_KEYS_KEPT if not expires(s)), 600)
    return {
        "access_key": keys.access_key,
        "secret_key": keys.secret_key,
        "token": keys.token,
        "expiry_time": (datetime.now(UTC) + timedelta(seconds=kept)).isoformat(),
    }


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


_HTTP_SESSION: Final = (
    AIOHTTPSession
    if inspect.iscoroutinefunction(AIOHTTPSession._create_connector)
    else _PreparedHTTPSession
)
"""aiobotocore 3.8 and newer build the TLS context in a thread themselves (an
async `_create_connector`; Home Assistant 2026.3 installs 3.8); 3.7 (pinned
through botocore by 2026.10 and newer) needs `_PreparedHTTPSession`."""
