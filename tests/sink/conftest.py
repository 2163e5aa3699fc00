"""Fixtures of the sink tests: real servers on 127.0.0.1 (`loopback.influxd`)."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import aiohttp
import pytest

from loopback.influxd import (
    INFLUX_ADMIN,
    INFLUX_ADMIN_PASSWORD,
    INFLUXD,
    Influxd,
    InfluxdServers,
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
