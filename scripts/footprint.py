"""What Powertracker costs a real Home Assistant: memory, CPU per poll, setup time.

Run by scripts/footprint:

    python scripts/footprint.py --hass "CMD" --workdir DIR [--polls N] [--reps R]

Starts the loopback Tibber simulator and two `hass` of the same installation
and configuration: ALONE, which never sets Powertracker up, and WITH, where it
is added through the config flow as a user adds it (scripts/smoke.py's
machinery: onboarding, the flow, the REST API). Both carry the same measuring
helper (scripts/footprint_probe), which answers with the CPU time of each of
its threads (nanoseconds, from /proc: the process's own work, not wall time,
so other load on the machine does not count). Then, side by side:

- RSS added by Powertracker after its setup and first poll (nobody looking at
  a chart), and after the first chart and exports: WITH's growth minus ALONE's
  over the same steps;
- CPU per poll for the simulator's two homes: forced polls in WITH minus an
  idle window of the same length in WITH, by part (the live snapshot, the
  entities, the hourly statistics, the archive) and by thread; repeated, the
  median counts;
- the setup time Home Assistant reports (`integration/setup_info`);
- a profile of one poll (cProfile).

Each target prints PASS or FAIL; exits 1 if any failed.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shlex
import shutil
import sqlite3
import statistics
import subprocess
import sys
from collections import Counter
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from smoke import CONFIGURATION, Smoke, _answers, _free_port

from loopback.tibber import SIMULATOR_TOKEN

ROOT = Path(__file__).resolve().parent.parent
PROBE = ROOT / "scripts" / "footprint_probe"
MIB = 1024 * 1024
# smoke's configuration, quieter: a debug log would cost CPU that users do not pay.
CONFIG = (
    CONFIGURATION.split("logger:")[0]
    + "logger:\n  default: warning\nfootprint_probe:\n"
)
THREADS = {
    "hass": "event loop (main thread)",
    "Recorder": "recorder (states, statistics)",
    "SyncWorker": "executor (stores' JSON files)",
    "powertracker_ar": "archive (SQLite)",
}
"""Threads by their kernel name (15 characters, pool numbers left out)."""
TARGETS = {
    "setup": 15.0,  # MiB added after setup and the first poll
    "chart": 60.0,  # MiB added after the first chart and exports
    "poll": 5.0,  # ms of CPU per poll, two homes
    "setup_s": 1.0,  # s of setup as Home Assistant reports it
}


class Quiet(Smoke):
    """Smoke's REST client, saying only what failed."""

    def __init__(self, base: str, name: str) -> None:
        super().__init__(base)
        self.name = name
        # A fresh connection per call: the probe's calls last longer than Home
        # Assistant keeps an idle connection open.
        self.unused = self.session
        self.session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=600),
            connector=aiohttp.TCPConnector(force_close=True),
        )

    def check(self, ok: bool, what: str, detail: object = "") -> bool:
        if not ok:
            print(f"footprint: {self.name}: FAIL {what}: {detail}")
            self.failures.append(what)
        return ok

    async def probe(self, action: str, **data: Any) -> dict[str, Any]:
        status, body = await self.call(
            "POST",
            f"/api/services/footprint_probe/{action}?return_response",
            json=data,
        )
        if status != 200:
            raise SystemExit(
                f"footprint: {self.name}: {action}: HTTP {status} {body!r}"
            )
        return dict(body["service_response"])

    async def websocket(self, command: str) -> Any:
        token = self.headers["Authorization"].removeprefix("Bearer ")
        async with self.session.ws_connect(f"{self.base}/api/websocket") as ws:
            await ws.receive_json()  # auth_required
            await ws.send_json({"type": "auth", "access_token": token})
            await ws.receive_json()  # auth_ok
            await ws.send_json({"id": 1, "type": command})
            return (await ws.receive_json()).get("result")


class Hass:
    """One `hass` process and its REST client."""

    def __init__(
        self, name: str, command: list[str], config: Path, env: dict[str, str]
    ) -> None:
        self.name = name
        self.command = [*command, "-c", str(config)]
        self.env = env
        port = _free_port()
        config.mkdir(parents=True)
        (config / "configuration.yaml").write_text(CONFIG.format(port=port))
        links = config / "custom_components"
        links.mkdir()
        (links / "footprint_probe").symlink_to(PROBE)
        # The same installation in both: ALONE has Powertracker, unconfigured.
        (links / "powertracker").symlink_to(ROOT / "custom_components" / "powertracker")
        self.out = (config / "hass.out").open("a")
        self.process = self._start()
        self.api = Quiet(f"http://127.0.0.1:{port}", name)

    def _start(self) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            self.command, env=self.env, stdout=self.out, stderr=subprocess.STDOUT
        )

    def _stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    async def restart(self) -> None:
        """Stop and start again (the same configuration, entries and token)."""
        self._stop()
        self.process = self._start()
        if not await _answers(f"{self.api.base}/api/onboarding", 300):
            raise SystemExit(f"footprint: {self.name}: Home Assistant does not answer")

    def rss(self) -> float:
        """Resident memory, MiB."""
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        line = next(x for x in status.splitlines() if x.startswith("VmRSS:"))
        return int(line.split()[1]) * 1024 / MIB

    async def close(self) -> None:
        await self.api.session.close()
        await self.api.unused.close()
        self._stop()
        self.out.close()


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


