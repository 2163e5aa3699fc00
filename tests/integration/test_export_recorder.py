"""The export's data source against statistics rows in the real recorder.

Rows are written straight into the recorder's tables: Home Assistant stamps
states with `time.time()`, which the tests' clock does not move, so 5-minute
statistics cannot be compiled from polls here.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from http import HTTPStatus

import pytest
from homeassistant.components.recorder.statistics import (
    statistics_during_period,
)
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.recorder import get_instance
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.powertracker.const import DOMAIN, statistic_id
from custom_components.powertracker.export import recorder
from loopback.tibber import HOMES, TibberSimulator
from tests.integration.conftest import Clock, SetupEntry
from tests.integration.export_http import URL, csv_rows, export_rows
from tests.integration.statistics_rows import import_hourly, insert_short_term

VILLA, _ = HOMES
HOUR = timedelta(hours=1)


@pytest.fixture
async def entry(
    hass: HomeAssistant, clock: Clock, setup_entry: SetupEntry
) -> MockConfigEntry:
    """A loaded entry, in Stockholm time."""
    await hass.config.async_update(time_zone="Europe/Stockholm")
    return await setup_entry()


def _sensor(hass: HomeAssistant, key: str) -> str:
    entity_id = er.async_get(hass).async_get_entity_id(
        Platform.SENSOR, DOMAIN, f"{VILLA.id}_{key}"
    )
    assert entity_id is not None
    return entity_id


@pytest.mark.parametrize("batch", [5, 2048])
async def test_five_minute_export_reads_short_term_statistics_in_kwh(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    entry: MockConfigEntry,
    monkeypatch: pytest.MonkeyPatch,
    batch: int,
) -> None:
    """Changes of the sum, from the last row before the range, converted from Wh;
    the same whether the rows come in one batch or in many."""
    monkeypatch.setattr(recorder, "_BATCH", batch)
    sensor = _sensor(hass, "energy_consumption")
    start = datetime(2026, 11, 28, 8, tzinfo=UTC)  # 09:00 in Stockholm
    await import_hourly(hass, sensor, "Wh", [(start - 2 * HOUR, 1000.0)])
    used = [100.0 + 10 * i for i in range(24)]  # Wh per 5 minutes
    sums = [5000.0 + sum(used[: i + 1]) for i in range(24)]
    before = (start - timedelta(minutes=15), 5000.0)  # a gap: found by a 2nd query
    await insert_short_term(
        hass,
        sensor,
        [before]
        + [(start + timedelta(minutes=5 * i), total) for i, total in enumerate(sums)]
        # Outside the range: not read.
        + [(start + 2 * HOUR, 99_999.0)],
    )

    rows = await export_rows(
        hass_client,
        {
            "home": VILLA.id,
            "aggregate": "5m",
            "from": "2026-11-28T09:00:00+01:00",
            "to": "2026-11-28T11:00:00+01:00",
        },
    )

    assert [row["start"] for row in rows[:2]] == [
        "2026-11-28T09:00:00+01:00",
        "2026-11-28T09:05:00+01:00",
    ]
    assert len(rows) == 24
    assert [float(row["consumption_kwh"]) for row in rows] == pytest.approx(
        [wh / 1000 for wh in used]
    )
    assert [float(row["average_power_w"]) for row in rows] == pytest.approx(
        [wh * 12 for wh in used]
    )


async def test_five_minute_export_older_than_retention_says_where_data_begins(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    entry: MockConfigEntry,
) -> None:
    """Purged by the recorder, in no archive: a 200 of empty rows that says so
    for each home (issue 23.3), not a 400."""
    client = await hass_client()
    response = await client.get(
        URL, params={"aggregate": "5m", "from": "2026-10-01", "to": "2026-10-02"}
    )
    assert response.status == HTTPStatus.OK, await response.text()
    rows = csv_rows(await response.text())
    assert len(rows) == 2 * 2 * 24 * 12  # two homes, two days ("to" is a whole day)
    assert {row["consumption_kwh"] for row in rows} == {""}
    span = "2026-10-01T00:00:00+02:00/2026-10-03T00:00:00+02:00 no data"
    assert (
        response.headers["X-Powertracker-Missing"]
        == "; ".join(f"{name}: {span}" for name in ("Villa Solsidan", "Sjövägen 7"))
        .encode("ascii", "backslashreplace")
        .decode()
    )


async def test_imported_history_wins_and_the_sensor_fills_newer_hours(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    tibber_sim: TibberSimulator,
    entry: MockConfigEntry,
) -> None:
    """Each hour takes energy and cost from one source: Tibber's history first."""
    energy, cost = _sensor(hass, "energy_consumption"), _sensor(hass, "cost_today")
    first = datetime(2026, 11, 28, 6, tzinfo=UTC)
    hours = [first + i * HOUR for i in range(7)]  # 06:00 .. 12:00 UTC
    # The sensors' statistics disagree with Tibber on purpose: 7 kWh, 3 SEK an hour.
    await import_hourly(
        hass, energy, "kWh", [(h, 7.0 * (i + 1)) for i, h in enumerate(hours)]
    )
    await import_hourly(
        hass, cost, "SEK", [(h, 3.0 * (i + 1)) for i, h in enumerate(hours)]
    )
    villa = entry.runtime_data.coordinator.homes[VILLA.id]
    imported = await get_instance(hass).async_add_executor_job(
        statistics_during_period,
        hass,
        first,
        first + 7 * HOUR,
        {
            statistic_id(villa.id, villa.name, "consumption"),
            statistic_id(villa.id, villa.name, "cost"),
        },
        "hour",
        None,
        {"change"},
    )
    tibber_kwh = {
        row["start"]: row["change"]
        for row in imported[statistic_id(villa.id, villa.name, "consumption")]
    }
    tibber_cost = {
        row["start"]: row["change"]
        for row in imported[statistic_id(villa.id, villa.name, "cost")]
    }
    assert 0 < len(tibber_kwh) < 7  # Tibber has published some of these hours

    rows = await export_rows(
        hass_client,
        {
            "home": VILLA.id,
            "aggregate": "1h",
            "from": "2026-11-28T07:00:00+01:00",
            "to": "2026-11-28T14:00:00+01:00",
        },
    )

    assert len(rows) == 7
    for hour, row in zip(hours, rows, strict=True):
        if hour.timestamp() in tibber_kwh:
            assert float(row["consumption_kwh"]) == pytest.approx(
                tibber_kwh[hour.timestamp()]
            )
            assert float(row["cost"]) == pytest.approx(
                tibber_cost[hour.timestamp()], abs=5e-5
            )
            assert float(row["consumption_kwh"]) == pytest.approx(
                tibber_sim.energy(VILLA.id, hour, hour + HOUR), abs=1e-5
            )
        else:
            # Sums 7, 14, 21 ...: 7 kWh an hour (the first row's change is its sum).
            assert float(row["consumption_kwh"]) == pytest.approx(7.0)
            assert float(row["cost"]) == pytest.approx(3.0)
        assert row["currency"] == "SEK"


