"""A measuring helper that scripts/footprint installs in its Home Assistants only.

Never shipped: it lives in scripts/, and scripts/footprint links it into the
configuration folder of the two `hass` it starts (one with Powertracker, one
without), so both carry the same helper. Its actions answer with figures:

- `footprint_probe.idle` {seconds}: the CPU time each thread of this process
  used while nothing was asked of it (the reference for a poll).
- `footprint_probe.instrument`: from now on, count the CPU time the event loop
  spends in each part of a Powertracker poll (the live snapshot, the entities,
  the hourly statistics, the archive). Called before the entry is set up, since
  the entry binds those methods when it subscribes them to its polls.
- `footprint_probe.polls` {count, gap}: force `count` polls `gap` seconds
  apart; the CPU time of each thread and of each part over them.
- `footprint_probe.profile` {gap}: one poll under cProfile (every thread of
  Python 3.12 and later), its busiest functions as text.
- `footprint_probe.modules`: the top-level modules imported so far.

CPU time comes from /proc/self/task/*/schedstat (nanoseconds, per thread), so
it is the process's own work, whatever else runs on the machine.
"""

from __future__ import annotations

import asyncio
import cProfile
import io
import pstats
import sys
import time
from collections import Counter
from collections.abc import Callable, Coroutine, Generator
from pathlib import Path
from typing import Any

import voluptuous as vol
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
)
from homeassistant.helpers.typing import ConfigType
from homeassistant.requirements import async_get_integration_with_requirements

DOMAIN = "footprint_probe"
PLAUSIBLE = 0.05
"""Seconds of CPU time no function of one poll takes (the profile's sanity bound)."""
PARTS: Counter[str] = Counter()
"""Seconds of event-loop CPU time per part since the last `polls`."""


def thread_cpu() -> Counter[str]:
    """CPU seconds used so far by the live threads of this process, by name."""
    used: Counter[str] = Counter()
    for task in Path("/proc/self/task").iterdir():
        try:
            name = (task / "comm").read_text().strip()
            ns = int((task / "schedstat").read_text().split()[0])
        except (OSError, ValueError):
            continue  # the thread ended meanwhile
        # Numbered pools (SyncWorker_3, powertracker_archive_0) count as one.
        used[name.rstrip("0123456789").rstrip("_")] += ns / 1e9
    return used


class _Timed:
    """Await a coroutine, adding the CPU time of each of its steps to PARTS[part]."""

    def __init__(self, coro: Coroutine[Any, Any, Any], part: str) -> None:
        self._coro = coro
        self._part = part

    def __await__(self) -> Generator[Any, Any, Any]:
        send: Any = None
        error: BaseException | None = None
        while True:
            started = time.thread_time()
            try:
                if error is None:
                    step = self._coro.send(send)
                else:
                    step = self._coro.throw(error)
            except StopIteration as done:
                return done.value
            finally:
                PARTS[self._part] += time.thread_time() - started
            try:
                send, error = (yield step), None
            except BaseException as err:
                send, error = None, err


def _timed_coroutine(
    method: Callable[..., Coroutine[Any, Any, Any]], part: str
) -> Callable[..., Coroutine[Any, Any, Any]]:
    async def timed(*args: Any, **kwargs: Any) -> Any:
        return await _Timed(method(*args, **kwargs), part)

    return timed


def _timed_callback(method: Callable[..., Any], part: str) -> Callable[..., Any]:
    def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.thread_time()
        try:
            return method(*args, **kwargs)
        finally:
            PARTS[part] += time.thread_time() - started

    return timed


def _instrument() -> None:
    """Wrap the methods of each part of a poll (once)."""
    from custom_components.powertracker.coordinator import (  # noqa: PLC0415
        PowertrackerCoordinator,
    )
    from custom_components.powertracker.record.forwarder import Forwarder  # noqa: PLC0415
    from custom_components.powertracker.record.statistics import (  # noqa: PLC0415
        HourlyStatistics,
    )

    if getattr(PowertrackerCoordinator, "_footprint", False):
        return
    PowertrackerCoordinator._footprint = True  # type: ignore[attr-defined]
    PowertrackerCoordinator._async_update_data = _timed_coroutine(  # type: ignore[method-assign]
        PowertrackerCoordinator._async_update_data, "live snapshot"
    )
    # Every entity of the entry, and the poll's subscribers, hear of it here.
    PowertrackerCoordinator.async_update_listeners = _timed_callback(  # type: ignore[method-assign]
        PowertrackerCoordinator.async_update_listeners, "entities (sensors, chart)"
    )
    HourlyStatistics.async_add_poll = _timed_coroutine(  # type: ignore[method-assign]
        HourlyStatistics.async_add_poll, "hourly statistics"
    )
    Forwarder.async_add_poll = _timed_coroutine(  # type: ignore[method-assign]
        Forwarder.async_add_poll, "archive write (event loop)"
    )


