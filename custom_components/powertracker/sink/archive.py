"""The local five-minute archive: every sample in a SQLite file (no Home Assistant).

A sink like the others (`Sink`): the forwarder feeds it through its own outbox,
so a sample goes through one pipeline whichever store keeps it, and a sample the
archive could not take waits in the outbox until it can.

File. One SQLite file per entry (WAL journal), two tables: `homes` names each
home once (Tibber's ids are 36-character UUIDs; a row refers to its home by a
small integer), `samples` holds one row per home and Tibber timestamp (epoch
milliseconds) with the `Sample`'s values, in a WITHOUT ROWID table keyed by
(home, time): about 66 bytes a row, 6.9 MB per home-year of 5-minute samples.
Writing a sample again replaces the row with the same values: an idempotent
upsert.

Retention. `retention_days` (0 keeps everything) counts back from the home's
newest sample. Each write deletes at most `PRUNE_BATCH` expired rows per home,
so lowering the retention trims the file over the next polls, never in one long
transaction.

Threads. All SQL runs on one worker thread of the archive's own, which owns the
connection; the event loop only waits for it.

Faults. A full disk, a locked file, a missing or read-only directory raise
`ArchiveError` (retryable: the samples stay queued). A file that is not a
database, or a malformed one, is set aside (renamed to
`<name>.corrupt-<UTC time>`, never deleted), a new file is started, and
`set_aside` records the path for the owner to tell the user.
"""

from __future__ import annotations

import asyncio
import logging
import math
import sqlite3
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final, TypeVar

import numpy as np

from .models import MEASURES, FloatArray, Sample, SinkError, WriteResult

_LOGGER = logging.getLogger(__name__)

DEFAULT_RETENTION_DAYS: Final = 730
"""The original system's magnetic-store retention: two years."""
PRUNE_BATCH: Final = 5000
"""Expired rows deleted per home per write, at most."""
READ_BATCH: Final = 2048
"""Rows converted to numpy at a time."""
BUSY_TIMEOUT: Final = 10.0
"""Seconds SQLite waits for another connection's lock before `database is locked`."""

_DAY_MS: Final = 86_400_000
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_COLUMNS: Final = ", ".join(MEASURES)
_SCHEMA: Final = f"""
CREATE TABLE IF NOT EXISTS homes (
    id INTEGER PRIMARY KEY,
    home_id TEXT NOT NULL UNIQUE
);
CREATE TABLE IF NOT EXISTS samples (
    home INTEGER NOT NULL REFERENCES homes(id),
    time_ms INTEGER NOT NULL,
    {", ".join(f"{name} REAL" for name in MEASURES)},
    currency TEXT,
    PRIMARY KEY (home, time_ms)
) WITHOUT ROWID;
"""
_UPSERT: Final = (
    f"INSERT OR REPLACE INTO samples (home, time_ms, {_COLUMNS}, currency) "  # noqa: S608 - constant column names
    f"VALUES ({', '.join('?' * (len(MEASURES) + 3))})"
)
_PRUNE: Final = """
DELETE FROM samples WHERE home = :home AND time_ms < MIN(
    :cutoff,
    COALESCE(
        (SELECT time_ms FROM samples WHERE home = :home
         ORDER BY time_ms LIMIT 1 OFFSET :batch),
        :cutoff
    )
)
"""
_CORRUPT: Final = ("not a database", "malformed", "corrupt")

T = TypeVar("T")


class ArchiveError(SinkError):
    """The archive file cannot be written now (disk full, locked, read-only)."""

    reason = "archive_failing"


class ArchiveCorruptError(ArchiveError):
    """The file is not a SQLite database, or a malformed one."""


@dataclass(frozen=True, slots=True)
class ArchiveStats:
    """What diagnostics show of the archive."""

    path: str
    bytes: int
    rows: int
    homes: int
    oldest: datetime | None
    newest: datetime | None


