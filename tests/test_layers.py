"""The layers that import nothing from Home Assistant, proven free of it.

Each module is imported in a fresh interpreter where `homeassistant` cannot
be imported, under a stand-in for the integration's package (whose
`__init__` is Home Assistant's entry point and is not part of these layers).
Importing them must also leave logging as it was: no logger that was there
changes, and none gets a filter (libraries may set up their own new loggers).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "custom_components" / "powertracker"
FREE = sorted(
    [
        *(f"tibber.{path.stem}" for path in (PACKAGE / "tibber").glob("*.py")),
        *(f"sink.{path.stem}" for path in (PACKAGE / "sink").glob("*.py")),
        "export.models",
        "export.params",
        "export.aggregate",
        "export.csv",
        "export.png",
        "export.texts",
        "chart",
        "energy",
        "last_hour",
        "listeners",
        "live_hours",
        "meter.tariff",
        "silence",
    ]
)
PROBE = """
import importlib, importlib.abc, logging, sys, types

class NoHomeAssistant(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "homeassistant" or name.startswith("homeassistant."):
            raise ImportError(f"{name} is off limits")
        return None

sys.meta_path.insert(0, NoHomeAssistant())
for name, path in (
    ("custom_components", None),
    ("custom_components.powertracker", PACKAGE),
):
    stub = types.ModuleType(name)
    stub.__path__ = [path] if path else []
    sys.modules[name] = stub
def loggers():
    return {
        name: (logger.filters[:], logger.level)
        for name, logger in logging.root.manager.loggerDict.items()
        if isinstance(logger, logging.Logger)
    }

before = loggers()
importlib.import_module("custom_components.powertracker." + MODULE)
after = loggers()
# A logger that was there changed, or any logger got a filter (a library may
# set the level of its own new logger: backoff does).
changed = [
    name for name, (filters, level) in after.items()
    if (name in before and before[name] != (filters, level)) or filters
]
assert not changed, changed
"""


@pytest.mark.parametrize("module", FREE)
def test_imports_nothing_from_home_assistant(module: str) -> None:
    code = f"PACKAGE = {str(PACKAGE)!r}\nMODULE = {module!r}\n{PROBE}"
    result = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr[-2000:]
