"""The poll: one live snapshot for all homes of an entry, every few minutes."""

from __future__ import annotations

import logging
import math
from datetime import datetime, timedelta
from typing import Any, Literal

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.storage import Store
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util

from .const import (
    CONF_POLL_MINUTES,
    DEFAULT_POLL_MINUTES,
    DOMAIN,
    ISSUE_TOO_MANY_CONNECTIONS,
    SNAPSHOT_TIMEOUT,
)
from .data import HomeState, PowertrackerConfigEntry
from .energy import EnergyTotal
from .tibber import (
    EnergyHour,
    Home,
    InvalidTokenError,
    LiveMeasurement,
    RateLimitedError,
    TibberClient,
    TibberError,
    TooManyConnectionsError,
)

_LOGGER = logging.getLogger(__name__)

type Kind = Literal["consumption", "production"]
STORAGE_VERSION = 1


class PowertrackerCoordinator(DataUpdateCoordinator[dict[str, HomeState]]):
    """Polls Tibber for the selected homes of one account."""

    config_entry: PowertrackerConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        entry: PowertrackerConfigEntry,
        client: TibberClient,
        homes: list[Home],
    ) -> None:
        """Poll `homes` every `poll_minutes` (option) minutes."""
        minutes = entry.options.get(CONF_POLL_MINUTES, DEFAULT_POLL_MINUTES)
        super().__init__(
            hass,
            _LOGGER,
            config_entry=entry,
            name=f"{DOMAIN} {entry.title}",
            update_interval=timedelta(minutes=minutes),
        )
        self.client = client
        self.homes = {home.id: home for home in homes}
        self._store: Store[dict[str, Any]] = Store(
            hass, STORAGE_VERSION, f"{DOMAIN}.{entry.entry_id}"
        )
        self._totals: dict[str, EnergyTotal] = {}
        self._last_hour: dict[str, EnergyHour | None] = {}
        self._hour_fetched: dict[str, datetime] = {}
        self._silent: set[str] = set()

    @property
    def issue_id(self) -> str:
        """Repair issue of this entry when another client holds the connections."""
        return f"{ISSUE_TOO_MANY_CONNECTIONS}_{self.config_entry.entry_id}"

    async def _async_setup(self) -> None:
        """Restore the running totals of homes without a meter register."""
        stored = await self._store.async_load() or {}
        self._totals = {
            key: EnergyTotal.from_dict(value) for key, value in stored.items()
        }

    async def _async_update_data(self) -> dict[str, HomeState]:
        now = dt_util.utcnow()
        try:
            live = [
                home.id for home in self.homes.values() if home.real_time_consumption
            ]
            snapshot = await self.client.live_snapshot(live, timeout=SNAPSHOT_TIMEOUT)
            await self._refresh_last_hours(now)
            states = {
                home.id: await self._home_state(
                    home, snapshot.measurements.get(home.id)
                )
                for home in self.homes.values()
            }
        except InvalidTokenError as err:
            raise ConfigEntryAuthFailed(
                translation_domain=DOMAIN, translation_key="invalid_auth"
            ) from err
        except TooManyConnectionsError as err:
            ir.async_create_issue(
                self.hass,
                DOMAIN,
                self.issue_id,
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
        ir.async_delete_issue(self.hass, DOMAIN, self.issue_id)
        self._log_silence(live, snapshot.errors, states)
        await self._store.async_save(
            {key: total.as_dict() for key, total in self._totals.items()}
        )
        return states

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

    async def _refresh_last_hours(self, now: datetime) -> None:
        """Latest hour of homes without a real-time meter, at most once an hour."""
        hour = now.replace(minute=0, second=0, microsecond=0)
        for home in self.homes.values():
            if home.real_time_consumption:
                continue
            fetched = self._hour_fetched.get(home.id)
            if fetched is not None and fetched >= hour:
                continue
            nodes = await self.client.consumption(home.id, 3)
            done = [node for node in nodes if node.energy is not None]
            self._last_hour[home.id] = done[-1] if done else None
            self._hour_fetched[home.id] = now

    async def _home_state(
        self, home: Home, measurement: LiveMeasurement | None
    ) -> HomeState:
        return HomeState(
            home=home,
            measurement=measurement,
            consumption_total=await self._total(home, measurement, "consumption"),
            production_total=await self._total(home, measurement, "production"),
            last_hour=self._last_hour.get(home.id),
        )

    async def _total(
        self, home: Home, measurement: LiveMeasurement | None, kind: Kind
    ) -> float | None:
        """The meter register, else the running total of the daily values."""
        key = f"{home.id}_{kind}"
        counter = self._totals.get(key)
        previous = self.data[home.id] if self.data else None
        if measurement is None:
            if previous is None:
                return counter.total if counter else None
            return (
                previous.consumption_total
                if kind == "consumption"
                else previous.production_total
            )
        if kind == "consumption":
            register = measurement.last_meter_consumption
            daily = measurement.accumulated_consumption
            last_hour = measurement.accumulated_consumption_last_hour
        else:
            register = measurement.last_meter_production
            daily = measurement.accumulated_production
            last_hour = measurement.accumulated_production_last_hour
        if register is not None:
            return register
        if daily is None:
            return counter.total if counter else None
        counter = self._totals.setdefault(key, EnergyTotal())
        local_day = measurement.timestamp.astimezone(
            dt_util.get_time_zone(home.time_zone)
        ).date()
        gap = None
        if counter.timestamp is not None and counter.day != local_day:
            gap = await self._gap(home, kind, counter.timestamp, measurement.timestamp)
        return counter.add(
            measurement.timestamp, local_day, daily, last_hour or 0.0, gap
        )

    async def _gap(
        self, home: Home, kind: Kind, last: datetime, now: datetime
    ) -> float | None:
        """kWh from the start of `last`'s hour to the local midnight before `now`."""
        tz = dt_util.get_time_zone(home.time_zone)
        start = last.astimezone(tz).replace(minute=0, second=0, microsecond=0)
        midnight = now.astimezone(tz).replace(hour=0, minute=0, second=0, microsecond=0)
        hours = math.ceil((now - start).total_seconds() / 3600) + 1
        fetch = (
            self.client.consumption if kind == "consumption" else self.client.production
        )
        try:
            nodes = await fetch(home.id, hours)
        except TibberError as err:
            _LOGGER.warning(
                "Cannot read %s history of %s to bridge midnight; the %s total "
                "misses the last minutes before midnight: %s",
                kind,
                home.name,
                kind,
                err,
            )
            return None
        return sum(
            node.energy
            for node in nodes
            if node.energy is not None and start <= node.start < midnight
        )
