"""Snapshots (syrupy) of every platform, of the homes' devices and of the diagnostics.

The registry entries gain fields from one Home Assistant release to the next,
so the snapshots are kept per Home Assistant line, in
`snapshots_by_line/<major>.<minor>/` (e.g. `snapshots_by_line/2026.3/`,
`snapshots_by_line/2026.10/`). Each line's file is written with
`--snapshot-update` on that line, and read by that line only.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from homeassistant.const import MAJOR_VERSION, MINOR_VERSION, Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
from pytest_homeassistant_custom_component.common import snapshot_platform
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.syrupy import (
    HomeAssistantSnapshotExtension,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion
from syrupy.filters import props
from syrupy.location import PyTestLocation

from custom_components import powertracker
from loopback.tibber import TibberSimulator
from tests.integration.conftest import Clock, SetupEntry, select_option

HA_LINE = f"{MAJOR_VERSION}.{MINOR_VERSION}"
"""The Home Assistant line whose snapshots this run reads and writes."""

SNAPSHOT_FOLDER = "snapshots_by_line"
"""Not `__snapshots__` (syrupy's) nor `snapshots` (phacc's): the folder of an
extension is walked, subfolders too, for the snapshots a run left unused, and
`--snapshot-update` deletes them. syrupy's own `snapshot` fixture (which ours
builds on) registers a default Amber extension for this module as well, so in
`__snapshots__/<line>/` each line would delete the other line's file."""

_RANDOM_ATTRIBUTES = props("access_token", "entity_picture")
"""The image's rotating access token (and the URL that carries it)."""


class PerLineSnapshotExtension(HomeAssistantSnapshotExtension):  # type: ignore[misc]
    """Home Assistant's serializer (registry ids, timestamps and contexts are
    `<ANY>`), with the file in `snapshots_by_line/<HA_LINE>/` beside this module.

    syrupy (5.0 on the floor line, 6.1 on the current one) asks the classmethod
    `dirname` for the folder of a test's snapshot file, and finds the snapshots
    of a run by walking that folder: each line sees only its own.
    """

    @classmethod
    def dirname(cls, *, test_location: PyTestLocation) -> str:
        folder = Path(test_location.filepath).parent / SNAPSHOT_FOLDER / HA_LINE
        return str(folder)


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """syrupy's `snapshot`, in this line's folder, without the random attributes."""
    return snapshot.use_extension(PerLineSnapshotExtension).with_defaults(
        exclude=_RANDOM_ATTRIBUTES
    )


@pytest.mark.usefixtures("clock", "tibber_sim", "entity_registry_enabled_by_default")
@pytest.mark.parametrize("platform", powertracker.PLATFORMS, ids=str)
async def test_platform(
    hass: HomeAssistant,
    monkeypatch: pytest.MonkeyPatch,
    platform: Platform,
    setup_entry: SetupEntry,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    """Every entity of the platform: its registry entry and its state."""
    # For the whole test: the entry unloads the same platforms it set up.
    monkeypatch.setattr(powertracker, "PLATFORMS", [platform])
    config_entry = await setup_entry()
    await snapshot_platform(hass, entity_registry, snapshot, config_entry.entry_id)


@pytest.mark.usefixtures("clock", "tibber_sim")
async def test_capacity_sensors(
    hass: HomeAssistant,
    setup_entry: SetupEntry,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    """The capacity sensors a tariff with steps gives each home (a fresh
    entry has none: `test_platform`)."""
    config_entry = await setup_entry()
    for select in ("villa_solsidan", "sjovagen_7"):
        await select_option(hass, f"select.{select}_capacity_tariff", "norway")
    entries = sorted(
        (
            entry
            for entry in er.async_entries_for_config_entry(
                entity_registry, config_entry.entry_id
            )
            if "_capacity_" in entry.entity_id and entry.domain == "sensor"
        ),
        key=lambda entry: entry.entity_id,
    )
    assert len(entries) == 6  # the cabin: no running hour
    for entry in entries:
        assert entry == snapshot(name=f"{entry.entity_id}-entry")
        assert hass.states.get(entry.entity_id) == snapshot(
            name=f"{entry.entity_id}-state"
        )


@pytest.mark.usefixtures("clock", "tibber_sim", "entity_registry_enabled_by_default")
async def test_devices(
    setup_entry: SetupEntry,
    entity_registry: er.EntityRegistry,
    device_registry: dr.DeviceRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    """Each home's device, and which entities are on it (the entity snapshots
    show every device id as `<ANY>`)."""
    config_entry = await setup_entry()
    entries = er.async_entries_for_config_entry(entity_registry, config_entry.entry_id)
    assert {entry.domain for entry in entries} == {"image", "select", "sensor"}
    devices = dr.async_entries_for_config_entry(device_registry, config_entry.entry_id)
    assert len(devices) == 2
    for device in devices:
        assert device == snapshot(name=f"{device.name}-device")
        on_device = sorted(
            entry.entity_id for entry in entries if entry.device_id == device.id
        )
        assert on_device == snapshot(name=f"{device.name}-entities")
    assert all(entry.device_id is not None for entry in entries)


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
