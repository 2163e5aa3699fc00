"""One export for every caller (view, action, image): validate, read, render."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from functools import partial

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.helpers.recorder import get_instance
from homeassistant.util import dt as dt_util, slugify

from ..const import CONF_HOMES, DOMAIN
from ..data import PowertrackerConfigEntry, loaded_entry
from ..entity import device_home_id
from ..meter.tariff import month_of
from ..sink.models import SinkError
from .aggregate import aggregate
from .csv import csv_chunks
from .models import (
    Aggregate,
    CapacityMarks,
    ExportHome,
    Gap,
    HomeBuckets,
    Output,
    Series,
)
from .params import ExportError, ExportParams
from .read import read_series
from .recorder import home_sensor
from .texts import chart_title

_LOGGER = logging.getLogger(__name__)
_BASIS = {Aggregate.HOUR: "hour", Aggregate.QUARTER_HOUR: "quarter"}
"""The aggregate whose buckets are a capacity tariff's periods."""


@dataclass(frozen=True, slots=True)
class ExportResult:
    """A rendered export."""

    chunks: Iterator[bytes]
    """The body, in pieces to be drawn one at a time in an executor (a CSV is
    formatted as it is sent)."""
    content_type: str
    filename: str
    rows: int
    """Buckets rendered (CSV rows without the header)."""
    missing: list[Gap]
    """Time without rows: a store that did not answer, or before the data begins."""


MISSING_HEADER = "X-Powertracker-Missing"
"""The HTTP header that says what an export could not fill."""


def missing(gaps: list[Gap], tz: tzinfo) -> list[dict[str, str | None]]:
    """The gaps as the action returns them: home, from, to (local ISO times),
    the store that did not answer or refused (None: no store holds rows
    there) and `reason`: `no_answer`, `refused` or `no_data`."""
    return [
        {
            "home": gap.home_name,
            "from": _local(gap.start, tz),
            "to": _local(gap.end, tz),
            "store": gap.store,
            "reason": _reason(gap),
        }
        for gap in gaps
    ]


def _reason(gap: Gap) -> str:
    if gap.store is None:
        return "no_data"
    return "refused" if gap.refused else "no_answer"


_SAID = {"no_answer": "did not answer", "refused": "refused", "no_data": "no data"}


def missing_header(gaps: list[Gap], tz: tzinfo) -> str:
    """The gaps as one header line, ASCII (a database may be named in any
    script): `<home>: <from>/<to> <store> did not answer` (or `refused`), or
    `... no data` for the time before a home's data begins; `; ` between gaps."""
    line = "; ".join(
        f"{gap['home']}: {gap['from']}/{gap['to']} "
        + " ".join(filter(None, (gap["store"], _SAID[str(gap["reason"])])))
        for gap in missing(gaps, tz)
    )
    return line.encode("ascii", "backslashreplace").decode("ascii")


def _local(stamp: float, tz: tzinfo) -> str:
    return datetime.fromtimestamp(stamp, tz).isoformat()


def export_homes(hass: HomeAssistant, home: str | None) -> list[ExportHome]:
    """The homes of every entry, or the one asked for (404 if unknown).

    An entry that is not loaded (setup retrying while Tibber is unreachable,
    say) still has its recorded usage: its homes come from the registries.
    """
    homes: list[ExportHome] = []
    for entry in hass.config_entries.async_entries(DOMAIN, include_disabled=False):
        if entry.state is ConfigEntryState.LOADED:
            homes += _polled(entry)
        else:
            homes += _registered(hass, entry.entry_id, entry.data[CONF_HOMES])
    if home is None:
        return homes
    chosen = [entry for entry in homes if entry.home_id == home]
    if not chosen:
        raise ExportError("home", "unknown_home", f"No home {home!r}", home=home)
    return chosen


def _polled(entry: PowertrackerConfigEntry) -> list[ExportHome]:
    """The homes of a loaded entry as the last poll saw them, with the stores
    its runtime data hands over."""
    data = entry.runtime_data
    stores = data.readers
    return [
        ExportHome(
            state.home.id,
            state.home.name,
            state.currency,
            stores.archive,
            stores.sink,
            stores.sink_name,
        )
        for state in data.coordinator.data.values()
    ]


def _registered(
    hass: HomeAssistant, entry_id: str, home_ids: list[str]
) -> list[ExportHome]:
    """The entry's homes that have a device: its name, the unit of a cost sensor."""
    devices, entities = dr.async_get(hass), er.async_get(hass)
    by_home = {
        device_home_id(device.identifiers): device
        for device in dr.async_entries_for_config_entry(devices, entry_id)
    }
    homes = []
    for home_id in home_ids:
        if (device := by_home.get(home_id)) is None:
            continue  # never set up: nothing recorded
        costs = (
            home_sensor(entities, home_id, key) for key in ("cost_today", "hourly_cost")
        )
        units = (entities.async_get(entity_id) for entity_id in costs if entity_id)
        currency = next((e.unit_of_measurement for e in units if e), None)
        homes.append(ExportHome(home_id, device.name or home_id, currency))
    return homes


