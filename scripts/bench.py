"""Benchmark the export against a synthetic year in a real recorder database.

Builds a SQLite recorder database in a temporary directory (a year of 5-minute
and hourly statistics for two homes, ten days of 5-minute states), starts a
Home Assistant with that recorder, and times, side by side:

- our export (`run_export`: parse + read + aggregate + render) as CSV
  and PNG;
- a plain sqlite3 SELECT of the rows each CSV export reads, taking turns with
  that export; a ratio is the median of the turns' ratios, so that a slow
  spell of this shared machine cannot fall on one side only;
- Home Assistant's history API over the same ten days;
- the longest event-loop stall and the peak extra memory (RSS high-water mark)
  while the exports run;
- the five-minute archive: two years of samples for both homes written
  through `SampleArchive.write`; its size per home-year; one poll's write
  into the full file; a CSV and PNGs of a year at 5m from it (`source=archive`)
  taking turns with a plain sqlite3 read of the rows that CSV reads;
- how fast a full sink outbox (a week, two homes) drains into a loopback
  influxd (Debian's InfluxDB 1.x, which scripts/test installs);
- capacity tariffs (`meter.tariff`): the peaks of every month of a year for
  both homes from the hourly statistics (Ellevio; read as the capacity
  tracker reads them, `capacity.read_hours`) and at quarter-hour basis from
  the archive's five-minute samples (Flanders: read through the archive, made
  quarters by `meter_rows`, as the tracker does), each read + computed taking
  turns with a plain read of the same rows, and the engine alone; and the
  per-poll update of the running period and its headroom.

Prints a table and PASS/FAIL per target; exits 0 unless something crashes.
Usage: scripts/bench [--reps N]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import logging
import os
import shutil
import sqlite3
import statistics as stats
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any
from unittest.mock import patch

import aiohttp
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# ruff: noqa: E402  (the repository root must be importable first)
from homeassistant.components.recorder import get_instance
from homeassistant.components.recorder.core import Recorder
from homeassistant.components.recorder.db_schema import (
    StateAttributes,
    States,
    StatesMeta,
    Statistics,
    StatisticsMeta,
    StatisticsShortTerm,
)
from homeassistant.components.recorder.history import get_significant_states
from homeassistant.components.recorder.statistics import statistics_during_period
from homeassistant.components.recorder.util import session_scope
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er, recorder as recorder_helper
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import async_test_home_assistant
from sqlalchemy import insert

from custom_components.powertracker.capacity import read_hours
from custom_components.powertracker.const import DOMAIN, statistic_id
from custom_components.powertracker.export import run as export_run
from custom_components.powertracker.export.csv import csv_chunks
from custom_components.powertracker.export.models import ExportHome
from custom_components.powertracker.export.params import ExportParams, parse
from custom_components.powertracker.export.read import read_series
from custom_components.powertracker.meter.readings import meter_rows
from custom_components.powertracker.meter.tariff import (
    PRESETS,
    Capacity,
    TariffRule,
    capacities,
    capacity,
    month_of,
)
from custom_components.powertracker.record.forwarder import Forwarder
from custom_components.powertracker.sink.archive import SampleArchive
from custom_components.powertracker.sink.influx import InfluxSink
from custom_components.powertracker.sink.models import Sample
from custom_components.powertracker.tibber.models import Address, Home
from loopback.influxd import INFLUX_DATABASE, INFLUXD, InfluxdServers

TIME_ZONE = "Europe/Stockholm"
YEAR_DAYS = 365
FIVE_MINUTES_PER_YEAR = YEAR_DAYS * 288  # 105,120
HOURS_PER_YEAR = YEAR_DAYS * 24  # 8,760
SENSOR_HOURLY_HOURS = 240
"""The sensors' own hourly statistics cover the last 10 days (as after an install)."""
STATE_DAYS = 11
"""Days of 5-minute states (10 read, one more for the state at the start)."""
STALL_TICK = 0.005


@dataclass(frozen=True)
class BenchHome:
    """A synthetic home: Powertracker's Home, its sensor slug and size."""

    home: Home
    slug: str
    scale: float

    @property
    def entity_id(self) -> str:
        """The consumption sensor."""
        return f"sensor.{self.slug}_energy_consumption"


HOMES = (
    BenchHome(
        Home(
            id="96a14971-525a-4420-aae9-e5aedaa129ff",
            nickname="Villa Solsidan",
            time_zone=TIME_ZONE,
            address=Address("Solsidan 1", "13150", "Saltsjö-Duvnäs", "SE"),
            real_time_consumption=True,
            subscription_status="running",
        ),
        "villa",
        1.0,
    ),
    BenchHome(
        Home(
            id="68e6938b-91a6-4199-a0d4-f24c22be87bb",
            nickname="Sjövägen 7",
            time_zone=TIME_ZONE,
            address=Address("Sjövägen 7", "76194", "Norrtälje", "SE"),
            real_time_consumption=False,
            subscription_status="running",
        ),
        "cabin",
        0.35,
    ),
)
ARCHIVE_YEARS = 2
ARCHIVE_BATCH = 2016
"""Samples per archive write while filling it (a week of one home)."""
POLL_WRITES = 200
"""Poll writes (one sample per home) timed into the full archive."""


# --------------------------------------------------------------------------- data


def consumption(rng: np.random.Generator, start_ts: float, scale: float) -> Any:
    """kWh per 5 minutes for a year: night base, morning and evening peaks,
    more in winter, noisy, with a few short spikes (sauna, car)."""
    ts = start_ts + 300.0 * np.arange(FIVE_MINUTES_PER_YEAR)
    hour = ((ts / 3600.0) + 1.0) % 24.0  # ~local (CET); shape only
    day_of_year = (ts / 86400.0) % 365.25
    shape = (
        0.35
        + 1.1 * np.exp(-(((hour - 7.5) / 1.2) ** 2))
        + 1.8 * np.exp(-(((hour - 18.5) / 2.0) ** 2))
    )
    season = 1.0 + 0.6 * np.cos(2 * np.pi * (day_of_year - 15.0) / 365.25)
    noise = rng.lognormal(0.0, 0.25, FIVE_MINUTES_PER_YEAR)
    spikes = (rng.random(FIVE_MINUTES_PER_YEAR) < 0.002) * rng.uniform(
        3.0, 9.0, FIVE_MINUTES_PER_YEAR
    )
    kw = scale * (shape * season * noise + spikes)
    return kw / 12.0


