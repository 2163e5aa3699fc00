"""The five-minute archive of a running entry: every poll kept, faults told."""

from __future__ import annotations

import itertools
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er, issue_registry as ir
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.powertracker.const import (
    CONF_ARCHIVE,
    CONF_ARCHIVE_DAYS,
    DOMAIN,
)
from custom_components.powertracker.record.forwarder import (
    ARCHIVE,
    Forwarder,
    samples_of,
)
from custom_components.powertracker.record.stores import (
    archive_path,
    set_aside_issue_id,
)
from custom_components.powertracker.sink import archive as archive_module
from custom_components.powertracker.sink.archive import SampleArchive
from custom_components.powertracker.sink.models import Sample
from loopback.tibber import HOMES
from tests.integration.conftest import Clock, SetupEntry
from tests.integration.export_http import export_rows
from tests.integration.statistics_rows import import_hourly, insert_short_term

VILLA, _ = HOMES
POLL = timedelta(minutes=5)
SAVED = timedelta(seconds=10)
"""Long enough for a delayed save (`forwarder.SAVE_DELAY`) to be written."""


def archive_of(entry: MockConfigEntry) -> SampleArchive:
    forwarder: Forwarder[SampleArchive] | None = entry.runtime_data.archive
    assert forwarder is not None
    return forwarder.sink


async def archived(entry: MockConfigEntry, seen: list[Sample]) -> list[Sample]:
    """The archive's samples over the span of `seen`."""
    start = min(s.time for s in seen)
    return await archive_of(entry).read(
        VILLA.id, start, max(s.time for s in seen) + POLL
    )


async def polls(
    hass: HomeAssistant, clock: Clock, entry: MockConfigEntry, count: int
) -> list[Sample]:
    """`count` polls; the samples they took."""
    seen: list[Sample] = []
    for _ in range(count):
        await clock.advance(hass, POLL)
        seen += samples_of(entry.runtime_data.coordinator.data)
    await hass.async_block_till_done(wait_background_tasks=True)
    return seen


async def test_every_poll_is_kept_across_a_restart_and_removed_with_the_entry(
    hass: HomeAssistant, clock: Clock, setup_entry: SetupEntry
) -> None:
    entry = await setup_entry()
    await hass.async_block_till_done(wait_background_tasks=True)
    seen = samples_of(entry.runtime_data.coordinator.data)
    seen += await polls(hass, clock, entry, 6)
    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    seen += samples_of(entry.runtime_data.coordinator.data)
    seen += await polls(hass, clock, entry, 6)

    assert len({s.time for s in seen}) >= 13
    assert await archived(entry, seen) == sorted(set(seen), key=lambda s: s.time)
    path = archive_path(hass, entry.entry_id)
    assert path.exists()

    assert await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert not path.exists()


async def test_the_stores_are_written_when_a_crash_would_lose_something(
    hass: HomeAssistant,
    clock: Clock,
    setup_entry: SetupEntry,
    hass_storage: dict[str, Any],
) -> None:
    """Not at every poll: an outbox that the archive keeps empty is written
    for its books once an hour, the totals when an hour begins."""
    entry = await setup_entry()
    await clock.advance(hass, SAVED)
    outbox = f"{DOMAIN}.{entry.entry_id}.{ARCHIVE.outbox}"
    totals = f"{DOMAIN}.{entry.entry_id}"
    assert outbox not in hass_storage  # nothing ever waited
    first_totals = hass_storage[totals]

    # 12:39:56 to 12:54:56: four polls within the hour, each archived.
    seen = await polls(hass, clock, entry, 4)
    await clock.advance(hass, SAVED)
    assert len({s.time for s in seen}) == 4
    assert outbox not in hass_storage
    assert hass_storage[totals] is first_totals

    # 12:59:56 and 13:04:56: an hour began; the totals are written.
    await polls(hass, clock, entry, 2)
    await clock.advance(hass, SAVED)
    assert hass_storage[totals] is not first_totals
    assert outbox not in hass_storage

    # 13:34:56: an hour since setup; the books are written, up to date.
    await polls(hass, clock, entry, 6)
    await clock.advance(hass, SAVED)
    forwarder = entry.runtime_data.archive
    assert forwarder is not None
    books = hass_storage[outbox]["data"]
    assert books["samples"] == []
    assert books["sent"] == forwarder.outbox.sent >= 13
    assert books["last_success"] == forwarder.last_success.isoformat()


