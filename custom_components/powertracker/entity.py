"""Base entity: one device per Tibber home."""

from __future__ import annotations

from collections.abc import Iterable

from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .const import DOMAIN
from .coordinator import PowertrackerCoordinator
from .meter.state import HomeState
from .tibber import Home


def device_home_id(identifiers: Iterable[tuple[str, str]]) -> str | None:
    """The Tibber home id among a device's identifiers (None: not Powertracker's)."""
    return next((ident for domain, ident in identifiers if domain == DOMAIN), None)


class PowertrackerEntity(CoordinatorEntity[PowertrackerCoordinator]):
    """An entity of one home; unique id `<home_id>_<key>`."""

    _attr_has_entity_name = True

    def __init__(
        self, coordinator: PowertrackerCoordinator, home: Home, key: str
    ) -> None:
        """Attach to the home's device."""
        super().__init__(coordinator)
        self.home_id = home.id
        self._attr_unique_id = f"{home.id}_{key}"
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, home.id)},
            name=home.name,
            manufacturer="Tibber",
            # Product names only: Home Assistant cannot translate a device's model.
            model="Pulse / Watty" if home.real_time_consumption else None,
            configuration_url="https://app.tibber.com",
        )

    @property
    def home_state(self) -> HomeState | None:
        """This home after the last poll."""
        return (self.coordinator.data or {}).get(self.home_id)