def _busiest(stats: pstats.Stats, lines: int) -> str:
    """The functions with the most CPU time, own and with callees, in ms."""
    # One profiler over every thread with a per-thread clock: a function that
    # waits while other threads run (the loop's select, a queue's get) gets
    # their time or a negative one. Those are left out.
    rows = [
        (own, total, calls, f"{Path(file).name}:{line}({name})")
        for (file, line, name), (_, calls, own, total, _) in stats.stats.items()  # type: ignore[attr-defined]
        if 0 <= own <= total < PLAUSIBLE
    ]
    text = io.StringIO()
    for title, key in (("own time", 0), ("with callees", 1)):
        text.write(f"  by {title}:   own ms  total ms   calls  function\n")
        for own, total, calls, where in sorted(rows, key=lambda r: -r[key])[:lines]:
            text.write(f"  {own * 1000:22.3f}{total * 1000:10.3f}{calls:8d}  {where}\n")
    return text.getvalue()


def _coordinator(hass: HomeAssistant) -> Any:
    entries = hass.config_entries.async_entries("powertracker")
    return entries[0].runtime_data.coordinator


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the probe's actions."""

    async def cpu() -> Counter[str]:
        return await hass.async_add_executor_job(thread_cpu)  # reads /proc

    async def idle(call: ServiceCall) -> ServiceResponse:
        before = await cpu()
        await asyncio.sleep(call.data["seconds"])
        return {"threads": dict(await cpu() - before)}

    async def instrument(call: ServiceCall) -> ServiceResponse:
        # Powertracker's requirements first, as the config flow would install them.
        await async_get_integration_with_requirements(hass, "powertracker")
        await hass.async_add_executor_job(_instrument)  # imports read files
        return {"instrumented": True}

    async def polls(call: ServiceCall) -> ServiceResponse:
        coordinator = _coordinator(hass)
        PARTS.clear()
        before = await cpu()
        failed = 0
        for _ in range(call.data["count"]):
            await coordinator.async_refresh()
            failed += not coordinator.last_update_success
            await asyncio.sleep(call.data["gap"])
        return {
            "threads": dict(await cpu() - before),
            "parts": dict(PARTS),
            "failed": failed,
        }

    async def profile(call: ServiceCall) -> ServiceResponse:
        coordinator = _coordinator(hass)
        # CPU time of the thread a function runs in (cProfile sees every thread).
        profiler = cProfile.Profile(time.thread_time)
        profiler.enable()
        await coordinator.async_refresh()
        await asyncio.sleep(call.data["gap"])  # the poll's background tasks
        profiler.disable()
        return {"text": _busiest(pstats.Stats(profiler), call.data["lines"])}

    async def modules(call: ServiceCall) -> ServiceResponse:
        return {"modules": sorted({name.split(".")[0] for name in sys.modules})}

    seconds = vol.Schema({vol.Required("seconds"): vol.Coerce(float)})
    count = vol.Schema(
        {vol.Required("count"): vol.Coerce(int), vol.Required("gap"): vol.Coerce(float)}
    )
    lines = vol.Schema(
        {vol.Required("gap"): vol.Coerce(float), vol.Optional("lines", default=30): int}
    )
    only = SupportsResponse.ONLY
    hass.services.async_register(DOMAIN, "idle", idle, seconds, only)
    hass.services.async_register(DOMAIN, "instrument", instrument, None, only)
    hass.services.async_register(DOMAIN, "polls", polls, count, only)
    hass.services.async_register(DOMAIN, "profile", profile, lines, only)
    hass.services.async_register(DOMAIN, "modules", modules, None, only)
    return True
