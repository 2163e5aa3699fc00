"""A day-long sink outage with a restart in the middle: nothing lost, nothing twice.

The sink is InfluxDB's v2 write API on a loopback server that records every
accepted request in order, so the test sees exactly what arrived and when.
While it is "down" it answers 503, as a proxy in front of a stopped server.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

import pytest
from aiohttp import web
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er, issue_registry as ir
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.powertracker.const import CONF_SINK, DOMAIN, ENV_API_URL
from custom_components.powertracker.record.forwarder import SINK, samples_of
from loopback.tibber import HOMES, TibberSimulator
from tests.integration.conftest import Clock, SetupEntry

VILLA, CABIN = HOMES
POLL = timedelta(minutes=5)
TOKEN = "influx-Token-never-logged"


@dataclass
class RecordingInflux:
    """Accepts v2 writes while up; remembers each accepted body's lines in order."""

    up: bool = False
    lines: list[str] = field(default_factory=list)
    refused: int = 0
    url: str = ""

    @property
    def settings(self) -> dict[str, str]:
        """The entry's sink options for this server."""
        return {
            "kind": "influxdb",
            "url": self.url,
            "api": "v2",
            "org": "home",
            "database": "powertracker",
            "token": TOKEN,
        }

    async def write(self, request: web.Request) -> web.Response:
        assert request.headers["Authorization"] == f"Token {TOKEN}"
        assert request.query["bucket"] == "powertracker"
        if not self.up:
            self.refused += 1
            return web.Response(status=503, text="service unavailable")
        self.lines += (await request.text()).splitlines()
        return web.Response(status=204)


@pytest.fixture
async def influx(socket_enabled: None) -> AsyncIterator[RecordingInflux]:
    """The recording server on a free loopback port, down at first."""
    server = RecordingInflux()
    app = web.Application()
    app.router.add_post("/api/v2/write", server.write)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    server.url = f"http://127.0.0.1:{port}"
    yield server
    await runner.cleanup()


@pytest.fixture
async def tibber_sim(
    socket_enabled: None, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[TibberSimulator]:
    """Both homes with a real-time meter: two samples every poll."""
    sim = TibberSimulator(
        homes=(VILLA, replace(CABIN, real_time=True)),
        clock=lambda: dt_util.utcnow(),  # noqa: PLW0108 - the clock fixture patches it
        interval=0.05,
    )
    await sim.start()
    monkeypatch.setenv(ENV_API_URL, sim.api_url)
    yield sim
    await sim.stop()


def _key(line: str) -> tuple[datetime, str]:
    """(time, home id) of a line of line protocol."""
    head, _, stamp = line.rpartition(" ")
    tags = dict(item.split("=", 1) for item in head.split(" ", 1)[0].split(",")[1:])
    return datetime.fromtimestamp(int(stamp), UTC), tags["home_id"]


def _waiting(hass: HomeAssistant, home_id: str) -> int:
    entity_id = er.async_get(hass).async_get_entity_id(
        "sensor", DOMAIN, f"{home_id}_sink_waiting"
    )
    assert entity_id is not None
    state = hass.states.get(entity_id)
    assert state is not None
    return int(state.state)


async def test_a_day_long_outage_loses_nothing_and_sends_nothing_twice(
    hass: HomeAssistant,
    clock: Clock,
    influx: RecordingInflux,
    setup_entry: SetupEntry,
    hass_storage: dict[str, object],
    caplog: pytest.LogCaptureFixture,
) -> None:
    entry: MockConfigEntry = await setup_entry(**{CONF_SINK: influx.settings})
    seen = {
        (s.time, s.home_id) for s in samples_of(entry.runtime_data.coordinator.data)
    }

    for poll in range(1, 24 * 12 + 1):  # a day of polls, the sink down
        await clock.advance(hass, POLL)
        coordinator = entry.runtime_data.coordinator
        seen |= {(s.time, s.home_id) for s in samples_of(coordinator.data)}
        if poll == 12 * 12:  # Home Assistant restarts at noon
            await hass.config_entries.async_reload(entry.entry_id)
            await hass.async_block_till_done(wait_background_tasks=True)
            stored = hass_storage[f"{DOMAIN}.{entry.entry_id}.outbox"]
            assert len(stored["data"]["samples"]) == len(seen)  # type: ignore[index]

    assert len(seen) >= 2 * 24 * 12
    assert influx.lines == []
    assert influx.refused > 10  # it kept trying, backing off
    assert influx.refused < 24 * 12  # ... not once per poll
    assert ir.async_get(hass).async_get_issue(DOMAIN, SINK.issue_id(entry.entry_id))
    assert _waiting(hass, VILLA.id) == len({k for k in seen if k[1] == VILLA.id})

    influx.up = True
    for _ in range(7):  # the retry comes within 30 minutes
        await clock.advance(hass, POLL)
        coordinator = entry.runtime_data.coordinator
        seen |= {(s.time, s.home_id) for s in samples_of(coordinator.data)}

    keys = [_key(line) for line in influx.lines]
    assert keys == sorted(seen)  # every sample, once, oldest first
    assert _waiting(hass, VILLA.id) == 0
    assert _waiting(hass, CABIN.id) == 0
    assert not ir.async_get(hass).async_get_issue(DOMAIN, SINK.issue_id(entry.entry_id))
    assert TOKEN not in caplog.text


async def test_diagnostics_show_the_outbox_without_secrets(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    clock: Clock,
    influx: RecordingInflux,
    setup_entry: SetupEntry,
) -> None:
    entry = await setup_entry(**{CONF_SINK: influx.settings})
    await clock.advance(hass, POLL)

    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)

    assert TOKEN not in json.dumps(diagnostics)
    assert diagnostics["entry"]["options"]["sink"]["token"] == "**REDACTED**"
    assert diagnostics["entry"]["options"]["sink"]["url"] == influx.url
    books = diagnostics["sink"]
    assert books["waiting"] == 4  # two polls, two homes, none sent
    assert books["sent"] == 0
    assert books["failing_since"] is not None
    assert "HTTP 503" in books["last_error"]
