"""Sensors of a home, described by entity descriptions with value functions."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from functools import partial
from typing import Any

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import (
    EntityCategory,
    Platform,
    UnitOfElectricCurrent,
    UnitOfElectricPotential,
    UnitOfEnergy,
    UnitOfPower,
)
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.typing import StateType

from .capacity import CapacityTracker
from .const import DOMAIN
from .coordinator import PowertrackerCoordinator
from .data import PowertrackerConfigEntry
from .entity import PowertrackerEntity
from .meter.state import HomeState
from .meter.tariff import Capacity, Running
from .record.forwarder import Forwarder
from .sink.models import Sink
from .tibber import Home, LiveMeasurement

PARALLEL_UPDATES = 0  # the coordinator polls; entities never fetch on their own


class _Sensor(PowertrackerEntity, SensorEntity):
    """A sensor of a home."""

    @property
    def _reports_each_poll(self) -> bool:
        """A measurement is reported at every poll, changed or not: helpers
        such as the Riemann sum and the derivative count a value held (a
        production at 0 W all night) through Home Assistant's
        `state_reported`."""
        return self.state_class == SensorStateClass.MEASUREMENT


@dataclass(frozen=True, kw_only=True)
class PowertrackerSensorEntityDescription(SensorEntityDescription):
    """A sensor of a home: where its value comes from, and which homes have it."""

    value_fn: Callable[[HomeState], StateType | datetime]
    live: bool = True
    """Needs this poll's live measurement (unavailable while the home is silent)."""
    currency: bool = False
    """Unit is the currency Tibber reports."""
    last_reset_daily: bool = False
    """A total that restarts at the home's local midnight."""
    produces: bool = False
    """Enabled by default only for homes that produced when they were set up."""


def _live(
    read: Callable[[LiveMeasurement], StateType],
) -> Callable[[HomeState], StateType]:
    """A value of the poll's live measurement (None while the home is silent)."""

    def value(state: HomeState) -> StateType:
        return None if state.measurement is None else read(state.measurement)

    return value


_PHASES: dict[str, Callable[[LiveMeasurement], StateType]] = {
    "current_l1": lambda m: m.current_l1,
    "current_l2": lambda m: m.current_l2,
    "current_l3": lambda m: m.current_l3,
    "voltage_phase1": lambda m: m.voltage_phase1,
    "voltage_phase2": lambda m: m.voltage_phase2,
    "voltage_phase3": lambda m: m.voltage_phase3,
}
_POWERS: dict[str, Callable[[LiveMeasurement], StateType]] = {
    "min_power": lambda m: m.min_power,
    "average_power": lambda m: m.average_power,
    "max_power": lambda m: m.max_power,
}


def _phase(kind: str, number: int) -> PowertrackerSensorEntityDescription:
    current = kind == "current"
    attr = f"current_l{number}" if current else f"voltage_phase{number}"
    return PowertrackerSensorEntityDescription(
        key=attr,
        translation_key=attr,
        device_class=SensorDeviceClass.CURRENT
        if current
        else SensorDeviceClass.VOLTAGE,
        native_unit_of_measurement=(
            UnitOfElectricCurrent.AMPERE if current else UnitOfElectricPotential.VOLT
        ),
        state_class=SensorStateClass.MEASUREMENT,
        entity_registry_enabled_default=False,
        value_fn=_live(_PHASES[attr]),
    )


