"""The hourly statistics' ids: the words of their names, and the ids of older
installs renamed with every row and the Energy preferences that name them.

Home Assistant's statistic picker (2026.3 - 2026.11) matches an external
statistic by its id and its integration's name only: what a person types from
the name shown ("Villa Solsidan hourly compensation") must be words of the id.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from homeassistant.components.energy import data as energy_data
from homeassistant.components.recorder.models import (
    StatisticData,
    StatisticMeanType,
    StatisticMetaData,
)
from homeassistant.components.recorder.statistics import (
    async_add_external_statistics,
    get_metadata,
    statistics_during_period,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.recorder import get_instance
from homeassistant.setup import async_setup_component
from homeassistant.util import slugify
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from custom_components.powertracker.const import DOMAIN, statistic_id
from loopback.tibber import HOMES
from tests.integration.conftest import Clock, SetupEntry
from tests.integration.test_energy_validate import UNIFIED_GRID

VILLA, CABIN = HOMES  # the villa produces; the cabin has no real-time meter
ENGLISH = json.loads(
    (Path(__file__).parents[2] / "custom_components" / DOMAIN / "translations")
    .joinpath("en.json")
    .read_text("utf-8")
)["entity"]["sensor"]
KINDS = ("consumption", "cost", "production", "compensation")


@pytest.mark.parametrize("home", HOMES, ids=["villa", "cabin"])
@pytest.mark.parametrize("kind", KINDS)
def test_every_word_of_the_name_is_a_word_of_the_id(home: Any, kind: str) -> None:
    """The English name's words (the home's, "hourly", the kind) are the id's."""
    name = ENGLISH[f"{kind}_statistic"]["name"].replace("{home}", home.name)
    stat_id = statistic_id(home.id, home.name, kind)
    domain, object_id = stat_id.split(":")
    assert domain == DOMAIN  # typing "powertracker" lists them all
    assert set(slugify(name).split("_")) <= set(object_id.split("_"))
    # What the README says: the name, hourly, the kind, the id's first 8.
    short = home.id.replace("-", "")[:8]
    assert object_id == f"{slugify(home.name)}_hourly_{kind}_{short}"


@pytest.mark.parametrize(
    "name",
    [
        "Sjövägen 7",
        "Bjørkveien 7b",
        "Ærøvej",
        "Straße 12",
        "Ĳsselmeer 1",
        " Het  Huis! ",
    ],
)
def test_the_home_name_is_slugified_as_home_assistant_does(name: str) -> None:
    """Lower-case ASCII words joined by `_`, as Home Assistant's `slugify`."""
    stat_id = statistic_id(VILLA.id, name, "cost")
    assert stat_id == f"{DOMAIN}:{slugify(name)}_hourly_cost_c70dcbe5"


def test_the_ids_of_two_homes_of_one_name_differ() -> None:
    """Homes named alike (two "Home"s) keep apart: Tibber's home ids differ."""
    assert statistic_id(VILLA.id, "Home", "cost") != statistic_id(
        CABIN.id, "Home", "cost"
    )


def _legacy(home_id: str, kind: str) -> str:
    """An id as Powertracker wrote it before the ids had the names' words."""
    return f"{DOMAIN}:{home_id.replace('-', '_')}_{kind}"


OLD_KIND = {"compensation": "profit"}
HOURS = 240
"""Hours of history the old install had, ending 10 days before now."""


def _grid(stat: dict[str, str | None]) -> list[dict[str, Any]]:
    """The villa's grid connection (with production) and the cabin's, in this
    release's shape, naming `stat[<home>_<kind>]`."""
    no_prices = {"entity_energy_price": None, "number_energy_price": None}
    if not UNIFIED_GRID:
        return [
            {
                "type": "grid",
                "flow_from": [
                    {
                        "stat_energy_from": stat[f"{home}_consumption"],
                        "stat_cost": stat[f"{home}_cost"],
                        **no_prices,
                    }
                    for home in ("villa", "cabin")
                ],
                "flow_to": [
                    {
                        "stat_energy_to": stat["villa_production"],
                        "stat_compensation": stat["villa_compensation"],
                        **no_prices,
                    }
                ],
                "cost_adjustment_day": 0,
            }
        ]
    return [
        {
            "type": "grid",
            "stat_energy_from": stat[f"{home}_consumption"],
            "stat_cost": stat[f"{home}_cost"],
            "stat_energy_to": stat.get(f"{home}_production"),
            "stat_compensation": stat.get(f"{home}_compensation"),
            **no_prices,
            "entity_energy_price_export": None,
            "number_energy_price_export": None,
            "cost_adjustment_day": 0,
        }
        for home in ("villa", "cabin")
    ]


