"""The Energy dashboard set up as the README says, checked by Home Assistant itself.

README, "On the Energy dashboard": each home's hourly consumption with its
hourly cost, a solar home's hourly production with its compensation, and
(Home Assistant 2025.12 and newer) *<home> Power* as the grid's power sensor,
with *<home> Power production* as the power returned for a solar home. The
preferences are saved through the Energy panel's own websocket command and
`energy/validate` must find no issue in any source.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from homeassistant.components.energy import data as energy_data
from homeassistant.components.recorder.statistics import get_metadata
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.recorder import get_instance
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
    do_adhoc_statistics,
)
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.powertracker.const import DOMAIN, statistic_id
from loopback.tibber import HOMES
from tests.integration.conftest import Clock, SetupEntry

VILLA, CABIN = HOMES  # the villa has a Pulse and solar panels; the cabin neither

# 2026.3 made each grid connection one source with its own power sensor; 2025.12
# to 2026.2 kept a list of flows each way (the floor leg, 2025.4, has no power).
UNIFIED_GRID = "stat_energy_from" in energy_data.GridSourceType.__annotations__


def _power_sensor(hass: HomeAssistant, key: str, name: str) -> str:
    """The entity the README names, found by what a person reads: its name."""
    entity_id = er.async_get(hass).async_get_entity_id(
        Platform.SENSOR, DOMAIN, f"{VILLA.id}_{key}"
    )
    assert entity_id is not None
    state = hass.states.get(entity_id)
    assert state is not None
    assert state.attributes["friendly_name"] == f"{VILLA.nickname} {name}"
    return entity_id


def _readme_preferences(hass: HomeAssistant, solar: bool) -> list[dict[str, Any]]:
    """The grid sources the README tells people to pick, in this release's shape
    (`solar`: the villa's production and power returned are picked too)."""
    villa = {
        "consumption": statistic_id(VILLA.id, VILLA.name, "consumption"),
        "cost": statistic_id(VILLA.id, VILLA.name, "cost"),
        "production": statistic_id(VILLA.id, VILLA.name, "production"),
        "compensation": statistic_id(VILLA.id, VILLA.name, "compensation"),
    }
    cabin_consumption = statistic_id(CABIN.id, CABIN.name, "consumption")
    cabin_cost = statistic_id(CABIN.id, CABIN.name, "cost")
    if not UNIFIED_GRID:
        return [
            {
                "type": "grid",
                "flow_from": [
                    {
                        "stat_energy_from": consumption,
                        "stat_cost": cost,
                        "entity_energy_price": None,
                        "number_energy_price": None,
                    }
                    for consumption, cost in (
                        (villa["consumption"], villa["cost"]),
                        (cabin_consumption, cabin_cost),
                    )
                ],
                "flow_to": [
                    {
                        "stat_energy_to": villa["production"],
                        "stat_compensation": villa["compensation"],
                        "entity_energy_price": None,
                        "number_energy_price": None,
                    }
                ]
                if solar
                else [],
                "cost_adjustment_day": 0,
            }
        ]
    no_prices = {
        "entity_energy_price": None,
        "number_energy_price": None,
        "entity_energy_price_export": None,
        "number_energy_price_export": None,
        "cost_adjustment_day": 0,
    }
    power = _power_sensor(hass, "power", "Power")
    if solar:  # power from the grid and power returned to it: two sensors
        returned = _power_sensor(hass, "power_production", "Power production")
        power_config = {"stat_rate_from": power, "stat_rate_to": returned}
    else:  # one sensor, the power taken from the grid
        power_config = {"stat_rate": power}
    return [
        {
            "type": "grid",
            "stat_energy_from": villa["consumption"],
            "stat_cost": villa["cost"],
            "stat_energy_to": villa["production"] if solar else None,
            "stat_compensation": villa["compensation"] if solar else None,
            "power_config": power_config,
            **no_prices,
        },
        {
            "type": "grid",
            "stat_energy_from": cabin_consumption,
            "stat_cost": cabin_cost,
            "stat_energy_to": None,
            "stat_compensation": None,
            **no_prices,
        },
    ]


@pytest.mark.parametrize("solar", [True, False], ids=["solar", "no-solar"])
async def test_home_assistant_validates_what_the_readme_says_to_pick(
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    clock: Clock,
    setup_entry: SetupEntry,
    solar: bool,
) -> None:
    clock.now = datetime(2026, 11, 28, 9, 25, 3, tzinfo=UTC)
    await setup_entry()
    for _ in range(3):  # live measurements: the power sensors have states
        await clock.advance(hass, timedelta(minutes=5))
    assert await async_setup_component(hass, "energy", {})
    await hass.async_block_till_done()

    client = await hass_ws_client(hass)
    sources = _readme_preferences(hass, solar)
    await client.send_json_auto_id(
        {"type": "energy/save_prefs", "energy_sources": sources}
    )
    saved = await client.receive_json()
    assert saved["success"], saved
    await hass.async_block_till_done(wait_background_tasks=True)

    # The recorder compiles a power sensor's statistics from its states, which
    # Home Assistant stamps on the real clock: compile the real five minutes.
    real_now = datetime.fromtimestamp(time.time(), UTC)
    slot = real_now.replace(minute=real_now.minute - real_now.minute % 5, second=0)
    await async_wait_recording_done(hass)
    do_adhoc_statistics(hass, start=slot.replace(microsecond=0))
    await async_wait_recording_done(hass)

    await client.send_json_auto_id({"type": "energy/validate"})
    reply = await client.receive_json()
    assert reply["success"], reply
    validation = reply["result"]
    # One list of issues per source; the README's picks raise none.
    assert len(validation["energy_sources"]) == len(sources)
    assert validation["energy_sources"] == [[] for _ in sources]
    assert validation["device_consumption"] == []
    if UNIFIED_GRID:
        # The power Home Assistant checked: the sensor, or the one it made of two.
        manager = await energy_data.async_get_manager(hass)
        assert manager.data is not None
        villa_grid = manager.data["energy_sources"][0]
        power = _power_sensor(hass, "power", "Power")
        assert (villa_grid.get("stat_rate") == power) is not solar


async def test_the_pickers_name_the_statistics_in_home_assistants_language(
    hass: HomeAssistant, setup_entry: SetupEntry
) -> None:
    """The Energy settings show a statistic's name as written: Powertracker
    writes it in the server's language, from the translation files."""
    await hass.config.async_update(language="sv")
    await setup_entry()
    swedish = json.loads(
        (
            Path(__file__).parents[2]
            / "custom_components"
            / DOMAIN
            / "translations"
            / "sv.json"
        ).read_text("utf-8")
    )["entity"]["sensor"]
    ids = {
        kind: statistic_id(VILLA.id, VILLA.name, kind)
        for kind in ("consumption", "cost")
    }
    metadata = await get_instance(hass).async_add_executor_job(
        lambda: get_metadata(hass, statistic_ids=set(ids.values()))
    )
    for kind, stat_id in ids.items():
        template = swedish[f"{kind}_statistic"]["name"]
        assert metadata[stat_id][1]["name"] == template.replace(
            "{home}", str(VILLA.nickname)
        )
    assert metadata[ids["consumption"]][1]["name"] == "Villa Solsidan timförbrukning"
