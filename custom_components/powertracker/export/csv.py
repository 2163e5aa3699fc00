"""CSV of export buckets (RFC 4180), one row per home per bucket.

Only the text cells (home id, name, currency) can need quoting; they are
quoted once per home with the csv module. Numbers and times never do, so rows
are joined directly: a year of hours is 17,520 rows per pair of homes.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from typing import cast

import numpy as np

from .models import FloatArray, HomeBuckets

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
_WEEK = 7 * 86400.0
"""No time zone changes its UTC offset twice within a week."""


def _text(value: str | None) -> str:
    """A text cell, quoted as RFC 4180 needs, that no spreadsheet runs as a formula."""
    if not value:
        return ""
    if value.startswith(_FORMULA):
        value = f"'{value}"
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow((value,))
    return out.getvalue()


def _cells(template: str, blank: str, *columns: FloatArray) -> list[str]:
    """`template` (a `str.format` of numbers) filled row by row from `columns`;
    `blank` (the same cells, empty) where the first column is NaN (no data)."""
    missing = cast("list[int]", np.flatnonzero(np.isnan(columns[0])).tolist())
    if len(missing) == len(columns[0]):
        return [blank] * len(columns[0])
    texts = list(map(template.format, *map(floats, columns)))
    for index in missing:
        texts[index] = blank
    return texts


def floats(values: FloatArray) -> list[float]:
    """The values as Python floats (`tolist`: far faster than iterating numpy)."""
    return cast("list[float]", values.tolist())


def _offsets(edges: FloatArray, tz: tzinfo) -> FloatArray:
    """The UTC offset (seconds) of `tz` at each of the sorted `edges`.

    Asks the zone at both ends of a stretch and halves it until the offsets
    agree over at most a week: a few hundred lookups for a year of hours.
    """

    def offset(index: int) -> float:
        moment = datetime.fromtimestamp(float(edges[index]), tz)
        return moment.utcoffset().total_seconds()  # type: ignore[union-attr]

    out = np.empty(len(edges))
    last = len(edges) - 1
    stack = [(0, last, offset(0), offset(last))]
    while stack:
        low, high, at_low, at_high = stack.pop()
        if at_low == at_high and edges[high] - edges[low] <= _WEEK:
            out[low : high + 1] = at_low
        elif high - low <= 1:
            out[low], out[high] = at_low, at_high
        else:
            middle = (low + high) // 2
            at_middle = offset(middle)
            stack += [
                (low, middle, at_low, at_middle),
                (middle, high, at_middle, at_high),
            ]
    return out


def stamps(edges: FloatArray, tz: tzinfo) -> list[str]:
    """ISO 8601 local times with offset of `edges` (UTC timestamps).

    The same text as `datetime.isoformat()`, built with numpy for the inner
    edges (whole seconds); the range's ends may carry microseconds.
    """
    offsets = _offsets(edges, tz)
    local = (edges + offsets).astype("datetime64[s]")
    texts = cast("list[str]", np.datetime_as_string(local, unit="s").tolist())
    suffix = {
        value: datetime(
            2000, 1, 1, tzinfo=timezone(timedelta(seconds=value))
        ).isoformat()[19:]
        for value in set(floats(offsets))
    }
    result = [
        text + suffix[value] for text, value in zip(texts, floats(offsets), strict=True)
    ]
    for index in {0, len(edges) - 1}:
        moment = datetime.fromtimestamp(float(edges[index]), UTC)
        result[index] = moment.astimezone(tz).isoformat()
    return result


def render_csv(homes: Sequence[HomeBuckets], tz: tzinfo) -> str:
    """Header, then the buckets of each home; times are ISO 8601 with offset."""
    lines = [",".join(HEADER)]
    cache: dict[bytes, list[str]] = {}  # homes share their edges
    for home in homes:
        key = home.edges.tobytes()
        if key not in cache:
            cache[key] = stamps(home.edges, tz)
        times = cache[key]
        prefix = f"{_text(home.home_id)},{_text(home.home_name)}"
        currency = _text(home.currency)
        cost = _cells("{:.4f}", "", home.cost)
        lines += [
            f"{prefix},{start},{end},{usage},{money},"
            f"{currency if money else ''},{production}"
            for start, end, usage, money, production in zip(
                times,
                times[1:],
                # Energy and power are missing together.
                _cells("{:.6f},{:.1f}", ",", home.energy, home.average_power),
                cost,
                _cells("{:.6f}", "", home.production),
                strict=False,
            )
        ]
    return "\r\n".join(lines) + "\r\n"
