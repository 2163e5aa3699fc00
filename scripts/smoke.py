"""Smoke test: a real Home Assistant sets Powertracker up as a user would.

Run by scripts/smoke (which makes a fresh venv with Home Assistant alone):

    python scripts/smoke.py --hass VENV/bin/hass --sim-python PYTHON --workdir DIR

Starts the Tibber simulator and `hass` WITHOUT --skip-pip, so Home Assistant
installs the manifest's requirements itself under its own constraints, the
way it does for a user. Then, over Home Assistant's REST API only: onboards
a user, adds Powertracker through the config flow, waits for the sensors,
fetches a CSV and a PNG export, saves the options flow and sees the entry
reload with the new options, and reads Home Assistant's log for errors,
tracebacks and deprecation warnings that concern Powertracker. Prints one
line per check; exits 1 if any failed. Needs only aiohttp (Home Assistant's).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
DOMAIN = "powertracker"
VILLA = "sensor.villa_solsidan"
CABIN = "sensor.sjovagen_7"
CONFIGURATION = """\
homeassistant:
  name: Smoke
  time_zone: Europe/Stockholm
  country: SE
  unit_system: metric
  currency: SEK
http:
  server_host: 127.0.0.1
  server_port: {port}
api:
config:
onboarding:
recorder:
  commit_interval: 1
logger:
  default: warning
  logs:
    homeassistant.util.package: info
    homeassistant.requirements: info
    custom_components.powertracker: debug
