"""Buckets of usage over a range, cut in local time. Pure: no Home Assistant imports.

Days, weeks (from Monday) and months start at local midnight, so a day is 23
or 25 hours long on the days daylight saving time changes, and the usage of
the row that spans midnight lands in the day it belongs to (the statistics
rows never span an hour boundary). 5-minute, quarter-hour and hourly buckets
start on local clock boundaries (a day has 92 or 100 quarter-hours when the
clocks change).

Every bucket says whether it is complete (its rows cover it); a bucket
without any data has `energy` NaN and is shown as missing, never as 0. A row
whose energy is unknown (NaN: the first five minutes of a sensor's
statistics, which have no sum before them) covers nothing: the rest of its
bucket still counts, so the current hour, day or month shows what was
measured.
Average power is the energy over the time its rows cover, in W, whatever the
bucket size (an hourly series may end in 5-minute rows: the current hour).

The work is done on numpy columns: a bucket index per row by binary search,
sums per bucket with `bincount`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo

import numpy as np

from ..sink.models import FloatArray
from .models import Aggregate, HomeBuckets, IntArray, Series

_FIXED = {
    Aggregate.FIVE_MINUTES: 300.0,
    Aggregate.QUARTER_HOUR: 900.0,
    Aggregate.HOUR: 3600.0,
}


# Boundaries are computed on the local calendar and kept in UTC: Python compares
# and subtracts two datetimes of the same zone by wall clock, which is wrong
# across a daylight-saving change.


def _local_floor(when: datetime, aggregate: Aggregate, tz: tzinfo) -> datetime:
    local = when.astimezone(tz)
    if aggregate in (Aggregate.FIVE_MINUTES, Aggregate.QUARTER_HOUR):
        minutes = int(_FIXED[aggregate]) // 60
        minute = local.minute - local.minute % minutes
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


def _next_day(edge: datetime, aggregate: Aggregate, tz: tzinfo) -> datetime:
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
) -> FloatArray:
    """Bucket boundaries (UTC timestamps) from `start` to `end`, clipped to them."""
    low, high = start.timestamp(), end.timestamp()
    first = _local_floor(start, aggregate, tz)
    if aggregate in _FIXED:
        step = _FIXED[aggregate]
        count = max(0, int(np.ceil((high - first.timestamp()) / step)))
        inner = first.timestamp() + step * np.arange(1, count + 1)
    else:
        found = []
        edge = _next_day(first, aggregate, tz)
        while edge < end:
            found.append(edge.timestamp())
            edge = _next_day(edge, aggregate, tz)
        inner = np.array(found)
    inner = inner[(inner > low) & (inner < high)]
    return np.concatenate(([low], inner, [high]))


def _known_sums(index: IntArray, values: FloatArray, count: int) -> FloatArray:
    """Per bucket, the sum of the values that are not NaN; NaN if there are none."""
    known = ~np.isnan(values)
    sums = np.bincount(index[known], weights=values[known], minlength=count)
    seen = np.bincount(index[known], minlength=count)
    return np.where(seen > 0, sums, np.nan)


def aggregate(
    series: Series, aggregate: Aggregate, start: datetime, end: datetime, tz: tzinfo
) -> HomeBuckets:
    """Sum a home's rows into buckets of `aggregate` over [start, end)."""
    bounds = edges(aggregate, start, end, tz)
    count = len(bounds) - 1
    inside = (series.start >= bounds[0]) & (series.start < bounds[-1])
    index = np.searchsorted(bounds, series.start[inside], side="right") - 1
    # A row of unknown energy covers nothing: the bucket is what was measured.
    known = ~np.isnan(series.energy[inside])
    measured = index[known]
    present = np.bincount(measured, minlength=count) > 0
    energy = np.where(
        present,
        np.bincount(measured, weights=series.energy[inside][known], minlength=count),
        np.nan,
    )
    covered = np.bincount(
        measured, weights=series.seconds[inside][known], minlength=count
    )
    power = np.divide(
        energy * 3.6e6, covered, out=np.full(count, np.nan), where=present
    )
    return HomeBuckets(
        series.home_id,
        series.home_name,
        series.currency,
        edges=bounds,
        energy=energy,
        average_power=power,
        cost=_known_sums(index, series.cost[inside], count),
        production=_known_sums(index, series.production[inside], count),
        complete=present & (covered + 1.0 >= np.diff(bounds)),
    )
