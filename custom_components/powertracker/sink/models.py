"""What every sink writes and how it fails (no Home Assistant imports)."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, Final, Protocol, Self, runtime_checkable

import numpy as np
import numpy.typing as npt

MEASURES: Final = (
    "power",
    "accumulated_consumption",
    "consumption_total",
    "accumulated_cost",
    "power_production",
    "accumulated_production",
)
"""The numeric `Sample` attributes every sink stores, in this order."""

type FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Sample:
    """One home's measurement at one poll, as a sink stores it.

    Units: W for power, kWh for energy, `currency` for money. Every value
    but `power` may be None (meters differ in what they send).
    """

    home_id: str
    time: datetime
    """Tibber's measurement timestamp (timezone-aware)."""
    power: float
    accumulated_consumption: float | None = None
    """kWh since local midnight, as Tibber reports it."""
    consumption_total: float | None = None
    """kWh, never decreasing: the meter register or Powertracker's running total."""
    accumulated_cost: float | None = None
    currency: str | None = None
    power_production: float | None = None
    accumulated_production: float | None = None

    def measures(self) -> list[tuple[str, float]]:
        """(name, value) of each of `MEASURES` that is set and finite.

        TypeError if a value is not a number.
        """
        pairs = []
        for name in MEASURES:
            value = getattr(self, name)
            if value is None:
                continue
            if not isinstance(value, int | float):
                raise TypeError(f"{name} is {type(value).__name__}, not a number")
            if math.isfinite(value):
                pairs.append((name, float(value)))
        return pairs

    def as_json(self) -> dict[str, Any]:
        """A JSON-safe dict (the outbox persists this)."""
        data = asdict(self)
        data["time"] = self.time.isoformat()
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Self:
        """The inverse of `as_json`."""
        return cls(**{**data, "time": datetime.fromisoformat(data["time"])})


@dataclass(frozen=True, slots=True)
class WriteResult:
    """What a sink did with a batch it accepted."""

    written: int
    dropped: int = 0
    """Samples the sink refused for good (they can never succeed): counted only."""

    def __add__(self, other: WriteResult) -> WriteResult:
        """Both results together (of a batch written in several requests)."""
        return WriteResult(self.written + other.written, self.dropped + other.dropped)


class SettingsError(ValueError):
    """Settings a sink cannot work with, found before it connects.

    `reason` is the translation key of the options flow's error (`sink_<reason>`
    in `strings.json`), `field` the form field at fault (None: the form as a
    whole), `placeholders` fill the translated text. The message (English, for
    logs) never contains secrets.
    """

    def __init__(
        self, reason: str, message: str, field: str | None = None, **placeholders: str
    ) -> None:
        """A setting that cannot work, and why."""
        super().__init__(message)
        self.reason = reason
        self.field = field
        self.placeholders = placeholders


class SinkError(Exception):
    """A write or check failed. `retryable` says whether trying again can help.

    The message is a whole English sentence for logs and repair notices;
    `detail` the short reason the options flow puts in its translated sentence
    of `reason` (the server's words, a status, a name), without the store's
    name or advice. Neither contains secrets (tokens, keys, passwords).
    """

    retryable = True
    reason = "unknown"
    """Translation key of the options flow error (`strings.json`)."""

    def __init__(self, message: str, detail: str | None = None) -> None:
        """An error saying `message`; `detail` defaults to the message."""
        super().__init__(message)
        self.detail = message if detail is None else detail


class SinkAuthError(SinkError):
    """The credentials are wrong."""

    retryable = False
    reason = "sink_invalid_auth"


class SinkPermissionError(SinkError):
    """The credentials are valid but may not do this."""

    retryable = False
    reason = "sink_permission_denied"


class SinkNotFoundError(SinkError):
    """The database, bucket or table does not exist."""

    retryable = False
    reason = "sink_not_found"


class SinkUnreachableError(SinkError):
    """No answer: DNS, refused connection, timeout, TLS, or a 5xx/throttle."""

    reason = "sink_unreachable"


class Sink(Protocol):
    """A time-series store."""

    async def validate(self) -> None:
        """Connect and check the settings (provisioning what may be created)."""

    async def write(self, samples: list[Sample]) -> WriteResult:
        """Store `samples` (one home's or several, oldest first); idempotent."""

    async def close(self) -> None:
        """Release connections the sink owns."""


@runtime_checkable
class SampleReader(Protocol):
    """A store the export reads five-minute detail back from.

    The archive is one; so are the sinks that can be queried (InfluxDB,
    Timestream). Reads raise the `SinkError` that says what went wrong.
    """

    async def columns(
        self, home_id: str, names: tuple[str, ...], start: datetime, end: datetime
    ) -> dict[str, FloatArray]:
        """`home_id`'s samples in [start, end) and the one before, as columns.

        "time" (UTC seconds) and each of `names` (of `MEASURES`; NaN where a
        value is missing), oldest first. The sample before `start` lets a
        caller take differences from the first sample on.
        """

    async def oldest(self, home_id: str) -> datetime | None:
        """The time of `home_id`'s oldest sample (None: it has none)."""
