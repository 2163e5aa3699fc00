"""Powertracker: records the electricity use of Tibber homes in Home Assistant."""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from datetime import datetime, timedelta
from typing import Any

from homeassistant.const import CONF_TOKEN, Platform
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import (
    config_validation as cv,
    device_registry as dr,
    issue_registry as ir,
)
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.helpers.typing import ConfigType

from .api import create_client
from .chart import Charts
from .compat import remove_entry_device
from .const import (
    CONF_BACKFILL_DAYS,
    DEFAULT_BACKFILL_DAYS,
    DOMAIN,
)
from .coordinator import PowertrackerCoordinator, connections_issue_id
from .data import HomeState, PowertrackerConfigEntry, RuntimeData
from .entity import device_home_id
from .export.service import async_register_services
from .export.view import ExportView
from .forwarder import ARCHIVE, SINK, Forwarder, Route
from .sink.archive import remove_archive
from .sink.models import Sink
from .sinks import (
    archive_of,
    archive_path,
    create_sink,
    set_aside_issue_id,
    sink_settings,
)
from .statistics import HourlyStatistics, span_store
from .totals import store

type PollData = dict[str, HomeState]
type PollJob = Callable[[PollData], Coroutine[Any, Any, None]]

PLATFORMS: list[Platform] = [Platform.IMAGE, Platform.SELECT, Platform.SENSOR]
CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)
HISTORY_INTERVAL = timedelta(hours=1)
_LOGGER = logging.getLogger(__name__)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the export endpoint and action (once, for every entry)."""
    hass.http.register_view(ExportView())
    async_register_services(hass)
    return True


async def async_setup_entry(
    hass: HomeAssistant, entry: PowertrackerConfigEntry
) -> bool:
    """Check the token, learn the homes, take the first snapshot, add the entities."""
    client = create_client(hass, entry.data[CONF_TOKEN])
    coordinator = PowertrackerCoordinator(hass, entry, client)
    await coordinator.async_config_entry_first_refresh()
    statistics = HourlyStatistics(
        hass,
        client,
        list(coordinator.homes.values()),
        entry.options.get(CONF_BACKFILL_DAYS, DEFAULT_BACKFILL_DAYS),
        span_store(hass, entry.entry_id),
    )
    await statistics.async_load()
    forwarder = await _async_forwarder(hass, entry)
    archive = archive_of(hass, entry.entry_id, entry.title, entry.options)
    archiver = await _async_forward(hass, entry, archive, ARCHIVE) if archive else None
    entry.runtime_data = RuntimeData(
        coordinator=coordinator,
        statistics=statistics,
        charts=Charts(),
        forwarder=forwarder,
        archive=archiver,
    )
    _remove_stale_devices(hass, entry, set(coordinator.homes))
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)

    def _background(job: Coroutine[Any, Any, None], name: str) -> None:
        entry.async_create_background_task(hass, job, f"{DOMAIN} {name} {entry.title}")

    def _each_poll(
        name: str, job: Callable[[PollData], Coroutine[Any, Any, None]]
    ) -> None:
        """Run `job` with the data of every poll that succeeds."""

        @callback
        def _run() -> None:
            if coordinator.last_update_success and coordinator.data:
                _background(job(coordinator.data), name)

        entry.async_on_unload(coordinator.async_add_listener(_run))

    async def _first_import(first_poll: PollData) -> None:
        await statistics.async_import()
        await statistics.async_add_poll(first_poll)  # an hour that ended meanwhile

    @callback
    def _hourly(_now: datetime) -> None:
        _background(statistics.async_import(), "history import")
        _background(coordinator.account.async_follow(), "homes")

    _background(_first_import(coordinator.data), "history import")
    _each_poll("hours", statistics.async_add_poll)
    for each in (archiver, forwarder):
        if each is not None:
            # The first refresh's samples, and what waited since the last run.
            _background(each.async_add_poll(coordinator.data), each.route.name)
            _each_poll(each.route.name, each.async_add_poll)
    entry.async_on_unload(async_track_time_interval(hass, _hourly, HISTORY_INTERVAL))
    return True


async def _async_forwarder(
    hass: HomeAssistant, entry: PowertrackerConfigEntry
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
    hass: HomeAssistant, entry: PowertrackerConfigEntry, sink: S, route: Route
) -> Forwarder[S]:
    """A loaded forwarder to `sink`, shut down with the entry."""
    forwarder = Forwarder(hass, entry.entry_id, entry.title, sink, route)
    await forwarder.async_load()
    entry.async_on_unload(forwarder.async_shutdown)
    return forwarder


async def async_unload_entry(
    hass: HomeAssistant, entry: PowertrackerConfigEntry
) -> bool:
    """Unload the sensors; the coordinator's timer goes with the entry."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_entry(
    hass: HomeAssistant, entry: PowertrackerConfigEntry
) -> None:
    """Forget the stored totals, outboxes, history span and archive, and the issues."""
    await store(hass, entry.entry_id).async_remove()
    await span_store(hass, entry.entry_id).async_remove()
    await hass.async_add_executor_job(
        remove_archive, archive_path(hass, entry.entry_id)
    )
    ir.async_delete_issue(hass, DOMAIN, connections_issue_id(entry.entry_id))
    ir.async_delete_issue(hass, DOMAIN, set_aside_issue_id(entry.entry_id))
    for route in (SINK, ARCHIVE):
        await route.store(hass, entry.entry_id).async_remove()
        ir.async_delete_issue(hass, DOMAIN, route.issue_id(entry.entry_id))


def _remove_stale_devices(
    hass: HomeAssistant, entry: PowertrackerConfigEntry, home_ids: set[str]
) -> None:
    """Drop the devices of homes no longer selected (or no longer on the account)."""
    registry = dr.async_get(hass)
    for device in dr.async_entries_for_config_entry(registry, entry.entry_id):
        if device_home_id(device.identifiers) not in home_ids:
            remove_entry_device(registry, device, entry.entry_id)
