"""The `powertracker.capacity_peaks` action: a home's month under its tariff.

It answers what the *Capacity peak* and *Capacity fee* sensors show, for any
month the stored data reaches: the billed value, the counted peaks, the fee,
the month values averaged, and the rule applied (`Capacity.as_dict`).
"""

from __future__ import annotations

from datetime import date, datetime, time

from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv, device_registry as dr
from homeassistant.util import dt as dt_util

from .compat import vol
from .const import DOMAIN
from .data import PowertrackerConfigEntry, loaded_entry
from .entity import device_home_id

SERVICE_CAPACITY_PEAKS = "capacity_peaks"
SCHEMA = vol.Schema({vol.Required("home"): cv.string, vol.Optional("month"): cv.string})


def _error(key: str, **placeholders: str) -> ServiceValidationError:
    return ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders=placeholders,
    )


def _entry_of(hass: HomeAssistant, home: str) -> tuple[PowertrackerConfigEntry, str]:
    """The loaded entry of a home given as a device id or a Tibber home id."""
    device = dr.async_get(hass).async_get(home)
    home_id = (device_home_id(device.identifiers) if device else None) or home
    entry = loaded_entry(hass, home_id)
    if entry is None:
        raise _error("unknown_home", home=home_id)
    return entry, home_id


async def _async_capacity_peaks(call: ServiceCall) -> ServiceResponse:
    entry, home_id = _entry_of(call.hass, call.data["home"])
    zone = entry.runtime_data.coordinator.zones[home_id]
    text = call.data.get("month")
    if text is None:
        moment = dt_util.utcnow()
    else:
        try:
            first = date.fromisoformat(f"{text.strip()}-01")
        except ValueError as err:
            raise _error("invalid_month", month=text) from err
        moment = datetime.combine(first, time(), zone)
    tariffs = entry.runtime_data.tariffs
    found = await entry.runtime_data.capacity.async_month(home_id, moment)
    if found is None:
        # The name the user knows the home by, not Tibber's id.
        home = entry.runtime_data.coordinator.homes[home_id]
        raise _error("no_capacity_tariff", home=home.name)
    return {"tariff": tariffs.get(home_id), **found.as_dict()}


@callback
def async_register_capacity_service(hass: HomeAssistant) -> None:
    """Register the capacity action (from async_setup, for every entry)."""
    hass.services.async_register(
        DOMAIN,
        SERVICE_CAPACITY_PEAKS,
        _async_capacity_peaks,
        schema=SCHEMA,
        supports_response=SupportsResponse.ONLY,
    )
