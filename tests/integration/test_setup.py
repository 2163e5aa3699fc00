"""Setting up, reading and unloading an entry against the simulator."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import (
    device_registry as dr,
    entity_registry as er,
    issue_registry as ir,
)
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.powertracker.const import CONF_HOMES, CONF_OFFERED_HOMES, DOMAIN
from loopback.tibber import HOMES, TibberSimulator
from tests.integration.conftest import Clock, home_device, state_of

VILLA, CABIN = HOMES


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_sensors_show_what_the_meter_reported(
    hass: HomeAssistant, tibber_sim: TibberSimulator, loaded_entry: MockConfigEntry
) -> None:
    stamp = hass.states.get("sensor.villa_solsidan_last_measurement")
    assert stamp is not None
    reported = tibber_sim.measurement(VILLA.id, datetime.fromisoformat(stamp.state))

    assert float(state_of(hass, "sensor.villa_solsidan_power")) == reported["power"]
    assert (
        float(state_of(hass, "sensor.villa_solsidan_energy_consumption"))
        == reported["lastMeterConsumption"]
    )
    assert (
        float(state_of(hass, "sensor.villa_solsidan_consumption_today"))
        == reported["accumulatedConsumption"]
    )
    cost = hass.states.get("sensor.villa_solsidan_cost_today")
    assert cost is not None
    assert float(cost.state) == reported["accumulatedCost"]
    assert cost.attributes["unit_of_measurement"] == "SEK"
    assert cost.attributes["state_class"] == "total"
    midnight = (
        dt_util.as_local(datetime.fromisoformat(stamp.state))
        .astimezone(dt_util.get_time_zone(VILLA.time_zone))
        .replace(hour=0, minute=0, second=0, microsecond=0)
    )
    assert datetime.fromisoformat(cost.attributes["last_reset"]) == midnight
    energy = hass.states.get("sensor.villa_solsidan_energy_consumption")
    assert energy is not None
    assert energy.attributes["state_class"] == "total_increasing"
    assert energy.attributes["device_class"] == "energy"
    assert energy.attributes["unit_of_measurement"] == "kWh"
    # The villa has solar panels: it gets production sensors; the cabin does not.
    assert hass.states.get("sensor.villa_solsidan_energy_production") is not None


async def test_home_without_pulse_gets_the_last_hour(
    hass: HomeAssistant, tibber_sim: TibberSimulator, loaded_entry: MockConfigEntry
) -> None:
    hour_end = dt_util.utcnow().replace(minute=0, second=0, microsecond=0)
    truth = tibber_sim.energy(CABIN.id, hour_end - timedelta(hours=1), hour_end)
    assert float(state_of(hass, "sensor.sjovagen_7_consumption_last_hour")) == round(
        truth, 6
    )
    cost = hass.states.get("sensor.sjovagen_7_cost_last_hour")
    assert cost is not None
    assert cost.attributes["unit_of_measurement"] == "SEK"
    assert hass.states.get("sensor.sjovagen_7_power") is None


async def test_devices_and_entity_registry(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    devices = dr.async_get(hass)
    villa = home_device(devices, loaded_entry, VILLA.id)
    assert villa is not None
    assert (villa.name, villa.manufacturer) == ("Villa Solsidan", "Tibber")
    cabin = home_device(devices, loaded_entry, CABIN.id)
    assert cabin is not None
    assert cabin.name == "Sjövägen 7"

    entities = er.async_get(hass)
    current = entities.async_get("sensor.villa_solsidan_current_l1")
    assert current is not None
    assert current.unique_id == f"{VILLA.id}_current_l1"
    assert current.disabled_by is er.RegistryEntryDisabler.INTEGRATION
    signal = entities.async_get("sensor.villa_solsidan_signal_strength")
    assert signal is not None
    assert signal.entity_category is not None


async def test_unload_leaves_nothing_running(
    hass: HomeAssistant,
    clock: Clock,
    tibber_sim: TibberSimulator,
    loaded_entry: MockConfigEntry,
) -> None:
    assert await hass.config_entries.async_unload(loaded_entry.entry_id)
    await hass.async_block_till_done()
    assert loaded_entry.state is ConfigEntryState.NOT_LOADED
    requests, connections = len(tibber_sim.http_requests), len(tibber_sim.connections)
    # Neither the poll nor the hourly history import goes on after unload.
    await clock.advance(hass, timedelta(hours=1))
    await clock.advance(hass, timedelta(minutes=5))
    assert len(tibber_sim.http_requests) == requests
    assert len(tibber_sim.connections) == connections
    assert tibber_sim.open_connections == 0


async def test_removing_the_entry_forgets_its_totals_and_issue(
    hass: HomeAssistant,
    hass_storage: dict[str, object],
    tibber_sim: TibberSimulator,
    loaded_entry: MockConfigEntry,
) -> None:
    key = f"{DOMAIN}.{loaded_entry.entry_id}"
    assert key in hass_storage
    assert f"{key}.history" in hass_storage
    ir.async_create_issue(
        hass,
        DOMAIN,
        f"too_many_connections_{loaded_entry.entry_id}",
        is_fixable=False,
        severity=ir.IssueSeverity.WARNING,
        translation_key="too_many_connections",
    )
    assert await hass.config_entries.async_remove(loaded_entry.entry_id)
    await hass.async_block_till_done()
    assert key not in hass_storage
    assert f"{key}.history" not in hass_storage
    assert (
        ir.async_get(hass).async_get_issue(
            DOMAIN, f"too_many_connections_{loaded_entry.entry_id}"
        )
        is None
    )


async def test_rejected_token_at_setup_asks_for_reauth(
    hass: HomeAssistant, tibber_sim: TibberSimulator, config_entry: MockConfigEntry
) -> None:
    tibber_sim.token = "revoked"
    config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    assert config_entry.state is ConfigEntryState.SETUP_ERROR
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]


@pytest.mark.parametrize("fault", [{"http_status": 502}, {"http_html": True}])
async def test_unreachable_tibber_at_setup_retries(
    hass: HomeAssistant,
    tibber_sim: TibberSimulator,
    config_entry: MockConfigEntry,
    fault: dict[str, object],
) -> None:
    for name, value in fault.items():
        setattr(tibber_sim.faults, name, value)
    config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    assert config_entry.state is ConfigEntryState.SETUP_RETRY
    assert config_entry.reason is not None
    assert config_entry.reason.startswith("Cannot reach Tibber: ")  # translated


async def test_deselected_home_loses_its_device(
    hass: HomeAssistant, tibber_sim: TibberSimulator, loaded_entry: MockConfigEntry
) -> None:
    devices = dr.async_get(hass)
    assert home_device(devices, loaded_entry, CABIN.id) is not None
    hass.config_entries.async_update_entry(
        loaded_entry, data={**loaded_entry.data, "homes": [VILLA.id]}
    )
    await hass.config_entries.async_reload(loaded_entry.entry_id)
    await hass.async_block_till_done()
    assert home_device(devices, loaded_entry, CABIN.id) is None
    assert hass.states.get("sensor.sjovagen_7_consumption_last_hour") is None


STUGAN = replace(CABIN, id="0f1e2d3c-new-home-on-the-account", nickname="Stugan")


def _home_ids(hass: HomeAssistant, entry: MockConfigEntry) -> set[str]:
    """The homes with a device of this entry."""
    devices = dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id)
    return {ident for device in devices for _, ident in device.identifiers}


async def test_home_new_on_the_account_is_added_within_the_hour(
    hass: HomeAssistant,
    clock: Clock,
    tibber_sim: TibberSimulator,
    loaded_entry: MockConfigEntry,
) -> None:
    assert _home_ids(hass, loaded_entry) == {VILLA.id, CABIN.id}
    tibber_sim.homes = (*HOMES, STUGAN)
    await clock.advance(hass, timedelta(hours=1))
    await hass.async_block_till_done()
    assert loaded_entry.state is ConfigEntryState.LOADED
    assert _home_ids(hass, loaded_entry) == {VILLA.id, CABIN.id, STUGAN.id}
    assert state_of(hass, "sensor.stugan_consumption_last_hour") not in ("", "unknown")
    assert loaded_entry.data[CONF_HOMES] == [VILLA.id, CABIN.id, STUGAN.id]
    coordinator = loaded_entry.runtime_data.coordinator
    await clock.advance(hass, timedelta(hours=1))
    await hass.async_block_till_done()
    assert loaded_entry.runtime_data.coordinator is coordinator  # once is enough


async def test_home_the_user_left_out_stays_out(
    hass: HomeAssistant,
    clock: Clock,
    tibber_sim: TibberSimulator,
    loaded_entry: MockConfigEntry,
) -> None:
    hass.config_entries.async_update_entry(
        loaded_entry, data={**loaded_entry.data, CONF_HOMES: [VILLA.id]}
    )
    await hass.config_entries.async_reload(loaded_entry.entry_id)
    await hass.async_block_till_done()
    coordinator = loaded_entry.runtime_data.coordinator
    await clock.advance(hass, timedelta(hours=1))
    await hass.async_block_till_done()
    assert loaded_entry.runtime_data.coordinator is coordinator  # not reloaded
    assert _home_ids(hass, loaded_entry) == {VILLA.id}
    assert loaded_entry.data[CONF_HOMES] == [VILLA.id]


async def test_home_gone_from_the_account_for_two_hours_loses_its_device(
    hass: HomeAssistant,
    clock: Clock,
    tibber_sim: TibberSimulator,
    loaded_entry: MockConfigEntry,
) -> None:
    tibber_sim.homes = ()  # a hiccup: an account without homes is not believed
    await clock.advance(hass, timedelta(hours=1))
    tibber_sim.homes = (VILLA,)
    await clock.advance(hass, timedelta(hours=1))  # missed once: kept
    assert _home_ids(hass, loaded_entry) == {VILLA.id, CABIN.id}
    await clock.advance(hass, timedelta(hours=1))  # missed twice: gone
    await hass.async_block_till_done()
    assert loaded_entry.state is ConfigEntryState.LOADED
    assert _home_ids(hass, loaded_entry) == {VILLA.id}
    assert hass.states.get("sensor.sjovagen_7_consumption_last_hour") is None


async def test_entry_from_before_offered_homes_adds_nothing(
    hass: HomeAssistant, tibber_sim: TibberSimulator, config_entry: MockConfigEntry
) -> None:
    """Entries made before the homes were remembered: all homes count as offered."""
    tibber_sim.homes = (*HOMES, STUGAN)
    config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        config_entry, data={**config_entry.data, CONF_HOMES: [VILLA.id]}
    )
    assert CONF_OFFERED_HOMES not in config_entry.data
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert _home_ids(hass, config_entry) == {VILLA.id}
    assert config_entry.data[CONF_OFFERED_HOMES] == sorted(
        [VILLA.id, CABIN.id, STUGAN.id]
    )
