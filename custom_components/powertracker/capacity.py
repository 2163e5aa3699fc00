"""Each home's capacity tariff, and its month under it, from stored data.

A configuration select on each home's device chooses one of `TARIFFS`
(`meter/tariff.py`: `none`, the operators' presets, or `custom`); the select
keeps the choice across restarts, like the chart's settings. A rule on
quarter-hours needs five-minute samples, so it is offered only to homes with
a real-time meter.

`CapacityTracker` keeps, per home with a tariff, the month's `Capacity` from
completed periods: hours from the hourly statistics (so Tibber's corrections
re-rank the peaks), quarter-hours from the archive's samples (the meter's
total interpolated at each quarter's edges, `meter/readings.py`), or without
an archive from the recorder's 5-minute statistics of the home's energy
sensor, for as long as the recorder keeps them (10 days by default), and
the running quarter from the polls' own readings (the last one before it
began; after a restart, the next quarter on). It reads them in the
recorder's executor (or the archive's) when a period ends, when the
statistics writer announces new rows of the home, and when the tariff
changes; a poll only adds the running period from the live
measurements (`Capacity.running`), which costs no read. Everything comes
from stored data, so a restart changes nothing.
"""

from __future__ import annotations

import logging
from bisect import bisect_right
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from operator import itemgetter
from typing import Any

import numpy as np
from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.recorder import get_instance
from homeassistant.util import dt as dt_util

from .const import DOMAIN, statistic_id
from .coordinator import PowertrackerCoordinator
from .export.recorder import five_minute_energy, hourly_changes
from .meter.listeners import HomeListeners
from .meter.readings import meter_rows
from .meter.state import HomeState
from .meter.tariff import (
    MONTHS_AVERAGED_INVALID,
    NONE,
    PEAKS_OUT_OF_RANGE,
    PRESETS,
    PRICE_AND_BRACKETS,
    TARIFFS,
    VALUE_INVALID,
    Bracket,
    Capacity,
    Row,
    Running,
    TariffError,
    TariffRule,
    capacity,
    month_of,
    parse_brackets,
    rule_for,
)
from .record.statistics import HourlyStatistics
from .sink.models import FloatArray, SampleReader, SinkError

_LOGGER = logging.getLogger(__name__)

type Reading = tuple[float, float]
"""A meter reading: (UTC seconds, kWh total)."""

CONF_CAPACITY = "capacity"
"""Options key of the capacity settings, as the options form shows them
(`capacity_settings`): the price per kW and month or the steps ("kW: fee per
year, ...") that replace a preset's, and the custom rule's parameters."""
_LISTS = ("weekdays", "hours", "months", "weighted_hours")


def capacity_settings(
    given: Mapping[str, Any], *, check: bool = False
) -> dict[str, Any]:
    """The capacity settings in the form's terms, missing ones the defaults;
    with `check`, TariffError (`meter/tariff.py`'s codes) for settings that
    cannot be."""
    default = TariffRule().as_dict()
    settings: dict[str, Any] = {
        **{key: default[key] for key in default if key not in ("brackets",)},
        "price_per_kw_month": None,
        "brackets": None,
        **given,
    }
    for key in _LISTS:
        settings[key] = [str(value) for value in settings[key]]
    settings["months_averaged"] = str(settings["months_averaged"])
    if not settings["brackets"]:
        settings["brackets"] = None
    if check:
        _parts(settings)
    return settings


def _parts(
    settings: Mapping[str, Any],
) -> tuple[dict[str, Any], float | None, tuple[Bracket, ...] | None]:
    """The custom rule (`TariffRule.as_dict` form, checked), the price and the
    steps of the settings; TariffError for any that cannot be."""
    price = settings["price_per_kw_month"]
    brackets = parse_brackets(settings["brackets"]) if settings["brackets"] else None
    if price is not None and brackets:
        raise TariffError("price_per_kw_month", PRICE_AND_BRACKETS)
    try:
        custom = {
            **{key: settings[key] for key in ("one_per_day", "basis")},
            **{key: [int(value) for value in settings[key]] for key in _LISTS},
            "peaks": _whole(settings["peaks"], "peaks", PEAKS_OUT_OF_RANGE),
            "months_averaged": _whole(
                settings["months_averaged"], "months_averaged", MONTHS_AVERAGED_INVALID
            ),
            "weight": float(settings["weight"]),
            "minimum_kw": float(settings["minimum_kw"]),
            "price_per_kw_month": None if price is None else float(price),
            "brackets": [[b.from_kw, b.fee_per_year] for b in brackets or ()],
        }
    except (TypeError, ValueError) as err:
        raise TariffError("capacity", VALUE_INVALID) from err
    TariffRule.from_dict(custom)
    return custom, custom["price_per_kw_month"], brackets


