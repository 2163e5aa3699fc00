"""A usage chart per home, for a Lovelace picture-entity card."""

from __future__ import annotations

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

    @callback
    def _handle_coordinator_update(self) -> None:
        """A new poll: the next request draws the chart again."""
        self._png = None
        self._attr_image_last_updated = dt_util.utcnow()
        super()._handle_coordinator_update()

    async def async_image(self) -> bytes | None:
        """The chart (drawn in the executor, then kept until the next poll)."""
        if self._png is None:
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
                self._png = (await run_export(self.hass, params)).body
            except ExportError as err:
                _LOGGER.warning(
                    "Cannot draw the usage chart of %s: %s", self.home_id, err
                )
                return None
        return self._png
