"""A never-decreasing energy total built from Tibber's daily accumulated values.

Tibber's `accumulatedConsumption` restarts at the home's local midnight and is
corrected (sometimes downwards) every hour. Home Assistant's Energy dashboard
wants a `total_increasing` counter that only drops at a real meter reset. When
the meter has no register (`lastMeterConsumption` is null), this builds one:

- within a local day it adds only what rises above the day's highest value,
  so a correction never counts twice and never makes the total drop;
- across midnight it remembers a *bridge*: the energy between the last
  reading before midnight and midnight itself. Live data cannot tell it, but
  Tibber's hourly history can, once the hours up to midnight are published
  (often some minutes late). The bridge waits, persisted, until they are,
  however many polls were missed, and is then added.

Pure Python: no Home Assistant imports, so it is tested on its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Self


@dataclass(slots=True)
class Bridge:
    """Energy from a reading to the next midnight, still to be added.

    It equals `adjust` plus the history's energy of the hours in [start, end):
    the reading's hour and the hours after it, less what the reading had
    already counted of its hour.
    """

    start: datetime
    end: datetime
    adjust: float

    def as_dict(self) -> dict[str, Any]:
        """JSON-able state."""
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "adjust": self.adjust,
        }

    @classmethod
    def from_dict(cls, state: dict[str, Any]) -> Self:
        """Inverse of `as_dict`."""
        return cls(
            start=datetime.fromisoformat(state["start"]),
            end=datetime.fromisoformat(state["end"]),
            adjust=float(state["adjust"]),
        )


@dataclass(slots=True)
class EnergyTotal:
    """State of one running total (persisted between Home Assistant runs)."""

    total: float = 0.0
    day: date | None = None
    high: float = 0.0
    """Highest daily value seen on `day`."""
    daily: float = 0.0
    """Daily value of the last reading."""
    last_hour: float = 0.0
    """Consumption since the start of the hour, at the last reading."""
    timestamp: datetime | None = None
    bridges: list[Bridge] = field(default_factory=list)

    def add(
        self, timestamp: datetime, daily: float, last_hour: float, midnight: datetime
    ) -> float:
        """Take a reading; `midnight` is the local midnight that began its day.

        Return the total (bridges still waiting are not in it yet).
        """
        if self.timestamp is not None and timestamp <= self.timestamp:
            return self.total
        local_day = midnight.date()
        if self.day is None or self.timestamp is None:
            self.high = daily  # the first reading: count from here on
        elif local_day != self.day:
            hour = self.timestamp.astimezone(midnight.tzinfo).replace(
                minute=0, second=0, microsecond=0
            )
            self.bridges.append(
                Bridge(
                    start=hour,
                    end=midnight,
                    adjust=self.daily - self.high - self.last_hour,
                )
            )
            self.high = 0.0
        self.day = local_day
        if daily > self.high:
            self.total += daily - self.high
            self.high = daily
        self.daily, self.last_hour, self.timestamp = daily, last_hour, timestamp
        return self.total

    def settle(self, bridge: Bridge, history: float) -> float:
        """Add a bridge, given the history's energy of its hours; return the total."""
        self.bridges.remove(bridge)
        self.total += max(0.0, bridge.adjust + history)
        return self.total

    def as_dict(self) -> dict[str, Any]:
        """JSON-able state."""
        return {
            "total": self.total,
            "day": self.day.isoformat() if self.day else None,
            "high": self.high,
            "daily": self.daily,
            "last_hour": self.last_hour,
            "timestamp": self.timestamp.isoformat() if self.timestamp else None,
            "bridges": [bridge.as_dict() for bridge in self.bridges],
        }

    @classmethod
    def from_dict(cls, state: dict[str, Any]) -> Self:
        """Inverse of `as_dict`."""
        return cls(
            total=float(state["total"]),
            day=date.fromisoformat(state["day"]) if state.get("day") else None,
            high=float(state["high"]),
            daily=float(state["daily"]),
            last_hour=float(state["last_hour"]),
            timestamp=(
                datetime.fromisoformat(state["timestamp"])
                if state.get("timestamp")
                else None
            ),
            bridges=[Bridge.from_dict(bridge) for bridge in state.get("bridges", ())],
        )
