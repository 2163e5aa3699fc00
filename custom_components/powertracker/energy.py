"""A never-decreasing energy total built from Tibber's daily accumulated values.

Tibber's `accumulatedConsumption` restarts at the home's local midnight and is
corrected (sometimes downwards) every hour. Home Assistant's Energy dashboard
wants a `total_increasing` counter that only drops at a real meter reset. When
the meter has no register (`lastMeterConsumption` is null), this builds one:

- within a local day it adds only what rises above the day's highest value,
  so a correction never counts twice and never makes the total drop;
- across midnight it adds what was used between the last reading and
  midnight (`gap`, from Tibber's hourly history), so the interval that spans
  the reset is not lost, however many polls were missed.

Pure Python: no Home Assistant imports, so it is tested on its own.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any, Self


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

    def add(
        self,
        timestamp: datetime,
        local_day: date,
        daily: float,
        last_hour: float,
        gap: float | None = None,
    ) -> float:
        """Take a reading; return the total.

        `gap` is what the history says was used from the start of the last
        reading's hour up to this day's midnight; it only matters on a new day.
        """
        if self.timestamp is not None and timestamp <= self.timestamp:
            return self.total
        if self.day is None:
            self.high = daily  # the first reading: count from here on
        elif local_day != self.day:
            if gap is not None:
                # Used since the last reading: the rest of its hour and the hours after.
                self.total += max(0.0, self.daily - self.high + gap - self.last_hour)
            self.high = 0.0
        self.day = local_day
        if daily > self.high:
            self.total += daily - self.high
            self.high = daily
        self.daily, self.last_hour, self.timestamp = daily, last_hour, timestamp
        return self.total

    def as_dict(self) -> dict[str, Any]:
        """JSON-able state."""
        state = asdict(self)
        state["day"] = self.day.isoformat() if self.day else None
        state["timestamp"] = self.timestamp.isoformat() if self.timestamp else None
        return state

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
        )
