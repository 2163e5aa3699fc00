"""Which homes an entry follows: its selection, homes new to the account, homes gone."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant

from .const import CONF_HOMES, CONF_OFFERED_HOMES
from .tibber import Home, TibberClient, TibberError

_LOGGER = logging.getLogger(__name__)


class AccountHomes:
    """The selected homes still on the account, learnt at setup, checked hourly."""

    def __init__(
        self, hass: HomeAssistant, entry: ConfigEntry, client: TibberClient
    ) -> None:
        """Follow the homes of `entry`'s account."""
        self.hass = hass
        self.entry = entry
        self.client = client
        self.homes: dict[str, Home] = {}
        self._missing: set[str] = set()
        """Selected homes the last check did not find."""

    async def async_learn(self) -> dict[str, Home]:
        """Read the account's homes and adopt them (raises `TibberError`)."""
        account = await self.client.account()
        self.homes = self._adopt(account.homes)
        return self.homes

    def _adopt(self, homes: Sequence[Home]) -> dict[str, Home]:
        """The selected homes on the account, and the homes new to it.

        A home is new when it was not on the account when the user last
        picked homes (`CONF_OFFERED_HOMES`): it is added to the selection.
        Deselected homes stay deselected. An entry made before homes were
        remembered takes every home it finds as already offered.
        """
        entry = self.entry
        on_account = {home.id for home in homes}
        offered = set(entry.data.get(CONF_OFFERED_HOMES, on_account))
        new = on_account - offered - set(entry.data[CONF_HOMES])
        selected = [*entry.data[CONF_HOMES], *sorted(new)]
        if new or CONF_OFFERED_HOMES not in entry.data:
            for home in homes:
                if home.id in new:
                    _LOGGER.info("%s is new on %s: adding it", home.name, entry.title)
            self.hass.config_entries.async_update_entry(
                entry,
                data={
                    **entry.data,
                    CONF_HOMES: selected,
                    CONF_OFFERED_HOMES: sorted(offered | on_account),
                },
            )
        return {home.id: home for home in homes if home.id in selected}

    async def async_follow(self) -> None:
        """Reload when a home was added to the account or left it (hourly).

        A home counts as gone when two checks in a row miss it, and an account
        listing no home at all is taken for a hiccup: a reload removes the
        devices of gone homes, and with them the user's entity settings.
        """
        title = self.entry.title
        try:
            account = await self.client.account()
        except TibberError as err:
            _LOGGER.debug("Homes of %s not checked: %s", title, err)
            return
        if not account.homes:
            _LOGGER.debug("Tibber lists no home for %s; not taken as final", title)
            return
        homes = self._adopt(account.homes)
        gone = self.homes.keys() - homes.keys()
        missed_before, self._missing = self._missing, gone
        if homes.keys() - self.homes.keys() or (gone and gone <= missed_before):
            _LOGGER.info("The homes of %s changed: reloading", title)
            self.hass.config_entries.async_schedule_reload(self.entry.entry_id)
