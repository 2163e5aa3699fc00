"""InfluxDB line protocol on its own: pure text, no server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from custom_components.powertracker.sink.line_protocol import line
from tests.sink.samples import T0_S, full_sample, sample


def test_line_with_every_value() -> None:
    assert line(full_sample()) == (
        "powertracker,currency=SEK,home_id=villa "
        "power=1234.5,accumulated_consumption=12.25,consumption_total=40123.5,"
        "accumulated_cost=31.75,power_production=0.0,accumulated_production=1.5 "
        f"{T0_S}"
    )


def test_line_leaves_out_missing_values_and_currency() -> None:
    assert (
        line(sample(power=2000, consumption_total=None, accumulated_cost=3))
        == f"powertracker,home_id=villa power=2000.0,accumulated_cost=3.0 {T0_S}"
    )


def test_line_leaves_out_non_finite_values() -> None:
    text = line(
        sample(
            power=float("nan"),
            accumulated_consumption=float("inf"),
            consumption_total=7.5,
        )
    )
    assert text == f"powertracker,home_id=villa consumption_total=7.5 {T0_S}"


def test_line_timestamp_is_whole_utc_seconds() -> None:
    oslo = timezone(timedelta(hours=1))
    local = datetime(2026, 11, 28, 13, 34, 56, 999_999, tzinfo=oslo)
    assert line(sample(time=local)).endswith(f" {T0_S}")
    before_epoch = datetime(1969, 12, 31, 23, 59, 59, 500_000, tzinfo=UTC)
    assert line(sample(time=before_epoch)).endswith(" -1")


def test_line_escapes_hostile_tags_and_measurement() -> None:
    text = line(sample("villa, 1=a\\b", currency="S K,=", power=1.0), "my power,x=1")
    assert text == (
        r"my\ power\,x=1,currency=S\ K\,\=,home_id=villa\,\ 1\=a\b "
        f"power=1.0 {T0_S}"
    )


@pytest.mark.parametrize(
    ("home_id", "measurement", "message"),
    [
        ("", "powertracker", "empty"),
        ("ends with\\", "powertracker", "backslash"),
        ("a\\,b", "powertracker", "backslash"),
        ("a\\\\b", "powertracker", "backslash"),
        ("a\\ b", "powertracker", "backslash"),
        ("two\nlines", "powertracker", "control character"),
        ("tab\there", "powertracker", "control character"),
        ("villa", "#comment", "comment"),
        ("villa", "", "empty"),
    ],
)
def test_line_refuses_what_line_protocol_cannot_carry(
    home_id: str, measurement: str, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        line(sample(home_id), measurement)


def test_line_refuses_a_sample_without_values() -> None:
    with pytest.raises(ValueError, match="no finite value"):
        line(sample(power=float("nan")))


def test_line_refuses_a_naive_time() -> None:
    naive = datetime(2026, 11, 28, 12, 34, 56)  # noqa: DTZ001 - the point
    with pytest.raises(ValueError, match="no time zone"):
        line(sample(time=naive))
