"""Repair flows: one fixable issue, a notice to confirm (an archive set aside)."""

from __future__ import annotations

from homeassistant.components.repairs import ConfirmRepairFlow, RepairsFlow
from homeassistant.core import HomeAssistant


async def async_create_fix_flow(
    hass: HomeAssistant, issue_id: str, data: dict[str, str | int | float | None] | None
) -> RepairsFlow:
    """Confirming dismisses the notice: the renamed file stays where it is."""
    return ConfirmRepairFlow()
