"""A month chart of a home with a capacity tariff: the counted peaks marked,
the billed level drawn (issue 20.4), through the HTTP view and the action."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import partial
from http import HTTPStatus
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
from matplotlib.figure import Figure
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.powertracker.capacity import CONF_CAPACITY, capacity_settings
from custom_components.powertracker.const import CONF_BACKFILL_DAYS, DOMAIN
from custom_components.powertracker.export.models import CapacityMarks
from custom_components.powertracker.export.params import ExportParams, parse
from custom_components.powertracker.export.png import draw
from custom_components.powertracker.export.run import (
    export_png,
    read_buckets,
    read_marks,
)
from loopback.tibber import HOMES, TibberSimulator
from tests.export.marks import billed_level, legend_words, marked, peak_labels
from tests.integration.conftest import Clock, SetupEntry, select_option
from tests.integration.export_http import URL

VILLA, CABIN = HOMES
STOCKHOLM = ZoneInfo(VILLA.time_zone)
HOUR = timedelta(hours=1)
QUARTER = timedelta(minutes=15)
NIGHT = {22, 23, 0, 1, 2, 3, 4, 5}


def _ellevio_truth(
    sim: TibberSimulator, now: datetime
) -> tuple[list[tuple[datetime, float]], float]:
    """Ellevio's month of the villa so far, from the simulator's hours: the 3
    days of the highest hours (nights 22-06 at half), as (UTC start, weighted
    kW), and their mean (the billed kW)."""
    first = datetime.combine(now.astimezone(STOCKHOLM).date().replace(day=1), time())
    hour = first.replace(tzinfo=STOCKHOLM).astimezone(UTC)
    best: dict[date, tuple[float, datetime]] = {}
    while hour + HOUR <= now:
        local = hour.astimezone(STOCKHOLM)
        kw = sim.energy(VILLA.id, hour, hour + HOUR)
        kw *= 0.5 if local.hour in NIGHT else 1.0
        if local.date() not in best or kw > best[local.date()][0]:
            best[local.date()] = (kw, hour)
        hour += HOUR
    top = sorted(best.values(), key=lambda each: -each[0])[:3]
    return [(start, kw) for kw, start in top], sum(kw for kw, _ in top) / 3


@pytest.fixture
async def month(
    hass: HomeAssistant, clock: Clock, setup_entry: SetupEntry
) -> MockConfigEntry:
    """November imported, in Stockholm time."""
    await hass.config.async_update(time_zone="Europe/Stockholm")
    return await setup_entry(**{CONF_BACKFILL_DAYS: 30})


def _params(**query: str) -> ExportParams:
    return parse(
        {"output": "png", **query}, dt_util.get_default_time_zone(), dt_util.utcnow()
    )


async def _figure(hass: HomeAssistant, params: ExportParams) -> Figure:
    """The chart the export draws, as a Figure (`png.draw`)."""
    buckets, _ = await read_buckets(hass, params)
    marks = await read_marks(hass, params)
    return await hass.async_add_executor_job(
        partial(
            draw,
            buckets,
            params.graph,
            params.aggregate,
            width=params.width,
            height=params.height,
            tz=dt_util.get_default_time_zone(),
            language=hass.config.language,
            marks=marks,
        )
    )


async def _png(
    hass: HomeAssistant, params: ExportParams, marks: CapacityMarks | None
) -> bytes:
    """The PNG of the export's buckets and title with `marks`."""
    buckets, _ = await read_buckets(hass, params)
    return await export_png(hass, params, buckets, marks)


async def test_the_month_chart_marks_the_counted_peaks_and_the_billed_level(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    tibber_sim: TibberSimulator,
    month: MockConfigEntry,
    tmp_path: Path,
) -> None:
    """Ellevio on the villa: the chart's marked bars are the 3 days' highest
    hours of the simulator (night hours at half), labelled with their
    weighted kW, and the dashed line stands at their mean."""
    await select_option(hass, "select.villa_solsidan_capacity_tariff", "ellevio")
    peaks, billed = _ellevio_truth(tibber_sim, dt_util.utcnow())
    query = {"aggregate": "1h", "home": VILLA.id}

    whole = _params(**query, **{"from": "2026-11-01", "to": "2026-11-30"})
    fig = await _figure(hass, whole)
    boxes = marked(fig)
    assert [(start, end) for start, end, _, _ in boxes] == sorted(
        (start.timestamp(), (start + HOUR).timestamp()) for start, _ in peaks
    )
    for (start, _, bottom, top), (hour, _kw) in zip(
        boxes, sorted(peaks), strict=True
    ):  # a bar shows the hour's kWh, unweighted
        assert start == hour.timestamp()
        assert bottom == 0.0
        assert top == pytest.approx(tibber_sim.energy(VILLA.id, hour, hour + HOUR))
    assert peak_labels(fig) == [f"{kw:.2f}" for _, kw in sorted(peaks)]
    assert billed_level(fig) == pytest.approx(billed, abs=1e-6)  # 1 h at billed kW
    assert legend_words(fig) == ["Counted peaks (kW)", f"Billed level {billed:.2f} kW"]
    # The numbers of the Capacity peak sensor.
    sensor = hass.states.get("sensor.villa_solsidan_capacity_peak")
    assert sensor is not None
    assert float(sensor.state) == pytest.approx(billed, abs=1e-6)

    # Part of the month: the peaks inside it, the month's billed level.
    first_day = min(start for start, _ in peaks).astimezone(STOCKHOLM).date()
    part = _params(**query, **{"from": first_day.isoformat(), "to": str(first_day)})
    fig = await _figure(hass, part)
    assert [start for start, _, _, _ in marked(fig)] == [
        min(start for start, _ in peaks).timestamp()
    ]
    assert billed_level(fig) == pytest.approx(billed, abs=1e-6)

    # The view and the action draw exactly this chart.
    png = await _png(hass, whole, await read_marks(hass, whole))
    assert png != await _png(hass, whole, None)
    client = await hass_client()
    response = await client.get(URL, params={"output": "png", **_query(whole)})
    assert response.status == HTTPStatus.OK
    assert await response.read() == png
    hass.config.allowlist_external_dirs = {str(tmp_path)}
    answer = await hass.services.async_call(
        DOMAIN,
        "export",
        {"output": "png", **_query(whole), "directory": str(tmp_path)},
        blocking=True,
        return_response=True,
    )
    assert answer is not None
    assert Path(str(answer["path"])).read_bytes() == png


