"""A chart's title and words in Home Assistant's language (pure)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from custom_components.powertracker.export.models import Aggregate, Graph
from custom_components.powertracker.export.texts import chart_text, chart_title

STOCKHOLM = ZoneInfo("Europe/Stockholm")


def _local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=STOCKHOLM)


@pytest.mark.parametrize(
    ("language", "week", "day", "year"),
    [
        (
            "en",
            "Villa · kWh per hour · 21 Nov - 28 Nov 2026",
            "Villa · average W per 5 minutes · 5 Dec 10:15 - 6 Dec 10:15",
            "Cabin · kWh per month · Dec 2025 - Nov 2026 (Nov to date)",
        ),
        (
            "sv",
            "Villa · kWh per timme · 21 nov - 28 nov 2026",
            "Villa · medeleffekt (W) per 5 minuter · 5 dec 10:15 - 6 dec 10:15",
            "Cabin · kWh per månad · dec 2025 - nov 2026 (nov hittills)",
        ),
        (
            "nb",
            "Villa · kWh per time · 21. nov - 28. nov 2026",
            "Villa · gjennomsnittlig effekt (W) per 5 minutter · "
            "5. des 10:15 - 6. des 10:15",
            "Cabin · kWh per måned · des 2025 - nov 2026 (nov hittil)",
        ),
        (
            "de",
            "Villa · kWh pro Stunde · 21. Nov - 28. Nov 2026",
            "Villa · Durchschnittsleistung (W) pro 5 Minuten · "
            "5. Dez 10:15 - 6. Dez 10:15",
            "Cabin · kWh pro Monat · Dez 2025 - Nov 2026 (Nov bisher)",
        ),
        (
            "nl",
            "Villa · kWh per uur · 21 nov - 28 nov 2026",
            "Villa · gemiddeld vermogen (W) per 5 minuten · 5 dec 10:15 - 6 dec 10:15",
            "Cabin · kWh per maand · dec 2025 - nov 2026 (nov tot nu toe)",
        ),
    ],
)
def test_the_title_in_each_language(
    language: str, week: str, day: str, year: str
) -> None:
    """The usage chart's periods: a week per hour, the 24 hours per 5 minutes,
    the 12 months with the current one still running."""
    now = datetime(2026, 11, 28, 12, 34, tzinfo=UTC)
    assert (
        chart_title(
            ["Villa"],
            Graph.HIST,
            Aggregate.HOUR,
            datetime(2026, 11, 21, 12, tzinfo=UTC),
            datetime(2026, 11, 28, 12, tzinfo=UTC),
            tz=STOCKHOLM,
            language=language,
        )
        == week
    )
    assert (
        chart_title(
            ["Villa"],
            Graph.LINEPLOT,
            Aggregate.FIVE_MINUTES,
            _local("2026-12-05T10:15"),
            _local("2026-12-06T10:15"),
            tz=STOCKHOLM,
            language=language,
        )
        == day
    )
    assert (
        chart_title(
            ["Cabin"],
            Graph.HIST,
            Aggregate.MONTH,
            _local("2025-12-01T00:00"),
            _local("2026-12-01T00:00"),
            tz=STOCKHOLM,
            language=language,
            now=now,
        )
        == year
    )


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("sv", "sv"),
        ("de-CH", "de"),
        ("nl_BE", "nl"),
        ("NB", "nb"),
        ("en-GB", "en"),
        ("fr", "en"),
        ("", "en"),
        (None, "en"),
    ],
)
def test_other_languages_draw_english(language: str | None, words: str) -> None:
    assert chart_text(language) == chart_text(words)
    assert (chart_text(language).energy == "Energy (kWh)") == (words == "en")


@pytest.mark.parametrize(
    ("homes", "aggregate", "start", "end", "title"),
    [
        # An export of whole days: the last day is the one before `to`'s midnight.
        (
            ["Villa", "Cabin"],
            Aggregate.DAY,
            "2026-11-01T00:00",
            "2026-12-01T00:00",
            "kWh per day · 1 Nov - 30 Nov 2026",
        ),
        (["Villa"], Aggregate.HOUR, "2026-12-01T00:00", "2026-12-02T00:00", None),
        (
            ["Villa"],
            Aggregate.WEEK,
            "2025-12-28T00:00",
            "2026-01-04T00:00",
            "Villa · kWh per week · 28 Dec 2025 - 3 Jan 2026",
        ),
        # The default export: today so far.
        (
            ["Villa"],
            Aggregate.FIVE_MINUTES,
            "2026-12-06T00:00",
            "2026-12-06T09:37",
            "Villa · kWh per 5 minutes · 6 Dec 00:00 - 6 Dec 09:37",
        ),
        # Months that are over are not "to date".
        (
            [],
            Aggregate.MONTH,
            "2025-01-01T00:00",
            "2026-01-01T00:00",
            "kWh per month · Jan - Dec 2025",
        ),
        (
            ["Villa"],
            Aggregate.MONTH,
            "2026-11-01T00:00",
            "2026-12-01T00:00",
            "Villa · kWh per month · Nov 2026",
        ),
    ],
)
def test_an_export_is_titled_with_its_home_and_period(
    homes: list[str], aggregate: Aggregate, start: str, end: str, title: str | None
) -> None:
    """With several homes the legend names them, the title does not."""
    shown = chart_title(
        homes,
        Graph.HIST,
        aggregate,
        _local(start),
        _local(end),
        tz=STOCKHOLM,
        language="en",
        now=datetime(2026, 12, 6, 9, 37, tzinfo=UTC),
    )
    assert shown == (title or "Villa · kWh per hour · 1 Dec 2026")


def test_the_running_month_is_said_to_be_so_far() -> None:
    """Whole months: the current one ends with the month, its data so far."""
    args = (Graph.LINEPLOT, Aggregate.MONTH)
    start, end = _local("2026-01-01T00:00"), _local("2027-01-01T00:00")
    during = datetime(2026, 12, 6, 8, tzinfo=UTC)
    after = datetime(2027, 1, 1, 8, tzinfo=UTC)
    assert chart_title(
        [], *args, start, end, tz=STOCKHOLM, language="en", now=during
    ).endswith("Jan - Dec 2026 (Dec to date)")
    assert chart_title(
        [], *args, start, end, tz=STOCKHOLM, language="en", now=after
    ).endswith("Jan - Dec 2026")