async def test_an_older_install_keeps_every_row_under_the_new_ids(
    hass: HomeAssistant,
    clock: Clock,
    setup_entry: SetupEntry,
    hass_storage: dict[str, Any],
) -> None:
    clock.now = datetime(2026, 11, 28, 9, 25, 3, tzinfo=UTC)
    end = clock.now.replace(minute=0, second=0) - timedelta(days=10)
    starts = [end - timedelta(hours=HOURS - i) for i in range(HOURS)]
    homes = {"villa": VILLA, "cabin": CABIN}
    wanted = [
        (key, home, kind)
        for key, home in homes.items()
        for kind in KINDS
        if key == "villa" or kind in ("consumption", "cost")
    ]
    # The old install: its statistics, the Energy preferences naming them, and
    # the newest hour Tibber had published, per statistic.
    old_rows: dict[str, list[tuple[float, float, float]]] = {}
    for number, (key, home, kind) in enumerate(wanted):
        old = _legacy(home.id, OLD_KIND.get(kind, kind))
        states = [0.1 * (number + 1) + 0.001 * i for i in range(HOURS)]
        sums = [sum(states[: i + 1]) for i in range(HOURS)]
        old_rows[f"{key}_{kind}"] = list(
            zip((s.timestamp() for s in starts), states, sums, strict=True)
        )
        async_add_external_statistics(
            hass,
            StatisticMetaData(
                mean_type=StatisticMeanType.NONE,
                has_sum=True,
                name=f"{home.name} hourly {kind}",
                source=DOMAIN,
                statistic_id=old,
                unit_class="energy" if kind in ("consumption", "production") else None,
                unit_of_measurement="kWh"
                if kind in ("consumption", "production")
                else "SEK",
            ),
            [
                StatisticData(start=start, state=state, sum=total)
                for start, state, total in zip(starts, states, sums, strict=True)
            ],
        )
    await async_wait_recording_done(hass)
    assert await async_setup_component(hass, "energy", {})
    manager = await energy_data.async_get_manager(hass)
    old_ids: dict[str, str | None] = {
        f"{key}_{kind}": _legacy(home.id, OLD_KIND.get(kind, kind))
        for key, home, kind in wanted
    }
    await manager.async_update({"energy_sources": _grid(old_ids)})  # type: ignore[typeddict-item]
    history = f"{DOMAIN}.01JPOWERTRACKERTESTENTRY00.history"
    hass_storage[history] = {
        "version": 1,
        "minor_version": 1,
        "key": history,
        "data": {
            "days": 2,
            "published": {
                _legacy(VILLA.id, "consumption"): (end - timedelta(hours=1)).isoformat()
            },
        },
    }

    await setup_entry()

    new_ids: dict[str, str | None] = {
        f"{key}_{kind}": statistic_id(home.id, home.name, kind)
        for key, home, kind in wanted
    }
    recorder = get_instance(hass)
    metadata = await recorder.async_add_executor_job(
        lambda: get_metadata(hass, statistic_source=DOMAIN)
    )
    # The old ids are gone; the new ones hold every old row, as it was.
    assert set(metadata) == {stat for stat in new_ids.values() if stat}
    rows = await recorder.async_add_executor_job(
        statistics_during_period,
        hass,
        starts[0],
        None,
        set(metadata),
        "hour",
        None,
        {"state", "sum"},
    )
    for key, stat in new_ids.items():
        assert stat is not None
        kept = [
            (row["start"], row["state"], row["sum"])
            for row in rows[stat]
            if row["start"] < end.timestamp()
        ]
        assert kept == pytest.approx(old_rows[key])
        # The import went on from the old rows: the sums run on across the seam.
        after = [row for row in rows[stat] if row["start"] >= end.timestamp()]
        assert after, key
        first_state = after[0]["state"]
        assert first_state is not None
        assert after[0]["sum"] == pytest.approx(old_rows[key][-1][2] + first_state)
    # The Energy preferences name the new ids, and the newest hour Tibber
    # published is kept under the new id.
    assert manager.data is not None
    assert manager.data["energy_sources"] == _grid(new_ids)
    published = hass_storage[history]["data"]["published"]
    assert new_ids["villa_consumption"] in published
    assert not any(stat in published for stat in old_ids.values())


async def test_a_home_renamed_in_tibber_keeps_its_statistics(
    hass: HomeAssistant, clock: Clock, setup_entry: SetupEntry
) -> None:
    """A statistic under the home's earlier name gets the new name's id."""
    clock.now = datetime(2026, 11, 28, 9, 25, 3, tzinfo=UTC)
    start = clock.now.replace(minute=0, second=0) - timedelta(days=10)
    earlier = statistic_id(CABIN.id, "Stugan", "consumption")
    async_add_external_statistics(
        hass,
        StatisticMetaData(
            mean_type=StatisticMeanType.NONE,
            has_sum=True,
            name="Stugan hourly consumption",
            source=DOMAIN,
            statistic_id=earlier,
            unit_class="energy",
            unit_of_measurement="kWh",
        ),
        [StatisticData(start=start, state=1.5, sum=1.5)],
    )
    await async_wait_recording_done(hass)

    await setup_entry()

    now_id = statistic_id(CABIN.id, CABIN.name, "consumption")
    rows = await get_instance(hass).async_add_executor_job(
        statistics_during_period,
        hass,
        start,
        start + timedelta(hours=1),
        {earlier, now_id},
        "hour",
        None,
        {"sum"},
    )
    assert list(rows) == [now_id]
    assert rows[now_id][0]["sum"] == pytest.approx(1.5)
