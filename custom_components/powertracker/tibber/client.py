"""Async client of Tibber's GraphQL API (HTTP and websocket), free of Home Assistant.

One object per access token. It owns the protocol: the documents it sends, the
User-Agent Tibber asks every client to send, the mapping of every failure to a
typed `TibberError`, and the websocket URL, which it asks Tibber for instead of
assuming one.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from typing import Any, Final

import aiohttp
from gql import Client
from gql.transport.aiohttp import AIOHTTPTransport
from gql.transport.exceptions import (
    TransportError,
    TransportProtocolError,
    TransportQueryError,
    TransportServerError,
)

from . import queries
from .errors import (
    InvalidTokenError,
    RateLimitedError,
    TibberConnectionError,
    TibberError,
    TibberQueryError,
    TibberServerError,
    TooManyConnectionsError,
    from_graphql_errors,
    retry_after_seconds,
)
from .live import live_snapshot
from .models import Account, EnergyHour, HourColumns, LiveSnapshot

DEFAULT_API_URL: Final = "https://api.tibber.com/v1-beta/gql"
HISTORY_PAGE_SIZE: Final = 744
"""Nodes per history page: a month of hours, as Tibber's own SDKs ask."""
DEFAULT_RETRY_AFTER: Final = 600.0
"""Seconds to keep away after a refusal without Retry-After (Tibber bans ~10 min)."""


class _HTTPStatusError(TransportServerError):
    """A status gql would not tell apart, with the Retry-After that came with it."""

    def __init__(self, status: int, retry_after: float | None) -> None:
        super().__init__(f"HTTP {status}", status)
        self.retry_after = retry_after


async def _raise_for_status(response: aiohttp.ClientResponse) -> None:
    """Stop at refusals, rate limits and server faults before gql reads the body.

    401/403 mean the token, whatever the body says. Other 4xx answers (Tibber
    sends 400 for a bad token) go on to gql, which reads the GraphQL `errors`.
    """
    if response.status in (401, 403, 428, 429) or response.status >= 500:
        retry_after = retry_after_seconds(response.headers.get("Retry-After"))
        raise _HTTPStatusError(response.status, retry_after)


class _HttpTransport(AIOHTTPTransport):
    """gql's HTTP transport on a borrowed connection pool.

    With `connector_owner=False` gql leaves its own ClientSession unclosed
    (aiohttp then warns); closing that session leaves the shared pool alone.
    """

    def __init__(
        self, url: str, headers: dict[str, str], session: aiohttp.ClientSession
    ) -> None:
        super().__init__(
            url=url,
            headers=headers,
            client_session_args={
                "connector": session.connector,
                "connector_owner": False,
            },
        )

    async def close(self) -> None:
        session = self.session
        await super().close()
        if session is not None:  # pragma: no branch - gql closes what it connected
            await session.close()


def _http_error(err: TransportError) -> TibberError:
    """Map a gql transport error of an HTTP request to a client error."""
    if isinstance(err, _HTTPStatusError) and err.code in (428, 429):
        return RateLimitedError(
            f"Tibber rate limit (HTTP {err.code})", retry_after=err.retry_after
        )
    if isinstance(err, TransportQueryError):
        return from_graphql_errors(err.errors)
    if isinstance(err, TransportServerError):
        if err.code in (401, 403):
            return InvalidTokenError(
                f"Tibber rejected the access token (HTTP {err.code})"
            )
        if err.code is not None and err.code < 500:
            return TibberQueryError(f"Tibber refused the request (HTTP {err.code})")
        return TibberServerError(f"Tibber server error (HTTP {err.code})")
    if isinstance(err, TransportProtocolError):
        return TibberServerError("Tibber sent a reply that is not GraphQL JSON")
    return TibberConnectionError(f"Cannot reach Tibber: {err}")