async def run(args: argparse.Namespace) -> int:
    work = Path(args.workdir).resolve()
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    sim_port = _free_port()
    env = {
        **os.environ,
        "POWERTRACKER_TIBBER_API_URL": f"http://127.0.0.1:{sim_port}/v1-beta/gql",
    }
    # Not the project's folder: hass would import custom_components from there.
    env.pop("PYTHONPATH", None)
    command = shlex.split(args.hass)
    with (work / "simulator.log").open("w") as sim_log:
        sim = subprocess.Popen(
            [sys.executable, "-m", "loopback.tibber", "--port", str(sim_port)],
            cwd=ROOT,
            stdout=sim_log,
            stderr=subprocess.STDOUT,
        )
        alone = Hass("alone", command, work / "alone", env)
        with_ = Hass("with", command, work / "with", env)
        try:
            return await measure(args, alone, with_, sim_port, work)
        finally:
            for hass in (alone, with_):
                await hass.close()
            sim.terminate()
            sim.wait(30)


@dataclass
class Cpu:
    """Forced polls against idle windows in WITH, ms per poll (ms per s idle)."""

    polls: list[float] = field(default_factory=list)
    idle: list[float] = field(default_factory=list)
    parts: list[dict[str, float]] = field(default_factory=list)
    threads: list[dict[str, float]] = field(default_factory=list)
    alone_idle: float = 0.0
    profile: str = ""


@dataclass
class Figures:
    """What one run measured."""

    rss: dict[str, dict[str, float]] = field(default_factory=dict)
    memory: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    """Per step and process, where the memory is (the probe's `memory`)."""
    trace: dict[str, Any] = field(default_factory=dict)
    imported: dict[str, int] = field(default_factory=dict)
    """Rows of each statistic Powertracker imported (given to ALONE too)."""
    loaded: dict[str, set[str]] = field(default_factory=dict)
    cpu: Cpu = field(default_factory=Cpu)
    setup_s: float = 0.0

    def note_rss(self, when: str, *processes: Hass) -> None:
        self.rss[when] = {hass.name: hass.rss() for hass in processes}

    async def note(self, when: str, *processes: Hass, trim: bool = False) -> None:
        """The RSS of `processes`, and where their memory is."""
        self.note_rss(when, *processes)
        self.memory[when] = {
            hass.name: await hass.api.probe("memory", trim=trim) for hass in processes
        }

    def added(self, when: str) -> float:
        """WITH's growth minus ALONE's since before the flow; after the restart
        both processes are new: the difference between them."""
        now, base = self.rss[when], self.rss[BEFORE]
        if when == RESTARTED:
            return now["with"] - now["alone"]
        return (now["with"] - base["with"]) - (now["alone"] - base["alone"])


BEFORE = "before adding Powertracker"
SETUP = "after setup and first poll"
CHART = "after first chart and exports"
RESTARTED = "after a restart, set up at start"


def statistics_rows(config: Path) -> dict[str, int]:
    """Rows of each of Powertracker's statistics, read from the recorder's file
    by this process (a read in Home Assistant would fill its page cache)."""
    path = config / "home-assistant_v2.db"
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        found = db.execute(
            "SELECT m.statistic_id, COUNT(*) FROM statistics s"
            " JOIN statistics_meta m ON s.metadata_id = m.id"
            " WHERE m.source = 'powertracker' GROUP BY m.statistic_id"
        ).fetchall()
    return dict(found)


