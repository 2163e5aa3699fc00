"""Saving options the user did not change never reloads the entry.

A reload sets the whole entry up again: every entity is unavailable for a
moment and the Tibber account is asked again. The entry is made by the config
flow, as for a user, so the first save after setup starts from the options
the config flow stores (for an account with two days of history, so that
the year the entry asks for by default is quick to import).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.const import CONF_TOKEN, EVENT_STATE_CHANGED, STATE_UNAVAILABLE
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.util import dt as dt_util

from custom_components.powertracker.const import (
    CONF_HOMES,
    CONF_POLL_MINUTES,
    CONF_SINK,
    DOMAIN,
)
from custom_components.powertracker.data import PowertrackerConfigEntry
from loopback.tibber import HOMES, TibberSimulator


async def _create_entry(
    hass: HomeAssistant, tibber_sim: TibberSimulator
) -> PowertrackerConfigEntry:
    """The entry as a user makes it: token, then both homes."""
    tibber_sim.history_start = dt_util.utcnow() - timedelta(days=2)
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_TOKEN: tibber_sim.token}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOMES: [home.id for home in HOMES]}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done(wait_background_tasks=True)
    entry: PowertrackerConfigEntry = result["result"]
    assert entry.state is ConfigEntryState.LOADED
    return entry


async def _save_as_shown(
    hass: HomeAssistant, entry: PowertrackerConfigEntry, **changes: Any
) -> None:
    """Open the options and submit what the form shows (as the frontend sends
    it: numbers as floats, the suggested sink kind), with `changes` on top."""
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["type"] is FlowResultType.FORM
    schema = result["data_schema"]
    assert schema is not None
    shown: dict[str, Any] = {
        key: float(value) if type(value) is int else value
        for key, value in schema({}).items()
    }
    for marker in schema.schema:
        if marker == CONF_SINK:
            shown[CONF_SINK] = marker.description["suggested_value"]
    assert shown[CONF_SINK] == "none"
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {**shown, **changes}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done(wait_background_tasks=True)


async def test_saving_unchanged_options_never_reloads(
    hass: HomeAssistant, tibber_sim: TibberSimulator
) -> None:
    entry = await _create_entry(hass, tibber_sim)
    unavailable: list[str] = []

    @callback
    def _note(event: Event[EventStateChangedData]) -> None:
        new = event.data["new_state"]
        if new is not None and new.state == STATE_UNAVAILABLE:
            unavailable.append(new.entity_id)

    hass.bus.async_listen(EVENT_STATE_CHANGED, _note)
    setup = entry.runtime_data

    # The first save after setup, then a second one: nothing changed.
    await _save_as_shown(hass, entry)
    await _save_as_shown(hass, entry)
    assert entry.runtime_data is setup
    assert entry.state is ConfigEntryState.LOADED
    assert unavailable == []

    # A change reloads (the entry is set up again, with the new interval) ...
    await _save_as_shown(hass, entry, **{CONF_POLL_MINUTES: 15.0})
    assert entry.state is ConfigEntryState.LOADED
    assert entry.runtime_data is not setup
    interval = entry.runtime_data.coordinator.update_interval
    assert interval is not None
    assert interval.total_seconds() == 15 * 60
    assert unavailable  # what a reload shows, and what saving unchanged must not

    # ... and saving the changed options again, unchanged, does not.
    unavailable.clear()
    setup = entry.runtime_data
    await _save_as_shown(hass, entry)
    assert entry.runtime_data is setup
    assert entry.options[CONF_POLL_MINUTES] == 15
    assert unavailable == []
