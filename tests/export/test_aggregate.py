"""Aggregation properties (hypothesis): totals, local days, DST, missing data."""

from __future__ import annotations

from bisect import bisect_right
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings, strategies as st

from custom_components.powertracker.export.aggregate import aggregate, edges
from custom_components.powertracker.export.models import Aggregate, Interval, Series

TZ = ZoneInfo("Europe/Stockholm")
BASE = datetime(2026, 1, 1, tzinfo=UTC)


def _series(start: datetime, step: timedelta, values: list[float | None]) -> Series:
    intervals = [
        Interval(
            start + step * i,
            start + step * (i + 1),
            value,
            cost=value * 2,
            production=0.0,
        )
        for i, value in enumerate(values)
        if value is not None
    ]
    return Series("home", "Home", "SEK", intervals)


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
    assert sum(b.energy or 0.0 for b in result.buckets) == pytest.approx(
        total, abs=1e-6
    )
    # Buckets tile the range without gaps or overlaps.
    assert result.buckets[0].start == start
    assert result.buckets[-1].end == start + step * count
    for before, after in zip(result.buckets, result.buckets[1:], strict=False):
        assert before.end == after.start
    bounds = [bucket.start for bucket in result.buckets]
    per_bucket: list[list[float | None]] = [[] for _ in bounds]
    for i, value in enumerate(values):
        per_bucket[bisect_right(bounds, start + step * i) - 1].append(value)
    for bucket, inside in zip(result.buckets, per_bucket, strict=True):
        if all(value is None for value in inside):
            assert bucket.energy is None  # missing, never 0
            assert bucket.average_power is None
            assert not bucket.complete
        else:
            assert bucket.complete == all(value is not None for value in inside)
            hours = sum(
                step / timedelta(hours=1) for value in inside if value is not None
            )
            assert bucket.energy is not None
            assert bucket.average_power == pytest.approx(bucket.energy / hours * 1000)


@pytest.mark.parametrize(
    ("day", "hours"),
    [("2026-03-29", 23), ("2026-10-25", 25), ("2026-06-01", 24)],
)
def test_local_days_follow_daylight_saving_time(day: str, hours: int) -> None:
    start = datetime.fromisoformat(day).replace(tzinfo=TZ)
    end = start + timedelta(days=2)
    bounds = edges(Aggregate.DAY, start, end, TZ)
    assert (bounds[1] - bounds[0]) / timedelta(hours=1) == hours  # UTC edges
    assert bounds[1].astimezone(TZ).hour == 0
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
    assert [bucket.energy for bucket in result.buckets] == [1.0, 2.0]
    assert not result.buckets[0].complete


def test_months_and_weeks_start_at_local_midnight() -> None:
    start = datetime(2026, 1, 15, 12, tzinfo=TZ)
    months = edges(Aggregate.MONTH, start, datetime(2026, 4, 2, tzinfo=TZ), TZ)
    assert [edge.astimezone(TZ).date().isoformat() for edge in months] == [
        "2026-01-15",
        "2026-02-01",
        "2026-03-01",
        "2026-04-01",
        "2026-04-02",
    ]
    weeks = edges(Aggregate.WEEK, start, datetime(2026, 1, 29, tzinfo=TZ), TZ)
    assert [edge.astimezone(TZ).weekday() for edge in weeks[1:-1]] == [0, 0]
    december = edges(
        Aggregate.MONTH,
        datetime(2026, 12, 5, tzinfo=TZ),
        datetime(2027, 2, 1, tzinfo=TZ),
        TZ,
    )
    assert [edge.astimezone(TZ).date().isoformat() for edge in december] == [
        "2026-12-05",
        "2027-01-01",
        "2027-02-01",
    ]


def test_cost_and_production_are_none_without_data() -> None:
    start = datetime(2026, 5, 1, tzinfo=TZ)
    series = Series("h", "H", None, [Interval(start, start + timedelta(hours=1), 1.0)])
    [bucket] = aggregate(
        series, Aggregate.DAY, start, start + timedelta(days=1), TZ
    ).buckets
    assert bucket.energy == 1.0
    assert bucket.cost is None
    assert bucket.production is None
