"""Tibber's hourly history as long-term statistics in the recorder."""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any

import pytest
from homeassistant.components.recorder.statistics import statistics_during_period
from homeassistant.config_entries import SOURCE_REAUTH
from homeassistant.core import HomeAssistant
from homeassistant.helpers.recorder import get_instance
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from custom_components.powertracker.const import CONF_BACKFILL_DAYS, DOMAIN
from loopback.tibber import HOMES, TibberSimulator
from tests.integration.conftest import Clock, SetOptions, SetupEntry

VILLA, CABIN = HOMES
# The ids the README documents: the home's name, "hourly" and the kind, as the
# statistics' names say, then the first 8 characters of Tibber's home id.
VILLA_CONSUMPTION = "powertracker:villa_solsidan_hourly_consumption_c70dcbe5"
VILLA_COST = "powertracker:villa_solsidan_hourly_cost_c70dcbe5"
VILLA_PRODUCTION = "powertracker:villa_solsidan_hourly_production_c70dcbe5"
CABIN_PRODUCTION = "powertracker:sjovagen_7_hourly_production_68e6938b"


async def _rows(hass: HomeAssistant, stat_id: str) -> list[dict[str, Any]]:
    await hass.async_block_till_done(wait_background_tasks=True)
    await async_wait_recording_done(hass)
    stats = await get_instance(hass).async_add_executor_job(
        statistics_during_period,
        hass,
        dt_util.utcnow() - timedelta(days=400),
        None,
        {stat_id},
        "hour",
        None,
        {"state", "sum"},
    )
    return [dict(row) for row in stats.get(stat_id, [])]


def _start(row: dict[str, Any]) -> datetime:
    return dt_util.utc_from_timestamp(row["start"])


def _assert_true_hours_summed_from_zero(
    tibber_sim: TibberSimulator, rows: list[dict[str, Any]]
) -> None:
    """Each row holds the villa's hour as the simulator knows it; sums run from 0."""
    running = 0.0
    for row in rows:
        start = _start(row)
        truth = tibber_sim.energy(VILLA.id, start, start + timedelta(hours=1))
        assert row["state"] == pytest.approx(truth, abs=1e-6)
        running += row["state"]
        assert row["sum"] == pytest.approx(running, abs=1e-6)


@pytest.fixture
async def entry(
    hass: HomeAssistant,
    clock: Clock,
    tibber_sim: TibberSimulator,
    setup_entry: SetupEntry,
) -> MockConfigEntry:
    """An entry importing 30 days of history."""
    return await setup_entry(**{CONF_BACKFILL_DAYS: 30})


async def test_setup_imports_the_configured_span(
    hass: HomeAssistant,
    clock: Clock,
    tibber_sim: TibberSimulator,
    entry: MockConfigEntry,
) -> None:
    rows = await _rows(hass, VILLA_CONSUMPTION)
    this_hour = clock.now.replace(minute=0, second=0, microsecond=0)
    assert len(rows) == 30 * 24
    assert _start(rows[-1]) == this_hour - timedelta(hours=1)
    _assert_true_hours_summed_from_zero(tibber_sim, rows)
    cost = await _rows(hass, VILLA_COST)
    assert len(cost) == len(rows)
    assert cost[-1]["sum"] > 0
    # The villa has solar panels; the cabin never produced, so it gets no statistic.
    assert await _rows(hass, VILLA_PRODUCTION)
    assert await _rows(hass, CABIN_PRODUCTION) == []


async def test_a_corrected_hour_moves_only_itself_and_the_sums_after_it(
    hass: HomeAssistant,
    clock: Clock,
    tibber_sim: TibberSimulator,
    entry: MockConfigEntry,
) -> None:
    before = await _rows(hass, VILLA_CONSUMPTION)
    corrected = _start(before[-10])
    tibber_sim.corrections[(VILLA.id, corrected)] = 0.5  # Tibber adds 0.5 kWh later

    await clock.advance(hass, timedelta(hours=1))  # the hourly re-import
    after = await _rows(hass, VILLA_CONSUMPTION)

    assert len(after) == len(before) + 1  # and the hour that just ended
    by_start = {_start(row): row for row in after}
    for old in before:
        new = by_start[_start(old)]
        start = _start(old)
        if start < corrected:
            assert new["state"] == pytest.approx(old["state"], abs=1e-9)
            assert new["sum"] == pytest.approx(old["sum"], abs=1e-9)
        elif start == corrected:
            assert new["state"] == pytest.approx(old["state"] + 0.5, abs=1e-9)
            assert new["sum"] == pytest.approx(old["sum"] + 0.5, abs=1e-9)
        else:
            assert new["state"] == pytest.approx(old["state"], abs=1e-9)
            assert new["sum"] == pytest.approx(old["sum"] + 0.5, abs=1e-9)
    # No gap, no double count: each sum is the previous sum plus the hour.
    for previous, row in pairwise(after):
        assert row["sum"] == pytest.approx(previous["sum"] + row["state"], abs=1e-6)


