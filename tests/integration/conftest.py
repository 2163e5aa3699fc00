"""Fixtures for tests that run the integration in Home Assistant."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from unittest.mock import PropertyMock, patch

import pytest
from homeassistant.const import CONF_TOKEN
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import device_registry as dr
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from custom_components.powertracker.const import (
    CONF_BACKFILL_DAYS,
    CONF_HOMES,
    DOMAIN,
    ENV_API_URL,
)
from custom_components.powertracker.entity import device_home_id
from loopback.tibber import HOMES, TibberSimulator
from tests.conftest import SIM_NOW


@pytest.fixture
def mock_recorder_before_hass(async_setup_recorder_instance: object) -> None:
    """Prepare the recorder before `hass` starts (Powertracker depends on it)."""


@pytest.fixture(autouse=True)
async def auto_enable_custom_integrations(
    recorder_mock: object, enable_custom_integrations: None, hass: HomeAssistant
) -> AsyncIterator[None]:
    """Run with a recorder, let Home Assistant load custom_components, and let
    background work (the history import) finish before Home Assistant stops."""
    yield
    await hass.async_block_till_done(wait_background_tasks=True)


@pytest.fixture(autouse=True)
def fresh_archive_folder(hass: HomeAssistant) -> Iterator[None]:
    """Each test starts without archive files: phacc's configuration folder is
    one fixed folder for all tests."""
    folder = Path(hass.config.path(DOMAIN))
    shutil.rmtree(folder, ignore_errors=True)
    yield
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(autouse=True)
def no_deprecated_usage(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Home Assistant reports a deprecated call (`report_usage`) as a logged
    warning for custom integrations; every such report fails the test, on each
    Home Assistant line the suite runs on."""
    yield
    reports = [
        record.getMessage()
        for phase in ("setup", "call")  # teardown's own records come after
        for record in caplog.get_records(phase)
        if "custom integration 'powertracker'" in record.getMessage()
    ]
    assert not reports


def home_device(
    devices: dr.DeviceRegistry, entry: MockConfigEntry, home_id: str
) -> dr.DeviceEntry | None:
    """The entry's device of a home (`async_get_device` is deprecated in 2026.x)."""
    return next(
        (
            device
            for device in dr.async_entries_for_config_entry(devices, entry.entry_id)
            if device_home_id(device.identifiers) == home_id
        ),
        None,
    )


async def select_option(hass: HomeAssistant, entity_id: str, option: str) -> None:
    """Choose `option` of a select, as a user does, and let what follows finish."""
    await hass.services.async_call(
        "select",
        "select_option",
        {"entity_id": entity_id, "option": option},
        blocking=True,
    )
    await hass.async_block_till_done(wait_background_tasks=True)


def state_of(hass: HomeAssistant, entity_id: str) -> str:
    """The state of an entity that must exist."""
    state = hass.states.get(entity_id)
    assert state is not None, entity_id
    return state.state


class Clock:
    """Home Assistant's wall clock, moved by the test; the event loop keeps real time.

    freezegun would also freeze the loop's monotonic clock, and with it every
    timeout of the real sockets to the simulator.
    """

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    async def advance(self, hass: HomeAssistant, delta: timedelta) -> None:
        """Move the clock, fire the timers that are due, and wait for their work."""
        self.now += delta
        # Timers run on the real monotonic clock: fire those due within `delta`
        # from now (a periodic timer longer than `delta` waits for a longer step).
        async_fire_time_changed(hass, datetime.now(UTC) + delta)
        await hass.async_block_till_done(wait_background_tasks=True)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """Home Assistant's (and so the simulator's) clock, starting at SIM_NOW."""
    clock = Clock(SIM_NOW)
    monkeypatch.setattr(dt_util, "utcnow", clock)
    return clock


@pytest.fixture
async def tibber_sim(
    socket_enabled: None, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[TibberSimulator]:
    """The simulator on Home Assistant's clock, named by the environment variable."""
    # Look utcnow up at each call: the `clock` fixture may replace it later.
    sim = TibberSimulator(clock=lambda: dt_util.utcnow(), interval=0.05)  # noqa: PLW0108
    await sim.start()
    monkeypatch.setenv(ENV_API_URL, sim.api_url)
    yield sim
    await sim.stop()


@pytest.fixture
def config_entry(tibber_sim: TibberSimulator) -> MockConfigEntry:
    """An entry for the simulated account with both homes."""
    return MockConfigEntry(
        domain=DOMAIN,
        entry_id="01JPOWERTRACKERTESTENTRY00",
        title="Ada Lovelace",
        unique_id=tibber_sim.viewer["userId"],
        data={CONF_TOKEN: tibber_sim.token, CONF_HOMES: [home.id for home in HOMES]},
        options={CONF_BACKFILL_DAYS: 2},  # the import of a year has a test of its own
    )


type SetupEntry = Callable[..., Awaitable[MockConfigEntry]]


@pytest.fixture
def setup_entry(hass: HomeAssistant, config_entry: MockConfigEntry) -> SetupEntry:
    """Set the entry up with extra options, and wait for its history import."""

    async def setup(**options: Any) -> MockConfigEntry:
        config_entry.add_to_hass(hass)
        hass.config_entries.async_update_entry(
            config_entry, options={**config_entry.options, **options}
        )
        assert await hass.config_entries.async_setup(config_entry.entry_id)
        await hass.async_block_till_done(wait_background_tasks=True)
        await async_wait_recording_done(hass)
        return config_entry

    return setup


type SetOptions = Callable[..., Awaitable[None]]


@pytest.fixture
def set_options(hass: HomeAssistant) -> SetOptions:
    """Change options through the options flow, as a user does (the entry
    reloads when they change), and wait for the reload and its import."""

    async def set_options(entry: MockConfigEntry, **changes: Any) -> None:
        result = await hass.config_entries.options.async_init(entry.entry_id)
        schema = result["data_schema"]
        assert schema is not None
        shown = schema({})  # the form's defaults: the current options
        result = await hass.config_entries.options.async_configure(
            result["flow_id"], {**shown, **changes}
        )
        assert result["type"] is FlowResultType.CREATE_ENTRY, result
        await hass.async_block_till_done(wait_background_tasks=True)
        await async_wait_recording_done(hass)

    return set_options


@pytest.fixture
async def loaded_entry(setup_entry: SetupEntry) -> MockConfigEntry:
    """The entry, set up with its default test options."""
    return await setup_entry()


@pytest.fixture
def entity_registry_enabled_by_default() -> Iterator[None]:
    """Enable the entities that are disabled by default (as HA core's tests do)."""
    with patch(
        "homeassistant.helpers.entity.Entity.entity_registry_enabled_default",
        return_value=True,
        new_callable=PropertyMock,
    ):
        yield
