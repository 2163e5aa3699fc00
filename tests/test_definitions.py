"""The integration's definition files agree with the code that reads them."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import voluptuous as vol
from homeassistant.util.yaml import load_yaml

from custom_components.powertracker.export import params
from custom_components.powertracker.export.models import Aggregate, Graph, Output

PACKAGE = Path(__file__).resolve().parent.parent / "custom_components" / "powertracker"


def test_translations_are_strings_json() -> None:
    """One source: translations/en.json is strings.json (scripts/lint copies it)."""
    strings = json.loads((PACKAGE / "strings.json").read_text())
    assert json.loads((PACKAGE / "translations" / "en.json").read_text()) == strings


def _defaults() -> dict[str, Any]:
    return {
        str(marker): marker.default()
        for marker in params.SCHEMA.schema
        if marker.default is not vol.UNDEFINED
    }


def test_the_action_form_matches_the_export_schema() -> None:
    """services.yaml pre-fills what the action does when a field is left out,
    offers exactly the schema's choices, and has a translation for each."""
    services: Any = load_yaml(PACKAGE / "services.yaml")
    fields = services["export"]["fields"]
    assert set(fields) == {*params.PARAMETERS, "filename", "directory"}
    prefilled = {
        key: field["default"] for key, field in fields.items() if "default" in field
    }
    assert prefilled == _defaults()
    selectors = json.loads((PACKAGE / "strings.json").read_text())["selector"]
    for name, kind in (("output", Output), ("graph", Graph), ("aggregate", Aggregate)):
        select = fields[name]["selector"]["select"]
        assert select["options"] == [member.value for member in kind]
        labels = selectors[select["translation_key"]]["options"]
        assert set(labels) == set(select["options"])
    assert fields["width"]["selector"]["number"]["min"] == params.MIN_SIZE
    assert fields["height"]["selector"]["number"]["min"] == params.MIN_SIZE // 2
    for size in ("width", "height"):
        assert fields[size]["selector"]["number"]["max"] == params.MAX_SIZE


def test_every_action_has_an_icon() -> None:
    """The action shows its own icon, not the generic bell."""
    services: Any = load_yaml(PACKAGE / "services.yaml")
    icons = json.loads((PACKAGE / "icons.json").read_text())["services"]
    assert set(icons) == set(services)
    for icon in icons.values():
        assert re.fullmatch(r"mdi:[a-z0-9-]+", icon["service"])


def settings_reasons() -> set[str]:
    """Every `SettingsError` reason the sinks raise (read from their source)."""
    found: set[str] = set()
    for module in (PACKAGE / "sink").glob("*.py"):
        found |= set(re.findall(r'SettingsError\(\s*"(\w+)"', module.read_text()))
    return found


def test_every_sink_settings_error_is_translated() -> None:
    strings = json.loads((PACKAGE / "strings.json").read_text())
    reasons = settings_reasons()
    assert len(reasons) >= 10
    missing = {r for r in reasons if f"sink_{r}" not in strings["options"]["error"]}
    assert not missing


def test_no_text_looks_like_markup() -> None:
    """The frontend reads `<word>` in a translation as a tag: "<config>/" showed
    "Translation error: UNCLOSED_TAG" in place of the options' description."""
    strings = (PACKAGE / "strings.json").read_text()
    assert not re.findall(r"<[A-Za-z/][^>]*>?", strings)
