"""What hassfest and HACS's action check that needs no network.

hassfest (home-assistant/actions/hassfest) reads manifest.json with its schema for
custom integrations, its key order and services.yaml against the translations;
HACS's action (hacs/action) reads hacs.json with its schema, the integration's
manifest, the one integration folder, an information file and a license GitHub
can detect. Their other checks (topics, description, brands, releases) ask
GitHub and are not here.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import homeassistant.components
from awesomeversion import AwesomeVersion, AwesomeVersionStrategy
from homeassistant.generated.countries import COUNTRIES
from homeassistant.util.yaml import load_yaml

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "custom_components" / "powertracker"

# hassfest's CUSTOM_INTEGRATION_MANIFEST_SCHEMA: every key it knows.
MANIFEST_KEYS = {
    "domain", "name", "integration_type", "config_flow", "mqtt", "zeroconf", "ssdp",
    "bluetooth", "homekit", "dhcp", "usb", "documentation", "issue_tracker",
    "quality_scale", "requirements", "dependencies", "after_dependencies",
    "codeowners", "loggers", "disabled", "iot_class", "single_config_entry",
    "version", "import_executor",
}  # fmt: skip
INTEGRATION_TYPES = {
    "device",
    "entity",
    "hardware",
    "helper",
    "hub",
    "service",
    "system",
}
IOT_CLASSES = {
    "assumed_state", "calculated", "cloud_polling", "cloud_push", "local_polling",
    "local_push",
}  # fmt: skip
# HACS's HACS_MANIFEST_JSON_SCHEMA (hacs.json); "name" is required.
HACS_KEYS = {
    "content_in_root": bool, "country": list, "filename": str, "hacs": str,
    "hide_default_branch": bool, "homeassistant": str, "persistent_directory": str,
    "render_readme": bool, "zip_release": bool, "name": str,
}  # fmt: skip
# Tibber sells electricity in these countries.
COUNTRIES_SERVED = ["SE", "NO", "DE", "NL"]


def _json(path: Path) -> Any:
    return json.loads(path.read_text("utf-8"))


def _version(value: str) -> AwesomeVersion:
    """hassfest's verify_version: one of the strategies it accepts."""
    return AwesomeVersion(
        value,
        ensure_strategy=[
            AwesomeVersionStrategy.CALVER,
            AwesomeVersionStrategy.SEMVER,
            AwesomeVersionStrategy.SIMPLEVER,
            AwesomeVersionStrategy.BUILDVER,
            AwesomeVersionStrategy.PEP440,
        ],
    )


def _url(value: str) -> bool:
    parsed = urlparse(value)
    return parsed.scheme in {"http", "https"} and bool(parsed.netloc)


def test_manifest_follows_hassfest() -> None:
    manifest = _json(PACKAGE / "manifest.json")
    assert set(manifest) <= MANIFEST_KEYS, set(manifest) - MANIFEST_KEYS
    assert manifest["domain"] == PACKAGE.name
    assert isinstance(manifest["name"], str)
    assert manifest["name"]
    # A custom integration may not take a built-in one's domain.
    assert not (Path(homeassistant.components.__path__[0]) / PACKAGE.name).exists()
    assert urlparse(manifest["documentation"]).scheme == "https"
    assert _url(manifest["documentation"])
    assert _url(manifest["issue_tracker"])
    assert manifest["codeowners"]
    assert all(re.fullmatch(r"@[\w.-]+(/[\w.-]+)?", o) for o in manifest["codeowners"])
    assert manifest["iot_class"] in IOT_CLASSES
    assert manifest.get("integration_type", "hub") in INTEGRATION_TYPES
    assert isinstance(manifest.get("config_flow", False), bool)
    for key in ("requirements", "dependencies", "after_dependencies", "loggers"):
        assert all(isinstance(item, str) for item in manifest.get(key, []))
    _version(manifest["version"])
    # hassfest: manifest keys sorted as domain, name, then alphabetical.
    keys = list(manifest)
    assert keys == sorted(
        keys, key=lambda key: {"domain": ".domain", "name": ".name"}.get(key, key)
    )


def test_hacs_json_follows_hacs() -> None:
    hacs = _json(ROOT / "hacs.json")
    assert set(hacs) <= set(HACS_KEYS), set(hacs) - set(HACS_KEYS)
    assert "name" in hacs
    for key, kind in HACS_KEYS.items():
        if key in hacs:
            assert isinstance(hacs[key], kind), key
    assert hacs["country"] == COUNTRIES_SERVED
    assert set(hacs["country"]) <= COUNTRIES
    _version(hacs["homeassistant"])


def test_the_repository_has_what_hacs_reads() -> None:
    """One integration folder with a manifest HACS accepts, a README, a license."""
    integrations = [p for p in (ROOT / "custom_components").iterdir() if p.is_dir()]
    assert [p.name for p in integrations if not p.name.startswith("__")] == [
        PACKAGE.name
    ]
    manifest = _json(PACKAGE / "manifest.json")
    for key in (
        "codeowners",
        "documentation",
        "domain",
        "issue_tracker",
        "name",
        "version",
    ):
        assert key in manifest, key
    assert (ROOT / "README.md").is_file()
    # GitHub detects Apache-2.0 from the license's own text.
    license_text = (ROOT / "LICENSE").read_text("utf-8")
    assert "Apache License" in license_text
    assert "Version 2.0, January 2004" in license_text
    assert "END OF TERMS AND CONDITIONS" in license_text


def test_every_action_and_field_has_its_translation() -> None:
    """hassfest's services check: names and descriptions come from strings.json."""
    services: Any = load_yaml(PACKAGE / "services.yaml")
    strings = _json(PACKAGE / "strings.json")["services"]
    assert set(services) == set(strings)
    for name, service in services.items():
        assert strings[name]["name"]
        assert strings[name]["description"]
        fields = set((service or {}).get("fields", {}))
        assert fields == set(strings[name].get("fields", {}))
        for field in fields:
            assert strings[name]["fields"][field]["name"]
            assert strings[name]["fields"][field]["description"]
