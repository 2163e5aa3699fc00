"""Fixtures shared by every test: the servers on 127.0.0.1 (`loopback`): the Tibber
simulator and real influxd processes."""

from __future__ import annotations

import base64
import logging
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime

import aiohttp
import pytest

from custom_components.powertracker.tibber import TibberClient
from loopback.influxd import (
    INFLUX_ADMIN,
    INFLUX_ADMIN_PASSWORD,
    INFLUXD,
    Influxd,
    InfluxdServers,
)
from loopback.tibber import TibberSimulator

# phacc turns on every SQL statement at INFO on a stderr handler pytest cannot
# capture; the recorder's SQL is not what these tests are about.
logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)

SIM_NOW = datetime(2026, 11, 28, 12, 34, 56, tzinfo=UTC)
"""Tibber's clock in the tests, unless a test moves it."""
USER_AGENT = "HomeAssistant/2025.4.4 powertracker/0.1.0"


@pytest.fixture
async def tibber_sim(socket_enabled: None) -> AsyncIterator[TibberSimulator]:
    """A running simulator with a frozen clock and a fast live stream.

    phacc blocks sockets; `socket_enabled` opens them, and phacc's host filter
    still lets them reach 127.0.0.1 only.
    """
    sim = TibberSimulator(clock=lambda: SIM_NOW, interval=0.05)
    await sim.start()
    yield sim
    await sim.stop()


@pytest.fixture
async def http_session() -> AsyncIterator[aiohttp.ClientSession]:
    """A plain aiohttp session, standing in for Home Assistant's shared one."""
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
def tibber(
    tibber_sim: TibberSimulator, http_session: aiohttp.ClientSession
) -> TibberClient:
    """A client of the simulator with the right token."""
    return TibberClient(
        http_session,
        tibber_sim.token,
        user_agent=USER_AGENT,
        api_url=tibber_sim.api_url,
    )


class ManualClock:
    """A clock for the client's back-off that only moves when told."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def manual_clock() -> ManualClock:
    """The back-off clock of `clocked_tibber`."""
    return ManualClock()


@pytest.fixture
def clocked_tibber(
    tibber_sim: TibberSimulator,
    http_session: aiohttp.ClientSession,
    manual_clock: ManualClock,
) -> TibberClient:
    """A client of the simulator whose back-off runs on `manual_clock`."""
    return TibberClient(
        http_session,
        tibber_sim.token,
        user_agent=USER_AGENT,
        api_url=tibber_sim.api_url,
        clock=manual_clock,
    )


@pytest.fixture(scope="session")
def influxd_servers(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[InfluxdServers]:
    """The session's influxd processes (see `influxdb` and `influxdb_auth`)."""
    if not INFLUXD.is_file():
        pytest.fail(
            f"{INFLUXD} is missing: the InfluxDB sink tests need a real InfluxDB "
            "1.x server. `.ci/run` installs it with `apt-get install -y influxdb`."
        )
    servers = InfluxdServers(tmp_path_factory.mktemp("influxd"))
    yield servers
    servers.stop()


@pytest.fixture
async def influxdb(
    socket_enabled: None,
    influxd_servers: InfluxdServers,
    http_session: aiohttp.ClientSession,
) -> Influxd:
    """influxd without authentication and an empty database `powertracker`."""
    server = influxd_servers.get(auth=False)
    await server.wait_ready(http_session)
    await server.reset_database(http_session)
    return server


@pytest.fixture
async def influxdb_auth(
    socket_enabled: None,
    influxd_servers: InfluxdServers,
    http_session: aiohttp.ClientSession,
) -> Influxd:
    """influxd with authentication, an admin and an empty database `powertracker`.

    The first call creates the admin (allowed while a server has no user).
    """
    server = influxd_servers.get(auth=True)
    await server.wait_ready(http_session)
    if not server.users_created:
        await server.query(
            http_session,
            f"CREATE USER {INFLUX_ADMIN} WITH PASSWORD '{INFLUX_ADMIN_PASSWORD}' "
            "WITH ALL PRIVILEGES",
        )
        pair = base64.b64encode(f"{INFLUX_ADMIN}:{INFLUX_ADMIN_PASSWORD}".encode())
        server.admin = {"Authorization": f"Basic {pair.decode()}"}
        server.users_created = True
    await server.reset_database(http_session)
    return server
