"""The 5-minute poll when Tibber misbehaves."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import aiohttp
import pytest
from homeassistant.config_entries import SOURCE_REAUTH
from homeassistant.const import (
    EVENT_STATE_CHANGED,
    EVENT_STATE_REPORTED,
    STATE_UNAVAILABLE,
)
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers import entity_registry as er, issue_registry as ir
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.powertracker import coordinator as coordinator_module
from custom_components.powertracker.const import DOMAIN
from loopback.tibber import HOMES, TibberSimulator
from tests.integration.conftest import Clock

VILLA, CABIN = HOMES
POWER = "sensor.villa_solsidan_power"
CABIN_HOUR = "sensor.sjovagen_7_consumption_last_hour"


async def _poll(hass: HomeAssistant, clock: Clock, minutes: int = 5) -> None:
    await clock.advance(hass, timedelta(minutes=minutes))


def _available(hass: HomeAssistant, entity_id: str) -> bool:
    state = hass.states.get(entity_id)
    assert state is not None
    return state.state != STATE_UNAVAILABLE


async def test_polls_every_five_minutes_one_connection_each(
    hass: HomeAssistant,
    clock: Clock,
    tibber_sim: TibberSimulator,
    loaded_entry: MockConfigEntry,
) -> None:
    before = len(tibber_sim.connections)
    first = hass.states.get(POWER)
    for _ in range(3):
        await _poll(hass, clock)
    assert len(tibber_sim.connections) == before + 3
    assert tibber_sim.open_connections == 0
    later = hass.states.get(POWER)
    assert first is not None
    assert later is not None
    assert later.last_updated > first.last_updated


async def test_a_poll_writes_only_the_states_it_changed(
    hass: HomeAssistant,
    clock: Clock,
    tibber_sim: TibberSimulator,
    loaded_entry: MockConfigEntry,
) -> None:
    """The cabin's last hour, the settings and the tariffs show the same after
    a poll within the hour: no write (not even a `state_reported` one); a
    measurement is written all the same."""
    await _poll(hass, clock)  # 12:39:56
    written: list[str] = []

    @callback
    def _written(event: Event[Any]) -> None:
        written.append(event.data["entity_id"])

    hass.bus.async_listen(EVENT_STATE_CHANGED, _written)
    hass.bus.async_listen(
        EVENT_STATE_REPORTED, _written, event_filter=callback(lambda _: True)
    )
    cabin_hour = hass.states.get(CABIN_HOUR)

    await _poll(hass, clock)  # 12:44:56, the same hour

    ours = {
        entity.entity_id
        for entity in er.async_entries_for_config_entry(
            er.async_get(hass), loaded_entry.entry_id
        )
    }
    assert POWER in written  # the villa's live values moved
    assert CABIN_HOUR not in written
    assert hass.states.get(CABIN_HOUR) is cabin_hour
    unchanged = {e for e in ours if e.startswith("select.")}
    assert unchanged
    assert not unchanged & set(written)
    # A measurement is reported changed or not: the Riemann sum and the
    # derivative helpers count a value held through `state_reported`.
    measurements = {
        e
        for e in ours
        if (state := hass.states.get(e)) is not None
        and state.attributes.get("state_class") == "measurement"
    }
    assert len(measurements) > 2
    assert measurements <= set(written)


async def test_rate_limit_keeps_the_live_poll_then_waits_for_retry_after(
    hass: HomeAssistant,
    clock: Clock,
    tibber_sim: TibberSimulator,
    loaded_entry: MockConfigEntry,
) -> None:
    cabin_before = hass.states.get(CABIN_HOUR)
    power_before = hass.states.get(POWER)
    tibber_sim.faults.http_status = 429
    tibber_sim.faults.retry_after = "1800"
    await _poll(hass, clock, minutes=60)  # the cabin's hourly history is due
    # The live measurement came over the websocket before the 429: it is kept,
    # and the cabin keeps its last known hour.
    power_during, cabin_during = hass.states.get(POWER), hass.states.get(CABIN_HOUR)
    assert power_before is not None
    assert power_during is not None
    assert _available(hass, POWER)
    assert power_during.last_updated > power_before.last_updated
    assert cabin_before is not None
    assert cabin_during is not None
    assert cabin_during.state == cabin_before.state

    await _poll(hass, clock)  # Tibber's 30 minutes: nothing is asked, nothing known
    assert not _available(hass, CABIN_HOUR)
    assert not _available(hass, POWER)

    tibber_sim.faults.http_status = None
    requests, connections = len(tibber_sim.http_requests), len(tibber_sim.connections)
    for _ in range(4):  # 25 minutes in all: still inside the 30 Tibber asked for
        await _poll(hass, clock)
    assert len(tibber_sim.http_requests) == requests
    assert len(tibber_sim.connections) == connections

    await _poll(hass, clock, minutes=10)
    assert len(tibber_sim.connections) == connections + 1
    assert _available(hass, CABIN_HOUR)
    assert _available(hass, POWER)


async def test_too_many_connections_raises_a_repair_issue_until_recovery(
    hass: HomeAssistant,
    clock: Clock,
    tibber_sim: TibberSimulator,
    loaded_entry: MockConfigEntry,
    http_session: aiohttp.ClientSession,
) -> None:
    issue_id = f"too_many_connections_{loaded_entry.entry_id}"
    others = []
    for _ in range(2):  # another client takes both of the token's connections
        ws = await http_session.ws_connect(
            tibber_sim.ws_url, protocols=["graphql-transport-ws"]
        )
        await ws.send_json(
            {"type": "connection_init", "payload": {"token": tibber_sim.token}}
        )
        await ws.receive_json()
        others.append(ws)
    await _poll(hass, clock)
    issue = ir.async_get(hass).async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_key == "too_many_connections"
    assert not _available(hass, POWER)

    for ws in others:
        await ws.close()
    await _poll(hass, clock, minutes=10)
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None
    assert _available(hass, POWER)


async def test_revoked_token_starts_reauth(
    hass: HomeAssistant,
    clock: Clock,
    tibber_sim: TibberSimulator,
    loaded_entry: MockConfigEntry,
) -> None:
    tibber_sim.token = "revoked"
    await _poll(hass, clock)
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]


@pytest.mark.parametrize(
    "fault", [{"ws_handshake_status": 503}, {"close_after_subscribe": 1011}]
)
async def test_failed_poll_makes_entities_unavailable_then_recovers(
    hass: HomeAssistant,
    clock: Clock,
    tibber_sim: TibberSimulator,
    loaded_entry: MockConfigEntry,
    fault: dict[str, int],
) -> None:
    total = hass.states.get("sensor.villa_solsidan_energy_consumption")
    for name, value in fault.items():
        setattr(tibber_sim.faults, name, value)
    await _poll(hass, clock)
    assert not _available(hass, POWER)
    tibber_sim.faults.__init__()  # type: ignore[misc]
    await _poll(hass, clock)
    assert _available(hass, POWER)
    after = hass.states.get("sensor.villa_solsidan_energy_consumption")
    assert total is not None
    assert after is not None
    assert float(after.state) >= float(total.state)


async def test_html_from_tibber_costs_only_the_hour_it_was_asked_for(
    hass: HomeAssistant,
    clock: Clock,
    tibber_sim: TibberSimulator,
    loaded_entry: MockConfigEntry,
) -> None:
    cabin_before = hass.states.get(CABIN_HOUR)
    tibber_sim.faults.http_html = True  # the history endpoint answers with a web page
    await _poll(hass, clock, minutes=60)
    # The live home is polled over the websocket and is not held back...
    assert _available(hass, POWER)
    # ...and the cabin keeps its last known hour until Tibber answers again.
    cabin_during = hass.states.get(CABIN_HOUR)
    assert cabin_before is not None
    assert cabin_during is not None
    assert cabin_during.state == cabin_before.state
    tibber_sim.faults.http_html = False
    await _poll(hass, clock)
    cabin_after = hass.states.get(CABIN_HOUR)
    assert cabin_after is not None
    assert cabin_after.state != cabin_before.state


async def test_silent_home_alone_goes_unavailable_and_is_logged_once(
    hass: HomeAssistant,
    tibber_sim: TibberSimulator,
    loaded_entry: MockConfigEntry,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(coordinator_module, "SNAPSHOT_TIMEOUT", 1.5)
    coordinator = loaded_entry.runtime_data.coordinator
    total = hass.states.get("sensor.villa_solsidan_energy_consumption")
    tibber_sim.faults.silent_homes = {VILLA.id}
    caplog.set_level(logging.INFO, logger="custom_components.powertracker")
    for _ in range(2):
        await coordinator.async_refresh()
        await hass.async_block_till_done()
    assert not _available(hass, POWER)
    assert _available(hass, CABIN_HOUR)
    # The total is not a live value: it keeps its last state through the silence.
    during = hass.states.get("sensor.villa_solsidan_energy_consumption")
    assert total is not None
    assert during is not None
    assert during.state == total.state
    assert caplog.text.count("No live data from Villa Solsidan") == 1

    tibber_sim.faults.silent_homes = set()
    await coordinator.async_refresh()
    await hass.async_block_till_done()
    assert _available(hass, POWER)
    assert caplog.text.count("Live data from Villa Solsidan is back") == 1


async def test_the_cabins_last_hour_is_asked_for_once_an_hour(
    hass: HomeAssistant,
    clock: Clock,
    tibber_sim: TibberSimulator,
    loaded_entry: MockConfigEntry,
) -> None:
    """Known since setup (12:35), the hour that ended at 12:00 is not asked for
    again on Home Assistant's clock until the next hour ends."""
    requests = len(tibber_sim.http_requests)
    for _ in range(4):  # 12:40 .. 12:55
        await _poll(hass, clock)
    assert len(tibber_sim.http_requests) == requests

    await _poll(hass, clock, minutes=10)  # 13:05: the hour to 13:00 is due
    asked = [
        request.body.get("variables", {})
        for request in tibber_sim.http_requests[requests:]
    ]
    assert {"homeId": CABIN.id} in [
        {"homeId": variables.get("homeId")} for variables in asked
    ]
