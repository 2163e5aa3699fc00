"""Powertracker: records the electricity use of Tibber homes in Home Assistant."""

from __future__ import annotations

from homeassistant.const import CONF_TOKEN, Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import (
    config_validation as cv,
    device_registry as dr,
    issue_registry as ir,
)
from homeassistant.helpers.typing import ConfigType

from .api import create_client
from .capacity import CapacityTracker, Tariffs
from .capacity_service import async_register_capacity_service
from .chart import Charts
from .compat import remove_entry_device
from .const import DOMAIN
from .coordinator import PowertrackerCoordinator, connections_issue_id, totals_store
from .data import PowertrackerConfigEntry, RuntimeData
from .entity import device_home_id
from .export.service import async_register_services
from .export.view import ExportView
from .record.forwarder import ARCHIVE, SINK
from .record.pipeline import Pipeline
from .record.statistics import span_store
from .record.stores import archive_path, set_aside_issue_id
from .sink.archive import remove_archive

PLATFORMS: list[Platform] = [Platform.IMAGE, Platform.SELECT, Platform.SENSOR]
CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the export endpoint and the actions (once, for every entry)."""
    hass.http.register_view(ExportView())
    async_register_services(hass)
    async_register_capacity_service(hass)
    return True


async def async_setup_entry(
    hass: HomeAssistant, entry: PowertrackerConfigEntry
) -> bool:
    """Check the token, learn the homes, take the first snapshot, add the entities,
    then feed every poll to the pipeline."""
    client = create_client(hass, entry.data[CONF_TOKEN])
    coordinator = PowertrackerCoordinator(hass, entry, client)
    await coordinator.async_config_entry_first_refresh()
    pipeline = await Pipeline.async_create(
        hass, entry, client, list(coordinator.homes.values())
    )
    tariffs = Tariffs()
    archive = pipeline.archive
    entry.runtime_data = RuntimeData(
        coordinator=coordinator,
        pipeline=pipeline,
        charts=Charts(),
        tariffs=tariffs,
        capacity=CapacityTracker(
            hass, entry, coordinator, tariffs, archive.sink if archive else None
        ),
    )
    _remove_stale_devices(hass, entry, set(coordinator.homes))
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    pipeline.async_start(coordinator)
    entry.runtime_data.capacity.async_start(pipeline.statistics)
    coordinator.async_follow_homes()
    return True


async def async_unload_entry(
    hass: HomeAssistant, entry: PowertrackerConfigEntry
) -> bool:
    """Unload the sensors; the coordinator's timer goes with the entry."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_entry(
    hass: HomeAssistant, entry: PowertrackerConfigEntry
) -> None:
    """Forget the stored totals, outboxes, history span and archive, and the issues."""
    await totals_store(hass, entry.entry_id).async_remove()
    await span_store(hass, entry.entry_id).async_remove()
    await hass.async_add_executor_job(
        remove_archive, archive_path(hass, entry.entry_id)
    )
    ir.async_delete_issue(hass, DOMAIN, connections_issue_id(entry.entry_id))
    ir.async_delete_issue(hass, DOMAIN, set_aside_issue_id(entry.entry_id))
    for route in (SINK, ARCHIVE):
        await route.store(hass, entry.entry_id).async_remove()
        ir.async_delete_issue(hass, DOMAIN, route.issue_id(entry.entry_id))


def _remove_stale_devices(
    hass: HomeAssistant, entry: PowertrackerConfigEntry, home_ids: set[str]
) -> None:
    """Drop the devices of homes no longer selected (or no longer on the account)."""
    registry = dr.async_get(hass)
    for device in dr.async_entries_for_config_entry(registry, entry.entry_id):
        if device_home_id(device.identifiers) not in home_ids:
            remove_entry_device(registry, device, entry.entry_id)
