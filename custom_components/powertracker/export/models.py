"""What an export passes from the recorder to a renderer (no Home Assistant imports)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import numpy.typing as npt

from ..sink.models import FloatArray

DEFAULT_WIDTH = 1152
DEFAULT_HEIGHT = 288
"""The size of an exported PNG unless asked otherwise (the original exporter's)."""


class Aggregate(StrEnum):
    """Bucket sizes (the original exporter's names, plus a week)."""

    FIVE_MINUTES = "5m"
    HOUR = "1h"
    DAY = "1d"
    WEEK = "1w"
    MONTH = "1M"


class Output(StrEnum):
    """What the export produces."""

    CSV = "csv"
    PNG = "png"


class Graph(StrEnum):
    """PNG chart kind: bars of kWh per bucket, or a line of average power."""

    HIST = "hist"
    LINEPLOT = "lineplot"


type BoolArray = npt.NDArray[np.bool_]
type IntArray = npt.NDArray[np.intp]


@dataclass(frozen=True, slots=True)
class Series:
    """The statistics rows of one home, as columns (numpy: a year of 5-minute
    rows is 105,120 of them, too many for an object each).

    Row `i` covers [start[i], start[i] + seconds[i]); `start` is ascending.
    """

    home_id: str
    home_name: str
    currency: str | None
    seconds: FloatArray
    """Seconds each row covers: 300 (5-minute rows) or 3600 (hourly rows)."""
    start: FloatArray
    """UTC timestamps (seconds)."""
    energy: FloatArray
    """kWh consumed."""
    cost: FloatArray
    """Money, NaN where unknown."""
    production: FloatArray
    """kWh produced (returned to the grid), NaN where unknown."""


@dataclass(frozen=True, slots=True)
class HomeBuckets:
    """The buckets of one home over the export range, as columns.

    Bucket `i` is [edges[i], edges[i + 1]). NaN means no data: `energy` NaN is
    a bucket without any data, shown as missing, never as 0.
    """

    home_id: str
    home_name: str
    currency: str | None
    edges: FloatArray
    """UTC timestamps (seconds), one more than there are buckets."""
    energy: FloatArray
    """kWh."""
    average_power: FloatArray
    """W: kWh over the hours with data, x 1000 (the same unit at every aggregate)."""
    cost: FloatArray
    production: FloatArray
    complete: BoolArray
    """Every row the bucket can hold has data."""

    def __len__(self) -> int:
        """The number of buckets."""
        return len(self.energy)
