"""What the read-back of every sink shares: columns, time strings, quoting."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta, timezone

import numpy as np
import pytest

from custom_components.powertracker.sink.flux import flux_string
from custom_components.powertracker.sink.flux_csv import FluxCsvError, records
from custom_components.powertracker.sink.influxql import (
    quote_identifier,
    quote_literal,
)
from custom_components.powertracker.sink.models import SinkError
from custom_components.powertracker.sink.readback import (
    Row,
    columns,
    epoch_ns,
    epoch_seconds,
    rfc3339,
    time_of,
)
from custom_components.powertracker.sink.sql_quote import identifier, literal


def test_columns_keep_the_latest_before_and_sort_the_rest() -> None:
    before: list[Row] = [(90.0, {"power": 9}), (95.0, {"power": "9.5"})]
    within: list[Row] = [(110.0, {"power": 11.0}), (100.0, {"power": None, "x": "y"})]

    result = columns(before, within, ("power", "consumption_total", "bogus"))

    assert list(result) == ["time", "power", "consumption_total"]
    np.testing.assert_array_equal(result["time"], [95.0, 100.0, 110.0])
    np.testing.assert_array_equal(result["power"], [9.5, np.nan, 11.0])
    assert np.isnan(result["consumption_total"]).all()
    assert all(column.dtype == np.float64 for column in result.values())


def test_columns_of_nothing_are_empty() -> None:
    result = columns([], [], ("power",))

    assert {name: len(column) for name, column in result.items()} == {
        "time": 0,
        "power": 0,
    }


@pytest.mark.parametrize("value", ["abc", True, [1.0], {"v": 1}])
def test_a_value_that_is_no_number_is_a_sink_error(value: object) -> None:
    with pytest.raises(SinkError, match=r"power = .*not a number"):
        columns([], [(1.0, {"power": value})], ("power",))


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("2026-01-03T17:05:00Z", 1_767_459_900),
        ("2026-01-03T17:05:00", 1_767_459_900),  # InfluxDB 3: no zone is UTC
        ("2026-01-03 17:05:00.000000000", 1_767_459_900),  # Timestream
        ("2026-01-03T17:05:00.5Z", 1_767_459_900.5),
        ("2026-01-03T17:05:00.123456789", 1_767_459_900.123456789),
        ("2026-01-03T18:05:00+01:00", 1_767_459_900),
        ("2026-01-03t17:05:00z", 1_767_459_900),
    ],
)
def test_epoch_seconds_of_the_servers_time_strings(text: str, seconds: float) -> None:
    assert epoch_seconds(text) == pytest.approx(seconds, abs=1e-6)


@pytest.mark.parametrize("text", ["", "yesterday", "2026-13-01T00:00:00Z", "17:05"])
def test_an_unreadable_time_is_a_sink_error(text: str) -> None:
    with pytest.raises(SinkError, match="time"):
        epoch_seconds(text)


def test_times_written_to_queries() -> None:
    moment = datetime(2026, 1, 3, 18, 5, 0, 250, tzinfo=timezone(timedelta(hours=1)))

    assert rfc3339(moment) == "2026-01-03T17:05:00.000250Z"
    assert epoch_ns(moment) == 1_767_459_900_000_250_000
    assert time_of(1_767_459_900.5) == datetime(2026, 1, 3, 17, 5, 0, 500000, UTC)
    with pytest.raises(ValueError, match="no time zone"):
        rfc3339(datetime(2026, 1, 3))  # noqa: DTZ001 - the point of the test


@pytest.mark.parametrize(
    ("text", "sql_name", "sql_text", "influxql_name", "influxql_text", "flux"),
    [
        ("plain", '"plain"', "'plain'", '"plain"', "'plain'", '"plain"'),
        (
            'o\'brien "x"',
            '"o\'brien ""x"""',
            "'o''brien \"x\"'",
            '"o\'brien \\"x\\""',
            "'o\\'brien \"x\"'",
            '"o\'brien \\"x\\""',
        ),
        ("a\\b", '"a\\b"', "'a\\b'", '"a\\\\b"', "'a\\\\b'", '"a\\\\b"'),
        ("${x} $y", '"${x} $y"', "'${x} $y'", '"${x} $y"', "'${x} $y'", '"\\${x} $y"'),
        (
            "two\nlines",
            '"two\nlines"',
            "'two\nlines'",
            '"two\\nlines"',
            "'two\\nlines'",
            '"two\\nlines"',
        ),
    ],
)
def test_quoting(
    text: str,
    sql_name: str,
    sql_text: str,
    influxql_name: str,
    influxql_text: str,
    flux: str,
) -> None:
    assert identifier(text) == sql_name
    assert literal(text) == sql_text
    assert quote_identifier(text) == influxql_name
    assert quote_literal(text) == influxql_text
    assert flux_string(text) == flux


def test_sql_refuses_nul() -> None:
    with pytest.raises(ValueError, match="NUL"):
        literal("a\x00b")


ANNOTATED = (
    "#group,false,false,true,true,false,false\r\n"
    "#datatype,string,long,string,string,dateTime:RFC3339,double\r\n"
    "#default,_result,,,,,\r\n"
    ",result,table,home_id,currency,_time,power\r\n"
    ",,0,villa,SEK,2026-01-03T17:05:00Z,1.5\r\n"
    ",,0,villa,SEK,2026-01-03T17:10:00Z,\r\n"
    "\r\n"
    "#group,false,false,true,false,false\r\n"
    "#datatype,string,long,string,dateTime:RFC3339,double\r\n"
    "#default,_result,,,,\r\n"
    ",result,table,home_id,_time,consumption_total\r\n"
    ',,1,"vil,la",2026-01-03T17:15:00Z,7\r\n'
    "\r\n"
)


def test_annotated_csv_of_several_tables() -> None:
    rows = list(records(ANNOTATED))

    assert [(r["table"], r["home_id"], r["_time"]) for r in rows] == [
        ("0", "villa", "2026-01-03T17:05:00Z"),
        ("0", "villa", "2026-01-03T17:10:00Z"),
        ("1", "vil,la", "2026-01-03T17:15:00Z"),
    ]
    assert {r["result"] for r in rows} == {"_result"}  # from #default
    assert [rows[0]["power"], rows[1]["power"]] == ["1.5", ""]
    assert "power" not in rows[2]
    assert rows[2]["consumption_total"] == "7"


def test_plain_csv_without_annotations() -> None:
    text = ",result,table,_time,power\r\n,_result,0,2026-01-03T17:05:00Z,2\r\n"

    assert list(records(text)) == [
        {
            "": "",
            "result": "_result",
            "table": "0",
            "_time": "2026-01-03T17:05:00Z",
            "power": "2",
        }
    ]
    assert list(records("")) == []
    assert list(records("\r\n")) == []


def test_an_error_table_raises_after_the_rows_before_it() -> None:
    text = (
        ANNOTATED
        + "#datatype,string,string\r\n#group,true,true\r\n#default,,\r\n"
        + ",error,reference\r\n"
        + ',"runtime error: out of memory, sorry",897\r\n'
    )
    seen: list[dict[str, str]] = []

    with pytest.raises(FluxCsvError, match="out of memory, sorry"):
        seen.extend(records(text))

    assert len(seen) == 3
    assert not math.isnan(float(seen[0]["power"]))
