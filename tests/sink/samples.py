"""Samples for the sink tests: one instant, one set of exactly printable values."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from custom_components.powertracker.sink.models import Sample

T0 = datetime(2026, 11, 28, 12, 34, 56, tzinfo=UTC)
T0_S = 1_795_869_296
"""`T0` in seconds since the epoch."""
VALUES = {
    "power": 1234.5,
    "accumulated_consumption": 12.25,
    "consumption_total": 40123.5,
    "accumulated_cost": 31.75,
    "power_production": 0.0,
    "accumulated_production": 1.5,
}
"""Every measure of a `full_sample`, in the order sinks store them."""


def sample(home_id: str = "villa", time: datetime = T0, **values: Any) -> Sample:
    """A sample with only the values given (and power: 1234.5 unless given)."""
    return Sample(home_id=home_id, time=time, **{"power": VALUES["power"], **values})


def full_sample(home_id: str = "villa", time: datetime = T0) -> Sample:
    """A sample with every value set, and currency SEK."""
    return Sample(home_id=home_id, time=time, currency="SEK", **VALUES)


def series(
    home_id: str, count: int, step: timedelta = timedelta(seconds=1), **values: Any
) -> list[Sample]:
    """`count` samples of `home_id`, `step` apart from `T0` on."""
    return [sample(home_id, T0 + index * step, **values) for index in range(count)]