def build_database(instance: Any, end_ts: float) -> dict[str, Any]:
    """Bulk-insert the synthetic data through the recorder's session (executor)."""
    rng = np.random.default_rng(20260101)
    start_ts = end_ts - YEAR_DAYS * 86400.0
    ids: dict[str, Any] = {"short": [], "hourly": [], "entities": [], "tibber": []}
    counts = {"5m": 0, "1h": 0, "states": 0}
    with session_scope(session=instance.get_session()) as session:
        for bench in HOMES:
            kwh = consumption(rng, start_ts, bench.scale)
            meter = np.cumsum(kwh)
            sensor_meta = StatisticsMeta(
                statistic_id=bench.entity_id,
                source="recorder",
                unit_of_measurement="kWh",
                has_mean=False,
                has_sum=True,
                name=None,
            )
            external_meta = StatisticsMeta(
                statistic_id=statistic_id(
                    bench.home.id, bench.home.name, "consumption"
                ),
                source=DOMAIN,
                unit_of_measurement="kWh",
                has_mean=False,
                has_sum=True,
                name=f"{bench.home.name} hourly consumption",
            )
            session.add_all([sensor_meta, external_meta])
            session.flush()
            ids["short"].append(sensor_meta.id)
            ids["hourly"] += [external_meta.id, sensor_meta.id]
            ids["tibber"].append(external_meta.id)

            # 5-minute statistics of the sensor: state and sum are the meter.
            starts = start_ts + 300.0 * np.arange(FIVE_MINUTES_PER_YEAR)
            short_rows = [
                {
                    "metadata_id": sensor_meta.id,
                    "created_ts": start + 310.0,
                    "start_ts": start,
                    "state": total,
                    "sum": total,
                }
                for start, total in zip(starts.tolist(), meter.tolist(), strict=True)
            ]
            session.execute(insert(StatisticsShortTerm.__table__), short_rows)
            counts["5m"] += len(short_rows)

            # Tibber's hourly history (imported): state is the hour, sum runs on.
            hour_kwh = kwh.reshape(HOURS_PER_YEAR, 12).sum(axis=1)
            hour_sum = np.cumsum(hour_kwh)
            hour_starts = start_ts + 3600.0 * np.arange(HOURS_PER_YEAR)
            hourly_rows = [
                {
                    "metadata_id": external_meta.id,
                    "created_ts": start + 3700.0,
                    "start_ts": start,
                    "state": state,
                    "sum": total,
                }
                for start, state, total in zip(
                    hour_starts.tolist(),
                    hour_kwh.tolist(),
                    hour_sum.tolist(),
                    strict=True,
                )
            ]
            # The sensor's own hourly statistics for the newest hours.
            hourly_rows += [
                {
                    "metadata_id": sensor_meta.id,
                    "created_ts": start + 3610.0,
                    "start_ts": start,
                    "state": total,
                    "sum": total,
                }
                for start, total in zip(
                    hour_starts[-SENSOR_HOURLY_HOURS:].tolist(),
                    hour_sum[-SENSOR_HOURLY_HOURS:].tolist(),
                    strict=True,
                )
            ]
            session.execute(insert(Statistics.__table__), hourly_rows)
            counts["1h"] += len(hourly_rows)

            # 5-minute states of the sensor for the history API.
            states_meta = StatesMeta(entity_id=bench.entity_id)
            attributes = StateAttributes(
                hash=hash(bench.entity_id) & 0xFFFFFFFF,
                shared_attrs=(
                    '{"state_class":"total_increasing","unit_of_measurement":"kWh",'
                    '"device_class":"energy","friendly_name":"'
                    + bench.home.name
                    + ' Energy consumption"}'
                ),
            )
            session.add_all([states_meta, attributes])
            session.flush()
            ids["entities"].append(bench.entity_id)
            count = STATE_DAYS * 288
            state_rows = [
                {
                    "state": f"{total:.3f}",
                    "last_updated_ts": start + 300.0,
                    "last_changed_ts": None,
                    "last_reported_ts": None,
                    "attributes_id": attributes.attributes_id,
                    "metadata_id": states_meta.metadata_id,
                    "origin_idx": 0,
                    "context_id_bin": os.urandom(16),
                }
                for start, total in zip(
                    starts[-count:].tolist(), meter[-count:].tolist(), strict=True
                )
            ]
            session.execute(insert(States.__table__), state_rows)
            counts["states"] += len(state_rows)
    return {"ids": ids, "counts": counts}


# ------------------------------------------------------------------- measurements


@dataclass
class StallMonitor:
    """Sleeps STALL_TICK in a loop; remembers the largest lateness and when."""

    label: str = "-"
    worst: float = 0.0
    worst_label: str = "-"
    per_label: dict[str, float] = field(default_factory=dict)
    _task: asyncio.Task[None] | None = field(default=None, repr=False)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            before = loop.time()
            await asyncio.sleep(STALL_TICK)
            late = loop.time() - before - STALL_TICK
            if late > self.worst:
                self.worst, self.worst_label = late, self.label
            if late > self.per_label.get(self.label, 0.0):
                self.per_label[self.label] = late

    def start(self) -> None:
        """Start sampling."""
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        """Stop sampling."""
        assert self._task is not None
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task


def status_kib(key: str) -> int | None:
    """A `kB` line of /proc/self/status (VmRSS, VmHWM), in KiB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(f"{key}:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def reset_peak_rss() -> bool:
    """Reset VmHWM to the current RSS (Linux: write 5 to clear_refs)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


