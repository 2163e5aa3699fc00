"""The package's layers, read from the tree itself.

- **Free of Home Assistant**: every module of `tibber/`, `sink/` and `meter/`,
  and every other module that does not import Home Assistant itself (the pure
  export modules, `const`, `chart`), is imported in a fresh interpreter where
  `homeassistant` cannot be imported, under a stand-in for the integration's
  package (whose `__init__` is Home Assistant's entry point). So a module that
  looks pure cannot reach Home Assistant through another. Importing it must
  also leave logging as it was: no logger that was there changes, and none
  gets a filter (libraries may set up their own new loggers).
- **Arrows only downwards, no circle**: the imports are read from each
  module's syntax tree (type-only and function-local imports included). The
  folders are ranked in `LAYERS`; the package root and `export/` are the Home
  Assistant glue on top. A module imports from its own folder, from a lower
  layer, or from the root's leaves (modules that import nothing else of the
  package: `const`, `compat`); and no chain of imports comes back to where it
  started.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "custom_components" / "powertracker"
PURE_FOLDERS = ("tibber", "sink", "meter")
"""Folders of which every module must import without Home Assistant."""
LAYERS = {"tibber": 0, "sink": 0, "meter": 1, "record": 2}
"""Each folder's layer; the root (`""`) and `export/` are the glue above them."""
GLUE = 3


def modules(package: Path) -> dict[str, Path]:
    """Every module of `package` by dotted name relative to it ("" is the root)."""
    found = {}
    for path in sorted(package.rglob("*.py")):
        parts = list(path.relative_to(package).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _package_of(name: str, path: Path) -> list[str]:
    """The package a module's relative imports start from."""
    parts = name.split(".") if name else []
    return parts if path.name == "__init__.py" else parts[:-1]


def imports(package: Path) -> dict[str, set[str]]:
    """Each module's imports of other modules of `package`, from its syntax tree."""
    known = modules(package)
    arrows: dict[str, set[str]] = {}
    for name, path in known.items():
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.ImportFrom) or not node.level:
                continue  # absolute imports are other packages'
            base = _package_of(name, path)[
                : len(_package_of(name, path)) - node.level + 1
            ]
            stem = [*base, *(node.module.split(".") if node.module else [])]
            for alias in node.names:
                submodule = ".".join([*stem, alias.name])
                targets.add(submodule if submodule in known else ".".join(stem))
        arrows[name] = targets - {name}
    return arrows


def _folder(name: str) -> str:
    return (
        name.split(".", maxsplit=1)[0]
        if name.split(".", maxsplit=1)[0] in {*LAYERS, "export"}
        else ""
    )


def layer(name: str, arrows: Mapping[str, set[str]]) -> int:
    """A module's layer: its folder's; a root leaf's is 0."""
    folder = _folder(name)
    if folder == "" and name and not _reaches_beyond_leaves(name, arrows):
        return 0
    return LAYERS.get(folder, GLUE)


def _reaches_beyond_leaves(name: str, arrows: Mapping[str, set[str]]) -> bool:
    """Whether a root module imports anything but other root leaves."""
    seen, todo = {name}, [name]
    while todo:
        for target in arrows[todo.pop()]:
            if _folder(target) != "" or not target:
                return True
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return False


def upward(arrows: Mapping[str, set[str]]) -> list[tuple[str, str]]:
    """The imports that go to a higher layer, or sideways into another folder."""
    return sorted(
        (source, target)
        for source, targets in arrows.items()
        for target in targets
        if _folder(source) != _folder(target)
        and layer(target, arrows) >= layer(source, arrows)
        and not (layer(source, arrows) == GLUE and layer(target, arrows) == GLUE)
    )


def circles(arrows: Mapping[str, set[str]]) -> list[list[str]]:
    """Each group of modules that import one another in a circle (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(name: str) -> None:
        index[name] = low[name] = len(index)
        stack.append(name)
        for target in sorted(arrows.get(name, ())):
            if target not in index:
                visit(target)
                low[name] = min(low[name], low[target])
            elif target in stack:
                low[name] = min(low[name], index[target])
        if low[name] == index[name]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == name:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for name in sorted(arrows):
        if name not in index:
            visit(name)
    return found


def _imports_home_assistant(path: Path) -> bool:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names = (
            [alias.name for alias in node.names]
            if isinstance(node, ast.Import)
            else [node.module or ""]
            if isinstance(node, ast.ImportFrom) and not node.level
            else []
        )
        if any(name.split(".")[0] == "homeassistant" for name in names):
            return True
    return False


FREE = sorted(
    name
    for name, path in modules(PACKAGE).items()
    if name and (_folder(name) in PURE_FOLDERS or not _imports_home_assistant(path))
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


def test_the_walk_finds_every_pure_module() -> None:
    """The folders' modules, and the pure ones among the glue's."""
    for folder in PURE_FOLDERS:
        assert {f"{folder}.{p.stem}" for p in (PACKAGE / folder).glob("[!_]*.py")} <= {
            *FREE
        }
    assert {"const", "chart", "export.models", "export.sample_rows"} <= {*FREE}
    assert not {"", "data", "coordinator", "export.run"} & {*FREE}


@pytest.mark.parametrize("module", FREE)
def test_imports_nothing_from_home_assistant(module: str) -> None:
    code = f"PACKAGE = {str(PACKAGE)!r}\nMODULE = {module!r}\n{PROBE}"
    result = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr[-2000:]


def test_no_import_runs_upwards() -> None:
    assert upward(imports(PACKAGE)) == []


def test_no_import_circle() -> None:
    assert circles(imports(PACKAGE)) == []


def test_the_checks_see_type_only_and_upward_imports(tmp_path: Path) -> None:
    """A package with a circle only the type checker sees, and a domain
    module that imports the glue: both are found."""
    (tmp_path / "meter").mkdir()
    files = {
        "__init__.py": "",
        "const.py": "DOMAIN = 'x'\n",
        "data.py": "from typing import TYPE_CHECKING\n"
        "from .const import DOMAIN\n"
        "if TYPE_CHECKING:\n    from .coordinator import C\n",
        "coordinator.py": "from .data import D\nfrom .meter.state import S\n",
        "meter/__init__.py": '"""The domain."""\n',
        "meter/state.py": "from ..const import DOMAIN\n"
        "def f():\n    from ..data import D\n",
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    arrows = imports(tmp_path)
    assert arrows["data"] == {"const", "coordinator"}
    assert circles(arrows) == [["coordinator", "data", "meter.state"]]
    assert upward(arrows) == [("meter.state", "data")]


def test_the_export_reads_without_the_write_path() -> None:
    """The export is handed its readers: it imports nothing of `record/`."""
    arrows = imports(PACKAGE)
    assert not [
        (source, target)
        for source, targets in arrows.items()
        for target in targets
        if _folder(source) == "export" and _folder(target) == "record"
    ]
