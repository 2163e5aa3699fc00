"""Capacity tariffs in Home Assistant: the select, the sensors over the recorder."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.selector import NumberSelector
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from custom_components import powertracker
from custom_components.powertracker.capacity import CONF_CAPACITY, capacity_settings
from custom_components.powertracker.const import CONF_BACKFILL_DAYS, DOMAIN
from loopback.tibber import HOMES, HomeSpec, TibberSimulator
from tests.integration.conftest import Clock, SetupEntry, select_option, state_of
from tests.meter.test_tariff import ELVIA

VILLA = HOMES[0]

VILLA_TARIFF = "select.villa_solsidan_capacity_tariff"
CABIN_TARIFF = "select.sjovagen_7_capacity_tariff"


@pytest.fixture
async def entry(clock: Clock, setup_entry: SetupEntry) -> MockConfigEntry:
    """The entry with its default test options."""
    return await setup_entry()


async def test_the_tariff_is_none_at_first_and_kept_across_a_reload(
    hass: HomeAssistant, entry: MockConfigEntry
) -> None:
    assert state_of(hass, VILLA_TARIFF) == "none"
    assert state_of(hass, CABIN_TARIFF) == "none"
    await select_option(hass, VILLA_TARIFF, "flanders")
    await select_option(hass, CABIN_TARIFF, "ellevio")

    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert state_of(hass, VILLA_TARIFF) == "flanders"
    assert state_of(hass, CABIN_TARIFF) == "ellevio"


async def test_quarter_hours_are_offered_only_to_a_home_with_a_real_time_meter(
    hass: HomeAssistant, entry: MockConfigEntry
) -> None:
    """Flanders bills the highest quarter-hour: the cabin (hourly data only)
    cannot be offered it; every other choice is there for both."""
    hourly = ["none", "ellevio", "goteborg_energi", "norway", "custom"]
    villa = hass.states.get(VILLA_TARIFF)
    cabin = hass.states.get(CABIN_TARIFF)
    assert villa is not None
    assert cabin is not None
    assert villa.attributes["options"] == [*hourly[:4], "flanders", "custom"]
    assert cabin.attributes["options"] == hourly


# ------------------------------------------------------------ the sensors

VILLA_PEAK = "sensor.villa_solsidan_capacity_peak"
VILLA_AVERAGE = "sensor.villa_solsidan_capacity_hour_average"
VILLA_HEADROOM = "sensor.villa_solsidan_capacity_headroom"
VILLA_FEE = "sensor.villa_solsidan_capacity_fee"
CABIN_PEAK = "sensor.sjovagen_7_capacity_peak"
HOUR = timedelta(hours=1)


def _true_hours(
    sim: TibberSimulator, home: HomeSpec, now: datetime, corrected: float = 0.0
) -> list[tuple[datetime, float]]:
    """(local start, kWh) of every completed hour of the local month of `now`,
    as the simulator knows them (Tibber's corrections included)."""
    zone = ZoneInfo(home.time_zone)
    hour = datetime.combine(now.astimezone(zone).date().replace(day=1), time(), zone)
    hour = hour.astimezone(UTC)
    end = now.replace(minute=0, second=0, microsecond=0)
    found = []
    while hour < end:
        energy = sim.energy(home.id, hour, hour + HOUR)
        energy += sim.corrections.get((home.id, hour), 0.0)
        found.append((hour.astimezone(zone), energy))
        hour += HOUR
    return found


def _top3_on_different_days(values: list[tuple[datetime, float]]) -> float:
    """The mean of the 3 highest days, each day at its highest hour."""
    best: dict[date, float] = {}
    for start, kw in values:
        best[start.date()] = max(best.get(start.date(), 0.0), kw)
    top = sorted(best.values(), reverse=True)[:3]
    return sum(top) / len(top)


def _truth(sim: TibberSimulator, tariff: str, now: datetime) -> float:
    """The month's billed kW under a preset, written from its rule."""
    hours = _true_hours(sim, VILLA, now)
    if tariff == "ellevio":  # nights 22-06 at half
        hours = [
            (start, kwh / 2 if start.hour >= 22 or start.hour < 6 else kwh)
            for start, kwh in hours
        ]
    return _top3_on_different_days(hours)


def _number(hass: HomeAssistant, entity_id: str) -> float:
    return float(state_of(hass, entity_id))


@pytest.fixture
async def month(clock: Clock, setup_entry: SetupEntry) -> MockConfigEntry:
    """The entry with the whole month of November imported."""
    return await setup_entry(**{CONF_BACKFILL_DAYS: 30})


@pytest.mark.parametrize("tariff", ["ellevio", "goteborg_energi", "norway"])
async def test_the_peak_is_the_rule_applied_to_the_true_hours(
    hass: HomeAssistant,
    tibber_sim: TibberSimulator,
    month: MockConfigEntry,
    tariff: str,
) -> None:
    await select_option(hass, VILLA_TARIFF, tariff)

    truth = _truth(tibber_sim, tariff, dt_util.utcnow())
    assert _number(hass, VILLA_PEAK) == pytest.approx(truth, abs=1e-6)
    peaks = hass.states.get(VILLA_PEAK).attributes["peaks"]  # type: ignore[union-attr]
    assert len(peaks) == 3
    assert [peak["kw"] for peak in peaks] == sorted(
        (peak["kw"] for peak in peaks), reverse=True
    )
    assert len({peak["start"][:10] for peak in peaks}) == 3  # on 3 days
    if tariff == "norway":
        fee = next(fee for low, fee in reversed(ELVIA) if truth >= low) / 12
        assert _number(hass, VILLA_FEE) == pytest.approx(fee)
    else:
        assert hass.states.get(VILLA_FEE) is None  # no price set: no fee


def _capacity_entities(registry: er.EntityRegistry) -> dict[str, str]:
    """Unique id -> entity id of every capacity sensor in the registry."""
    return {
        entry.unique_id: entry.entity_id
        for entry in registry.entities.values()
        if entry.platform == DOMAIN and entry.unique_id.split("_", 1)[1] in CAPACITY
    }


CAPACITY = {
    "capacity_peak",
    "capacity_hour_average",
    "capacity_headroom",
    "capacity_fee",
}


async def test_only_a_home_with_a_tariff_has_capacity_sensors(
    hass: HomeAssistant,
    tibber_sim: TibberSimulator,
    entity_registry: er.EntityRegistry,
    month: MockConfigEntry,
) -> None:
    """None at first; a tariff on the villa gives the villa its sensors (the
    fee with a price only); `none` takes them away, from the registry too."""
    assert _capacity_entities(entity_registry) == {}
    assert not [s for s in hass.states.async_entity_ids("sensor") if "capacity_" in s]

    await select_option(hass, VILLA_TARIFF, "ellevio")
    assert _capacity_entities(entity_registry) == {
        f"{VILLA.id}_capacity_peak": VILLA_PEAK,
        f"{VILLA.id}_capacity_hour_average": VILLA_AVERAGE,
        f"{VILLA.id}_capacity_headroom": VILLA_HEADROOM,
    }  # no fee: Ellevio's preset has no price
    truth = _truth(tibber_sim, "ellevio", dt_util.utcnow())
    assert _number(hass, VILLA_PEAK) == pytest.approx(truth, abs=1e-6)
    assert _number(hass, VILLA_AVERAGE) > 0
    assert _number(hass, VILLA_HEADROOM) >= 0

    await select_option(hass, VILLA_TARIFF, "none")
    assert _capacity_entities(entity_registry) == {}
    for entity_id in (VILLA_PEAK, VILLA_AVERAGE, VILLA_HEADROOM):
        assert hass.states.get(entity_id) is None
    await select_option(hass, VILLA_TARIFF, "goteborg_energi")  # back: same ids
    assert set(_capacity_entities(entity_registry).values()) == {
        VILLA_PEAK,
        VILLA_AVERAGE,
        VILLA_HEADROOM,
    }
    await select_option(hass, VILLA_TARIFF, "none")

    await select_option(hass, CABIN_TARIFF, "norway")  # steps: a fee
    assert set(_capacity_entities(entity_registry).values()) == {
        CABIN_PEAK,
        "sensor.sjovagen_7_capacity_fee",
    }  # hourly data only: no running hour
    assert float(state_of(hass, "sensor.sjovagen_7_capacity_fee")) > 0


async def test_a_restart_keeps_the_entities_and_a_fee_without_price_goes(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    month: MockConfigEntry,
) -> None:
    """The same registry entries after a reload; a price taken out of the
    options (which reloads the entry) takes *Capacity fee* with it."""
    await select_option(hass, VILLA_TARIFF, "goteborg_energi")
    result = await _submit_capacity(hass, month, price_per_kw_month=40.0)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done(wait_background_tasks=True)
    registered = {
        entity_id: entity_registry.async_get(entity_id)
        for entity_id in _capacity_entities(entity_registry).values()
    }
    assert set(registered) == {VILLA_PEAK, VILLA_AVERAGE, VILLA_HEADROOM, VILLA_FEE}

    assert await hass.config_entries.async_reload(month.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    for entity_id, before in registered.items():
        assert entity_registry.async_get(entity_id) == before
        assert float(state_of(hass, entity_id)) >= 0

    result = await _submit_capacity(hass, month)  # no price
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done(wait_background_tasks=True)
    assert set(_capacity_entities(entity_registry).values()) == {
        VILLA_PEAK,
        VILLA_AVERAGE,
        VILLA_HEADROOM,
    }
    assert hass.states.get(VILLA_FEE) is None


async def test_headroom_drawn_keeps_the_peak_and_one_percent_more_raises_it(
    hass: HomeAssistant, tibber_sim: TibberSimulator, month: MockConfigEntry
) -> None:
    """Drawing exactly the headroom for the rest of the hour ends the hour at
    the billed value; 1 % more raises the month's value."""
    await select_option(hass, VILLA_TARIFF, "goteborg_energi")
    now = dt_util.utcnow()
    running = tibber_sim.measurement(VILLA.id)
    so_far = float(running["accumulatedConsumptionLastHour"])  # type: ignore[arg-type]
    stamp = datetime.fromisoformat(str(running["timestamp"]))
    start = now.replace(minute=0, second=0, microsecond=0)
    elapsed = (stamp - start) / HOUR
    assert _number(hass, VILLA_AVERAGE) == pytest.approx(so_far / elapsed, rel=1e-6)

    headroom = _number(hass, VILLA_HEADROOM)
    billed = _number(hass, VILLA_PEAK)
    hours = _true_hours(tibber_sim, VILLA, now)
    zone = ZoneInfo(VILLA.time_zone)
    for factor, raised in ((1.0, False), (1.01, True)):
        hour = so_far + headroom * factor * (1 - elapsed)
        value = _top3_on_different_days([*hours, (start.astimezone(zone), hour)])
        if raised:
            assert value > billed + 1e-6
        else:
            assert value == pytest.approx(billed, abs=1e-4)


async def test_a_restart_mid_month_changes_nothing(
    hass: HomeAssistant, month: MockConfigEntry
) -> None:
    await select_option(hass, VILLA_TARIFF, "ellevio")
    await select_option(hass, CABIN_TARIFF, "goteborg_energi")
    before = {e: hass.states.get(e) for e in (VILLA_PEAK, CABIN_PEAK)}

    assert await hass.config_entries.async_reload(month.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    for entity_id, state in before.items():
        after = hass.states.get(entity_id)
        assert state is not None
        assert after is not None
        assert after.state == state.state
        assert after.attributes["peaks"] == state.attributes["peaks"]


async def test_a_correction_by_tibber_re_ranks_the_peaks(
    hass: HomeAssistant,
    clock: Clock,
    tibber_sim: TibberSimulator,
    month: MockConfigEntry,
) -> None:
    """An hour Tibber corrects upwards becomes a counted peak once re-imported."""
    await select_option(hass, VILLA_TARIFF, "goteborg_energi")
    peaks = hass.states.get(VILLA_PEAK).attributes["peaks"]  # type: ignore[union-attr]
    # A quiet hour of a day not among the peaks, a day ago (within the re-import).
    hour = (clock.now - timedelta(hours=20)).replace(minute=0, second=0, microsecond=0)
    assert hour.astimezone(ZoneInfo(VILLA.time_zone)).isoformat() not in [
        peak["start"] for peak in peaks
    ]
    tibber_sim.corrections[(VILLA.id, hour)] = 20.0

    await clock.advance(hass, HOUR)  # the hourly re-import
    await async_wait_recording_done(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    truth = _truth(tibber_sim, "goteborg_energi", clock.now)
    assert _number(hass, VILLA_PEAK) == pytest.approx(truth, abs=1e-6)
    first = hass.states.get(VILLA_PEAK).attributes["peaks"][0]  # type: ignore[union-attr]
    assert first["start"] == hour.astimezone(ZoneInfo(VILLA.time_zone)).isoformat()


# ------------------------------------------------------------ the options


async def _submit_capacity(
    hass: HomeAssistant, entry: MockConfigEntry, **changes: Any
) -> dict[str, Any]:
    """Submit the options form with `changes` in its capacity section."""
    result = await hass.config_entries.options.async_init(entry.entry_id)
    schema = result["data_schema"]
    assert schema is not None
    shown = schema({})
    # What the section shows by default (the price and steps are empty).
    defaults = {k: v for k, v in capacity_settings({}).items() if v is not None}
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {**shown, CONF_CAPACITY: {**defaults, **changes}}
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    return dict(result)


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"weight": 1.5}, "weight_out_of_range"),
        ({"hours": []}, "window_empty"),
        ({"brackets": "2: 100, 0: 50"}, "brackets_invalid"),
        ({"brackets": "0: 100", "price_per_kw_month": 40}, "price_and_brackets"),
        ({"peaks": 11}, "peaks_out_of_range"),
    ],
)
async def test_settings_that_cannot_be_are_refused_with_the_engine_code(
    hass: HomeAssistant, entry: MockConfigEntry, changes: dict[str, Any], code: str
) -> None:
    result = await _submit_capacity(hass, entry, **changes)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_CAPACITY: code}
    assert code in _english()["options"]["error"]
    # The section at fault is open, showing what was submitted.
    fields = {str(key): value for key, value in result["data_schema"].schema.items()}
    capacity = fields[CONF_CAPACITY]
    assert capacity.options["collapsed"] is False
    shown = {
        str(key): key.description["suggested_value"]
        for key in capacity.schema.schema
        if key.description and "suggested_value" in key.description
    }
    for key, value in changes.items():
        assert shown[key] == value
    # The price in Home Assistant's currency; counts and factors have no unit.
    units = {
        str(key): selector.config.get("unit_of_measurement")
        for key, selector in capacity.schema.schema.items()
        if isinstance(selector, NumberSelector)
    }
    assert units["price_per_kw_month"] == f"{hass.config.currency}/kW"
    assert units["peaks"] is None
    assert units["weight"] is None
    assert units["minimum_kw"] == "kW"