async def measure(
    args: argparse.Namespace, alone: Hass, with_: Hass, sim_port: int, work: Path
) -> int:
    if not await _answers(f"http://127.0.0.1:{sim_port}/", 30):
        raise SystemExit("footprint: the Tibber simulator does not answer")
    for hass in (alone, with_):
        if not await _answers(f"{hass.api.base}/api/onboarding", 300):
            raise SystemExit(f"footprint: {hass.name}: Home Assistant does not answer")
        await hass.api.onboard()
        # 2026.11 takes the YAML http settings as a trial that it reverts (and
        # restarts its server) after 5 minutes unless confirmed.
        await hass.api.websocket("http/config/promote")
    _, core = await with_.api.call("GET", "/api/config")
    print(f"footprint: Home Assistant {core.get('version')}, settle {args.settle:g} s")
    figures = Figures()
    await asyncio.sleep(args.settle)
    await figures.note(BEFORE, alone, with_)

    await with_.api.probe("instrument", trace=args.trace)
    if await with_.api.add_integration(args.token) is None:
        raise SystemExit("footprint: the config flow failed")
    figures.note_rss("entry created (set up, first poll)", alone, with_)
    if await with_.api.sensors_have_values() is None:
        raise SystemExit("footprint: no sensor values")
    # The history import runs in the background: measured once it has ended.
    await with_.api.probe("imported")
    figures.imported = statistics_rows(work / "with")
    if not args.fresh:
        await alone.api.probe("fill", rows=figures.imported)
    await asyncio.sleep(args.settle)
    await figures.note(SETUP, alone, with_)
    if args.trace:
        figures.trace = await with_.api.probe("trace", top=args.profile_lines)
    if args.trim:
        await figures.note(
            "the same, glibc's free memory trimmed", alone, with_, trim=True
        )
    for hass in (alone, with_):
        figures.loaded[hass.name] = set((await hass.api.probe("modules"))["modules"])

    if args.reps:
        figures.cpu = await measure_cpu(args, alone, with_)
        await figures.note("after the CPU runs", alone, with_)

    # The first look at each chart (the image entity draws it now), and exports.
    states = await with_.api.states()
    for entity in (e for e in states if e.startswith("image.")):
        status, body = await with_.api.call("GET", f"/api/image_proxy/{entity}")
        with_.api.check(
            status == 200 and isinstance(body, bytes) and body.startswith(b"\x89PNG"),
            f"{entity} shows a PNG",
            status,
        )
    await with_.api.exports()
    await asyncio.sleep(5)
    figures.note_rss(CHART, alone, with_)

    # Setup times are recorded while Home Assistant starts: start both again.
    for hass in (alone, with_):
        await hass.restart()
    if await with_.api.sensors_have_values() is None:
        raise SystemExit("footprint: no sensor values after the restart")
    timings = await with_.api.websocket("integration/setup_info")
    figures.setup_s = sum(
        t["seconds"] for t in timings if t["domain"] == "powertracker"
    )
    await asyncio.sleep(args.settle)
    await figures.note(RESTARTED, alone, with_)
    for hass in (alone, with_):
        loaded = set((await hass.api.probe("modules"))["modules"])
        figures.loaded[f"{hass.name} restarted"] = loaded
    return report(args, figures, with_.api.failures)


async def measure_cpu(args: argparse.Namespace, alone: Hass, with_: Hass) -> Cpu:
    """Forced polls minus an idle window as long, `args.reps` times."""
    cpu = Cpu()
    window = args.polls * args.gap
    for _ in range(args.reps):
        idle = await with_.api.probe("idle", seconds=window)
        polled = await with_.api.probe("polls", count=args.polls, gap=args.gap)
        if polled["failed"]:
            raise SystemExit(f"footprint: {polled['failed']} poll(s) failed")
        cpu_idle = sum(idle["threads"].values())
        cpu_polls = sum(polled["threads"].values())
        cpu.polls.append((cpu_polls - cpu_idle) / args.polls * 1000)
        cpu.idle.append(cpu_idle / window * 1000)
        cpu.parts.append({k: v / args.polls * 1000 for k, v in polled["parts"].items()})
        by_thread = Counter(polled["threads"])
        by_thread.subtract(idle["threads"])
        cpu.threads.append({k: v / args.polls * 1000 for k, v in by_thread.items()})
    alone_idle = await alone.api.probe("idle", seconds=window)
    cpu.alone_idle = sum(alone_idle["threads"].values()) / window * 1000
    profiled = await with_.api.probe("profile", gap=args.gap, lines=args.profile_lines)
    cpu.profile = profiled["text"]
    return cpu


