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

DEFAULT_POLL_MINUTES: Final = 5
DEFAULT_BACKFILL_DAYS: Final = 365

ENV_API_URL: Final = "POWERTRACKER_TIBBER_API_URL"
"""Environment variable naming another Tibber GraphQL endpoint (simulator, proxy)."""

SNAPSHOT_TIMEOUT: Final = 10.0
"""Seconds a poll waits for the homes' first live measurements."""

ISSUE_TOO_MANY_CONNECTIONS: Final = "too_many_connections"

CONF_SINK: Final = "sink"
"""Options key of the sink settings: {"kind": SinkKind, ...the sink's own settings}."""
ISSUE_SINK_FAILING: Final = "sink_failing"
ISSUE_ARCHIVE_FAILING: Final = "archive_failing"
ISSUE_ARCHIVE_SET_ASIDE: Final = "archive_set_aside"

CONF_ARCHIVE: Final = "archive"
"""Option: keep every sample in the local five-minute archive (on by default)."""
CONF_ARCHIVE_DAYS: Final = "archive_days"
"""Option: days the archive keeps (0: everything)."""
DEFAULT_ARCHIVE_DAYS: Final = 730


def statistic_id(home_id: str, kind: str) -> str:
    """`powertracker:<home id>_<kind>` (consumption, cost, production, profit): the
    hourly statistics' ids, written by `record/statistics.py`, read by the export."""
    return f"{DOMAIN}:{home_id.lower().replace('-', '_')}_{kind}"