def _query(params: ExportParams) -> dict[str, Any]:
    """The query of a month's 1h chart of one home."""
    assert params.home is not None
    return {
        "aggregate": params.aggregate.value,
        "home": params.home,
        "from": params.start.date().isoformat(),
        "to": (params.end - timedelta(days=1)).date().isoformat(),
    }


async def test_no_marks_without_a_tariff_or_off_its_period_or_month(
    hass: HomeAssistant, month: MockConfigEntry
) -> None:
    """The cabin has no tariff; the villa's hour tariff is not marked on
    quarter-hours, nor across two months."""
    await select_option(
        hass, "select.villa_solsidan_capacity_tariff", "goteborg_energi"
    )
    november = {"from": "2026-11-20", "to": "2026-11-27"}
    cabin = _params(aggregate="1h", home=CABIN.id, **november)
    assert await read_marks(hass, cabin) is None
    fig = await _figure(hass, cabin)
    assert marked(fig) == []
    assert billed_level(fig) is None
    assert legend_words(fig) == []
    assert await read_marks(hass, _params(aggregate="1h", home=VILLA.id, **november))
    for query in (
        {"aggregate": "15m", **november},
        {"aggregate": "1d", **november},
        {"aggregate": "1h", "from": "2026-10-30", "to": "2026-11-02"},
    ):
        assert await read_marks(hass, _params(home=VILLA.id, **query)) is None
    assert await read_marks(hass, _params(aggregate="1h", **november)) is None


async def test_a_quarter_hour_tariff_is_marked_on_the_quarter_hour_chart(
    hass: HomeAssistant,
    clock: Clock,
    tibber_sim: TibberSimulator,
    setup_entry: SetupEntry,
) -> None:
    """The highest quarter-hour of the polls since setup, at 15m: its bar
    marked, the line at its kWh (the billed kW for a quarter)."""
    await hass.config.async_update(time_zone="Europe/Stockholm")
    clock.now = datetime(2026, 11, 28, 12, 45, tzinfo=UTC)
    entry = await setup_entry()
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["data_schema"] is not None
    shown = result["data_schema"]({})
    defaults = {k: v for k, v in capacity_settings({}).items() if v is not None}
    rule = {"basis": "quarter", "peaks": 1, "one_per_day": False}
    await hass.config_entries.options.async_configure(
        result["flow_id"], {**shown, CONF_CAPACITY: {**defaults, **rule}}
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    await select_option(hass, "select.villa_solsidan_capacity_tariff", "custom")
    for _ in range(7):  # 12:50 ... 13:20
        await clock.advance(hass, timedelta(minutes=5))
    first = datetime(2026, 11, 28, 12, 45, tzinfo=UTC)
    quarters = [
        (tibber_sim.energy(VILLA.id, start, start + QUARTER), start)
        for start in (first, first + QUARTER)
    ]
    kwh, start = max(quarters)

    params = _params(
        aggregate="15m",
        home=VILLA.id,
        **{"from": "2026-11-28T13:00:00+01:00", "to": "2026-11-28T15:00:00+01:00"},
    )
    fig = await _figure(hass, params)
    ((begin, end, _, top),) = marked(fig)
    assert (begin, end) == (start.timestamp(), (start + QUARTER).timestamp())
    # The bar is the chart's own (its first five minutes are before the first
    # poll); the tariff interpolates the meter's register from 12:45 on,
    # whose 4 decimals put it within 1e-3 kWh of the truth.
    ((home,), _) = await read_buckets(hass, params)
    assert top == home.energy[list(home.edges).index(begin)]
    assert billed_level(fig) == pytest.approx(kwh, abs=1e-3)  # 4 x kWh, for 1/4 h
