"""Powertracker keeps the logbook quiet: its numbers change at every poll,
but only a few entries a home a day reach the logbook."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from homeassistant.components.logbook.const import ALWAYS_CONTINUOUS_DOMAINS
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.powertracker.const import CONF_SINK
from loopback.influxd import INFLUX_DATABASE, Influxd
from tests.integration.conftest import Clock, SetupEntry


@pytest.mark.usefixtures("tibber_sim")
async def test_two_hours_of_polls_add_at_most_the_charts_hourly_drawings(
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    clock: Clock,
    setup_entry: SetupEntry,
) -> None:
    assert await async_setup_component(hass, "logbook", {})
    began = datetime.now(UTC)  # the recorder stamps states with the real time
    entry = await setup_entry()
    for _ in range(24):  # two hours of 5-minute polls
        await clock.advance(hass, timedelta(minutes=5))
    await async_wait_recording_done(hass)

    ours = {
        entity.entity_id
        for entity in er.async_entries_for_config_entry(
            er.async_get(hass), entry.entry_id
        )
    }
    clock.now = datetime.now(UTC)  # the logbook answers up to its "now"
    client = await hass_ws_client()
    await client.send_json_auto_id(
        {
            "type": "logbook/get_events",
            "start_time": began.isoformat(),
        }
    )
    response = await client.receive_json()
    assert response["success"], response
    entries = Counter(
        event["entity_id"]
        for event in response["result"]
        if event.get("entity_id") in ours
    )
    charts = {entity_id for entity_id in ours if entity_id.startswith("image.")}
    assert len(charts) == 2
    # Nothing but the charts: their first drawing, then once an hour with a new
    # hour to show. Home Assistant 2026.5 and newer leave images out entirely.
    assert set(entries) <= charts, entries
    hourly = 0 if "image" in ALWAYS_CONTINUOUS_DOMAINS else 1 + 2
    assert all(entries[chart] <= hourly for chart in charts), entries


@pytest.mark.usefixtures("tibber_sim")
async def test_a_sink_written_at_every_poll_adds_nothing(
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    clock: Clock,
    setup_entry: SetupEntry,
    influxdb: Influxd,
) -> None:
    assert await async_setup_component(hass, "logbook", {})
    began = datetime.now(UTC)
    sink = {"kind": "influxdb", "url": influxdb.url, "api": "v1"}
    entry = await setup_entry(**{CONF_SINK: {**sink, "database": INFLUX_DATABASE}})
    for _ in range(3):
        await clock.advance(hass, timedelta(minutes=5))
    await async_wait_recording_done(hass)
    forwarder = entry.runtime_data.forwarder
    assert forwarder is not None
    assert forwarder.last_success is not None  # the sink was written

    ours = er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
    clock.now = datetime.now(UTC)
    client = await hass_ws_client()
    await client.send_json_auto_id(
        {"type": "logbook/get_events", "start_time": began.isoformat()}
    )
    response = await client.receive_json()
    assert response["success"], response
    logged = Counter(
        event["entity_id"]
        for event in response["result"]
        if event.get("entity_id") in {e.entity_id for e in ours}
    )
    assert all(entity_id.startswith("image.") for entity_id in logged), logged
    # The timestamp of the last write is there for who turns it on.
    (last_write,) = (e for e in ours if e.unique_id.endswith("sink_last_write"))
    assert last_write.disabled_by is er.RegistryEntryDisabler.INTEGRATION
