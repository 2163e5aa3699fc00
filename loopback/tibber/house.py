"""A deterministic electricity model of the simulated homes.

Everything is a pure function of (seed, home, minute): the grid import and
export of every minute of a local day, the hourly spot price, and from those
every value Tibber reports, live or as history. Tests ask the same model for
ground truth (`energy_between`), so no expected number is hard-coded.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

type Floats = npt.NDArray[np.float64]

METER_ORIGIN = date(2024, 1, 1)
"""Local day on which the simulated meter registers start counting."""
METER_BASE_CONSUMPTION = 12_345.0
METER_BASE_PRODUCTION = 1_234.0


@dataclass(frozen=True, slots=True)
class HomeSpec:
    """What distinguishes one simulated home from another."""

    id: str
    nickname: str | None
    address1: str
    postal_code: str
    city: str
    time_zone: str = "Europe/Stockholm"
    real_time: bool = True
    solar_peak_w: float = 0.0
    base_load_w: float = 350.0
    currency: str = "SEK"
    phases: int = 3
    registers: bool = True
    """The meter reports its registers (lastMeterConsumption/Production)."""

    @property
    def tz(self) -> ZoneInfo:
        """The home's time zone."""
        return ZoneInfo(self.time_zone)

    @property
    def name(self) -> str:
        """What Tibber's app calls the home: its nickname, else its street."""
        return self.nickname or self.address1


def _rng(seed: int, home_id: str, day: date, salt: str) -> np.random.Generator:
    digest = hashlib.sha256(f"{seed}|{home_id}|{day.isoformat()}|{salt}".encode())
    return np.random.default_rng(int.from_bytes(digest.digest()[:8], "big"))