async def median_of(reps: int, job: Callable[[], Awaitable[Any]]) -> tuple[float, Any]:
    """The median wall time of `reps` runs, and the last result."""
    [(times, result)] = await in_turns(reps, job)
    return stats.median(times), result


async def in_turns(
    reps: int, *jobs: Callable[[], Awaitable[Any]]
) -> list[tuple[list[float], Any]]:
    """Per job, the wall time of each of `reps` runs and the last result.

    The jobs take turns, so a slow spell of this shared machine hits
    neighbours alike and the ratio within a turn holds still; every other
    turn runs them in reverse (a b, b a, ...), so neither always goes first
    into warm caches.
    """
    times: list[list[float]] = [[] for _ in jobs]
    results: list[Any] = [None] * len(jobs)
    for rep in range(reps):
        order = range(len(jobs)) if rep % 2 == 0 else reversed(range(len(jobs)))
        for index in order:
            begin = time.perf_counter()
            results[index] = await jobs[index]()
            times[index].append(time.perf_counter() - begin)
    return list(zip(times, results, strict=True))


STATISTICS_READ = {
    raw: f"SELECT metadata_id, start_ts, state, sum FROM {table} "  # noqa: S608
    "WHERE metadata_id IN ({keys}) AND start_ts >= ? AND start_ts < ? "
    "ORDER BY metadata_id, start_ts"
    for raw, table in (("5m", "statistics_short_term"), ("1h", "statistics"))
}
"""The rows a statistics export reads, per raw kind."""
ARCHIVE_READ = (
    "SELECT home, time_ms, consumption_total, accumulated_cost, "
    "accumulated_production FROM samples "
    "WHERE home IN ({keys}) AND time_ms >= ? AND time_ms < ? ORDER BY home, time_ms"
)
"""The samples a CSV at 5m from the archive reads (both homes)."""


def raw_read(db: Path, query: str, keys: list[int], bounds: list[float]) -> list[Any]:
    """The rows of `keys` between `bounds` with a plain sqlite3 SELECT."""
    connection = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        marks = ",".join("?" * len(keys))
        return connection.execute(query.format(keys=marks), (*keys, *bounds)).fetchall()
    finally:
        connection.close()


@dataclass(frozen=True)
class Case:
    """One export to time."""

    name: str
    query: dict[str, str]
    raw: str | None = None
    """The raw read it compares with: "5m" or "1h"."""
    target: float | None = None


# -------------------------------------------------------------------------- main


