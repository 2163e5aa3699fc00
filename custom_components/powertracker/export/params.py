"""Export parameters: one schema for the HTTP endpoint, the action and the image.

Compatible with the original exporter's query string (`output`, `graph`,
`aggregate`, `from`, `to`), but strict where it was silent: every unknown
value, unknown parameter, backwards or too long range is an error naming the
parameter. Dates are local (Home Assistant's time zone); `to` as a date means
through the end of that day.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

import voluptuous as vol

from .models import Aggregate, Graph, Output

DEFAULT_WIDTH = 1152
DEFAULT_HEIGHT = 288
MIN_SIZE, MAX_SIZE = 200, 4096
MAX_RANGE = {
    Aggregate.FIVE_MINUTES: timedelta(days=31),
    Aggregate.HOUR: timedelta(days=366 * 2),
    Aggregate.DAY: timedelta(days=366 * 20),
    Aggregate.WEEK: timedelta(days=366 * 20),
    Aggregate.MONTH: timedelta(days=366 * 20),
}
"""Longest range per aggregate (the 5m limit also meets the recorder's retention)."""
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


SCHEMA = vol.Schema(
    {
        vol.Optional("output", default=Output.CSV.value): vol.All(
            str, vol.Coerce(Output)
        ),
        vol.Optional("graph", default=Graph.HIST.value): vol.All(
            str, vol.Coerce(Graph)
        ),
        vol.Optional("aggregate", default=Aggregate.FIVE_MINUTES.value): vol.All(
            str, vol.Coerce(Aggregate)
        ),
        vol.Optional("from"): _instant,
        vol.Optional("to"): _instant,
        vol.Optional("home"): vol.All(str, vol.Length(min=1, max=100)),
        vol.Optional("width", default=DEFAULT_WIDTH): vol.All(
            vol.Coerce(int), vol.Range(min=MIN_SIZE, max=MAX_SIZE)
        ),
        vol.Optional("height", default=DEFAULT_HEIGHT): vol.All(
            vol.Coerce(int), vol.Range(min=MIN_SIZE // 2, max=MAX_SIZE)
        ),
    }
)
PARAMETERS = tuple(str(key) for key in SCHEMA.schema)
"""The export's parameter names (query string, action fields)."""


def _aware(value: date | datetime, tz: tzinfo, *, end: bool) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=tz)
    day = value + timedelta(days=1) if end else value
    return datetime.combine(day, time(), tz)


def parse(query: Mapping[str, Any], tz: tzinfo, now: datetime) -> ExportParams:
    """Validate a query; raise `ExportError` naming the first bad parameter.

    Defaults: CSV, hist, 5m, from today's local midnight up to now.
    """
    data = {key: value for key, value in query.items() if key not in IGNORED}
    try:
        valid = SCHEMA(data)
    except vol.MultipleInvalid as err:
        error = err.errors[0]
        parameter = str(error.path[0]) if error.path else None
        if error.error_message == "extra keys not allowed":
            raise ExportError(
                parameter,
                "unknown_parameter",
                f"Unknown parameter {parameter!r}",
                name=str(parameter),
            ) from err
        raise ExportError(
            parameter,
            "invalid_value",
            f"Invalid value for {parameter!r}: {error.error_message}",
            name=str(parameter),
            reason=error.error_message,
        ) from err
    local_now = now.astimezone(tz)
    start = _aware(valid.get("from", local_now.date()), tz, end=False)
    end = _aware(valid["to"], tz, end=True) if "to" in valid else local_now
    if start >= end:
        raise ExportError("from", "empty_range", "'from' must be before 'to'")
    aggregate = valid["aggregate"]
    if end - start > MAX_RANGE[aggregate]:
        days = str(MAX_RANGE[aggregate].days)
        raise ExportError(
            "to",
            "range_too_long",
            f"At most {days} days at aggregate {aggregate.value}; "
            "choose a shorter range or a larger aggregate",
            days=days,
            aggregate=aggregate.value,
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
    )
