"""What each poll feeds, in one place: the hourly statistics, the archive, the sink.

Every poll that succeeds goes to:

- `HourlyStatistics.async_add_poll`: the hours the poll saw end;
- the archive's `Forwarder` (unless the options turn it off) and the sink's
  (when one is configured): one sample per home with a new measurement.

The statistics also import Tibber's history: at start (then the first poll's
hours, for an hour that ended meanwhile) and every hour after. A rejected token
during an import starts reauthentication (`meter/answers.py`). The pipeline
builds the stores from the options, loads the outboxes, and shuts the
forwarders down with the entry.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from datetime import datetime, timedelta
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator

from ..const import CONF_BACKFILL_DAYS, DEFAULT_BACKFILL_DAYS, DOMAIN
from ..meter.state import HomeState
from ..sink.archive import SampleArchive
from ..sink.models import SampleReader, Sink
from ..tibber import Home, InvalidTokenError, TibberClient
from .forwarder import ARCHIVE, SINK, Forwarder, Route
from .statistics import HourlyStatistics, span_store
from .stores import archive_of, create_sink, sink_name, sink_settings

type Poll = dict[str, HomeState]
HISTORY_INTERVAL = timedelta(hours=1)
"""How often Tibber's history is imported again."""
_LOGGER = logging.getLogger(__name__)


class Pipeline:
    """An entry's consumers of polls, from the first poll to the entry's unload."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry,
        statistics: HourlyStatistics,
        archive: Forwarder[SampleArchive] | None,
        sink: Forwarder[Sink] | None,
    ) -> None:
        """Feed `statistics`, `archive` and `sink` (None: not there)."""
        self._hass = hass
        self._entry = entry
        self.statistics = statistics
        """The hourly statistics' one writer (listeners hear of new rows)."""
        self.archive = archive
        """Keeps each poll's samples in the local archive (None: turned off)."""
        self.sink = sink
        """Sends each poll's samples to the configured sink (None: no sink)."""
        self.sink_name = sink_name(sink_settings(entry.options))
        """What errors call the sink: its kind and database, no secret."""

    @classmethod
    async def async_create(
        cls,
        hass: HomeAssistant,
        entry: ConfigEntry,
        client: TibberClient,
        homes: list[Home],
    ) -> Pipeline:
        """The pipeline of `entry`'s options, loaded; shut down with the entry."""
        statistics = HourlyStatistics(
            hass,
            client,
            homes,
            entry.options.get(CONF_BACKFILL_DAYS, DEFAULT_BACKFILL_DAYS),
            span_store(hass, entry.entry_id),
        )
        await statistics.async_load()
        sink = await _async_sink(hass, entry)
        archive = archive_of(hass, entry.entry_id, entry.title, entry.options)
        archiver = (
            await _async_forward(hass, entry, archive, ARCHIVE) if archive else None
        )
        return cls(hass, entry, statistics, archiver, sink)

    @property
    def readable_sink(self) -> SampleReader | None:
        """The sink, if the export can read samples back from it."""
        sink = self.sink.sink if self.sink else None
        return sink if isinstance(sink, SampleReader) else None

    @callback
    def async_start(self, coordinator: DataUpdateCoordinator[Poll]) -> None:
        """Feed the first poll and every poll that succeeds; import every hour."""
        first = coordinator.data
        self._background(self._async_first_import(first), "history import")
        jobs: list[tuple[str, Callable[[Poll], Coroutine[Any, Any, None]]]] = [
            ("hours", self.statistics.async_add_poll)
        ]
        for forwarder in (self.archive, self.sink):
            if forwarder is not None:
                # The first refresh's samples, and what waited since the last run.
                self._background(forwarder.async_add_poll(first), forwarder.route.name)
                jobs.append((forwarder.route.name, forwarder.async_add_poll))

        @callback
        def _each_poll() -> None:
            if coordinator.last_update_success and coordinator.data:
                for name, job in jobs:
                    self._background(job(coordinator.data), name)

        @callback
        def _hourly(_now: datetime) -> None:
            self._background(self._async_import(), "history import")

        entry = self._entry
        entry.async_on_unload(coordinator.async_add_listener(_each_poll))
        entry.async_on_unload(
            async_track_time_interval(self._hass, _hourly, HISTORY_INTERVAL)
        )

    async def _async_first_import(self, first: Poll) -> None:
        await self._async_import()
        await self.statistics.async_add_poll(first)  # an hour that ended meanwhile

    async def _async_import(self) -> None:
        """Import Tibber's history; a rejected token starts reauthentication."""
        try:
            await self.statistics.async_import()
        except InvalidTokenError:
            self._entry.async_start_reauth(self._hass)

    def _background(self, job: Coroutine[Any, Any, None], name: str) -> None:
        self._entry.async_create_background_task(
            self._hass, job, f"{DOMAIN} {name} {self._entry.title}"
        )


async def _async_sink(
    hass: HomeAssistant, entry: ConfigEntry
) -> Forwarder[Sink] | None:
    """The forwarder to the configured sink, if there is one."""
    try:
        sink = create_sink(hass, sink_settings(entry.options))
    except ValueError as err:  # the options flow validates; stored options may not
        _LOGGER.error(  # noqa: TRY400 - the message says it all; no traceback
            "Not sending to the sink of %s: %s. Fix it in the options", entry.title, err
        )
        return None
    if sink is None:
        return None
    return await _async_forward(hass, entry, sink, SINK)


async def _async_forward[S: Sink](
    hass: HomeAssistant, entry: ConfigEntry, sink: S, route: Route
) -> Forwarder[S]:
    """A loaded forwarder to `sink`, shut down with the entry."""
    forwarder = Forwarder(hass, entry.entry_id, entry.title, sink, route)
    await forwarder.async_load()
    entry.async_on_unload(forwarder.async_shutdown)
    return forwarder
