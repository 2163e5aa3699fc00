"""Typed runtime data of a config entry, and what the coordinator hands entities."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import tzinfo
from typing import TYPE_CHECKING

from homeassistant.config_entries import ConfigEntry

from .chart import Charts
from .live_hours import CompletedHour
from .tibber import EnergyHour, Home, LiveMeasurement

if TYPE_CHECKING:
    from .coordinator import PowertrackerCoordinator
    from .forwarder import Forwarder
    from .sink.archive import SampleArchive
    from .sink.models import Sink
    from .statistics import HourlyStatistics


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


@dataclass(slots=True)
class RuntimeData:
    """What a loaded entry holds."""

    coordinator: PowertrackerCoordinator
    statistics: HourlyStatistics
    """The hourly statistics' one writer (listeners hear of new rows)."""
    charts: Charts
    """Each home's chart settings (the selects set them, the image draws them)."""
    forwarder: Forwarder[Sink] | None = None
    """Sends each poll's samples to the configured sink (None: no sink)."""
    archive: Forwarder[SampleArchive] | None = None
    """Keeps each poll's samples in the local archive (None: turned off)."""


type PowertrackerConfigEntry = ConfigEntry[RuntimeData]
