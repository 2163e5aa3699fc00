"""Statistics rows written straight into the recorder, for the export's tests.

Home Assistant stamps states with `time.time()`, which the tests' clock does
not move, so 5-minute statistics cannot be compiled from polls in a test.
"""

from __future__ import annotations

from datetime import datetime

from homeassistant.components.recorder.db_schema import StatisticsShortTerm
from homeassistant.components.recorder.models import (
    StatisticData,
    StatisticMeanType,
    StatisticMetaData,
)
from homeassistant.components.recorder.statistics import async_import_statistics
from homeassistant.core import HomeAssistant
from homeassistant.helpers.recorder import get_instance, session_scope
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)


async def import_hourly(
    hass: HomeAssistant, entity_id: str, unit: str, rows: list[tuple[datetime, float]]
) -> None:
    """Hourly statistics of a sensor: (start, sum) rows."""
    metadata = StatisticMetaData(
        mean_type=StatisticMeanType.NONE,
        has_sum=True,
        name=entity_id,
        source="recorder",
        statistic_id=entity_id,
        unit_class=None,
        unit_of_measurement=unit,
    )
    async_import_statistics(
        hass,
        metadata,
        [StatisticData(start=start, state=total, sum=total) for start, total in rows],
    )
    await async_wait_recording_done(hass)


async def insert_short_term(
    hass: HomeAssistant, entity_id: str, rows: list[tuple[datetime, float]]
) -> None:
    """5-minute statistics rows of a sensor whose metadata exists: (start, sum)."""
    recorder = get_instance(hass)

    def insert() -> None:
        with session_scope(hass=hass) as session:
            found = recorder.statistics_meta_manager.get(session, entity_id)
            assert found is not None
            session.add_all(
                StatisticsShortTerm(
                    metadata_id=found[0],
                    created_ts=start.timestamp() + 300,
                    start_ts=start.timestamp(),
                    state=total,
                    sum=total,
                )
                for start, total in rows
            )

    await recorder.async_add_executor_job(insert)
    await async_wait_recording_done(hass)
