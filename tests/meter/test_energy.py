"""The running energy total, on its own (no Home Assistant)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from custom_components.powertracker.meter.energy import Bridge, EnergyTotal

TZ = ZoneInfo("Europe/Stockholm")
T0 = datetime(2026, 3, 1, 20, 12, tzinfo=TZ)
MIDNIGHT = datetime(2026, 3, 1, tzinfo=TZ)
NEXT_MIDNIGHT = datetime(2026, 3, 2, tzinfo=TZ)


def test_first_reading_starts_at_zero_and_counts_the_rise() -> None:
    total = EnergyTotal()
    assert total.add(T0, daily=12.0, last_hour=0.5, midnight=MIDNIGHT) == 0.0
    later = T0 + timedelta(minutes=5)
    assert total.add(later, 12.4, 0.9, MIDNIGHT) == pytest.approx(0.4)


def test_a_correction_downwards_neither_drops_nor_counts_twice() -> None:
    total = EnergyTotal()
    total.add(T0, 10.0, 0.0, MIDNIGHT)
    total.add(T0 + timedelta(minutes=5), 10.5, 0.5, MIDNIGHT)
    # Tibber corrects the day down by 0.1 at the hour...
    assert total.add(T0 + timedelta(minutes=10), 10.4, 0.0, MIDNIGHT) == pytest.approx(
        0.5
    )
    # ...and only what rises above the highest value counts afterwards.
    assert total.add(T0 + timedelta(minutes=15), 10.7, 0.3, MIDNIGHT) == pytest.approx(
        0.7
    )


def test_midnight_leaves_a_bridge_that_history_settles() -> None:
    total = EnergyTotal()
    total.add(T0, 20.0, 0.2, MIDNIGHT)  # 20:12, 0.2 kWh into the 20:00 hour
    after = total.add(T0 + timedelta(hours=4), 0.3, 0.3, NEXT_MIDNIGHT)
    assert after == pytest.approx(0.3)  # the new day counts at once
    [bridge] = total.bridges
    assert bridge == Bridge(start=T0.replace(minute=0), end=NEXT_MIDNIGHT, adjust=-0.2)
    # History: the hours from 20:00 to midnight used 4.0 kWh.
    assert total.settle(bridge, 4.0) == pytest.approx(0.3 + 4.0 - 0.2)
    assert total.bridges == []


def test_a_bridge_after_a_correction_counts_from_the_true_value() -> None:
    total = EnergyTotal()
    total.add(T0, 20.0, 0.2, MIDNIGHT)
    total.add(T0 + timedelta(minutes=50), 19.9, 0.0, MIDNIGHT)  # corrected at 21:00
    total.add(T0 + timedelta(hours=4), 0.0, 0.0, NEXT_MIDNIGHT)
    [bridge] = total.bridges
    # What the 21:02 reading saw is 19.9, not the 20.0 already counted.
    assert bridge.adjust == pytest.approx(19.9 - 20.0 - 0.0)


def test_a_bridge_never_makes_the_total_drop() -> None:
    total = EnergyTotal()
    total.add(T0, 20.0, 0.5, MIDNIGHT)
    total.add(T0 + timedelta(hours=4), 0.1, 0.1, NEXT_MIDNIGHT)
    before = total.total
    assert total.settle(total.bridges[0], 0.2) == before  # history below what was seen


def test_old_or_repeated_readings_change_nothing() -> None:
    total = EnergyTotal()
    total.add(T0, 5.0, 0.0, MIDNIGHT)
    total.add(T0 + timedelta(minutes=5), 6.0, 1.0, MIDNIGHT)
    assert total.add(T0 + timedelta(minutes=5), 9.0, 4.0, MIDNIGHT) == 1.0
    assert total.add(T0, 9.0, 4.0, MIDNIGHT) == 1.0


def test_state_survives_a_round_trip() -> None:
    total = EnergyTotal()
    total.add(T0, 5.0, 0.0, MIDNIGHT)
    total.add(T0 + timedelta(hours=4), 1.5, 0.5, NEXT_MIDNIGHT)
    restored = EnergyTotal.from_dict(total.as_dict())
    assert restored == total
    assert restored.bridges
    assert EnergyTotal.from_dict(EnergyTotal().as_dict()) == EnergyTotal()
