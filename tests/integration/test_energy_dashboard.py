"""One pick in the Energy dashboard: the imported past and today's hours.

Simulated hours of 5-minute polls with the recorder running: the hourly
statistics hold Tibber's history, then each hour that ends as the live
measurements tell it, then Tibber's corrected value once it is published.
Every seam (history meets live, local midnight, a restart, a corrected hour)
keeps each row's sum the previous sum plus its own hour.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any

import pytest
from homeassistant.components.recorder.statistics import statistics_during_period
from homeassistant.core import HomeAssistant
from homeassistant.helpers.recorder import get_instance
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from custom_components.powertracker.const import statistic_id
from loopback.tibber import HOMES, HomeSpec, TibberSimulator
from tests.integration.conftest import Clock, SetupEntry

VILLA, CABIN = HOMES
HOUR = timedelta(hours=1)
POLL = timedelta(minutes=5)


async def _rows(
    hass: HomeAssistant,
    home: HomeSpec,
    kind: str,
    start: datetime,
    period: str = "hour",
) -> list[dict[str, Any]]:
    """The statistic's rows from `start`, as the Energy dashboard asks for them."""
    await hass.async_block_till_done(wait_background_tasks=True)
    await async_wait_recording_done(hass)
    stat_id = statistic_id(home.id, home.name, kind)
    stats = await get_instance(hass).async_add_executor_job(
        statistics_during_period,
        hass,
        start,
        None,
        {stat_id},
        period,
        None,
        {"state", "sum", "change"},
    )
    return [dict(row) for row in stats.get(stat_id, [])]


def _start(row: dict[str, Any]) -> datetime:
    return dt_util.utc_from_timestamp(row["start"])


def _assert_chained(rows: list[dict[str, Any]]) -> None:
    """No gap, spike or double count: each sum is the previous one plus the hour."""
    assert rows
    for previous, row in pairwise(rows):
        assert _start(row) == _start(previous) + HOUR, _start(row)
        assert row["sum"] == pytest.approx(previous["sum"] + row["state"], abs=1e-6)
        assert row["change"] == pytest.approx(row["state"], abs=1e-6)


async def _poll_until(hass: HomeAssistant, clock: Clock, until: datetime) -> None:
    """5-minute polls up to `until` (the hourly import waits for an hourly step)."""
    while clock.now + POLL <= until:
        await clock.advance(hass, POLL)


def _local_midnight(when: datetime) -> datetime:
    local = when.astimezone(VILLA.tz)
    return local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(UTC)


@pytest.fixture(autouse=True)
async def stockholm(hass: HomeAssistant, tibber_sim: TibberSimulator) -> None:
    """Home Assistant where the villa is (the dashboard's days are local days);
    Tibber publishes an hour 20 minutes after it ends."""
    await hass.config.async_set_time_zone(VILLA.time_zone)
    tibber_sim.history_delay = timedelta(minutes=20)


async def test_today_is_told_hour_by_hour_then_corrected_by_tibber(
    hass: HomeAssistant,
    clock: Clock,
    tibber_sim: TibberSimulator,
    setup_entry: SetupEntry,
) -> None:
    clock.now = datetime(2026, 11, 28, 9, 25, 3, tzinfo=UTC)
    await setup_entry()
    midnight = _local_midnight(clock.now)
    await _poll_until(hass, clock, datetime(2026, 11, 28, 13, 27, tzinfo=UTC))

    rows = await _rows(hass, VILLA, "consumption", midnight - timedelta(days=2))
    _assert_chained(rows)
    # Imported up to 08:00 (published at 09:20), told live from 09:00 to 12:00.
    assert _start(rows[-1]) == datetime(2026, 11, 28, 12, tzinfo=UTC)
    for row in rows:
        start = _start(row)
        truth = tibber_sim.energy(VILLA.id, start, start + HOUR)
        assert row["state"] == pytest.approx(truth, abs=1e-5), start
    cost = await _rows(hass, VILLA, "cost", midnight)
    _assert_chained(cost)
    assert _start(cost[-1]) == _start(rows[-1])
    for row in cost:
        start = _start(row)
        truth = tibber_sim.cost(VILLA.id, start, start + HOUR)
        assert row["state"] == pytest.approx(truth, rel=1e-4), start
    # The Energy dashboard's day: today through the last completed hour.
    (today,) = await _rows(hass, VILLA, "consumption", midnight, "day")
    end = datetime(2026, 11, 28, 13, tzinfo=UTC)
    assert today["change"] == pytest.approx(
        tibber_sim.energy(VILLA.id, midnight, end), abs=1e-4
    )
    # The cabin has no live meter: its hours are Tibber's, as soon as published.
    cabin = await _rows(hass, CABIN, "consumption", midnight)
    _assert_chained(cabin)
    assert _start(cabin[-1]) == datetime(2026, 11, 28, 12, tzinfo=UTC)

    # Tibber corrects a live-told hour when it publishes it: the hourly import
    # takes Tibber's value and moves the sums after it, nothing else.
    corrected = datetime(2026, 11, 28, 10, tzinfo=UTC)
    tibber_sim.corrections[(VILLA.id, corrected)] = 0.25
    before = {_start(row): row for row in rows}
    await clock.advance(hass, HOUR)
    after = await _rows(hass, VILLA, "consumption", midnight - timedelta(days=2))
    _assert_chained(after)
    assert _start(after[-1]) == datetime(2026, 11, 28, 13, tzinfo=UTC)
    for row in after[:-1]:
        start = _start(row)
        old = before[start]
        shift = 0.25 if start >= corrected else 0.0
        assert row["sum"] == pytest.approx(old["sum"] + shift, abs=1e-5), start
        if start == corrected:
            assert row["state"] == pytest.approx(old["state"] + 0.25, abs=1e-5)


