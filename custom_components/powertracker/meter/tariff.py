"""Capacity tariffs: the part of the grid fee billed on a home's peak demand.

One model, `TariffRule`; every operator's rule is a parameter set of it
(`PRESETS`), never a code path of its own. From stored data (hourly kWh rows,
or quarter-hours from five-minute samples) and the home's time zone, the
engine tells for a month:

- the billed value so far, from completed periods only, with the counted
  peaks (`Capacity.peaks`: local ISO start, weighted kW, highest first);
- the fee: a price per kW and month, or the bracket (step) the value falls
  in, whose yearly fee is paid a twelfth a month;
- per poll (`Capacity.running`): the running period's average and its
  projection, and the headroom: the average power the rest of the running
  period may still draw without raising the billed value.

Definitions (../shared/docs/capacity-tariffs.md):

- A period is a clock hour or quarter-hour; its power is its energy over
  its length (kWh / 1 h, kWh / 0.25 h). It belongs to the local day, hour,
  weekday and month of its start, so a DST day has 23 or 25 hours (92 or 100
  quarters), and the month turns at local midnight of the 1st.
- A weight (Ellevio's half at night) applies to the period's value before
  ranking; a period outside the window does not count at all.
- "N highest, each on a different day" ranks each day's highest period.
- The month's value is the mean of its counted periods (of those there are
  so far, when fewer than N), at least the minimum; a month with no data is
  0 or the minimum. With 12 months averaged, the billed value is the mean of
  this month's value and those of the 11 before it that have data.

Presets and their sources (checked late 2026; operators revise their
numbers yearly, so every number is data the user can change):

- `ellevio`: the mean of the 3 highest hourly averages of the month, each on
  a different day, hours 22:00-06:00 at half weight, all year. Ellevio's
  price list, https://www.ellevio.se/privat/om-din-el/forsta-din-elkostnad/vara-abonnemang-och-priser/
  and the regulator's consumer forum, https://konsumentforum.ei.se/org/energimarknadsinspektionen/d/effektavgift-ellevio-dozq
- `goteborg_energi`: the mean of the 3 highest hours of the month on 3
  different days, all hours. https://www.goteborgenergi.se/privat/elnat/elnatsavgiften
- `norway` (kapasitetsledd, every Norwegian DSO since 2022): the mean of the
  3 highest hourly peaks of the month, each on a different day; the fee is
  the step that mean falls in (a value on a step's lower bound is in that
  step). Default steps: Elvia's from 2026-07-01, NOK per year excl. taxes,
  https://www.elvia.no/nettleie/alt-om-nettleiepriser/ as collected in
  kraftsystemet/fri-nettleie `tariffer/elvia.yml` (CC-BY-4.0).
- `flanders` (capaciteitstarief): a month's peak is its highest quarter-hour
  (kWh in 15 minutes x 4), at least 2.5 kW; the bill uses the mean of the
  last 12 month peaks. https://www.fluvius.be/nl/veelgestelde-vragen/capaciteitstarief-gezinnen-kleine-ondernemingen
  and https://www.vreg.be/nl/faq/capaciteitstarief
- `custom`: the same model with the user's parameters (for instance
  Sala-Heby Energi's 3 highest hours, not one per day, weekdays 07-19,
  https://www.seom.se/el/elnat/priser-och-villkor/).

Public holidays ("helgfri vardag") are not part of the window yet: a window
of weekdays counts a holiday that falls on one.

Pure Python (no numpy, no Home Assistant): a month is ~750 hours or ~3000
quarters, and scripts/bench times a year of two homes. Quarter-hours from
the meter's samples come from `readings.meter_rows` (numpy), the function
that makes the export's five-minute rows.
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any, Final, Literal, cast

type Basis = Literal["hour", "quarter"]
type Row = tuple[datetime | float, float]
"""(start: an aware datetime or UTC seconds, kWh)."""

PERIOD_SECONDS: Final[Mapping[str, int]] = {"hour": 3600, "quarter": 900}
ALL_WEEKDAYS: Final = frozenset(range(7))
"""0 is Monday, as `date.weekday`."""
ALL_HOURS: Final = frozenset(range(24))
ALL_MONTHS: Final = frozenset(range(1, 13))
MAX_PEAKS: Final = 10
MONTHS_AVERAGED: Final = (1, 12)

# Error codes (translation keys of the options flow's errors).
PEAKS_OUT_OF_RANGE: Final = "peaks_out_of_range"
BASIS_INVALID: Final = "basis_invalid"
WINDOW_EMPTY: Final = "window_empty"
WINDOW_INVALID: Final = "window_invalid"
WEIGHT_OUT_OF_RANGE: Final = "weight_out_of_range"
MONTHS_AVERAGED_INVALID: Final = "months_averaged_invalid"
MINIMUM_INVALID: Final = "minimum_invalid"
PRICE_INVALID: Final = "price_invalid"
BRACKETS_INVALID: Final = "brackets_invalid"
PRICE_AND_BRACKETS: Final = "price_and_brackets"
TARIFF_INVALID: Final = "tariff_invalid"
VALUE_INVALID: Final = "value_invalid"


class TariffError(ValueError):
    """A rule that cannot be: `code` is the translation key, `field` the field."""

    def __init__(self, field: str, code: str) -> None:
        super().__init__(f"{field}: {code}")
        self.field = field
        self.code = code


@dataclass(frozen=True, slots=True)
class Bracket:
    """A step of a stepped fee: from `from_kw` (included) up to the next step."""

    from_kw: float
    fee_per_year: float


@dataclass(frozen=True, slots=True)
class TariffRule:
    """One capacity tariff: which periods count, how, and what a kW costs."""

    peaks: int = 3
    """How many periods the month's value averages (1-10)."""
    one_per_day: bool = True
    """At most one counted period per local day (the day's highest)."""
    basis: Basis = "hour"
    weekdays: frozenset[int] = ALL_WEEKDAYS
    """The window: local weekdays (0 Monday), hours and months that count."""
    hours: frozenset[int] = ALL_HOURS
    months: frozenset[int] = ALL_MONTHS
    weight: float = 1.0
    """The factor (0-1) a period starting in `weighted_hours` counts with."""
    weighted_hours: frozenset[int] = frozenset()
    months_averaged: int = 1
    """1, or 12: the bill uses the mean of the last 12 month values."""
    minimum_kw: float = 0.0
    """A month's value is at least this."""
    price_per_kw_month: float | None = None
    brackets: tuple[Bracket, ...] = ()
    """Steps by `from_kw`, ascending from 0, with fees per year."""

    @property
    def seconds(self) -> int:
        """The period's length in seconds."""
        return PERIOD_SECONDS[self.basis]

    def weight_at(self, hour: int, weekday: int, month: int) -> float:
        """What a period starting at that local hour counts with (0: not at all)."""
        if hour not in self.hours or weekday not in self.weekdays:
            return 0.0
        if month not in self.months:
            return 0.0
        return self.weight if hour in self.weighted_hours else 1.0

    def fee(self, kw: float) -> float | None:
        """The month's fee for a billed value; None without a price or steps."""
        if self.brackets:
            step = self.brackets[0]
            for bracket in self.brackets:
                if kw >= bracket.from_kw:
                    step = bracket
            return step.fee_per_year / 12
        if self.price_per_kw_month is not None:
            return kw * self.price_per_kw_month
        return None

    def errors(self) -> dict[str, str]:
        """Field -> error code (translation key) of every field that cannot be."""
        found: dict[str, str] = {}
        if not 1 <= self.peaks <= MAX_PEAKS:
            found["peaks"] = PEAKS_OUT_OF_RANGE
        if self.basis not in PERIOD_SECONDS:
            found["basis"] = BASIS_INVALID
        for name, allowed in (
            ("weekdays", ALL_WEEKDAYS),
            ("hours", ALL_HOURS),
            ("months", ALL_MONTHS),
        ):
            chosen = getattr(self, name)
            if not chosen:
                found[name] = WINDOW_EMPTY
            elif not chosen <= allowed:
                found[name] = WINDOW_INVALID
        if not self.weighted_hours <= ALL_HOURS:
            found["weighted_hours"] = WINDOW_INVALID
        if not (math.isfinite(self.weight) and 0.0 <= self.weight <= 1.0):
            found["weight"] = WEIGHT_OUT_OF_RANGE
        if self.months_averaged not in MONTHS_AVERAGED:
            found["months_averaged"] = MONTHS_AVERAGED_INVALID
        if not (math.isfinite(self.minimum_kw) and self.minimum_kw >= 0.0):
            found["minimum_kw"] = MINIMUM_INVALID
        price = self.price_per_kw_month
        if price is not None and not (math.isfinite(price) and price >= 0.0):
            found["price_per_kw_month"] = PRICE_INVALID
        if self.brackets and not _brackets_ok(self.brackets):
            found["brackets"] = BRACKETS_INVALID
        if price is not None and self.brackets:
            found.setdefault("price_per_kw_month", PRICE_AND_BRACKETS)
        return found

    def check(self) -> TariffRule:
        """The rule itself, or TariffError for its first error."""
        for field_name, code in self.errors().items():
            raise TariffError(field_name, code)
        return self

    def as_dict(self) -> dict[str, Any]:
        """JSON-safe, as the options store it (`from_dict` reads it back)."""
        return {
            "peaks": self.peaks,
            "one_per_day": self.one_per_day,
            "basis": self.basis,
            "weekdays": sorted(self.weekdays),
            "hours": sorted(self.hours),
            "months": sorted(self.months),
            "weight": self.weight,
            "weighted_hours": sorted(self.weighted_hours),
            "months_averaged": self.months_averaged,
            "minimum_kw": self.minimum_kw,
            "price_per_kw_month": self.price_per_kw_month,
            "brackets": [[each.from_kw, each.fee_per_year] for each in self.brackets],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TariffRule:
        """A checked rule from `as_dict`'s form (missing keys: the defaults);
        TariffError for a value of the wrong kind or a rule that cannot be."""
        rule = cls()
        changes: dict[str, Any] = {}
        for name, value in data.items():
            if name not in _FIELDS:
                continue
            try:
                changes[name] = _FIELDS[name](value)
            except (TypeError, ValueError) as err:
                code = _CODES.get(name, VALUE_INVALID)
                raise TariffError(name, code) from err
        return replace(rule, **changes).check()


def _brackets_ok(brackets: tuple[Bracket, ...]) -> bool:
    """From 0 kW, strictly ascending, finite, fees not negative."""
    if brackets[0].from_kw != 0.0:
        return False
    for lower, upper in itertools.pairwise(brackets):
        if not upper.from_kw > lower.from_kw:
            return False
    return all(
        math.isfinite(each.from_kw)
        and math.isfinite(each.fee_per_year)
        and each.fee_per_year >= 0.0
        for each in brackets
    )


def _ints(value: Any) -> frozenset[int]:
    values = list(value)
    if not all(isinstance(each, int) and not isinstance(each, bool) for each in values):
        raise TypeError("not whole numbers")
    return frozenset(values)


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError("not a number")
    return float(value)


def _whole(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError("not a whole number")
    return value


def _basis(value: Any) -> Basis:
    if value not in PERIOD_SECONDS:
        raise ValueError(value)
    return cast("Basis", value)


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError("not a flag")
    return value


def _price(value: Any) -> float | None:
    return None if value is None else _number(value)


def _bracket_list(value: Any) -> tuple[Bracket, ...]:
    return tuple(Bracket(_number(low), _number(fee)) for low, fee in value)


_FIELDS: Final[Mapping[str, Any]] = {
    "peaks": _whole,
    "one_per_day": _flag,
    "basis": _basis,
    "weekdays": _ints,
    "hours": _ints,
    "months": _ints,
    "weight": _number,
    "weighted_hours": _ints,
    "months_averaged": _whole,
    "minimum_kw": _number,
    "price_per_kw_month": _price,
    "brackets": _bracket_list,
}
_CODES: Final[Mapping[str, str]] = {
    "peaks": PEAKS_OUT_OF_RANGE,
    "basis": BASIS_INVALID,
    "weekdays": WINDOW_INVALID,
    "hours": WINDOW_INVALID,
    "months": WINDOW_INVALID,
    "weighted_hours": WINDOW_INVALID,
    "weight": WEIGHT_OUT_OF_RANGE,
    "months_averaged": MONTHS_AVERAGED_INVALID,
    "minimum_kw": MINIMUM_INVALID,
    "price_per_kw_month": PRICE_INVALID,
    "brackets": BRACKETS_INVALID,
}


def parse_brackets(text: str) -> tuple[Bracket, ...]:
    """Steps from text such as "0: 1440, 2: 2400, 5: 4032" (kW: fee per year;
    separated by commas, semicolons or lines); TariffError `brackets_invalid`."""
    brackets = []
    for part in text.replace(";", ",").replace("\n", ",").split(","):
        if not part.strip():
            continue
        low, colon, fee = part.partition(":")
        try:
            if not colon:
                raise ValueError(part)  # noqa: TRY301 - one error for every bad part
            brackets.append(Bracket(float(low), float(fee)))
        except ValueError as err:
            raise TariffError("brackets", BRACKETS_INVALID) from err
    found = tuple(brackets)
    if not found or not _brackets_ok(found):
        raise TariffError("brackets", BRACKETS_INVALID)
    return found


def format_brackets(brackets: Iterable[Bracket]) -> str:
    """The text `parse_brackets` reads."""
    return ", ".join(f"{each.from_kw:g}: {each.fee_per_year:g}" for each in brackets)


ELVIA_2026_07: Final = (
    Bracket(0, 1440),
    Bracket(2, 2400),
    Bracket(5, 4032),
    Bracket(10, 5616),
    Bracket(15, 7248),
    Bracket(20, 8880),
    Bracket(25, 16896),
    Bracket(50, 24960),
    Bracket(75, 33024),
    Bracket(100, 65280),
)
"""Elvia's kapasitetsledd steps from 2026-07-01, NOK per year excl. taxes."""
NIGHT: Final = frozenset({22, 23, 0, 1, 2, 3, 4, 5})
"""Local hours 22:00-06:00."""

PRESETS: Final[Mapping[str, TariffRule]] = {
    "ellevio": TariffRule(weight=0.5, weighted_hours=NIGHT),
    "goteborg_energi": TariffRule(),
    "norway": TariffRule(brackets=ELVIA_2026_07),
    "flanders": TariffRule(
        peaks=1, one_per_day=False, basis="quarter", months_averaged=12, minimum_kw=2.5
    ),
}
"""The operators' rules (sources in the module's docstring)."""
NONE: Final = "none"
CUSTOM: Final = "custom"
TARIFFS: Final = (NONE, *PRESETS, CUSTOM)
"""A home's choices, the first the default."""


def rule_for(
    tariff: str,
    custom: Mapping[str, Any] | None = None,
    *,
    price_per_kw_month: float | None = None,
    brackets: tuple[Bracket, ...] | None = None,
) -> TariffRule | None:
    """The rule of a home's choice: None for `none`, the custom parameters for
    `custom`, else the preset with the user's price or steps (which replace
    the preset's); TariffError for a choice or parameters that cannot be."""
    if tariff == NONE:
        return None
    if tariff == CUSTOM:
        return TariffRule.from_dict(custom or {})
    if tariff not in PRESETS:
        raise TariffError("tariff", TARIFF_INVALID)
    rule = PRESETS[tariff]
    if brackets is not None:
        rule = replace(rule, brackets=brackets, price_per_kw_month=None)
    if price_per_kw_month is not None:
        rule = replace(rule, price_per_kw_month=price_per_kw_month, brackets=())
    return rule.check()


# ------------------------------------------------------------------ the engine


@dataclass(frozen=True, slots=True)
class Peak:
    """A counted period: its local start (ISO 8601, with the offset) and its
    weighted average power."""

    start: str
    kw: float


@dataclass(frozen=True, slots=True)
class MonthValue:
    """One month's value ("2026-11") as the billed value averages it."""

    month: str
    kw: float


@dataclass(frozen=True, slots=True)
class Running:
    """The running period at one poll."""

    start: datetime
    end: datetime
    average_kw: float
    """Its energy so far over the time elapsed (unweighted)."""
    projected_kw: float | None
    """Its average at the end if the current power holds (unweighted)."""
    weight: float
    """What it counts with: 0 outside the window."""
    headroom_kw: float | None
    """The average power the rest of it may draw without raising the billed
    value; None when it does not count (no limit)."""


type _Entry = tuple[float, float, int]
"""(weighted kW, UTC start, local day ordinal) of a period that counts."""


@dataclass(frozen=True)
class Capacity:
    """A month of a home under a rule, from completed periods."""

    rule: TariffRule
    tz: tzinfo
    month: date
    """The first of the month."""
    billed_kw: float
    """What the bill uses so far: this month's value, or with 12 months
    averaged the mean of the month values in `months`."""
    month_kw: float
    """This month's value (at least the minimum)."""
    peaks: tuple[Peak, ...]
    months: tuple[MonthValue, ...]
    """The month values the billed value averages, oldest first."""
    fee: float | None
    entries: tuple[_Entry, ...]
    """What the headroom ranks against: every day's highest (one per day), or
    the N highest periods; highest first."""
    count: int
    """Periods (days, one per day) of the month that count so far."""

    def running(
        self, now: datetime, energy_kwh: float, power_kw: float | None = None
    ) -> Running:
        """The running period at `now` (in this month), having drawn
        `energy_kwh` since its start, at `power_kw` now."""
        size = self.rule.seconds
        moment = now.timestamp()
        start = moment - moment % size
        day, hour, weekday, key, *_ = _locate(start, self.tz)
        if key != _key(self.month):
            raise ValueError(f"{now} is not in {self.month:%Y-%m}")
        elapsed = (moment - start) / 3600
        remaining = (start + size - moment) / 3600
        length = size / 3600
        weight = self.rule.weight_at(hour, weekday, key % 12 + 1)
        headroom = None
        if weight > 0.0:
            limit = self._threshold(day) * length / weight
            headroom = max(0.0, (limit - energy_kwh) / remaining)
        return Running(
            start=datetime.fromtimestamp(start, self.tz),
            end=datetime.fromtimestamp(start + size, self.tz),
            average_kw=energy_kwh / elapsed if elapsed > 0 else 0.0,
            projected_kw=(
                None
                if power_kw is None
                else (energy_kwh + power_kw * remaining) / length
            ),
            weight=weight,
            headroom_kw=headroom,
        )

    def _threshold(self, day: int) -> float:
        """The highest weighted kW a new period of local `day` may reach
        without raising the month's value.

        With the period at v, the month's value is the mean of the top n of
        the others and v (n = N, or all there are when fewer), at least the
        minimum; the others are the other days' highest (one per day; the
        day's own highest so far is a floor under v) or every period. The
        mean reaches the present value where v = n x value - the top n-1.
        """
        others = [
            kw
            for kw, _start, entry_day in self.entries
            if not (self.rule.one_per_day and entry_day == day)
        ]
        count = self.count - (len(self.entries) - len(others)) + 1
        n = min(self.rule.peaks, count)
        threshold = n * self.month_kw - sum(others[: n - 1])
        floor = max(
            (kw for kw, _start, entry_day in self.entries if entry_day == day),
            default=0.0,
        )
        if self.rule.one_per_day:
            threshold = max(threshold, floor)
        return max(threshold, 0.0)

    def as_dict(self) -> dict[str, Any]:
        """JSON-safe: what an action answers."""
        return {
            "month": f"{self.month:%Y-%m}",
            "billed_kw": self.billed_kw,
            "month_kw": self.month_kw,
            "peaks": [{"start": peak.start, "kw": peak.kw} for peak in self.peaks],
            "months": [{"month": each.month, "kw": each.kw} for each in self.months],
            "fee": self.fee,
            "rule": self.rule.as_dict(),
        }


def month_of(now: datetime, tz: tzinfo) -> date:
    """The first of the local month of `now`."""
    return now.astimezone(tz).date().replace(day=1)


def capacity(
    rule: TariffRule, tz: tzinfo, month: date, rows: Iterable[Row], now: datetime
) -> Capacity:
    """The month of `month` (any day of it) at `now`, from `rows`: (start,
    kWh) on the rule's basis or finer (hourly rows for hours; five-minute
    rows or `readings.meter_rows` for quarters), covering the month and, with
    12 months averaged, the 11 before it. Rows outside, periods not completed at `now`
    and energy that is NaN are left out."""
    key = _key(month)
    lo = _midnight(_first(key - rule.months_averaged + 1), tz)
    hi = min(_midnight(_first(key + 1), tz), now.timestamp())
    tally = _Tally(rule, tz, rows, lo, hi)
    return tally.capacity(key)


def capacities(
    rule: TariffRule, tz: tzinfo, rows: Iterable[Row], now: datetime
) -> list[Capacity]:
    """Every month the rows reach (with data up to `now`), oldest first: a
    year's peaks in one pass; a month's 12-month mean uses the months before
    it that are among the rows."""
    tally = _Tally(rule, tz, rows, -math.inf, now.timestamp())
    return [tally.capacity(key) for key in sorted(tally.data_months)]


def _key(month: date) -> int:
    return month.year * 12 + month.month - 1


def _first(key: int) -> date:
    return date(key // 12, key % 12 + 1, 1)


def _midnight(day: date, tz: tzinfo) -> float:
    return datetime.combine(day, time(), tz).timestamp()


def _seconds(when: datetime | float) -> float:
    """UTC seconds of an aware datetime or a number of seconds."""
    return when.timestamp() if isinstance(when, datetime) else float(when)


type _Day = tuple[int, int, int, int, float, float, bool]
"""(day ordinal, hour, weekday, month key, the day's UTC start and end, whether
its hours are 3600 s apart from its start)."""


def _locate(moment: float, tz: tzinfo) -> _Day:
    """The local day of a UTC instant, and its hour."""
    local = datetime.fromtimestamp(moment, tz)
    today = local.date()
    lo = _midnight(today, tz)
    hi = _midnight(today + timedelta(days=1), tz)
    regular = hi - lo == 86400.0 and lo <= moment < hi  # no DST change that day
    return today.toordinal(), local.hour, today.weekday(), _key(today), lo, hi, regular


def _periods(
    rows: Iterable[Row], size: int, lo: float, hi: float
) -> list[tuple[float, float]]:
    """(start, kWh) of the periods of `size` in [lo, hi) the rows fill, in
    time order; NaN energy is left out."""
    rows = rows if isinstance(rows, list | tuple) else list(rows)
    found: list[tuple[float, float]] = []
    append = found.append
    current, total = -math.inf, 0.0
    for when, kwh in rows:
        moment = when if type(when) is float else _seconds(when)
        slot = moment - moment % size
        if slot < lo or slot + size > hi or kwh != kwh:  # noqa: PLR0124 - NaN
            continue
        if slot == current:
            total += kwh
        elif slot > current:
            if current > -math.inf:
                append((current, total))
            current, total = slot, kwh
        else:
            return _summed(rows, size, lo, hi)
    if current > -math.inf:
        append((current, total))
    return found


def _summed(
    rows: list[Row] | tuple[Row, ...], size: int, lo: float, hi: float
) -> list[tuple[float, float]]:
    """`_periods` of rows not in time order: summed by period, then sorted."""
    sums: dict[float, float] = {}
    for when, kwh in rows:
        moment = _seconds(when)
        slot = moment - moment % size
        if lo <= slot and slot + size <= hi and not math.isnan(kwh):
            sums[slot] = sums.get(slot, 0.0) + kwh
    return sorted(sums.items())


class _Tally:
    """One pass over the periods of [lo, hi): what counts, by month."""

    def __init__(
        self, rule: TariffRule, tz: tzinfo, rows: Iterable[Row], lo: float, hi: float
    ) -> None:
        self.rule, self.tz = rule, tz
        self.data_months: set[int] = set()
        self.best: dict[int, tuple[float, float, int]] = {}
        """One per day: each day's highest (kW, start, month)."""
        self.tops: dict[int, list[tuple[float, float, int]]] = {}
        """Else: per month the N highest as (-kW, start, day), ascending."""
        self.counts: dict[int, int] = {}
        peaks, per_day = rule.peaks, rule.one_per_day
        weekdays, months = rule.weekdays, rule.months
        hours, weighted, weight = rule.hours, rule.weighted_hours, rule.weight
        per_kwh = 3600 / rule.seconds
        best, tops, counts = self.best, self.tops, self.counts
        start = end = -math.inf
        regular = counts_today = False
        day = month = 0
        top: list[tuple[float, float, int]] = []
        for slot, kwh in _periods(rows, rule.seconds, lo, hi):
            if start <= slot < end and regular:
                hour = int((slot - start) // 3600)
            else:
                day, hour, weekday, month, start, end, regular = _locate(slot, tz)
                self.data_months.add(month)
                counts_today = weekday in weekdays and month % 12 + 1 in months
                top = tops.setdefault(month, [])
            if not counts_today or hour not in hours:
                continue
            kw = kwh * per_kwh
            if hour in weighted:
                kw *= weight
            if per_day:
                known = best.get(day)
                if known is None or kw > known[0]:
                    best[day] = (kw, slot, month)
                continue
            counts[month] = counts.get(month, 0) + 1
            if len(top) < peaks or -kw < top[-1][0]:
                bisect.insort(top, (-kw, slot, day))
                if len(top) > peaks:
                    top.pop()
        self.days: dict[int, list[_Entry]] = {}
        for day, (kw, slot, month) in best.items():
            self.days.setdefault(month, []).append((kw, slot, day))
        for entries in self.days.values():
            entries.sort(key=_rank)

    def entries(self, key: int) -> tuple[list[_Entry], int]:
        """A month's ranked entries (every day's highest, or the N highest
        periods), highest first, and how many periods (days) count."""
        if self.rule.one_per_day:
            days = self.days.get(key, [])
            return days, len(days)
        top = [(-minus, slot, day) for minus, slot, day in self.tops.get(key, [])]
        return top, self.counts.get(key, 0)

    def value(self, key: int) -> float:
        """A month's value: the mean of its counted periods, at least the minimum."""
        counted = self.entries(key)[0][: self.rule.peaks]
        mean = sum(kw for kw, _start, _day in counted) / len(counted) if counted else 0
        return max(mean, self.rule.minimum_kw)

    def capacity(self, key: int) -> Capacity:
        """The month `key` as far as the rows tell."""
        rule = self.rule
        entries, count = self.entries(key)
        earlier = range(key - rule.months_averaged + 1, key)
        averaged = [*(m for m in earlier if m in self.data_months), key]
        months = tuple(
            MonthValue(f"{_first(m):%Y-%m}", self.value(m)) for m in averaged
        )
        billed = sum(each.kw for each in months) / len(months)
        return Capacity(
            rule=rule,
            tz=self.tz,
            month=_first(key),
            billed_kw=billed,
            month_kw=self.value(key),
            peaks=tuple(
                Peak(datetime.fromtimestamp(start, self.tz).isoformat(), kw)
                for kw, start, _day in entries[: rule.peaks]
            ),
            months=months,
            fee=rule.fee(billed),
            entries=tuple(entries),
            count=count,
        )


def _rank(entry: _Entry) -> tuple[float, float]:
    """Highest first; of equals, the earliest."""
    return -entry[0], entry[1]
