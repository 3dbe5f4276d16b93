"""The in-process emulator of the Home Assistant tests: its keys and its clock."""

from __future__ import annotations

from typing import Any

from homeassistant.util import dt as dt_util

from emulator import Emulator

API_KEY = "test-key"
READ_ONLY_KEY = "test-read-only-key"
#: Home Assistant's OAuth2 callback under the tests' external URL; the
#: emulator allows it as ``--redirect-uri`` would.
REDIRECT_URI = "https://example.com/auth/external/callback"


def make_emulator(**options: Any) -> Emulator:
    """Return an emulator for a test: the test key, no drift, HA's clock.

    Its clock is Home Assistant's, so ``freezer`` moves the emulator's rate
    windows and token lifetimes too. ``options`` add to or override these.
    """
    defaults: dict[str, Any] = {
        "api_keys": [API_KEY],
        "drift_interval": 0,
        "clock": lambda: dt_util.utcnow().timestamp(),
    }
    return Emulator(**{**defaults, **options})
