"""Capacity tariffs (pure): every preset against a computation written here
over months of the loopback simulator's ground truth (`loopback.tibber.house`).

The expected values come from the simulator's minute series, summed to clock
periods with plain datetimes and ranked here; the engine gets the same
energy as the recorder holds it (hourly rows) or as the archive holds it
(meter readings every five minutes).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, tzinfo
from functools import cache
from typing import Any

import numpy as np
import pytest

from custom_components.powertracker.meter import readings as meter, tariff
from custom_components.powertracker.meter.tariff import (
    PRESETS,
    Bracket,
    Capacity,
    TariffError,
    TariffRule,
    capacities,
    capacity,
    month_of,
)
from loopback.tibber import house
from loopback.tibber.server import HOMES

SEED = 1
NOW = datetime(2026, 11, 28, 12, 34, 56, tzinfo=UTC)
"""The tests' clock (as tests/conftest.py's SIM_NOW)."""
NOVEMBER = date(2026, 11, 1)
VILLA, CABIN = HOMES
BRUSSELS = replace(VILLA, id="0b3a8c1e-brussels", time_zone="Europe/Brussels")

type Period = tuple[datetime, float]
"""(UTC start, kWh)."""


@cache
def periods(
    home: house.HomeSpec, first: date, last: date, minutes: int
) -> list[Period]:
    """Every clock period of `minutes` of the local days [first, last), from
    the simulator's minute series (a local day starts on a UTC hour here)."""
    found: list[Period] = []
    day = first
    while day < last:
        series = house.day(SEED, home, day)
        sums = series.consumption.reshape(-1, minutes).sum(axis=1)
        found += [
            (series.start + timedelta(minutes=minutes * index), float(kwh))
            for index, kwh in enumerate(sums)
        ]
        day += timedelta(days=1)
    return found


@cache
def readings(
    home: house.HomeSpec, first: date, last: date, offset: int = 0
) -> list[tuple[float, float]]:
    """The archive's samples: the meter total every five minutes, `offset`
    seconds in, over the local days [first, last) (and one sample after)."""
    found: list[tuple[float, float]] = []
    total = 10_000.0
    day = first
    while day < last:
        series = house.day(SEED, home, day)
        base = series.start.timestamp()
        for minute in range(0, series.minutes, 5):
            at = base + 60 * minute + offset
            index, fraction = divmod(60 * minute + offset, 60)
            value = series.cum_consumption[index] + fraction / 60 * float(
                series.consumption[index]
            )
            found.append((at, total + float(value)))
        total += float(series.cum_consumption[-1])
        day += timedelta(days=1)
    found.append((found[-1][0] + 300, total))
    return found


