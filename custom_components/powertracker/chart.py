"""What a home's usage chart shows: its period, its kind, its range and title.

Each home has its own settings (two configuration selects on its device), the
image entity draws them. The periods end at the start of the current hour,
so a chart changes when an hour is added (hourly), not at every poll; only
the 5-minute day, for homes with a real-time meter, follows each poll. A home
without one has no 5-minute data, so it is never offered that period.

Pure Python: no Home Assistant imports.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from enum import StrEnum

from .export.models import Aggregate, Graph
from .meter.listeners import HomeListeners


class ChartPeriod(StrEnum):
    """The span of a chart and its bucket size."""

    DAY = "day"
    """The last 24 hours, per 5 minutes (homes with a real-time meter)."""
    WEEK = "week"
    """The last 7 days, per hour."""
    MONTH = "month"
    """The last 30 days, per day."""
    YEAR = "year"
    """The last 12 months, per month."""


AGGREGATES = {
    ChartPeriod.DAY: Aggregate.FIVE_MINUTES,
    ChartPeriod.WEEK: Aggregate.HOUR,
    ChartPeriod.MONTH: Aggregate.DAY,
    ChartPeriod.YEAR: Aggregate.MONTH,
}
_PER = {
    Aggregate.FIVE_MINUTES: "per 5 minutes",
    Aggregate.HOUR: "per hour",
    Aggregate.DAY: "per day",
    Aggregate.MONTH: "per month",
}
_QUANTITY = {Graph.HIST: "kWh", Graph.LINEPLOT: "average W"}


def periods(real_time: bool) -> list[ChartPeriod]:
    """The periods a home can chart: 5-minute data needs a real-time meter."""
    return [p for p in ChartPeriod if real_time or p is not ChartPeriod.DAY]


@dataclass(frozen=True, slots=True)
class ChartSettings:
    """What one home's chart shows."""

    period: ChartPeriod = ChartPeriod.WEEK
    graph: Graph = Graph.HIST

    @property
    def aggregate(self) -> Aggregate:
        """The bucket size of the period."""
        return AGGREGATES[self.period]


def chart_range(
    period: ChartPeriod, now: datetime, tz: tzinfo
) -> tuple[datetime, datetime]:
    """The UTC start and end of `period` up to `now`, on the local calendar."""
    local = now.astimezone(tz)
    if period is ChartPeriod.DAY:
        five = local.minute - local.minute % 5
        end = local.replace(minute=five, second=0, microsecond=0).astimezone(UTC)
        return end - timedelta(hours=24), end
    end = local.replace(minute=0, second=0, microsecond=0).astimezone(UTC)
    today = local.date()
    if period is ChartPeriod.WEEK:
        # The same clock hour 7 days before (23 or 25 hours on DST days).
        first = datetime.combine(today - timedelta(days=7), local.time(), tz)
        start = first.replace(minute=0, second=0, microsecond=0)
    elif period is ChartPeriod.MONTH:
        start = datetime.combine(today - timedelta(days=29), time(), tz)
    else:
        month = today.year * 12 + today.month - 1 - 11
        start = datetime.combine(date(month // 12, month % 12 + 1, 1), time(), tz)
    return start.astimezone(UTC), end


def chart_title(
    home: str, settings: ChartSettings, start: datetime, end: datetime, tz: tzinfo
) -> str:
    """The home, the quantity and the period: 'Villa · kWh per hour · 21 - 28 Nov'."""
    first, last = start.astimezone(tz), end.astimezone(tz)
    if settings.period is ChartPeriod.YEAR:
        span = f"{first:%b %Y} - {(last - timedelta(seconds=1)):%b %Y}"
    elif settings.period is ChartPeriod.DAY:
        span = f"{first.day} {first:%b %H:%M} - {last.day} {last:%b %H:%M}"
    else:
        span = f"{first.day} {first:%b} - {last.day} {last:%b}"
    quantity = _QUANTITY[settings.graph]
    return f"{home} · {quantity} {_PER[settings.aggregate]} · {span}"


class Charts(HomeListeners):
    """The chart settings of an entry's homes; listeners hear of changes."""

    def __init__(self) -> None:
        """Every home starts with the default settings."""
        super().__init__()
        self._settings: dict[str, ChartSettings] = {}

    def get(self, home_id: str) -> ChartSettings:
        """A home's settings."""
        return self._settings.get(home_id, ChartSettings())

    def set(self, home_id: str, settings: ChartSettings) -> None:
        """Change a home's settings and tell its chart, if anything changed."""
        if settings != self.get(home_id):
            self._settings[home_id] = settings
            self.notify([home_id])
