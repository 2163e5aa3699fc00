"""Base entity: one device per Tibber home."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from homeassistant.core import State, callback
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
    _poll_written: tuple[tuple[Any, ...], State | None] | None = None
    """What the last write at a poll showed, and the state object it left."""

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

    @property
    def _reports_each_poll(self) -> bool:
        """Whether a poll that changed nothing is written all the same."""
        return False

    @callback
    def _handle_coordinator_update(self) -> None:
        """Write the state when the poll changed what the entity shows.

        Most of a home's entities show the same after most polls (a home's
        hourly values, the settings, the tariff's month), and a write that
        changes nothing still costs Home Assistant the state's computation and
        a `state_reported` event. A state written since in another way (a
        listener of the entity's own) is a new state object: then it is written.
        A measurement is written at every poll (`_reports_each_poll`).
        """
        shown = (
            self.available,
            self.state,
            self.state_attributes,
            self.extra_state_attributes,
            self.unit_of_measurement,
        )
        written = self._poll_written
        if (
            written is not None
            and not self._reports_each_poll
            and shown == written[0]
            and self.hass.states.get(self.entity_id) is written[1]
        ):
            return
        self.async_write_ha_state()
        self._poll_written = (shown, self.hass.states.get(self.entity_id))