def meter_rows(samples: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """The quarter-hours of the samples, as the tracker makes them from the
    archive (`meter/readings.py`), as (UTC start, kWh)."""
    time, total = np.array(samples).T
    start, kwh = meter.meter_rows(time, total, 900)
    return list(zip(start.tolist(), kwh.tolist(), strict=True))


def expected(
    data: list[Period],
    tz: tzinfo,
    *,
    minutes: int = 60,
    peaks: int = 3,
    per_day: bool = True,
    weight: Callable[[datetime], float] = lambda local: 1.0,
    minimum: float = 0.0,
    until: datetime = NOW,
) -> tuple[float, list[tuple[str, float]]]:
    """A month's value and its counted periods, the long way: local time of
    each completed period, its weighted kW, each day's highest, the top."""
    values = []
    for start, kwh in data:
        if start + timedelta(minutes=minutes) > until:
            continue
        local = start.astimezone(tz)
        if weight(local) > 0:  # 0: outside the window
            values.append((local, kwh * 60 / minutes * weight(local)))
    if per_day:
        best: dict[date, tuple[datetime, float]] = {}
        for local, kw in values:
            if local.date() not in best or kw > best[local.date()][1]:
                best[local.date()] = (local, kw)
        values = list(best.values())
    top = sorted(values, key=lambda value: -value[1])[:peaks]
    mean = sum(kw for _, kw in top) / len(top) if top else 0.0
    return max(mean, minimum), [(local.isoformat(), kw) for local, kw in top]


def night_half(local: datetime) -> float:
    """Ellevio: hours from 22:00 to 06:00 count at half."""
    return 0.5 if local.hour >= 22 or local.hour < 6 else 1.0


ELVIA = [
    (0, 1440),
    (2, 2400),
    (5, 4032),
    (10, 5616),
    (15, 7248),
    (20, 8880),
    (25, 16896),
    (50, 24960),
    (75, 33024),
    (100, 65280),
]
"""Elvia's steps from 2026-07-01 (kW from, NOK per year)."""


def elvia_month_fee(kw: float) -> float:
    """The step `kw` is in (a value on a bound is in the higher step), a
    twelfth of its yearly fee."""
    return [fee for low, fee in ELVIA if kw >= low][-1] / 12


def hourly(home: house.HomeSpec) -> list[Period]:
    """November up to and including the tests' day (hours after NOW too:
    the engine must leave out what is not completed)."""
    return periods(home, NOVEMBER, date(2026, 11, 29), 60)


def assert_peaks(result: Capacity, wanted: list[tuple[str, float]]) -> None:
    assert [peak.start for peak in result.peaks] == [start for start, _ in wanted]
    assert [peak.kw for peak in result.peaks] == pytest.approx([kw for _, kw in wanted])


# ------------------------------------------------------------------ presets


@pytest.mark.parametrize("home", HOMES, ids=["villa", "cabin"])
@pytest.mark.parametrize(
    ("preset", "weight"),
    [("ellevio", night_half), ("goteborg_energi", lambda local: 1.0)],
)
def test_swedish_presets_are_three_days_highest_hours(
    home: house.HomeSpec, preset: str, weight: Callable[[datetime], float]
) -> None:
    result = capacity(PRESETS[preset], home.tz, NOVEMBER, hourly(home), NOW)
    value, wanted = expected(hourly(home), home.tz, weight=weight)
    assert result.billed_kw == pytest.approx(value)
    assert result.month_kw == pytest.approx(value)
    assert_peaks(result, wanted)
    assert len({peak.start[:10] for peak in result.peaks}) == 3
    assert result.fee is None  # no price set


def test_ellevio_weighs_the_night_before_ranking() -> None:
    """Unweighted, the villa's month has a night hour among its peaks; at
    half weight it drops out, and Ellevio counts a lower day instead."""
    tz = VILLA.tz
    _, unweighted = expected(hourly(VILLA), tz)
    assert any(night_half(datetime.fromisoformat(s)) < 1 for s, _ in unweighted)
    result = capacity(PRESETS["ellevio"], tz, NOVEMBER, hourly(VILLA), NOW)
    assert all(
        night_half(datetime.fromisoformat(peak.start)) == 1 for peak in result.peaks
    )
    assert result.billed_kw < sum(kw for _, kw in unweighted) / 3


@pytest.mark.parametrize("home", HOMES, ids=["villa", "cabin"])
def test_norway_bills_the_step_of_the_three_days_mean(home: house.HomeSpec) -> None:
    result = capacity(PRESETS["norway"], home.tz, NOVEMBER, hourly(home), NOW)
    value, wanted = expected(hourly(home), home.tz)
    assert result.billed_kw == pytest.approx(value)
    assert_peaks(result, wanted)
    assert result.fee == pytest.approx(elvia_month_fee(value))


@pytest.mark.parametrize("kw", [0.0, 1.99, 2.0, 4.99, 5.0, 99.9, 100.0, 250.0])
def test_norway_steps_take_a_bound_into_the_higher_step(kw: float) -> None:
    assert PRESETS["norway"].fee(kw) == pytest.approx(elvia_month_fee(kw))


FLANDERS_FROM = date(2025, 10, 1)
"""Fourteen months of samples: the 12-month mean must leave two out."""


@pytest.mark.parametrize("home", HOMES, ids=["villa", "cabin"])
def test_flanders_is_the_12_month_mean_of_quarter_hour_peaks(
    home: house.HomeSpec,
) -> None:
    """From five-minute samples (on the five minutes), each month's highest
    quarter-hour, at least 2.5 kW, averaged over the last 12 months."""
    tz = home.tz
    samples = readings(home, FLANDERS_FROM, date(2026, 11, 29))
    result = capacity(PRESETS["flanders"], tz, NOVEMBER, meter_rows(samples), NOW)
    by_month: dict[str, list[Period]] = {}
    for quarter in periods(home, FLANDERS_FROM, date(2026, 11, 29), 15):
        by_month.setdefault(f"{quarter[0].astimezone(tz):%Y-%m}", []).append(quarter)
    month_values = []
    for month in sorted(by_month)[-12:]:
        value, wanted = expected(
            by_month[month], tz, minutes=15, peaks=1, per_day=False, minimum=2.5
        )
        month_values.append((month, value))
    assert month_values[0][0] == "2025-12"
    assert [m.month for m in result.months] == [month for month, _ in month_values]
    assert [m.kw for m in result.months] == pytest.approx(
        [kw for _, kw in month_values]
    )
    assert result.billed_kw == pytest.approx(sum(kw for _, kw in month_values) / 12)
    assert result.month_kw == pytest.approx(month_values[-1][1])
    assert_peaks(result, wanted)


def test_samples_seven_seconds_into_the_five_minutes_come_close() -> None:
    """Tibber's samples are not on the boundary: interpolating the meter at
    each quarter's bounds keeps each month's peak within 2 % of the truth."""
    samples = meter_rows(
        readings(VILLA, date(2026, 10, 1), date(2026, 11, 29), offset=7)
    )
    result = capacity(PRESETS["flanders"], VILLA.tz, NOVEMBER, samples, NOW)
    quarters = periods(VILLA, date(2026, 11, 1), date(2026, 11, 29), 15)
    value, wanted = expected(quarters, VILLA.tz, minutes=15, peaks=1, per_day=False)
    assert result.month_kw == pytest.approx(value, rel=0.02)
    assert result.peaks[0].start == wanted[0][0]


def test_custom_is_the_same_engine_with_the_users_parameters() -> None:
    """Sala-Heby's kind: the 3 highest hours, not one per day, on weekdays
    07:00-19:00, 111.50 a kW and month; here at 15-minute basis and a weight
    for the first working hour, to use every parameter."""
    rule = TariffRule(
        peaks=3,
        one_per_day=False,
        basis="quarter",
        weekdays=frozenset(range(5)),
        hours=frozenset(range(7, 19)),
        weight=0.8,
        weighted_hours=frozenset({7}),
        minimum_kw=1.0,
        price_per_kw_month=111.5,
    ).check()
    tz = CABIN.tz
    samples = meter_rows(readings(CABIN, NOVEMBER, date(2026, 11, 29)))
    result = capacity(rule, tz, NOVEMBER, samples, NOW)
    quarters = periods(CABIN, NOVEMBER, date(2026, 11, 29), 15)

    def weight(local: datetime) -> float:
        if local.weekday() >= 5 or not 7 <= local.hour < 19:
            return 0.0
        return 0.8 if local.hour == 7 else 1.0

    value, wanted = expected(
        quarters, tz, minutes=15, per_day=False, weight=weight, minimum=1.0
    )
    assert result.billed_kw == pytest.approx(value)
    assert_peaks(result, wanted)
    assert result.fee == pytest.approx(value * 111.5)


# ---------------------------------------------------------- calendar and data


def test_the_month_turns_at_local_midnight_of_the_first() -> None:
    """23:00-24:00 on 30 November (22:00 UTC) is November's; 00:00-01:00 on
    1 December (23:00 UTC on the 30th) is December's."""
    tz = VILLA.tz
    data = periods(VILLA, NOVEMBER, date(2026, 12, 2), 60)
    last_of_november = datetime(2026, 11, 30, 22, tzinfo=UTC)
    first_of_december = datetime(2026, 11, 30, 23, tzinfo=UTC)
    bumped = [
        (start, 50.0 if start == last_of_november else kwh) for start, kwh in data
    ]
    now = datetime(2026, 12, 1, 0, 30, tzinfo=tz)
    assert month_of(now, tz) == date(2026, 12, 1)
    november = capacity(PRESETS["goteborg_energi"], tz, NOVEMBER, bumped, now)
    assert november.peaks[0] == tariff.Peak("2026-11-30T23:00:00+01:00", 50.0)
    december = capacity(PRESETS["goteborg_energi"], tz, date(2026, 12, 1), bumped, now)
    assert december.billed_kw == 0.0  # its first hour is still running
    assert december.peaks == ()
    later = datetime(2026, 12, 1, 1, 0, tzinfo=tz)
    bumped = [
        (start, 60.0 if start == first_of_december else kwh) for start, kwh in data
    ]
    december = capacity(
        PRESETS["goteborg_energi"], tz, date(2026, 12, 1), bumped, later
    )
    assert december.peaks == (tariff.Peak("2026-12-01T00:00:00+01:00", 60.0),)
    assert december.billed_kw == 60.0
    november = capacity(PRESETS["goteborg_energi"], tz, NOVEMBER, bumped, later)
    in_november = [p for p in data if p[0].astimezone(tz).month == 11]
    assert november.billed_kw == pytest.approx(
        expected(in_november, tz, until=later)[0]
    )


def test_a_month_with_no_data_is_zero_or_the_minimum() -> None:
    for preset, value in (("ellevio", 0.0), ("norway", 0.0), ("flanders", 2.5)):
        result = capacity(PRESETS[preset], VILLA.tz, NOVEMBER, [], NOW)
        assert (result.billed_kw, result.peaks) == (value, ())
        assert result.months == (tariff.MonthValue("2026-11", value),)
    assert capacity(PRESETS["norway"], VILLA.tz, NOVEMBER, [], NOW).fee == 120.0


def hours_of(data: list[Period], tz: tzinfo, day: date) -> list[Period]:
    return [p for p in data if p[0].astimezone(tz).date() == day]


@pytest.mark.parametrize("home", [VILLA, BRUSSELS], ids=["stockholm", "brussels"])
def test_a_25_hour_day_has_two_2_oclock_hours_and_a_23_hour_day_none(
    home: house.HomeSpec,
) -> None:
    """Hour basis: 25 October 2026 (clocks back at 03:00) and 29 March 2026
    (forward at 02:00)."""
    tz = home.tz
    autumn = periods(home, date(2026, 10, 25), date(2026, 10, 26), 60)
    spring = periods(home, date(2026, 3, 29), date(2026, 3, 30), 60)
    assert (len(autumn), len(spring)) == (25, 23)
    at_two = TariffRule(peaks=10, one_per_day=False, hours=frozenset({2}))
    late = datetime(2026, 12, 1, tzinfo=UTC)
    october = capacity(at_two, tz, date(2026, 10, 1), autumn, late)
    assert sorted(peak.start for peak in october.peaks) == [
        "2026-10-25T02:00:00+01:00",
        "2026-10-25T02:00:00+02:00",
    ]
    assert capacity(at_two, tz, date(2026, 3, 1), spring, late).peaks == ()
    # Every hour of the day counts, once: the day's highest and all 25.
    for data, month in ((autumn, date(2026, 10, 1)), (spring, date(2026, 3, 1))):
        best = capacity(PRESETS["goteborg_energi"], tz, month, data, late)
        assert best.peaks[0].kw == pytest.approx(max(kwh for _, kwh in data))
        every = TariffRule(peaks=10, one_per_day=False)
        assert capacity(every, tz, month, data, late).count == len(data)


@pytest.mark.parametrize("home", [BRUSSELS, VILLA], ids=["brussels", "stockholm"])
@pytest.mark.parametrize(
    ("day", "quarters"), [(date(2026, 10, 25), 100), (date(2026, 3, 29), 92)]
)
def test_dst_days_at_quarter_basis(
    home: house.HomeSpec, day: date, quarters: int
) -> None:
    tz = home.tz
    samples = meter_rows(readings(home, day, day + timedelta(days=1)))
    truth = periods(home, day, day + timedelta(days=1), 15)
    assert len(truth) == quarters
    rule = TariffRule(peaks=10, one_per_day=False, basis="quarter")
    late = datetime(2026, 12, 1, tzinfo=UTC)
    result = capacity(rule, tz, day, samples, late)
    assert result.count == quarters
    value, wanted = expected(truth, tz, minutes=15, peaks=10, per_day=False, until=late)
    assert result.billed_kw == pytest.approx(value)
    assert_peaks(result, wanted)
    assert {peak.start[:10] for peak in result.peaks} == {day.isoformat()}


def test_a_corrected_hour_re_ranks_the_peaks() -> None:
    """Tibber corrects a counted peak hour down, and an uncounted hour up:
    the peaks and the value follow the stored rows."""
    tz = VILLA.tz
    data = hourly(VILLA)
    before = capacity(PRESETS["norway"], tz, NOVEMBER, data, NOW)
    top_start = datetime.fromisoformat(before.peaks[0].start).astimezone(UTC)
    quiet = datetime(2026, 11, 20, 3, tzinfo=UTC)
    assert quiet.astimezone(tz).date().isoformat() not in {
        p.start[:10] for p in before.peaks
    }
    corrected = [
        (
            start,
            0.1 if start == top_start else 9.5 if start == quiet else kwh,
        )
        for start, kwh in data
    ]
    after = capacity(PRESETS["norway"], tz, NOVEMBER, corrected, NOW)
    value, wanted = expected(corrected, tz)
    assert after.billed_kw == pytest.approx(value)
    assert_peaks(after, wanted)
    assert after.peaks[0] == tariff.Peak("2026-11-20T04:00:00+01:00", 9.5)
    assert before.peaks[0].start not in {peak.start for peak in after.peaks}


def test_rows_given_as_utc_seconds_or_aware_datetimes_agree() -> None:
    data = hourly(CABIN)
    seconds = [(start.timestamp(), kwh) for start, kwh in data]
    rule = PRESETS["ellevio"]
    assert capacity(rule, CABIN.tz, NOVEMBER, seconds, NOW) == capacity(
        rule, CABIN.tz, NOVEMBER, data, NOW
    )


def test_a_year_in_one_pass_equals_month_by_month() -> None:
    tz = VILLA.tz
    samples = meter_rows(readings(VILLA, FLANDERS_FROM, date(2026, 11, 29)))
    year = capacities(PRESETS["flanders"], tz, samples, NOW)
    assert [c.month for c in year][:2] == [date(2025, 10, 1), date(2025, 11, 1)]
    assert year[-1].month == NOVEMBER
    for each in (year[0], year[5], year[-1]):
        assert each == capacity(PRESETS["flanders"], tz, each.month, samples, NOW)


# ------------------------------------------------------------------ headroom

HEADROOM_CASES = [
    # (preset or rule, home, now): a day hour, a night hour at half weight,
    # a quarter, a rule of all periods.
    ("ellevio", VILLA, datetime(2026, 11, 28, 17, 5, tzinfo=UTC)),
    ("ellevio", VILLA, datetime(2026, 11, 28, 22, 10, tzinfo=UTC)),
    ("goteborg_energi", CABIN, datetime(2026, 11, 28, 7, 2, tzinfo=UTC)),
    ("norway", CABIN, datetime(2026, 11, 2, 9, 40, tzinfo=UTC)),
    ("flanders", VILLA, datetime(2026, 11, 28, 17, 3, tzinfo=UTC)),
    ("all_hours", CABIN, datetime(2026, 11, 14, 12, 1, tzinfo=UTC)),
    ("first_hour", VILLA, datetime(2026, 11, 1, 0, 20, tzinfo=UTC)),
]
RULES = {
    **PRESETS,
    "all_hours": TariffRule(peaks=5, one_per_day=False),
    "first_hour": TariffRule(minimum_kw=3.0),
}


@pytest.mark.parametrize(("name", "home", "now"), HEADROOM_CASES)
def test_drawing_the_headroom_keeps_the_bill_and_one_percent_more_raises_it(
    name: str, home: house.HomeSpec, now: datetime
) -> None:
    rule = RULES[name]
    tz = home.tz
    size = timedelta(seconds=rule.seconds)
    since = date(2025, 12, 1) if rule.months_averaged == 12 else NOVEMBER
    if rule.basis == "quarter":
        data: list[tuple[float, float]] = meter_rows(
            readings(home, since, date(2026, 11, 29))
        )
    else:
        data = [(s.timestamp(), kwh) for s, kwh in hourly(home)]
    start = datetime.fromtimestamp(now.timestamp() // rule.seconds * rule.seconds, UTC)
    so_far = house.energy_between(SEED, home, start, now)
    before = capacity(rule, tz, month_of(now, tz), data, now)
    running = before.running(now, so_far, power_kw=2.0)
    assert (running.start, running.end) == (start, start + size)
    assert running.headroom_kw is not None
    assert running.headroom_kw > 0.1
    rest = (start + size - now).total_seconds() / 3600
    length = size.total_seconds() / 3600
    assert running.average_kw == pytest.approx(
        so_far / ((now - start).total_seconds() / 3600)
    )
    assert running.projected_kw == pytest.approx((so_far + 2.0 * rest) / length)

    def billed_after(drawn_kw: float) -> float:
        rows = [row for row in data if row[0] != start.timestamp()]
        rows.append((start.timestamp(), so_far + drawn_kw * rest))
        return capacity(rule, tz, month_of(now, tz), rows, start + size).billed_kw

    assert billed_after(running.headroom_kw) == pytest.approx(before.billed_kw)
    assert billed_after(running.headroom_kw * 0.99) == pytest.approx(before.billed_kw)
    assert billed_after(running.headroom_kw * 1.01) > before.billed_kw + 1e-6


def test_no_headroom_limit_outside_the_window() -> None:
    rule = TariffRule(hours=frozenset(range(7, 19)))
    now = datetime(2026, 11, 28, 20, 30, tzinfo=UTC)  # 21:30 local
    result = capacity(rule, VILLA.tz, NOVEMBER, hourly(VILLA), now)
    running = result.running(now, 1.0)
    assert (running.weight, running.headroom_kw) == (0.0, None)


def test_the_running_period_must_be_in_the_month() -> None:
    result = capacity(PRESETS["ellevio"], VILLA.tz, NOVEMBER, hourly(VILLA), NOW)
    with pytest.raises(ValueError, match="2026-11"):
        result.running(datetime(2026, 11, 30, 23, 5, tzinfo=UTC), 0.1)


# ---------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"peaks": 0}, "peaks", "peaks_out_of_range"),
        ({"peaks": 11}, "peaks", "peaks_out_of_range"),
        ({"hours": frozenset()}, "hours", "window_empty"),
        ({"weekdays": frozenset()}, "weekdays", "window_empty"),
        ({"months": frozenset()}, "months", "window_empty"),
        ({"hours": frozenset({24})}, "hours", "window_invalid"),
        ({"weight": 1.5}, "weight", "weight_out_of_range"),
        ({"weight": -0.1}, "weight", "weight_out_of_range"),
        ({"weight": math.nan}, "weight", "weight_out_of_range"),
        ({"months_averaged": 6}, "months_averaged", "months_averaged_invalid"),
        ({"minimum_kw": -1.0}, "minimum_kw", "minimum_invalid"),
        ({"price_per_kw_month": -2.0}, "price_per_kw_month", "price_invalid"),
        ({"brackets": (Bracket(1, 10),)}, "brackets", "brackets_invalid"),
        (
            {"brackets": (Bracket(0, 10), Bracket(5, 20), Bracket(5, 30))},
            "brackets",
            "brackets_invalid",
        ),
        ({"brackets": (Bracket(0, -1),)}, "brackets", "brackets_invalid"),
        (
            {"brackets": (Bracket(0, 1),), "price_per_kw_month": 3.0},
            "price_per_kw_month",
            "price_and_brackets",
        ),
    ],
)
def test_a_rule_that_cannot_be_names_its_field_and_a_translation_key(
    changes: dict[str, Any], field: str, code: str
) -> None:
    rule = replace(TariffRule(), **changes)
    assert rule.errors() == {field: code}
    with pytest.raises(TariffError) as caught:
        rule.check()
    assert (caught.value.field, caught.value.code) == (field, code)


