"""Powertracker: records the electricity use of Tibber homes in Home Assistant."""

from __future__ import annotations

from datetime import datetime, timedelta

from homeassistant.const import CONF_TOKEN, Platform
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed, ConfigEntryNotReady
from homeassistant.helpers import (
    config_validation as cv,
    device_registry as dr,
    issue_registry as ir,
)
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.helpers.typing import ConfigType

from .api import create_client
from .const import CONF_BACKFILL_DAYS, CONF_HOMES, DEFAULT_BACKFILL_DAYS, DOMAIN
from .coordinator import PowertrackerCoordinator, issue_id
from .data import PowertrackerConfigEntry, RuntimeData
from .export.service import async_register_services
from .export.view import ExportView
from .statistics import HistoryImporter
from .tibber import InvalidTokenError, TibberError
from .totals import store

PLATFORMS: list[Platform] = [Platform.IMAGE, Platform.SENSOR]
CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)
HISTORY_INTERVAL = timedelta(hours=1)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the export endpoint and action (once, for every entry)."""
    hass.http.register_view(ExportView())
    async_register_services(hass)
    return True


async def async_setup_entry(
    hass: HomeAssistant, entry: PowertrackerConfigEntry
) -> bool:
    """Check the token, learn the homes, take the first snapshot, add the sensors."""
    client = create_client(hass, entry.data[CONF_TOKEN])
    try:
        account = await client.account()
    except InvalidTokenError as err:
        raise ConfigEntryAuthFailed(
            translation_domain=DOMAIN, translation_key="invalid_auth"
        ) from err
    except TibberError as err:
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN,
            translation_key="cannot_connect",
            translation_placeholders={"error": str(err)},
        ) from err
    selected = set(entry.data[CONF_HOMES])
    homes = [home for home in account.homes if home.id in selected]
    coordinator = PowertrackerCoordinator(hass, entry, client, homes)
    await coordinator.async_config_entry_first_refresh()
    entry.runtime_data = RuntimeData(
        client=client, coordinator=coordinator, options=dict(entry.options)
    )
    _remove_stale_devices(hass, entry, {home.id for home in homes})
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    entry.async_on_unload(entry.add_update_listener(_async_options_updated))

    importer = HistoryImporter(
        hass,
        client,
        homes,
        entry.options.get(CONF_BACKFILL_DAYS, DEFAULT_BACKFILL_DAYS),
    )

    @callback
    def _import_history(_now: datetime | None = None) -> None:
        entry.async_create_background_task(
            hass, importer.async_import(), f"{DOMAIN} history import {entry.title}"
        )

    _import_history()
    entry.async_on_unload(
        async_track_time_interval(hass, _import_history, HISTORY_INTERVAL)
    )
    return True


async def async_unload_entry(
    hass: HomeAssistant, entry: PowertrackerConfigEntry
) -> bool:
    """Unload the sensors; the coordinator's timer goes with the entry."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_entry(
    hass: HomeAssistant, entry: PowertrackerConfigEntry
) -> None:
    """Forget the stored totals and the entry's repair issue."""
    await store(hass, entry.entry_id).async_remove()
    ir.async_delete_issue(hass, DOMAIN, issue_id(entry.entry_id))


async def _async_options_updated(
    hass: HomeAssistant, entry: PowertrackerConfigEntry
) -> None:
    """Reload for new options; data changes (reauth, reconfigure) reload themselves."""
    if entry.options != entry.runtime_data.options:
        await hass.config_entries.async_reload(entry.entry_id)


def _remove_stale_devices(
    hass: HomeAssistant, entry: PowertrackerConfigEntry, home_ids: set[str]
) -> None:
    """Drop the devices of homes no longer selected (or no longer on the account)."""
    registry = dr.async_get(hass)
    for device in dr.async_entries_for_config_entry(registry, entry.entry_id):
        if not any(
            domain == DOMAIN and ident in home_ids
            for domain, ident in device.identifiers
        ):
            registry.async_update_device(
                device.id, remove_config_entry_id=entry.entry_id
            )
