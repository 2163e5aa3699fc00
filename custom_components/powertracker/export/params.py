"""Export parameters: one schema for the HTTP endpoint, the action and the image.

Compatible with the original exporter's query string (`output`, `graph`,
`aggregate`, `from`, `to`), but strict where it was silent: every unknown
value, unknown parameter, backwards or too long range is an error naming the
parameter. Dates are local (Home Assistant's time zone); `to` as a date means
through the end of that day.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from enum import StrEnum
from typing import Any

import voluptuous as vol

from .models import DEFAULT_HEIGHT, DEFAULT_WIDTH, Aggregate, Graph, Output, ReadFrom

MIN_SIZE, MAX_SIZE = 200, 4096
MAX_RANGE = {
    Aggregate.FIVE_MINUTES: timedelta(days=366),
    Aggregate.QUARTER_HOUR: timedelta(days=366),
    Aggregate.HOUR: timedelta(days=366 * 2),
    Aggregate.DAY: timedelta(days=366 * 20),
    Aggregate.WEEK: timedelta(days=366 * 20),
    Aggregate.MONTH: timedelta(days=366 * 20),
}
"""Longest range per aggregate (a year at 5m: about 105,000 rows per home)."""
MAX_SAMPLES_RANGE = MAX_RANGE[Aggregate.FIVE_MINUTES]
"""Longest range read from the archive or the sink, whatever the aggregate."""
FIVE_MINUTE_AGGREGATES = frozenset({Aggregate.FIVE_MINUTES, Aggregate.QUARTER_HOUR})
"""The aggregates made of five-minute rows (a quarter-hour is three)."""
ROW_SECONDS = dict.fromkeys(Aggregate, 3600) | dict.fromkeys(
    FIVE_MINUTE_AGGREGATES, 300
)
"""The statistics rows an aggregate reads: 5-minute, else hourly (on the UTC hour)."""
IGNORED = frozenset({"authSig"})
"""Parameters that belong to Home Assistant (signed paths), not to the export."""


class ExportError(Exception):
    """A request the export cannot serve; `key` is its translation key."""

    def __init__(
        self, parameter: str | None, key: str, message: str, **placeholders: str
    ) -> None:
        """`message` is the English text (HTTP); `key` + placeholders translate it."""
        super().__init__(message)
        self.parameter = parameter
        self.key = key
        self.placeholders = placeholders


@dataclass(frozen=True, slots=True)
class ExportParams:
    """A validated export request; `start`/`end` are aware, `end` exclusive."""

    output: Output
    graph: Graph
    aggregate: Aggregate
    start: datetime
    end: datetime
    home: str | None
    width: int
    height: int
    source: ReadFrom = ReadFrom.AUTO

    @property
    def reads_samples(self) -> bool:
        """Whether the export reads five-minute rows (else hourly statistics)."""
        return self.aggregate in FIVE_MINUTE_AGGREGATES or self.source in (
            ReadFrom.ARCHIVE,
            ReadFrom.SINK,
        )


def _instant(value: Any) -> date | datetime:
    """`YYYY-MM-DD` or an ISO 8601 date-time, in the years 2000-2100."""
    if isinstance(value, date):  # datetime is a date too
        parsed = value
    else:
        text = str(value).strip()
        try:
            parsed = (
                date.fromisoformat(text)
                if len(text) == 10
                else datetime.fromisoformat(text)
            )
        except ValueError as err:
            raise vol.Invalid("not a date (YYYY-MM-DD) or ISO 8601 date-time") from err
    if not 2000 <= parsed.year <= 2100:
        raise vol.Invalid("outside the years 2000-2100")
    return parsed


def _pixels(value: Any) -> int:
    """A whole number of pixels: an int, a whole float (UI number fields), or
    ASCII digits (`int()` would also take `1_000`, `+300` or other scripts'
    digits)."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return int(value)
    raise vol.Invalid("expected a whole number of pixels")


def _choice(kind: type[StrEnum]) -> vol.All:
    """One of the values of `kind`, named in the error."""
    values = [member.value for member in kind]
    return vol.All(
        str,
        vol.In(values, msg=f"expected one of {', '.join(values)}"),
        vol.Coerce(kind),
    )


