"""InfluxDB line protocol for samples: pure text, no I/O.

One line per `Sample`: measurement `powertracker` (configurable), tags
`home_id` and, when known, `currency`, a float field per value of
`models.MEASURES` that is set and finite, and Tibber's timestamp in whole
seconds (written with ``precision=s``/``second``).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Final

from .models import Sample

DEFAULT_MEASUREMENT: Final = "powertracker"
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_SECOND: Final = timedelta(seconds=1)
_MEASUREMENT_SPECIALS: Final = ", "
_KEY_SPECIALS: Final = ",= "
_BEFORE_NOTHING: Final = "\\,= "


def _escape(text: str, specials: str, what: str) -> str:
    """`text` for line protocol: a backslash before each of `specials`.

    Literal backslashes stay as they are: InfluxDB 1.x/2.x keep ``\\\\`` as two
    characters while 3.x reads it as one, so a backslash at the end or before a
    backslash, comma, equals sign or space means different things to different
    servers. Such text, empty text and control characters raise ValueError.
    """
    if not text:
        raise ValueError(f"empty {what}")
    for index, char in enumerate(text):
        if char < " " or char == "\x7f":
            raise ValueError(f"{what} {text!r} contains a control character")
        if char == "\\" and text[index + 1 : index + 2] in ("", *_BEFORE_NOTHING):
            raise ValueError(
                f"{what} {text!r} has a backslash line protocol cannot carry "
                "(at the end, or before a backslash, comma, equals sign or space)"
            )
    return "".join(f"\\{char}" if char in specials else char for char in text)


def escape_measurement(name: str) -> str:
    """A measurement name for line protocol (commas and spaces escaped)."""
    if name.startswith("#"):
        raise ValueError(f"measurement {name!r} would read as a comment")
    return _escape(name, _MEASUREMENT_SPECIALS, "measurement")


def escape_key(text: str, what: str = "tag value") -> str:
    """A tag key, tag value or field key (commas, equals signs, spaces escaped)."""
    return _escape(text, _KEY_SPECIALS, what)


def timestamp_seconds(time: datetime) -> int:
    """Whole seconds since the epoch (rounded down) of an aware datetime."""
    if time.utcoffset() is None:
        raise ValueError(f"timestamp {time.isoformat()} has no time zone")
    return (time - _EPOCH) // _SECOND


def line(sample: Sample, measurement: str = DEFAULT_MEASUREMENT) -> str:
    """One line of InfluxDB line protocol for `sample` (no trailing newline).

    ``<measurement>[,currency=<c>],home_id=<id> <field>=<f>[,...] <s>`` with
    tags sorted by key, the fields of `Sample.measures` (so TypeError if a value
    is not a number), and the timestamp in seconds (write with
    ``precision=s``/``second``). ValueError if no field is left, or if the
    measurement, home id or currency cannot be written (see `_escape`) or the
    time is naive.
    """
    tags = {"home_id": sample.home_id}
    if sample.currency:
        tags["currency"] = sample.currency
    tag_set = "".join(
        f",{escape_key(key, 'tag key')}={escape_key(value, f'{key} tag')}"
        for key, value in sorted(tags.items())
    )
    fields = ",".join(f"{name}={value!r}" for name, value in sample.measures())
    if not fields:
        raise ValueError(f"sample of home {sample.home_id!r} has no finite value")
    return (
        f"{escape_measurement(measurement)}{tag_set} {fields} "
        f"{timestamp_seconds(sample.time)}"
    )
