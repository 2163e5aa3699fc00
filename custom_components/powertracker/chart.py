"""What a home's usage chart shows: its period, its kind and its range.

Each home has its own settings (two configuration selects on its device), the
image entity draws them. The periods end at the start of the current hour,
so a chart changes when an hour is added (hourly), not at every poll; only
the 5-minute day, for homes with a real-time meter, follows each poll. The
12 months are whole months: the current one ends with the month, its data so
far. A home without a real-time meter has no 5-minute data, so it is never
offered that period.

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
    """The last 12 months, per month, the current one whole (its data so far)."""


AGGREGATES = {
    ChartPeriod.DAY: Aggregate.FIVE_MINUTES,
    ChartPeriod.WEEK: Aggregate.HOUR,
    ChartPeriod.MONTH: Aggregate.DAY,
    ChartPeriod.YEAR: Aggregate.MONTH,
}


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
    """The UTC start and end of `period` up to `now`, on the local calendar
    (the 12 months up to the end of the current one)."""
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
        start = datetime.combine(_month(month), time(), tz)
        end = datetime.combine(_month(month + 12), time(), tz).astimezone(UTC)
    return start.astimezone(UTC), end


def _month(index: int) -> date:
    """The first day of month `index` (year x 12 + month - 1)."""
    return date(index // 12, index % 12 + 1, 1)


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
