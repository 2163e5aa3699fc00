"""The sink an entry's options configure, built on Home Assistant's resources.

The options hold `{"kind": ..., **settings}` under `CONF_SINK`; the settings
are the keyword arguments of the sink's class (`sink/influx.py`,
`sink/timestream.py`), so the options flow, this factory and the sinks share
one vocabulary.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession

from .const import CONF_SINK
from .sink.models import Sink


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


def create_sink(hass: HomeAssistant, settings: Mapping[str, Any]) -> Sink | None:
    """The sink of `settings`, not yet connected; None for kind `none`.

    Raises ValueError (without secrets) for settings that cannot work.
    """
    values = {key: value for key, value in settings.items() if key != "kind"}
    kind = SinkKind(settings["kind"])
    if kind is SinkKind.INFLUXDB:
        from .sink.influx import InfluxSink  # noqa: PLC0415 - only when configured

        session = async_get_clientsession(
            hass, verify_ssl=values.get("verify_ssl", True)
        )
        return InfluxSink(session, **values)
    if kind is SinkKind.TIMESTREAM:
        from .sink.timestream import TimestreamSink  # noqa: PLC0415 - imports botocore

        return TimestreamSink(**values)
    return None
