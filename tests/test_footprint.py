"""Loading Powertracker loads no chart library and no AWS library.

matplotlib is imported when a chart or PNG export is drawn, aiobotocore and
botocore when a Timestream sink is configured. A fresh interpreter (sys.modules
clean) first loads what Home Assistant has loaded before it sets the
integration up (the integration's dependencies and the components of its
platforms), then what it loads to set it up: the package, its platforms, and
the platform files Home Assistant preloads with it (config_flow, diagnostics,
energy...). None of those may load one of these libraries, and none of
Powertracker's modules may import one, even one already loaded: on some
releases Home Assistant's cloud client loads botocore itself, which is no cost
of Powertracker's, but `import botocore` in our code would become one.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = ("matplotlib", "botocore", "aiobotocore", "boto3")
PROBE = """
import builtins, importlib, sys, traceback
from pathlib import Path

import homeassistant.components.http, homeassistant.components.recorder
import homeassistant.components.image, homeassistant.components.select
import homeassistant.components.sensor
from homeassistant.loader import BASE_PRELOAD_PLATFORMS

FORBIDDEN = {forbidden!r}
OURS = str(Path("custom_components", "powertracker").resolve())
before = set(sys.modules)
direct = []
plain_import = builtins.__import__

def watched_import(name, globals=None, locals=None, fromlist=(), level=0):
    module = plain_import(name, globals, locals, fromlist, level)
    caller = sys._getframe(1).f_code.co_filename
    if caller.startswith(OURS) and module.__name__.split(".")[0] in FORBIDDEN:
        direct.append(f"{{caller}} imports {{module.__name__}}")
    return module

builtins.__import__ = watched_import
package = importlib.import_module("custom_components.powertracker")
platforms = [str(platform) for platform in package.PLATFORMS] + [
    name for name in BASE_PRELOAD_PLATFORMS if Path(OURS, f"{{name}}.py").exists()
]
for platform in platforms:
    importlib.import_module(f"custom_components.powertracker.{{platform}}")
builtins.__import__ = plain_import
loaded = sorted(
    name for name in set(sys.modules) - before if name.split(".")[0] in FORBIDDEN
)
print("platforms:", " ".join(platforms))
assert not loaded and not direct, (loaded, direct)
"""


def test_loading_the_integration_imports_no_chart_or_aws_library() -> None:
    result = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", PROBE.format(forbidden=FORBIDDEN)],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    # The probe did import what Home Assistant would: the three entity platforms.
    platforms = result.stdout.split("platforms:")[1].split()
    assert {"image", "select", "sensor", "config_flow"} <= set(platforms)
