"""Capacity tariffs in Home Assistant: the select, the sensors over the recorder."""

from __future__ import annotations

import pytest
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from tests.integration.conftest import Clock, SetupEntry

VILLA_TARIFF = "select.villa_solsidan_capacity_tariff"
CABIN_TARIFF = "select.sjovagen_7_capacity_tariff"


async def _select(hass: HomeAssistant, entity_id: str, option: str) -> None:
    await hass.services.async_call(
        "select",
        "select_option",
        {"entity_id": entity_id, "option": option},
        blocking=True,
    )
    await hass.async_block_till_done(wait_background_tasks=True)


def _state(hass: HomeAssistant, entity_id: str) -> str:
    state = hass.states.get(entity_id)
    assert state is not None, entity_id
    return state.state


@pytest.fixture
async def entry(clock: Clock, setup_entry: SetupEntry) -> MockConfigEntry:
    """The entry with its default test options."""
    return await setup_entry()


async def test_the_tariff_is_none_at_first_and_kept_across_a_reload(
    hass: HomeAssistant, entry: MockConfigEntry
) -> None:
    assert _state(hass, VILLA_TARIFF) == "none"
    assert _state(hass, CABIN_TARIFF) == "none"
    await _select(hass, VILLA_TARIFF, "flanders")
    await _select(hass, CABIN_TARIFF, "ellevio")

    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert _state(hass, VILLA_TARIFF) == "flanders"
    assert _state(hass, CABIN_TARIFF) == "ellevio"


async def test_quarter_hours_are_offered_only_to_a_home_with_a_real_time_meter(
    hass: HomeAssistant, entry: MockConfigEntry
) -> None:
    """Flanders bills the highest quarter-hour: the cabin (hourly data only)
    cannot be offered it; every other choice is there for both."""
    hourly = ["none", "ellevio", "goteborg_energi", "norway", "custom"]
    villa = hass.states.get(VILLA_TARIFF)
    cabin = hass.states.get(CABIN_TARIFF)
    assert villa is not None
    assert cabin is not None
    assert villa.attributes["options"] == [*hourly[:4], "flanders", "custom"]
    assert cabin.attributes["options"] == hourly
