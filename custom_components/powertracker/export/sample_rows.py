"""Five-minute rows from stored samples: the archive's or the sink's (pure: numpy).

A row [t, t + 300 s) gets what the meter counted between the sample before it
and the last sample inside it, the way the recorder's 5-minute statistics give
a sensor's change to the period in which the new state arrived:

- energy: the change of `consumption_total` (never decreasing);
- cost and production: the change of Tibber's daily values, which restart at
  local midnight; after a restart the change is the new day's value itself.

A row whose change is unknown (a missing value) is NaN, never 0. Rows start on
the UTC five minutes, as the recorder's.
"""

from __future__ import annotations

import numpy as np

from ..sink.models import FloatArray

ROW = 300.0
"""Seconds per row."""
COLUMNS = ("consumption_total", "accumulated_cost", "accumulated_production")
"""The samples' columns the rows are made of."""


def _daily_change(values: FloatArray) -> FloatArray:
    """The change of a value that restarts at local midnight."""
    change = np.diff(values)
    restarted = change < 0
    change[restarted] = values[1:][restarted]
    return change


def five_minute_rows(
    columns: dict[str, FloatArray], since: float
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """(start, energy, cost, production) of the rows from `since` (UTC seconds) on.

    `columns` holds "time" and `COLUMNS`, oldest first, and may begin with
    one sample before `since` (its values are where the first change starts).
    """
    time = columns["time"]
    if len(time) < 2:
        empty = np.empty(0)
        return empty, empty, empty, empty
    slots = np.floor(time[1:] / ROW) * ROW
    changes = (
        np.diff(columns["consumption_total"]),
        _daily_change(columns["accumulated_cost"]),
        _daily_change(columns["accumulated_production"]),
    )
    keep = slots >= since
    slots = slots[keep]
    starts, first = np.unique(slots, return_index=True)
    # A row sums its samples' changes; one unknown change leaves it unknown.
    summed = [
        np.add.reduceat(change[keep], first) if len(first) else np.empty(0)
        for change in changes
    ]
    return starts, summed[0], summed[1], summed[2]
