"""The hourly external statistics the Energy dashboard reads, one writer for all.

Each home has *<home> hourly consumption* and *cost* (and *production*,
*compensation* where it produces), ids of the same words
(`powertracker:<home>_hourly_consumption_<home id's first 8>`, `const.py`): one
row per hour, its `state` the hour's kWh (or money), its `sum` the running
total. They hold both the past and today, so one pick in the Energy dashboard
shows both:

- At setup the configured span of Tibber's hourly history is imported, so the
  past is there before the first poll. Every hour a trailing window (48 h, or
  back to the last row if that is older) is imported again, so Tibber's
  after-the-fact corrections land. When the option is raised, each statistic
  imports the longer span once (`.storage/powertracker.<entry>.history`
  records the longest span imported).
- Each hour that ends and that Tibber has not published yet gets its row from
  Powertracker's own live measurements (`live_hours`), or for a home without a
  real-time meter from Tibber's latest hour, as soon as the coordinator sees it.
  Such rows only extend a statistic that the import has begun, so a failed
  first import cannot stand in for the span.

Every write goes through one lock, and every read first waits until the
recorder has committed what was queued before it (a task of Powertracker's
own in the recorder's queue), so an import and a live row never chain their
sums on stale rows. The window of an import reaches back to the newest hour
Tibber itself published (kept in the `.history` store), so hours Tibber
publishes days late still replace the live ones.

An import rewrites its window: Tibber's value where Tibber has one, the row
already there otherwise, and the running sums from the row before the window
on. So the live rows are replaced by Tibber's corrected values, and a
corrected hour changes its own state and the sums after it; no hour is
counted twice, and none is lost at a seam.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any, cast

from homeassistant.components.recorder.core import Recorder
from homeassistant.components.recorder.models import (
    StatisticData,
    StatisticMeanType,
    StatisticMetaData,
)
from homeassistant.components.recorder.statistics import (
    async_add_external_statistics,
    get_last_statistics,
    statistics_during_period,
)
from homeassistant.components.recorder.tasks import RecorderTask
from homeassistant.const import UnitOfEnergy
from homeassistant.core import HomeAssistant
from homeassistant.helpers.recorder import get_instance, session_scope
from homeassistant.helpers.storage import Store
from homeassistant.helpers.translation import async_get_translations
from homeassistant.util import dt as dt_util

from ..const import DOMAIN, statistic_id
from ..meter.answers import HistoryRound
from ..meter.listeners import HomeListeners
from ..meter.live_hours import CompletedHour
from ..meter.state import HomeState
from ..tibber import Home, HourColumns, InvalidTokenError, TibberClient, TibberError

if TYPE_CHECKING:
    from homeassistant.components.energy.data import EnergyPreferencesUpdate

_LOGGER = logging.getLogger(__name__)

TRAILING_WINDOW = timedelta(hours=48)
"""Hours re-imported every hour: Tibber corrects recent hours after the fact."""
WRITE_BATCH = 24 * 7
"""Rows per recorder task, one task at a time (`HourlyStatistics._write`): the
recorder holds a task's rows as ORM objects until it commits, and a year of
them at once (tens of MiB) stayed in Home Assistant's memory after the first
import."""
BARRIER_TIMEOUT = 60.0
"""Seconds to wait for the recorder to commit earlier writes before reading."""


def span_store(hass: HomeAssistant, entry_id: str) -> Store[dict[str, Any]]:
    """Where an entry remembers how many days of history it imported."""
    return Store(hass, 1, f"{DOMAIN}.{entry_id}.history")


type Fetch = Callable[[str, int], Awaitable[HourColumns]]


def _asked(history: HistoryRound, fetch: Fetch) -> Fetch:
    """`fetch` within a round of history reads (an error that leaves a read
    for later is raised, for the caller to log)."""

    async def asked(home_id: str, hours: int) -> HourColumns:
        answer = await history.ask(partial(fetch, home_id, hours))
        if isinstance(answer, TibberError):
            raise answer
        return answer

    return asked


KINDS: dict[str, str] = {"consumption": "cost", "production": "compensation"}
"""Each energy statistic's kind, and the kind of its money statistic."""


