"""The repair issue that asks the user to accept a hub's new certificate."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir

from .api import HearthCertificateError
from .const import DOMAIN


def certificate_issue_id(entry_id: str) -> str:
    """Return the id of the repair issue for a changed certificate."""
    return f"certificate_changed_{entry_id}"


class CertificateIssue:
    """Opens the issue when the pinned certificate is refused; closes it after."""

    def __init__(self, hass: HomeAssistant, entry_id: str, title: str) -> None:
        """Pick up an issue that outlived a reload (it is closed by a good read)."""
        self._hass = hass
        self._entry_id = entry_id
        self._title = title
        self._issue_id = certificate_issue_id(entry_id)
        self.open = (
            ir.async_get(hass).async_get_issue(DOMAIN, self._issue_id) is not None
        )

    def raise_for(self, err: HearthCertificateError) -> None:
        """Open the issue for the certificate the hub presented, once."""
        if err.fingerprint is None or self.open:
            return
        self.open = True
        ir.async_create_issue(
            self._hass,
            DOMAIN,
            self._issue_id,
            is_fixable=True,
            is_persistent=False,
            severity=ir.IssueSeverity.ERROR,
            translation_key="certificate_changed",
            translation_placeholders={
                "title": self._title,
                "fingerprint": err.fingerprint,
            },
            data={"entry_id": self._entry_id, "fingerprint": err.fingerprint},
        )

    def clear(self) -> None:
        """Close the issue: the hub was reached with the pinned certificate."""
        if self.open:
            self.open = False
            ir.async_delete_issue(self._hass, DOMAIN, self._issue_id)
