"""The typed runtime data of a config entry: the top of the glue."""

from __future__ import annotations

from dataclasses import dataclass

from homeassistant.config_entries import ConfigEntry, ConfigEntryState
from homeassistant.core import HomeAssistant

from .capacity import CapacityTracker, Tariffs
from .chart import Charts
from .const import DOMAIN
from .coordinator import PowertrackerCoordinator
from .record.forwarder import Forwarder
from .record.pipeline import Pipeline
from .record.statistics import HourlyStatistics
from .sink.archive import SampleArchive
from .sink.models import SampleReader, Sink


@dataclass(frozen=True, slots=True)
class StoreReaders:
    """The stores an export reads samples back from (handed to it, never looked for)."""

    archive: SampleReader | None
    """The five-minute archive (None: turned off)."""
    sink: SampleReader | None
    """The sink, if one is configured and can be read back."""
    sink_name: str
    """What errors call the sink ("InfluxDB database 'home'"); no secrets."""


@dataclass(slots=True)
class RuntimeData:
    """What a loaded entry holds."""

    coordinator: PowertrackerCoordinator
    pipeline: Pipeline
    """What each poll feeds: hourly statistics, archive, sink."""
    charts: Charts
    """Each home's chart settings (the selects set them, the image draws them)."""
    tariffs: Tariffs
    """Each home's capacity tariff (a select sets it, the capacity sensors read it)."""
    capacity: CapacityTracker
    """Each home's month under its tariff, from stored data."""

    @property
    def statistics(self) -> HourlyStatistics:
        """The hourly statistics' one writer (listeners hear of new rows)."""
        return self.pipeline.statistics

    @property
    def forwarder(self) -> Forwarder[Sink] | None:
        """Sends each poll's samples to the configured sink (None: no sink)."""
        return self.pipeline.sink

    @property
    def archive(self) -> Forwarder[SampleArchive] | None:
        """Keeps each poll's samples in the local archive (None: turned off)."""
        return self.pipeline.archive

    @property
    def readers(self) -> StoreReaders:
        """The stores the export may read samples back from."""
        archive = self.pipeline.archive
        return StoreReaders(
            archive.sink if archive else None,
            self.pipeline.readable_sink,
            self.pipeline.sink_name,
        )


type PowertrackerConfigEntry = ConfigEntry[RuntimeData]


def loaded_entry(hass: HomeAssistant, home_id: str) -> PowertrackerConfigEntry | None:
    """The loaded entry that polls a Tibber home (None: none does)."""
    entry: PowertrackerConfigEntry
    for entry in hass.config_entries.async_entries(DOMAIN, include_disabled=False):
        if (
            entry.state is ConfigEntryState.LOADED
            and home_id in entry.runtime_data.coordinator.homes
        ):
            return entry
    return None
