"""A usage chart per home, for a Lovelace picture-entity card."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from homeassistant.components.image import ImageEntity
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddEntitiesCallback
from homeassistant.util import dt as dt_util

from .const import (
    CONF_CHART_AGGREGATE,
    CONF_CHART_GRAPH,
    CONF_CHART_HOURS,
    DEFAULT_CHART_AGGREGATE,
    DEFAULT_CHART_GRAPH,
    DEFAULT_CHART_HOURS,
)
from .coordinator import PowertrackerCoordinator
from .data import PowertrackerConfigEntry
from .entity import PowertrackerEntity
from .export.models import Aggregate, Graph, Output
from .export.params import DEFAULT_HEIGHT, DEFAULT_WIDTH, ExportError, ExportParams
from .export.run import run_export
from .tibber import Home

_LOGGER = logging.getLogger(__name__)
PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: PowertrackerConfigEntry,
    async_add_entities: AddEntitiesCallback,
) -> None:
    """One chart per home."""
    coordinator = entry.runtime_data.coordinator
    async_add_entities(
        UsageChart(coordinator, home) for home in coordinator.homes.values()
    )


class UsageChart(PowertrackerEntity, ImageEntity):
    """The home's usage over the last hours, drawn again after each poll."""

    _attr_content_type = "image/png"
    _attr_translation_key = "usage_chart"

    def __init__(self, coordinator: PowertrackerCoordinator, home: Home) -> None:
        """Chart `home` with the entry's chart options."""
        PowertrackerEntity.__init__(self, coordinator, home, "usage_chart")
        ImageEntity.__init__(self, coordinator.hass)
        options = coordinator.config_entry.options
        self._hours = int(options.get(CONF_CHART_HOURS, DEFAULT_CHART_HOURS))
        self._aggregate = Aggregate(
            options.get(CONF_CHART_AGGREGATE, DEFAULT_CHART_AGGREGATE)
        )
        self._graph = Graph(options.get(CONF_CHART_GRAPH, DEFAULT_CHART_GRAPH))
        self._attr_image_last_updated = dt_util.utcnow()
        self._png: bytes | None = None
        self._generation = 0
        self._lock = asyncio.Lock()

    @callback
    def _handle_coordinator_update(self) -> None:
        """A new poll: the next request draws the chart again."""
        self._png = None
        self._generation += 1
        self._attr_image_last_updated = dt_util.utcnow()
        super()._handle_coordinator_update()

    async def async_image(self) -> bytes | None:
        """The chart (drawn in the executor once per poll, however many ask)."""
        async with self._lock:
            if self._png is None:
                generation = self._generation
                png = await self._draw()
                if generation == self._generation:  # no poll while drawing
                    self._png = png
                return png
            return self._png

    async def _draw(self) -> bytes:
        end = dt_util.utcnow()
        params = ExportParams(
            output=Output.PNG,
            graph=self._graph,
            aggregate=self._aggregate,
            start=end - timedelta(hours=self._hours),
            end=end,
            home=self.home_id,
            width=DEFAULT_WIDTH,
            height=DEFAULT_HEIGHT,
        )
        try:
            return (await run_export(self.hass, params)).body
        except ExportError as err:
            # A dashboard shows "no data" rather than a broken image.
            _LOGGER.warning("Usage chart of %s: %s", self.home_id, err)
            return await self.hass.async_add_executor_job(_empty_chart, params)


def _empty_chart(params: ExportParams) -> bytes:
    from .export.png import render_png  # noqa: PLC0415 - matplotlib imports slowly

    return render_png(
        [],
        params.graph,
        params.aggregate,
        width=params.width,
        height=params.height,
        tz=dt_util.get_default_time_zone(),
    )
