"""The one place that knows Home Assistant 2025.4 from 2026.x.

- `StatisticMetaData.unit_class` exists only in newer releases (2025.11+),
  where the recorder expects it; older ones reject unknown keys.
"""

from __future__ import annotations

from homeassistant.components.recorder.models import (
    StatisticMeanType,
    StatisticMetaData,
)

_HAS_UNIT_CLASS = "unit_class" in StatisticMetaData.__annotations__


def statistic_metadata(
    *,
    statistic_id: str,
    source: str,
    name: str,
    unit: str | None,
    unit_class: str | None,
) -> StatisticMetaData:
    """Metadata of a summed (not averaged) external statistic, for any release."""
    metadata = StatisticMetaData(
        mean_type=StatisticMeanType.NONE,
        has_sum=True,
        name=name,
        source=source,
        statistic_id=statistic_id,
        unit_of_measurement=unit,
    )
    if _HAS_UNIT_CLASS:  # pragma: no cover - Home Assistant 2025.11 and newer
        metadata["unit_class"] = unit_class  # type: ignore[typeddict-unknown-key]
    return metadata