@dataclass(frozen=True)
class Day:
    """One local day of a home, minute by minute (UTC minutes from local midnight)."""

    start: datetime
    consumption: Floats  # kWh per minute imported from the grid
    production: Floats  # kWh per minute exported to the grid
    price: Floats  # currency per kWh, constant within each hour
    cum_consumption: Floats = field(init=False)
    cum_production: Floats = field(init=False)
    cum_cost: Floats = field(init=False)
    cum_reward: Floats = field(init=False)

    def __post_init__(self) -> None:
        def cum(values: Floats) -> Floats:
            return np.concatenate(([0.0], np.cumsum(values)))

        object.__setattr__(self, "cum_consumption", cum(self.consumption))
        object.__setattr__(self, "cum_production", cum(self.production))
        object.__setattr__(self, "cum_cost", cum(self.consumption * self.price))
        object.__setattr__(self, "cum_reward", cum(self.production * self.price))

    @property
    def cost(self) -> Floats:
        """Currency spent per minute."""
        return self.consumption * self.price

    @property
    def reward(self) -> Floats:
        """Currency earned per minute."""
        return self.production * self.price

    @property
    def minutes(self) -> int:
        """1440, or 1380/1500 on the days daylight saving time starts/ends."""
        return len(self.consumption)

    def position(self, when: datetime) -> tuple[int, float]:
        """Minute index and elapsed fraction of that minute at `when`."""
        seconds = max(0.0, (when - self.start).total_seconds())
        minute = min(int(seconds // 60), self.minutes - 1)
        return minute, min(1.0, (seconds - minute * 60) / 60)

    def accumulated(self, cum: Floats, per_minute: Floats, when: datetime) -> float:
        """Integral of a per-minute series from local midnight to `when`."""
        minute, fraction = self.position(when)
        return float(cum[minute] + fraction * per_minute[minute])


@lru_cache(maxsize=4096)
def day(seed: int, home: HomeSpec, local_day: date) -> Day:
    """The minute series of one local day of `home`."""
    tz = home.tz
    start = datetime.combine(local_day, time(), tz).astimezone(UTC)
    end = datetime.combine(local_day + timedelta(days=1), time(), tz).astimezone(UTC)
    minutes = int((end - start).total_seconds() // 60)
    # Local clock hour of every UTC hour of the day (25 look-ups, not 1440).
    hour_starts = [start + timedelta(hours=h) for h in range(minutes // 60 + 1)]
    local_of_hour = np.array([t.astimezone(tz).hour for t in hour_starts], dtype=float)
    offsets = np.arange(minutes)
    local_hours = local_of_hour[offsets // 60] + (offsets % 60) / 60
    rng = _rng(seed, home.id, local_day, "load")
    load_w = (
        home.base_load_w
        + 1400 * np.exp(-(((local_hours - 7.5) / 1.2) ** 2))
        + 2200 * np.exp(-(((local_hours - 18.5) / 2.0) ** 2))
        + rng.gamma(2.0, 120.0, minutes)
    )
    # A few appliance runs a day (oven, sauna, car): blocks of 20-90 minutes.
    for _ in range(int(rng.integers(1, 4))):
        begin = int(rng.integers(0, minutes - 90))
        load_w[begin : begin + int(rng.integers(20, 90))] += rng.uniform(1500, 6000)
    sun = np.clip(np.sin((local_hours - 6.0) / 14.0 * np.pi), 0.0, None)
    season = 0.15 + 0.85 * max(
        0.0, float(np.cos((local_day.timetuple().tm_yday - 172) / 365 * 2 * np.pi))
    )
    sky = _rng(seed, home.id, local_day, "sky").uniform(0.3, 1.0)
    solar_w = home.solar_peak_w * season * sky * sun
    net_w = load_w - solar_w
    to_kwh = 1 / 60 / 1000
    hours = (np.arange(minutes) // 60).astype(int)
    price_rng = _rng(seed, home.id, local_day, "price")
    hourly_price = 0.45 + price_rng.uniform(0.0, 0.4, minutes // 60 + 1)
    peak = (local_hours >= 7) & (local_hours < 9) | (local_hours >= 17) & (
        local_hours < 20
    )
    price = np.round(hourly_price[hours] + 0.9 * peak, 4)
    return Day(
        start=start,
        consumption=np.clip(net_w, 0.0, None) * to_kwh,
        production=np.clip(-net_w, 0.0, None) * to_kwh,
        price=price,
    )


@lru_cache(maxsize=16384)
def day_totals(seed: int, home: HomeSpec, local_day: date) -> tuple[float, float]:
    """Consumption and production of a whole local day, kWh."""
    d = day(seed, home, local_day)
    return float(d.cum_consumption[-1]), float(d.cum_production[-1])


def meter_registers(seed: int, home: HomeSpec, when: datetime) -> tuple[float, float]:
    """The never-reset meter registers (consumption, production) at `when`, kWh."""
    local_day = when.astimezone(home.tz).date()
    consumption, production = METER_BASE_CONSUMPTION, METER_BASE_PRODUCTION
    step = 1 if local_day >= METER_ORIGIN else -1
    current = METER_ORIGIN if step == 1 else local_day
    stop = local_day if step == 1 else METER_ORIGIN
    while current < stop:
        c, p = day_totals(seed, home, current)
        consumption += step * c
        production += step * p
        current += timedelta(days=1)
    d = day(seed, home, local_day)
    consumption += d.accumulated(d.cum_consumption, d.consumption, when)
    production += d.accumulated(d.cum_production, d.production, when)
    return consumption, production


def _series(
    seed: int, home: HomeSpec, start: datetime, end: datetime, what: str
) -> float:
    total = 0.0
    local_day = start.astimezone(home.tz).date()
    while True:
        d = day(seed, home, local_day)
        day_end = d.start + timedelta(minutes=d.minutes)
        lo, hi = max(start, d.start), min(end, day_end)
        if lo < hi:
            per_minute = getattr(d, what)
            cum = getattr(d, f"cum_{what}")
            total += d.accumulated(cum, per_minute, hi) - d.accumulated(
                cum, per_minute, lo
            )
        if day_end >= end:
            return total
        local_day += timedelta(days=1)


def energy_between(
    seed: int, home: HomeSpec, start: datetime, end: datetime, what: str = "consumption"
) -> float:
    """Ground truth: kWh of `what` (consumption, production) in [start, end)."""
    if end <= start:
        return 0.0
    return _series(seed, home, start, end, what)


def cost_between(seed: int, home: HomeSpec, start: datetime, end: datetime) -> float:
    """Ground truth: cost of the consumption in [start, end)."""
    if end <= start:
        return 0.0
    return _series(seed, home, start, end, "cost")


def local_hour_start(home: HomeSpec, when: datetime) -> datetime:
    """Start of the local hour containing `when`, in UTC."""
    local = when.astimezone(home.tz)
    return local.replace(minute=0, second=0, microsecond=0).astimezone(UTC)


def live_measurement(
    seed: int,
    home: HomeSpec,
    when: datetime,
    *,
    correction: float = 0.0,
    phases: bool = True,
) -> dict[str, object]:
    """What a Pulse reports at `when`, in Tibber's field names.

    `correction` makes the accumulated values run ahead of the truth by that
    fraction of the current hour's consumption; Tibber corrects such drift at
    the next hour, so the reported daily value can step DOWN at an hour.
    """
    when = when.astimezone(UTC).replace(microsecond=0)  # a Pulse stamps whole seconds
    d = day(seed, home, when.astimezone(home.tz).date())
    minute, _ = d.position(when)
    hour_start = local_hour_start(home, when)
    this_hour = energy_between(seed, home, hour_start, when)
    drift = correction * this_hour
    consumption = d.accumulated(d.cum_consumption, d.consumption, when) + drift
    cost = d.accumulated(d.cum_cost, d.cost, when) + drift * float(d.price[minute])
    power = float(d.consumption[minute] * 60_000)
    production_w = float(d.production[minute] * 60_000)
    powers = d.consumption[: minute + 1] * 60_000
    hours = max((when - d.start).total_seconds() / 3600, 1 / 3600)
    meter_consumption, meter_production = meter_registers(seed, home, when)
    shares = (0.41, 0.33, 0.26)[: home.phases]
    wave = np.sin(when.timestamp() / 600.0)
    values: dict[str, object] = {
        "timestamp": when.astimezone(home.tz).isoformat(timespec="milliseconds"),
        "power": round(power, 1),
        "powerProduction": round(production_w, 1),
        "powerReactive": round(power * 0.12, 1),
        "powerFactor": round(float(0.93 + 0.05 * wave), 3),
        "currency": home.currency,
        "signalStrength": 82,
        "accumulatedConsumption": round(consumption, 6),
        "accumulatedProduction": round(
            d.accumulated(d.cum_production, d.production, when), 6
        ),
        "accumulatedCost": round(cost, 6),
        "accumulatedReward": round(d.accumulated(d.cum_reward, d.reward, when), 6),
        "minPower": round(float(powers.min()), 1),
        "averagePower": round(consumption / hours * 1000, 1),
        "maxPower": round(float(powers.max()), 1),
        "accumulatedConsumptionLastHour": round(this_hour + drift, 6),
        "accumulatedProductionLastHour": round(
            energy_between(seed, home, hour_start, when, "production"), 6
        ),
        "lastMeterConsumption": round(meter_consumption, 4) if home.registers else None,
        "lastMeterProduction": round(meter_production, 4) if home.registers else None,
    }
    for phase in range(1, 4):
        present = phases and phase <= len(shares)
        share = shares[phase - 1] if present else 0.0
        values[f"currentL{phase}"] = (
            round(power * share / 230.0, 2) if present else None
        )
        values[f"voltagePhase{phase}"] = (
            round(230.0 + 2.5 * float(wave) - 0.7 * phase, 1) if present else None
        )
    return values


def history(
    seed: int, home: HomeSpec, kind: str, start: datetime, end: datetime
) -> list[dict[str, object]]:
    """Hourly `kind` (consumption, production) nodes of whole hours in [start, end)."""
    nodes: list[dict[str, object]] = []
    hour = local_hour_start(home, start)
    if hour < start:
        hour += timedelta(hours=1)
    while hour + timedelta(hours=1) <= end:
        nxt = hour + timedelta(hours=1)
        d = day(seed, home, hour.astimezone(home.tz).date())
        price = float(d.price[d.position(hour)[0]])
        energy = energy_between(seed, home, hour, nxt, kind)
        money = "cost" if kind == "consumption" else "profit"
        nodes.append(
            {
                "from": hour.astimezone(home.tz).isoformat(timespec="milliseconds"),
                "to": nxt.astimezone(home.tz).isoformat(timespec="milliseconds"),
                kind: round(energy, 6),
                money: round(energy * price, 6),
                "unitPrice": price,
                "unitPriceVAT": round(price * 0.2, 4),
                f"{kind}Unit": "kWh",
                "currency": home.currency,
            }
        )
        hour = nxt
    return nodes
