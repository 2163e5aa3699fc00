"""The five-minute archive of a running entry: every poll kept, faults told."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.powertracker.const import (
    CONF_ARCHIVE,
    CONF_ARCHIVE_DAYS,
    DOMAIN,
    ISSUE_ARCHIVE_SET_ASIDE,
)
from custom_components.powertracker.forwarder import ARCHIVE, samples_of
from custom_components.powertracker.sink import archive as archive_module
from custom_components.powertracker.sink.archive import SampleArchive
from custom_components.powertracker.sink.models import Sample
from custom_components.powertracker.sinks import archive_path
from loopback.tibber import HOMES
from tests.integration.conftest import Clock, SetupEntry

VILLA, _ = HOMES
POLL = timedelta(minutes=5)


def archive_of(entry: MockConfigEntry) -> SampleArchive:
    forwarder = entry.runtime_data.archive
    assert forwarder is not None
    assert isinstance(forwarder.sink, SampleArchive)
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
        DOMAIN, f"{ISSUE_ARCHIVE_SET_ASIDE}_{entry.entry_id}"
    )
    assert issue is not None
    assert issue.is_fixable
    aside = Path((issue.translation_placeholders or {})["path"])
    assert aside.read_bytes() == b"not a database" * 100
    assert await archived(entry, seen) == sorted(set(seen), key=lambda s: s.time)
