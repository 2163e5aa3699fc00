"""Quarter-hours with the archive off: from the recorder's 5-minute
statistics of the home's energy sensor (issue 20, item 3)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType

from custom_components.powertracker.const import CONF_ARCHIVE
from loopback.tibber import TibberSimulator
from tests.integration.conftest import Clock, SetupEntry, select_option
from tests.integration.test_archive import _recorder_rows
from tests.integration.test_capacity import (
    VILLA,
    VILLA_AVERAGE,
    VILLA_PEAK,
    VILLA_TARIFF,
    _number,
    _submit_capacity,
)

FIVE = timedelta(minutes=5)
QUARTER = timedelta(minutes=15)


async def test_quarter_hours_come_from_the_recorder_without_the_archive(
    hass: HomeAssistant,
    clock: Clock,
    tibber_sim: TibberSimulator,
    setup_entry: SetupEntry,
) -> None:
    """The month's highest quarter-hour is the simulator's, from the energy
    sensor's 5-minute rows (sums of what the house drew)."""
    clock.now = datetime(2026, 11, 28, 12, 34, 56, tzinfo=UTC)
    entry = await setup_entry(**{CONF_ARCHIVE: False})
    assert entry.runtime_data.archive is None
    result = await _submit_capacity(
        hass, entry, basis="quarter", peaks=1, one_per_day=False
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    # 09:55-12:30: the first row only starts the sum (its change is unknown).
    first = datetime(2026, 11, 28, 9, 55, tzinfo=UTC)
    slots = [first + n * FIVE for n in range(31)]
    total, rows = 0.0, []
    for slot in slots:
        total += tibber_sim.energy(VILLA.id, slot, slot + FIVE)
        rows.append((slot, total))
    await _recorder_rows(hass, rows)

    await select_option(hass, VILLA_TARIFF, "custom")

    start = datetime(2026, 11, 28, 10, tzinfo=UTC)
    quarters = [
        tibber_sim.energy(VILLA.id, start + n * QUARTER, start + (n + 1) * QUARTER)
        for n in range(10)  # 10:00 ... 12:15, the last completed
    ]
    assert min(quarters) > 0.01  # the villa draws something in each
    assert _number(hass, VILLA_PEAK) == pytest.approx(max(quarters) * 4, abs=1e-6)
    state = hass.states.get(VILLA_PEAK)
    assert state is not None
    best = quarters.index(max(quarters))
    (peak,) = state.attributes["peaks"]
    assert datetime.fromisoformat(peak["start"]) == start + best * QUARTER


async def test_the_running_quarter_starts_at_the_last_poll_before_it(
    hass: HomeAssistant,
    clock: Clock,
    tibber_sim: TibberSimulator,
    setup_entry: SetupEntry,
) -> None:
    """Without an archive, the running quarter's average so far comes from
    the polls' own readings: the one at its start and the latest."""
    clock.now = datetime(2026, 11, 28, 12, 45, tzinfo=UTC)
    entry = await setup_entry(**{CONF_ARCHIVE: False})
    result = await _submit_capacity(
        hass, entry, basis="quarter", peaks=1, one_per_day=False
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await select_option(hass, VILLA_TARIFF, "custom")
    for _ in range(7):  # 12:50 ... 13:20
        await clock.advance(hass, FIVE)
    running = datetime(2026, 11, 28, 13, 15, tzinfo=UTC)
    so_far = tibber_sim.energy(VILLA.id, running, clock.now)
    assert so_far > 0.001  # the villa draws something
    # The register has 4 decimals: x 12 per hour, within 2e-3 kW.
    assert _number(hass, VILLA_AVERAGE) == pytest.approx(so_far * 12, abs=2e-3)
