"""The poll: one live snapshot for all homes of an entry, every few minutes."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import timedelta, tzinfo

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util

from .const import (
    CONF_HOMES,
    CONF_OFFERED_HOMES,
    CONF_POLL_MINUTES,
    DEFAULT_POLL_MINUTES,
    DOMAIN,
    ISSUE_TOO_MANY_CONNECTIONS,
    SNAPSHOT_TIMEOUT,
)
from .data import HomeState, PowertrackerConfigEntry
from .tibber import (
    EnergyHour,
    Home,
    InvalidTokenError,
    RateLimitedError,
    TibberClient,
    TibberError,
    TooManyConnectionsError,
)
from .totals import EnergyTotals

_LOGGER = logging.getLogger(__name__)


def connections_issue_id(entry_id: str) -> str:
    """Repair issue of an entry when another client holds the connections."""
    return f"{ISSUE_TOO_MANY_CONNECTIONS}_{entry_id}"


class PowertrackerCoordinator(DataUpdateCoordinator[dict[str, HomeState]]):
    """Polls Tibber for the selected homes of one account."""

    config_entry: PowertrackerConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        entry: PowertrackerConfigEntry,
        client: TibberClient,
    ) -> None:
        """Poll the entry's homes every `poll_minutes` (option) minutes."""
        minutes = entry.options.get(CONF_POLL_MINUTES, DEFAULT_POLL_MINUTES)
        super().__init__(
            hass,
            _LOGGER,
            config_entry=entry,
            name=f"{DOMAIN} {entry.title}",
            update_interval=timedelta(minutes=minutes),
        )
        self.client = client
        self.homes: dict[str, Home] = {}
        """The selected homes still on the account, learnt at setup."""
        self.zones: dict[str, tzinfo] = {}
        """Each home's time zone, resolved once (the lookup may read files)."""
        self.totals = EnergyTotals(hass, entry.entry_id, client, self.zones)
        self._last_hour: dict[str, EnergyHour] = {}
        self._silent: set[str] = set()
        self._missing: set[str] = set()
        """Selected homes the last account check did not find."""

    async def _async_setup(self) -> None:
        """Learn the homes, resolve their time zones, restore the stored totals."""
        with self._translated_errors():
            account = await self.client.account()
        self.homes = self._adopt(account.homes)
        for home in self.homes.values():
            zone: tzinfo | None = await dt_util.async_get_time_zone(home.time_zone)
            if zone is None:
                _LOGGER.warning(
                    "Unknown time zone %r of %s; using Home Assistant's",
                    home.time_zone,
                    home.name,
                )
                zone = dt_util.get_default_time_zone()
            self.zones[home.id] = zone
        await self.totals.async_load()

    def _adopt(self, homes: Sequence[Home]) -> dict[str, Home]:
        """The selected homes on the account, and the homes new to it.

        A home is new when it was not on the account when the user last
        picked homes (`CONF_OFFERED_HOMES`): it is added to the selection.
        Deselected homes stay deselected. An entry made before homes were
        remembered takes every home it finds as already offered.
        """
        entry = self.config_entry
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

    async def async_follow_account(self) -> None:
        """Reload when a home was added to the account or left it (hourly).

        A home counts as gone when two checks in a row miss it, and an account
        listing no home at all is taken for a hiccup: a reload removes the
        devices of gone homes, and with them the user's entity settings.
        """
        title = self.config_entry.title
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
            self.hass.config_entries.async_schedule_reload(self.config_entry.entry_id)

    async def _async_update_data(self) -> dict[str, HomeState]:
        live = [home.id for home in self.homes.values() if home.real_time_consumption]
        with self._translated_errors():
            snapshot = await self.client.live_snapshot(live, timeout=SNAPSHOT_TIMEOUT)
            completed = {
                home.id: await self.totals.async_update(
                    home, snapshot.measurements.get(home.id)
                )
                for home in self.homes.values()
            }
            await self._refresh_last_hours()
        ir.async_delete_issue(
            self.hass, DOMAIN, connections_issue_id(self.config_entry.entry_id)
        )
        await self.totals.async_save()
        states = {
            home.id: HomeState(
                home=home,
                zone=self.zones[home.id],
                measurement=snapshot.measurements.get(home.id),
                consumption_total=self.totals.value(home.id, "consumption"),
                production_total=self.totals.value(home.id, "production"),
                last_hour=self._last_hour.get(home.id),
                completed=completed[home.id],
            )
            for home in self.homes.values()
        }
        self._log_silence(live, snapshot.errors, states)
        return states

    @contextmanager
    def _translated_errors(self) -> Iterator[None]:
        """Tibber's errors as Home Assistant's: reauth, or a failed update.

        During the first refresh Home Assistant turns a failed update into a
        setup retry.
        """
        try:
            yield
        except InvalidTokenError as err:
            raise ConfigEntryAuthFailed(
                translation_domain=DOMAIN, translation_key="invalid_auth"
            ) from err
        except TooManyConnectionsError as err:
            ir.async_create_issue(
                self.hass,
                DOMAIN,
                connections_issue_id(self.config_entry.entry_id),
                is_fixable=False,
                severity=ir.IssueSeverity.WARNING,
                translation_key=ISSUE_TOO_MANY_CONNECTIONS,
                translation_placeholders={"account": self.config_entry.title},
            )
            raise UpdateFailed(
                translation_domain=DOMAIN, translation_key="too_many_connections"
            ) from err
        except RateLimitedError as err:
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="rate_limited",
                translation_placeholders={"seconds": f"{err.retry_after or 0:.0f}"},
            ) from err
        except TibberError as err:
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="cannot_connect",
                translation_placeholders={"error": str(err)},
            ) from err

    def _log_silence(
        self, live: list[str], errors: dict[str, str], states: dict[str, HomeState]
    ) -> None:
        """Log once when a home stops sending, and once when it is back."""
        silent = {home_id for home_id in live if states[home_id].measurement is None}
        for home_id in silent - self._silent:
            _LOGGER.warning(
                "No live data from %s: %s",
                self.homes[home_id].name,
                errors.get(home_id, f"silent for {SNAPSHOT_TIMEOUT:g} s"),
            )
        for home_id in self._silent - silent:
            _LOGGER.info("Live data from %s is back", self.homes[home_id].name)
        self._silent = silent

    async def _refresh_last_hours(self) -> None:
        """Latest complete hour of homes without a real-time meter.

        Asked for on each poll until the hour that ended last is published,
        then not again before the next hour ends. A failure keeps the previous
        hour and does not fail the poll: the live measurements already taken
        are kept. A rate limit also ends the round (the client sends nothing
        more until Tibber's Retry-After has passed); a rejected token fails it.
        """
        expected_end = dt_util.utcnow().replace(minute=0, second=0, microsecond=0)
        for home in self.homes.values():
            known = self._last_hour.get(home.id)
            if home.real_time_consumption or (known and known.end >= expected_end):
                continue
            try:
                nodes = await self.client.consumption(home.id, 3)
            except InvalidTokenError:
                raise
            except RateLimitedError as err:
                _LOGGER.debug("Latest hours not read: %s", err)
                return
            except TibberError as err:
                _LOGGER.debug("Latest hour of %s not read: %s", home.name, err)
                continue
            done = [node for node in nodes if node.energy is not None]
            if done:
                self._last_hour[home.id] = done[-1]
