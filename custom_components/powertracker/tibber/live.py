"""Live snapshots over Tibber's websocket (graphql-transport-ws, through gql).

A snapshot opens ONE connection, multiplexes one `liveMeasurement` subscription
per home on it, keeps the first measurement of each, and closes the connection,
whatever happens. Tibber allows about two open connections per token, so
holding one open between polls would lock other clients (and the owner's app)
out; a 5-minute poll needs one measurement, not a stream.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Sequence
from contextlib import aclosing, suppress
from typing import Final

import aiohttp
from gql import Client
from gql.client import AsyncClientSession
from gql.transport.common.adapters.aiohttp import AIOHTTPWebSocketsAdapter
from gql.transport.exceptions import TransportError, TransportQueryError
from gql.transport.websockets_protocol import WebsocketsProtocolTransportBase

from . import queries
from .errors import (
    InvalidTokenError,
    TibberConnectionError,
    TibberError,
    TooManyConnectionsError,
    from_graphql_errors,
    retry_after_seconds,
)
from .models import LiveMeasurement, LiveSnapshot

_LOGGER = logging.getLogger(__name__)
_TOKEN = re.compile(r'("token"\s*:\s*)"[^"]*"')


class _RedactToken(logging.Filter):
    """gql logs every websocket message at DEBUG, connection_init (and its token)
    included; this filter blanks the token so debug logs stay safe to share."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = _TOKEN.sub(r'\1"**REDACTED**"', record.getMessage())
        record.args = ()
        return True


_REDACT_TOKEN = _RedactToken()


def _redact_gql_debug_log() -> None:
    """Put the filter on gql's transport logger, once, when a connection is
    about to log (not at import: importing the client changes nothing global)."""
    gql_log = logging.getLogger("gql.transport.common.base")
    if _REDACT_TOKEN not in gql_log.filters:
        gql_log.addFilter(_REDACT_TOKEN)


SUBPROTOCOL: Final = "graphql-transport-ws"
CLOSE_INVALID_TOKEN: Final = 4403
CLOSE_TOO_MANY_CONNECTIONS: Final = 4429


class _Adapter(AIOHTTPWebSocketsAdapter):
    """gql's aiohttp websocket adapter that remembers why the server closed.

    gql turns every close into a bare "Connection was closed"; Tibber says in the
    close code whether the token is bad (4403) or the connections are used up.
    """

    close_code: int | None = None

    async def receive(self) -> str:
        try:
            return await super().receive()
        except TransportError:
            if self.websocket is not None and self.websocket.close_code is not None:
                self.close_code = self.websocket.close_code
            raise


class _WebsocketTransport(WebsocketsProtocolTransportBase):
    """gql's graphql-transport-ws protocol over `_Adapter`."""

    def __init__(self, adapter: _Adapter, token: str, timeout: float) -> None:
        self.adapter: _Adapter = adapter
        super().__init__(
            adapter=adapter,
            init_payload={"token": token},
            subprotocols=[SUBPROTOCOL],
            connect_timeout=timeout,
            ack_timeout=timeout,
            close_timeout=timeout,
        )


def _connection_error(err: BaseException, close_code: int | None) -> TibberError:
    """Map a failed or closed websocket to a client error."""
    if close_code == CLOSE_INVALID_TOKEN:
        return InvalidTokenError("Tibber rejected the access token (close 4403)")
    if close_code == CLOSE_TOO_MANY_CONNECTIONS:
        return TooManyConnectionsError(
            "Tibber refused the connection: too many open connections (close 4429)"
        )
    handshake = err.__cause__
    if isinstance(handshake, aiohttp.WSServerHandshakeError):
        if handshake.status == 429:
            return TooManyConnectionsError(
                "Tibber refused the websocket handshake (HTTP 429)",
                retry_after=retry_after_seconds(
                    handshake.headers.get("Retry-After") if handshake.headers else None
                ),
            )
        if handshake.status in (401, 403):
            return InvalidTokenError(
                f"Tibber rejected the access token (HTTP {handshake.status})"
            )
        return TibberConnectionError(
            f"Tibber refused the websocket handshake (HTTP {handshake.status})"
        )
    if close_code is not None:
        return TibberConnectionError(f"Tibber closed the websocket (code {close_code})")
    return TibberConnectionError(f"Cannot reach Tibber's websocket: {err!r}")


async def _first_measurement(
    session: AsyncClientSession, home_id: str
) -> LiveMeasurement | None:
    """The home's first measurement; None if Tibber completes the stream empty."""
    request = queries.Request(queries.LIVE_MEASUREMENT, {"homeId": home_id})
    async with aclosing(session.subscribe(request)) as stream:
        async for data in stream:
            return LiveMeasurement.from_graphql(data["liveMeasurement"])
    return None


async def live_snapshot(
    session: aiohttp.ClientSession,
    url: str,
    token: str,
    *,
    user_agent: str,
    home_ids: Sequence[str],
    timeout: float,
) -> LiveSnapshot:
    """Take one measurement per home on one connection, within `timeout` seconds."""
    _redact_gql_debug_log()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    adapter = _Adapter(url=url, headers={"User-Agent": user_agent}, session=session)
    transport = _WebsocketTransport(adapter, token, timeout)
    gql_session = AsyncClientSession(client=Client(transport=transport))
    try:
        try:
            async with asyncio.timeout_at(deadline):
                await transport.connect()
        except TimeoutError as err:
            raise TibberConnectionError(
                f"Tibber's websocket did not accept us within {timeout:g} s"
            ) from err
        except TransportError as err:
            raise _connection_error(err, adapter.close_code) from err
        return await _collect(gql_session, adapter, home_ids, deadline - loop.time())
    finally:
        with suppress(TransportError, AssertionError):
            await transport.close()


async def _collect(
    session: AsyncClientSession,
    adapter: _Adapter,
    home_ids: Sequence[str],
    timeout: float,
) -> LiveSnapshot:
    """Subscribe for every home at once; keep what arrives before the deadline."""
    tasks = {
        asyncio.create_task(_first_measurement(session, home_id)): home_id
        for home_id in dict.fromkeys(home_ids)
    }
    done, pending = await asyncio.wait(tasks, timeout=max(timeout, 0.0))
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)

    measurements: dict[str, LiveMeasurement] = {}
    errors: dict[str, str] = {}
    lost: TransportError | None = None
    for task in done:
        home_id = tasks[task]
        try:
            measurement = task.result()
        except TransportQueryError as err:
            errors[home_id] = str(from_graphql_errors(err.errors))
        except TransportError as err:
            lost = err
            errors[home_id] = "connection lost"
        else:
            if measurement is not None:
                measurements[home_id] = measurement
    if lost is not None and (
        not measurements
        or adapter.close_code in (CLOSE_INVALID_TOKEN, CLOSE_TOO_MANY_CONNECTIONS)
    ):
        raise _connection_error(lost, adapter.close_code) from lost
    silent = set(tasks.values()) - measurements.keys() - errors.keys()
    if silent:
        _LOGGER.debug("No measurement before the deadline from %s", sorted(silent))
    return LiveSnapshot(measurements=measurements, errors=errors)
