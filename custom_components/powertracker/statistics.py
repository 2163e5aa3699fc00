"""Hourly history from Tibber as external long-term statistics.

At setup the configured span of hourly consumption and cost (and production
and profit, where a home produces) is imported as `powertracker:<home>_<kind>`
statistics, so the Energy dashboard shows the past before the first poll.
Every hour a trailing window (48 h, or back to the last imported hour if that
is older) is imported again, so Tibber's after-the-fact corrections land. Each
import continues the running `sum` from the hour before its window, so sums
stay continuous: a corrected hour changes its own state and the sums after it.
When the option is raised, each statistic imports the longer span once, its
sums going on from any older row (`.storage/powertracker.<entry>.history`
records the longest span imported).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from itertools import accumulate
from typing import Any

from homeassistant.components.recorder.models import StatisticData
from homeassistant.components.recorder.statistics import (
    async_add_external_statistics,
    get_last_statistics,
    statistics_during_period,
)
from homeassistant.const import UnitOfEnergy
from homeassistant.core import HomeAssistant
from homeassistant.helpers.recorder import get_instance
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from .compat import statistic_metadata
from .const import DOMAIN
from .tibber import EnergyHour, Home, TibberClient, TibberError

_LOGGER = logging.getLogger(__name__)

TRAILING_WINDOW = timedelta(hours=48)
"""Hours re-imported every hour: Tibber corrects recent hours after the fact."""


def statistic_id(home_id: str, kind: str) -> str:
    """`powertracker:<home id>_<kind>` (consumption, cost, production, profit)."""
    return f"{DOMAIN}:{home_id.lower().replace('-', '_')}_{kind}"


def span_store(hass: HomeAssistant, entry_id: str) -> Store[dict[str, Any]]:
    """Where an entry remembers how many days of history it imported."""
    return Store(hass, 1, f"{DOMAIN}.{entry_id}.history")


class HistoryImporter:
    """Imports the hourly history of one entry's homes."""

    def __init__(
        self,
        hass: HomeAssistant,
        client: TibberClient,
        homes: list[Home],
        days: int,
        store: Store[dict[str, Any]],
    ) -> None:
        """Import `days` days at first, then keep the last hours corrected."""
        self._hass = hass
        self._client = client
        self._homes = homes
        self._days = days
        self._store = store
        self._imported_days: int | None = None
        """The span imported in full so far (None: not recorded)."""
        self._spanned: set[str] = set()
        """Statistics imported in full since setup."""

    async def async_load(self) -> None:
        """Learn the span imported so far."""
        stored = await self._store.async_load()
        self._imported_days = stored["days"] if stored else None

    async def async_import(self) -> None:
        """Import what is missing or may have been corrected, for every home.

        When the configured span is longer than the one imported so far (the
        option was raised), each statistic imports the whole span once. Entries
        from before the span was recorded record the option as it is now.
        """
        widen = self._imported_days is not None and self._days > self._imported_days
        complete = True
        for home in self._homes:
            if self._hass.is_stopping:
                return  # the recorder is going away
            for kind, money, fetch in (
                ("consumption", "cost", self._client.consumption),
                ("production", "profit", self._client.production),
            ):
                try:
                    await self._import(home, kind, money, fetch, widen=widen)
                except TibberError as err:
                    complete = False
                    _LOGGER.warning(
                        "Cannot import the %s history of %s, will retry in an hour: %s",
                        kind,
                        home.name,
                        err,
                    )
        # A lowered option keeps the record: the longer span's rows stay.
        days = max(self._days, self._imported_days or 0)
        if complete and self._imported_days != days:
            self._imported_days = days
            await self._store.async_save({"days": days})

    async def _import(
        self,
        home: Home,
        kind: str,
        money: str,
        fetch: Callable[[str, int], Awaitable[list[EnergyHour]]],
        *,
        widen: bool,
    ) -> None:
        now = dt_util.utcnow().replace(minute=0, second=0, microsecond=0)
        energy_id = statistic_id(home.id, kind)
        last = await self._last_start(energy_id)
        # The configured span (at least the window) once per statistic: at
        # first, when the span grew, and when a statistic still empty (a home
        # that never produced) sees its first data, which may reach further
        # back. Otherwise the window, or back to the last imported hour.
        full = energy_id not in self._spanned and (widen or last is None)
        nodes = await self._hours(home.id, fetch, now, last, full=full)
        if last is None and not full and any(node.energy for node in nodes):
            full = True
            nodes = await self._hours(home.id, fetch, now, last, full=full)
        self._spanned.add(energy_id)
        if not nodes or (
            kind == "production"
            and last is None
            and not any(node.energy for node in nodes)
        ):
            return  # nothing yet, or a home that never produced
        window = dt_util.as_utc(nodes[0].start)
        currency = next((node.currency for node in nodes if node.currency), None)
        for stat_id, unit, unit_class, values in (
            (
                energy_id,
                UnitOfEnergy.KILO_WATT_HOUR,
                "energy",
                [n.energy for n in nodes],
            ),
            (statistic_id(home.id, money), currency, None, [n.money for n in nodes]),
        ):
            # 0 before the first hour; older rows (a span imported before) go on.
            base = await self._sum_before(stat_id, window)
            # An hour Tibber has no price for gets no row, not a made-up 0.
            known = [
                (n, v) for n, v in zip(nodes, values, strict=True) if v is not None
            ]
            states = [value for _, value in known]
            sums = list(accumulate(states, initial=base))[1:]
            rows = [
                StatisticData(start=dt_util.as_utc(node.start), state=state, sum=total)
                for (node, state), total in zip(known, sums, strict=True)
            ]
            async_add_external_statistics(
                self._hass,
                statistic_metadata(
                    statistic_id=stat_id,
                    source=DOMAIN,
                    name=f"{home.name} {kind if unit_class else money}",
                    unit=unit,
                    unit_class=unit_class,
                ),
                rows,
            )

    async def _hours(
        self,
        home_id: str,
        fetch: Callable[[str, int], Awaitable[list[EnergyHour]]],
        now: datetime,
        last: datetime | None,
        *,
        full: bool,
    ) -> list[EnergyHour]:
        """The hours with energy from the start the import needs up to `now`."""
        if full:
            start = now - max(timedelta(days=self._days), TRAILING_WINDOW)
        elif last is None:
            start = now - TRAILING_WINDOW
        else:
            start = min(now - TRAILING_WINDOW, last + timedelta(hours=1))
        hours = int((now - start).total_seconds() // 3600)
        if hours <= 0:
            return []
        return [
            node
            for node in await fetch(home_id, hours)
            if node.energy is not None and node.start >= start
        ]

    async def _last_start(self, stat_id: str) -> datetime | None:
        last = await get_instance(self._hass).async_add_executor_job(
            get_last_statistics, self._hass, 1, stat_id, True, {"sum"}
        )
        if not last.get(stat_id):
            return None
        return dt_util.utc_from_timestamp(last[stat_id][0]["start"])

    async def _sum_before(self, stat_id: str, start: datetime) -> float:
        """The running sum of the last hour before `start` (0 if none in a week)."""
        rows = await get_instance(self._hass).async_add_executor_job(
            statistics_during_period,
            self._hass,
            start - timedelta(days=7),
            start,
            {stat_id},
            "hour",
            None,
            {"sum"},
        )
        before = rows.get(stat_id) or []
        return float(before[-1].get("sum") or 0.0) if before else 0.0
