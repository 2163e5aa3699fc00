"""Snapshots (syrupy) of every entity and of the diagnostics."""

from __future__ import annotations

import pytest
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion

from tests.integration.conftest import Clock, SetupEntry
from tibber_simulator import TibberSimulator


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_entities(
    hass: HomeAssistant,
    clock: Clock,
    tibber_sim: TibberSimulator,
    setup_entry: SetupEntry,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    config_entry = await setup_entry()
    entries = er.async_entries_for_config_entry(entity_registry, config_entry.entry_id)
    entities = {}
    sensors = [entry for entry in entries if entry.domain == "sensor"]
    for entry in sorted(sensors, key=lambda entry: entry.entity_id):
        state = hass.states.get(entry.entity_id)
        assert state is not None
        entities[entry.entity_id] = {
            "unique_id": entry.unique_id,
            "translation_key": entry.translation_key,
            "entity_category": entry.entity_category,
            "device_class": entry.original_device_class,
            "state": state.state,
            # Keys are StrEnum members from 2026.x on, plain strings before.
            "attributes": {str(key): value for key, value in state.attributes.items()},
        }
    assert entities == snapshot


async def test_diagnostics(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    clock: Clock,
    tibber_sim: TibberSimulator,
    setup_entry: SetupEntry,
    snapshot: SnapshotAssertion,
) -> None:
    config_entry = await setup_entry()
    diagnostics = await get_diagnostics_for_config_entry(
        hass, hass_client, config_entry
    )
    assert tibber_sim.token not in str(diagnostics)
    assert "Storgatan" not in str(diagnostics)
    assert diagnostics == snapshot
