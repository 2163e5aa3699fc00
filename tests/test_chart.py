"""What a usage chart shows (pure: no Home Assistant)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from custom_components.powertracker.chart import (
    ChartPeriod,
    Charts,
    ChartSettings,
    chart_range,
    periods,
)

STOCKHOLM = ZoneInfo("Europe/Stockholm")


@pytest.mark.parametrize(
    ("period", "now", "start", "end"),
    [
        # The 5-minute day ends at the last 5-minute boundary.
        ("day", "2026-11-28T13:37:12", "2026-11-27T13:35", "2026-11-28T13:35"),
        # A week ends at the start of the hour; across the DST change it is
        # 7 local days (169 hours) long.
        ("week", "2026-10-30T10:20:00", "2026-10-23T10:00", "2026-10-30T10:00"),
        ("month", "2026-11-28T13:37:12", "2026-10-30T00:00", "2026-11-28T13:00"),
        # 12 whole months: the current one to its end (its data so far).
        ("year", "2026-11-28T13:37:12", "2025-12-01T00:00", "2026-12-01T00:00"),
        ("year", "2026-01-05T08:00:00", "2025-02-01T00:00", "2026-02-01T00:00"),
        ("year", "2026-12-31T23:59:59", "2026-01-01T00:00", "2027-01-01T00:00"),
    ],
)
def test_periods_end_at_a_boundary_on_the_local_calendar(
    period: str, now: str, start: str, end: str
) -> None:
    local = datetime.fromisoformat(now).replace(tzinfo=STOCKHOLM)
    first, last = chart_range(ChartPeriod(period), local.astimezone(UTC), STOCKHOLM)
    assert first.tzinfo is UTC
    assert first.astimezone(STOCKHOLM).replace(tzinfo=None) == datetime.fromisoformat(
        start
    )
    assert last.astimezone(STOCKHOLM).replace(tzinfo=None) == datetime.fromisoformat(
        end
    )
    if period == "week":
        assert last - first == timedelta(hours=169)


def test_homes_without_a_real_time_meter_are_never_offered_five_minutes() -> None:
    assert ChartPeriod.DAY in periods(real_time=True)
    assert periods(real_time=False) == [
        ChartPeriod.WEEK,
        ChartPeriod.MONTH,
        ChartPeriod.YEAR,
    ]
    assert ChartSettings().period is ChartPeriod.WEEK  # the default has data


def test_a_home_hears_only_of_its_own_changes() -> None:
    charts = Charts()
    heard: list[str] = []
    undo = charts.listen("villa", lambda: heard.append("villa"))
    charts.listen("cabin", lambda: heard.append("cabin"))
    charts.set("villa", ChartSettings(ChartPeriod.MONTH))
    charts.set("villa", ChartSettings(ChartPeriod.MONTH))  # no change: silent
    assert heard == ["villa"]
    assert charts.get("villa").period is ChartPeriod.MONTH
    assert charts.get("cabin") == ChartSettings()
    undo()
    charts.set("villa", ChartSettings())
    assert heard == ["villa"]
