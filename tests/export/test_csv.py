"""The CSV renderer: RFC 4180, local times, safe text cells."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from custom_components.powertracker.export.csv import HEADER, render_csv
from custom_components.powertracker.export.models import Bucket, HomeBuckets

TZ = ZoneInfo("Europe/Stockholm")
START = datetime(2026, 11, 28, 11, tzinfo=UTC)


def test_rows_parse_back_to_the_buckets() -> None:
    buckets = [
        Bucket(START, START + timedelta(hours=1), 1.5, 1500.0, 2.25, 0.1, True),
        Bucket(
            START + timedelta(hours=1),
            START + timedelta(hours=2),
            None,
            None,
            None,
            None,
            False,
        ),
    ]
    text = render_csv([HomeBuckets("home-1", 'Villa "Sol", Norr', "SEK", buckets)], TZ)
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
    # Missing data is an empty cell, never 0.
    assert rows[2][4:] == ["", "", "", "", ""]
    assert text.endswith("\r\n")


def test_formula_like_text_is_defused() -> None:
    bucket = Bucket(START, START + timedelta(hours=1), 1.0, 1000.0, 1.0, None, True)
    text = render_csv([HomeBuckets("=HYPERLINK(1)", "+SUM(A1)", "@X", [bucket])], TZ)
    row = list(csv.reader(io.StringIO(text)))[1]
    assert row[0] == "'=HYPERLINK(1)"
    assert row[1] == "'+SUM(A1)"
    assert row[7] == "'@X"


def test_no_buckets_is_the_header_only() -> None:
    assert render_csv([], TZ) == ",".join(HEADER) + "\r\n"
