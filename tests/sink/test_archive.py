"""The five-minute archive on a real SQLite file: upserts, retention, faults."""

from __future__ import annotations

import math
import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from custom_components.powertracker.sink import archive as archive_module
from custom_components.powertracker.sink.archive import (
    ArchiveError,
    SampleArchive,
    remove_archive,
)
from custom_components.powertracker.sink.models import Sample, WriteResult
from tests.sink.samples import T0, full_sample, sample

VILLA = "96a14971-525a-4420-aae9-e5aedaa129ff"
"""Tibber home ids are UUIDs."""
CABIN = "68e6938b-91a6-4199-a0d4-f24c22be87bb"
FIVE = timedelta(minutes=5)


def polls(home_id: str, start: datetime, count: int) -> list[Sample]:
    """`count` full samples 5 minutes apart, the values rising with time."""
    return [
        Sample(
            home_id=home_id,
            time=start + index * FIVE,
            power=1000.0 + index,
            accumulated_consumption=0.1 * index,
            consumption_total=40_000.0 + 0.1 * index,
            accumulated_cost=0.15 * index,
            currency="SEK",
        )
        for index in range(count)
    ]


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "powertracker" / "archive.db"


@pytest.fixture
async def archive(path: Path) -> AsyncIterator[SampleArchive]:
    archive = SampleArchive(path)
    yield archive
    await archive.close()


async def test_samples_come_back_as_they_went_in(archive: SampleArchive) -> None:
    written = [
        full_sample(VILLA),
        sample(CABIN, power=7.5),
        full_sample(VILLA, T0 + FIVE),
    ]

    assert await archive.write(written) == WriteResult(written=3)

    assert await archive.read(VILLA, T0, T0 + 2 * FIVE) == [written[0], written[2]]
    assert await archive.read(CABIN, T0, T0 + FIVE) == [written[1]]
    assert await archive.read(VILLA, T0 + FIVE, T0 + 2 * FIVE) == [written[2]]
    assert await archive.read("unknown", T0, T0 + FIVE) == []


async def test_a_resent_batch_changes_nothing(archive: SampleArchive) -> None:
    batch = polls(VILLA, T0, 12)
    await archive.write(batch)
    before = await archive.stats()

    assert await archive.write(batch[4:]) == WriteResult(written=8)

    after = await archive.stats()
    assert (after.rows, after.oldest, after.newest) == (12, T0, T0 + 11 * FIVE)
    assert before.rows == after.rows
    assert await archive.read(VILLA, T0, T0 + 12 * FIVE) == batch


async def test_samples_without_a_value_are_dropped(archive: SampleArchive) -> None:
    empty = Sample(home_id=VILLA, time=T0, power=float("nan"))
    naive = Sample(home_id=VILLA, time=T0.replace(tzinfo=None), power=1.0)

    assert await archive.write([empty, naive, full_sample(VILLA)]) == WriteResult(
        written=1, dropped=2
    )


async def test_the_file_survives_a_restart_and_is_removed_on_request(
    path: Path,
) -> None:
    first = SampleArchive(path)
    await first.write(polls(VILLA, T0, 6))
    await first.close()

    second = SampleArchive(path)
    await second.write(polls(VILLA, T0 + 6 * FIVE, 6) + polls(CABIN, T0, 2))
    stats = await second.stats()
    await second.close()

    assert (stats.rows, stats.homes) == (14, 2)
    assert stats.bytes >= path.stat().st_size > 0  # the journal is merged at close
    assert [p.name for p in path.parent.iterdir()] == ["archive.db"]
    remove_archive(path)
    assert list(path.parent.iterdir()) == []


async def test_local_midnight_and_dst_are_plain_utc_instants(
    archive: SampleArchive,
) -> None:
    """The archive keeps instants: the 25-hour day of 25 Oct 2026 loses nothing."""
    stockholm = ZoneInfo("Europe/Stockholm")
    day = datetime(2026, 10, 25, tzinfo=stockholm)
    start = day.astimezone(UTC)
    end = (day + timedelta(days=1)).astimezone(UTC)
    await archive.write(polls(VILLA, start - 2 * FIVE, 25 * 12 + 4))

    got = await archive.read(VILLA, start, end)

    assert len(got) == 25 * 12
    assert got[0].time == start
    assert got[-1].time == end - FIVE


async def test_retention_counts_back_from_the_newest_sample(path: Path) -> None:
    archive = SampleArchive(path, retention_days=1)
    await archive.write(polls(VILLA, T0, 2 * 288) + polls(CABIN, T0, 10))
    stats = await archive.stats()
    villa = await archive.read(VILLA, T0 - FIVE, T0 + 3 * 288 * FIVE)
    cabin = await archive.read(CABIN, T0 - FIVE, T0 + 3 * 288 * FIVE)
    await archive.close()

    newest = T0 + (2 * 288 - 1) * FIVE
    assert villa[0].time == newest - timedelta(days=1)
    assert len(villa) == 289
    assert len(cabin) == 10, "another home's newest sample sets its own window"
    assert stats.rows == 299


