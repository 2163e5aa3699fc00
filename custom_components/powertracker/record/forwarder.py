"""Forward each poll's samples to a store through a durable outbox.

The stores are the configured sink and the local archive: each gets its own
`Forwarder` (its `Route` names its outbox and its repair issue), so a sample
takes the same way to every store, and a store that fails keeps its samples
waiting without holding up the other.

After every poll the new samples (one per home with a new measurement) go
into the outbox and are sent; what the outbox holds then is saved `SAVE_DELAY`
seconds later (see `Forwarder.async_add`), unless it is empty and was empty
when last saved: then only its books changed, saved once in `BOOKS_EVERY`.
Batches of `BATCH_SIZE` go out oldest first; a batch leaves the outbox only once the
sink confirmed it. A failed write is retried after an exponential back-off
with jitter (`RETRY_MIN` doubling up to `RETRY_MAX`); samples keep coming in
meanwhile and wait, up to the outbox's `MAX_AGE` behind their home's newest
sample. After `REPAIR_AFTER` without a successful write a repair issue says
so; it goes away with the next successful write.

The sink's outbox is stored in `.storage/powertracker.<entry_id>.outbox`, the
archive's in `.storage/powertracker.<entry_id>.archive_outbox`. A confirmed
batch too is saved a few seconds later (a crash in between re-sends samples the
store already has, which the stores' idempotent writes absorb). With the
archive the repair issue comes at the first failure (`Route.repair_after`).
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.event import async_call_later
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from ..const import DOMAIN, ISSUE_ARCHIVE_FAILING, ISSUE_SINK_FAILING
from ..meter.state import HomeState
from ..sink.models import Sample, Sink, SinkError
from ..sink.outbox import Outbox

_LOGGER = logging.getLogger(__name__)

BATCH_SIZE = 100
"""Samples per write (Timestream's limit per WriteRecords call)."""
RETRY_MIN = 30.0
RETRY_MAX = 1800.0
"""Seconds between retries of a failing sink: 30 s doubling to 30 min."""
REPAIR_AFTER = timedelta(hours=1)
SAVE_DELAY = 5.0
"""Seconds before a change of the outbox is saved (the batches of a drain, or a
retry's, in one save)."""
BOOKS_EVERY = timedelta(hours=1)
"""How often an outbox that stays empty is saved for its books alone (samples
sent, refused and dropped; the last good write)."""


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


@dataclass(frozen=True, slots=True)
class Route:
    """Which store a forwarder feeds: its name in logs, outbox and repair issue."""

    name: str
    """"sink" or "archive", as the log lines say it."""
    outbox: str
    """The outbox's `.storage` key, after `powertracker.<entry id>.`."""
    issue: str
    """The repair issue's translation key."""
    repair_after: timedelta
    """How long the store may fail before the repair issue is raised."""

    def issue_id(self, entry_id: str) -> str:
        """The repair issue of `entry_id`'s store."""
        return f"{self.issue}_{entry_id}"

    def store(self, hass: HomeAssistant, entry_id: str) -> Store[dict[str, Any]]:
        """Where `entry_id`'s outbox for this store lives."""
        return Store(hass, 1, f"{DOMAIN}.{entry_id}.{self.outbox}")


SINK = Route("sink", "outbox", ISSUE_SINK_FAILING, REPAIR_AFTER)
"""The external sink: a network store may be down for a while."""
ARCHIVE = Route("archive", "archive_outbox", ISSUE_ARCHIVE_FAILING, timedelta(0))
"""The local archive: a full disk or a locked file is told at once."""


def samples_of(states: dict[str, HomeState]) -> list[Sample]:
    """One sample per home that has a live measurement this poll."""
    samples = []
    for home_id, state in states.items():
        measurement = state.measurement
        if measurement is None or measurement.power is None:
            continue
        samples.append(
            Sample(
                home_id=home_id,
                time=measurement.timestamp,
                power=measurement.power,
                accumulated_consumption=measurement.accumulated_consumption,
                consumption_total=state.consumption_total,
                accumulated_cost=measurement.accumulated_cost,
                currency=measurement.currency,
                power_production=measurement.power_production,
                accumulated_production=measurement.accumulated_production,
            )
        )
    return samples


class Forwarder[S: Sink]:
    """Owns an entry's outbox for one store, and the store (`S`: its kind)."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry_id: str,
        title: str,
        sink: S,
        route: Route = SINK,
        *,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        """Forward to `sink`; `jitter` (a float in [0, 1)) spreads the retries."""
        self._hass = hass
        self._entry_id = entry_id
        self._title = title
        self.sink = sink
        self.route = route
        self._jitter = jitter
        self._store = route.store(hass, entry_id)
        self.outbox = Outbox()
        self.last_success: datetime | None = None
        self.failing_since: datetime | None = None
        self.last_error: str | None = None
        self._failures = 0
        self._lock = asyncio.Lock()
        self._retry: Callable[[], None] | None = None
        self._retry_at: datetime | None = None
        self._listeners: list[Callable[[], None]] = []
        self._saved_empty = True
        """The outbox was empty when last saved (or loaded)."""
        self._saved_at = dt_util.utcnow()

    async def async_load(self) -> None:
        """Restore what waited when Home Assistant stopped."""
        stored = await self._store.async_load() or {}
        self.outbox = Outbox.from_json(stored)
        self._saved_empty = not self.outbox.samples
        if last := stored.get("last_success"):
            self.last_success = dt_util.parse_datetime(last)
        if since := stored.get("failing_since"):
            self.failing_since = dt_util.parse_datetime(since)

    async def async_add_poll(self, states: dict[str, HomeState]) -> None:
        """Queue and send the samples of a poll."""
        await self.async_add(samples_of(states))

    async def async_add(self, samples: list[Sample]) -> None:
        """Queue `samples`, then send; what waits then is saved SAVE_DELAY s later.

        At most one save per poll, after the write, not one before sending and
        one after: the write usually empties the outbox again, and an outbox
        that was empty when last saved and is empty again holds nothing a crash
        could lose but its books, saved once an hour (`_save`). A crash before
        the save loses at most this poll's samples of a store that did not
        take them (Home Assistant writes a pending save when it stops, and the
        entry's unload saves the outbox): what a crash a poll earlier would
        have lost, since no poll runs while Home Assistant is down. Samples
        that waited before this poll were saved already.
        """
        if overflowed := self.outbox.add(samples):
            _LOGGER.warning(
                "The %s outbox of %s is full: dropped the %d oldest samples",
                self.route.name,
                self._title,
                overflowed,
            )
        self._notify()
        await self.async_flush()

    async def async_flush(self) -> None:
        """Send everything waiting, batch by batch; on a failure, retry later.

        While backing off, a flush before the retry time does nothing: the
        polls' samples wait for the retry (its timer, or the first poll after
        it, whichever comes first).
        """
        try:
            await self._flush()
        finally:
            self._save()

    async def _flush(self) -> None:
        if self._retry_at is not None and dt_util.utcnow() < self._retry_at:
            return
        self._cancel_retry()
        async with self._lock:
            if self._retry_at is not None:
                return  # a flush that held the lock meanwhile failed: its retry waits
            while batch := self.outbox.batch(BATCH_SIZE):
                try:
                    result = await self.sink.write(batch)
                except SinkError as err:
                    self._failed(err)
                    return
                self.outbox.confirm(batch, result.dropped)
                if result.dropped:
                    _LOGGER.warning(
                        "The %s of %s refused %d samples for good",
                        self.route.name,
                        self._title,
                        result.dropped,
                    )
                self._succeeded()

    async def async_shutdown(self) -> None:
        """Stop retrying, save what waits, close the sink."""
        self._cancel_retry()
        async with self._lock:
            await self._store.async_save(self._data())
            await self.sink.close()

    @callback
    def async_add_listener(self, update: Callable[[], None]) -> Callable[[], None]:
        """Call `update` whenever the outbox or the sink's health changes."""
        self._listeners.append(update)
        return lambda: self._listeners.remove(update)

    def diagnostics(self) -> dict[str, Any]:
        """The outbox's books and the sink's health, without the samples."""
        samples = self.outbox.samples
        return {
            "waiting": len(samples),
            "oldest_waiting": _iso(samples[0].time if samples else None),
            "sent": self.outbox.sent,
            "refused": self.outbox.refused,
            "overflowed": self.outbox.overflowed,
            "last_success": _iso(self.last_success),
            "failing_since": _iso(self.failing_since),
            "last_error": self.last_error,
        }

    def _save(self) -> None:
        """Save the outbox SAVE_DELAY s from now (one save for a poll's samples
        and their write, or a drain's batches). Empty, and empty when last
        saved, it has only its books to save: once in BOOKS_EVERY."""
        if (
            not self.outbox.samples
            and self._saved_empty
            and dt_util.utcnow() - self._saved_at < BOOKS_EVERY
        ):
            return
        self._store.async_delay_save(self._data, SAVE_DELAY)

    def _data(self) -> dict[str, Any]:
        """The stored outbox, as it is saved now."""
        self._saved_empty = not self.outbox.samples
        self._saved_at = dt_util.utcnow()
        return {
            **self.outbox.as_json(),
            "last_success": _iso(self.last_success),
            "failing_since": _iso(self.failing_since),
        }

    def _succeeded(self) -> None:
        self.last_success = dt_util.utcnow()
        self.failing_since = None
        self.last_error = None
        self._failures = 0
        ir.async_delete_issue(self._hass, DOMAIN, self.route.issue_id(self._entry_id))
        self._notify()

    def _failed(self, err: SinkError) -> None:
        now = dt_util.utcnow()
        if self.failing_since is None:
            self.failing_since = now
            _LOGGER.warning(
                "The %s of %s failed: %s; retrying", self.route.name, self._title, err
            )
        self.last_error = str(err)
        delay = min(RETRY_MAX, RETRY_MIN * 2**self._failures)
        delay *= 0.5 + self._jitter() / 2
        self._failures += 1
        if now - self.failing_since >= self.route.repair_after:
            ir.async_create_issue(
                self._hass,
                DOMAIN,
                self.route.issue_id(self._entry_id),
                is_fixable=False,
                severity=ir.IssueSeverity.WARNING,
                translation_key=self.route.issue,
                translation_placeholders={
                    "account": self._title,
                    "since": self.failing_since.isoformat(timespec="minutes"),
                    "waiting": str(len(self.outbox)),
                    "error": str(err),
                },
            )
        self._cancel_retry()  # one retry timer at a time
        self._retry_at = now + timedelta(seconds=delay)
        self._retry = async_call_later(self._hass, delay, self._retry_now)
        self._notify()

    @callback
    def _retry_now(self, _now: datetime) -> None:
        self._retry = None
        self._retry_at = None
        self._hass.async_create_background_task(
            self.async_flush(), f"{DOMAIN} {self.route.name} retry {self._title}"
        )

    def _cancel_retry(self) -> None:
        if self._retry is not None:
            self._retry()
            self._retry = None
        self._retry_at = None

    def _notify(self) -> None:
        for update in list(self._listeners):
            update()