async def test_an_unreachable_tibber_skips_the_import_without_failing(
    hass: HomeAssistant,
    clock: Clock,
    tibber_sim: TibberSimulator,
    entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The live measurements (websocket) still tell the hour that ended."""
    count = len(await _rows(hass, VILLA_CONSUMPTION))
    tibber_sim.faults.http_status = 503
    await clock.advance(hass, timedelta(hours=1))
    rows = await _rows(hass, VILLA_CONSUMPTION)
    assert len(rows) == count + 1
    start = _start(rows[-1])
    truth = tibber_sim.energy(VILLA.id, start, start + timedelta(hours=1))
    assert rows[-1]["state"] == pytest.approx(truth, abs=1e-5)
    assert "Cannot import the consumption history of Villa Solsidan" in caplog.text
    tibber_sim.faults.http_status = None
    await clock.advance(hass, timedelta(hours=1))
    assert len(await _rows(hass, VILLA_CONSUMPTION)) == count + 2


async def test_a_rejected_token_on_the_import_starts_reauth(
    hass: HomeAssistant,
    clock: Clock,
    tibber_sim: TibberSimulator,
    entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The same answer as the poll's: reauthentication, not a warning and a retry."""
    tibber_sim.faults.http_status = 401
    await clock.advance(hass, timedelta(hours=1))
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]
    assert "Cannot import the" not in caplog.text


async def test_a_longer_span_is_imported_in_full_once(
    hass: HomeAssistant,
    clock: Clock,
    tibber_sim: TibberSimulator,
    entry: MockConfigEntry,
    hass_storage: dict[str, Any],
    set_options: SetOptions,
) -> None:
    """Raising the option imports the older hours; the sums start again from 0."""
    assert len(await _rows(hass, VILLA_CONSUMPTION)) == 30 * 24
    await set_options(entry, **{CONF_BACKFILL_DAYS: 45})  # the entry reloads
    rows = await _rows(hass, VILLA_CONSUMPTION)
    assert len(rows) == 45 * 24
    this_hour = clock.now.replace(minute=0, second=0, microsecond=0)
    assert _start(rows[0]) == this_hour - timedelta(days=45)
    _assert_true_hours_summed_from_zero(tibber_sim, rows)
    assert hass_storage[f"powertracker.{entry.entry_id}.history"]["data"]["days"] == 45
    requests = len(tibber_sim.http_requests)
    await clock.advance(hass, timedelta(hours=1))  # back to the trailing window
    assert len(await _rows(hass, VILLA_CONSUMPTION)) == 45 * 24 + 1
    asked = [
        request.body.get("variables", {})
        for request in tibber_sim.http_requests[requests:]
    ]
    assert all(variables.get("last", 0) <= 48 for variables in asked), asked


async def test_a_raised_span_keeps_the_sums_of_older_rows(
    hass: HomeAssistant,
    clock: Clock,
    tibber_sim: TibberSimulator,
    entry: MockConfigEntry,
    set_options: SetOptions,
) -> None:
    """Rows older than the new span (the window kept adding them) keep their sums,
    and the sums stay continuous whatever way the option goes."""
    await clock.advance(hass, timedelta(days=3))  # the hourly import catches up
    for days in (31, 10, 20, 40):
        await set_options(entry, **{CONF_BACKFILL_DAYS: days})  # the entry reloads
        rows = await _rows(hass, VILLA_CONSUMPTION)
        assert len(rows) == max(33, days) * 24, days
        assert rows[0]["sum"] == pytest.approx(rows[0]["state"], abs=1e-9)
        for previous, row in pairwise(rows):
            assert row["sum"] == pytest.approx(
                previous["sum"] + row["state"], abs=1e-6
            ), (days, _start(row))


async def test_an_import_stopped_partway_is_finished_at_the_next_start(
    hass: HomeAssistant,
    clock: Clock,
    tibber_sim: TibberSimulator,
    entry: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    """A restart in the middle of the first import leaves the energy rows
    and no cost rows, and no record of a completed span: the next start
    imports the span in full, so the cost does not begin where it stopped."""
    consumption = await _rows(hass, VILLA_CONSUMPTION)
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    # What the stop left: the cost never written, no span recorded as imported.
    get_instance(hass).async_clear_statistics([VILLA_COST])
    await async_wait_recording_done(hass)
    assert await _rows(hass, VILLA_COST) == []
    del hass_storage[f"powertracker.{entry.entry_id}.history"]

    assert await hass.config_entries.async_setup(entry.entry_id)
    cost = await _rows(hass, VILLA_COST)
    assert [row["start"] for row in cost] == [row["start"] for row in consumption]
    assert cost[0]["sum"] == pytest.approx(cost[0]["state"], abs=1e-9)
