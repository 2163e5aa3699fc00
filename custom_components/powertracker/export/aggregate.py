"""Buckets of usage over a range, cut in local time. Pure: no Home Assistant imports.

Days, weeks (from Monday) and months start at local midnight, so a day is 23
or 25 hours long on the days daylight saving time changes, and the usage of
the interval that spans midnight lands in the day it belongs to (the
statistics rows never span an hour boundary). 5-minute and hourly buckets
start on local clock boundaries.

Every bucket says whether it is complete; a bucket without any data has
`energy` None and is shown as missing, never as 0. Average power is the
energy over the hours that have data, in W, whatever the bucket size.
"""

from __future__ import annotations

from bisect import bisect_right
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from itertools import pairwise

from .models import Aggregate, Bucket, HomeBuckets, Series

_FIXED = {
    Aggregate.FIVE_MINUTES: timedelta(minutes=5),
    Aggregate.HOUR: timedelta(hours=1),
}


# Boundaries are computed on the local calendar and kept in UTC: Python compares
# and subtracts two datetimes of the same zone by wall clock, which is wrong
# across a daylight-saving change.


def _local_floor(when: datetime, aggregate: Aggregate, tz: tzinfo) -> datetime:
    local = when.astimezone(tz)
    if aggregate is Aggregate.FIVE_MINUTES:
        minute = local.minute - local.minute % 5
        floor = local.replace(minute=minute, second=0, microsecond=0)
    elif aggregate is Aggregate.HOUR:
        floor = local.replace(minute=0, second=0, microsecond=0)
    else:
        day = local.date()
        if aggregate is Aggregate.WEEK:
            day -= timedelta(days=day.weekday())
        elif aggregate is Aggregate.MONTH:
            day = day.replace(day=1)
        floor = datetime.combine(day, time(), tz)
    return floor.astimezone(UTC)


def _next(edge: datetime, aggregate: Aggregate, tz: tzinfo) -> datetime:
    if aggregate in _FIXED:
        return edge + _FIXED[aggregate]
    day = edge.astimezone(tz).date()
    if aggregate is Aggregate.DAY:
        following = day + timedelta(days=1)
    elif aggregate is Aggregate.WEEK:
        following = day + timedelta(days=7)
    else:
        following = date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return datetime.combine(following, time(), tz).astimezone(UTC)


def edges(
    aggregate: Aggregate, start: datetime, end: datetime, tz: tzinfo
) -> list[datetime]:
    """Bucket boundaries (UTC) from `start` to `end`, clipped to the range."""
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    result = [start]
    edge = _next(_local_floor(start, aggregate, tz), aggregate, tz)
    while edge < end:
        if edge > start:
            result.append(edge)
        edge = _next(edge, aggregate, tz)
    result.append(end)
    return result


def aggregate(
    series: Series, aggregate: Aggregate, start: datetime, end: datetime, tz: tzinfo
) -> HomeBuckets:
    """Sum a home's intervals into buckets of `aggregate` over [start, end)."""
    bounds = edges(aggregate, start, end, tz)
    start, end = bounds[0], bounds[-1]
    count = len(bounds) - 1
    energy = [0.0] * count
    cost = [0.0] * count
    production = [0.0] * count
    hours = [0.0] * count
    has_cost = [False] * count
    has_production = [False] * count
    seen = [0] * count
    step: timedelta | None = None
    for interval in series.intervals:
        if interval.start < start or interval.start >= end:
            continue
        index = bisect_right(bounds, interval.start.astimezone(UTC)) - 1
        step = step or interval.end - interval.start
        seen[index] += 1
        energy[index] += interval.energy
        hours[index] += interval.hours
        if interval.cost is not None:
            cost[index] += interval.cost
            has_cost[index] = True
        if interval.production is not None:
            production[index] += interval.production
            has_production[index] = True
    buckets = []
    for index, (low, high) in enumerate(pairwise(bounds)):
        present = seen[index] > 0
        expected = round((high - low) / step) if step else 0
        buckets.append(
            Bucket(
                start=low,
                end=high,
                energy=energy[index] if present else None,
                average_power=energy[index] / hours[index] * 1000 if present else None,
                cost=cost[index] if has_cost[index] else None,
                production=production[index] if has_production[index] else None,
                complete=present and seen[index] >= expected,
            )
        )
    return HomeBuckets(series.home_id, series.home_name, series.currency, buckets)