class TibberClient:
    """Tibber's API for one access token, on a shared aiohttp session."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        token: str,
        *,
        user_agent: str,
        api_url: str = DEFAULT_API_URL,
        timeout: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Use `session`'s connection pool; send `user_agent` on every request.

        `clock` (seconds) times the back-off after Tibber refuses us.
        """
        self._session = session
        self._token = token
        self._user_agent = user_agent
        self._api_url = api_url
        self._timeout = timeout
        self._clock = clock
        self._websocket_url: str | None = None
        self._http_not_before = 0.0
        self._live_not_before = 0.0

    def __repr__(self) -> str:
        """Name the endpoint, never the token."""
        return f"TibberClient(api_url={self._api_url!r})"

    async def account(self) -> Account:
        """The token's owner and homes; also learns the websocket URL."""
        viewer = (await self._execute(queries.ACCOUNT))["viewer"]
        self._websocket_url = viewer.get("websocketSubscriptionUrl")
        return Account.from_graphql(viewer)

    async def websocket_url(self) -> str:
        """Tibber's current websocket URL (asked for once, then remembered)."""
        if self._websocket_url is None:
            viewer = (await self._execute(queries.WEBSOCKET_URL))["viewer"]
            self._websocket_url = viewer.get("websocketSubscriptionUrl")
            if not self._websocket_url:
                raise TibberServerError("Tibber named no websocket URL")
        return self._websocket_url

    async def live_snapshot(
        self, home_ids: Sequence[str], *, timeout: float = 10.0
    ) -> LiveSnapshot:
        """The first live measurement of each home, on ONE websocket connection.

        Homes that stay silent for `timeout` seconds are missing from the result;
        the others are not held back. The connection is closed on return.
        """
        if not home_ids:
            return LiveSnapshot(measurements={}, errors={})
        # An HTTP rate limit blocks the IP address for websockets too.
        self._check_back_off(self._http_not_before, RateLimitedError)
        self._check_back_off(self._live_not_before, TooManyConnectionsError)
        url = await self.websocket_url()
        try:
            return await live_snapshot(
                self._session,
                url,
                self._token,
                user_agent=self._user_agent,
                home_ids=home_ids,
                timeout=timeout,
            )
        except TibberConnectionError:
            # Tibber has moved its websocket server before: ask again next time.
            self._websocket_url = None
            raise
        except TooManyConnectionsError as err:
            self._live_not_before = self._back_off_until(err)
            raise

    async def consumption(self, home_id: str, hours: int) -> list[EnergyHour]:
        """The last `hours` hours of consumption and cost, oldest first."""
        return await self._hours("consumption", home_id, hours)

    async def production(self, home_id: str, hours: int) -> list[EnergyHour]:
        """The last `hours` hours of production and profit, oldest first."""
        return await self._hours("production", home_id, hours)

    async def history(self, kind: str, home_id: str, hours: int) -> HourColumns:
        """The last `hours` hours of `kind` ("consumption" or "production") and
        its money, as columns (a year's import holds them all at once)."""
        pages = await self._history(
            kind, home_id, hours, lambda nodes: HourColumns.from_graphql(nodes, kind)
        )
        return HourColumns.join(pages)

    async def _hours(self, kind: str, home_id: str, hours: int) -> list[EnergyHour]:
        pages = await self._history(
            kind,
            home_id,
            hours,
            lambda nodes: [EnergyHour.from_graphql(node, kind) for node in nodes],
        )
        return [node for page in pages for node in page]

    async def _history[P](
        self,
        kind: str,
        home_id: str,
        hours: int,
        parse: Callable[[list[dict[str, Any]]], P],
    ) -> list[P]:
        """Page backwards from now until `hours` nodes or the start of the data;
        each page `parse`d as it comes, the pages oldest first."""
        document = queries.HISTORY[kind]
        pages: list[P] = []
        before: str | None = None
        remaining = hours
        while remaining > 0:
            variables = {
                "homeId": home_id,
                "last": min(remaining, HISTORY_PAGE_SIZE),
                "before": before,
            }
            data = await self._execute(document, variables)
            connection = (data["viewer"]["home"] or {}).get(kind) or {}
            nodes = [node for node in connection.get("nodes") or () if node]
            pages.append(parse(nodes))
            remaining -= len(nodes)
            page_info = connection.get("pageInfo") or {}
            before = page_info.get("startCursor")
            if not nodes or not page_info.get("hasPreviousPage") or not before:
                break
        pages.reverse()
        return pages

    async def _execute(
        self, document: str, variables: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """POST one GraphQL document; return `data` or raise a `TibberError`."""
        self._check_back_off(self._http_not_before, RateLimitedError)
        transport = _HttpTransport(
            self._api_url,
            {"Authorization": f"Bearer {self._token}", "User-Agent": self._user_agent},
            self._session,
        )
        request = queries.Request(document, variables)
        try:
            async with (
                asyncio.timeout(self._timeout),
                Client(transport=transport) as gql,
            ):
                data: dict[str, Any] = await gql.execute(
                    request, extra_args={"raise_for_status": _raise_for_status}
                )
                return data
        except TimeoutError as err:
            raise TibberConnectionError(
                f"Tibber did not answer within {self._timeout:g} s"
            ) from err
        except TransportError as err:
            error = _http_error(err)
            if isinstance(error, RateLimitedError):
                self._http_not_before = self._back_off_until(error)
            raise error from err

    def _back_off_until(self, err: RateLimitedError) -> float:
        """Remember not to ask before Retry-After (or 10 minutes) has passed."""
        return self._clock() + (err.retry_after or DEFAULT_RETRY_AFTER)

    def _check_back_off(self, not_before: float, error: type[RateLimitedError]) -> None:
        """Refuse, without a request, while Tibber has asked us to wait."""
        remaining = not_before - self._clock()
        if remaining > 0:
            raise error(
                f"Waiting {remaining:.0f} s more, as Tibber asked",
                retry_after=remaining,
            )