def test_every_preset_is_valid_and_survives_the_options() -> None:
    for rule in PRESETS.values():
        assert rule.errors() == {}
        assert TariffRule.from_dict(rule.as_dict()) == rule
    with pytest.raises(TariffError) as caught:
        TariffRule.from_dict({"weight": "half"})
    assert caught.value.code == "weight_out_of_range"
    with pytest.raises(TariffError) as caught:
        TariffRule.from_dict({"hours": []})
    assert caught.value.code == "window_empty"


def test_rule_for_a_homes_choice() -> None:
    assert tariff.rule_for("none") is None
    assert tariff.rule_for("ellevio") == PRESETS["ellevio"]
    steps = tariff.parse_brackets("0: 1000; 3: 2000\n8: 4000")
    assert steps == (Bracket(0, 1000), Bracket(3, 2000), Bracket(8, 4000))
    assert tariff.parse_brackets(tariff.format_brackets(steps)) == steps
    norway = tariff.rule_for("norway", brackets=steps)
    assert norway is not None
    assert norway.fee(3.0) == pytest.approx(2000 / 12)
    priced = tariff.rule_for("ellevio", price_per_kw_month=81.25)
    assert priced is not None
    assert priced.fee(2.0) == pytest.approx(162.5)
    custom = tariff.rule_for("custom", {"peaks": 1, "basis": "quarter"})
    assert custom == TariffRule(peaks=1, basis="quarter")
    for bad in ("", "0 1000", "0: x", "2: 100", "0: 1, 0: 2"):
        with pytest.raises(TariffError) as caught:
            tariff.parse_brackets(bad)
        assert caught.value.code == "brackets_invalid"
    with pytest.raises(TariffError):
        tariff.rule_for("vattenfall")
