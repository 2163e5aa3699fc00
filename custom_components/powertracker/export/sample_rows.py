"""Five-minute rows from stored samples: the archive's or the sink's (pure: numpy).

A row [t, t + 300 s) gets what the meter counted between its edges, each
edge's total interpolated between the samples on either side of it
(`meter/readings.py`, the same function as the capacity tariff's
quarter-hours), so a reload or a late or missed poll moves no energy from
one row to another:

- energy: the change of `consumption_total` (never decreasing);
- cost and production: the change of Tibber's daily values, which restart at
  local midnight (made running totals first).

A row whose change is unknown (no sample on one side of an edge) is NaN,
never 0, and a row without a known energy is left out. Rows start on the UTC
five minutes, as the recorder's.
"""

from __future__ import annotations

import numpy as np

from ..meter.readings import meter_rows
from ..sink.models import FloatArray

ROW = 300.0
"""Seconds per row."""
COLUMNS = (
    "consumption_total",
    "accumulated_cost",
    "accumulated_production",
    "accumulated_consumption",
)
"""The samples' columns the rows are made of (the daily consumption says
where a new day began)."""


LONGEST = 3600.0
"""Seconds between two samples across which a row's energy is spread evenly
(polls are at most an hour apart): a longer gap (the archive turned off for a
while) is left to the recorder's rows, or shown as a gap."""


def five_minute_rows(
    columns: dict[str, FloatArray], since: float, until: float
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """(start, energy, cost, production) of the rows in [since, until) (UTC
    seconds) whose energy is known.

    `columns` holds "time" and `COLUMNS`, oldest first; a row needs a sample
    at or before its start and one at or after its end.
    """
    time = columns["time"]
    start, energy = meter_rows(
        time, columns["consumption_total"], ROW, since, until, longest=LONGEST
    )
    day = columns.get("accumulated_consumption")
    cost, production = (
        meter_rows(
            time, columns[name], ROW, since, until, daily=True, day=day, longest=LONGEST
        )[1]
        for name in ("accumulated_cost", "accumulated_production")
    )
    known = np.isfinite(energy)
    return start[known], energy[known], cost[known], production[known]