def report(args: argparse.Namespace, figures: Figures, failures: list[str]) -> int:
    """Print the figures, PASS or FAIL per target; 1 if any failed."""
    cpu = figures.cpu
    print()
    print("Powertracker's footprint: a hass WITH it beside the same hass ALONE")
    print(f"{'RSS, MiB':42}{'alone':>8}{'with':>8}{'added':>8}")
    for when, rss in figures.rss.items():
        added = figures.added(when)
        print(f"  {when:40}{rss['alone']:8.1f}{rss['with']:8.1f}{added:+8.1f}")
    only = sorted(figures.loaded["with"] - figures.loaded["alone"])
    print(f"  modules only WITH loaded: {', '.join(only)}")
    only = sorted(figures.loaded["with restarted"] - figures.loaded["alone restarted"])
    print(f"  modules only WITH loaded after the restart: {', '.join(only)}")
    rows = sum(figures.imported.values())
    given = "not given to ALONE (--fresh)" if args.fresh else "ALONE given as many"
    print(
        f"  history imported: {rows} rows in {len(figures.imported)} statistics;"
        f" {given}"
    )
    report_memory(figures)
    poll_ms = statistics.median(cpu.polls) if cpu.polls else 0.0
    rows = [
        (f"RSS added {SETUP}", figures.added(SETUP), "setup", "MiB"),
        (f"RSS added {CHART}", figures.added(CHART), "chart", "MiB"),
        (f"CPU per poll, two homes (median of {args.reps})", poll_ms, "poll", "ms"),
        ("setup time (integration/setup_info)", figures.setup_s, "setup_s", "s"),
    ]
    print()
    failed = list(failures)
    for label, value, target, unit in rows:
        ok = value <= TARGETS[target]
        if not ok:
            failed.append(label)
        shown = f"{value:+.1f} {unit}" if unit == "MiB" else f"{value:.2f} {unit}"
        print(f"{label:46}{shown:>12}  <= {TARGETS[target]:g} {unit:4} {verdict(ok)}")
    runs = ", ".join(f"{p:.2f}" for p in cpu.polls)
    print(
        f"  each run, ms per poll: {runs} (the process's CPU time over {args.polls}"
        f" polls {args.gap:g} s apart, minus an idle window as long)"
    )
    if not cpu.polls:
        return 1 if failed else 0
    idle = statistics.median(cpu.idle)
    print(f"  idle CPU, ms per s: alone {cpu.alone_idle:.2f}, with {idle:.2f}")
    print("  by part (event loop thread, coroutine steps), ms per poll, median:")
    for part in sorted({p for run in cpu.parts for p in run}):
        value = statistics.median(run.get(part, 0.0) for run in cpu.parts)
        print(f"    {part:40}{value:8.2f}")
    print("  by thread (polls minus idle), ms per poll, median (each run):")
    for name in sorted({t for run in cpu.threads for t in run}):
        each = [run.get(name, 0.0) for run in cpu.threads]
        value = statistics.median(each)
        if abs(value) >= 0.05:
            runs = ", ".join(f"{v:.2f}" for v in each)
            print(f"    {THREADS.get(name, name):40}{value:8.2f}  ({runs})")
    print()
    print("One poll under cProfile (all threads; profiling slows it down):")
    print(cpu.profile)
    return 1 if failed else 0


MEMORY = {
    "anonymous": "anonymous (heaps, arenas)",
    "file": "file-backed (code, mapped files)",
    "heap_in_use": "glibc heap in use (incl. mmap'd blocks)",
    "heap_free_kept": "glibc heap free but kept",
    "sqlite": "SQLite's allocations (page caches)",
    "sqlite_peak": "SQLite's allocations at their peak",
    "rss_trimmed": "RSS after malloc_trim (experiment)",
}


def report_memory(figures: Figures) -> None:
    """Where the memory is, per step: ALONE, WITH and the difference, MiB."""
    print("Where the memory is, MiB (alone, with, with minus alone):")
    for when, processes in figures.memory.items():
        print(f"  {when}")
        alone, with_ = processes["alone"], processes["with"]
        for key, label in MEMORY.items():
            if key in with_:
                diff = with_[key] - alone[key]
                print(f"    {label:42}{alone[key]:8.1f}{with_[key]:8.1f}{diff:+8.1f}")
        for key in ("python_blocks", "gc_objects"):
            diff = with_[key] - alone[key]
            print(f"    {key:42}{alone[key]:8d}{with_[key]:8d}{diff:+8d}")
    if figures.trace:
        trace = figures.trace
        print(
            f"Python allocations in WITH since the flow (tracemalloc): now"
            f" {trace['current']:.1f} MiB, peak {trace['peak']:.1f} MiB; biggest now:"
        )
        for line in trace["top"]:
            print(f"    {line}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--hass", required=True, help="the command that runs hass")
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--token", default=SIMULATOR_TOKEN)
    parser.add_argument("--polls", type=int, default=8, help="polls per run")
    # Longer than the forwarder's delayed save (5 s), as between real polls.
    parser.add_argument("--gap", type=float, default=6.0, help="s between polls")
    parser.add_argument("--reps", type=int, default=3, help="runs of polls")
    parser.add_argument("--settle", type=float, default=30.0, help="seconds")
    parser.add_argument("--profile-lines", type=int, default=25)
    parser.add_argument(
        "--fresh",
        action="store_true",
        help="do not give ALONE the same recorder content and slugify table",
    )
    parser.add_argument(
        "--trace",
        action="store_true",
        help="trace WITH's Python allocations from the flow on (slows it down)",
    )
    parser.add_argument(
        "--trim",
        action="store_true",
        help="after setup, let glibc hand back its free memory (an experiment)",
    )
    return asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    sys.exit(main())