async def test_pruning_is_incremental(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A lowered retention trims at most PRUNE_BATCH rows per home per write."""
    monkeypatch.setattr(archive_module, "PRUNE_BATCH", 100)
    kept_all = SampleArchive(path, retention_days=0)
    await kept_all.write(polls(VILLA, T0, 1000))
    await kept_all.close()

    archive = SampleArchive(path, retention_days=1)
    rows = []
    for index in range(1000, 1010):
        await archive.write(polls(VILLA, T0 + index * FIVE, 1))
        rows.append((await archive.stats()).rows)
    await archive.close()

    assert rows[:6] == [901, 802, 703, 604, 505, 406]
    assert rows[-1] == 289, "then it holds one day behind the newest sample"


async def test_a_corrupt_file_is_set_aside_and_a_new_one_started(path: Path) -> None:
    path.parent.mkdir()
    garbage = b"this is not SQLite" * 100
    path.write_bytes(garbage)
    archive = SampleArchive(path)

    assert await archive.write(polls(VILLA, T0, 3)) == WriteResult(written=3)
    assert (await archive.stats()).rows == 3
    await archive.close()

    (aside,) = archive.set_aside
    assert aside.name.startswith("archive.db.corrupt-")
    assert aside.read_bytes() == garbage


async def test_a_malformed_file_found_later_is_set_aside(path: Path) -> None:
    archive = SampleArchive(path)
    await archive.write(polls(VILLA, T0, 300))
    await archive.close()
    with path.open("r+b") as file:  # overwrite the pages after the header
        file.seek(200)
        file.write(b"\xff" * 8000)

    again = SampleArchive(path)
    assert await again.write(polls(VILLA, T0 + 300 * FIVE, 2)) == WriteResult(written=2)
    stats = await again.stats()
    await again.close()

    assert stats.rows == 2
    assert len(again.set_aside) == 1
    assert again.set_aside[0].exists()


async def test_an_unwritable_place_raises_a_retryable_archive_error(
    tmp_path: Path,
) -> None:
    """A directory that cannot be made (a file in its place), and /proc."""
    (tmp_path / "blocked").write_text("a file, not a folder")
    for place in (tmp_path / "blocked" / "archive.db", Path("/proc/self/archive.db")):
        archive = SampleArchive(place)
        with pytest.raises(ArchiveError) as caught:
            await archive.write(polls(VILLA, T0, 1))
        await archive.close()
        assert caught.value.retryable
        assert str(place) in str(caught.value)
        assert archive.set_aside == []


async def test_a_full_disk_fails_the_write_and_loses_nothing(
    archive: SampleArchive,
) -> None:
    """SQLITE_FULL, from a page limit: the write fails whole, then succeeds."""
    await archive.write(polls(VILLA, T0, 10))

    def cap(pages: int | None) -> None:
        db = archive._connect()
        (count,) = db.execute("PRAGMA page_count").fetchone()
        db.execute(f"PRAGMA max_page_count = {pages or count}")

    await archive._run(cap, None)
    big = polls(VILLA, T0 + 10 * FIVE, 5000)
    with pytest.raises(ArchiveError, match="full"):
        await archive.write(big)
    assert (await archive.stats()).rows == 10

    await archive._run(cap, 1_000_000)
    assert await archive.write(big) == WriteResult(written=5000)
    assert (await archive.stats()).rows == 5010


async def test_a_locked_file_fails_the_write_until_the_lock_goes(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(archive_module, "BUSY_TIMEOUT", 0.05)
    archive = SampleArchive(path)
    await archive.validate()
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")

    with pytest.raises(ArchiveError, match="locked"):
        await archive.write(polls(VILLA, T0, 2))

    other.execute("ROLLBACK")
    other.close()
    assert await archive.write(polls(VILLA, T0, 2)) == WriteResult(written=2)
    await archive.close()


async def test_columns_start_with_the_sample_before_the_range(
    archive: SampleArchive,
) -> None:
    """What a caller needs to take each sample's change, NaN for a missing value."""
    batch = polls(VILLA, T0, 6)
    batch[3] = Sample(home_id=VILLA, time=batch[3].time, power=5.0)
    await archive.write(batch)
    names = ("consumption_total", "power_production")

    got = await archive.columns(VILLA, names, T0 + 2 * FIVE, T0 + 5 * FIVE)

    assert got["time"].tolist() == [(T0 + i * FIVE).timestamp() for i in (1, 2, 3, 4)]
    total = got["consumption_total"]
    assert total[[0, 1, 3]].tolist() == [40_000.1, 40_000.2, 40_000.4]
    assert math.isnan(total[2])
    assert all(math.isnan(v) for v in got["power_production"])
    empty = await archive.columns(CABIN, names, T0, T0 + FIVE)
    assert [len(v) for v in empty.values()] == [0, 0, 0]
