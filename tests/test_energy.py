"""The running energy total, on its own (no Home Assistant)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from custom_components.powertracker.energy import EnergyTotal

T0 = datetime(2026, 3, 1, 20, 0, tzinfo=UTC)
DAY = date(2026, 3, 1)
NEXT = date(2026, 3, 2)


def test_first_reading_starts_at_zero_and_counts_the_rise() -> None:
    total = EnergyTotal()
    assert total.add(T0, DAY, daily=12.0, last_hour=0.5) == 0.0
    assert total.add(
        T0 + timedelta(minutes=5), DAY, daily=12.4, last_hour=0.9
    ) == pytest.approx(0.4)


def test_a_correction_downwards_neither_drops_nor_counts_twice() -> None:
    total = EnergyTotal()
    total.add(T0, DAY, daily=10.0, last_hour=0.0)
    total.add(T0 + timedelta(minutes=5), DAY, daily=10.5, last_hour=0.5)
    # Tibber corrects the day down by 0.1 at the hour...
    assert total.add(T0 + timedelta(minutes=10), DAY, 10.4, 0.0) == pytest.approx(0.5)
    # ...and only what rises above the highest value counts afterwards.
    assert total.add(T0 + timedelta(minutes=15), DAY, 10.7, 0.3) == pytest.approx(0.7)


def test_midnight_counts_the_minutes_before_it_from_the_history() -> None:
    total = EnergyTotal()
    total.add(T0, DAY, daily=20.0, last_hour=0.2)  # 20:00 + 12 min of the hour
    # Next reading after midnight: 0.3 kWh since midnight; history says the
    # hours from the last reading's hour to midnight used 4.0 kWh in all.
    after = total.add(T0 + timedelta(hours=4), NEXT, daily=0.3, last_hour=0.3, gap=4.0)
    assert after == pytest.approx(4.0 - 0.2 + 0.3)


def test_midnight_without_history_still_counts_the_new_day() -> None:
    total = EnergyTotal()
    total.add(T0, DAY, daily=20.0, last_hour=0.2)
    assert total.add(
        T0 + timedelta(hours=4), NEXT, daily=0.3, last_hour=0.3
    ) == pytest.approx(0.3)


def test_old_or_repeated_readings_change_nothing() -> None:
    total = EnergyTotal()
    total.add(T0, DAY, daily=5.0, last_hour=0.0)
    total.add(T0 + timedelta(minutes=5), DAY, daily=6.0, last_hour=1.0)
    assert total.add(T0 + timedelta(minutes=5), DAY, daily=9.0, last_hour=4.0) == 1.0
    assert total.add(T0, DAY, daily=9.0, last_hour=4.0) == 1.0


def test_state_survives_a_round_trip() -> None:
    total = EnergyTotal()
    total.add(T0, DAY, daily=5.0, last_hour=0.0)
    total.add(T0 + timedelta(minutes=5), DAY, daily=6.5, last_hour=1.5)
    restored = EnergyTotal.from_dict(total.as_dict())
    assert restored == total
    assert EnergyTotal.from_dict(EnergyTotal().as_dict()) == EnergyTotal()