async def test_local_midnight_extrapolates_the_last_hour_until_tibber_has_it(
    hass: HomeAssistant,
    clock: Clock,
    tibber_sim: TibberSimulator,
    setup_entry: SetupEntry,
) -> None:
    clock.now = datetime(2026, 11, 28, 21, 27, 10, tzinfo=UTC)  # 22:27 in Stockholm
    await setup_entry()
    midnight = datetime(2026, 11, 28, 23, tzinfo=UTC)
    await _poll_until(hass, clock, datetime(2026, 11, 29, 0, 15, tzinfo=UTC))

    rows = await _rows(hass, VILLA, "consumption", midnight - timedelta(days=1))
    _assert_chained(rows)
    last_of_day, first_of_day = rows[-2:]
    assert _start(first_of_day) == midnight
    assert first_of_day["state"] == pytest.approx(
        tibber_sim.energy(VILLA.id, midnight, midnight + HOUR), abs=1e-5
    )
    # The day's last hour (23:00 local) was last read at 23:57: its last three
    # minutes are extrapolated.
    truth = tibber_sim.energy(VILLA.id, midnight - HOUR, midnight)
    assert last_of_day["state"] == pytest.approx(truth, rel=0.15)
    assert last_of_day["state"] != pytest.approx(truth, abs=1e-6)

    await clock.advance(hass, HOUR)  # Tibber has published 23:00 and 00:00
    rows = await _rows(hass, VILLA, "consumption", midnight - timedelta(days=1))
    _assert_chained(rows)
    for row in rows:
        start = _start(row)
        assert row["state"] == pytest.approx(
            tibber_sim.energy(VILLA.id, start, start + HOUR), abs=1e-5
        ), start
    days = await _rows(hass, VILLA, "consumption", midnight - timedelta(days=1), "day")
    assert [_start(day) for day in days] == [midnight - timedelta(days=1), midnight]
    assert days[0]["change"] == pytest.approx(
        tibber_sim.energy(VILLA.id, midnight - timedelta(days=1), midnight), abs=1e-4
    )


@pytest.mark.parametrize("away", [timedelta(0), timedelta(minutes=18)])
async def test_an_hour_that_ends_during_a_restart_is_told_after_it(
    hass: HomeAssistant,
    clock: Clock,
    tibber_sim: TibberSimulator,
    setup_entry: SetupEntry,
    away: timedelta,
) -> None:
    """Home Assistant restarts at 10:52; it is back at once, or after 11:00."""
    clock.now = datetime(2026, 11, 28, 9, 25, 3, tzinfo=UTC)
    entry: MockConfigEntry = await setup_entry()
    await _poll_until(hass, clock, datetime(2026, 11, 28, 10, 52, tzinfo=UTC))
    assert await hass.config_entries.async_unload(entry.entry_id)
    clock.now += away
    assert await hass.config_entries.async_setup(entry.entry_id)
    await _poll_until(hass, clock, datetime(2026, 11, 28, 11, 15, tzinfo=UTC))

    rows = await _rows(hass, VILLA, "consumption", _local_midnight(clock.now))
    _assert_chained(rows)
    assert _start(rows[-1]) == datetime(2026, 11, 28, 10, tzinfo=UTC)
    for row in rows:
        start = _start(row)
        assert row["state"] == pytest.approx(
            tibber_sim.energy(VILLA.id, start, start + HOUR), abs=1e-5
        ), start


async def test_hours_tibber_publishes_days_late_still_replace_the_live_ones(
    hass: HomeAssistant,
    clock: Clock,
    tibber_sim: TibberSimulator,
    setup_entry: SetupEntry,
) -> None:
    """Tibber's history lags 60 hours, more than the 48-hour window (the live
    data flows); then it catches up, with a correction of a live-told hour."""
    clock.now = datetime(2026, 11, 28, 9, 25, 3, tzinfo=UTC)
    await setup_entry()
    tibber_sim.history_delay = timedelta(hours=60)
    for _ in range(62):  # hourly steps: a poll and an import each
        await clock.advance(hass, HOUR)
    corrected = datetime(2026, 11, 28, 11, tzinfo=UTC)  # 58 hours ago, told live
    tibber_sim.corrections[(VILLA.id, corrected)] = 0.4
    tibber_sim.history_delay = timedelta(minutes=20)
    await clock.advance(hass, HOUR)

    rows = await _rows(hass, VILLA, "consumption", corrected - timedelta(days=1))
    _assert_chained(rows)
    for row in rows:
        start = _start(row)
        extra = 0.4 if start == corrected else 0.0
        assert row["state"] == pytest.approx(
            tibber_sim.energy(VILLA.id, start, start + HOUR) + extra, abs=1e-5
        ), start