async def test_a_price_per_kw_gives_the_fee_and_a_custom_rule_counts_its_window(
    hass: HomeAssistant, tibber_sim: TibberSimulator, month: MockConfigEntry
) -> None:
    await select_option(hass, VILLA_TARIFF, "goteborg_energi")
    result = await _submit_capacity(hass, month, price_per_kw_month=40.0)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await async_wait_recording_done(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    billed = _truth(tibber_sim, "goteborg_energi", dt_util.utcnow())
    assert _number(hass, VILLA_FEE) == pytest.approx(billed * 40.0, rel=1e-6)

    # Sala-Heby's kind: the 3 highest hours (any day), weekdays 07-19.
    result = await _submit_capacity(
        hass,
        month,
        price_per_kw_month=40.0,
        one_per_day=False,
        weekdays=["0", "1", "2", "3", "4"],
        hours=[str(hour) for hour in range(7, 19)],
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await select_option(hass, VILLA_TARIFF, "custom")
    hours = [
        kwh
        for start, kwh in _true_hours(tibber_sim, VILLA, dt_util.utcnow())
        if start.weekday() < 5 and 7 <= start.hour < 19
    ]
    top = sorted(hours, reverse=True)[:3]
    assert _number(hass, VILLA_PEAK) == pytest.approx(sum(top) / 3, abs=1e-6)


def _english() -> dict[str, Any]:
    path = Path(powertracker.__file__).parent / "strings.json"
    return dict(json.loads(path.read_text("utf-8")))


# ------------------------------------------------------------ the action


async def test_the_action_answers_the_month_the_sensor_shows(
    hass: HomeAssistant, tibber_sim: TibberSimulator, month: MockConfigEntry
) -> None:
    with pytest.raises(ServiceValidationError) as err:
        await _capacity_peaks(hass, home=VILLA.id)
    assert err.value.translation_key == "no_capacity_tariff"
    assert err.value.translation_placeholders == {"home": "Villa Solsidan"}
    await select_option(hass, VILLA_TARIFF, "norway")
    answer = await _capacity_peaks(hass, home=VILLA.id, month="2026-11")
    truth = _truth(tibber_sim, "norway", dt_util.utcnow())
    assert answer["tariff"] == "norway"
    assert answer["month"] == "2026-11"
    assert answer["billed_kw"] == pytest.approx(truth, abs=1e-6)
    assert answer["peaks"] == hass.states.get(VILLA_PEAK).attributes["peaks"]  # type: ignore[union-attr]
    fee = next(fee for low, fee in reversed(ELVIA) if truth >= low) / 12
    assert answer["fee"] == pytest.approx(fee)
    assert answer["rule"]["brackets"] == [list(step) for step in ELVIA]
    assert answer["rule"]["peaks"] == 3
    with pytest.raises(ServiceValidationError) as err:
        await _capacity_peaks(hass, home=VILLA.id, month="November")
    assert err.value.translation_key == "invalid_month"


async def _capacity_peaks(hass: HomeAssistant, **data: Any) -> dict[str, Any]:
    answer = await hass.services.async_call(
        "powertracker", "capacity_peaks", data, blocking=True, return_response=True
    )
    assert answer is not None
    return dict(answer)


# ------------------------------------------------------------ quarter-hours

QUARTER = timedelta(minutes=15)


async def test_quarter_hours_come_from_the_archive_samples(
    hass: HomeAssistant,
    clock: Clock,
    tibber_sim: TibberSimulator,
    setup_entry: SetupEntry,
) -> None:
    """The highest quarter-hour of the polls since setup (each poll on a
    boundary), and the running quarter's average, from the meter's register."""
    clock.now = datetime(2026, 11, 28, 12, 45, tzinfo=UTC)
    entry = await setup_entry()
    result = await _submit_capacity(
        hass, entry, basis="quarter", peaks=1, one_per_day=False
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await select_option(hass, VILLA_TARIFF, "custom")
    for _ in range(7):  # 12:50 ... 13:20
        await clock.advance(hass, timedelta(minutes=5))
    first = datetime(2026, 11, 28, 12, 45, tzinfo=UTC)
    quarters = [
        tibber_sim.energy(VILLA.id, first + n * QUARTER, first + (n + 1) * QUARTER)
        for n in range(2)
    ]
    assert min(quarters) > 0.01  # the villa draws something in each
    # The register has 4 decimals: x 4 per hour, within 1e-3 kW.
    assert _number(hass, VILLA_PEAK) == pytest.approx(max(quarters) * 4, abs=1e-3)
    running = first + 2 * QUARTER
    so_far = tibber_sim.energy(VILLA.id, running, clock.now)
    assert _number(hass, VILLA_AVERAGE) == pytest.approx(so_far * 12, abs=2e-3)


async def test_the_month_turns_at_local_midnight_of_the_first(
    hass: HomeAssistant,
    clock: Clock,
    tibber_sim: TibberSimulator,
    setup_entry: SetupEntry,
) -> None:
    """At 00:00 in Stockholm (23:00 UTC) November's peaks give way to
    December's, which has no completed hour yet: 0 kW, no peaks."""
    clock.now = datetime(2026, 11, 30, 22, 50, tzinfo=UTC)
    await setup_entry(**{CONF_BACKFILL_DAYS: 31})
    await select_option(hass, VILLA_TARIFF, "goteborg_energi")
    november = _truth(tibber_sim, "goteborg_energi", clock.now)
    assert _number(hass, VILLA_PEAK) == pytest.approx(november, abs=1e-6)

    for _ in range(3):  # 22:55, 23:00, 23:05 UTC
        await clock.advance(hass, timedelta(minutes=5))
    assert _number(hass, VILLA_PEAK) == 0.0
    state = hass.states.get(VILLA_PEAK)
    assert state is not None
    assert state.attributes.get("peaks") == []
    # Nothing is billed yet, so any draw raises the month: no headroom.
    assert _number(hass, VILLA_HEADROOM) == 0.0