"""
# A log record: "2026-12-01 20:00:00.123 LEVEL (thread) [name] text".
RECORD = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+ (\w+) ", re.MULTILINE)


class Smoke:
    """The checks, their results, and a REST session with a token."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.failures: list[str] = []
        self.session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=300))
        self.headers: dict[str, str] = {}

    def check(self, ok: bool, what: str, detail: object = "") -> bool:
        print(
            f"smoke: {'ok  ' if ok else 'FAIL'} {what}{f': {detail}' if detail else ''}"
        )
        if not ok:
            self.failures.append(what)
        return ok

    async def call(self, method: str, path: str, **kwargs: Any) -> tuple[int, Any]:
        async with self.session.request(
            method, self.base + path, headers=self.headers, **kwargs
        ) as reply:
            if reply.content_type == "application/json":
                return reply.status, await reply.json()
            return reply.status, await reply.read()

    async def onboard(self) -> None:
        client_id = f"{self.base}/"
        status, body = await self.call(
            "POST",
            "/api/onboarding/users",
            json={
                "client_id": client_id,
                "name": "Smoke Test",
                "username": "smoke",
                "password": "smoke-test-password",
                "language": "en",
            },
        )
        if not self.check(status == 200, "onboarding: user created", status):
            raise SystemExit(1)
        status, token = await self.call(
            "POST",
            "/auth/token",
            data={
                "grant_type": "authorization_code",
                "code": body["auth_code"],
                "client_id": client_id,
            },
        )
        self.check(status == 200, "onboarding: logged in", status)
        self.headers = {"Authorization": f"Bearer {token['access_token']}"}
        for step, payload in (
            ("core_config", {}),
            ("analytics", {}),
            ("integration", {"client_id": client_id, "redirect_uri": client_id}),
        ):
            status, _ = await self.call("POST", f"/api/onboarding/{step}", json=payload)
            self.check(status == 200, f"onboarding: {step}", status)

    async def add_integration(self, token: str) -> str | None:
        """The config flow, as the UI drives it; the entry id."""
        started = time.monotonic()
        status, flow = await self.call(
            "POST", "/api/config/config_entries/flow", json={"handler": DOMAIN}
        )
        took = f"{time.monotonic() - started:.0f} s, requirements installed by HA"
        if not self.check(
            status == 200 and flow.get("step_id") == "user",
            "config flow: the token form opens",
            f"HTTP {status} {flow!r}"[:300] if status != 200 else took,
        ):
            return None
        path = f"/api/config/config_entries/flow/{flow['flow_id']}"
        status, flow = await self.call("POST", path, json={"token": "wrong-token"})
        self.check(
            status == 200 and flow.get("errors", {}).get("base") == "invalid_auth",
            "config flow: a wrong token is refused in the form",
            flow.get("errors"),
        )
        status, flow = await self.call("POST", path, json={"token": token})
        if not self.check(
            status == 200 and flow.get("step_id") == "homes",
            "config flow: the homes step follows",
            f"HTTP {status} {flow!r}"[:300],
        ):
            return None
        homes = next(f for f in flow["data_schema"] if f["name"] == "homes")
        status, flow = await self.call(
            "POST", path, json={"homes": homes.get("default") or []}
        )
        if not self.check(
            status == 200 and flow.get("type") == "create_entry",
            "config flow: entry created",
            flow.get("title") if status == 200 else f"HTTP {status} {flow!r}"[:300],
        ):
            return None
        return str(flow["result"]["entry_id"])

    async def states(self) -> dict[str, dict[str, Any]]:
        _, states = await self.call("GET", "/api/states")
        return {state["entity_id"]: state for state in states}

    async def wait_for(
        self, what: str, probe: Callable[[], Awaitable[object]], seconds: float
    ) -> object:
        deadline = time.monotonic() + seconds
        while True:
            if result := await probe():
                return result
            if time.monotonic() > deadline:
                self.check(False, what, f"not within {seconds:.0f} s")
                return None
            await asyncio.sleep(1)

    async def sensors_have_values(self) -> dict[str, dict[str, Any]] | None:
        wanted = (
            f"{VILLA}_power",
            f"{VILLA}_energy_consumption",
            f"{VILLA}_cost_today",
            f"{CABIN}_consumption_last_hour",
        )

        async def probe() -> dict[str, dict[str, Any]] | None:
            states = await self.states()
            values = [states.get(entity, {}).get("state") for entity in wanted]
            if all(_is_number(value) for value in values):
                return states
            return None

        states = await self.wait_for("sensors have values", probe, 120)
        if isinstance(states, dict):
            self.check(
                True,
                "sensors have values",
                ", ".join(f"{e.split('.')[1]}={states[e]['state']}" for e in wanted),
            )
            return states
        return None

    async def exports(self) -> None:
        status, body = await self.call(
            "GET", "/api/powertracker/export", params={"aggregate": "1h"}
        )
        lines = body.decode().splitlines() if isinstance(body, bytes) else []
        self.check(
            status == 200
            and lines[:1]
            and lines[0].startswith("home_id,")
            and len(lines) > 1,
            "CSV export",
            f"HTTP {status}, {len(lines) - 1} rows"
            if lines
            else f"HTTP {status} {body!r}"[:200],
        )
        status, body = await self.call(
            "GET",
            "/api/powertracker/export",
            params={"output": "png", "aggregate": "1h"},
        )
        self.check(
            status == 200 and isinstance(body, bytes) and body.startswith(b"\x89PNG"),
            "PNG export",
            f"HTTP {status}, {len(body)} bytes",
        )
        status, body = await self.call(
            "GET", "/api/powertracker/export", params={"colour": "red"}
        )
        self.check(
            status == 400
            and isinstance(body, dict)
            and body.get("parameter") == "colour",
            "an unknown export parameter is a 400 naming it",
            f"HTTP {status} {body!r}"[:200],
        )

    async def options(self, entry_id: str) -> None:
        """Save new options; the entry reloads (entities re-added) with them."""
        # The cabin's last hour changes hourly, not with the live stream: a new
        # last_changed within a minute means its entity was removed and re-added.
        watched = f"{CABIN}_consumption_last_hour"
        before = (await self.states())[watched]["last_changed"]
        status, flow = await self.call(
            "POST",
            "/api/config/config_entries/options/flow",
            json={"handler": entry_id},
        )
        if not self.check(status == 200, "options flow opens", status):
            return
        answer = {**_shown(flow), "poll_minutes": 7}
        status, flow = await self.call(
            "POST",
            f"/api/config/config_entries/options/flow/{flow['flow_id']}",
            json=answer,
        )
        self.check(
            status == 200 and flow.get("type") == "create_entry",
            "options flow saves",
            f"HTTP {status} {flow!r}"[:300],
        )

        async def reloaded() -> bool:
            states = await self.states()
            state = states.get(watched, {})
            changed = state.get("last_changed") != before
            return changed and _is_number(state.get("state"))

        if await self.wait_for("the entry reloads after saving options", reloaded, 60):
            self.check(True, "the entry reloads after saving options")
        _, entries = await self.call("GET", "/api/config/config_entries/entry")
        state = next((e["state"] for e in entries if e["entry_id"] == entry_id), None)
        self.check(state == "loaded", "the entry is loaded again", state)
        status, flow = await self.call(
            "POST",
            "/api/config/config_entries/options/flow",
            json={"handler": entry_id},
        )
        shown = _shown(flow)
        self.check(shown.get("poll_minutes") == 7, "the saved options are shown", shown)
        await self.call(
            "DELETE", f"/api/config/config_entries/options/flow/{flow['flow_id']}"
        )

    def log(self, text: str, requirements: list[str]) -> None:
        """Home Assistant installed the requirements; no error, traceback or
        deprecation warning concerning Powertracker."""
        installed = [r for r in requirements if f"Attempting install of {r}\n" in text]
        self.check(
            installed == requirements,
            "Home Assistant installed the manifest's requirements itself",
            ", ".join(installed),
        )
        starts = [m.start() for m in RECORD.finditer(text)] + [len(text)]
        bad = []
        for begin, end in itertools.pairwise(starts):
            record = text[begin:end]
            level = RECORD.match(record)
            concerns_us = DOMAIN in record.lower()
            if concerns_us and (
                (level and level.group(1) in {"ERROR", "CRITICAL"})
                or "Traceback" in record
                or "deprecat" in record.lower()
            ):
                bad.append(record.strip())
        self.check(
            not bad,
            "the log holds no error, traceback or deprecation from Powertracker",
            "\n" + "\n---\n".join(bad) if bad else "",
        )