async def test_todays_buckets_count_the_current_hour_so_far(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    clock: Clock,
    tibber_sim: TibberSimulator,
    entry: MockConfigEntry,
) -> None:
    """After the newest hourly row, the sensors' 5-minute rows count: today's
    day, week and month include the hour still running."""
    sensor = _sensor(hass, "energy_consumption")
    hour = clock.now.replace(minute=0, second=0, microsecond=0)  # 12:00 UTC
    await import_hourly(hass, sensor, "kWh", [(hour - timedelta(days=2), 100.0)])
    used = [0.05, 0.07, 0.06, 0.08, 0.04, 0.09]  # 12:00 .. 12:25
    sums = [200.0 + sum(used[: i + 1]) for i in range(len(used))]
    await insert_short_term(
        hass,
        sensor,
        # Before the newest hourly row (11:00 .. 12:00, Tibber's): not counted.
        [(hour - timedelta(minutes=30), 150.0), (hour - timedelta(minutes=5), 200.0)]
        + [(hour + timedelta(minutes=5 * i), total) for i, total in enumerate(sums)],
    )
    midnight = datetime(2026, 11, 27, 23, tzinfo=UTC)  # Stockholm's
    told = tibber_sim.energy(VILLA.id, midnight, hour)  # imported, hour by hour
    for aggregate in ("1d", "1w", "1M"):  # one bucket each: the range is today
        (row,) = await export_rows(
            hass_client,
            {"home": VILLA.id, "aggregate": aggregate, "from": "2026-11-28"},
        )
        assert float(row["consumption_kwh"]) == pytest.approx(
            told + sum(used), abs=1e-5
        )
    hourly = await export_rows(
        hass_client, {"home": VILLA.id, "aggregate": "1h", "from": "2026-11-28"}
    )
    assert hourly[-1]["start"] == "2026-11-28T13:00:00+01:00"
    assert float(hourly[-1]["consumption_kwh"]) == pytest.approx(sum(used))
    # The power of the time the rows cover (30 minutes), not of a whole hour.
    assert float(hourly[-1]["average_power_w"]) == pytest.approx(
        sum(used) * 1000 * 2, rel=1e-3
    )
    assert float(hourly[-2]["consumption_kwh"]) == pytest.approx(
        tibber_sim.energy(VILLA.id, hour - HOUR, hour), abs=1e-5
    )
