"""The usage chart image entity."""

from __future__ import annotations

import io
from datetime import timedelta
from http import HTTPStatus

import pytest
from homeassistant.core import HomeAssistant
from PIL import Image
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.powertracker.const import (
    CONF_CHART_AGGREGATE,
    CONF_CHART_HOURS,
)
from tests.integration.conftest import Clock, SetupEntry
from tests.simulator import TibberSimulator

CHART = "image.villa_solsidan_usage_chart"


async def _fetch(hass: HomeAssistant, hass_client: ClientSessionGenerator) -> bytes:
    client = await hass_client()
    response = await client.get(f"/api/image_proxy/{CHART}")
    assert response.status == HTTPStatus.OK
    assert response.content_type == "image/png"
    body: bytes = await response.read()
    return body


async def test_default_chart_is_a_png_of_the_default_size(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    loaded_entry: MockConfigEntry,
) -> None:
    image = Image.open(io.BytesIO(await _fetch(hass, hass_client)))
    assert (image.format, image.size) == ("PNG", (1152, 288))


async def test_chart_is_drawn_again_after_a_poll(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    clock: Clock,
    tibber_sim: TibberSimulator,
    setup_entry: SetupEntry,
) -> None:
    await setup_entry(**{CONF_CHART_HOURS: 48, CONF_CHART_AGGREGATE: "1h"})
    before_state = hass.states.get(CHART)
    before = await _fetch(hass, hass_client)
    assert before == await _fetch(hass, hass_client)  # kept between polls

    await clock.advance(hass, timedelta(hours=1))  # a poll and a new imported hour
    await async_wait_recording_done(hass)
    after_state = hass.states.get(CHART)
    assert before_state is not None
    assert after_state is not None
    assert after_state.state != before_state.state  # image_last_updated moved
    assert await _fetch(hass, hass_client) != before


async def test_a_chart_it_cannot_draw_is_a_no_data_image(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    clock: Clock,
    tibber_sim: TibberSimulator,
    setup_entry: SetupEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """5-minute data over a month reaches past the recorder's 10 days."""
    await setup_entry(**{CONF_CHART_HOURS: 744, CONF_CHART_AGGREGATE: "5m"})
    image = Image.open(io.BytesIO(await _fetch(hass, hass_client)))
    assert (image.format, image.size) == ("PNG", (1152, 288))
    assert "5-minute data goes back" in caplog.text
