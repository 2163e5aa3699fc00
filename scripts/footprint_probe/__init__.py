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
- `footprint_probe.memory` {trim}: where the resident memory is: the
  process's smaps (anonymous, file-backed), glibc's heap (in use, free but
  kept), SQLite's own allocations (its page caches: every connection of the
  process), Python's allocated blocks; with `trim`, the RSS after glibc hands
  its free memory back (`malloc_trim`, an experiment: it tells memory kept
  by fragmentation from live objects).
- `footprint_probe.imported`: waits until Powertracker's history imports
  (background tasks) have ended and the recorder has committed them.
- `footprint_probe.fill` {rows}: gives this Home Assistant the same recorder
  content and HA-side state as one with Powertracker (see `_fill`).
- `footprint_probe.trace` {top}: Python's allocations since `instrument`
  (tracemalloc, when started with `trace`): now, at the peak, and the
  biggest by file and line.

CPU time comes from /proc/self/task/*/schedstat (nanoseconds, per thread), so
it is the process's own work, whatever else runs on the machine.
"""

from __future__ import annotations

import asyncio
import cProfile
import ctypes
import ctypes.util
import gc
import io
import pstats
import sys
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable, Coroutine, Generator
from datetime import timedelta
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


class _MallInfo2(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_size_t)
        for name in (
            "arena",
            "ordblks",
            "smblks",
            "hblks",
            "hblkhd",
            "usmblks",
            "fsmblks",
            "uordblks",
            "fordblks",
            "keepcost",
        )
    ]


def _smaps() -> dict[str, float]:
    """/proc/self/smaps_rollup's sizes, MiB."""
    sizes = {}
    for line in Path("/proc/self/smaps_rollup").read_text().splitlines()[1:]:
        name, value, *_ = line.split()
        sizes[name.rstrip(":")] = int(value) / 1024
    return sizes


def _memory(trim: bool) -> dict[str, Any]:
    """Where the resident memory is, MiB (see the module's docstring)."""
    libc = ctypes.CDLL(ctypes.util.find_library("c"))
    libc.mallinfo2.restype = _MallInfo2
    sqlite = ctypes.CDLL(ctypes.util.find_library("sqlite3"))
    current, peak = ctypes.c_int64(), ctypes.c_int64()
    # SQLITE_STATUS_MEMORY_USED: every sqlite3_malloc of the process, its page
    # caches included (the default page cache allocates through it).
    sqlite.sqlite3_status64(0, ctypes.byref(current), ctypes.byref(peak), 0)
    heap = libc.mallinfo2()
    smaps = _smaps()
    found: dict[str, Any] = {
        "rss": smaps["Rss"],
        "anonymous": smaps["Anonymous"],
        "file": smaps["Rss"] - smaps["Anonymous"],
        "heap_in_use": (heap.uordblks + heap.hblkhd) / 2**20,
        "heap_free_kept": heap.fordblks / 2**20,
        "heap_arena": heap.arena / 2**20,
        "sqlite": current.value / 2**20,
        "sqlite_peak": peak.value / 2**20,
        "python_blocks": sys.getallocatedblocks(),
        "gc_objects": len(gc.get_objects()),
    }
    if trim:
        libc.malloc_trim(0)
        found["rss_trimmed"] = _smaps()["Rss"]
    return found


def _trace(top: int) -> dict[str, Any]:
    """tracemalloc's figures since `instrument` (MiB) and its top lines."""
    if not tracemalloc.is_tracing():
        return {}
    current, peak = tracemalloc.get_traced_memory()
    snapshot = tracemalloc.take_snapshot().filter_traces(
        [tracemalloc.Filter(False, tracemalloc.__file__)]
    )
    lines = [
        f"{stat.size / 2**20:8.2f} MiB {stat.count:8d}  {stat.traceback[0]}"
        for stat in snapshot.statistics("lineno")[:top]
    ]
    return {"current": current / 2**20, "peak": peak / 2**20, "top": lines}


FILL_BATCH = 24 * 7


async def _fill(hass: HomeAssistant, rows: dict[str, int]) -> None:
    """Write hourly statistics of as many rows as `rows` gives per statistic
    (what Powertracker imported in the other Home Assistant), a batch at a time,
    and slugify a non-ASCII name as Home Assistant does for an entity id.

    What a long-running Home Assistant has anyway, and a fresh one does not:
    SQLite's page cache of a recorder database with statistics in it (the
    recorder's connections cache up to 16 MiB each), and the table Home
    Assistant's slugify loads the first time a name is not ASCII (text-unidecode,
    about 3 MiB: any area, device or entity named in Swedish, Norwegian or
    German). Powertracker's own work (its import, its objects) is not copied.
    """
    from homeassistant.components.recorder.models import (  # noqa: PLC0415
        StatisticData,
        StatisticMeanType,
        StatisticMetaData,
    )
    from homeassistant.components.recorder.statistics import (  # noqa: PLC0415
        async_add_external_statistics,
    )
    from homeassistant.helpers.recorder import get_instance  # noqa: PLC0415
    from homeassistant.util import dt as dt_util, slugify  # noqa: PLC0415

    slugify("Sjövägen 7")
    recorder = get_instance(hass)
    hour = dt_util.utcnow().replace(minute=0, second=0, microsecond=0)
    for number, count in enumerate(rows.values()):
        metadata = StatisticMetaData(
            mean_type=StatisticMeanType.NONE,
            has_sum=True,
            name=f"Footprint {number}",
            source=DOMAIN,
            statistic_id=f"{DOMAIN}:fill_{number}",
            unit_class="energy",
            unit_of_measurement="kWh",
        )
        first = hour - timedelta(hours=count)
        for done in range(0, count, FILL_BATCH):
            batch = [
                StatisticData(
                    start=first + timedelta(hours=i), state=0.5, sum=0.5 * (i + 1)
                )
                for i in range(done, min(done + FILL_BATCH, count))
            ]
            async_add_external_statistics(hass, metadata, batch)
            await recorder.async_block_till_done()


async def _imported(hass: HomeAssistant) -> None:
    """Wait for Powertracker's history imports and the recorder's commits."""
    from homeassistant.helpers.recorder import get_instance  # noqa: PLC0415

    importing = [
        task for task in asyncio.all_tasks() if "history import" in task.get_name()
    ]
    if importing:
        await asyncio.wait(importing)
    await get_instance(hass).async_block_till_done()


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
        if call.data.get("trace"):
            tracemalloc.start()
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

    async def memory(call: ServiceCall) -> ServiceResponse:
        return await hass.async_add_executor_job(_memory, call.data["trim"])

    async def imported(call: ServiceCall) -> ServiceResponse:
        await _imported(hass)
        return {"imported": True}

    async def fill(call: ServiceCall) -> ServiceResponse:
        await _fill(hass, call.data["rows"])
        return {"filled": True}

    async def trace(call: ServiceCall) -> ServiceResponse:
        return await hass.async_add_executor_job(_trace, call.data["top"])

    seconds = vol.Schema({vol.Required("seconds"): vol.Coerce(float)})
    count = vol.Schema(
        {vol.Required("count"): vol.Coerce(int), vol.Required("gap"): vol.Coerce(float)}
    )
    lines = vol.Schema(
        {vol.Required("gap"): vol.Coerce(float), vol.Optional("lines", default=30): int}
    )
    only = SupportsResponse.ONLY
    hass.services.async_register(
        DOMAIN,
        "memory",
        memory,
        vol.Schema({vol.Optional("trim", default=False): bool}),
        only,
    )
    hass.services.async_register(DOMAIN, "imported", imported, None, only)
    hass.services.async_register(
        DOMAIN, "fill", fill, vol.Schema({vol.Required("rows"): dict}), only
    )
    hass.services.async_register(
        DOMAIN, "trace", trace, vol.Schema({vol.Optional("top", default=15): int}), only
    )
    hass.services.async_register(DOMAIN, "idle", idle, seconds, only)
    hass.services.async_register(
        DOMAIN,
        "instrument",
        instrument,
        vol.Schema({vol.Optional("trace", default=False): bool}),
        only,
    )
    hass.services.async_register(DOMAIN, "polls", polls, count, only)
    hass.services.async_register(DOMAIN, "profile", profile, lines, only)
    hass.services.async_register(DOMAIN, "modules", modules, None, only)
    return True