def _whole(value: Any, field: str, code: str) -> int:
    number = float(value)
    if not number.is_integer():
        raise TariffError(field, code)
    return int(number)


def offered(real_time: bool) -> list[str]:
    """The tariffs a home may choose: quarter-hour presets need a real-time meter."""
    return [
        tariff
        for tariff in TARIFFS
        if real_time or tariff not in PRESETS or PRESETS[tariff].basis == "hour"
    ]


def entry_rule(tariff: str, options: Mapping[str, Any]) -> TariffRule | None:
    """The rule of a home's tariff with the entry's options (None: no tariff,
    or settings that cannot be, which the options flow does not let through)."""
    try:
        custom, price, brackets = _parts(
            capacity_settings(options.get(CONF_CAPACITY) or {})
        )
        return rule_for(tariff, custom, price_per_kw_month=price, brackets=brackets)
    except TariffError as err:
        _LOGGER.warning("The capacity tariff %s cannot be used: %s", tariff, err)
        return None


class Tariffs(HomeListeners):
    """The tariff chosen for each of an entry's homes; listeners hear of changes."""

    def __init__(self) -> None:
        """Every home starts without a tariff."""
        super().__init__()
        self._chosen: dict[str, str] = {}

    def get(self, home_id: str) -> str:
        """A home's tariff (`none` until one is chosen)."""
        return self._chosen.get(home_id, NONE)

    def known(self, home_id: str) -> bool:
        """Whether the home's select has told its tariff (restored or chosen):
        before that, `none` is only the default, not the home's choice."""
        return home_id in self._chosen

    def set(self, home_id: str, tariff: str) -> None:
        """Choose (or restore) a home's tariff and tell who listens, if it
        changed or was not known."""
        if tariff != self.get(home_id) or not self.known(home_id):
            self._chosen[home_id] = tariff
            self.notify([home_id])


@dataclass(frozen=True, slots=True)
class _Known:
    """A home's month from completed periods, and what the running period needs."""

    rule: TariffRule
    period: float
    """UTC start of the period that was running when it was read."""
    capacity: Capacity
    before: Reading | None = None
    """Quarters: the last (time, kWh total) sample before the running period."""
    after: Reading | None = None
    """Quarters: the first sample in it, if the archive had one."""


