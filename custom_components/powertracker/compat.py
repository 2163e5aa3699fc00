"""The one place that knows Home Assistant releases apart (2026.3 to 2026.11).

- **Schemas**: 2026.10 replaced voluptuous with probatio and aliases
  `voluptuous` to it when `homeassistant` is imported, so `import voluptuous`
  is right at run time on every release. Only the types differ: 2026.10's
  signatures want probatio's classes. `vol` is probatio for the type checker;
  where probatio is missing (before 2026.10) it is untyped there (pyproject's
  mypy overrides), and those releases' signatures take voluptuous's classes.
  (`export/params.py` stays free of Home Assistant and uses voluptuous itself:
  its schema never reaches a Home Assistant signature.)
- **Devices**: 2026.10 gives each config entry devices of its own and deprecates
  `remove_config_entry_id`; in 2026.3 a device may serve several entries, so
  an entry detaches itself instead of deleting what another entry still uses.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import attr
from homeassistant.helpers import device_registry as dr

if TYPE_CHECKING:
    import probatio as vol
else:
    import voluptuous as vol

_DEVICE_PER_ENTRY = "config_entry_id" in {a.name for a in attr.fields(dr.DeviceEntry)}

__all__ = ["remove_entry_device", "vol"]


def remove_entry_device(
    registry: dr.DeviceRegistry, device: dr.DeviceEntry, entry_id: str
) -> None:
    """Take the entry's device away: delete it where it is the entry's own
    (2026.10), detach the entry where devices are shared (2026.3)."""
    if _DEVICE_PER_ENTRY:
        registry.async_remove_device(device.id)
    else:
        registry.async_update_device(device.id, remove_config_entry_id=entry_id)
