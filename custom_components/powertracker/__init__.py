"""Powertracker: records the electricity use of Tibber homes in Home Assistant."""

from __future__ import annotations

from homeassistant.const import CONF_TOKEN, Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryAuthFailed, ConfigEntryNotReady
from homeassistant.helpers import device_registry as dr

from .api import create_client
from .const import CONF_HOMES, DOMAIN
from .coordinator import PowertrackerCoordinator
from .data import PowertrackerConfigEntry, RuntimeData
from .tibber import InvalidTokenError, TibberError

PLATFORMS: list[Platform] = [Platform.SENSOR]


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
    entry.runtime_data = RuntimeData(client=client, coordinator=coordinator)
    _remove_stale_devices(hass, entry, {home.id for home in homes})
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    entry.async_on_unload(entry.add_update_listener(_async_options_updated))
    return True


async def async_unload_entry(
    hass: HomeAssistant, entry: PowertrackerConfigEntry
) -> bool:
    """Unload the sensors; the coordinator's timer goes with the entry."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def _async_options_updated(
    hass: HomeAssistant, entry: PowertrackerConfigEntry
) -> None:
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
