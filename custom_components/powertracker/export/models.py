"""What an export passes from the recorder to a renderer (no Home Assistant imports)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import numpy.typing as npt

from ..sink.models import FloatArray, SampleReader

DEFAULT_WIDTH = 1152
DEFAULT_HEIGHT = 288
"""The size of an exported PNG unless asked otherwise (the original exporter's)."""


class Aggregate(StrEnum):
    """Bucket sizes (the original exporter's names, plus a week)."""

    FIVE_MINUTES = "5m"
    QUARTER_HOUR = "15m"
    """The EU's settlement period since 2025; what quarter-hour capacity
    tariffs count (Flanders)."""
    HOUR = "1h"
    DAY = "1d"
    WEEK = "1w"
    MONTH = "1M"


class Output(StrEnum):
    """What the export produces."""

    CSV = "csv"
    PNG = "png"


class ReadFrom(StrEnum):
    """Where an export reads its five-minute detail (`source`).

    `auto`: the recorder's 5-minute statistics where they reach, the archive
    before them (and after them: five minutes not compiled yet), the sink
    before the archive's oldest sample; a store that does not answer is left
    out and said (`Gap`); hourly and coarser aggregates read the hourly
    statistics. `recorder` reads only Home
    Assistant's statistics; `archive` and `sink` read only that store's
    samples, at any aggregate.
    """

    AUTO = "auto"
    RECORDER = "recorder"
    ARCHIVE = "archive"
    SINK = "sink"


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

    def rows(self, which: slice | BoolArray | IntArray) -> Series:
        """This series with only the rows `which`."""
        return Series(
            self.home_id,
            self.home_name,
            self.currency,
            *(getattr(self, name)[which] for name in _SERIES_COLUMNS),
        )

    def then(self, later: Series) -> Series:
        """The rows of this series, then those of `later` (named as this one)."""
        return Series(
            self.home_id,
            self.home_name,
            self.currency,
            *(
                np.concatenate((getattr(self, name), getattr(later, name)))
                for name in _SERIES_COLUMNS
            ),
        )


_SERIES_COLUMNS = ("seconds", "start", "energy", "cost", "production")


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

    def part(self, low: int, high: int) -> HomeBuckets:
        """Buckets `low` to `high` (excluded)."""
        return HomeBuckets(
            self.home_id,
            self.home_name,
            self.currency,
            self.edges[low : high + 1],
            self.energy[low:high],
            self.average_power[low:high],
            self.cost[low:high],
            self.production[low:high],
            self.complete[low:high],
        )


@dataclass(frozen=True, slots=True)
class CapacityMarks:
    """A home's month under its capacity tariff, drawn over a chart of it at the
    tariff's period (`Capacity` of `capacity.py`: what the *Capacity peak*
    sensor shows)."""

    peaks: tuple[tuple[float, float], ...]
    """The counted periods: (UTC start, weighted kW), highest first."""
    billed_kw: float
    period_seconds: int
    """3600 (hours) or 900 (quarter-hours)."""


@dataclass(frozen=True, slots=True)
class ExportHome:
    """A home the export can read, and the stores that hold its samples."""

    home_id: str
    """Tibber's id of the home."""
    name: str
    currency: str | None
    archive: SampleReader | None = None
    """The entry's five-minute archive (None: off, or the entry is not loaded)."""
    sink: SampleReader | None = None
    """The entry's sink, if it can be read back."""
    sink_name: str = "sink"
    """What errors call the sink ("InfluxDB database 'home'"); no secrets."""


@dataclass(frozen=True, slots=True)
class Gap:
    """Time at the edge of a home's rows that an export could not fill.

    Either a store did not answer (`store` names it by kind and database):
    its rows, if it holds any, are missing; or no store holds rows there
    (`store` None): the home's five-minute data begins at `end`.
    """

    home_name: str
    start: float
    """UTC timestamp (seconds)."""
    end: float
    store: str | None = None
    refused: bool = False
    """The store answered with a refusal (credentials, a missing database)."""
