"""Aggregation properties (hypothesis): totals, local days, DST, missing data."""

from __future__ import annotations

from bisect import bisect_right
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from custom_components.powertracker.export.aggregate import aggregate, edges
from custom_components.powertracker.export.models import Aggregate, Series

TZ = ZoneInfo("Europe/Stockholm")
BASE = datetime(2026, 1, 1, tzinfo=UTC)


def _series(
    start: datetime,
    step: timedelta,
    values: list[float | None],
    *,
    cost: bool = True,
    production: bool = True,
) -> Series:
    """Rows of `step` from `start`; a None value is a row the recorder lacks."""
    index = [i for i, value in enumerate(values) if value is not None]
    energy = np.array([values[i] for i in index], dtype=float)
    return Series(
        "home",
        "Home",
        "SEK",
        np.full(len(index), step.total_seconds()),
        start.timestamp() + step.total_seconds() * np.array(index, dtype=float),
        energy,
        energy * 2 if cost else np.full(len(index), np.nan),
        np.zeros(len(index)) if production else np.full(len(index), np.nan),
    )


def _utc(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, UTC)


@settings(max_examples=40, deadline=None)
@given(
    offset_hours=st.integers(0, 24 * 365),
    length_hours=st.integers(1, 24 * 70),
    kind=st.sampled_from(list(Aggregate)),
    data=st.data(),
)
def test_buckets_sum_to_the_range_total(
    offset_hours: int, length_hours: int, kind: Aggregate, data: st.DataObject
) -> None:
    step = (
        timedelta(minutes=5) if kind is Aggregate.FIVE_MINUTES else timedelta(hours=1)
    )
    start = BASE + timedelta(hours=offset_hours)
    if kind is Aggregate.FIVE_MINUTES:
        length_hours = min(length_hours, 24 * 3)
    count = int(timedelta(hours=length_hours) / step)
    values = data.draw(
        st.lists(
            st.one_of(st.none(), st.floats(0, 10, allow_nan=False)),
            min_size=count,
            max_size=count,
        )
    )
    result = aggregate(
        _series(start, step, values), kind, start, start + step * count, TZ
    )
    total = sum(value for value in values if value is not None)
    assert np.nansum(result.energy) == pytest.approx(total, abs=1e-6)
    # Buckets tile the range without gaps or overlaps.
    assert _utc(result.edges[0]) == start
    assert _utc(result.edges[-1]) == start + step * count
    assert (np.diff(result.edges) > 0).all()
    assert len(result) == len(result.edges) - 1
    bounds = [_utc(edge) for edge in result.edges[:-1]]
    per_bucket: list[list[float | None]] = [[] for _ in bounds]
    for i, value in enumerate(values):
        per_bucket[bisect_right(bounds, start + step * i) - 1].append(value)
    for i, inside in enumerate(per_bucket):
        if all(value is None for value in inside):
            assert np.isnan(result.energy[i])  # missing, never 0
            assert np.isnan(result.average_power[i])
            assert np.isnan(result.cost[i])
            assert not result.complete[i]
        else:
            assert result.complete[i] == all(value is not None for value in inside)
            known = [value for value in inside if value is not None]
            hours = len(known) * step / timedelta(hours=1)
            assert result.energy[i] == pytest.approx(sum(known))
            assert result.cost[i] == pytest.approx(2 * sum(known))
            assert result.average_power[i] == pytest.approx(
                result.energy[i] / hours * 1000
            )


@pytest.mark.parametrize(
    ("day", "hours"),
    [("2026-03-29", 23), ("2026-10-25", 25), ("2026-06-01", 24)],
)
def test_local_days_follow_daylight_saving_time(day: str, hours: int) -> None:
    start = datetime.fromisoformat(day).replace(tzinfo=TZ)
    end = start + timedelta(days=2)
    bounds = edges(Aggregate.DAY, start, end, TZ)
    assert (bounds[1] - bounds[0]) / 3600 == hours  # UTC timestamps
    assert datetime.fromtimestamp(bounds[1], TZ).hour == 0
    hourly = edges(Aggregate.HOUR, start, start + timedelta(days=1), TZ)
    assert len(hourly) - 1 == hours


def test_the_interval_before_midnight_belongs_to_its_day() -> None:
    midnight = datetime(2026, 5, 2, tzinfo=TZ)
    step = timedelta(minutes=5)
    series = _series(midnight - step, step, [1.0, 2.0])  # 23:55 and 00:00
    result = aggregate(
        series,
        Aggregate.DAY,
        midnight - timedelta(days=1),
        midnight + timedelta(days=1),
        TZ,
    )
    assert result.energy.tolist() == [1.0, 2.0]
    assert not result.complete[0]


