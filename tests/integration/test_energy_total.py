"""A day and a half of 5-minute polls for a meter without registers."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from loopback.tibber import HOMES, TibberSimulator
from tests.integration.conftest import Clock

VILLA, CABIN = HOMES
TOTAL = "sensor.villa_solsidan_energy_consumption"
STAMP = "sensor.villa_solsidan_last_measurement"


def _read(hass: HomeAssistant) -> tuple[float, datetime]:
    total, stamp = hass.states.get(TOTAL), hass.states.get(STAMP)
    assert total is not None
    assert stamp is not None
    return float(total.state), datetime.fromisoformat(stamp.state)


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_running_total_matches_the_meter_across_midnight_and_a_restart(
    hass: HomeAssistant,
    clock: Clock,
    tibber_sim: TibberSimulator,
    config_entry: MockConfigEntry,
) -> None:
    tibber_sim.homes = (replace(VILLA, registers=False), CABIN)
    # Tibber publishes an hour some minutes after it ends: the midnight bridge
    # has to wait for the 23:00 hour over a few polls.
    tibber_sim.history_delay = timedelta(minutes=12)
    # Start just after a full hour, when Tibber's in-hour drift is negligible.
    clock.now = datetime(2026, 11, 28, 11, 0, 2, tzinfo=UTC)
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    start_total, start_time = _read(hass)
    assert start_total == 0.0

    previous = start_total
    previous_today = 0.0
    corrections = 0
    # 37 hours: local midnight at polls 144 and 432; the end is an hour after
    # the second, when its bridge has settled and the in-hour drift is nil.
    for poll in range(1, 37 * 12 + 1):
        if poll == 18 * 12:  # Home Assistant restarts half way
            assert await hass.config_entries.async_reload(config_entry.entry_id)
            await hass.async_block_till_done()
        await clock.advance(hass, timedelta(minutes=5))
        total, _ = _read(hass)
        assert total >= previous, f"the total decreased at poll {poll}"
        today_state = hass.states.get("sensor.villa_solsidan_consumption_today")
        assert today_state is not None
        today = float(today_state.state)
        if 0 < today < previous_today:  # Tibber's hourly correction, not midnight
            corrections += 1
        previous, previous_today = total, today

    # Tibber's hourly corrections stepped the daily value down now and then
    # (the simulator's daily value runs 2% of the hour's use ahead until then).
    assert corrections > 0
    end_total, end_time = _read(hass)
    assert end_time - start_time == timedelta(hours=37)
    truth = tibber_sim.energy(VILLA.id, start_time, end_time)
    assert truth > 40  # a day and a half of a real house, not a handful of polls
    assert abs((end_total - start_total) - truth) < 0.001


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_a_missing_register_keeps_the_last_value(
    hass: HomeAssistant,
    clock: Clock,
    tibber_sim: TibberSimulator,
    loaded_entry: MockConfigEntry,
) -> None:
    register, _ = _read(hass)
    assert register > 10_000  # the villa's meter register
    tibber_sim.homes = (replace(VILLA, registers=False), CABIN)
    await clock.advance(hass, timedelta(minutes=5))
    # No switch to a running total (that would read as a meter reset).
    assert _read(hass)[0] == register
    tibber_sim.homes = HOMES
    await clock.advance(hass, timedelta(minutes=5))
    assert _read(hass)[0] > register
