"""Home Assistant's reports of deprecated uses fail the test they happen in."""

from __future__ import annotations

import logging
import warnings

from homeassistant.core import HomeAssistant
from homeassistant.helpers import frame
from homeassistant.loader import async_get_integration
import pytest

from custom_components.hearth.const import DOMAIN
from tests.harness.deprecations import DeprecationReports


async def test_frame_report_is_caught(
    hass: HomeAssistant, deprecation_reports: DeprecationReports
) -> None:
    """A report_usage naming Hearth is collected (and would fail the test)."""
    await async_get_integration(hass, DOMAIN)
    frame.report_usage(
        "uses an API that only this test calls",
        breaks_in_ha_version="2099.1",
        integration_domain=DOMAIN,
    )
    assert len(deprecation_reports.reports) == 1
    assert "custom integration 'hearth'" in deprecation_reports.reports[0]
    # Reported as expected: this test passes.
    deprecation_reports.reports.clear()


def test_deprecated_constant_report_is_caught(
    deprecation_reports: DeprecationReports,
) -> None:
    """The deprecation helper's wording for a custom integration is recognised."""
    logger = logging.getLogger("homeassistant.const")
    logger.warning(
        "The deprecated constant OLD_NAME was used from hearth. It will be"
        " removed in HA Core 2099.1. Use NEW_NAME instead, please report it"
        " to the author of the 'hearth' custom integration"
    )
    logger.warning("The deprecated constant OLD_NAME was used from another_one.")
    assert len(deprecation_reports.reports) == 1
    deprecation_reports.reports.clear()


def test_deprecation_warning_from_hearth_is_an_error() -> None:
    """A DeprecationWarning attributed to Hearth's code fails the test."""
    namespace = {"__name__": "custom_components.hearth.example", "warnings": warnings}
    code = compile(
        "warnings.warn('old API', DeprecationWarning, stacklevel=1)",
        "custom_components/hearth/example.py",
        "exec",
    )
    with pytest.raises(DeprecationWarning, match="old API"):
        exec(code, namespace)  # noqa: S102 - code that claims to be Hearth's
