"""Per-home settings, configuration selects on each home's device: the chart's
period and kind, and the capacity tariff. Each keeps its choice across restarts."""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from homeassistant.components.select import SelectEntity, SelectEntityDescription
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.restore_state import RestoreEntity

from .capacity import Tariffs, offered
from .chart import ChartPeriod, Charts, periods
from .coordinator import PowertrackerCoordinator
from .data import PowertrackerConfigEntry
from .entity import PowertrackerEntity
from .export.models import Graph
from .tibber import Home

PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class ChartSelectDescription(SelectEntityDescription):
    """A chart setting: which field of `ChartSettings` it sets, from which enum."""

    field: str
    values: type[StrEnum]


DESCRIPTIONS = (
    ChartSelectDescription(
        key="chart_period",
        translation_key="chart_period",
        entity_category=EntityCategory.CONFIG,
        field="period",
        values=ChartPeriod,
    ),
    ChartSelectDescription(
        key="chart_graph",
        translation_key="chart_graph",
        entity_category=EntityCategory.CONFIG,
        field="graph",
        values=Graph,
    ),
)
TARIFF_DESCRIPTION = SelectEntityDescription(
    key="capacity_tariff",
    translation_key="capacity_tariff",
    entity_category=EntityCategory.CONFIG,
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: PowertrackerConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """The chart's period and kind, and the capacity tariff, per home."""
    coordinator = entry.runtime_data.coordinator
    entities: list[SettingSelect] = []
    for home in coordinator.homes.values():
        entities.extend(
            ChartSelect(coordinator, home, description, entry.runtime_data.charts)
            for description in DESCRIPTIONS
        )
        entities.append(TariffSelect(coordinator, home, entry.runtime_data.tariffs))
    async_add_entities(entities)


class SettingSelect(PowertrackerEntity, SelectEntity, RestoreEntity):
    """A setting of a home, kept across restarts; `_set` applies a choice."""

    @property
    def available(self) -> bool:
        """A setting is there whether or not Tibber answered the last poll."""
        return True

    async def async_added_to_hass(self) -> None:
        """Take the setting of the last run."""
        await super().async_added_to_hass()
        last = await self.async_get_last_state()
        if last is not None and last.state in self.options:
            self._set(last.state)

    async def async_select_option(self, option: str) -> None:
        """Change the setting."""
        self._set(option)
        self.async_write_ha_state()

    def _set(self, option: str) -> None:
        raise NotImplementedError


class ChartSelect(SettingSelect):
    """One setting of a home's usage chart; the chart draws itself again."""

    entity_description: ChartSelectDescription

    def __init__(
        self,
        coordinator: PowertrackerCoordinator,
        home: Home,
        description: ChartSelectDescription,
        charts: Charts,
    ) -> None:
        """A select of `description` for `home`'s chart in `charts`."""
        super().__init__(coordinator, home, description.key)
        self.entity_description = description
        self._charts = charts
        choices = (
            periods(home.real_time_consumption)
            if description.values is ChartPeriod
            else list(description.values)
        )
        self._attr_options = [choice.value for choice in choices]

    @property
    def current_option(self) -> str:
        """The home's current setting."""
        value: StrEnum = getattr(
            self._charts.get(self.home_id), self.entity_description.field
        )
        return value.value

    def _set(self, option: str) -> None:
        description = self.entity_description
        settings = self._charts.get(self.home_id)
        changes: dict[str, Any] = {description.field: description.values(option)}
        self._charts.set(self.home_id, replace(settings, **changes))


class TariffSelect(SettingSelect):
    """The home's capacity tariff; its capacity sensors follow it."""

    def __init__(
        self, coordinator: PowertrackerCoordinator, home: Home, tariffs: Tariffs
    ) -> None:
        """The tariff of `home` in `tariffs`."""
        super().__init__(coordinator, home, TARIFF_DESCRIPTION.key)
        self.entity_description = TARIFF_DESCRIPTION
        self._tariffs = tariffs
        self._attr_options = offered(home.real_time_consumption)

    async def async_added_to_hass(self) -> None:
        """Take the tariff of the last run, else `none`: known either way, so
        the home's capacity sensors may follow it."""
        await super().async_added_to_hass()
        self._set(self.current_option)

    @property
    def current_option(self) -> str:
        """The home's tariff."""
        return self._tariffs.get(self.home_id)

    def _set(self, option: str) -> None:
        self._tariffs.set(self.home_id, option)
