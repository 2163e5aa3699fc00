"""The poll: one live snapshot for all homes of an entry, every few minutes."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta, tzinfo

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util

from .account import AccountHomes
from .const import (
    CONF_POLL_MINUTES,
    DEFAULT_POLL_MINUTES,
    DOMAIN,
    ISSUE_TOO_MANY_CONNECTIONS,
    SNAPSHOT_TIMEOUT,
)
from .data import HomeState, PowertrackerConfigEntry
from .last_hour import LastHours
from .silence import SilenceLog
from .tibber import (
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
        self.account = AccountHomes(hass, entry, client)
        self.zones: dict[str, tzinfo] = {}
        """Each home's time zone, resolved once (the lookup may read files)."""
        self.totals = EnergyTotals(hass, entry.entry_id, client, self.zones)
        self._last_hours = LastHours(client)
        self._silence = SilenceLog()

    @property
    def homes(self) -> dict[str, Home]:
        """The selected homes still on the account, learnt at setup."""
        return self.account.homes

    async def _async_setup(self) -> None:
        """Learn the homes, resolve their time zones, restore the stored totals."""
        with self._translated_errors():
            await self.account.async_learn()
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
            await self._last_hours.async_refresh(self.homes.values(), dt_util.utcnow())
        ir.async_delete_issue(
            self.hass, DOMAIN, connections_issue_id(self.config_entry.entry_id)
        )
        await self.totals.async_save()
        silent = {
            home_id: snapshot.errors.get(home_id, f"silent for {SNAPSHOT_TIMEOUT:g} s")
            for home_id in live
            if home_id not in snapshot.measurements
        }
        self._silence.poll(silent, {home.id: home.name for home in self.homes.values()})
        return {
            home.id: HomeState(
                home=home,
                zone=self.zones[home.id],
                measurement=snapshot.measurements.get(home.id),
                consumption_total=self.totals.value(home.id, "consumption"),
                production_total=self.totals.value(home.id, "production"),
                last_hour=self._last_hours.get(home.id),
                completed=completed[home.id],
            )
            for home in self.homes.values()
        }

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
