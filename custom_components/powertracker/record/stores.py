"""The stores an entry's options configure, built on Home Assistant's resources.

The local archive (`archive_of`, on unless turned off) and the sink (`create_sink`).

The options hold `{"kind": ..., **settings}` under `CONF_SINK`; the settings
are the keyword arguments of the sink's class (`sink/influx.py`,
`sink/timestream.py`), so the options flow, this factory and the sinks share
one vocabulary.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path
from typing import Any

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.aiohttp_client import async_get_clientsession

from ..const import (
    CONF_ARCHIVE,
    CONF_ARCHIVE_DAYS,
    CONF_SINK,
    DEFAULT_ARCHIVE_DAYS,
    DOMAIN,
    ISSUE_ARCHIVE_SET_ASIDE,
)
from ..sink.archive import SampleArchive
from ..sink.models import Sink


class SinkKind(StrEnum):
    """Where samples go besides the recorder."""

    NONE = "none"
    TIMESTREAM = "timestream"
    """AWS Timestream for LiveAnalytics."""
    INFLUXDB = "influxdb"
    """Timestream for InfluxDB, or any InfluxDB 1.x/2.x/3.x."""


def sink_settings(options: Mapping[str, Any]) -> dict[str, Any]:
    """The sink settings of an entry's options (kind `none` when unset)."""
    settings = dict(options.get(CONF_SINK) or {})
    settings.setdefault("kind", SinkKind.NONE)
    return settings


def sink_name(settings: Mapping[str, Any]) -> str:
    """What an error calls the sink of `settings`: its kind and database (no
    host, which may carry credentials, and no secret)."""
    kind = SinkKind(settings["kind"])
    if kind is SinkKind.INFLUXDB:
        return f"InfluxDB database {settings.get('database')!r}"
    if kind is SinkKind.TIMESTREAM:
        return f"Timestream table {settings.get('database')}.{settings.get('table')}"
    return "sink"


def create_sink(hass: HomeAssistant, settings: Mapping[str, Any]) -> Sink | None:
    """The sink of `settings`, not yet connected; None for kind `none`.

    Raises ValueError (without secrets) for settings that cannot work.
    """
    values = {key: value for key, value in settings.items() if key != "kind"}
    kind = SinkKind(settings["kind"])
    if kind is SinkKind.INFLUXDB:
        from ..sink.influx import InfluxSink  # noqa: PLC0415 - only when configured

        session = async_get_clientsession(
            hass, verify_ssl=values.get("verify_ssl", True)
        )
        return InfluxSink(session, **values)
    if kind is SinkKind.TIMESTREAM:
        from ..sink.timestream import TimestreamSink  # noqa: PLC0415 - imports botocore

        return TimestreamSink(**values)
    return None


def archive_path(hass: HomeAssistant, entry_id: str) -> Path:
    """`<config>/powertracker/archive_<entry id>.db`."""
    return Path(hass.config.path(DOMAIN, f"archive_{entry_id}.db"))


def set_aside_issue_id(entry_id: str) -> str:
    """The notice that an entry's unreadable archive file was set aside."""
    return f"{ISSUE_ARCHIVE_SET_ASIDE}_{entry_id}"


def archive_of(
    hass: HomeAssistant, entry_id: str, title: str, options: Mapping[str, Any]
) -> SampleArchive | None:
    """The entry's five-minute archive; None when the options turn it off."""
    if not options.get(CONF_ARCHIVE, True):
        return None

    @callback
    def _set_aside(path: Path) -> None:
        ir.async_create_issue(
            hass,
            DOMAIN,
            set_aside_issue_id(entry_id),
            is_fixable=True,
            is_persistent=True,
            severity=ir.IssueSeverity.WARNING,
            translation_key=ISSUE_ARCHIVE_SET_ASIDE,
            translation_placeholders={"account": title, "path": str(path)},
        )

    return SampleArchive(
        archive_path(hass, entry_id),
        int(options.get(CONF_ARCHIVE_DAYS, DEFAULT_ARCHIVE_DAYS)),
        _set_aside,
    )
