"""CSV of export buckets (RFC 4180), one row per home per bucket."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import datetime, tzinfo

from .models import HomeBuckets

HEADER = (
    "home_id",
    "home_name",
    "start",
    "end",
    "consumption_kwh",
    "average_power_w",
    "cost",
    "currency",
    "production_kwh",
)
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def _text(value: str | None) -> str:
    """A text cell a spreadsheet will not run as a formula."""
    if not value:
        return ""
    return f"'{value}" if value.startswith(_FORMULA) else value


def _number(value: float | None, digits: int) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def render_csv(homes: Sequence[HomeBuckets], tz: tzinfo) -> str:
    """Header, then the buckets of each home; times are ISO 8601 with offset."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    stamps: dict[
        datetime, str
    ] = {}  # homes share edges; an edge ends one, starts the next

    def stamp(when: datetime) -> str:
        text = stamps.get(when)
        if text is None:
            text = stamps[when] = when.astimezone(tz).isoformat()
        return text

    writer.writerow(HEADER)
    for home in homes:
        for bucket in home.buckets:
            writer.writerow(
                (
                    _text(home.home_id),
                    _text(home.home_name),
                    stamp(bucket.start),
                    stamp(bucket.end),
                    _number(bucket.energy, 6),
                    _number(bucket.average_power, 1),
                    _number(bucket.cost, 4),
                    _text(home.currency) if bucket.cost is not None else "",
                    _number(bucket.production, 6),
                )
            )
    return out.getvalue()
