"""The CSV renderer: RFC 4180, local times, safe text cells."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from hypothesis import given, settings, strategies as st

from custom_components.powertracker.export.aggregate import edges
from custom_components.powertracker.export.csv import (
    HEADER,
    csv_chunks,
    render_csv,
    stamps,
)
from custom_components.powertracker.export.models import Aggregate, HomeBuckets

TZ = ZoneInfo("Europe/Stockholm")
START = datetime(2026, 11, 28, 11, tzinfo=UTC)
NAN = float("nan")
HOUR = timedelta(hours=1)


def _hours(
    home_id: str,
    name: str,
    currency: str | None,
    *rows: tuple[float, ...],
    start: datetime = START,
) -> HomeBuckets:
    """Hourly buckets from `start`: rows of (energy, power, cost, production)."""
    energy, power, cost, production = np.array(rows, dtype=float).reshape(-1, 4).T
    return HomeBuckets(
        home_id,
        name,
        currency,
        edges=(start.timestamp() + 3600.0 * np.arange(len(rows) + 1)).astype(
            np.float64
        ),
        energy=energy,
        average_power=power,
        cost=cost,
        production=production,
        complete=~np.isnan(energy),
    )


def test_rows_parse_back_to_the_buckets() -> None:
    home = _hours(
        "home-1",
        'Villa "Sol", Norr',
        "SEK",
        (1.5, 1500.0, 2.25, 0.1),
        (NAN, NAN, NAN, NAN),
        (0.25, 250.0, NAN, NAN),
    )
    text = render_csv([home], TZ).decode()
    rows = list(csv.reader(io.StringIO(text)))
    assert tuple(rows[0]) == HEADER
    assert rows[1] == [
        "home-1",
        'Villa "Sol", Norr',
        "2026-11-28T12:00:00+01:00",
        "2026-11-28T13:00:00+01:00",
        "1.500000",
        "1500.0",
        "2.2500",
        "SEK",
        "0.100000",
    ]
    # Missing data is an empty cell, never 0; no currency without a cost.
    assert rows[2][4:] == ["", "", "", "", ""]
    assert rows[3][4:] == ["0.250000", "250.0", "", "", ""]
    assert rows[3][2] == rows[2][3]
    assert text.endswith("\r\n")
    assert text.count("\r\n") == 4


def test_formula_like_text_is_defused() -> None:
    home = _hours("=HYPERLINK(1)", "+SUM(A1)", "@X", (1.0, 1000.0, 1.0, NAN))
    row = list(csv.reader(io.StringIO(render_csv([home], TZ).decode())))[1]
    assert row[0] == "'=HYPERLINK(1)"
    assert row[1] == "'+SUM(A1)"
    assert row[7] == "'@X"


def test_no_buckets_is_the_header_only() -> None:
    assert render_csv([], TZ) == (",".join(HEADER) + "\r\n").encode()


ZONES = [
    "Europe/Stockholm",
    "America/St_Johns",  # -03:30 / -02:30
    "Australia/Lord_Howe",  # DST moves the clock by 30 minutes
    "Africa/Casablanca",  # DST suspended for a month around Ramadan
    "Asia/Kathmandu",  # +05:45
    "Pacific/Apia",  # skipped 2011-12-30 entirely
    "UTC",
]


@settings(max_examples=60, deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    start=st.datetimes(
        datetime(2000, 1, 1),  # noqa: DTZ001 - hypothesis wants naive bounds
        datetime(2035, 1, 1),  # noqa: DTZ001
        timezones=st.just(UTC),
    ),
    days=st.integers(1, 800),
    kind=st.sampled_from([Aggregate.HOUR, Aggregate.DAY, Aggregate.MONTH]),
)
def test_stamps_equal_isoformat(
    zone: str, start: datetime, days: int, kind: Aggregate
) -> None:
    """The numpy shortcut writes what `datetime.isoformat` writes, in any zone."""
    tz = ZoneInfo(zone)
    bounds = edges(kind, start, start + timedelta(days=days), tz)
    expected = [
        datetime.fromtimestamp(edge, UTC).astimezone(tz).isoformat().encode()
        for edge in bounds
    ]
    assert stamps(bounds, tz) == expected


def _reference(homes: list[HomeBuckets], tz: ZoneInfo) -> str:
    """The CSV written the plain way: csv.writer, isoformat, a format per cell."""

    def number(value: float, digits: int) -> str:
        return "" if np.isnan(value) else f"{value:.{digits}f}"

    def text(value: str | None) -> str | None:
        return f"'{value}" if value and value[0] in "=+-@\t\r" else value

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    for home in homes:
        times = [
            datetime.fromtimestamp(edge, UTC).astimezone(tz).isoformat()
            for edge in home.edges
        ]
        for index in range(len(home)):
            cost = number(home.cost[index], 4)
            writer.writerow(
                (
                    text(home.home_id),
                    text(home.home_name),
                    times[index],
                    times[index + 1],
                    number(home.energy[index], 6),
                    number(home.average_power[index], 1),
                    cost,
                    text(home.currency) if cost else "",
                    number(home.production[index], 6),
                )
            )
    return out.getvalue()


_VALUE = st.one_of(
    st.just(NAN), st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)
)


@settings(max_examples=80, deadline=None)
@given(
    home_id=st.text(min_size=1, max_size=12),
    name=st.text(max_size=12),
    currency=st.one_of(st.none(), st.text(max_size=4)),
    rows=st.lists(
        st.tuples(_VALUE, st.floats(0, 1e6), _VALUE, _VALUE), min_size=1, max_size=40
    ),
    start=st.sampled_from(
        [
            START,
            datetime(2026, 3, 29, tzinfo=UTC),  # the clocks go forward at 01:00 UTC
            datetime(2026, 10, 25, tzinfo=UTC),  # and back
        ]
    ),
    shift=st.integers(0, 30),
    piece=st.integers(1, 45),
)
def test_rows_equal_the_plain_csv_writer(
    home_id: str,
    name: str,
    currency: str | None,
    rows: list[tuple[float, float, float, float]],
    start: datetime,
    shift: int,
    piece: int,
) -> None:
    """Any mix of missing cells, any text (quotes, `%`, braces, line breaks), and
    two homes with different edges, across daylight saving time changes."""
    # Energy and power are missing together (the aggregation guarantees it).
    rows = [(e, NAN if np.isnan(e) else p, c, q) for e, p, c, q in rows]
    first = _hours(home_id, name, currency, *rows, start=start)
    second = _hours(name or "x", home_id, None, *rows, start=start + shift * HOUR)
    homes = [first, second]
    reference = _reference(homes, TZ).encode()
    assert render_csv(homes, TZ) == reference
    # Streamed in pieces of `piece` lines, whole lines each, the same bytes.
    pieces = list(csv_chunks(homes, TZ, rows=piece))
    assert b"".join(pieces) == reference
    assert all(p.endswith(b"\r\n") for p in pieces)
    assert max(p.count(b"\r\n") for p in pieces[1:]) <= piece
    assert len(pieces) == 1 + 2 * -(-len(rows) // piece)
