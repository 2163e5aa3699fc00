"""The one place that knows Home Assistant 2025.4 from 2026.x.

- **Schemas**: 2026.10 replaced voluptuous with probatio and aliases
  `voluptuous` to it when `homeassistant` is imported, so `import voluptuous`
  is right at run time on every release. Only the types differ: 2026.10's
  signatures want probatio's classes. `vol` is probatio for the type checker
  where that Home Assistant is checked (Python 3.14), voluptuous otherwise.
  (`export/params.py` stays free of Home Assistant and uses voluptuous itself:
  its schema never reaches a Home Assistant signature.)
- **Options**: where `OptionsFlowWithReload` exists (not in 2025.4) it reloads
  the entry when the options change, and Home Assistant warns (2026.10; named
  to break in 2026.12) about an update listener while reauth and reconfigure
  reload. Releases without it get that listener instead: `RELOADS_ON_OPTIONS`
  says which one runs.
- **Devices**: 2026.x gives each config entry devices of its own and deprecates
  `remove_config_entry_id`; in 2025.4 a device may serve several entries, so
  an entry detaches itself instead of deleting what another entry still uses.
- **Statistics**: `StatisticMetaData.unit_class` is required from 2025.11 on;
  older releases reject unknown keys.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any, cast

import attr
from homeassistant import config_entries
from homeassistant.components.recorder.models import (
    StatisticMeanType,
    StatisticMetaData,
)
from homeassistant.helpers import device_registry as dr

if TYPE_CHECKING and sys.version_info >= (3, 14):
    import probatio as vol
else:
    import voluptuous as vol

if TYPE_CHECKING:
    from homeassistant.config_entries import OptionsFlow as OptionsFlowWithReload
else:
    OptionsFlowWithReload = getattr(
        config_entries, "OptionsFlowWithReload", config_entries.OptionsFlow
    )

RELOADS_ON_OPTIONS: bool = hasattr(config_entries, "OptionsFlowWithReload")
"""True where the options flow reloads the entry itself (no update listener)."""

_DEVICE_PER_ENTRY = "config_entry_id" in {a.name for a in attr.fields(dr.DeviceEntry)}
_HAS_UNIT_CLASS = "unit_class" in StatisticMetaData.__annotations__

__all__ = [
    "RELOADS_ON_OPTIONS",
    "OptionsFlowWithReload",
    "remove_entry_device",
    "statistic_metadata",
    "vol",
]


def remove_entry_device(
    registry: dr.DeviceRegistry, device: dr.DeviceEntry, entry_id: str
) -> None:
    """Take the entry's device away: delete it where it is the entry's own
    (2026.x), detach the entry where devices are shared (2025.4)."""
    if _DEVICE_PER_ENTRY:
        registry.async_remove_device(device.id)
    else:
        registry.async_update_device(device.id, remove_config_entry_id=entry_id)


def statistic_metadata(
    *,
    statistic_id: str,
    source: str,
    name: str,
    unit: str | None,
    unit_class: str | None,
) -> StatisticMetaData:
    """Metadata of a summed (not averaged) external statistic, for any release."""
    fields: dict[str, Any] = {
        "mean_type": StatisticMeanType.NONE,
        "has_sum": True,
        "name": name,
        "source": source,
        "statistic_id": statistic_id,
        "unit_of_measurement": unit,
    }
    if _HAS_UNIT_CLASS:  # 2025.11 and newer
        fields["unit_class"] = unit_class
    return cast("StatisticMetaData", fields)
