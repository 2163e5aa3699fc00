"""The poll: one live snapshot for all homes of an entry, every few minutes.

Tibber's answers become Home Assistant's here, by the one policy of
`meter/answers.py`; the homes the entry follows are checked once an hour.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, tzinfo
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.helpers.storage import Store
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
from .meter.answers import Answer, HistoryRound, answer_of
from .meter.last_hour import LastHours
from .meter.silence import SilenceLog
from .meter.state import HomeState
from .meter.totals import EnergyTotals
from .tibber import Home, RateLimitedError, TibberClient, TibberError

_LOGGER = logging.getLogger(__name__)
HOMES_INTERVAL = timedelta(hours=1)
"""How often the homes on the account are checked."""


def totals_store(hass: HomeAssistant, entry_id: str) -> Store[dict[str, Any]]:
    """Where an entry's energy totals live (`.storage/powertracker.<entry id>`)."""
    return Store(hass, 1, f"{DOMAIN}.{entry_id}")


def connections_issue_id(entry_id: str) -> str:
    """Repair issue of an entry when another client holds the connections."""
    return f"{ISSUE_TOO_MANY_CONNECTIONS}_{entry_id}"


class PowertrackerCoordinator(DataUpdateCoordinator[dict[str, HomeState]]):
    """Polls Tibber for the selected homes of one account."""

    config_entry: ConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry,
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
        self.totals = EnergyTotals(client, self.zones)
        self._totals_store = totals_store(hass, entry.entry_id)
        self._saved_milestones: tuple[Any, ...] | None = None
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
        self.totals.restore(await self._totals_store.async_load() or {})
        self._saved_milestones = self.totals.milestones()

    @callback
    def async_follow_homes(self) -> None:
        """Check the homes on the account once an hour (until the entry unloads)."""

        @callback
        def _check(_now: datetime) -> None:
            self.config_entry.async_create_background_task(
                self.hass,
                self.account.async_follow(),
                f"{DOMAIN} homes {self.config_entry.title}",
            )

        self.config_entry.async_on_unload(
            async_track_time_interval(self.hass, _check, HOMES_INTERVAL)
        )

    async def _async_update_data(self) -> dict[str, HomeState]:
        live = [home.id for home in self.homes.values() if home.real_time_consumption]
        history = HistoryRound()
        with self._translated_errors():
            snapshot = await self.client.live_snapshot(live, timeout=SNAPSHOT_TIMEOUT)
            completed = {
                home.id: await self.totals.async_update(
                    home,
                    snapshot.measurements.get(home.id),
                    dt_util.utcnow(),
                    history,
                )
                for home in self.homes.values()
            }
            await self._last_hours.async_refresh(
                self.homes.values(), dt_util.utcnow(), history
            )
        ir.async_delete_issue(
            self.hass, DOMAIN, connections_issue_id(self.config_entry.entry_id)
        )
        await self._async_save_totals()
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

    async def _async_save_totals(self) -> None:
        """Save the totals when a milestone changed (`EnergyTotals.milestones`):
        about once an hour, not at every poll, and at an unload or a stop
        (`async_shutdown`). A crash loses the readings since: the next
        reading tells them again (until a home answers after the
        restart, its energy sensor shows the total last saved)."""
        milestones = self.totals.milestones()
        if milestones != self._saved_milestones:
            self._saved_milestones = milestones
            await self._totals_store.async_save(self.totals.as_dict())

    async def async_shutdown(self) -> None:
        """Stop polling, and save the totals as they are: an unload (a reload,
        an options change) or Home Assistant's stop loses no reading."""
        await super().async_shutdown()
        if self._saved_milestones is not None:  # restored: there is something
            await self._totals_store.async_save(self.totals.as_dict())

    @contextmanager
    def _translated_errors(self) -> Iterator[None]:
        """Tibber's answers as Home Assistant's (`meter/answers.py`): reauth, a
        repair issue, or a failed update.

        During the first refresh Home Assistant turns a failed update into a
        setup retry.
        """
        try:
            yield
        except TibberError as err:
            raise self._failure(err) from err

    def _failure(self, err: TibberError) -> Exception:
        """What the poll raises for `err`."""
        answer = answer_of(err)
        if answer is Answer.REJECTED_TOKEN:
            return ConfigEntryAuthFailed(
                translation_domain=DOMAIN, translation_key="invalid_auth"
            )
        if answer is Answer.TOO_MANY_CONNECTIONS:
            ir.async_create_issue(
                self.hass,
                DOMAIN,
                connections_issue_id(self.config_entry.entry_id),
                is_fixable=False,
                severity=ir.IssueSeverity.WARNING,
                translation_key=ISSUE_TOO_MANY_CONNECTIONS,
                translation_placeholders={"account": self.config_entry.title},
            )
            return UpdateFailed(
                translation_domain=DOMAIN, translation_key="too_many_connections"
            )
        if isinstance(err, RateLimitedError):
            return UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="rate_limited",
                translation_placeholders={"seconds": f"{err.retry_after or 0:.0f}"},
            )
        # A server error, no answer, or an unknown home: asked again next poll.
        return UpdateFailed(
            translation_domain=DOMAIN,
            translation_key="cannot_connect",
            translation_placeholders={"error": str(err)},
        )
