"""Hours told by live measurements (pure: no Home Assistant)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from custom_components.powertracker.meter.live_hours import (
    CompletedHour,
    HourMark,
    Reading,
    advance,
)

DAY = date(2026, 11, 28)


def _reading(
    hour: int, minute: int, before: float, within: float, money: float | None
) -> Reading:
    """A reading at hour:minute UTC: `before` kWh up to the hour, `within` since."""
    when = datetime(2026, 11, 28, hour, minute, tzinfo=UTC)
    return Reading(when, DAY, before + within, within, money)


def _feed(readings: list[Reading]) -> list[CompletedHour]:
    mark: HourMark | None = None
    done: list[CompletedHour] = []
    for reading in readings:
        mark, hour = advance(mark, reading)
        assert HourMark.from_dict(mark.as_dict()) == mark  # what a restart keeps
        if hour is not None:
            done.append(hour)
    return done


def test_the_next_hours_first_reading_tells_the_hour_and_its_cost() -> None:
    # 10:00-11:00 uses 1.5 kWh at 2.0 per kWh; 11:00 starts at 3.0 per kWh.
    done = _feed(
        [
            _reading(10, 5, 4.0, 0.1, 8.2),
            _reading(10, 55, 4.0, 1.4, 10.8),
            _reading(11, 5, 5.5, 0.2, 11.6),
        ]
    )
    (hour,) = done
    assert hour.start == datetime(2026, 11, 28, 10, tzinfo=UTC)
    assert (hour.energy, hour.money) == pytest.approx((1.5, 3.0))


def test_no_price_without_money_or_without_energy_between_two_readings() -> None:
    assert (
        _feed(
            [
                _reading(10, 5, 4.0, 0.1, None),
                _reading(10, 50, 4.0, 0.9, None),
                _reading(11, 1, 5.0, 0.0, 1.0),
            ]
        )[0].money
        is None
    )
    assert _feed([_reading(10, 5, 4.0, 0.0, 1.0), _reading(11, 1, 4.0, 0.0, 1.0)])[
        0
    ] == CompletedHour(datetime(2026, 11, 28, 10, tzinfo=UTC), 0.0, None)


def test_a_repeat_and_an_older_reading_are_ignored() -> None:
    first = _reading(10, 5, 4.0, 0.1, 1.0)
    older = _reading(9, 59, 3.9, 0.9, 0.9)
    (hour,) = _feed([first, first, older, _reading(11, 5, 5.5, 0.2, 3.0)])
    assert hour.start == datetime(2026, 11, 28, 10, tzinfo=UTC)
    assert hour.energy == pytest.approx(1.5)


def test_a_gap_tells_nothing() -> None:
    assert _feed([_reading(10, 5, 4.0, 0.1, 1.0), _reading(12, 5, 7.0, 0.1, 3.0)]) == []


def test_a_reading_of_the_new_hour_not_reset_yet_tells_nothing() -> None:
    """11:00:05 still carries hour 10's value since the hour began (1.4 kWh):
    the hour would come out at 0, less than it had already seen."""
    stale = Reading(datetime(2026, 11, 28, 11, 0, 5, tzinfo=UTC), DAY, 5.4, 1.4, 2.0)
    assert _feed([_reading(10, 55, 4.0, 1.4, 1.0), stale]) == []


def test_the_last_hour_of_a_day_is_extrapolated_if_seen_long_enough() -> None:
    def midnight(minute: int) -> list[CompletedHour]:
        last = _reading(22, minute, 10.0, 0.5 * minute / 60, 5.0)
        after = Reading(
            datetime(2026, 11, 28, 23, 2, tzinfo=UTC),
            DAY + timedelta(days=1),
            0.02,
            0.02,
            0.01,
        )
        return _feed([_reading(22, 1, 10.0, 0.01, 4.0), last, after])

    (hour,) = midnight(55)
    assert hour.start == datetime(2026, 11, 28, 22, tzinfo=UTC)
    assert hour.energy == pytest.approx(0.5)
    # 1.0 of money over the 0.4483 kWh between the hour's two readings.
    assert hour.money == pytest.approx(0.5 / (0.5 * 55 / 60 - 0.01))
    assert midnight(45) == []


def test_a_small_correction_downwards_never_makes_an_hour_negative() -> None:
    """Tibber's rounding may put the next hour's start a hair below the last
    reading's: the hour is 0, never negative."""
    done = _feed([_reading(10, 5, 4.0, 0.0, 1.0), _reading(11, 5, 3.9995, 0.1, 1.1)])
    assert done[0].energy == 0.0
