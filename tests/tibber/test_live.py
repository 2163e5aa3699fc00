"""Live snapshots over the simulator's graphql-transport-ws endpoint."""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import fields, replace
from datetime import datetime

import aiohttp
import pytest
from aiohttp import web
from yarl import URL

from custom_components.powertracker.tibber import (
    InvalidTokenError,
    LiveMeasurement,
    TibberClient,
    TibberConnectionError,
    TooManyConnectionsError,
)
from custom_components.powertracker.tibber.models import camel_case
from loopback.tibber import HOMES, TibberSimulator
from tests.conftest import SIM_NOW, USER_AGENT, ManualClock

VILLA, CABIN = HOMES
QUIET = replace(VILLA, id="quiet", nickname="Quiet")


async def test_snapshot_has_every_field_as_the_meter_reports_it(
    tibber: TibberClient, tibber_sim: TibberSimulator
) -> None:
    snapshot = await tibber.live_snapshot([VILLA.id], timeout=5)

    measurement = snapshot.measurements[VILLA.id]
    reported = tibber_sim.measurement(VILLA.id, SIM_NOW)
    assert measurement.timestamp == datetime.fromisoformat(str(reported["timestamp"]))
    for field in fields(LiveMeasurement):
        if field.name != "timestamp":
            assert (
                getattr(measurement, field.name) == reported[camel_case(field.name)]
            ), field.name
    # Every attribute came through: none is left at None by a missing selection.
    assert all(
        getattr(measurement, field.name) is not None
        for field in fields(LiveMeasurement)
    )
    assert snapshot.errors == {}


async def test_one_connection_for_all_homes_closed_afterwards(
    tibber: TibberClient, tibber_sim: TibberSimulator
) -> None:
    snapshot = await tibber.live_snapshot([VILLA.id, CABIN.id], timeout=5)

    assert list(snapshot.measurements) == [VILLA.id]
    # The cabin has no Pulse: Tibber says so, and the villa is not held back.
    assert "no real-time meter" in snapshot.errors[CABIN.id]
    assert snapshot.measurements.keys() == {VILLA.id}
    [connection] = tibber_sim.connections
    assert connection.subscriptions == [VILLA.id, CABIN.id]
    assert connection.protocol == "graphql-transport-ws"
    assert connection.headers["User-Agent"] == USER_AGENT
    assert tibber_sim.token not in json.dumps(connection.headers)
    # The villa's subscription (id 1) was stopped with `complete` before closing.
    assert "1" in connection.completed
    await asyncio.sleep(0.05)
    assert tibber_sim.open_connections == 0
    assert connection.close_code == 1000


async def test_every_snapshot_opens_and_closes_its_own_connection(
    tibber: TibberClient, tibber_sim: TibberSimulator
) -> None:
    for _ in range(3):
        await tibber.live_snapshot([VILLA.id], timeout=5)
    await asyncio.sleep(0.05)
    assert len(tibber_sim.connections) == 3
    assert tibber_sim.open_connections == 0
    # The websocket URL was asked for once, not once per snapshot.
    assert len(tibber_sim.http_requests) == 1


async def test_no_homes_no_connection(
    tibber: TibberClient, tibber_sim: TibberSimulator
) -> None:
    snapshot = await tibber.live_snapshot([], timeout=5)
    assert snapshot.measurements == {}
    assert tibber_sim.connections == []
    assert tibber_sim.http_requests == []


async def test_silent_home_is_missing_without_failing_the_others(
    tibber: TibberClient, tibber_sim: TibberSimulator
) -> None:
    tibber_sim.homes = (*HOMES, QUIET)
    tibber_sim.faults.silent_homes = {"quiet"}
    loop = asyncio.get_running_loop()
    started = loop.time()
    snapshot = await tibber.live_snapshot([VILLA.id, "quiet"], timeout=0.5)

    assert loop.time() - started == pytest.approx(0.5, abs=0.3)
    assert set(snapshot.measurements) == {VILLA.id}
    assert snapshot.measurements.keys() == {VILLA.id}
    assert snapshot.errors == {}
    await asyncio.sleep(0.05)
    assert tibber_sim.open_connections == 0


async def test_acknowledged_but_no_data(
    tibber: TibberClient, tibber_sim: TibberSimulator
) -> None:
    tibber_sim.faults.silent = True
    snapshot = await tibber.live_snapshot([VILLA.id], timeout=0.3)
    assert snapshot.measurements == {}
    assert not snapshot.measurements
    await asyncio.sleep(0.05)
    assert tibber_sim.open_connections == 0


async def test_stream_completed_without_data(
    tibber: TibberClient, tibber_sim: TibberSimulator
) -> None:
    tibber_sim.faults.empty_homes = {VILLA.id}
    snapshot = await tibber.live_snapshot([VILLA.id], timeout=5)
    assert snapshot.measurements == {}
    assert snapshot.errors == {}


async def test_unknown_home(tibber: TibberClient) -> None:
    snapshot = await tibber.live_snapshot(["no-such-home"], timeout=5)
    assert "not found" in snapshot.errors["no-such-home"]


async def test_invalid_token_closes_4403(
    tibber: TibberClient, tibber_sim: TibberSimulator
) -> None:
    await tibber.websocket_url()
    tibber_sim.token = "rotated"  # the stored token was revoked
    with pytest.raises(InvalidTokenError, match="4403"):
        await tibber.live_snapshot([VILLA.id], timeout=5)
    await asyncio.sleep(0.05)
    assert tibber_sim.connections[0].close_code == 4403


