"""A local Tibber: GraphQL over HTTP and graphql-transport-ws on 127.0.0.1.

It speaks the protocol as Tibber does (see ../shared/docs/tibber-api.md):
bearer auth and UNAUTHENTICATED errors over HTTP, `websocketSubscriptionUrl`
naming its own websocket endpoint, connection_init with the token, close
codes 4403/4429, and a limit of two open connections per token. Every fault
the client must survive can be switched on through `faults`, and it records
what it was sent so tests can check headers and connection counts.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import WSMsgType, web
from graphql import (
    ExecutionResult,
    GraphQLError,
    graphql,
    parse,
    subscribe,
    validate,
)

from . import house, schema

SIMULATOR_TOKEN = "powertracker-simulator-token"
SUBPROTOCOL = "graphql-transport-ws"
API_PATH = "/v1-beta/gql"
WS_PATH = "/v1-beta/gql/subscriptions"

HOMES: tuple[house.HomeSpec, ...] = (
    house.HomeSpec(
        id="c70dcbe5-4485-4821-933d-a8a86452737b",
        nickname="Villa Solsidan",
        address1="Storgatan 1",
        postal_code="11122",
        city="Stockholm",
        real_time=True,
        solar_peak_w=3500.0,
    ),
    house.HomeSpec(
        id="68e6938b-91a6-4199-a0d4-f24c22be87bb",
        nickname=None,
        address1="Sjövägen 7",
        postal_code="76291",
        city="Rimbo",
        real_time=False,
        base_load_w=180.0,
        phases=1,
    ),
)
VIEWER = {
    "userId": "b8f2b6a4-sim-user",
    "name": "Ada Lovelace",
    "login": "ada@example.com",
}


@dataclass
class Faults:
    """Switches for every failure the client must handle. All off by default."""

    http_status: int | None = None
    """Answer every HTTP request with this status and an HTML page (429, 503...)."""
    http_body: str | None = None
    """JSON body sent with `http_status` instead of an HTML page."""
    retry_after: str | None = None
    """Retry-After header sent with `http_status` and `ws_handshake_status`."""
    http_html: bool = False
    """Answer HTTP requests with 200 and an HTML page instead of JSON."""
    http_delay: float = 0.0
    """Seconds to wait before answering HTTP requests."""
    ws_handshake_status: int | None = None
    """Refuse the websocket handshake with this HTTP status."""
    silent: bool = False
    """Acknowledge the connection, then send no data at all."""
    silent_homes: set[str] = field(default_factory=set)
    """Homes whose subscription sends no data."""
    close_after_subscribe: int | None = None
    """Close the websocket with this code after the first subscribe."""
    empty_homes: set[str] = field(default_factory=set)
    """Homes whose subscription completes at once, without data."""
    hide_websocket_url: bool = False
    """Answer `websocketSubscriptionUrl` with null."""


@dataclass
class HttpRequest:
    """An HTTP request as the simulator received it."""

    headers: dict[str, str]
    body: dict[str, Any]


@dataclass
class WsConnection:
    """One websocket connection as the simulator saw it."""

    headers: dict[str, str]
    protocol: str | None
    subscriptions: list[str] = field(default_factory=list)
    completed: list[str] = field(default_factory=list)
    open: bool = True
    close_code: int | None = None


class TibberSimulator:
    """The simulated Tibber API; `await start()` it, read `api_url`, `await stop()`."""

    def __init__(
        self,
        *,
        token: str = SIMULATOR_TOKEN,
        seed: int = 1,
        homes: tuple[house.HomeSpec, ...] = HOMES,
        max_connections: int = 2,
        correction: float = 0.02,
        interval: float = 2.0,
        clock: Callable[[], datetime] | None = None,
        history_start: datetime = datetime(2024, 1, 1, tzinfo=UTC),
    ) -> None:
        """Configure the simulated account; `clock` gives Tibber's "now"."""
        self.token = token
        self.seed = seed
        self.homes = homes
        self.max_connections = max_connections
        self.correction = correction
        self.interval = interval
        self.clock = clock or (lambda: datetime.now(UTC))
        self.history_start = history_start
        self.history_delay = timedelta()
        """How long after its end an hour appears in the history (Tibber: minutes)."""
        self.corrections: dict[tuple[str, datetime], float] = {}
        """kWh Tibber adds after the fact to a home's hour, by (home id, hour start)."""
        self.viewer = dict(VIEWER)
        """The account owner; tests change `userId` to play another account."""
        self.faults = Faults()
        self.http_requests: list[HttpRequest] = []
        self.connections: list[WsConnection] = []
        self._schema = schema.build(self)
        self._runner: web.AppRunner | None = None
        self._sockets: set[web.WebSocketResponse] = set()
        self._base_url = ""

    # -- state -------------------------------------------------------------
    def now(self) -> datetime:
        """Tibber's current time (the test's clock)."""
        return self.clock().astimezone(UTC)

    def home(self, home_id: str) -> house.HomeSpec | None:
        """The home with this id, if the account has it."""
        return next((home for home in self.homes if home.id == home_id), None)

    @property
    def open_connections(self) -> int:
        """Websocket connections open right now."""
        return sum(connection.open for connection in self.connections)

    @property
    def api_url(self) -> str:
        """URL of the HTTP GraphQL endpoint."""
        return f"{self._base_url}{API_PATH}"

    @property
    def ws_url(self) -> str:
        """URL of the websocket endpoint (what `websocketSubscriptionUrl` says)."""
        return f"{self._base_url.replace('http', 'ws', 1)}{WS_PATH}"

    def energy(
        self, home_id: str, start: datetime, end: datetime, what: str = "consumption"
    ) -> float:
        """Ground truth: kWh consumed (or produced) by a home in [start, end)."""
        spec = self.home(home_id)
        assert spec is not None
        return house.energy_between(self.seed, spec, start, end, what)

    def cost(self, home_id: str, start: datetime, end: datetime) -> float:
        """Ground truth: the cost of a home's consumption in [start, end)."""
        spec = self.home(home_id)
        assert spec is not None
        return house.cost_between(self.seed, spec, start, end)

    def measurement(
        self, home_id: str, when: datetime | None = None
    ) -> dict[str, object]:
        """What the home's Pulse reports at `when` (default: now)."""
        spec = self.home(home_id)
        assert spec is not None
        return house.live_measurement(
            self.seed, spec, when or self.now(), correction=self.correction
        )

    async def measurements(
        self, spec: house.HomeSpec
    ) -> AsyncIterator[dict[str, object]]:
        """The live stream of one home: a measurement every `interval` seconds.

        Phase values come with the first message and then every fifth, as a
        Pulse sends them less often than power.
        """
        count = 0
        while spec.id not in self.faults.empty_homes:
            while self.faults.silent or spec.id in self.faults.silent_homes:
                await asyncio.sleep(0.05)
            yield house.live_measurement(
                self.seed,
                spec,
                self.now(),
                correction=self.correction,
                phases=count % 5 == 0,
            )
            count += 1
            await asyncio.sleep(self.interval)

    # -- lifecycle ---------------------------------------------------------
    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Listen on `host:port` (0 picks a free port)."""
        app = web.Application()
        app.router.add_post(API_PATH, self._http)
        app.router.add_get(WS_PATH, self._websocket)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        server = site._server
        assert isinstance(server, asyncio.Server)
        bound_host, bound_port = server.sockets[0].getsockname()[:2]
        self._base_url = f"http://{bound_host}:{bound_port}"

    async def stop(self) -> None:
        """Close every connection (1001, going away) and stop listening."""
        for ws in list(self._sockets):
            await ws.close(code=1001, message=b"Server shutting down")
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # -- HTTP --------------------------------------------------------------
    def _root(self) -> dict[str, Any]:
        homes = {spec.id: schema.HomeResolver(self, spec) for spec in self.homes}

        def home(_info: Any, id: str) -> schema.HomeResolver:
            if id not in homes:
                raise GraphQLError(
                    f"home {id} not found", extensions={"code": "NOT_FOUND"}
                )
            return homes[id]

        viewer = {
            **self.viewer,
            "accountType": ["tibber", "customer"],
            "homes": list(homes.values()),
            "home": home,
            "websocketSubscriptionUrl": None
            if self.faults.hide_websocket_url
            else self.ws_url,
        }
        return {"viewer": viewer}

    async def _http(self, request: web.Request) -> web.Response:
        raw = await request.read()
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        self.http_requests.append(
            HttpRequest(dict(request.headers), body if isinstance(body, dict) else {})
        )
        if self.faults.http_delay:
            await asyncio.sleep(self.faults.http_delay)
        if self.faults.http_status is not None:
            headers = (
                {"Retry-After": self.faults.retry_after}
                if self.faults.retry_after
                else {}
            )
            if self.faults.http_body is not None:
                return web.Response(
                    status=self.faults.http_status,
                    headers=headers,
                    text=self.faults.http_body,
                    content_type="application/json",
                )
            return _html(self.faults.http_status, headers)
        if self.faults.http_html:
            return _html(200, {})
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return web.json_response(
                {
                    "errors": [
                        {
                            "message": "Context creation failed: invalid token",
                            "extensions": {"code": "UNAUTHENTICATED"},
                        }
                    ]
                },
                status=400,
            )
        if not isinstance(body, dict) or not isinstance(body.get("query"), str):
            return web.json_response(
                {"errors": [{"message": "POST body sent invalid JSON."}]}, status=400
            )
        result = await graphql(
            self._schema,
            body["query"],
            root_value=self._root(),
            variable_values=body.get("variables"),
            operation_name=body.get("operationName"),
        )
        return web.json_response(
            result.formatted, status=200 if result.data is not None else 400
        )

    # -- websocket ---------------------------------------------------------
    async def _websocket(self, request: web.Request) -> web.StreamResponse:
        if self.faults.ws_handshake_status is not None:
            headers = (
                {"Retry-After": self.faults.retry_after}
                if self.faults.retry_after
                else {}
            )
            return _html(self.faults.ws_handshake_status, headers)
        ws = web.WebSocketResponse(protocols=(SUBPROTOCOL,), autoping=True)
        await ws.prepare(request)
        self._sockets.add(ws)
        connection = WsConnection(
            headers=dict(request.headers), protocol=ws.ws_protocol
        )
        crowded = self.open_connections >= self.max_connections
        self.connections.append(connection)
        tasks: dict[str, asyncio.Task[None]] = {}
        try:
            code, reason = await self._handshake(ws, crowded)
            if code is None:
                code, reason = await self._serve(ws, connection, tasks)
            if code is not None:
                connection.close_code = code
                await ws.close(code=code, message=reason.encode())
        finally:
            for task in tasks.values():
                task.cancel()
            await asyncio.gather(*tasks.values(), return_exceptions=True)
            if not ws.closed:
                await ws.close()
            connection.open = False
            connection.close_code = connection.close_code or ws.close_code
            self._sockets.discard(ws)
        return ws

    async def _handshake(
        self, ws: web.WebSocketResponse, crowded: bool
    ) -> tuple[int | None, str]:
        """Wait for connection_init; return a close code and reason, or (None, '')."""
        if ws.ws_protocol != SUBPROTOCOL:
            return 4406, "Subprotocol not acceptable"
        try:
            message = await ws.receive(timeout=10)
        except TimeoutError:
            return 4408, "Connection initialisation timeout"
        if message.type != WSMsgType.TEXT:
            return 4400, "Expected connection_init"
        try:
            init = json.loads(message.data)
        except ValueError:
            return 4400, "Invalid message received"
        if init.get("type") != "connection_init":
            return 4401, "Unauthorized"
        if crowded:
            return 4429, "Too many open connections"
        if (init.get("payload") or {}).get("token") != self.token:
            return 4403, "Forbidden: invalid token"
        await ws.send_json({"type": "connection_ack"})
        return None, ""

    async def _serve(
        self,
        ws: web.WebSocketResponse,
        connection: WsConnection,
        tasks: dict[str, asyncio.Task[None]],
    ) -> tuple[int | None, str]:
        """Handle subscribe/complete/ping until the client closes."""
        async for message in ws:
            if message.type != WSMsgType.TEXT:
                break
            try:
                data = json.loads(message.data)
            except ValueError:
                return 4400, "Invalid message received"
            kind, op_id = data.get("type"), data.get("id")
            if kind == "ping":
                await ws.send_json({"type": "pong"})
            elif kind == "connection_init":
                return 4429, "Too many initialisation requests"
            elif kind == "complete" and op_id in tasks:
                connection.completed.append(op_id)
                tasks.pop(op_id).cancel()
            elif kind == "subscribe" and isinstance(op_id, str):
                if op_id in tasks:
                    return 4409, f"Subscriber for {op_id} already exists"
                payload = data.get("payload") or {}
                connection.subscriptions.append(
                    str((payload.get("variables") or {}).get("homeId"))
                )
                if self.faults.close_after_subscribe is not None:
                    return self.faults.close_after_subscribe, "Closed by the simulator"
                tasks[op_id] = asyncio.create_task(self._operation(ws, op_id, payload))
            elif kind not in ("pong", "complete"):
                return 4400, f"Invalid message type {kind!r}"
        return None, ""

    async def _operation(
        self, ws: web.WebSocketResponse, op_id: str, payload: dict[str, Any]
    ) -> None:
        """Run one subscription: `error`, or `next`... then `complete`."""
        try:
            document = parse(payload.get("query") or "")
        except GraphQLError as err:
            await ws.send_json(
                {"id": op_id, "type": "error", "payload": [err.formatted]}
            )
            return
        errors = validate(self._schema, document)
        if errors:
            await ws.send_json(
                {"id": op_id, "type": "error", "payload": [e.formatted for e in errors]}
            )
            return
        outcome = subscribe(
            self._schema,
            document,
            variable_values=payload.get("variables"),
            operation_name=payload.get("operationName"),
        )
        # graphql-core 3.2 returns an awaitable of what 3.3 returns directly.
        result = await outcome if inspect.isawaitable(outcome) else outcome
        with contextlib.suppress(ConnectionResetError):
            if isinstance(result, ExecutionResult):
                await ws.send_json(
                    {"id": op_id, "type": "next", "payload": result.formatted}
                )
            else:
                async for event in result:
                    await ws.send_json(
                        {"id": op_id, "type": "next", "payload": event.formatted}
                    )
            await ws.send_json({"id": op_id, "type": "complete"})


def _html(status: int, headers: dict[str, str]) -> web.Response:
    return web.Response(
        status=status,
        headers=headers,
        content_type="text/html",
        text=f"<html><body><h1>{status}</h1><p>Tibber is down.</p></body></html>",
    )