async def bench(reps: int, png_reps: int) -> None:
    """Build, start, measure, print."""
    tmp = Path(tempfile.mkdtemp(prefix="powertracker-bench-"))
    db = tmp / "home-assistant_v2.db"
    out: list[str] = []
    try:
        async with async_test_home_assistant(config_dir=str(tmp)) as hass:
            try:
                await run(hass, db, reps, png_reps, out)
                await drain(hass, tmp, out)
            finally:
                await hass.async_stop(force=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("\n".join(out))


async def run(
    hass: HomeAssistant, db: Path, reps: int, png_reps: int, out: list[str]
) -> None:
    """Everything between Home Assistant's start and stop."""
    instance = await start_recorder(hass, db)
    register_sensors(hass)
    now = dt_util.utcnow()
    ids = await fill_database(hass, instance, db, now)
    archive = SampleArchive(db.parent / "archive.db", retention_days=0)
    bench = Bench(
        hass, instance, db, dt_util.get_default_time_zone(), reps, png_reps, archive
    )
    cases = export_cases(now.astimezone(bench.tz).date())
    spans = bench.params(cases[0]), bench.params(cases[1])
    measured = Measured()

    # Before the memory window.
    measured.archive = await fill_archive(bench, now)
    measured.history = await time_history(bench, spans[0], ids["entities"])
    with patch.object(export_run, "export_homes", return_value=bench.homes):
        measured.cold_png = await warm_up(bench, cases)
        await time_exports(bench, cases, measured)
        # The rest is outside the stall/memory window.
        for case in cases:
            if case.raw is not None:
                await time_against_raw(bench, case, ids, measured)
        for case in cases[:2]:
            measured.breakdown[case.name] = await time_breakdown(bench, case)
    tariffs = await time_tariffs(bench, ids["tibber"], now)
    await archive.close()

    out += report(bench, cases, spans, measured)
    out += tariff_report(tariffs)
    out += verdicts(cases, measured)
    out += tariff_verdicts(tariffs)


@dataclass
class Bench:
    """What the phases share: the running Home Assistant, its recorder, the reps."""

    hass: HomeAssistant
    instance: Recorder
    db: Path
    tz: tzinfo
    reps: int
    png_reps: int
    archive: SampleArchive

    @property
    def homes(self) -> list[ExportHome]:
        """What export_homes returns for a loaded entry with its archive on."""
        return [
            ExportHome(each.home.id, each.home.name, "SEK", self.archive)
            for each in HOMES
        ]

    def params(self, case: Case) -> ExportParams:
        """The case's query, parsed as the view parses it (now is now)."""
        return parse(case.query, self.tz, dt_util.utcnow())

    def export(self, case: Case) -> Callable[[], Awaitable[Exported]]:
        """Our export of `case`, from parsing the query on (the part we time),
        its body drawn piece by piece in the executor as the view sends it."""

        async def export() -> Exported:
            result = await export_run.run_export(self.hass, self.params(case))
            size = 0
            while chunk := await self.hass.async_add_executor_job(
                next, result.chunks, None
            ):
                size += len(chunk)
            return Exported(result.rows, size)

        return export


@dataclass(frozen=True)
class Exported:
    """What an export gave: buckets and bytes."""

    rows: int
    bytes: int


@dataclass
class ArchiveFigures:
    """The archive's fill, size and per-poll write."""

    samples: int = 0
    fill: float = 0.0
    mb_per_home_year: float = 0.0
    poll_write: float = 0.0
    """Median seconds of one poll's write (a sample per home)."""


@dataclass
class Measured:
    """What the phases measured, for the report: medians in seconds."""

    history: tuple[float, int] = (0.0, 0)
    """HA's history API: time and states."""
    cold_png: float = 0.0
    exports: dict[str, tuple[float, Exported]] = field(default_factory=dict)
    """Per case: time and what it gave."""
    archive: ArchiveFigures = field(default_factory=ArchiveFigures)
    raw: dict[str, tuple[float, int]] = field(default_factory=dict)
    """Per CSV case: time and rows of the raw SQLite read."""
    ratio: dict[str, float] = field(default_factory=dict)
    """Per CSV case: the median of the turns' export/raw ratios."""
    breakdown: dict[str, tuple[float, float, float, int]] = field(default_factory=dict)
    """Per case: statistics_during_period, our read, aggregate+render, intervals."""
    monitor: StallMonitor = field(default_factory=StallMonitor)
    extra_mib: float | None = None
    """Peak RSS above the start of the exports; None where VmHWM cannot be reset."""


async def start_recorder(hass: HomeAssistant, db: Path) -> Recorder:
    """Set the time zone and start a recorder on `db`, as bootstrap does."""
    await hass.config.async_set_time_zone(TIME_ZONE)
    begin = time.perf_counter()
    recorder_helper.async_initialize_recorder(hass)
    assert await async_setup_component(
        hass,
        "recorder",
        {
            "recorder": {
                "db_url": f"sqlite:///{db}",
                "purge_keep_days": 400,
                "auto_purge": False,
                "auto_repack": False,
            }
        },
    )
    instance = get_instance(hass)
    assert await instance.async_db_ready
    await hass.async_block_till_done()
    await hass.async_add_executor_job(instance.block_till_done)
    _say(f"recorder up in {time.perf_counter() - begin:.1f} s ({db.name})")
    return instance


def register_sensors(hass: HomeAssistant) -> None:
    """Register the homes' consumption sensors under the ids the data uses."""
    registry = er.async_get(hass)
    for bench_home in HOMES:
        entry = registry.async_get_or_create(
            "sensor",
            DOMAIN,
            f"{bench_home.home.id}_energy_consumption",
            suggested_object_id=f"{bench_home.slug}_energy_consumption",
        )
        assert entry.entity_id == bench_home.entity_id, entry.entity_id


async def fill_database(
    hass: HomeAssistant, instance: Recorder, db: Path, now: datetime
) -> dict[str, Any]:
    """Build the synthetic year up to the hour of `now`; return its ids."""
    end_ts = now.replace(minute=0, second=0, microsecond=0).timestamp()
    begin = time.perf_counter()
    built = await instance.async_add_executor_job(build_database, instance, end_ts)
    size = await hass.async_add_executor_job(lambda: db.stat().st_size)
    counts = built["counts"]
    _say(
        f"database built in {time.perf_counter() - begin:.1f} s: "
        f"{counts['5m']:,} 5-minute rows, {counts['1h']:,} hourly rows, "
        f"{counts['states']:,} states, {size / 2**20:.0f} MiB"
    )
    ids: dict[str, Any] = built["ids"]
    return ids


async def fill_archive(bench: Bench, now: datetime) -> ArchiveFigures:
    """Two years of 5-minute samples per home through `SampleArchive.write`,
    then one poll's write into the full file, `POLL_WRITES` times."""
    rng = np.random.default_rng(20240101)
    end_ts = now.replace(minute=0, second=0, microsecond=0).timestamp()
    begin = time.perf_counter()
    written = 0
    for bench_home in HOMES:
        for year in range(ARCHIVE_YEARS, 0, -1):
            start_ts = end_ts - year * YEAR_DAYS * 86400.0
            samples = archive_samples(rng, bench_home, start_ts)
            for low in range(0, len(samples), ARCHIVE_BATCH):
                result = await bench.archive.write(samples[low : low + ARCHIVE_BATCH])
                written += result.written
    fill = time.perf_counter() - begin
    size = await bench.hass.async_add_executor_job(
        lambda: sum(
            path.stat().st_size
            for path in bench.archive.path.parent.glob(f"{bench.archive.path.name}*")
        )
    )
    times = []
    for poll in range(POLL_WRITES):
        at = datetime.fromtimestamp(end_ts + 300.0 * poll + 7, UTC)
        samples = [
            Sample(home_id=each.home.id, time=at, power=900.0, consumption_total=1.0)
            for each in HOMES
        ]
        before = time.perf_counter()
        await bench.archive.write(samples)
        times.append(time.perf_counter() - before)
    figures = ArchiveFigures(
        samples=written,
        fill=fill,
        mb_per_home_year=size / 1e6 / (len(HOMES) * ARCHIVE_YEARS),
        poll_write=stats.median(times),
    )
    _say(f"archive filled in {fill:.1f} s: {written:,} samples, {size / 2**20:.0f} MiB")
    return figures


def archive_samples(
    rng: np.random.Generator, bench_home: BenchHome, start_ts: float
) -> list[Sample]:
    """A year of the home's samples, 7 s into each five minutes, as a poll
    takes them: power, the day's and the total consumption, the day's cost."""
    kwh = consumption(rng, start_ts, bench_home.scale)
    times = start_ts + 300.0 * np.arange(FIVE_MINUTES_PER_YEAR) + 7.0
    total = 10_000.0 + np.cumsum(kwh)
    days = np.floor((times + 3600.0) / 86400.0)  # ~local midnight (CET)
    restart = np.concatenate(([0], np.flatnonzero(np.diff(days)) + 1))
    day_start = np.repeat(total[restart] - kwh[restart], np.diff([*restart, len(kwh)]))
    today = total - day_start
    return [
        Sample(
            home_id=bench_home.home.id,
            time=datetime.fromtimestamp(stamp, UTC),
            power=power,
            accumulated_consumption=day,
            consumption_total=meter,
            accumulated_cost=day * 1.5,
            currency="SEK",
        )
        for stamp, power, day, meter in zip(
            times.tolist(),
            (kwh * 12_000).tolist(),
            today.tolist(),
            total.tolist(),
            strict=True,
        )
    ]


def export_cases(today: date) -> list[Case]:
    """The exports to time; the first two are also broken down."""
    ten_days = {"from": str(today - timedelta(days=10)), "to": str(_yesterday(today))}
    year = {
        "from": str(today - timedelta(days=YEAR_DAYS)),
        "to": str(_yesterday(today)),
    }
    archived = {**year, "aggregate": "5m", "source": "archive"}
    return [
        Case("CSV 5m, 10 days", {"aggregate": "5m", **ten_days}, "5m", 0.1),
        Case("CSV 1h, 1 year", {"aggregate": "1h", **year}, "1h", 0.3),
        Case("CSV 1d, 1 year", {"aggregate": "1d", **year}, "1h"),
        Case("CSV 1M, 1 year", {"aggregate": "1M", **year}, "1h"),
        Case("PNG hist 1h, 1 year", _png("hist", "1h", **year), target=1.5),
        Case("PNG line 1h, 1 year", _png("lineplot", "1h", **year), target=1.5),
        Case("PNG hist 5m, 10 days", _png("hist", "5m", **ten_days), target=1.5),
        Case("PNG line 5m, 10 days", _png("lineplot", "5m", **ten_days), target=1.5),
        Case("CSV 5m, 1 year, archive", archived, "archive", 1.0),
        Case("PNG hist 5m, 1 year, archive", _png("hist", **archived), target=1.5),
        Case("PNG line 5m, 1 year, archive", _png("lineplot", **archived), target=1.5),
    ]


async def time_history(
    bench: Bench, span: ExportParams, entities: list[str]
) -> tuple[float, int]:
    """Home Assistant's history API over the 5-minute span: time and states."""
    seconds, states = await median_of(
        bench.reps,
        lambda: bench.instance.async_add_executor_job(
            get_significant_states, bench.hass, span.start, span.end, entities
        ),
    )
    return seconds, sum(len(value) for value in states.values())


async def warm_up(bench: Bench, cases: list[Case]) -> float:
    """Run every export once (imports matplotlib, fills caches), so that the
    measurements see a warm process; return the first, cold, PNG's time."""
    cold_png, _ = await median_of(1, bench.export(cases[4]))
    for case in cases:
        await bench.export(case)()
    return cold_png


async def time_exports(bench: Bench, cases: list[Case], measured: Measured) -> None:
    """Time every export under the stall monitor, from a fresh RSS high-water
    mark: the only window in which the stall and the memory are ours alone."""
    gc.collect()
    hwm_reset = reset_peak_rss()
    rss_before = status_kib("VmRSS")
    monitor = measured.monitor
    monitor.start()
    for case in cases:
        monitor.label = case.name
        count = bench.png_reps if case.name.startswith("PNG") else bench.reps
        measured.exports[case.name] = await median_of(count, bench.export(case))
    await asyncio.sleep(0.05)
    await monitor.stop()
    hwm_after = status_kib("VmHWM")
    if hwm_reset and rss_before is not None and hwm_after is not None:
        measured.extra_mib = (hwm_after - rss_before) / 1024


async def time_against_raw(
    bench: Bench, case: Case, ids: dict[str, Any], measured: Measured
) -> None:
    """The CSV export taking turns with a plain sqlite3 read of its rows; its
    time replaces the first pass's (the stall stays from the first pass)."""
    assert case.raw is not None
    params = bench.params(case)
    if case.raw == "archive":
        path, query, keys = bench.archive.path, ARCHIVE_READ, [1, 2]
    else:
        path, query = bench.db, STATISTICS_READ[case.raw]
        keys = ids["short" if case.raw == "5m" else "hourly"]
    bounds = [params.start.timestamp(), params.end.timestamp()]
    if case.raw == "archive":
        bounds = [round(bound * 1000) for bound in bounds]
    (raw_times, rows), (times, result) = await in_turns(
        bench.reps,
        lambda: bench.hass.async_add_executor_job(raw_read, path, query, keys, bounds),
        bench.export(case),
    )
    measured.raw[case.name] = (stats.median(raw_times), len(rows))
    measured.exports[case.name] = (stats.median(times), result)
    measured.ratio[case.name] = stats.median(
        ours / theirs for ours, theirs in zip(times, raw_times, strict=True)
    )


async def time_breakdown(bench: Bench, case: Case) -> tuple[float, float, float, int]:
    """Where a CSV export's time goes: HA's own statistics query for what our
    read reads (recorder executor), our read, aggregate+render; and intervals."""
    hass, instance, params = bench.hass, bench.instance, bench.params(case)

    read, (series, _gaps) = await median_of(
        bench.reps, lambda: read_series(hass, bench.homes, params)
    )

    def aggregate_and_render() -> bytes:
        buckets = export_run._aggregate(series, params, bench.tz)
        return b"".join(csv_chunks(buckets, bench.tz))

    render, _ = await median_of(
        bench.reps, lambda: hass.async_add_executor_job(aggregate_and_render)
    )
    hourly = case.raw == "1h"
    wanted = {
        stat
        for bench_home in HOMES
        for kind in ("consumption", "cost", "production")
        for stat in (
            (
                [statistic_id(bench_home.home.id, bench_home.home.name, kind)]
                if hourly
                else []
            )
            + ([bench_home.entity_id] if kind == "consumption" else [])
        )
    }
    query, _ = await median_of(
        bench.reps,
        lambda: instance.async_add_executor_job(
            statistics_during_period,
            hass,
            params.start,
            params.end,
            wanted,
            "hour" if hourly else "5minute",
            None,
            {"change"},
        ),
    )
    return query, read, render, sum(len(s.start) for s in series)


def report(
    bench: Bench,
    cases: list[Case],
    spans: tuple[ExportParams, ExportParams],
    measured: Measured,
) -> list[str]:
    """The table: raw reads, the history API, the exports, the breakdown, stall
    and memory."""
    five_minutes, year = spans
    history, history_rows = measured.history
    monitor = measured.monitor
    lines = [
        "",
        f"Powertracker export benchmark ({TIME_ZONE}, 2 homes, medians)",
        f"  reps: {bench.reps} (CSV, raw, history), {bench.png_reps} (PNG); "
        f"5m range {five_minutes.start:%Y-%m-%d} .. {five_minutes.end:%Y-%m-%d}, "
        f"year {year.start:%Y-%m-%d} .. {year.end:%Y-%m-%d}",
        "  CSV rows: time and x raw from the CSV export taking turns with a raw "
        "read of its rows (x raw: median of the turns' ratios); stall from the "
        "first pass",
        "",
        _row("measurement", "time", "rows", "bytes", "stall", note="ratio"),
        "-" * 78,
    ]
    for name, (seconds, rows) in measured.raw.items():
        lines.append(_row(f"raw SQLite for {name[4:]}", _ms(seconds), rows))
    lines.append(_row("HA history API 5m states, 10 d", _ms(history), history_rows))
    for case in cases:
        seconds, result = measured.exports[case.name]
        ratios = []
        if case.raw:
            ratios.append(f"{measured.ratio[case.name]:.1f}x raw")
        if case.raw == "5m":
            ratios.append(f"{seconds / history:.2f}x history")
        stall = monitor.per_label.get(case.name, 0.0)
        lines.append(
            _row(
                case.name,
                _ms(seconds),
                result.rows,
                result.bytes,
                _ms(stall),
                note=", ".join(ratios),
            )
        )
    lines.append(_row("first PNG (cold, imports matplotlib)", _ms(measured.cold_png)))
    archive = measured.archive
    lines += [
        _row(
            f"archive fill, {ARCHIVE_YEARS} y x {len(HOMES)} homes",
            _ms(archive.fill),
            archive.samples,
            note=f"{archive.mb_per_home_year:.2f} MB per home-year",
        ),
        _row("archive write per poll (full file)", _ms(archive.poll_write), len(HOMES)),
    ]
    lines += [
        f"  {name}: statistics_during_period {_ms(query)}, our read "
        f"{_ms(read)} ({intervals} intervals), aggregate+render {_ms(render)}"
        for name, (query, read, render, intervals) in measured.breakdown.items()
    ]
    memory = "n/a" if measured.extra_mib is None else f"{measured.extra_mib:.1f} MiB"
    return [
        *lines,
        _row(
            "longest event-loop stall",
            _ms(monitor.worst),
            note=f"(during {monitor.worst_label})",
        ),
        _row(
            "peak extra memory (VmHWM - VmRSS)",
            memory,
            note="(RSS high-water mark over all exports, after warm-up)",
        ),
        "",
    ]


def verdicts(cases: list[Case], measured: Measured) -> list[str]:
    """PASS/FAIL per target (n/a where it could not be measured)."""
    extra_mb = None if measured.extra_mib is None else measured.extra_mib * 1.048576
    archive = measured.archive
    checks: list[tuple[str, float | None, float, Callable[[float], str]]] = [
        (
            f"{case.name} <= {_ms(case.target)}",
            measured.exports[case.name][0],
            case.target,
            _ms,
        )
        for case in cases
        if case.target is not None
    ]
    checks += [
        ("CSV <= 3x the raw read (worst)", max(measured.ratio.values()), 3.0, _x),
        ("archive write per poll <= 5 ms", archive.poll_write, 0.005, _ms),
        (
            "archive <= 15 MB per home-year",
            archive.mb_per_home_year,
            15.0,
            lambda mb: f"{mb:.2f} MB",
        ),
        ("event-loop stall <= 50 ms", measured.monitor.worst, 0.05, _ms),
        ("extra memory <= 150 MB", extra_mb, 150, lambda mb: f"{mb:.1f} MB"),
    ]
    return [
        f"n/a   {label}: could not reset VmHWM"
        if value is None
        else f"{'PASS' if value <= limit else 'FAIL'}  {label}: {show(value)}"
        for label, value, limit, show in checks
    ]


# --------------------------------------------------------------- capacity tariff

TARIFF_READS = {
    "hour": (
        "SELECT start_ts, state FROM statistics WHERE metadata_id = ? "
        "AND start_ts >= ? AND start_ts < ? ORDER BY start_ts"
    ),
    "quarter": (
        "SELECT time_ms / 1000.0, consumption_total FROM samples WHERE home = ? "
        "AND time_ms >= ? AND time_ms < ? ORDER BY time_ms"
    ),
}
"""A home's rows a year of peaks reads: Tibber's hourly kWh; the meter's samples."""
TARIFF_POLLS = 2000
"""Polls timed for the per-poll update."""


@dataclass(frozen=True)
class TariffFigure:
    """One tariff measurement: ours (read + engine), the raw read, the engine."""

    name: str
    seconds: float
    rows: int
    target: float
    raw: float | None = None
    engine: float | None = None
    engine_cpu: float | None = None
    """The engine's thread CPU time: what it costs, whatever else this
    shared machine runs."""
    ratio: float | None = None
    with_read: bool = False
    """`seconds` is the tracker's own read + the engine, and the target is
    for it; else the target is for the engine."""


def read_tariff_rows(
    db: Path, query: str, keys: list[int], bounds: list[float]
) -> list[list[Any]]:
    """Each home's rows, with a plain sqlite3 SELECT."""
    connection = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return [connection.execute(query, (key, *bounds)).fetchall() for key in keys]
    finally:
        connection.close()


def year_of_peaks(
    rule: TariffRule, tz: tzinfo, homes: list[list[Any]], now: datetime
) -> list[list[Capacity]]:
    """Every month's capacity of each home's rows."""
    return [capacities(rule, tz, rows, now) for rows in homes]


def quarters(columns: dict[str, Any]) -> list[tuple[float, float]]:
    """A home's quarter-hours from its samples, as the tracker makes them."""
    start, kwh = meter_rows(columns["time"], columns["consumption_total"], 900)
    return list(zip(start.tolist(), kwh.tolist(), strict=True))


async def time_tariffs(
    bench: Bench, tibber_ids: list[int], now: datetime
) -> list[TariffFigure]:
    """A year of peaks for both homes from the hourly rows (Ellevio) and from
    the archive's samples (Flanders), then one poll's update."""
    year_ago = now - timedelta(days=YEAR_DAYS)
    span = [year_ago.timestamp(), now.timestamp()]
    stat_ids = [
        statistic_id(each.home.id, each.home.name, "consumption") for each in HOMES
    ]

    def tracker_read() -> list[list[Any]]:
        """What the capacity tracker reads (`read_hours`), both homes at once."""
        found = read_hours(bench.hass, set(stat_ids), year_ago, now)
        return [found[stat_id] for stat_id in stat_ids]

    hourly, hourly_rows = await time_year_of_peaks(
        bench,
        rule=PRESETS["ellevio"],
        path=bench.db,
        keys=tibber_ids,
        bounds=span,
        now=now,
        read=tracker_read,
    )
    flanders = PRESETS["flanders"]
    quarterly, samples = await time_quarter_peaks(bench, flanders, span, now)
    month = month_of(now, bench.tz)
    held = [
        capacity(rule, bench.tz, month, rows, now)
        for rule, homes in (
            (PRESETS["ellevio"], hourly_rows),
            (flanders, [quarters(columns) for columns in samples]),
        )
        for rows in homes
    ]

    def polls() -> float:
        """Median seconds of one poll's update: every home's running period."""
        times = []
        for poll in range(TARIFF_POLLS):
            begin = time.perf_counter()
            for each in held:
                each.running(now, 0.4 + poll * 1e-4, 2.0)
            times.append(time.perf_counter() - begin)
        return stats.median(times)

    per_poll = TariffFigure(
        f"per poll ({len(held)} running periods + headroom)",
        await bench.hass.async_add_executor_job(polls),
        len(held),
        0.001,
    )
    return [hourly, quarterly, per_poll]


async def time_quarter_peaks(
    bench: Bench, rule: TariffRule, span: list[float], now: datetime
) -> tuple[TariffFigure, list[dict[str, Any]]]:
    """A year of peaks at quarter-hour basis for both homes as the tracker
    computes them (`capacity.py`): the samples read through the archive, made
    quarters, the engine; taking turns with a plain read of the same rows.
    The engine alone is timed on the columns read (quarters + peaks)."""
    run = bench.hass.async_add_executor_job
    query = TARIFF_READS["quarter"]
    bounds = [bound * 1000 for bound in span]
    start, end = (datetime.fromtimestamp(bound, UTC) for bound in span)

    async def read() -> list[dict[str, Any]]:
        return [
            await bench.archive.columns(
                each.home.id, ("consumption_total",), start, end
            )
            for each in HOMES
        ]

    def engine(homes: list[dict[str, Any]]) -> list[list[Capacity]]:
        return [capacities(rule, bench.tz, quarters(each), now) for each in homes]

    async def ours() -> list[list[Capacity]]:
        return await run(engine, await read())

    (raw_times, _), (times, result) = await in_turns(
        bench.reps,
        lambda: run(read_tariff_rows, bench.archive.path, query, [1, 2], bounds),
        ours,
    )
    samples = await read()

    def engine_alone() -> tuple[float, float]:
        """Quarters + peaks on the columns read: wall time and thread CPU time."""
        wall, cpu = time.perf_counter(), time.thread_time()
        engine(samples)
        return time.perf_counter() - wall, time.thread_time() - cpu

    engine_times = [await run(engine_alone) for _ in range(bench.reps)]
    figure = TariffFigure(
        f"peaks of 1 y, 15m from 5m samples ({sum(len(h) for h in result)} months)",
        stats.median(times),
        sum(len(each["time"]) for each in samples),
        0.3,
        raw=stats.median(raw_times),
        engine=stats.median(wall for wall, _ in engine_times),
        engine_cpu=stats.median(cpu for _, cpu in engine_times),
        ratio=stats.median(o / r for o, r in zip(times, raw_times, strict=True)),
        with_read=True,
    )
    return figure, samples


async def time_year_of_peaks(
    bench: Bench,
    *,
    rule: TariffRule,
    path: Path,
    keys: list[int],
    bounds: list[float],
    now: datetime,
    read: Callable[[], list[list[Any]]] | None = None,
) -> tuple[TariffFigure, list[list[Any]]]:
    """Read + compute taking turns with the raw read; the engine alone on
    the rows read; and the rows. `read`: the integration's own read (in the
    recorder's executor), else the raw read."""
    query = TARIFF_READS[rule.basis]
    run = bench.hass.async_add_executor_job

    def ours() -> list[list[Capacity]]:
        rows = read() if read else read_tariff_rows(path, query, keys, bounds)
        return year_of_peaks(rule, bench.tz, rows, now)

    (raw_times, rows), (times, result) = await in_turns(
        bench.reps,
        lambda: run(read_tariff_rows, path, query, keys, bounds),
        lambda: bench.instance.async_add_executor_job(ours) if read else run(ours),
    )

    def engine() -> tuple[float, float]:
        """The engine on the rows read: wall time and its thread's CPU time."""
        wall, cpu = time.perf_counter(), time.thread_time()
        year_of_peaks(rule, bench.tz, rows, now)
        return time.perf_counter() - wall, time.thread_time() - cpu

    engine_times = [await run(engine) for _ in range(bench.reps)]
    label = "1h rows" if rule.basis == "hour" else "15m from 5m samples"
    months = sum(len(home) for home in result)
    figure = TariffFigure(
        f"peaks of 1 y, {label} ({months} months)",
        stats.median(times),
        sum(len(home) for home in rows),
        0.05 if rule.basis == "hour" else 0.3,
        raw=stats.median(raw_times),
        engine=stats.median(wall for wall, _ in engine_times),
        engine_cpu=stats.median(cpu for _, cpu in engine_times),
        ratio=stats.median(o / r for o, r in zip(times, raw_times, strict=True)),
        with_read=read is not None,
    )
    return figure, rows


def tariff_report(figures: list[TariffFigure]) -> list[str]:
    """The tariff rows: the raw read, the same read + the engine, the engine."""
    lines = ["Capacity tariffs, 2 homes (medians)"]
    for figure in figures:
        if figure.raw is None or figure.engine is None or figure.ratio is None:
            lines.append(_row(figure.name, _us(figure.seconds), figure.rows))
            continue
        lines += [
            _row(f"raw SQLite, {figure.name}", _ms(figure.raw), figure.rows),
            _row(
                "  the tracker's read + the engine"
                if figure.with_read
                else "  the same read + the engine",
                _ms(figure.seconds),
                figure.rows,
                note=f"{figure.ratio:.1f}x raw",
            ),
            _row(
                "  the engine alone",
                _ms(figure.engine),
                figure.rows,
                note=f"CPU {_ms(figure.engine_cpu or 0.0)}",
            ),
        ]
    return [*lines, ""]


def tariff_verdicts(figures: list[TariffFigure]) -> list[str]:
    """PASS/FAIL per tariff target: the tracker's read + the engine for the
    hourly statistics; else the engine's own time (with the read beside it:
    on a loaded machine the raw read alone can take the budget)."""
    verdicts = []
    for figure in figures:
        if figure.engine is None:
            mine, text = figure.seconds, _us(figure.seconds)
        elif figure.with_read:
            mine = figure.seconds
            text = (
                f"{_ms(mine)} with the tracker's read (engine {_ms(figure.engine)}, "
                f"CPU {_ms(figure.engine_cpu or 0.0)}; "
                f"raw read {_ms(figure.raw or 0.0)})"
            )
        else:
            mine = figure.engine
            text = (
                f"{_ms(mine)} (CPU {_ms(figure.engine_cpu or 0.0)}; "
                f"with the read: {_ms(figure.seconds)})"
            )
        verdicts.append(
            f"{'PASS' if mine <= figure.target else 'FAIL'}  "
            f"tariff {figure.name} <= {_ms(figure.target)}: {text}"
        )
    return verdicts


def _us(seconds: float) -> str:
    return f"{seconds * 1e6:.0f} µs"


# ------------------------------------------------------------------ outbox drain

DRAIN_DAYS = 7
"""A full outbox: a week of 5-minute samples for both homes (4,032)."""


async def drain(hass: HomeAssistant, tmp: Path, out: list[str]) -> None:
    """Time how fast a full outbox drains into a loopback influxd (v1)."""
    if not INFLUXD.is_file():
        out.append(f"outbox drain: n/a ({INFLUXD} missing; scripts/test installs it)")
        return
    servers = InfluxdServers(tmp / "influxd")
    (tmp / "influxd").mkdir()
    session = aiohttp.ClientSession()  # Home Assistant's needs its network setup
    try:
        server = servers.get(auth=False)
        await server.wait_ready(session)
        await server.reset_database(session)
        sink = InfluxSink(session, url=server.url, api="v1", database=INFLUX_DATABASE)
        forwarder = Forwarder(hass, "bench", "bench", sink)
        start = dt_util.utcnow() - timedelta(days=DRAIN_DAYS)
        forwarder.outbox.add(
            Sample(
                home_id=bench_home.home.id,
                time=start + timedelta(minutes=5 * step),
                power=1000.0 + step % 97,
                accumulated_consumption=step / 12,
                consumption_total=10_000 + step / 12,
                accumulated_cost=step / 10,
                currency="SEK",
            )
            for bench_home in HOMES
            for step in range(DRAIN_DAYS * 288)
        )
        count = len(forwarder.outbox)
        begin = time.perf_counter()
        await forwarder.async_flush()
        seconds = time.perf_counter() - begin
        stored = await server.rows(session, "SELECT count(power) FROM powertracker")
        await forwarder.async_shutdown()
    finally:
        await session.close()
        servers.stop()
    out.append(
        f"outbox drain to loopback influxd: {count:,} samples in {_ms(seconds)} = "
        f"{count / seconds:,.0f} samples/s (stored: {stored[0]['count']:,}, "
        f"waiting: {len(forwarder.outbox)})"
    )


def _yesterday(today: date) -> date:
    return today - timedelta(days=1)


def _png(graph: str, aggregate: str | None = None, **span: str) -> dict[str, str]:
    return {"output": "png", "graph": graph, "aggregate": aggregate or "5m", **span}


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms" if seconds < 10 else f"{seconds:.1f} s"


def _x(ratio: float) -> str:
    return f"{ratio:.1f}x"


def _row(label: str, *cells: object, note: str | None = None) -> str:
    """A table row: the label, then time, rows, bytes and stall, then a note."""
    widths = (10, 9, 10, 10)[: len(cells)]
    text = f"{label:<34}" + "".join(
        f"{cell:>{width}}" for cell, width in zip(cells, widths, strict=True)
    )
    return text if note is None else f"{text}  {note}"


def _say(text: str) -> None:
    """Progress, at once (the table comes at the end)."""
    print(text, flush=True)


def main() -> None:
    """Parse the arguments and run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=21, help="repetitions (CSV, raw)")
    parser.add_argument("--png-reps", type=int, default=3, help="repetitions (PNG)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)
    begin = time.perf_counter()
    asyncio.run(bench(max(1, args.reps), max(1, args.png_reps)))
    print(f"total {time.perf_counter() - begin:.0f} s")


if __name__ == "__main__":
    main()