def _aggregate(
    series: list[Series], params: ExportParams, tz: tzinfo
) -> list[HomeBuckets]:
    return [
        aggregate(one, params.aggregate, params.start, params.end, tz) for one in series
    ]


def render_chart(
    buckets: list[HomeBuckets],
    params: ExportParams,
    tz: tzinfo,
    *,
    title: str,
    language: str,
    font: float | None = None,
    marks: CapacityMarks | None = None,
) -> bytes:
    """The PNG of `buckets` (CPU work for Home Assistant's executor)."""
    from .png import render_png  # noqa: PLC0415 - matplotlib takes ~2 s to import

    return render_png(
        buckets,
        params.graph,
        params.aggregate,
        width=params.width,
        height=params.height,
        tz=tz,
        title=title,
        font=font,
        language=language,
        marks=marks,
    )


async def read_buckets(
    hass: HomeAssistant, params: ExportParams
) -> tuple[list[HomeBuckets], list[Gap]]:
    """The buckets of an export and the time it has no rows for (raises
    `ExportError` for what the caller got wrong, `StoreError` for a store read
    on its own that did not answer)."""
    series, gaps = await read_series(hass, export_homes(hass, params.home), params)
    tz = dt_util.get_default_time_zone()
    buckets = await get_instance(hass).async_add_executor_job(
        _aggregate, series, params, tz
    )
    return buckets, gaps


async def read_marks(hass: HomeAssistant, params: ExportParams) -> CapacityMarks | None:
    """The capacity tariff's month for a chart of one home with a tariff, at
    the tariff's period (1h, or 15m), over a range inside one month (its
    local month): what the *Capacity peak* sensor and the `capacity_peaks`
    action tell of it. None for any other chart, or when the archive of a
    quarter-hour tariff does not answer (the chart is drawn without)."""
    home_id = params.home
    entry = None if home_id is None else loaded_entry(hass, home_id)
    if entry is None or home_id is None:
        return None
    tracker = entry.runtime_data.capacity
    rule = tracker.rule(home_id)
    if rule is None or _BASIS.get(params.aggregate) != rule.basis:
        return None
    zone = entry.runtime_data.coordinator.zones[home_id]
    last = params.end - timedelta(microseconds=1)
    if month_of(params.start, zone) != month_of(last, zone):
        return None
    try:
        month = await tracker.async_month(home_id, params.start)
    except SinkError as err:
        _LOGGER.warning("The chart has no capacity peaks: %s", err)
        return None
    if month is None:
        return None
    return CapacityMarks(
        peaks=tuple(
            (datetime.fromisoformat(peak.start).timestamp(), peak.kw)
            for peak in month.peaks
        ),
        billed_kw=month.billed_kw,
        period_seconds=rule.seconds,
    )


def export_title(hass: HomeAssistant, params: ExportParams, homes: list[str]) -> str:
    """The title of a chart of `params` showing `homes`, in Home Assistant's
    language and time zone: the same for an exported PNG and the usage chart."""
    return chart_title(
        homes,
        params.graph,
        params.aggregate,
        params.start,
        params.end,
        tz=dt_util.get_default_time_zone(),
        language=hass.config.language,
        now=dt_util.utcnow(),
    )


async def export_png(
    hass: HomeAssistant,
    params: ExportParams,
    buckets: list[HomeBuckets],
    marks: CapacityMarks | None,
) -> bytes:
    """The exported PNG of `buckets`: titled, in Home Assistant's language and
    time zone, with `marks` (drawn in Home Assistant's executor)."""
    return await hass.async_add_executor_job(
        partial(
            render_chart,
            buckets,
            params,
            dt_util.get_default_time_zone(),
            title=export_title(hass, params, [home.home_name for home in buckets]),
            language=hass.config.language,
            marks=marks,
        )
    )


async def run_export(hass: HomeAssistant, params: ExportParams) -> ExportResult:
    """Serve an export request (raises as `read_buckets`)."""
    tz = dt_util.get_default_time_zone()
    buckets, gaps = await read_buckets(hass, params)
    if params.output is Output.CSV:
        chunks = csv_chunks(buckets, tz)
    else:
        png = await export_png(hass, params, buckets, await read_marks(hass, params))
        chunks = iter((png,))
    return ExportResult(
        chunks=chunks,
        content_type="text/csv" if params.output is Output.CSV else "image/png",
        filename=_filename(params, buckets, tz),
        rows=sum(len(home) for home in buckets),
        missing=gaps,
    )


def _filename(params: ExportParams, buckets: list[HomeBuckets], tz: tzinfo) -> str:
    """`powertracker_<home>_<start>_<aggregate>.<output>`: the home (when one
    was asked for) keeps one home's file from replacing another's."""
    local = params.start.astimezone(tz).strftime("%Y%m%dT%H%M")
    homes = [slugify(home.home_name) for home in buckets] if params.home else []
    parts = ["powertracker", *homes, local]
    return f"{'_'.join(parts)}_{params.aggregate.value}.{params.output.value}"
