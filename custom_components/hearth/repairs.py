"""Repairs: accept a hub's new TLS certificate."""

from __future__ import annotations

from typing import cast

from homeassistant.components.repairs import RepairsFlow
from homeassistant.core import HomeAssistant
import voluptuous as vol

from .const import CONF_FINGERPRINT

try:
    from homeassistant.components.repairs import (  # type: ignore[attr-defined,unused-ignore]
        RepairsFlowResult,
    )
except ImportError:  # Releases that type repair flows with the generic result.
    from homeassistant.data_entry_flow import (  # type: ignore[assignment,unused-ignore]
        FlowResult as RepairsFlowResult,
    )


class CertificateChangedRepairFlow(RepairsFlow):
    """Pin the certificate the hub now presents, once the user agrees."""

    def __init__(self, entry_id: str, fingerprint: str) -> None:
        """Keep what the issue recorded."""
        self._entry_id = entry_id
        self._fingerprint = fingerprint

    async def async_step_init(
        self, user_input: dict[str, str] | None = None
    ) -> RepairsFlowResult:
        """Start with the confirmation."""
        return await self.async_step_confirm()

    async def async_step_confirm(
        self, user_input: dict[str, str] | None = None
    ) -> RepairsFlowResult:
        """Show the new fingerprint; on confirmation pin it and reload."""
        entry = self.hass.config_entries.async_get_entry(self._entry_id)
        if entry is None:
            return self.async_abort(reason="entry_removed")
        if user_input is not None:
            self.hass.config_entries.async_update_entry(
                entry, data={**entry.data, CONF_FINGERPRINT: self._fingerprint}
            )
            self.hass.config_entries.async_schedule_reload(entry.entry_id)
            return self.async_create_entry(data={})
        return self.async_show_form(
            step_id="confirm",
            data_schema=vol.Schema({}),
            description_placeholders={
                "title": entry.title,
                "fingerprint": self._fingerprint,
            },
        )


async def async_create_fix_flow(
    hass: HomeAssistant, issue_id: str, data: dict[str, str | int | float | None] | None
) -> RepairsFlow:
    """Create the flow that fixes an issue of this integration."""
    if data is None:
        raise ValueError(f"Repair issue {issue_id} carries no data")
    return CertificateChangedRepairFlow(
        cast("str", data["entry_id"]), cast("str", data["fingerprint"])
    )