async def statistic_names(hass: HomeAssistant) -> dict[str, str]:
    """How the Energy dashboard's pickers name a home's statistics, in Home
    Assistant's language (`{home}` stands for the home's name). A statistic's
    name is not translated where it is shown, so it is written translated."""
    found = await async_get_translations(hass, hass.config.language, "entity", [DOMAIN])
    return {
        kind: found[f"component.{DOMAIN}.entity.sensor.{kind}_statistic.name"]
        for kind in (*KINDS, *KINDS.values())
    }


def _id(home: Home, kind: str) -> str:
    """The id of `home`'s `kind` statistic (`const.statistic_id`)."""
    return statistic_id(home.id, home.name, kind)


def _renames(homes: list[Home]) -> dict[str, tuple[str, str]]:
    """Per statistic id of `homes`, how an older id of it reads: the id earlier
    versions wrote (`powertracker:<home id>_<kind>`, `profit` for the
    compensation), and the end of its id under another home name."""
    return {
        _id(home, kind): (
            f"{DOMAIN}:{home.id.lower().replace('-', '_')}_"
            + ("profit" if kind == "compensation" else kind),
            _id(home, kind).rsplit("_hourly_", 1)[1],
        )
        for home in homes
        for kind in (*KINDS, *KINDS.values())
    }


async def _rename(hass: HomeAssistant, homes: list[Home]) -> dict[str, str]:
    """Give every statistic of `homes` found under an older id its id (the
    recorder keeps its rows under the same metadata), and point the Energy
    preferences at it. Returns the old ids renamed, with their new ids.

    Home Assistant's `async_update_statistics_metadata(new_statistic_id=...)`
    renames only statistics of the source `recorder` (2026.3 - 2026.11), so
    the rename runs as a task of Powertracker's own in the recorder's queue:
    before any write queued after it.
    """
    future: asyncio.Future[dict[str, str]] = hass.loop.create_future()
    get_instance(hass).queue_task(_Rename(future, _renames(homes)))
    renamed = await future
    if renamed:
        for old, new in renamed.items():
            _LOGGER.info("Statistic %s renamed to %s, its rows kept", old, new)
        await _repoint_energy(hass, renamed)
    return renamed


async def _repoint_energy(hass: HomeAssistant, renamed: dict[str, str]) -> None:
    """Replace the renamed ids wherever the Energy preferences name them."""
    from homeassistant.components.energy.data import (  # noqa: PLC0415 - only to migrate
        async_get_manager,
    )

    def repointed(value: Any) -> Any:
        if isinstance(value, str):
            return renamed.get(value, value)
        if isinstance(value, list):
            return [repointed(item) for item in value]
        if isinstance(value, dict):
            return {key: repointed(item) for key, item in value.items()}
        return value

    manager = await async_get_manager(hass)
    if manager.data is None:
        return  # no preferences saved yet
    update: dict[str, Any] = {
        key: new for key, old in manager.data.items() if (new := repointed(old)) != old
    }
    if update:
        await manager.async_update(cast("EnergyPreferencesUpdate", update))


