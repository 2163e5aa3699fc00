"""What an export passes from the recorder to a renderer (no Home Assistant imports)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


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


@dataclass(frozen=True, slots=True)
class Interval:
    """One statistics row of one home: what was used in [start, end)."""

    start: datetime
    end: datetime
    energy: float
    """kWh consumed."""
    cost: float | None = None
    production: float | None = None
    """kWh produced (returned to the grid)."""

    @property
    def hours(self) -> float:
        """Length in hours."""
        return (self.end.timestamp() - self.start.timestamp()) / 3600


@dataclass(frozen=True, slots=True)
class Series:
    """The input of one home: its intervals, sorted by start, all of one length."""

    home_id: str
    home_name: str
    currency: str | None
    intervals: Sequence[Interval]


@dataclass(frozen=True, slots=True)
class Bucket:
    """One bucket of one home (times in UTC). `energy` None means no data at all."""

    start: datetime
    end: datetime
    energy: float | None
    average_power: float | None
    """W: kWh over the hours with data, x 1000 (the same unit at every aggregate)."""
    cost: float | None
    production: float | None
    complete: bool
    """Every interval of the bucket has data."""


@dataclass(frozen=True, slots=True)
class HomeBuckets:
    """The buckets of one home over the whole export range."""

    home_id: str
    home_name: str
    currency: str | None
    buckets: list[Bucket]
