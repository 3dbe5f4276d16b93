"""Constants of the Hearth integration."""

from __future__ import annotations

from datetime import timedelta
import logging
from typing import Final

DOMAIN: Final = "hearth"
LOGGER = logging.getLogger(__package__)
MANUFACTURER: Final = "Hearth"

CONF_CERTIFICATE_MODE: Final = "certificate_mode"
CONF_FINGERPRINT: Final = "fingerprint"

CERTIFICATE_MODE_PIN: Final = "pin"
CERTIFICATE_MODE_CA: Final = "ca"

DEFAULT_SCAN_INTERVAL: Final = timedelta(seconds=30)
MIN_SCAN_INTERVAL: Final = timedelta(seconds=10)
MAX_SCAN_INTERVAL: Final = timedelta(hours=1)

#: Longest pause between polls after repeated failures.
MAX_BACKOFF: Final = timedelta(minutes=5)
#: While rate limited, entities keep their last state at most this long (or
#: three scan intervals, when that is longer); then they become unavailable.
MIN_STALE_AFTER: Final = timedelta(minutes=5)
#: While the event stream is open, polls are only a safety net: one this often
#: (or at the scan interval, when that is longer).
SAFETY_POLL_INTERVAL: Final = timedelta(minutes=5)
#: Pause after the first failed attempt to reopen a lost event stream (the
#: first attempt is made at once); it doubles with each failure, up to the
#: longest.
STREAM_MIN_BACKOFF: Final = 1.0
STREAM_MAX_BACKOFF: Final = 60.0
#: Longest pause between attempts while the server cannot be reached at all,
#: which costs it nothing: a hub that comes back is seen within this.
STREAM_UNREACHABLE_RETRY: Final = 5.0
#: A stream open this long was healthy even without events: when it ends,
#: reconnecting starts over.
STREAM_STABLE_AFTER: Final = 60.0
#: The first API version whose hubs have ``/firmware``.
FIRMWARE_API_VERSION: Final = (1, 3)
#: How long a hub may take to come back from installing firmware; after
#: that, the spec says, the install failed and the hub needs a person.
FIRMWARE_RESTART_TIMEOUT: Final = timedelta(minutes=10)
#: Share of the rate budget kept free for commands (at least one request).
COMMAND_RESERVE: Final = 0.2

#: Present in the data of a Hearth Cloud entry (set by the OAuth2 flow).
CONF_AUTH_IMPLEMENTATION: Final = "auth_implementation"
#: Overrides the Hearth Cloud base URL, for development against the emulator.
#: Read at each use; only HTTPS, or plain HTTP to a loopback host, is accepted.
CLOUD_URL_ENV: Final = "HEARTH_CLOUD_URL"
CLOUD_AUTHORIZE_PATH: Final = "/oauth/authorize"
CLOUD_TOKEN_PATH: Final = "/oauth/token"  # noqa: S105 - a URL path
CLOUD_WRITE_SCOPE: Final = "devices:write"
CLOUD_SCOPES: Final = ("devices:read", CLOUD_WRITE_SCOPE)
#: Longest wait for the token endpoint when the access token is refreshed.
TOKEN_REFRESH_TIMEOUT: Final = 30.0
