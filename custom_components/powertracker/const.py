"""Constants of the Powertracker integration."""

from __future__ import annotations

from typing import Final

DOMAIN: Final = "powertracker"
VERSION: Final = "0.1.0"

CONF_HOMES: Final = "homes"
CONF_OFFERED_HOMES: Final = "offered_homes"
"""Entry data: the homes on the account when the user last picked homes. A home
on the account that is not among them is new, and is added by itself."""
CONF_POLL_MINUTES: Final = "poll_minutes"
CONF_BACKFILL_DAYS: Final = "backfill_days"
CONF_CHART_HOURS: Final = "chart_hours"
CONF_CHART_AGGREGATE: Final = "chart_aggregate"
CONF_CHART_GRAPH: Final = "chart_graph"

DEFAULT_POLL_MINUTES: Final = 5
DEFAULT_BACKFILL_DAYS: Final = 365
DEFAULT_CHART_HOURS: Final = 24
DEFAULT_CHART_AGGREGATE: Final = "5m"
DEFAULT_CHART_GRAPH: Final = "hist"

ENV_API_URL: Final = "POWERTRACKER_TIBBER_API_URL"
"""Environment variable naming another Tibber GraphQL endpoint (simulator, proxy)."""

SNAPSHOT_TIMEOUT: Final = 10.0
"""Seconds a poll waits for the homes' first live measurements."""

ISSUE_TOO_MANY_CONNECTIONS: Final = "too_many_connections"

CONF_SINK: Final = "sink"
"""Options key of the sink settings: {"kind": SinkKind, ...the sink's own settings}."""
ISSUE_SINK_FAILING: Final = "sink_failing"