SCHEMA = vol.Schema(
    {
        vol.Optional("output", default=Output.CSV.value): _choice(Output),
        vol.Optional("graph", default=Graph.HIST.value): _choice(Graph),
        vol.Optional("aggregate", default=Aggregate.FIVE_MINUTES.value): _choice(
            Aggregate
        ),
        vol.Optional("from"): _instant,
        vol.Optional("to"): _instant,
        vol.Optional("home"): vol.All(str, vol.Length(min=1, max=100)),
        vol.Optional("source", default=ReadFrom.AUTO.value): _choice(ReadFrom),
        vol.Optional("width", default=DEFAULT_WIDTH): vol.All(
            _pixels, vol.Range(min=MIN_SIZE, max=MAX_SIZE)
        ),
        vol.Optional("height", default=DEFAULT_HEIGHT): vol.All(
            _pixels, vol.Range(min=MIN_SIZE // 2, max=MAX_SIZE)
        ),
    }
)
PARAMETERS = tuple(str(key) for key in SCHEMA.schema)
"""The export's parameter names (query string, action fields)."""


def _shown(name: str) -> str:
    """A parameter name as errors repeat it (a client may send anything)."""
    return name if len(name) <= 40 else f"{name[:40]}..."


def _floor(moment: datetime, seconds: int) -> datetime:
    """`moment` down to a multiple of `seconds` since the epoch (a row's start)."""
    stamp = int(moment.timestamp()) // seconds * seconds
    return datetime.fromtimestamp(stamp, UTC).astimezone(moment.tzinfo)


def _aware(value: date | datetime, tz: tzinfo, *, end: bool) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=tz)
    day = value + timedelta(days=1) if end else value
    return datetime.combine(day, time(), tz)


def parse(query: Mapping[str, Any], tz: tzinfo, now: datetime) -> ExportParams:
    """Validate a query; raise `ExportError` naming the first bad parameter.

    Defaults: CSV, hist, 5m, from today's local midnight up to now (whole
    seconds). An ISO `from` inside a statistics row starts at that row, as an
    ISO `to` inside one includes it.
    """
    counts = Counter(key for key, _ in query.items())  # a query string may repeat
    for key, count in counts.items():
        if count > 1 and key not in IGNORED:
            raise ExportError(
                _shown(key),
                "invalid_value",
                f"Invalid value for {_shown(key)!r}: given {count} times",
                name=_shown(key),
                reason=f"given {count} times",
            )
    data = {key: value for key, value in query.items() if key not in IGNORED}
    # Named here, not recognised in the schema library's error text (which
    # voluptuous and probatio word differently).
    for key in data:
        if key not in PARAMETERS:
            raise ExportError(
                _shown(str(key)),
                "unknown_parameter",
                f"Unknown parameter {_shown(str(key))!r}",
                name=_shown(str(key)),
            )
    try:
        valid = SCHEMA(data)
    except vol.MultipleInvalid as err:
        error = err.errors[0]
        parameter = _shown(str(error.path[0])) if error.path else None
        raise ExportError(
            parameter,
            "invalid_value",
            f"Invalid value for {parameter!r}: {error.error_message}",
            name=str(parameter),
            reason=error.error_message,
        ) from err
    local_now = now.astimezone(tz).replace(microsecond=0)
    aggregate = valid["aggregate"]
    start = _aware(valid.get("from", local_now.date()), tz, end=False)
    if isinstance(valid.get("from"), datetime):  # the row it falls in counts whole
        start = _floor(start, ROW_SECONDS[aggregate])
    end = _aware(valid["to"], tz, end=True) if "to" in valid else local_now
    if start >= end:
        raise ExportError(
            "from", "empty_range", "'from' (default: today) must be before 'to'"
        )
    source = valid["source"]
    if end - start > MAX_RANGE[aggregate]:
        days = str(MAX_RANGE[aggregate].days)
        raise ExportError(
            "from" if "from" in valid else "to",  # the end the caller chose
            "range_too_long",
            f"At most {days} days at aggregate {aggregate.value}; "
            "choose a shorter range or a larger aggregate",
            days=days,
            aggregate=aggregate.value,
        )
    if source in (ReadFrom.ARCHIVE, ReadFrom.SINK) and end - start > MAX_SAMPLES_RANGE:
        days = str(MAX_SAMPLES_RANGE.days)
        raise ExportError(
            "from" if "from" in valid else "to",
            "range_too_long_samples",
            f"At most {days} days from source {source.value}, which reads every "
            "five-minute sample; choose a shorter range, or source=auto",
            days=days,
            source=source.value,
        )
    return ExportParams(
        output=valid["output"],
        graph=valid["graph"],
        aggregate=aggregate,
        start=start,
        end=end,
        home=valid.get("home"),
        width=valid["width"],
        height=valid["height"],
        source=source,
    )
