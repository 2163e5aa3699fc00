"""A usage chart per home, for a Lovelace picture-entity card.

The chart follows the home's chart settings (`chart.py`, set on the device)
and is read again only when what it shows may have changed: the settings,
new hourly rows of the home (`HourlyStatistics` tells), Home Assistant's
language (its words, `export/texts.py`), or for the 5-minute day each poll.
It then reads the buckets (one small SELECT), and only different buckets, or
another title, change the entity's state. So the chart changes once an hour,
not at every poll. It is drawn (matplotlib, in the executor) only when its
bytes are asked for (`async_image`: someone looks at it), and that PNG is kept
until the content changes: a Home Assistant where nobody looks at a chart
never loads matplotlib. It is sized for a card: 800 x 400 pixels with text
that stays readable when a dashboard column shrinks it to half.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from functools import partial

from homeassistant.components.image import ImageEntity
from homeassistant.const import EVENT_CORE_CONFIG_UPDATE
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.util import dt as dt_util

from .chart import ChartPeriod, chart_range
from .coordinator import PowertrackerCoordinator
from .data import PowertrackerConfigEntry, RuntimeData
from .entity import PowertrackerEntity
from .export.models import HomeBuckets, Output
from .export.params import ExportError, ExportParams
from .export.run import export_title, read_buckets, render_chart
from .tibber import Home

_LOGGER = logging.getLogger(__name__)
PARALLEL_UPDATES = 0
CHART_WIDTH = 800
CHART_HEIGHT = 400
CHART_FONT = 15.0
"""Points: about 12 screen pixels when a card shows the chart half size."""


async def async_setup_entry(
    hass: HomeAssistant,
    entry: PowertrackerConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """One chart per home."""
    coordinator = entry.runtime_data.coordinator
    async_add_entities(
        UsageChart(coordinator, home, entry.runtime_data)
        for home in coordinator.homes.values()
    )


class UsageChart(PowertrackerEntity, ImageEntity):
    """The home's usage over its chart's period."""

    _attr_content_type = "image/png"
    _attr_translation_key = "usage_chart"

    def __init__(
        self, coordinator: PowertrackerCoordinator, home: Home, runtime: RuntimeData
    ) -> None:
        """Chart `home` as its settings in `runtime.charts` say."""
        PowertrackerEntity.__init__(self, coordinator, home, "usage_chart")
        ImageEntity.__init__(self, coordinator.hass)
        self._home_name = home.name
        self._charts = runtime.charts
        self._statistics = runtime.statistics
        self._png: bytes | None = None
        """The chart of `_shown`, once asked for; None until then."""
        self._shown: tuple[object, ...] | None = None
        """What the chart shows (its title and buckets)."""
        self._draw: Callable[[], bytes] | None = None
        """How to draw `_shown` (its buckets are kept until it is drawn)."""
        self._lock = asyncio.Lock()

    async def async_added_to_hass(self) -> None:
        """Read now, and again when the settings change, new hours arrive or
        Home Assistant's language (or time zone) changes."""
        await super().async_added_to_hass()
        self.async_on_remove(self._charts.listen(self.home_id, self._schedule))
        self.async_on_remove(self._statistics.listen(self.home_id, self._schedule))
        self.async_on_remove(
            self.hass.bus.async_listen(
                EVENT_CORE_CONFIG_UPDATE, callback(lambda _event: self._schedule())
            )
        )
        self._schedule()

    @callback
    def _handle_coordinator_update(self) -> None:
        """A new poll: the 5-minute day moves on (other periods wait for hours)."""
        if self._charts.get(self.home_id).period is ChartPeriod.DAY:
            self._schedule()
        super()._handle_coordinator_update()

    @callback
    def _schedule(self) -> None:
        self.coordinator.config_entry.async_create_background_task(
            self.hass, self._async_refresh(), f"usage chart {self.entity_id}"
        )

    async def async_image(self) -> bytes | None:
        """The chart of the current content, drawn now if it was not yet."""
        if self._shown is None:
            await self._async_refresh()
        async with self._lock:
            if self._png is None and self._draw is not None:
                self._png = await self.hass.async_add_executor_job(self._draw)
                self._draw = None  # the buckets are not needed any more
            return self._png

    async def _async_refresh(self) -> None:
        """Read the chart's buckets; if they changed, update the state (the
        chart is drawn when asked for)."""
        async with self._lock:
            settings = self._charts.get(self.home_id)
            tz = dt_util.get_default_time_zone()
            now = dt_util.utcnow()
            start, end = chart_range(settings.period, now, tz)
            params = ExportParams(
                output=Output.PNG,
                graph=settings.graph,
                aggregate=settings.aggregate,
                start=start,
                end=end,
                home=self.home_id,
                width=CHART_WIDTH,
                height=CHART_HEIGHT,
            )
            try:
                # `auto`: a store that does not answer costs only its rows.
                buckets, _ = await read_buckets(self.hass, params)
            except ExportError as err:
                # A dashboard shows "no data" rather than a broken image.
                _LOGGER.warning("Usage chart of %s: %s", self._home_name, err)
                buckets = []
            language = self.hass.config.language
            title = export_title(self.hass, params, [self._home_name])
            content = (title, language, *_content(buckets))
            if content == self._shown:
                return
            self._shown = content
            self._png = None
            self._draw = partial(
                render_chart,
                buckets,
                params,
                tz,
                title=title,
                language=language,
                font=CHART_FONT,
            )
            self._attr_image_last_updated = dt_util.utcnow()
            if self.hass is not None and self.entity_id:
                self.async_write_ha_state()


def _content(buckets: list[HomeBuckets]) -> tuple[bytes, ...]:
    """What a chart of `buckets` shows, to compare (NaN compares equal as bytes)."""
    return tuple(
        column.tobytes()
        for home in buckets
        for column in (home.edges, home.energy, home.average_power)
    )
