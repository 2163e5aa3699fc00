"""A real InfluxDB 1.x (Debian's influxd) on free loopback ports, for the sink
tests and the benchmark."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

# ---------------------------------------------------------------------------
# InfluxDB: Debian's `influxdb` package (influxd 1.x), started per test session
# ---------------------------------------------------------------------------

INFLUXD = Path("/usr/bin/influxd")
INFLUX_DATABASE = "powertracker"
INFLUX_ADMIN = "admin"
INFLUX_ADMIN_PASSWORD = "adm1n-Secret-Pw"
INFLUXD_START_TIMEOUT = 20.0
"""Seconds influxd gets to answer GET /ping with 204."""

_INFLUXD_CONFIG = """\
# Debian's build reads reporting-enabled, upstream's reporting-disabled.
reporting-enabled = false
reporting-disabled = true
bind-address = "127.0.0.1:{rpc_port}"

[meta]
  dir = "{root}/meta"
  logging-enabled = false

[data]
  dir = "{root}/data"
  wal-dir = "{root}/wal"
  query-log-enabled = false

[monitor]
  store-enabled = false

[subscriber]
  enabled = false

[continuous_queries]
  enabled = false

[http]
  bind-address = "127.0.0.1:{http_port}"
  auth-enabled = {auth}
  log-enabled = false
  pprof-enabled = false

[logging]
  level = "warn"
"""


class InfluxdError(RuntimeError):
    """influxd did not start."""


def free_loopback_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (needs sockets enabled)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Influxd:
    """One running influxd and the HTTP calls the tests make to it directly."""

    process: subprocess.Popen[bytes]
    url: str
    log: Path
    auth: bool
    ready: bool = False
    users_created: bool = False
    admin: dict[str, str] = field(default_factory=dict, repr=False)
    """The admin's Authorization header, once the admin exists."""

    def log_tail(self, lines: int = 20) -> str:
        """The end of influxd's output, for failure messages."""
        try:
            text = self.log.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    async def wait_ready(self, session: aiohttp.ClientSession) -> None:
        """Wait until GET /ping answers 204; `InfluxdError` if it never does."""
        if self.ready:
            return
        deadline = time.monotonic() + INFLUXD_START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise InfluxdError(
                    f"influxd exited with {self.process.returncode}:\n{self.log_tail()}"
                )
            try:
                async with session.get(
                    f"{self.url}/ping", timeout=aiohttp.ClientTimeout(total=1)
                ) as response:
                    if response.status == 204:
                        self.ready = True
                        return
            except (aiohttp.ClientError, TimeoutError):
                pass
            await asyncio.sleep(0.05)
        raise InfluxdError(
            f"influxd did not answer /ping within {INFLUXD_START_TIMEOUT:g} s:\n"
            f"{self.log_tail()}"
        )

    async def query(
        self,
        session: aiohttp.ClientSession,
        q: str,
        *,
        db: str | None = None,
    ) -> list[dict[str, Any]]:
        """Run InfluxQL `q` (POST /query, times in epoch seconds); its results."""
        params = {"epoch": "s", **({"db": db} if db else {})}
        async with session.post(
            f"{self.url}/query",
            params=params,
            data={"q": q},
            headers=self.admin,
        ) as response:
            body = await response.json()
            assert response.status == 200, body
        results: list[dict[str, Any]] = body["results"]
        for result in results:
            assert "error" not in result, result
        return results

    async def rows(
        self, session: aiohttp.ClientSession, q: str, *, db: str = INFLUX_DATABASE
    ) -> list[dict[str, Any]]:
        """The rows `q` selects, as dicts by column name, over every series."""
        rows: list[dict[str, Any]] = []
        for result in await self.query(session, q, db=db):
            for series in result.get("series", []):
                columns = series["columns"]
                rows += [
                    dict(zip(columns, row, strict=True)) for row in series["values"]
                ]
        return rows

    async def write_lp(
        self, session: aiohttp.ClientSession, body: str, *, db: str = INFLUX_DATABASE
    ) -> tuple[int, str]:
        """Write line protocol directly (POST /write, seconds); status and body."""
        async with session.post(
            f"{self.url}/write",
            params={"db": db, "precision": "s"},
            data=body.encode(),
            headers=self.admin,
        ) as response:
            return response.status, await response.text()

    async def reset_database(
        self, session: aiohttp.ClientSession, name: str = INFLUX_DATABASE
    ) -> None:
        """Drop and create `name`: every test starts with an empty database."""
        await self.query(session, f'DROP DATABASE "{name}"')
        await self.query(session, f'CREATE DATABASE "{name}"')


class InfluxdServers:
    """influxd processes, started on first use and stopped at the session's end.

    Started lazily from function fixtures that enable sockets: phacc blocks
    them in session fixtures, and the free ports are found with a socket.
    """

    def __init__(self, root: Path) -> None:
        self._root = root
        self._servers: dict[bool, Influxd] = {}

    def get(self, *, auth: bool) -> Influxd:
        """The server with authentication on or off, started if need be."""
        if auth not in self._servers:
            self._servers[auth] = self._start(auth=auth)
        return self._servers[auth]

    def _start(self, *, auth: bool) -> Influxd:
        root = self._root / ("auth" if auth else "open")
        root.mkdir()
        http_port = free_loopback_port()
        rpc_port = free_loopback_port()
        config = root / "influxdb.conf"
        config.write_text(
            _INFLUXD_CONFIG.format(
                root=root,
                http_port=http_port,
                rpc_port=rpc_port,
                auth="true" if auth else "false",
            )
        )
        log = root / "influxd.log"
        with log.open("wb") as out:
            process = subprocess.Popen(  # noqa: S603 - fixed binary, our config
                [str(INFLUXD), "-config", str(config)],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=root,
            )
        return Influxd(
            process=process, url=f"http://127.0.0.1:{http_port}", log=log, auth=auth
        )

    def stop(self) -> None:
        """Terminate every process started (kill what does not stop in 10 s)."""
        for server in self._servers.values():
            if server.process.poll() is None:
                server.process.terminate()
                try:
                    server.process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    server.process.kill()
                    server.process.wait()
        self._servers.clear()
