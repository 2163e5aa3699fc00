"""The manifest's requirements install on every release HACS offers it to.

Home Assistant installs an integration's `requirements` with its own
`package_constraints.txt` applied (`uv pip install --upgrade --constraint`).
`tests/requirements/constraints/` holds that file of the newest patch release
of every monthly line from hacs.json's minimum to the newest (scripts/ha-lines;
fetched by scripts/fetch-ha-constraints), and each is resolved here with uv for
the Python that release requires: every one must install. `gql==4.4.0` failed
this on 2026.10 and 2026.11 (they pin graphql-core<3.3), and 2025.8 - 2026.2
pin `gql<4.0.0`, which the Tibber client cannot use (README, supported
releases): why the minimum is 2026.3. Resolving asks PyPI (as installing
does), through uv's cache.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CONSTRAINTS = ROOT / "tests" / "requirements" / "constraints"
MANIFEST = json.loads(
    (ROOT / "custom_components" / "powertracker" / "manifest.json").read_text()
)


def _lines() -> dict[str, str]:
    table = {}
    for line in (ROOT / "scripts" / "ha-lines").read_text().splitlines():
        fields = line.split()
        if fields and not fields[0].startswith("#"):
            table[fields[0]] = fields[1]
    return table


def _key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


RELEASES = sorted((path.stem for path in CONSTRAINTS.glob("*.txt")), key=_key)


def _minimum() -> tuple[int, ...]:
    """hacs.json's minimum: the oldest release HACS installs Powertracker on."""
    return _key(json.loads((ROOT / "hacs.json").read_text())["homeassistant"])


def test_every_line_hacs_allows_has_its_constraints() -> None:
    """One file per monthly line from hacs.json's minimum to the newest, and the
    legs'."""
    lines = _lines()
    minimum, newest = _minimum(), _key(lines["newest"])
    months = {_key(release)[:2] for release in RELEASES}
    expected = set()
    year, month = minimum[:2]
    while (year, month) <= newest[:2]:
        expected.add((year, month))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    assert months == expected
    assert {lines[leg] for leg in ("floor", "current", "newest")} <= set(RELEASES)


def test_hacs_states_the_floor() -> None:
    """HACS's minimum is the first release of the floor leg's line."""
    year, month, _ = _key(_lines()["floor"])
    assert _minimum() == (year, month, 0)


@pytest.mark.parametrize("release", RELEASES)
def test_manifest_requirements_install_under_constraints(
    release: str, tmp_path: Path
) -> None:
    path = CONSTRAINTS / f"{release}.txt"
    found = re.match(r"# requires-python: >=(\S+)", path.read_text())
    assert found, f"{path.name} lacks its requires-python line"
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("\n".join(MANIFEST["requirements"]) + "\n")
    resolved = subprocess.run(  # noqa: S603 - uv from this venv, fixed arguments
        [
            sys.executable,
            "-m",
            "uv",
            "pip",
            "compile",
            str(requirements),
            "--constraint",
            str(path),
            "--python-version",
            found.group(1),
            "--no-header",
            "--quiet",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert resolved.returncode == 0, resolved.stderr
