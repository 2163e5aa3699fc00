"""Export parameters: defaults, every error, and a fuzz that finds no crash."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from multidict import MultiDict

from custom_components.powertracker.export.models import Aggregate, Graph, Output
from custom_components.powertracker.export.params import (
    ExportError,
    ExportParams,
    parse,
)
from tests.export.queries import queries

TZ = ZoneInfo("Europe/Stockholm")
NOW = datetime(2026, 11, 28, 12, 34, tzinfo=UTC)


def test_defaults_are_today_in_five_minute_csv() -> None:
    params = parse({}, TZ, NOW)
    assert (params.output, params.graph, params.aggregate) == (
        Output.CSV,
        Graph.HIST,
        Aggregate.FIVE_MINUTES,
    )
    assert params.start == datetime(2026, 11, 28, tzinfo=TZ)
    assert params.end == NOW
    assert (params.width, params.height) == (1152, 288)


def test_the_original_urls_still_work() -> None:
    params = parse(
        {
            "from": "2026-03-26",
            "to": "2026-04-02",
            "graph": "hist",
            "output": "png",
            "aggregate": "5m",
        },
        TZ,
        NOW,
    )
    assert params.output is Output.PNG
    assert params.start == datetime(2026, 3, 26, tzinfo=TZ)
    assert params.end == datetime(2026, 4, 3, tzinfo=TZ)  # `to` is inclusive


def test_iso_datetimes_and_the_signature_parameter() -> None:
    params = parse(
        {
            "from": "2026-11-01T06:00:00+01:00",
            "to": "2026-11-02T06:00",
            "aggregate": "1h",
            "authSig": "x.y.z",
        },
        TZ,
        NOW,
    )
    assert params.start == datetime(2026, 11, 1, 5, tzinfo=UTC)
    assert params.end == datetime(2026, 11, 2, 6, tzinfo=TZ)


@pytest.mark.parametrize(
    ("query", "parameter", "key"),
    [
        ({"output": "pdf"}, "output", "invalid_value"),
        ({"graph": "pie"}, "graph", "invalid_value"),
        ({"aggregate": "2h"}, "aggregate", "invalid_value"),
        ({"aggregate": ""}, "aggregate", "invalid_value"),
        ({"from": "2026-13-45"}, "from", "invalid_value"),
        ({"from": "1999-12-31"}, "from", "invalid_value"),
        ({"to": "9999-12-31"}, "to", "invalid_value"),
        ({"width": "12"}, "width", "invalid_value"),
        ({"height": "huge"}, "height", "invalid_value"),
        ({"width": "1_000"}, "width", "invalid_value"),
        ({"width": "+300"}, "width", "invalid_value"),
        ({"width": " 300 "}, "width", "invalid_value"),
        ({"height": "\u0663\u0660\u0660"}, "height", "invalid_value"),
        ({"colour": "red"}, "colour", "unknown_parameter"),
        ({"from": "2026-11-20", "to": "2026-11-10"}, "from", "empty_range"),
        ({"from": "2025-11-01", "aggregate": "5m"}, "from", "range_too_long"),
        ({"to": "2030-01-01", "aggregate": "5m"}, "to", "range_too_long"),
        ({"source": "influxdb"}, "source", "invalid_value"),
        (
            {"source": "sink", "aggregate": "1M", "from": "2025-01-01"},
            "from",
            "range_too_long_samples",
        ),
    ],
)
def test_bad_input_names_the_parameter(
    query: dict[str, str], parameter: str, key: str
) -> None:
    with pytest.raises(ExportError) as caught:
        parse(query, TZ, NOW)
    assert caught.value.parameter == parameter
    assert caught.value.key == key
    assert str(caught.value)


def test_a_repeated_parameter_is_refused_not_guessed() -> None:
    query = MultiDict([("output", "bogus"), ("aggregate", "1h"), ("output", "csv")])
    with pytest.raises(ExportError) as caught:
        parse(query, TZ, NOW)
    assert caught.value.parameter == "output"
    assert caught.value.key == "invalid_value"
    assert "given 2 times" in str(caught.value)


def test_errors_name_the_choices_and_cut_long_names() -> None:
    with pytest.raises(ExportError) as caught:
        parse({"output": "pdf"}, TZ, NOW)
    assert "expected one of csv, png" in str(caught.value)
    with pytest.raises(ExportError) as caught:
        parse({"x" * 7000: "1"}, TZ, NOW)
    assert caught.value.parameter is not None
    assert len(caught.value.parameter) < 50
    assert len(str(caught.value)) < 100


@pytest.mark.parametrize(
    ("aggregate", "start"),
    [
        ("1h", datetime(2026, 11, 28, 9, tzinfo=UTC)),
        ("1d", datetime(2026, 11, 28, 9, tzinfo=UTC)),
        ("5m", datetime(2026, 11, 28, 9, 30, tzinfo=UTC)),
    ],
)
def test_an_iso_from_inside_a_row_starts_at_that_row(
    aggregate: str, start: datetime
) -> None:
    """As an ISO `to` inside a row includes the whole row."""
    params = parse({"from": "2026-11-28T10:32:10", "aggregate": aggregate}, TZ, NOW)
    assert params.start == start


def test_now_is_whole_seconds() -> None:
    assert parse({}, TZ, NOW + timedelta(microseconds=215250)).end == NOW


KEYS_OF_ERRORS = {"invalid_value", "unknown_parameter", "empty_range", "range_too_long"}


@settings(max_examples=400, deadline=None)
@given(queries())
def test_any_query_is_either_valid_or_a_named_error(query: dict[str, str]) -> None:
    try:
        params = parse(query, TZ, NOW)
    except ExportError as err:
        error = err
    else:
        assert isinstance(params, ExportParams)
        assert params.start < params.end
        assert params.end - params.start <= timedelta(days=366 * 20)
        return
    assert error.key in KEYS_OF_ERRORS


def test_source_chooses_where_samples_are_read() -> None:
    """Five-minute exports read samples; so does any aggregate from a store."""
    cases = {
        ("5m", "auto"): True,
        ("1h", "auto"): False,
        ("1d", "recorder"): False,
        ("1d", "archive"): True,
        ("1M", "sink"): True,
    }
    for (aggregate, source), reads in cases.items():
        params = parse({"aggregate": aggregate, "source": source}, TZ, NOW)
        assert params.source == source
        assert params.reads_samples is reads
    assert parse({}, TZ, NOW).source == "auto"
    # A year through a store at 1h is fine; at 1h from the statistics, two years.
    assert parse(
        {"source": "archive", "aggregate": "1h", "from": "2025-12-01"}, TZ, NOW
    )
    assert parse({"aggregate": "1h", "from": "2025-01-01"}, TZ, NOW)
