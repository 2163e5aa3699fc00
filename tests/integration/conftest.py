"""Fixtures for tests that run the integration in Home Assistant."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import CONF_TOKEN
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.powertracker.const import CONF_HOMES, DOMAIN, ENV_API_URL
from tests.conftest import SIM_NOW
from tests.simulator import HOMES, TibberSimulator


@pytest.fixture
def mock_recorder_before_hass(async_setup_recorder_instance: object) -> None:
    """Prepare the recorder before `hass` starts (Powertracker depends on it)."""


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(
    recorder_mock: object, enable_custom_integrations: None
) -> None:
    """Run with a recorder, and let Home Assistant load custom_components."""


@pytest.fixture
async def tibber_sim(
    socket_enabled: None,
    monkeypatch: pytest.MonkeyPatch,
    freezer: FrozenDateTimeFactory,
) -> AsyncIterator[TibberSimulator]:
    """The simulator on Home Assistant's (frozen) clock, named by the env variable."""
    freezer.move_to(SIM_NOW)
    sim = TibberSimulator(clock=dt_util.utcnow, interval=0.05)
    await sim.start()
    monkeypatch.setenv(ENV_API_URL, sim.api_url)
    yield sim
    await sim.stop()


@pytest.fixture
def config_entry(tibber_sim: TibberSimulator) -> MockConfigEntry:
    """An entry for the simulated account with both homes."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="Ada Lovelace",
        unique_id=tibber_sim.viewer["userId"],
        data={CONF_TOKEN: tibber_sim.token, CONF_HOMES: [home.id for home in HOMES]},
    )


@pytest.fixture
async def loaded_entry(
    hass: HomeAssistant, config_entry: MockConfigEntry
) -> MockConfigEntry:
    """The entry, set up."""
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    return config_entry
