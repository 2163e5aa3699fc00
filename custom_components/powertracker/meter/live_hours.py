"""Completed hours from live measurements, before Tibber publishes them.

Tibber's hourly history reaches only the last hour it has published, often
some minutes, sometimes hours, after the hour ended. The live measurements
tell the hour as soon as it ends: Tibber's `accumulatedConsumption` counts
from the home's local midnight and `accumulatedConsumptionLastHour` from the
start of the hour, so their difference is the energy from midnight to the
start of the measurement's hour, exactly (Tibber's drift within an hour is in
both). The first measurement of the next hour gives the same figure one hour
later; the difference is the hour. Its cost is that energy at the hour's
price, which is the slope of `accumulatedCost` over `accumulatedConsumption`
between two measurements of the hour. Production and reward likewise.

At local midnight the daily values restart, so the last hour of the day is
extrapolated from its last measurement (if it saw at least 50 minutes of the
hour); an hour after a gap in the measurements is left out, and so is an
hour that would come out smaller than its last reading had already seen (a
measurement of the new hour whose hourly value was not reset yet). Either way
Tibber's own value replaces it once published. The hours are local clock
hours, which are UTC hours in every zone Tibber serves.

Pure Python: no Home Assistant imports, so it is tested on its own.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any, Self

HOUR = timedelta(hours=1)
SLACK = 1e-3
"""kWh by which Tibber's rounding and drift may make an hour look smaller."""
MIN_SEEN_AT_MIDNIGHT = timedelta(minutes=50)
"""How much of the day's last hour a measurement must have seen to extrapolate it."""


@dataclass(frozen=True, slots=True)
class CompletedHour:
    """One hour's energy (kWh) and money, from live measurements or from Tibber."""

    start: datetime
    """UTC start of the hour."""
    energy: float
    money: float | None
    """Cost of the consumption (reward of the production); None: price unknown."""


@dataclass(frozen=True, slots=True)
class Reading:
    """What one live measurement says of one direction (consumption, production)."""

    timestamp: datetime
    day: date
    """The home's local day of the measurement."""
    daily: float
    """kWh since local midnight (accumulatedConsumption / accumulatedProduction)."""
    within: float
    """kWh since the start of the hour (the `...LastHour` value)."""
    money: float | None
    """Money since local midnight (accumulatedCost / accumulatedReward)."""


@dataclass(frozen=True, slots=True)
class HourMark:
    """The last reading of an hour, and the first one (for the hour's price)."""

    last: Reading
    first_daily: float
    first_money: float | None

    @property
    def hour(self) -> datetime:
        """UTC start of the reading's hour."""
        return self.last.timestamp.astimezone(UTC).replace(
            minute=0, second=0, microsecond=0
        )

    @property
    def price(self) -> float | None:
        """Money per kWh within the hour, if the readings tell it."""
        energy = self.last.daily - self.first_daily
        if self.last.money is None or self.first_money is None or energy <= 1e-9:
            return None
        return (self.last.money - self.first_money) / energy

    def as_dict(self) -> dict[str, Any]:
        """JSON-able state (kept across restarts)."""
        last = asdict(self.last)
        last["timestamp"] = self.last.timestamp.isoformat()
        last["day"] = self.last.day.isoformat()
        return {
            "last": last,
            "first_daily": self.first_daily,
            "first_money": self.first_money,
        }

    @classmethod
    def from_dict(cls, state: dict[str, Any]) -> Self:
        """Inverse of `as_dict`."""
        last = dict(state["last"])
        return cls(
            last=Reading(
                timestamp=datetime.fromisoformat(last["timestamp"]),
                day=date.fromisoformat(last["day"]),
                daily=float(last["daily"]),
                within=float(last["within"]),
                money=None if last["money"] is None else float(last["money"]),
            ),
            first_daily=float(state["first_daily"]),
            first_money=(
                None if state["first_money"] is None else float(state["first_money"])
            ),
        )


def advance(
    mark: HourMark | None, reading: Reading
) -> tuple[HourMark, CompletedHour | None]:
    """Take a reading: the new mark, and the hour it completed, if any."""
    if mark is None:
        return HourMark(reading, reading.daily, reading.money), None
    if reading.timestamp <= mark.last.timestamp:
        return mark, None  # the same measurement again, or an older one
    new = HourMark(reading, reading.daily, reading.money)
    if new.hour == mark.hour:
        return replace(mark, last=reading), None
    if new.hour != mark.hour + HOUR:
        return new, None  # a gap: the hours between are Tibber's to tell
    energy = _energy(mark, reading)
    if energy is None:
        return new, None
    price = mark.price
    money = None if price is None else price * energy
    return new, CompletedHour(mark.hour, energy, money)


def _energy(mark: HourMark, reading: Reading) -> float | None:
    last = mark.last
    if reading.day == last.day:
        # kWh from midnight to the start of each reading's hour.
        energy = (reading.daily - reading.within) - (last.daily - last.within)
        if energy < last.within - SLACK:
            return None  # less than the hour had seen: a reading not reset yet
        return max(0.0, energy)
    seen = last.timestamp - mark.hour
    if seen < MIN_SEEN_AT_MIDNIGHT:
        return None
    return last.within * HOUR / seen
