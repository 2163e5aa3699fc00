"""Constants of the Powertracker integration."""

from __future__ import annotations

import re
import unicodedata
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


def statistic_id(home_id: str, home_name: str, kind: str) -> str:
    """`powertracker:<home name>_hourly_<kind>_<home id's first 8 characters>`:
    the id of a home's hourly statistic (kind: consumption, cost, production,
    compensation), written by `record/statistics.py`, read by the export.

    Its words are those of the statistic's English name ("<home> hourly
    consumption"): Home Assistant's statistic picker matches an external
    statistic by its id and integration only, not by its name. The home's name
    is slugified (lower case, ASCII: "Sjövägen 7" is `sjovagen_7`); the first
    8 characters of Tibber's home id keep homes of the same name apart. The id
    depends on nothing else (not Home Assistant's language, the entry or the
    other homes); a home renamed in Tibber's app has its statistics renamed at
    the next setup, rows kept (`record/statistics.py`).
    """
    short = _slug(home_id).replace("_", "")[:8]
    return f"{DOMAIN}:{_slug(home_name) or 'home'}_hourly_{kind}_{short}"


_LETTERS: Final = str.maketrans({"ø": "o", "æ": "ae", "ß": "ss", "œ": "oe", "đ": "d"})
"""Letters that Unicode does not decompose into an ASCII letter and a mark."""


def _slug(text: str) -> str:
    """Lower-case ASCII words joined by `_` ("Bjørkveien 7b" is `bjorkveien_7b`),
    as Home Assistant's `slugify` writes them (this module imports nothing of
    Home Assistant)."""
    plain = unicodedata.normalize("NFKD", text.lower().translate(_LETTERS))
    return "_".join(re.findall("[a-z0-9]+", plain.encode("ascii", "ignore").decode()))