REAL_TIME_SENSORS: tuple[PowertrackerSensorEntityDescription, ...] = (
    PowertrackerSensorEntityDescription(
        key="energy_consumption",
        translation_key="energy_consumption",
        device_class=SensorDeviceClass.ENERGY,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        state_class=SensorStateClass.TOTAL_INCREASING,
        suggested_display_precision=3,
        live=False,
        value_fn=lambda state: state.consumption_total,
    ),
    PowertrackerSensorEntityDescription(
        key="energy_production",
        translation_key="energy_production",
        device_class=SensorDeviceClass.ENERGY,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        state_class=SensorStateClass.TOTAL_INCREASING,
        suggested_display_precision=3,
        live=False,
        produces=True,
        value_fn=lambda state: state.production_total,
    ),
    PowertrackerSensorEntityDescription(
        key="consumption_today",
        translation_key="consumption_today",
        device_class=SensorDeviceClass.ENERGY,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=3,
        value_fn=_live(lambda m: m.accumulated_consumption),
    ),
    PowertrackerSensorEntityDescription(
        key="production_today",
        translation_key="production_today",
        device_class=SensorDeviceClass.ENERGY,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=3,
        produces=True,
        value_fn=_live(lambda m: m.accumulated_production),
    ),
    PowertrackerSensorEntityDescription(
        key="cost_today",
        translation_key="cost_today",
        device_class=SensorDeviceClass.MONETARY,
        state_class=SensorStateClass.TOTAL,
        suggested_display_precision=2,
        currency=True,
        last_reset_daily=True,
        value_fn=_live(lambda m: m.accumulated_cost),
    ),
    PowertrackerSensorEntityDescription(
        key="power",
        translation_key="power",
        device_class=SensorDeviceClass.POWER,
        native_unit_of_measurement=UnitOfPower.WATT,
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=_live(lambda m: m.power),
    ),
    PowertrackerSensorEntityDescription(
        key="power_production",
        translation_key="power_production",
        device_class=SensorDeviceClass.POWER,
        native_unit_of_measurement=UnitOfPower.WATT,
        state_class=SensorStateClass.MEASUREMENT,
        produces=True,
        value_fn=_live(lambda m: m.power_production),
    ),
    *(
        PowertrackerSensorEntityDescription(
            key=key,
            translation_key=key,
            device_class=SensorDeviceClass.POWER,
            native_unit_of_measurement=UnitOfPower.WATT,
            state_class=SensorStateClass.MEASUREMENT,
            entity_registry_enabled_default=key == "average_power",
            value_fn=_live(read),
        )
        for key, read in _POWERS.items()
    ),
    *(_phase("current", number) for number in (1, 2, 3)),
    *(_phase("voltage", number) for number in (1, 2, 3)),
    PowertrackerSensorEntityDescription(
        key="power_factor",
        translation_key="power_factor",
        device_class=SensorDeviceClass.POWER_FACTOR,
        state_class=SensorStateClass.MEASUREMENT,
        entity_registry_enabled_default=False,
        value_fn=_live(lambda m: m.power_factor),
    ),
    PowertrackerSensorEntityDescription(
        # Pulse reports dB, Watty percent: no unit fits both.
        key="signal_strength",
        translation_key="signal_strength",
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        value_fn=_live(lambda m: m.signal_strength),
    ),
    PowertrackerSensorEntityDescription(
        # A timestamp changes at every poll, and the logbook lists every change
        # of a sensor without a unit: off unless the user wants it.
        key="last_measurement",
        translation_key="last_measurement",
        device_class=SensorDeviceClass.TIMESTAMP,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        live=False,
        value_fn=lambda state: (
            state.measurement.timestamp if state.measurement else None
        ),
    ),
)

HOURLY_SENSORS: tuple[PowertrackerSensorEntityDescription, ...] = (
    PowertrackerSensorEntityDescription(
        key="hourly_consumption",
        translation_key="hourly_consumption",
        device_class=SensorDeviceClass.ENERGY,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=3,
        live=False,
        value_fn=lambda state: state.last_hour.energy if state.last_hour else None,
    ),
    PowertrackerSensorEntityDescription(
        key="hourly_cost",
        translation_key="hourly_cost",
        device_class=SensorDeviceClass.MONETARY,
        suggested_display_precision=2,
        currency=True,
        live=False,
        value_fn=lambda state: state.last_hour.money if state.last_hour else None,
    ),
)


def _produces(state: HomeState | None) -> bool:
    measurement = state.measurement if state else None
    return measurement is not None and bool(
        measurement.last_meter_production
        or measurement.accumulated_production
        or measurement.power_production
    )


