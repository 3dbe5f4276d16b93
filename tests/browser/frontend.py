"""What differs between the Home Assistant frontends that the browser tests walk.

The steps in test_browser.py are the same on every release: they look for
the same things and assert the same things. Where a release's frontend shows
a thing another way (another route after login, another sidebar, a dialog's
title drawn differently, another label, another ARIA role, a logbook that
says less), the way is written here, once per release, and nowhere else. A
release without a row here is skipped: its frontend has not been walked.

Fields that find an element are Playwright selectors: CSS (which pierces
the frontend's shadow roots, so it names an element wherever it is
rendered), or ``role=``/``text=`` where the element is best known by what it
says. The others are labels, paths and ARIA roles. Home Assistant pins its
frontend, so a release (year.month) names one frontend.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from homeassistant.const import __version__ as ha_version
from playwright.sync_api import Locator, Page


@dataclass(frozen=True, kw_only=True)
class Frontend:
    """How one release's frontend shows what the steps look for."""

    #: The ``home-assistant-frontend`` release that the row was written against.
    frontend: str
    #: Where a browser lands after logging in: the default dashboard.
    landing_path: str
    #: The sidebar's link to Settings.
    settings_link: str
    #: The title of a config or options flow's dialog, ``{title}`` filled in.
    flow_title: str
    #: Add integration's search field.
    brand_search: str
    #: The choice after picking Hearth, when a hub was discovered, of adding
    #: another one by hand.
    another_instance: str
    #: The flow dialog once the entry is created: what it says...
    entry_created: str
    #: ... how it lists a device of the new entry, ``{name}`` filled in...
    created_device: str
    #: ... and the button that closes it.
    created_done: str
    #: A dashboard view with a row, and a toggle, for each entity of the hub.
    dashboard_path: str
    #: The entity's name at the top of the more-info dialog.
    more_info_title: str
    #: The ARIA roles of the more-info dialog's effect control and of its choices.
    effect_control: Literal["combobox", "button"]
    effect_choice: Literal["option", "menuitem"]
    #: The messages of the logbook in an entity's more-info dialog, newest first...
    logbook_message: str
    #: ... and what one says of a button press, ``{event_type}`` filled in
    #: with the press's translated event type.
    logbook_press: str
    #: How Settings > Updates names an update: ``{entity}`` is its entity's
    #: name (with its device's), ``{device}`` its device's.
    update_listed: str
    #: A confirmation dialog's button that says yes ("Do you want to set up
    #: Hearth?"), and a flow dialog's close button: found by where they are,
    #: since their labels follow the user's language.
    confirm_button: str
    flow_close: str

    def flow_title_in(self, dialog: Locator, title: str) -> Locator:
        """Return a flow dialog's title, if it is ``title``."""
        return dialog.locator(self.flow_title.format(title=title))

    def created_device_in(self, dialog: Locator, name: str) -> Locator:
        """Return the device ``name`` as the dialog of a created entry lists it."""
        return dialog.locator(self.created_device.format(name=name))

    def logbook_says(self, event_type: str) -> str:
        """Return what the logbook says of a press whose event type reads ``event_type``."""
        return self.logbook_press.format(event_type=event_type)

    def update_in(self, page: Page, entity: str, device: str) -> Locator:
        """Return the update of entity ``entity`` on device ``device`` in Settings > Updates."""
        return page.get_by_text(
            self.update_listed.format(entity=entity, device=device), exact=True
        )


#: Keyed by Home Assistant release (year.month), each pinning its frontend.
FRONTENDS: dict[str, Frontend] = {
    "2025.4": Frontend(
        frontend="20250411.0",
        landing_path="/lovelace/0",
        settings_link='a[data-panel="config"]',
        flow_title='role=heading[name="{title}"]',
        brand_search='role=textbox[name="Search for a brand name"]',
        another_instance="Setup another instance of Hearth",
        entry_created="Created configuration for Hearth Hub.",
        created_device="text={name}",
        created_done="Finish",
        dashboard_path="/lovelace/0",
        more_info_title="#title",
        effect_control="combobox",
        effect_choice="option",
        logbook_message="ha-logbook-renderer .entry .message",
        # This logbook says only that an event happened, not which.
        logbook_press="detected an event",
        update_listed="{entity}",
        confirm_button="dialog-box ha-button[dialoginitialfocus]",
        flow_close='ha-icon-button[dialogaction="close"]',
    ),
    # The overview is the new "home" dashboard; its Devices view shows the
    # devices without an area (all of the emulator's) with a row per entity.
    # Dialogs draw their title in a header slot, not as a heading. A created
    # entry opens on naming its devices and assigning them to areas.
    "2026.10": Frontend(
        frontend="20260930.5",
        landing_path="/home/overview",
        settings_link='ha-sidebar ha-list-item-button[href="/config"]',
        flow_title='[slot="headerTitle"]:has-text("{title}")',
        brand_search='input[placeholder="Search for a brand name"]',
        another_instance="Set up another instance of Hearth",
        entry_created="Name and assign",
        created_device='input[placeholder="{name}"]',
        created_done="Skip and finish",
        dashboard_path="/home/other-devices",
        more_info_title='[slot="headerTitle"] .main',
        effect_control="button",
        effect_choice="menuitem",
        logbook_message="ha-logbook-entry .primary-text",
        logbook_press="{event_type}",
        update_listed="{device}",
        confirm_button='dialog-box ha-button[slot="primaryAction"]',
        flow_close='ha-icon-button[slot="headerNavigationIcon"]',
    ),
}

#: The running release (year.month), and its row: None where the steps have
#: not been walked.
RELEASE = ".".join(ha_version.split(".")[:2])
FRONTEND: Frontend | None = FRONTENDS.get(RELEASE)
#: The release whose frontend the README's pictures (docs/images) show: the
#: newest, what users see.
SCREENSHOTS_RELEASE = "2026.10"
