"""The usage chart image entity and its per-home settings."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from http import HTTPStatus

import numpy as np
import pytest
from homeassistant.core import HomeAssistant
from PIL import Image
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.powertracker.const import CONF_BACKFILL_DAYS
from loopback.tibber import TibberSimulator
from tests.integration.conftest import Clock, SetupEntry, select_option, state_of

VILLA_CHART = "image.villa_solsidan_usage_chart"
CABIN_CHART = "image.sjovagen_7_usage_chart"
BAR_BLUE = (0x1F, 0x77, 0xB4)
"""matplotlib's first color (C0): the bars of a chart's only home."""


async def _fetch(hass_client: ClientSessionGenerator, entity_id: str) -> Image.Image:
    client = await hass_client()
    response = await client.get(f"/api/image_proxy/{entity_id}")
    assert response.status == HTTPStatus.OK
    assert response.content_type == "image/png"
    return Image.open(io.BytesIO(await response.read()))


def _bar_pixels(image: Image.Image) -> int:
    """How many pixels are the bars' color."""
    pixels = np.asarray(image.convert("RGB")).reshape(-1, 3)
    return int((np.abs(pixels.astype(int) - BAR_BLUE).sum(axis=1) < 30).sum())


@pytest.fixture
async def entry(clock: Clock, setup_entry: SetupEntry) -> MockConfigEntry:
    """An entry with ten days of imported history."""
    return await setup_entry(**{CONF_BACKFILL_DAYS: 10})


async def test_both_homes_chart_a_week_of_imported_hours_on_the_first_day(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, entry: MockConfigEntry
) -> None:
    """The default is the last 7 days per hour: data even for the cabin,
    which has no 5-minute data; sized for a card."""
    for chart in (VILLA_CHART, CABIN_CHART):
        image = await _fetch(hass_client, chart)
        assert (image.format, image.size) == ("PNG", (800, 400))
        # 168 bars over most of the width: thousands of bar pixels, not a sliver.
        assert _bar_pixels(image) > 20_000, chart
    assert state_of(hass, "select.villa_solsidan_chart_period") == "week"
    assert state_of(hass, "select.villa_solsidan_chart_kind") == "hist"


async def test_the_cabin_is_never_offered_five_minutes(
    hass: HomeAssistant, entry: MockConfigEntry
) -> None:
    villa = hass.states.get("select.villa_solsidan_chart_period")
    cabin = hass.states.get("select.sjovagen_7_chart_period")
    assert villa is not None
    assert cabin is not None
    assert villa.attributes["options"] == ["day", "week", "month", "year"]
    assert cabin.attributes["options"] == ["week", "month", "year"]


async def test_the_chart_changes_with_its_content_not_with_every_poll(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    clock: Clock,
    tibber_sim: TibberSimulator,
    entry: MockConfigEntry,
) -> None:
    drawn = state_of(hass, VILLA_CHART)
    before = (await _fetch(hass_client, VILLA_CHART)).tobytes()
    await clock.advance(hass, timedelta(minutes=5))  # a poll, within the hour
    assert state_of(hass, VILLA_CHART) == drawn
    assert (await _fetch(hass_client, VILLA_CHART)).tobytes() == before

    await clock.advance(hass, timedelta(hours=1))  # a new hour to show
    assert state_of(hass, VILLA_CHART) != drawn
    assert (await _fetch(hass_client, VILLA_CHART)).tobytes() != before


async def test_each_home_has_its_own_settings_kept_across_a_reload(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    clock: Clock,
    entry: MockConfigEntry,
) -> None:
    villa, cabin = state_of(hass, VILLA_CHART), state_of(hass, CABIN_CHART)
    week = await _fetch(hass_client, VILLA_CHART)
    clock.now += timedelta(seconds=1)  # the state is the time of the drawing
    await select_option(hass, "select.villa_solsidan_chart_period", "month")
    assert state_of(hass, VILLA_CHART) != villa  # drawn again at once
    assert state_of(hass, CABIN_CHART) == cabin
    month = await _fetch(hass_client, VILLA_CHART)
    # 10 days of history in a 30-day chart: fewer, wider bars.
    assert month.tobytes() != week.tobytes()

    await select_option(hass, "select.villa_solsidan_chart_kind", "lineplot")
    assert _bar_pixels(await _fetch(hass_client, VILLA_CHART)) < _bar_pixels(month)

    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert state_of(hass, "select.villa_solsidan_chart_period") == "month"
    assert state_of(hass, "select.villa_solsidan_chart_kind") == "lineplot"
    assert state_of(hass, "select.sjovagen_7_chart_period") == "week"


async def test_the_five_minute_day_of_a_new_home_is_mostly_empty_but_drawn(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, entry: MockConfigEntry
) -> None:
    """The villa's 5-minute day only has what was measured since setup."""
    await select_option(hass, "select.villa_solsidan_chart_period", "day")
    image = await _fetch(hass_client, VILLA_CHART)
    assert image.size == (800, 400)


async def test_the_chart_speaks_home_assistants_language(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, entry: MockConfigEntry
) -> None:
    """Changing Home Assistant's language draws the chart again in it (its
    words only: back in English, it is the same picture)."""
    english = (await _fetch(hass_client, VILLA_CHART)).tobytes()
    await hass.config.async_update(language="sv")
    await hass.async_block_till_done(wait_background_tasks=True)
    swedish = (await _fetch(hass_client, VILLA_CHART)).tobytes()
    assert swedish != english
    await hass.config.async_update(language="en")
    await hass.async_block_till_done(wait_background_tasks=True)
    assert (await _fetch(hass_client, VILLA_CHART)).tobytes() == english


async def test_the_twelve_months_end_with_the_current_month(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    clock: Clock,
    entry: MockConfigEntry,
) -> None:
    """A day into December the chart still shows December whole (empty so
    far), not as a sliver: November's bar ends a month's width before the
    plot's right edge."""
    clock.now = datetime(2026, 12, 2, 12, tzinfo=UTC)
    await select_option(hass, "select.villa_solsidan_chart_period", "year")
    image = await _fetch(hass_client, VILLA_CHART)
    pixels = np.asarray(image.convert("RGB")).astype(int)
    bars = np.flatnonzero((np.abs(pixels - BAR_BLUE).sum(axis=2) < 30).any(axis=0))
    # The plot's frame: columns dark from top to bottom of the plot.
    frame = np.flatnonzero((pixels.sum(axis=2) < 150).sum(axis=0) > 150)
    assert len(bars) > 0
    assert len(frame) >= 2
    # 12 months over about 640 pixels: December is some 54 pixels wide.
    assert frame.max() - bars.max() > 45
