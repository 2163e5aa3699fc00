"""CSV of export buckets (RFC 4180), one row per home per bucket.

Only the text cells (home id, name, currency) can need quoting; they are
quoted once per home with the csv module. Numbers and times never do, so rows
are joined directly: a year of hours is 17,520 rows per pair of homes.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from itertools import compress, pairwise
from typing import cast

import numpy as np

from ..sink.models import FloatArray
from .models import HomeBuckets, IntArray

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
CHUNK_ROWS = 4096
"""Lines per piece of a streamed CSV (about half a megabyte)."""
_FORMULA = ("=", "+", "-", "@", "\t", "\r")
_WEEK = 7 * 86400.0
"""No time zone changes its UTC offset twice within a week."""


def _csv_cell(value: str | None) -> str:
    """A text cell, quoted as RFC 4180 needs, that no spreadsheet runs as a formula."""
    if not value:
        return ""
    if value.startswith(_FORMULA):
        value = f"'{value}"
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow((value,))
    return out.getvalue()


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


def stamps(edges: FloatArray, tz: tzinfo) -> list[bytes]:
    """ISO 8601 local times with offset of `edges` (UTC timestamps), in ASCII.

    The same text as `datetime.isoformat()`, built with numpy for the inner
    edges (whole seconds); the range's ends may carry microseconds.
    """
    offsets = _offsets(edges, tz)
    local = (edges + offsets).astype("datetime64[s]")
    texts = cast("list[bytes]", local.astype("S19").tolist())
    changes = cast("list[int]", (np.flatnonzero(np.diff(offsets)) + 1).tolist())
    cuts = [0, *changes, len(edges)]
    result: list[bytes] = []
    for low, high in pairwise(cuts):  # runs of one offset
        offset = timezone(timedelta(seconds=float(offsets[low])))
        suffix = datetime(2000, 1, 1, tzinfo=offset).isoformat()[19:].encode()
        result += [text + suffix for text in texts[low:high]]
    for index in {0, len(edges) - 1}:
        moment = datetime.fromtimestamp(float(edges[index]), UTC)
        result[index] = moment.astimezone(tz).isoformat().encode()
    return result


def _lines(home: HomeBuckets, times: list[bytes]) -> list[bytes]:
    """The lines of one home's buckets (UTF-8), without line ends.

    One `%` format per line: a template per pattern of missing cells (energy
    and power are missing together, cost and currency too), each filled only
    with the cells it shows, so no NaN is ever formatted. Bytes, not text:
    formatting them costs half as much, and there is nothing to encode after.
    """
    home_id, name, currency = (
        _csv_cell(text).replace("%", "%%").encode()
        for text in (home.home_id, home.home_name, home.currency)
    )
    parts = (  # (cells when present, when missing, the values they show)
        (b"%.6f,%.1f", b",", (home.energy, home.average_power)),
        (b"%.4f," + currency, b",", (home.cost,)),
        (b"%.6f", b"", (home.production,)),
    )
    pattern = np.zeros(len(home), dtype=np.intp)  # bit set: that part is shown
    for bit, (_, _, values) in enumerate(parts):
        pattern |= ~np.isnan(values[0]) << bit
    lines: list[bytes] = []
    places: list[IntArray] = []
    for code in cast("list[int]", np.unique(pattern).tolist()):
        rows = pattern == code
        chosen = cast("list[bool]", rows.tolist())
        cells = [home_id, name, b"%s", b"%s"]
        columns = [compress(times, chosen), compress(times[1:], chosen)]
        for bit, (shown, missing, values) in enumerate(parts):
            if code >> bit & 1:
                cells.append(shown)
                columns += [column[rows].tolist() for column in values]
            else:
                cells.append(missing)
        template = b",".join(cells)
        lines += [template % row for row in zip(*columns, strict=True)]
        places.append(np.flatnonzero(rows))
    if len(places) < 2:
        return lines
    ordered = np.empty(len(lines), dtype=object)
    ordered[np.concatenate(places)] = lines
    return cast("list[bytes]", ordered.tolist())


def csv_chunks(
    homes: Sequence[HomeBuckets], tz: tzinfo, rows: int = CHUNK_ROWS
) -> Iterator[bytes]:
    """The CSV in UTF-8, in pieces of at most `rows` lines: the header, then the
    buckets of each home; times are ISO 8601 with offset.

    A caller streams the pieces, so a year of 5-minute rows is never one
    12 MB body (nor the list of its lines).
    """
    yield ",".join(HEADER).encode() + b"\r\n"
    cache: dict[bytes, list[bytes]] = {}  # homes share their edges
    for home in homes:
        key = home.edges.tobytes()
        if key not in cache:
            cache[key] = stamps(home.edges, tz)
        times = cache[key]
        for low in range(0, len(home), rows):
            high = min(low + rows, len(home))
            lines = _lines(home.part(low, high), times[low : high + 1])
            lines.append(b"")  # the last line's end (joined, not added: less to copy)
            yield b"\r\n".join(lines)


def render_csv(homes: Sequence[HomeBuckets], tz: tzinfo) -> bytes:
    """The whole CSV of `csv_chunks`."""
    return b"".join(csv_chunks(homes, tz))
