"""The kWh counters the Energy dashboard reads, one per home and direction.

A home whose meter reports its register (`lastMeterConsumption`) gets the
register; once a register has been seen, a message without it keeps the last
value instead of falling back to another source (a switch would read as a
meter reset and then as a huge jump). Other homes get a running total
(`energy.EnergyTotal`) whose midnight bridges are settled from Tibber's hourly
history once the hours up to midnight are published. Each direction also
keeps the mark from which the next hour is told (`live_hours`), so an hour
that ends while Home Assistant restarts is still told by the live data.
The coordinator keeps the state (`as_dict`) in `.storage/powertracker.<entry
id>`, so it survives restarts. It is saved when what the next readings cannot
tell again changes (`milestones`); in between, a stored state that is some
readings old is as good: a register comes with every reading, a running total
adds what the day's value rose above the stored day's highest (a new day: its
bridge reaches back to the stored reading), and an hour's mark needs the
hour's first reading, which its milestone saved. Tibber's history is read
under the one policy for Tibber's answers (`answers.py`).

Pure Python: no Home Assistant imports.
"""

from __future__ import annotations

import logging
import math
from datetime import datetime, timedelta, tzinfo
from functools import partial
from typing import Any, Literal

from ..tibber import EnergyHour, Home, LiveMeasurement, TibberClient, TibberError
from .answers import HistoryRound
from .energy import EnergyTotal
from .live_hours import CompletedHour, HourMark, Reading, advance

_LOGGER = logging.getLogger(__name__)

type Kind = Literal["consumption", "production"]
KINDS: tuple[Kind, ...] = ("consumption", "production")
BRIDGE_PATIENCE = timedelta(hours=48)
"""How long a bridge waits for missing history hours, then settles for what is there."""


def _reading(
    measurement: LiveMeasurement, kind: Kind
) -> tuple[float | None, float | None, float | None, float | None]:
    """The register, daily value, value since the hour began, and daily money."""
    if kind == "consumption":
        return (
            measurement.last_meter_consumption,
            measurement.accumulated_consumption,
            measurement.accumulated_consumption_last_hour,
            measurement.accumulated_cost,
        )
    return (
        measurement.last_meter_production,
        measurement.accumulated_production,
        measurement.accumulated_production_last_hour,
        measurement.accumulated_reward,
    )


class EnergyTotals:
    """The counters of one entry's homes."""

    def __init__(self, client: TibberClient, zones: dict[str, tzinfo]) -> None:
        """`zones`: each home's time zone (its midnight resets the daily values)."""
        self._client = client
        self._zones = zones
        self._registers: dict[str, float] = {}
        self._totals: dict[str, EnergyTotal] = {}
        self._marks: dict[str, HourMark] = {}

    def restore(self, stored: dict[str, Any]) -> None:
        """Take up what the last run stored (`as_dict`)."""
        self._registers = {
            key: float(value) for key, value in stored.get("registers", {}).items()
        }
        self._totals = {
            key: EnergyTotal.from_dict(value)
            for key, value in stored.get("totals", {}).items()
        }
        self._marks = {
            key: HourMark.from_dict(value)
            for key, value in stored.get("marks", {}).items()
        }

    def as_dict(self) -> dict[str, Any]:
        """JSON-able state, to be kept across restarts."""
        return {
            "registers": self._registers,
            "totals": {key: total.as_dict() for key, total in self._totals.items()},
            "marks": {key: mark.as_dict() for key, mark in self._marks.items()},
        }

    def milestones(self) -> tuple[Any, ...]:
        """What the next readings cannot tell again: which counters there are,
        each running total's day and bridges, each mark's hour. The stored
        state needs saving when these change, not at every reading."""
        return (
            tuple(self._registers),
            tuple(
                (key, total.day, len(total.bridges))
                for key, total in self._totals.items()
            ),
            tuple((key, mark.hour) for key, mark in self._marks.items()),
        )

    def value(self, home_id: str, kind: Kind) -> float | None:
        """The counter, or None before the first reading."""
        key = f"{home_id}_{kind}"
        if key in self._registers:
            return self._registers[key]
        total = self._totals.get(key)
        return total.total if total else None

    async def async_update(
        self,
        home: Home,
        measurement: LiveMeasurement | None,
        now: datetime,
        history: HistoryRound,
    ) -> dict[str, CompletedHour]:
        """Take this poll's measurement (None: the home was silent); return the
        hours it completed. `history`: the poll's round of history reads."""
        completed: dict[str, CompletedHour] = {}
        for kind in KINDS:
            key = f"{home.id}_{kind}"
            if measurement is not None:
                register, daily, last_hour, money = _reading(measurement, kind)
                zone = self._zones[home.id]
                local = measurement.timestamp.astimezone(zone)
                if daily is not None and last_hour is not None:
                    self._marks[key], hour = advance(
                        self._marks.get(key),
                        Reading(
                            measurement.timestamp, local.date(), daily, last_hour, money
                        ),
                    )
                    if hour is not None:
                        completed[kind] = hour
                if register is not None:
                    self._registers[key] = register
                elif key not in self._registers and daily is not None:
                    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
                    self._totals.setdefault(key, EnergyTotal()).add(
                        measurement.timestamp, daily, last_hour or 0.0, midnight
                    )
            total = self._totals.get(key)
            if key not in self._registers and total is not None and total.bridges:
                await self._settle(home, kind, total, now, history)
        return completed

    async def _settle(
        self,
        home: Home,
        kind: Kind,
        total: EnergyTotal,
        now: datetime,
        history: HistoryRound,
    ) -> None:
        """Add the bridges whose hours Tibber's history now has."""
        oldest = min(bridge.start for bridge in total.bridges)
        hours = math.ceil((now - oldest).total_seconds() / 3600) + 1
        fetch = (
            self._client.consumption
            if kind == "consumption"
            else self._client.production
        )
        nodes = await history.ask(partial(fetch, home.id, hours))
        if isinstance(nodes, TibberError):
            _LOGGER.debug("Midnight of %s waits for history: %s", home.name, nodes)
            return
        for bridge in list(total.bridges):
            inside = [node for node in nodes if bridge.start <= node.start < bridge.end]
            expected = round((bridge.end - bridge.start).total_seconds() / 3600)
            if _complete(inside, expected) or now - bridge.end > BRIDGE_PATIENCE:
                if not _complete(inside, expected):
                    _LOGGER.warning(
                        "Tibber's history still lacks hours before %s for %s; "
                        "the %s total counts what it has",
                        bridge.end,
                        home.name,
                        kind,
                    )
                total.settle(bridge, sum(node.energy or 0.0 for node in inside))


def _complete(nodes: list[EnergyHour], expected: int) -> bool:
    return len(nodes) >= expected and all(node.energy is not None for node in nodes)