class HourlyStatistics(HomeListeners):
    """Writes the hourly statistics of one entry's homes; listeners hear of a
    home's new rows once the recorder has them."""

    def __init__(
        self,
        hass: HomeAssistant,
        client: TibberClient,
        homes: list[Home],
        days: int,
        store: Store[dict[str, Any]],
    ) -> None:
        """Import `days` days at first, then keep the last hours corrected."""
        super().__init__()
        self._hass = hass
        self._client = client
        self._homes = homes
        self._days = days
        self._store = store
        self._lock = asyncio.Lock()
        self._imported_days: int | None = None
        """The span imported in full so far (None: not recorded)."""
        self._published: dict[str, datetime] = {}
        """The newest hour Tibber's history gave, per energy statistic: the
        window reaches back to it, however old (the live rows are newer)."""
        self._saved: dict[str, Any] | None = None
        self._spanned: set[str] = set()
        """Statistics imported in full since setup."""
        self._added: dict[tuple[str, str], datetime] = {}
        """The hour last added per home and kind (a poll repeats Tibber's last hour)."""
        self._changed: set[str] = set()
        """Homes with rows written since listeners last heard."""
        self._names: dict[str, str] = {}
        """The statistics' names by kind (`statistic_names`)."""
        self._renaming = True
        """Statistics of an older id may still wait for their id (`_renamed`)."""

    async def async_load(self) -> None:
        """Learn the span imported so far, and the statistics' names.

        Statistics of an older id (`_renames`) get their id, rows kept, before
        the first read or write (`_renamed`), not here: the recorder runs its
        queue only once Home Assistant has started, so waiting for it during
        setup would hold Home Assistant's start up until its setup timeout.
        """
        self._names = await statistic_names(self._hass)
        stored = await self._store.async_load()
        self._saved = stored
        self._imported_days = stored["days"] if stored else None
        self._published = {
            stat_id: datetime.fromisoformat(start)
            for stat_id, start in (stored or {}).get("published", {}).items()
        }

    async def _renamed(self) -> None:
        """Rename the statistics of an older id, once (under the lock, before
        the first read or write); the newest hours published go with them."""
        if self._renaming:
            renamed = await _rename(self._hass, self._homes)
            self._published = {
                renamed.get(stat_id, stat_id): start
                for stat_id, start in self._published.items()
            }
            self._renaming = False

    async def async_import(self) -> None:
        """Import what is missing or may have been corrected, for every home.

        When the configured span is longer than the one imported so far (the
        option was raised), or no import has ended yet (the first was stopped
        partway), each statistic imports the whole span once.

        Tibber's answers follow the one policy (`meter/answers.py`): a rate
        limit ends the round, a server error or an unknown home waits for the
        next hour, a rejected token is raised once what was imported is saved.
        """
        # No span recorded as imported: the first import has not ended yet (a
        # restart stopped it partway: the cost may lack what the energy has).
        widen = self._imported_days is None or self._days > self._imported_days
        complete = True
        history = HistoryRound()
        rejected: InvalidTokenError | None = None
        reads = [
            (home, kind, _asked(history, partial(self._client.history, kind)))
            for home in self._homes
            for kind in ("consumption", "production")
        ]
        for home, kind, fetch in reads:
            if self._hass.is_stopping:
                return  # the recorder is going away
            try:
                async with self._lock:
                    await self._renamed()
                    await self._import(home, kind, fetch, widen=widen)
            except InvalidTokenError as err:
                complete, rejected = False, err
                break
            except TibberError as err:
                complete = False
                _LOGGER.warning(
                    "Cannot import the %s history of %s, will retry in an hour: %s",
                    kind,
                    home.name,
                    err,
                )
        await self._notify()
        # A lowered option keeps the record: the longer span's rows stay.
        if complete:
            self._imported_days = max(self._days, self._imported_days or 0)
        record = {
            "days": self._imported_days,
            "published": {k: v.isoformat() for k, v in self._published.items()},
        }
        if record != self._saved:
            self._saved = record
            await self._store.async_save(record)
        if rejected is not None:
            raise rejected

    async def async_add_poll(self, states: dict[str, HomeState]) -> None:
        """Add the hours a poll saw end: told by the live measurements, or
        Tibber's latest hour of a home without a real-time meter."""
        for state in states.values():
            hours = dict(state.completed)
            if (last := state.last_hour) is not None and last.energy is not None:
                hours.setdefault(
                    "consumption",
                    CompletedHour(dt_util.as_utc(last.start), last.energy, last.money),
                )
            for kind, hour in hours.items():
                key = (state.home.id, kind)
                if self._added.get(key) != hour.start and await self._add_hour(
                    state.home, kind, hour, state.currency
                ):
                    self._added[key] = hour.start
        await self._notify()

    async def _notify(self) -> None:
        """Tell the listeners of the homes written, once the rows are committed."""
        if self._changed:
            await _written(self._hass)
            changed, self._changed = self._changed, set()
            self.notify(changed)

    async def _add_hour(
        self, home: Home, kind: str, hour: CompletedHour, currency: str | None
    ) -> bool:
        """Add an hour that has ended, unless its statistics have it already.

        Only a statistic the import has begun gets the hour, its sum going on
        from the newest row. False: the energy statistic does not exist yet.
        """
        async with self._lock:
            await self._renamed()
            for row_kind, value, unit in (
                (kind, hour.energy, UnitOfEnergy.KILO_WATT_HOUR),
                (KINDS[kind], hour.money, currency),
            ):
                if value is None or unit is None:
                    continue
                last = await self._last_row(_id(home, row_kind))
                if last is None:
                    if row_kind == kind:
                        return False
                    continue
                if last[0] < hour.start:
                    await self._write(
                        home, row_kind, unit, [(hour.start.timestamp(), value)], last[1]
                    )
        return True

    async def _import(
        self, home: Home, kind: str, fetch: Fetch, *, widen: bool
    ) -> None:
        now = dt_util.utcnow().replace(minute=0, second=0, microsecond=0)
        energy_id = _id(home, kind)
        last = await self._last_row(energy_id)
        # Live rows are newer than what Tibber has published: reach back to
        # Tibber's newest hour (entries from before it was kept: the last row).
        last_start = self._published.get(energy_id) or (last[0] if last else None)
        # The configured span (at least the window) once per statistic: at
        # first, when the span grew, and when a statistic still empty (a home
        # that never produced) sees its first data, which may reach further
        # back. Otherwise the window, or back to the last imported hour.
        full = energy_id not in self._spanned and (widen or last is None)
        hours = await self._hours(home.id, fetch, now, last_start, full=full)
        if last is None and not full and any(hours.energy):
            full = True
            hours = await self._hours(home.id, fetch, now, last_start, full=full)
        self._spanned.add(energy_id)
        if not hours or (
            kind == "production" and last is None and not any(hours.energy)
        ):
            return  # nothing yet, or a home that never produced
        self._published[energy_id] = dt_util.utc_from_timestamp(max(hours.start))
        window = dt_util.utc_from_timestamp(hours.start[0])
        for row_kind, unit, values in (
            (kind, UnitOfEnergy.KILO_WATT_HOUR, hours.energy),
            (KINDS[kind], hours.currency, hours.money),
        ):
            if unit is None:
                continue  # no price known: no money rows
            base, kept = await self._rows_from(_id(home, row_kind), window)
            # Tibber's value where it has one (an hour Tibber has no price for
            # gets no row, not a made-up 0), else the row already there.
            tibber = (
                (start, value)
                for start, value in zip(hours.start, values, strict=True)
                if not math.isnan(value)
            )
            if kept:
                kept.update(tibber)
                await self._write(home, row_kind, unit, sorted(kept.items()), base)
            else:  # Tibber's hours come oldest first
                await self._write(home, row_kind, unit, tibber, base)

    async def _write(
        self,
        home: Home,
        kind: str,
        unit: str,
        hours: Iterable[tuple[float, float]],
        base: float,
    ) -> None:
        """Write rows of `home`'s `kind` statistic (each hour's start in epoch
        seconds, and its value), sums going on from `base`.

        A batch of WRITE_BATCH rows at a time, each once the recorder has
        committed the one before: a year's rows at once, as dicts queued and
        then ORM objects, was the peak of the first import, and Python keeps
        the memory of such a peak (its arenas stay fragmented).
        """
        self._changed.add(home.id)
        metadata = StatisticMetaData(
            mean_type=StatisticMeanType.NONE,
            has_sum=True,
            name=self._names[kind].replace("{home}", home.name),
            source=DOMAIN,
            statistic_id=_id(home, kind),
            unit_class="energy" if kind in KINDS else None,
            unit_of_measurement=unit,
        )
        total = base
        batch: list[StatisticData] = []
        for start, value in hours:
            total += value
            batch.append(
                StatisticData(
                    start=dt_util.utc_from_timestamp(start), state=value, sum=total
                )
            )
            if len(batch) == WRITE_BATCH:
                async_add_external_statistics(self._hass, metadata, batch)
                batch = []
                await _written(self._hass)
        if batch:
            async_add_external_statistics(self._hass, metadata, batch)

    async def _hours(
        self,
        home_id: str,
        fetch: Fetch,
        now: datetime,
        last: datetime | None,
        *,
        full: bool,
    ) -> HourColumns:
        """The hours with energy from the start the import needs up to `now`."""
        if full:
            start = now - max(timedelta(days=self._days), TRAILING_WINDOW)
        elif last is None:
            start = now - TRAILING_WINDOW
        else:
            start = min(now - TRAILING_WINDOW, last + timedelta(hours=1))
        hours = int((now - start).total_seconds() // 3600)
        if hours <= 0:
            return HourColumns.join([])
        return (await fetch(home_id, hours)).measured_since(start.timestamp())

    async def _last_row(self, stat_id: str) -> tuple[datetime, float] | None:
        """The start and sum of the newest row (after the writes queued before)."""
        recorder = await _written(self._hass)
        last = await recorder.async_add_executor_job(
            get_last_statistics, self._hass, 1, stat_id, True, {"sum"}
        )
        if not last.get(stat_id):
            return None
        row = last[stat_id][0]
        return dt_util.utc_from_timestamp(row["start"]), float(row.get("sum") or 0.0)

    async def _rows_from(
        self, stat_id: str, start: datetime
    ) -> tuple[float, dict[float, float]]:
        """The sum of the last row before `start` (0 if none in a week), and the
        states of the rows from `start` on (by their start, epoch seconds)."""
        recorder = await _written(self._hass)
        rows = await recorder.async_add_executor_job(
            statistics_during_period,
            self._hass,
            start - timedelta(days=7),
            None,
            {stat_id},
            "hour",
            None,
            {"state", "sum"},
        )
        base = 0.0
        kept: dict[float, float] = {}
        since = start.timestamp()
        for row in rows.get(stat_id) or ():
            if row["start"] < since:
                base = float(row.get("sum") or 0.0)
            elif (state := row.get("state")) is not None:
                kept[row["start"]] = float(state)
        return base, kept


@dataclass(slots=True)
class _Barrier(RecorderTask):
    """Resolves its future once the recorder has run every task queued before it.

    The recorder takes a task off its queue before running it, so an empty
    queue (what `Recorder.async_block_till_done` looks at) does not mean that
    an import of statistics is committed; a task of our own, run in turn, does.
    """

    future: asyncio.Future[None]

    def run(self, instance: Recorder) -> None:
        """Wake the waiter on the event loop."""
        instance.hass.loop.call_soon_threadsafe(self._done)

    def _done(self) -> None:
        if not self.future.done():
            self.future.set_result(None)


@dataclass(slots=True)
class _Rename(RecorderTask):
    """Renames Powertracker's statistics found under an older id (in the
    recorder's thread, in turn with the writes); resolves its future with the
    ids renamed, old to new.

    `renames`: per id, the older id it had, and the end of an id under another
    home name. An id already in use is left as it is (never two of one home).
    """

    future: asyncio.Future[dict[str, str]]
    renames: dict[str, tuple[str, str]]

    def run(self, instance: Recorder) -> None:
        """Rename in one transaction; hand the outcome to the event loop."""
        renamed: dict[str, str] = {}
        try:
            meta = instance.statistics_meta_manager
            with session_scope(session=instance.get_session()) as session:
                taken = set(meta.get_many(session, statistic_source=DOMAIN))
                for new, (legacy, end) in self.renames.items():
                    if new in taken:
                        continue
                    old = legacy if legacy in taken else None
                    for stat_id in sorted(taken):
                        if old is None and stat_id.endswith(f"_hourly_{end}"):
                            old = stat_id
                    if old is None or old in renamed:
                        continue
                    meta.update_statistic_id(session, DOMAIN, old, new)
                    renamed[old] = new
                    taken = (taken - {old}) | {new}
        except Exception as err:  # handed to the waiter (run logs nothing)
            instance.hass.loop.call_soon_threadsafe(self._fail, err)
            return
        instance.hass.loop.call_soon_threadsafe(self._done, renamed)

    def _done(self, renamed: dict[str, str]) -> None:
        if not self.future.done():
            self.future.set_result(renamed)

    def _fail(self, err: Exception) -> None:
        if not self.future.done():
            self.future.set_exception(err)


async def _written(hass: HomeAssistant) -> Recorder:
    """The recorder, once the writes queued before have been committed."""
    recorder = get_instance(hass)
    future: asyncio.Future[None] = hass.loop.create_future()
    recorder.queue_task(_Barrier(future))
    try:
        async with asyncio.timeout(BARRIER_TIMEOUT):
            await future
    except TimeoutError:
        _LOGGER.debug("The recorder is slow to commit; reading what it has")
    return recorder
