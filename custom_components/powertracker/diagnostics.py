"""Diagnostics: what a bug report needs, without the token or the address."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from pathlib import PurePath
from typing import Any

from homeassistant.components.diagnostics import REDACTED, async_redact_data
from homeassistant.const import CONF_TOKEN
from homeassistant.core import HomeAssistant

from .data import PowertrackerConfigEntry
from .record.forwarder import Forwarder
from .sink.archive import SampleArchive
from .sink.models import SinkError
from .sink.settings import SECRETS

TO_REDACT = {CONF_TOKEN, "address1", "postal_code", "address", *SECRETS}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: PowertrackerConfigEntry
) -> dict[str, Any]:
    """The entry's settings, its homes and their last poll."""
    coordinator = entry.runtime_data.coordinator
    forwarder = entry.runtime_data.forwarder
    archive = entry.runtime_data.archive
    homes: dict[str, Any] = {}
    for home_id, state in (coordinator.data or {}).items():
        homes[home_id] = async_redact_data(
            {
                "home": asdict(state.home),
                "measurement": asdict(state.measurement) if state.measurement else None,
                "consumption_total": state.consumption_total,
                "production_total": state.production_total,
                "last_hour": asdict(state.last_hour) if state.last_hour else None,
            },
            TO_REDACT,
        )
    return {
        "entry": {
            "title": REDACTED,  # the account owner's name
            "data": async_redact_data(dict(entry.data), TO_REDACT),
            "options": async_redact_data(dict(entry.options), TO_REDACT),
        },
        "last_update_success": coordinator.last_update_success,
        "sink": forwarder.diagnostics() if forwarder else None,
        "archive": await _archive(hass, archive) if archive else None,
        "homes": homes,
    }


async def _archive(
    hass: HomeAssistant, forwarder: Forwarder[SampleArchive]
) -> dict[str, Any]:
    """The archive's file (size, rows, oldest sample) and its outbox's books.

    The path is relative to the configuration folder (it names no machine).
    """
    books = forwarder.diagnostics()
    try:
        stats: dict[str, Any] = asdict(await forwarder.sink.stats())
    except SinkError as err:
        stats = {"error": str(err)}
    if "path" in stats:
        stats["path"] = str(PurePath(stats["path"]).relative_to(hass.config.config_dir))
    for key in ("oldest", "newest"):
        if isinstance(moment := stats.get(key), datetime):
            stats[key] = moment.isoformat()
    return {**stats, **books}
