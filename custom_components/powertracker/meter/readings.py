"""Periods from a meter's readings: the export's five-minute rows and the
capacity tariff's quarter-hours, one function (numpy).

A reading is (time, total): Tibber's `consumption_total` at a poll, never
decreasing. A period [t, t + s) gets the total interpolated at t + s minus
the total interpolated at t, between the readings on either side of each
edge. The samples carry their exact times, so a reload, a late poll or a
missed poll never moves energy from one period to another: a sample 7 s into
the five minutes puts 7 s of energy at stake, not five minutes, and across a
gap between readings the energy is spread evenly (a missed poll's period
gets its share, never 0). An edge without a reading on both sides is
unknown, and so is its period (NaN): a gap, never a dip.

Tibber's cost and production are daily values that restart at local
midnight; `daily` turns them into running totals first (after a restart the
change is the new day's value itself). A new day shows where Tibber's daily
consumption of the same readings falls (it only rises within a day); a
daily cost may fall within a day too (an hour at a negative price), so its
own fall says a new day only where the daily consumption is unknown.

The recorder's 5-minute statistics are readings too (each row's `sum` at
its start + 300 s), but their edges are already the periods' own: their rows
need no interpolation (the capacity tariff sums them into quarters as they
are).
"""

from __future__ import annotations

import math

import numpy as np

from ..sink.models import FloatArray


def running_total(values: FloatArray, day: FloatArray | None = None) -> FloatArray:
    """A value that restarts at local midnight, as a total that goes on from
    its first value (`values` finite, oldest first). A new day begins where
    `day` (Tibber's daily consumption of the same readings) falls, or, where
    `day` is unknown (or not given), where the value itself falls."""
    change = np.diff(values)
    fell = change < 0
    if day is not None:
        day_change = np.diff(day)
        fell = np.where(np.isnan(day_change), fell, day_change < 0)
    change[fell] = values[1:][fell]
    return np.concatenate((values[:1], values[:1] + np.cumsum(change)))


def meter_rows(
    time: FloatArray,
    total: FloatArray,
    seconds: float = 900,
    start: float | None = None,
    end: float | None = None,
    *,
    daily: bool = False,
    day: FloatArray | None = None,
    longest: float = math.inf,
) -> tuple[FloatArray, FloatArray]:
    """(UTC starts, change) of the periods of `seconds` in [start, end).

    `time` (UTC seconds) and `total` are the readings, oldest first; a
    reading whose time or total is not finite, or whose time is not after
    every reading before it, is left out. `start` and `end` are rounded in
    to whole periods (of UTC seconds); without them the periods are those
    the readings reach (each change known). A period without a reading
    before its start and one after its end (pass one on either side of the
    span) is NaN, and so is one with an edge between readings more than
    `longest` seconds apart. `daily`: the total restarts at local midnight
    (`running_total`, where `day` falls: Tibber's daily consumption of the
    same readings).
    """
    kept = np.isfinite(time) & np.isfinite(total)
    time, total = time[kept], total[kept]
    day = None if day is None else day[kept]
    if len(time) > 1:
        newer = np.empty(len(time), dtype=bool)
        newer[0] = True
        newer[1:] = time[1:] > np.maximum.accumulate(time)[:-1]
        if not newer.all():
            time, total = time[newer], total[newer]
            day = None if day is None else day[newer]
    if daily:
        total = running_total(total, day)
    empty = np.empty(0)
    if not len(time) and (start is None or end is None):
        return empty, empty
    lo = time[0] if start is None else start
    hi = time[-1] if end is None else end
    first, last = math.ceil(lo / seconds), math.floor(hi / seconds)
    if last <= first:
        return empty, empty
    edges = np.arange(first, last + 1, dtype=np.float64) * seconds
    if len(time) == 0:
        return edges[:-1], np.full(len(edges) - 1, np.nan)
    at = np.interp(edges, time, total, left=np.nan, right=np.nan)
    if longest < math.inf and len(time) > 1:
        after = np.clip(np.searchsorted(time, edges), 1, len(time) - 1)
        apart = time[after] - time[after - 1]
        on_reading = (time[after] == edges) | (time[after - 1] == edges)
        at[(apart > longest) & ~on_reading] = np.nan
    return edges[:-1], np.diff(at)
