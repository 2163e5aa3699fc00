"""One Timestream multi-measure record per sample (pure; tested with the sink).

- dimension `home_id` (the only dimension: it names the series);
- measure name `powertracker`, type `MULTI`: a DOUBLE per value of
  `models.MEASURES` that is set and finite, and `currency` as VARCHAR when
  known. Currency is a measure, not a dimension: a dimension would split a
  home's series whenever the currency changed, and one that is sometimes
  missing makes a different series as well;
- `Time`: Tibber's measurement timestamp in epoch milliseconds, so samples of
  one home within the same millisecond are one record;
- `Version` 1, always: Timestream identifies a record by its dimensions, measure
  name and time, so a re-send of the same values is an idempotent upsert.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, Final

from .models import Sample

MEASURE_NAME: Final = "powertracker"
"""The measure name of every record (the multi-measure record's name)."""
HOME_DIMENSION: Final = "home_id"
RECORD_VERSION: Final = 1

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_MILLISECOND: Final = timedelta(milliseconds=1)
_MAX_DIMENSION_VALUE_BYTES: Final = 2048


def sample_record(sample: Sample) -> dict[str, Any] | None:
    """The Timestream record of `sample`, or None if it has nothing storable."""
    home = sample.home_id
    if (
        sample.time.utcoffset() is None
        or not home
        or len(home.encode()) > _MAX_DIMENSION_VALUE_BYTES
    ):
        return None
    values = [
        {"Name": name, "Value": repr(value), "Type": "DOUBLE"}
        for name, value in sample.measures()
    ]
    if not values:
        return None
    if sample.currency:
        values.append({"Name": "currency", "Value": sample.currency, "Type": "VARCHAR"})
    return {
        "Dimensions": [{"Name": HOME_DIMENSION, "Value": home}],
        "MeasureName": MEASURE_NAME,
        "MeasureValueType": "MULTI",
        "MeasureValues": values,
        "Time": str((sample.time - _EPOCH) // _MILLISECOND),
        "TimeUnit": "MILLISECONDS",
        "Version": RECORD_VERSION,
    }
