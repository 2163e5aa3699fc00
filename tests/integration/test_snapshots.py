"""Snapshots (syrupy) of every entity and of the diagnostics."""

from __future__ import annotations

import pytest
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion
from syrupy.filters import props

from loopback.tibber import TibberSimulator
from tests.integration.conftest import Clock, SetupEntry

_RANDOM_ATTRIBUTES = {"access_token", "entity_picture"}
"""The image's rotating access token (and the URL that carries it)."""


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_entities_and_devices(
    hass: HomeAssistant,
    clock: Clock,
    tibber_sim: TibberSimulator,
    setup_entry: SetupEntry,
    entity_registry: er.EntityRegistry,
    device_registry: dr.DeviceRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    """Every platform's entities and the homes' devices, as fields that mean
    the same on every Home Assistant line (the registry entries themselves
    gain fields from release to release, which `snapshot_platform` would
    snapshot too)."""
    config_entry = await setup_entry()
    entries = er.async_entries_for_config_entry(entity_registry, config_entry.entry_id)
    assert {entry.domain for entry in entries} == {"image", "select", "sensor"}
    entities = {}
    for entry in sorted(entries, key=lambda entry: entry.entity_id):
        state = hass.states.get(entry.entity_id)
        assert state is not None
        attributes = {str(key): value for key, value in state.attributes.items()}
        entities[entry.entity_id] = {
            "unique_id": entry.unique_id,
            "translation_key": entry.translation_key,
            "entity_category": entry.entity_category,
            "device_class": entry.original_device_class,
            "state": state.state,
            # Keys are StrEnum members from 2026.x on, plain strings before.
            "attributes": {
                key: value
                for key, value in attributes.items()
                if key not in _RANDOM_ATTRIBUTES
            },
        }
    devices = {
        device.name: {
            "identifiers": sorted(device.identifiers),
            "manufacturer": device.manufacturer,
            "model": device.model,
            "model_id": device.model_id,
            "configuration_url": device.configuration_url,
            "entities": sorted(
                entry.entity_id for entry in entries if entry.device_id == device.id
            ),
        }
        for device in dr.async_entries_for_config_entry(
            device_registry, config_entry.entry_id
        )
    }
    assert {"entities": entities, "devices": devices} == snapshot


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
    # The file's size depends on the SQLite release beneath each Python.
    assert diagnostics["archive"]["bytes"] > 0
    assert diagnostics == snapshot(exclude=props("bytes"))