class CapacityTracker(HomeListeners):
    """The capacity of an entry's homes; listeners hear when a home's month was
    read again (polls reach the sensors through the coordinator)."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry,
        coordinator: PowertrackerCoordinator,
        tariffs: Tariffs,
        archive: SampleReader | None,
    ) -> None:
        """Follow `tariffs` for the coordinator's homes."""
        super().__init__()
        self._hass = hass
        self._entry = entry
        self._coordinator = coordinator
        self._tariffs = tariffs
        self._archive = archive
        self._known: dict[str, _Known] = {}
        self._rules: dict[str, TariffRule | None] = {}
        self._stale: set[str] = set()
        self._reading: set[str] = set()
        self._polled: dict[str, deque[Reading]] = {}
        """The last polls' (time, kWh total) per home: where the running
        quarter starts when no archive keeps the samples."""

    @callback
    def async_start(self, statistics: HourlyStatistics) -> None:
        """Read each home's month now, then whenever its data or tariff changes."""
        for home_id in self._coordinator.homes:
            for source in (statistics, self._tariffs):
                self._entry.async_on_unload(
                    source.listen(home_id, _stale_listener(self, home_id))
                )
        self._entry.async_on_unload(
            self._coordinator.async_add_listener(self._async_check)
        )
        self._async_check()

    def rule(self, home_id: str) -> TariffRule | None:
        """The rule a home is billed on (None: no tariff). Changed options
        reload the entry, so each tariff's rule is worked out once."""
        tariff = self._tariffs.get(home_id)
        if tariff not in self._rules:
            self._rules[tariff] = entry_rule(tariff, self._entry.options)
        return self._rules[tariff]

    def get(self, home_id: str) -> Capacity | None:
        """The home's month so far, under its present rule (None: none, or not read)."""
        known = self._known.get(home_id)
        if known is None or known.rule != self.rule(home_id):
            return None
        return known.capacity

    def running(self, home_id: str) -> Running | None:
        """The running period from the last poll's live measurement."""
        known = self._known.get(home_id)
        state = (self._coordinator.data or {}).get(home_id)
        if known is None or known.rule != self.rule(home_id) or state is None:
            return None
        energy = _energy_since(known, state)
        measurement = state.measurement
        if energy is None or measurement is None:
            return None
        now = measurement.timestamp
        if now.timestamp() - now.timestamp() % known.rule.seconds != known.period:
            return None  # a new period: its month is being read
        power = None if measurement.power is None else measurement.power / 1000
        return known.capacity.running(now, energy, power)

    def mark_stale(self, home_id: str) -> None:
        """Read the home's month again (new rows, another tariff)."""
        self._stale.add(home_id)
        self._async_check()

    @callback
    def _async_check(self) -> None:
        """Read the month of each home whose period ended or whose data changed."""
        self._remember_readings()
        now = dt_util.utcnow().timestamp()
        for home_id in self._coordinator.homes:
            rule = self.rule(home_id)
            known = self._known.get(home_id)
            if rule is None:
                self._known.pop(home_id, None)
                continue
            period = now - now % rule.seconds
            current = (
                known is not None and known.rule == rule and known.period == period
            )
            if (current and home_id not in self._stale) or home_id in self._reading:
                continue
            self._stale.discard(home_id)
            self._reading.add(home_id)
            self._entry.async_create_background_task(
                self._hass,
                self._async_read(home_id, rule, period),
                f"{DOMAIN} capacity {home_id}",
            )

    def _remember_readings(self) -> None:
        """Keep the last polls' meter readings (without an archive only)."""
        if self._archive is not None:
            return
        for home_id, state in (self._coordinator.data or {}).items():
            total, measurement = state.consumption_total, state.measurement
            if total is None or measurement is None:
                continue
            polled = self._polled.setdefault(home_id, deque(maxlen=3))
            reading = (measurement.timestamp.timestamp(), total)
            if not polled or reading[0] > polled[-1][0]:
                polled.append(reading)

    async def _async_read(self, home_id: str, rule: TariffRule, period: float) -> None:
        try:
            known = await self._async_month(home_id, rule, period)
        finally:
            self._reading.discard(home_id)
        if known is not None:
            self._known[home_id] = known
            self.notify([home_id])
        if home_id in self._stale:
            self._async_check()

    async def async_month(self, home_id: str, month: datetime) -> Capacity | None:
        """A month of a home under its present rule (None: no tariff)."""
        rule = self.rule(home_id)
        if rule is None:
            return None
        zone = self._coordinator.zones[home_id]
        first = month_of(month, zone)
        rows, _before, _after = await self._async_rows(home_id, rule, first)
        # The engine walks a year of quarters for some rules: off the loop.
        return await self._hass.async_add_executor_job(
            capacity, rule, zone, first, rows, dt_util.utcnow()
        )

    async def _async_month(
        self, home_id: str, rule: TariffRule, period: float
    ) -> _Known | None:
        zone = self._coordinator.zones[home_id]
        now = dt_util.utc_from_timestamp(period)
        first = month_of(now, zone)
        try:
            rows, before, after = await self._async_rows(home_id, rule, first, period)
        except SinkError as err:
            _LOGGER.warning("Cannot read the archive for the capacity tariff: %s", err)
            return None
        month = await self._hass.async_add_executor_job(
            capacity, rule, zone, first, rows, now
        )
        return _Known(rule, period, month, before, after)

    async def _async_rows(
        self,
        home_id: str,
        rule: TariffRule,
        first: date,
        period: float | None = None,
    ) -> tuple[list[Row], Reading | None, Reading | None]:
        """The rows of the months the rule averages, up to the month's end."""
        zone = self._coordinator.zones[home_id]
        key = first.year * 12 + first.month - 1 - rule.months_averaged + 1
        start = datetime(key // 12, key % 12 + 1, 1, tzinfo=zone)
        end_key = first.year * 12 + first.month
        end = datetime(end_key // 12, end_key % 12 + 1, 1, tzinfo=zone)
        if period is not None:
            end = min(end, dt_util.utc_from_timestamp(period))
        if rule.basis == "hour":
            return await self._async_hours(home_id, start, end), None, None
        return await self._async_quarters(home_id, start, end, period)

    async def _async_hours(
        self, home_id: str, start: datetime, end: datetime
    ) -> list[Row]:
        """(start, kWh) of the home's hourly statistics in [start, end)."""
        home = self._coordinator.homes[home_id]
        stat_id = statistic_id(home.id, home.name, "consumption")
        found = await get_instance(self._hass).async_add_executor_job(
            read_hours, self._hass, {stat_id}, start, end
        )
        return found.get(stat_id, [])

    async def _async_quarters(
        self, home_id: str, start: datetime, end: datetime, period: float | None
    ) -> tuple[list[Row], Reading | None, Reading | None]:
        """Quarters from the archive's samples, and the samples either side of
        the running period's start; without an archive, from the recorder's
        5-minute statistics of the home's energy sensor, and the polls'
        readings either side."""
        limit = end.timestamp()
        if self._archive is None:
            read = five_minute_energy(self._hass, home_id, start, end)
            if read is None:
                return [], None, None
            starts, kwh = await get_instance(self._hass).async_add_executor_job(read)
            polled = self._polled.get(home_id, ())
            return _rows(starts, kwh), *_either_side(polled, period)
        stop = dt_util.utcnow() + timedelta(minutes=15)
        columns = await self._archive.columns(
            home_id, ("consumption_total",), start, stop
        )
        time, total = columns["time"], columns["consumption_total"]
        # A year of samples is a few milliseconds of numpy: not on the loop.
        rows = await self._hass.async_add_executor_job(_quarters, time, total, limit)
        if period is None:
            return rows, None, None
        known = np.isfinite(total)
        readings = zip(time[known].tolist(), total[known].tolist(), strict=True)
        return rows, *_either_side(list(readings), period)


def read_hours(
    hass: HomeAssistant, statistic_ids: set[str], start: datetime, end: datetime
) -> dict[str, list[Row]]:
    """(start, kWh) rows of each statistic's hours in [start, end), for the
    engine (recorder executor). One SELECT of the start and the sum, as the
    export reads them: `statistics_during_period` would build a dict per row
    with datetime conversions, several times the cost of the read. An hour's
    kWh is the change of the sum, which is its `state` up to float noise in
    the last digits: rounded to a µWh, the peaks show the hour's own value."""
    return {
        stat_id: _rows(starts, np.round(kwh, 9))
        for stat_id, (starts, kwh) in hourly_changes(
            hass, statistic_ids, start, end
        ).items()
    }


def _either_side(
    readings: Sequence[Reading], period: float | None
) -> tuple[Reading | None, Reading | None]:
    """The last reading (time, kWh total; oldest first) at or before the
    running period's start, and the first after it."""
    if period is None:
        return None, None
    split = bisect_right(readings, period, key=itemgetter(0))
    before = readings[split - 1] if split else None
    after = readings[split] if split < len(readings) else None
    return before, after


def _quarters(time: FloatArray, total: FloatArray, end: float) -> list[Row]:
    """The quarter-hours the meter's samples make, up to `end`."""
    return _rows(*meter_rows(time, total, 900, end=end))


def _rows(starts: FloatArray, kwh: FloatArray) -> list[Row]:
    """(start, kWh) rows for the engine."""
    return list(zip(starts.tolist(), kwh.tolist(), strict=True))


def _stale_listener(tracker: CapacityTracker, home_id: str) -> Callable[[], None]:
    """A listener that marks `home_id`'s month stale."""
    return lambda: tracker.mark_stale(home_id)


def _energy_since(known: _Known, state: HomeState) -> float | None:
    """kWh of the running period so far, from the live measurement."""
    measurement = state.measurement
    if measurement is None:
        return None
    if known.rule.basis == "hour":
        return measurement.accumulated_consumption_last_hour
    total = state.consumption_total
    if total is None or known.before is None:
        return None
    (t0, v0) = known.before
    t1, v1 = known.after or (measurement.timestamp.timestamp(), total)
    boundary = v0 if t1 <= t0 else v0 + (v1 - v0) * (known.period - t0) / (t1 - t0)
    return max(0.0, total - boundary)