async def async_setup_entry(
    hass: HomeAssistant,
    entry: PowertrackerConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Sensors for every selected home."""
    coordinator = entry.runtime_data.coordinator
    entities: list[PowertrackerSensor] = []
    for home in coordinator.homes.values():
        state = coordinator.data.get(home.id)
        descriptions = (
            REAL_TIME_SENSORS if home.real_time_consumption else HOURLY_SENSORS
        )
        entities.extend(
            PowertrackerSensor(
                coordinator,
                home,
                description
                if not description.produces or _produces(state)
                else replace(description, entity_registry_enabled_default=False),
            )
            for description in descriptions
        )
    async_add_entities(entities)
    _follow_tariffs(hass, entry, async_add_entities)
    if (forwarder := entry.runtime_data.forwarder) is not None:
        async_add_entities(  # homes with a live meter: only they send samples
            SinkSensor(coordinator, home, forwarder, description)
            for home in coordinator.homes.values()
            if home.real_time_consumption
            for description in SINK_SENSORS
        )


class PowertrackerSensor(_Sensor):
    """A sensor whose value its description computes from the home's state."""

    entity_description: PowertrackerSensorEntityDescription

    def __init__(
        self,
        coordinator: PowertrackerCoordinator,
        home: Home,
        description: PowertrackerSensorEntityDescription,
    ) -> None:
        """Describe the sensor of `home`."""
        super().__init__(coordinator, home, description.key)
        self.entity_description = description

    @property
    def available(self) -> bool:
        """Live sensors go unavailable while their home is silent, alone."""
        state = self.home_state
        if not super().available or state is None:
            return False
        if self.entity_description.live:
            return state.measurement is not None
        return self.entity_description.value_fn(state) is not None

    @property
    def native_value(self) -> StateType | datetime:
        """The description's value of the home's state."""
        state = self.home_state
        return None if state is None else self.entity_description.value_fn(state)

    @property
    def native_unit_of_measurement(self) -> str | None:
        """The currency Tibber reports for money; the description's unit otherwise."""
        if not self.entity_description.currency:
            return self.entity_description.native_unit_of_measurement
        state = self.home_state
        return None if state is None else state.currency

    @property
    def last_reset(self) -> datetime | None:
        """Local midnight of the measurement, for totals that restart daily."""
        state = self.home_state
        if not self.entity_description.last_reset_daily or state is None:
            return None
        if state.measurement is None:
            return None
        local = state.measurement.timestamp.astimezone(state.zone)
        return local.replace(hour=0, minute=0, second=0, microsecond=0)


@dataclass(frozen=True, kw_only=True)
class SinkSensorEntityDescription(SensorEntityDescription):
    """A diagnostic sensor of the sink a home's samples go to."""

    value_fn: Callable[[Forwarder[Sink], str], StateType | datetime]


SINK_SENSORS = (
    SinkSensorEntityDescription(
        key="sink_waiting",
        translation_key="sink_waiting",
        entity_category=EntityCategory.DIAGNOSTIC,
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda forwarder, home_id: sum(
            sample.home_id == home_id for sample in forwarder.outbox.samples
        ),
    ),
    SinkSensorEntityDescription(
        # A timestamp of every write (each poll): off like *Last measurement*.
        key="sink_last_write",
        translation_key="sink_last_write",
        entity_category=EntityCategory.DIAGNOSTIC,
        device_class=SensorDeviceClass.TIMESTAMP,
        entity_registry_enabled_default=False,
        value_fn=lambda forwarder, _: forwarder.last_success,
    ),
)


class SinkSensor(_Sensor):
    """Samples of a home waiting for the sink, or the sink's last good write."""

    entity_description: SinkSensorEntityDescription

    def __init__(
        self,
        coordinator: PowertrackerCoordinator,
        home: Home,
        forwarder: Forwarder[Sink],
        description: SinkSensorEntityDescription,
    ) -> None:
        """Describe the sink sensor of `home`."""
        super().__init__(coordinator, home, description.key)
        self.entity_description = description
        self._forwarder = forwarder

    async def async_added_to_hass(self) -> None:
        """Follow the outbox, besides the polls."""
        await super().async_added_to_hass()
        self.async_on_remove(
            self._forwarder.async_add_listener(self.async_write_ha_state)
        )

    @property
    def available(self) -> bool:
        """Known whether or not the last poll worked."""
        return True

    @property
    def native_value(self) -> StateType | datetime:
        """The description's value of the outbox."""
        return self.entity_description.value_fn(self._forwarder, self.home_id)


@dataclass(frozen=True, kw_only=True)
class CapacitySensorEntityDescription(SensorEntityDescription):
    """A sensor of a home's capacity tariff: its month so far, and the running
    period (`running`: only homes with a real-time meter have one)."""

    value_fn: Callable[[Capacity, Running | None], float | None]
    attributes_fn: Callable[[Capacity, Running | None], dict[str, Any]] = (
        lambda _capacity, _running: {}
    )
    running: bool = False
    priced: bool = False
    """Only for a rule with a price or steps."""


def _kw(**kwargs: Any) -> CapacitySensorEntityDescription:
    return CapacitySensorEntityDescription(
        device_class=SensorDeviceClass.POWER,
        native_unit_of_measurement=UnitOfPower.KILO_WATT,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=2,
        **kwargs,
    )


CAPACITY_SENSORS = (
    _kw(
        key="capacity_peak",
        translation_key="capacity_peak",
        value_fn=lambda capacity, _: capacity.billed_kw,
        attributes_fn=lambda capacity, _: {
            "peaks": [{"start": peak.start, "kw": peak.kw} for peak in capacity.peaks]
        },
    ),
    _kw(
        key="capacity_hour_average",
        translation_key="capacity_hour_average",
        running=True,
        value_fn=lambda _, running: running.average_kw if running else None,
        attributes_fn=lambda _, running: {
            "projected_kw": running.projected_kw if running else None
        },
    ),
    _kw(
        key="capacity_headroom",
        translation_key="capacity_headroom",
        running=True,
        value_fn=lambda _, running: running.headroom_kw if running else None,
    ),
    CapacitySensorEntityDescription(
        key="capacity_fee",
        translation_key="capacity_fee",
        device_class=SensorDeviceClass.MONETARY,
        suggested_display_precision=2,
        priced=True,
        value_fn=lambda capacity, _: capacity.fee,
    ),
)


def _follow_tariffs(
    hass: HomeAssistant,
    entry: PowertrackerConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Give each home the capacity sensors of its tariff, now and whenever its
    select changes (or restores it, maybe after this platform was set up).

    A home has them while its tariff is not `none` (*Capacity fee* while the
    rule has a price or steps; the running period's with a real-time meter);
    the others are removed from Home Assistant and the entity registry, so
    none stays behind unavailable. Until the select has told the tariff,
    nothing is removed: a restart with a tariff keeps the same entities.
    """
    coordinator = entry.runtime_data.coordinator
    tracker, tariffs = entry.runtime_data.capacity, entry.runtime_data.tariffs
    added: set[str] = set()
    """Unique ids of the capacity sensors this platform added."""

    @callback
    def follow(home: Home) -> None:
        if not tariffs.known(home.id):
            return
        rule = tracker.rule(home.id)
        registry = er.async_get(hass)
        new = []
        for description in CAPACITY_SENSORS:
            unique_id = f"{home.id}_{description.key}"
            if (
                rule is not None
                and (home.real_time_consumption or not description.running)
                and (not description.priced or rule.fee(0.0) is not None)
            ):
                if unique_id not in added:
                    added.add(unique_id)
                    new.append(CapacitySensor(coordinator, home, tracker, description))
                continue
            added.discard(unique_id)
            if entity_id := registry.async_get_entity_id(
                Platform.SENSOR, DOMAIN, unique_id
            ):
                registry.async_remove(entity_id)  # the entity goes with it
        if new:
            async_add_entities(new)

    for home in coordinator.homes.values():
        entry.async_on_unload(tariffs.listen(home.id, partial(follow, home)))
        follow(home)


class CapacitySensor(_Sensor):
    """A home's capacity-tariff value (only homes with a tariff have one)."""

    entity_description: CapacitySensorEntityDescription

    def __init__(
        self,
        coordinator: PowertrackerCoordinator,
        home: Home,
        tracker: CapacityTracker,
        description: CapacitySensorEntityDescription,
    ) -> None:
        """Describe the capacity sensor of `home`."""
        super().__init__(coordinator, home, description.key)
        self.entity_description = description
        self._tracker = tracker

    async def async_added_to_hass(self) -> None:
        """Follow the home's month as it is read, besides the polls."""
        await super().async_added_to_hass()
        self.async_on_remove(
            self._tracker.listen(self.home_id, self.async_write_ha_state)
        )

    def _values(self) -> tuple[Capacity, Running | None] | None:
        capacity = self._tracker.get(self.home_id)
        if capacity is None:
            return None
        return capacity, self._tracker.running(self.home_id)

    @property
    def available(self) -> bool:
        """There once the month was read (the headroom: while the period counts)."""
        return self.native_value is not None

    @property
    def native_value(self) -> float | None:
        """The description's value of the month and the running period."""
        values = self._values()
        return None if values is None else self.entity_description.value_fn(*values)

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """The counted peaks, or the running period's projection."""
        values = self._values()
        if values is None:
            return None
        return self.entity_description.attributes_fn(*values) or None

    @property
    def native_unit_of_measurement(self) -> str | None:
        """The currency Tibber reports for the fee; kW otherwise."""
        if self.entity_description.device_class is not SensorDeviceClass.MONETARY:
            return self.entity_description.native_unit_of_measurement
        state = self.home_state
        return None if state is None else state.currency
