"""A loopback fake of InfluxDB's HTTP APIs, and the secrets its tests use.

`FakeInflux` records every request and answers what a test queues; the InfluxDB
sink tests (writes, validation, read-back) share it. A test module takes the
fixture by assigning it (`fake = influx_fake.fake`).
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from multidict import CIMultiDictProxy

from custom_components.powertracker.sink.influx import InfluxSink
from custom_components.powertracker.sink.settings import ApiVersion
from loopback.influxd import INFLUX_DATABASE

TOKEN = "tok-SECRET-8b1e4f0a"
PASSWORD = "pw-SECRET-c0ffee42"
ORG = "home org"


def assert_no_secret(*texts: object) -> None:
    """Neither the token nor the password is in any of `texts`."""
    for text in texts:
        assert TOKEN not in str(text)
        assert PASSWORD not in str(text)


@dataclass(frozen=True)
class Recorded:
    """One request the fake received."""

    method: str
    path: str
    query: dict[str, str]
    headers: CIMultiDictProxy[str]
    body: bytes

    @property
    def lines(self) -> list[str]:
        return self.body.decode().split("\n") if self.body else []


type Responder = Callable[[Recorded], Awaitable[web.Response]]
type Answer = tuple[int, Any]
"""A status and a body: JSON for dicts and lists, text for str, none for None."""


def reply(status: int = 204, body: Any = None) -> web.Response:
    """An InfluxDB-like answer."""
    if body is None:
        return web.Response(status=status)
    if isinstance(body, str):
        return web.Response(status=status, text=body)
    return web.json_response(body, status=status)


@dataclass
class FakeInflux:
    """Records every request; answers with `answers` in turn, then 204."""

    url: str = ""
    requests: list[Recorded] = field(default_factory=list)
    answers: list[Answer] = field(default_factory=list)
    responder: Responder | None = None
    release: asyncio.Event = field(default_factory=asyncio.Event)

    async def handle(self, request: web.Request) -> web.Response:
        recorded = Recorded(
            method=request.method,
            path=request.path,
            query=dict(request.query),
            headers=request.headers,
            body=await request.read(),
        )
        self.requests.append(recorded)
        if self.responder is not None:
            return await self.responder(recorded)
        return reply(*self.answers.pop(0)) if self.answers else reply(204)

    def answer(self, answers: Iterable[Answer]) -> None:
        self.answers = list(answers)


@contextlib.asynccontextmanager
async def serve(
    fake: FakeInflux, ssl_context: ssl.SSLContext | None = None
) -> AsyncIterator[FakeInflux]:
    """Run `fake` on a free port of 127.0.0.1 (HTTPS with `ssl_context`)."""
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", fake.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=ssl_context)
        await site.start()
        port = runner.addresses[0][1]
        fake.url = f"{'https' if ssl_context else 'http'}://127.0.0.1:{port}"
        yield fake
    finally:
        fake.release.set()
        await runner.cleanup()


@pytest.fixture
async def fake(socket_enabled: None) -> AsyncIterator[FakeInflux]:
    """A plain-HTTP fake on 127.0.0.1."""
    async with serve(FakeInflux()) as served:
        yield served


def fake_sink(
    session: aiohttp.ClientSession,
    fake: FakeInflux,
    api: ApiVersion,
    **settings: Any,
) -> InfluxSink:
    """A sink of the fake with the token (and the org for v2), plus `settings`."""
    defaults: dict[str, Any] = {
        "url": fake.url,
        "api": api,
        "database": INFLUX_DATABASE,
        "token": TOKEN,
    }
    if api == "v2":
        defaults["org"] = ORG
    return InfluxSink(session, **(defaults | settings))