async def test_a_reload_keeps_the_totals_of_the_polls_within_the_hour(
    hass: HomeAssistant,
    clock: Clock,
    setup_entry: SetupEntry,
    hass_storage: dict[str, Any],
) -> None:
    """The totals wait for an hour to begin, but an unload (a reload, an
    options change, Home Assistant's stop) writes them as they are."""
    entry = await setup_entry()
    await clock.advance(hass, SAVED)
    totals = f"{DOMAIN}.{entry.entry_id}"
    await polls(hass, clock, entry, 2)  # within the hour: not written
    written = hass_storage[totals]
    kept = entry.runtime_data.coordinator.totals.as_dict()
    assert written["data"] != kept

    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert hass_storage[totals]["data"] == kept


async def test_turned_off_no_file_is_made(
    hass: HomeAssistant, clock: Clock, setup_entry: SetupEntry
) -> None:
    entry = await setup_entry(**{CONF_ARCHIVE: False, CONF_ARCHIVE_DAYS: 30})
    await polls(hass, clock, entry, 2)

    assert entry.runtime_data.archive is None
    assert not archive_path(hass, entry.entry_id).exists()


async def test_a_locked_file_raises_a_repair_and_loses_nothing(
    hass: HomeAssistant,
    clock: Clock,
    setup_entry: SetupEntry,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(archive_module, "BUSY_TIMEOUT", 0.05)
    entry = await setup_entry()
    await hass.async_block_till_done(wait_background_tasks=True)
    issue_id = ARCHIVE.issue_id(entry.entry_id)
    seen = samples_of(entry.runtime_data.coordinator.data)
    other = sqlite3.connect(archive_path(hass, entry.entry_id), isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")  # another program holds the file

    seen += await polls(hass, clock, entry, 3)

    issue = ir.async_get(hass).async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_key == "archive_failing"
    assert "locked" in (issue.translation_placeholders or {})["error"]
    forwarder = entry.runtime_data.archive
    assert forwarder is not None
    assert len(forwarder.outbox) == 3  # the polls' samples wait

    other.execute("ROLLBACK")
    other.close()
    seen += await polls(hass, clock, entry, 7)  # the retry comes within 30 min

    assert len(forwarder.outbox) == 0
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None
    assert await archived(entry, seen) == sorted(set(seen), key=lambda s: s.time)


async def test_a_corrupt_file_is_set_aside_with_a_notice(
    hass: HomeAssistant,
    clock: Clock,
    setup_entry: SetupEntry,
    config_entry: MockConfigEntry,
) -> None:
    path: Path = archive_path(hass, config_entry.entry_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"not a database" * 100)

    entry = await setup_entry()
    seen = samples_of(entry.runtime_data.coordinator.data)
    seen += await polls(hass, clock, entry, 2)

    issue = ir.async_get(hass).async_get_issue(
        DOMAIN, set_aside_issue_id(entry.entry_id)
    )
    assert issue is not None
    assert issue.is_fixable
    aside = Path((issue.translation_placeholders or {})["path"])
    assert aside.read_bytes() == b"not a database" * 100
    assert await archived(entry, seen) == sorted(set(seen), key=lambda s: s.time)


def _slot(moment: datetime) -> datetime:
    return moment.replace(minute=moment.minute - moment.minute % 5, second=0)


async def _recorder_rows(
    hass: HomeAssistant, rows: list[tuple[datetime, float]]
) -> None:
    """The energy sensor's 5-minute statistics, as the recorder compiles them."""
    sensor = er.async_get(hass).async_get_entity_id(
        Platform.SENSOR, DOMAIN, f"{VILLA.id}_energy_consumption"
    )
    assert sensor is not None
    hour = rows[0][0].replace(minute=0) - timedelta(days=2)
    await import_hourly(hass, sensor, "kWh", [(hour, 0.0)])  # its metadata, kWh
    await insert_short_term(hass, sensor, rows)


def _meter_at(meter: list[tuple[datetime, float]], moment: datetime) -> float:
    """The meter's total at `moment`, on the line between the samples either side."""
    for (t0, v0), (t1, v1) in itertools.pairwise(meter):
        if t0 <= moment <= t1:
            return v0 + (v1 - v0) * (moment - t0) / (t1 - t0)
    raise AssertionError(moment)


async def test_five_minute_export_spans_the_archive_and_the_recorder(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    clock: Clock,
    setup_entry: SetupEntry,
) -> None:
    """Each five minutes once, in order: the archive's row wherever it has one
    (the meter's total at the row's edges); the newest five minutes, which no
    sample after them has made known, are unknown, not the recorder's row
    (it counts from the last sample before them, which the archive's row
    before already counted up to their start)."""
    await hass.config.async_update(time_zone="Europe/Stockholm")
    entry = await setup_entry()
    await hass.async_block_till_done(wait_background_tasks=True)
    seen = samples_of(entry.runtime_data.coordinator.data)
    seen += await polls(hass, clock, entry, 36)
    villa = sorted({s for s in seen if s.home_id == VILLA.id}, key=lambda s: s.time)
    meter = [(s.time, s.consumption_total) for s in villa]
    totals = [total for _, total in meter if total is not None]
    assert len(totals) == len(meter)
    readings = list(zip([t for t, _ in meter], totals, strict=True))
    # The five minutes with a sample, after the first sample's.
    slots = sorted({_slot(time) for time, _ in readings[1:]})
    # The recorder keeps the last hour (the rows before were purged); its
    # sums run from 0 (the change up to the last sample in each five
    # minutes), and its newest row holds 1 Wh more than the meter.
    last_in_slot = {_slot(time): total for time, total in readings}
    rows = [(slot, last_in_slot[slot] - totals[0]) for slot in slots[-12:]]
    rows[-1] = (rows[-1][0], rows[-1][1] + 0.001)
    await _recorder_rows(hass, rows)

    exported = await export_rows(
        hass_client,
        {
            "home": VILLA.id,
            "aggregate": "5m",
            "from": slots[0].isoformat(),
            "to": (slots[-1] + POLL).isoformat(),
        },
    )

    starts = [datetime.fromisoformat(row["start"]) for row in exported]
    assert starts == slots, "each five minutes once, in order"
    assert exported[-1]["consumption_kwh"] == ""  # a gap, not counted twice
    energy = {
        start: float(row["consumption_kwh"])
        for start, row in zip(starts[:-1], exported, strict=False)
    }
    expected = {
        slot: _meter_at(readings, slot + POLL) - _meter_at(readings, slot)
        for slot in slots[:-1]
    }
    assert energy == pytest.approx(expected, abs=5e-7)  # the CSV's 6 decimals
    # No minute counted twice: the rows add up to the meter's change.
    assert sum(energy.values()) == pytest.approx(
        _meter_at(readings, slots[-1]) - _meter_at(readings, slots[0])
    )


async def test_five_minute_export_reaches_back_as_far_as_the_archive(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    clock: Clock,
    setup_entry: SetupEntry,
) -> None:
    """Older than the recorder keeps (10 days): served from the archive, not a 400."""
    entry = await setup_entry()
    await hass.async_block_till_done(wait_background_tasks=True)
    old = _slot(dt_util.utcnow() - timedelta(days=40))
    archive = archive_of(entry)
    await archive.write(
        [
            Sample(
                home_id=VILLA.id,
                time=old + i * POLL + timedelta(seconds=7),
                power=1200.0,
                consumption_total=500.0 + 0.1 * i,
            )
            for i in range(13)
        ]
    )

    exported = await export_rows(
        hass_client,
        {
            "home": VILLA.id,
            "aggregate": "5m",
            "from": old.isoformat(),
            "to": (old + timedelta(hours=1)).isoformat(),
        },
    )

    assert len(exported) == 12
    assert exported[0]["consumption_kwh"] == "", "no sample before the first"
    assert [float(row["consumption_kwh"]) for row in exported[1:]] == pytest.approx(
        [0.1] * 11
    )
    assert float(exported[1]["average_power_w"]) == pytest.approx(1200.0)