def test_months_and_weeks_start_at_local_midnight() -> None:
    start = datetime(2026, 1, 15, 12, tzinfo=TZ)
    months = edges(Aggregate.MONTH, start, datetime(2026, 4, 2, tzinfo=TZ), TZ)
    assert [_local_day(edge) for edge in months] == [
        "2026-01-15",
        "2026-02-01",
        "2026-03-01",
        "2026-04-01",
        "2026-04-02",
    ]
    weeks = edges(Aggregate.WEEK, start, datetime(2026, 1, 29, tzinfo=TZ), TZ)
    assert [datetime.fromtimestamp(edge, TZ).weekday() for edge in weeks[1:-1]] == [
        0,
        0,
    ]
    december = edges(
        Aggregate.MONTH,
        datetime(2026, 12, 5, tzinfo=TZ),
        datetime(2027, 2, 1, tzinfo=TZ),
        TZ,
    )
    assert [_local_day(edge) for edge in december] == [
        "2026-12-05",
        "2027-01-01",
        "2027-02-01",
    ]


def _local_day(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, TZ).date().isoformat()


def test_cost_and_production_are_missing_without_data() -> None:
    start = datetime(2026, 5, 1, tzinfo=TZ)
    series = _series(start, timedelta(hours=1), [1.0], cost=False, production=False)
    result = aggregate(series, Aggregate.DAY, start, start + timedelta(days=1), TZ)
    assert result.energy.tolist() == [1.0]
    assert np.isnan(result.cost[0])
    assert np.isnan(result.production[0])
    assert not result.complete[0]  # one hour of 24


def test_a_row_of_unknown_energy_leaves_the_rest_of_its_bucket() -> None:
    # Today at 1d on the day of setup: two hours, then the sensor's first
    # five minutes (no sum before them: NaN) and the five minutes after.
    midnight = datetime(2026, 12, 6, tzinfo=TZ)
    t0 = midnight.timestamp()
    series = Series(
        "home",
        "Home",
        "SEK",
        np.array([3600.0, 3600.0, 300.0, 300.0]),
        np.array([t0, t0 + 3600, t0 + 7200, t0 + 7500]),
        np.array([1.0, 1.5, np.nan, 0.25]),
        np.array([2.0, 3.0, np.nan, 0.5]),
        np.full(4, np.nan),
    )
    end = midnight + timedelta(hours=2, minutes=10)
    result = aggregate(series, Aggregate.DAY, midnight, end, TZ)
    assert result.energy[0] == pytest.approx(1.0 + 1.5 + 0.25)
    # The energy over the time measured: 2 hours and 5 minutes.
    assert result.average_power[0] == pytest.approx(2.75 * 3.6e6 / 7500)
    assert result.cost[0] == pytest.approx(5.5)
    assert not result.complete[0]


def test_rows_outside_the_range_are_left_out() -> None:
    start = datetime(2026, 5, 1, tzinfo=TZ)
    hour = timedelta(hours=1)
    series = _series(start - hour, hour, [5.0, 1.0, 2.0, 7.0])
    result = aggregate(series, Aggregate.DAY, start, start + 2 * hour, TZ)
    assert result.energy.tolist() == [3.0]
    assert result.complete.tolist() == [True]


@pytest.mark.parametrize(
    ("zone", "day", "quarters"),
    [
        ("Europe/Stockholm", "2026-03-29", 92),
        ("Europe/Stockholm", "2026-10-25", 100),
        ("Europe/Stockholm", "2026-06-01", 96),
        ("Asia/Kolkata", "2026-06-01", 96),  # UTC+5:30: local quarters
        ("Asia/Kathmandu", "2026-06-01", 96),  # UTC+5:45
    ],
)
def test_quarter_hours_are_local_and_count_dst_days(
    zone: str, day: str, quarters: int
) -> None:
    """15m: a local day's quarter-hours (92/100 when the clocks change), each the
    sum of its three five-minute rows, computed here from local wall times."""
    tz = ZoneInfo(zone)
    start = datetime.combine(date.fromisoformat(day), time(), tz)
    end = datetime.combine(start.date() + timedelta(days=1), time(), tz)
    rows = round((end.timestamp() - start.timestamp()) / 300)
    values = [0.001 * (i % 37) + 0.01 for i in range(rows)]
    series = _series(start.astimezone(UTC), timedelta(minutes=5), list(values))

    buckets = aggregate(series, Aggregate.QUARTER_HOUR, start, end, tz)

    expected: dict[datetime, float] = {}
    for i, value in enumerate(values):
        local = datetime.fromtimestamp(start.timestamp() + 300 * i, tz)
        assert local.minute % 5 == 0
        key = local.replace(minute=local.minute // 15 * 15).astimezone(UTC)
        expected[key] = expected.get(key, 0.0) + value
    assert len(buckets) == len(expected) == quarters
    assert [datetime.fromtimestamp(edge, UTC) for edge in buckets.edges[:-1]] == sorted(
        expected
    )
    assert buckets.energy == pytest.approx([expected[k] for k in sorted(expected)])
    assert buckets.average_power == pytest.approx(
        [expected[k] * 3.6e6 / 900 for k in sorted(expected)]
    )
    assert buckets.complete.all()
