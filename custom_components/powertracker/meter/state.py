"""What a poll tells of one home (no Home Assistant imports)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import tzinfo

from ..tibber import EnergyHour, Home, LiveMeasurement
from .live_hours import CompletedHour


@dataclass(frozen=True, slots=True)
class HomeState:
    """One home after a poll."""

    home: Home
    zone: tzinfo
    """The home's time zone: its local midnight resets the daily values."""
    measurement: LiveMeasurement | None
    """This poll's live measurement; None when the home stayed silent."""
    consumption_total: float | None
    """kWh ever consumed: the meter register, else Powertracker's running total."""
    production_total: float | None
    """kWh ever produced, likewise."""
    last_hour: EnergyHour | None
    """Latest complete hour from Tibber's history (homes without a real-time meter)."""
    completed: dict[str, CompletedHour]
    """The hours this poll saw end, per kind (consumption, production)."""

    @property
    def currency(self) -> str | None:
        """The currency Tibber reports: the live measurement's, else the last hour's."""
        if self.measurement is not None and self.measurement.currency:
            return self.measurement.currency
        return self.last_hour.currency if self.last_hour is not None else None