class SampleArchive:
    """Keeps samples in one SQLite file; see the module docstring."""

    def __init__(
        self,
        path: Path,
        retention_days: int = DEFAULT_RETENTION_DAYS,
        on_set_aside: Callable[[Path], None] | None = None,
    ) -> None:
        """Nothing is opened before the first call.

        `on_set_aside` hears, in the event loop, of each corrupt file renamed.
        """
        self.path = path
        self.retention_days = retention_days
        self.set_aside: list[Path] = []
        """Corrupt files renamed so far."""
        self._on_set_aside = on_set_aside
        self._worker = ThreadPoolExecutor(1, thread_name_prefix="powertracker_archive")
        self._db: sqlite3.Connection | None = None
        self._home_ids: dict[str, int] = {}

    def __repr__(self) -> str:
        return (
            f"SampleArchive({str(self.path)!r}, retention_days={self.retention_days})"
        )

    # -- the Sink protocol ------------------------------------------------

    async def validate(self) -> None:
        """Open (or create) the file."""
        await self._run(self._connect)

    async def write(self, samples: list[Sample]) -> WriteResult:
        """Upsert `samples`, then prune what expired for their homes."""
        return await self._run(self._write, samples)

    async def close(self) -> None:
        """Close the file and stop the worker thread."""
        await self._run(self._close)
        await asyncio.to_thread(self._worker.shutdown)  # joins the worker

    # -- reading ------------------------------------------------------------

    async def stats(self) -> ArchiveStats:
        """Size, row count, homes and the oldest and newest sample."""
        return await self._run(self._stats)

    async def columns(
        self, home_id: str, names: tuple[str, ...], start: datetime, end: datetime
    ) -> dict[str, FloatArray]:
        """`SampleReader.columns`, read on the worker thread."""
        return await self._run(self._columns, home_id, names, start, end)

    async def oldest(self, home_id: str) -> datetime | None:
        """`SampleReader.oldest`."""
        return await self._run(self._oldest, home_id)

    async def read(self, home_id: str, start: datetime, end: datetime) -> list[Sample]:
        """`home_id`'s samples from `start` (included) to `end`, oldest first."""
        return await self._run(self._read, home_id, start, end)

    # -- on the worker thread ---------------------------------------------

    async def _run(self, job: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        told = len(self.set_aside)
        try:
            return await loop.run_in_executor(self._worker, self._guarded, job, *args)
        finally:
            if self._on_set_aside is not None:
                for path in self.set_aside[told:]:
                    self._on_set_aside(path)

    def _guarded(self, job: Callable[..., T], *args: Any) -> T:
        """`job`; a corrupt file is set aside and the job tried once more."""
        try:
            return self._attempt(job, *args)
        except ArchiveCorruptError as err:
            try:
                self._set_aside(err)
            except OSError as os_err:
                raise ArchiveError(
                    f"Archive {self.path} is unreadable and cannot be set aside: "
                    f"{os_err.strerror or type(os_err).__name__}"
                ) from None
        return self._attempt(job, *args)

    def _attempt(self, job: Callable[..., T], *args: Any) -> T:
        """`job`, its SQLite and file errors as `ArchiveError`s."""
        try:
            return job(*args)
        except sqlite3.DatabaseError as err:
            self._close()  # reopened by the next job
            kind = ArchiveCorruptError if _is_corrupt(err) else ArchiveError
            raise kind(f"Archive {self.path}: {err}") from None
        except OSError as err:
            raise ArchiveError(
                f"Archive {self.path}: {err.strerror or type(err).__name__}"
            ) from None

    def _connect(self) -> sqlite3.Connection:
        if self._db is not None:
            return self._db
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT, isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.executescript(_SCHEMA)
            self._home_ids = dict(db.execute("SELECT home_id, id FROM homes"))
        except BaseException:
            db.close()
            raise
        self._db = db
        return db

    def _close(self) -> None:
        db, self._db = self._db, None
        if db is not None:
            db.close()

    def _home(self, db: sqlite3.Connection, home_id: str) -> int:
        if (home := self._home_ids.get(home_id)) is None:
            db.execute("INSERT OR IGNORE INTO homes (home_id) VALUES (?)", (home_id,))
            (home,) = db.execute(
                "SELECT id FROM homes WHERE home_id = ?", (home_id,)
            ).fetchone()
            self._home_ids[home_id] = home
        return home

    def _write(self, samples: list[Sample]) -> WriteResult:
        db = self._connect()
        rows: list[tuple[Any, ...]] = []
        newest: dict[int, int] = {}
        with _transaction(db):
            for sample in samples:
                row = _row(sample)
                if row is None:
                    continue
                home = self._home(db, sample.home_id)
                rows.append((home, *row))
                newest[home] = max(newest.get(home, row[0]), row[0])
            db.executemany(_UPSERT, rows)
            if self.retention_days > 0:
                for home, time_ms in newest.items():
                    db.execute(
                        _PRUNE,
                        {
                            "home": home,
                            "cutoff": time_ms - self.retention_days * _DAY_MS,
                            "batch": PRUNE_BATCH,
                        },
                    )
        return WriteResult(written=len(rows), dropped=len(samples) - len(rows))

    def _read(self, home_id: str, start: datetime, end: datetime) -> list[Sample]:
        db = self._connect()
        if (home := self._home_ids.get(home_id)) is None:
            return []
        rows = db.execute(
            f"SELECT time_ms, {_COLUMNS}, currency FROM samples "  # noqa: S608
            "WHERE home = ? AND time_ms >= ? AND time_ms < ? ORDER BY time_ms",
            (home, _ms(start), _ms(end)),
        )
        return [
            Sample(
                home_id=home_id,
                time=datetime.fromtimestamp(time_ms / 1000, UTC),
                currency=currency,
                **dict(zip(MEASURES, values, strict=True)),
            )
            for time_ms, *values, currency in rows
        ]

    def _columns(
        self, home_id: str, names: tuple[str, ...], start: datetime, end: datetime
    ) -> dict[str, FloatArray]:
        db = self._connect()
        wanted = [name for name in names if name in MEASURES]  # the SQL's columns
        parts: list[FloatArray] = [np.empty((0, len(wanted) + 1))]
        if (home := self._home_ids.get(home_id)) is not None:
            columns = ", ".join(["time_ms", *wanted])
            since, until = _ms(start), _ms(end)
            before = db.execute(
                f"SELECT {columns} FROM samples WHERE home = ? AND time_ms < ? "  # noqa: S608
                "ORDER BY time_ms DESC LIMIT 1",
                (home, since),
            )
            rows = db.execute(
                f"SELECT {columns} FROM samples WHERE home = ? "  # noqa: S608
                "AND time_ms >= ? AND time_ms < ? ORDER BY time_ms",
                (home, since, until),
            )
            # In batches (None is NaN): one conversion of a year's rows holds
            # the GIL, and the event loop with it, for tens of milliseconds,
            # and its tuples would survive into the collector's full sweeps.
            for cursor in (before, rows):
                while batch := cursor.fetchmany(READ_BATCH):
                    parts.append(np.array(batch, dtype=np.float64))
        table = np.concatenate(parts)
        result = {"time": table[:, 0] / 1000}
        result |= {name: table[:, i + 1] for i, name in enumerate(wanted)}
        return result

    def _oldest(self, home_id: str) -> datetime | None:
        db = self._connect()
        if (home := self._home_ids.get(home_id)) is None:
            return None
        (oldest,) = db.execute(
            "SELECT MIN(time_ms) FROM samples WHERE home = ?", (home,)
        ).fetchone()
        return _time(oldest)

    def _stats(self) -> ArchiveStats:
        db = self._connect()
        rows, oldest, newest = db.execute(
            "SELECT COUNT(*), MIN(time_ms), MAX(time_ms) FROM samples"
        ).fetchone()
        size = sum(
            path.stat().st_size
            for path in (self.path, *_companions(self.path))
            if path.exists()
        )
        return ArchiveStats(
            path=str(self.path),
            bytes=size,
            rows=rows,
            homes=len(self._home_ids),
            oldest=_time(oldest),
            newest=_time(newest),
        )

    def _set_aside(self, err: ArchiveCorruptError) -> None:
        """Rename the corrupt file (and its journal) and start afresh."""
        self._close()
        self._home_ids = {}
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        target = self.path.with_name(f"{self.path.name}.corrupt-{stamp}")
        for path in (self.path, *_companions(self.path)):
            if path.exists():  # the journal keeps its suffix: name.corrupt-T-wal
                suffix = path.name[len(self.path.name) :]
                path.rename(target.with_name(target.name + suffix))
        _LOGGER.error(
            "The five-minute archive %s was unreadable (%s); it is kept as %s and a "
            "new archive is started",
            self.path,
            err,
            target,
        )
        self.set_aside.append(target)


def remove_archive(path: Path) -> None:
    """Delete the archive file and its journal (blocking I/O)."""
    for candidate in (path, *_companions(path)):
        candidate.unlink(missing_ok=True)


def _companions(path: Path) -> tuple[Path, Path]:
    return path.with_name(f"{path.name}-wal"), path.with_name(f"{path.name}-shm")


def _is_corrupt(err: sqlite3.DatabaseError) -> bool:
    return any(word in str(err).lower() for word in _CORRUPT)


def _row(sample: Sample) -> tuple[Any, ...] | None:
    """(time_ms, *MEASURES, currency), or None for a sample without a value."""
    if sample.time.utcoffset() is None or not sample.home_id:
        return None
    values = [getattr(sample, name) for name in MEASURES]
    cells = [
        float(value)
        if isinstance(value, int | float) and math.isfinite(value)
        else None
        for value in values
    ]
    if all(cell is None for cell in cells):
        return None
    return (_ms(sample.time), *cells, sample.currency)


def _ms(moment: datetime) -> int:
    """Epoch milliseconds of an aware datetime."""
    return (moment - _EPOCH) // timedelta(milliseconds=1)


def _time(time_ms: int | None) -> datetime | None:
    return None if time_ms is None else datetime.fromtimestamp(time_ms / 1000, UTC)


@contextmanager
def _transaction(db: sqlite3.Connection) -> Iterator[None]:
    """BEGIN IMMEDIATE ... COMMIT, rolled back on any error."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