def _shown(flow: dict[str, Any]) -> dict[str, Any]:
    """A form's values as the UI fills them: each field's default or suggestion;
    a section (`expandable`) as the object of its own fields that have one."""
    return _values(flow["data_schema"], keep_empty=True)


def _values(fields: list[dict[str, Any]], *, keep_empty: bool) -> dict[str, Any]:
    values = {}
    for field in fields:
        if field.get("type") == "expandable":
            values[field["name"]] = _values(field["schema"], keep_empty=False)
            continue
        value = field.get(
            "default", (field.get("description") or {}).get("suggested_value")
        )
        if value is not None or keep_empty:
            values[field["name"]] = value
    return values


def _is_number(value: object) -> bool:
    try:
        float(str(value))
    except ValueError:
        return False
    return True


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _answers(url: str, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            with contextlib.suppress(aiohttp.ClientError, OSError):
                async with session.get(url) as reply:
                    if reply.status < 500:
                        return True
            await asyncio.sleep(0.5)
    return False


async def run(args: argparse.Namespace) -> int:
    work = Path(args.workdir).resolve()
    config = work / "config"
    (config / "custom_components").mkdir(parents=True, exist_ok=True)
    link = config / "custom_components" / DOMAIN
    if not link.exists():
        link.symlink_to(ROOT / "custom_components" / DOMAIN)
    port, sim_port = _free_port(), _free_port()
    (config / "configuration.yaml").write_text(CONFIGURATION.format(port=port))
    env = {
        **os.environ,
        "POWERTRACKER_TIBBER_API_URL": f"http://127.0.0.1:{sim_port}/v1-beta/gql",
    }
    with (
        (work / "simulator.log").open("w") as sim_log,
        (work / "hass.out").open("w") as out,
    ):
        sim = subprocess.Popen(
            [args.sim_python, "-m", "loopback.tibber", "--port", str(sim_port)],
            cwd=ROOT,
            stdout=sim_log,
            stderr=subprocess.STDOUT,
        )
        hass = subprocess.Popen(
            [args.hass, "-c", str(config)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        smoke = Smoke(f"http://127.0.0.1:{port}")
        try:
            return await _drive(smoke, hass, sim_port, config, args.token)
        finally:
            await smoke.session.close()
            for process in (hass, sim):
                process.terminate()
                try:
                    process.wait(30)
                except subprocess.TimeoutExpired:
                    process.kill()


async def _drive(
    smoke: Smoke, hass: subprocess.Popen[bytes], sim_port: int, config: Path, token: str
) -> int:
    smoke.check(
        await _answers(f"http://127.0.0.1:{sim_port}/", 30),
        "the Tibber simulator answers",
    )
    up = await _answers(f"{smoke.base}/api/onboarding", 300)
    if not smoke.check(up and hass.poll() is None, "Home Assistant answers"):
        return 1
    await smoke.onboard()
    _, core = await smoke.call("GET", "/api/config")
    print(f"smoke: Home Assistant {core.get('version')}, {sys.version.split()[0]}")
    entry_id = await smoke.add_integration(token)
    if entry_id is not None and await smoke.sensors_have_values() is not None:
        await smoke.exports()
        await smoke.options(entry_id)
    await asyncio.sleep(2)  # let the log catch up
    manifest = json.loads(
        (ROOT / "custom_components" / DOMAIN / "manifest.json").read_text()
    )
    smoke.log(
        (config / "home-assistant.log").read_text(errors="replace"),
        manifest["requirements"],
    )
    if smoke.failures:
        print(
            f"smoke: {len(smoke.failures)} check(s) failed: {'; '.join(smoke.failures)}"
        )
        print(f"smoke: logs in {config / 'home-assistant.log'}")
        return 1
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--hass", required=True)
    parser.add_argument("--sim-python", required=True)
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--token", default="powertracker-simulator-token")
    return asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    sys.exit(main())