async def _hold_connection(
    session: aiohttp.ClientSession, sim: TibberSimulator
) -> aiohttp.ClientWebSocketResponse:
    ws = await session.ws_connect(sim.ws_url, protocols=["graphql-transport-ws"])
    await ws.send_json({"type": "connection_init", "payload": {"token": sim.token}})
    assert (await ws.receive_json())["type"] == "connection_ack"
    return ws


async def test_too_many_connections_4429_then_waits(
    tibber_sim: TibberSimulator,
    http_session: aiohttp.ClientSession,
    clocked_tibber: TibberClient,
    manual_clock: ManualClock,
) -> None:
    tibber = clocked_tibber
    others = [await _hold_connection(http_session, tibber_sim) for _ in range(2)]
    with pytest.raises(TooManyConnectionsError, match="4429"):
        await tibber.live_snapshot([VILLA.id], timeout=5)
    for ws in others:
        await ws.close()
    connections = len(tibber_sim.connections)

    # No Retry-After with a close code: keep away for 10 minutes, without trying.
    manual_clock.now += 599
    with pytest.raises(TooManyConnectionsError, match="Waiting 1 s more") as caught:
        await tibber.live_snapshot([VILLA.id], timeout=5)
    assert caught.value.retry_after == pytest.approx(1)
    assert len(tibber_sim.connections) == connections
    # HTTP is not what was refused: it goes on.
    await tibber.account()

    manual_clock.now += 1
    snapshot = await tibber.live_snapshot([VILLA.id], timeout=5)
    assert VILLA.id in snapshot.measurements


async def test_handshake_429_is_too_many_connections(
    tibber: TibberClient, tibber_sim: TibberSimulator
) -> None:
    tibber_sim.faults.ws_handshake_status = 429
    tibber_sim.faults.retry_after = "60"
    with pytest.raises(TooManyConnectionsError) as caught:
        await tibber.live_snapshot([VILLA.id], timeout=5)
    assert caught.value.retry_after == 60


@pytest.mark.parametrize(
    ("status", "error"), [(403, InvalidTokenError), (502, TibberConnectionError)]
)
async def test_handshake_refused(
    tibber: TibberClient,
    tibber_sim: TibberSimulator,
    status: int,
    error: type[Exception],
) -> None:
    tibber_sim.faults.ws_handshake_status = status
    with pytest.raises(error, match=str(status)):
        await tibber.live_snapshot([VILLA.id], timeout=5)


async def test_closed_before_any_data(
    tibber: TibberClient, tibber_sim: TibberSimulator
) -> None:
    tibber_sim.faults.close_after_subscribe = 1011
    with pytest.raises(TibberConnectionError, match="1011"):
        await tibber.live_snapshot([VILLA.id], timeout=5)


async def test_connection_lost_after_some_data_keeps_it(
    tibber: TibberClient, tibber_sim: TibberSimulator
) -> None:
    tibber_sim.homes = (*HOMES, QUIET)
    tibber_sim.faults.silent_homes = {"quiet"}

    async def pull_the_plug() -> None:
        await asyncio.sleep(0.3)
        await tibber_sim.stop()

    plug = asyncio.create_task(pull_the_plug())
    snapshot = await tibber.live_snapshot([VILLA.id, "quiet"], timeout=5)
    await plug
    assert set(snapshot.measurements) == {VILLA.id}
    assert snapshot.errors == {"quiet": "connection lost"}


async def test_unreachable_websocket_is_asked_for_again(
    tibber: TibberClient, tibber_sim: TibberSimulator
) -> None:
    await tibber.websocket_url()
    port = URL(tibber_sim.api_url).port
    await tibber_sim.stop()
    with pytest.raises(TibberConnectionError, match="Cannot reach"):
        await tibber.live_snapshot([VILLA.id], timeout=5)
    # Tibber has moved its websocket before: the next snapshot asks again.
    await tibber_sim.start(port=port or 0)
    snapshot = await tibber.live_snapshot([VILLA.id], timeout=5)
    assert VILLA.id in snapshot.measurements
    assert len(tibber_sim.http_requests) == 2


async def test_websocket_that_never_acknowledges(
    tibber_sim: TibberSimulator,
    http_session: aiohttp.ClientSession,
    socket_enabled: None,
) -> None:
    """A server that accepts the socket and says nothing: the timeout holds."""

    async def mute(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(protocols=("graphql-transport-ws",))
        await ws.prepare(request)
        await asyncio.sleep(1)
        return ws

    app = web.Application()
    app.router.add_get("/ws", mute)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    client = TibberClient(
        http_session, "t", user_agent=USER_AGENT, api_url=tibber_sim.api_url
    )
    client._websocket_url = f"ws://127.0.0.1:{port}/ws"
    try:
        with pytest.raises(TibberConnectionError, match=r"within 0\.3 s"):
            await client.live_snapshot([VILLA.id], timeout=0.3)
    finally:
        await runner.cleanup()


async def test_debug_logs_never_show_the_token(
    tibber: TibberClient, tibber_sim: TibberSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    await tibber.live_snapshot([VILLA.id], timeout=5)
    assert "connection_init" in caplog.text  # gql did log the message...
    assert "**REDACTED**" in caplog.text
    assert tibber_sim.token not in caplog.text  # ...without the token
