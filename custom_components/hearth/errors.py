"""What a failed request means, in the words the user reads.

One map, used by the coordinator (a failed poll), the command path (a
failed action) and the config flow (a failed connection), so the same
failure reads the same everywhere.
"""

from __future__ import annotations

import math

from homeassistant.const import CONF_API_KEY, CONF_HOST
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError

from .api import (
    FirmwareFailure,
    HearthAuthenticationError,
    HearthCertificateError,
    HearthConnectionError,
    HearthError,
    HearthForbiddenError,
    HearthInvalidResponseError,
    HearthNotFoundError,
    HearthRateLimitError,
    HearthRequestError,
    HearthServerError,
    HearthUnsupportedVersionError,
)
from .const import (
    CERTIFICATE_MODE_CA,
    CONF_CERTIFICATE_MODE,
    DOMAIN,
)
from .source import HubMismatchError

#: The hub's error code for a command to a device that is offline.
DEVICE_OFFLINE = "device_offline"
#: The hub's codes for an install it refuses (409), each with its own message.
INSTALL_REFUSALS = frozenset(
    {"up_to_date", "install_in_progress", "version_unavailable"}
)
#: The codes of a failed install that have their own message; others read alike.
INSTALL_FAILURES = frozenset(
    {"download_failed", "verification_failed", "install_failed"}
)


def error_key(err: HearthError) -> str:
    """Return the translation key that explains a failed request."""
    if isinstance(err, HearthCertificateError):
        return "certificate_changed"
    if isinstance(err, HubMismatchError):
        return "wrong_hub"
    if isinstance(err, HearthConnectionError):
        return "cannot_connect"
    if isinstance(err, HearthServerError):
        return "server_error"
    if isinstance(err, HearthInvalidResponseError):
        return "invalid_response"
    return "unknown_error"


def translated(
    key: str, cls: type[HomeAssistantError] = HomeAssistantError, **placeholders: str
) -> HomeAssistantError:
    """Return an error of ``cls`` with the integration's translation ``key``."""
    return cls(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders=placeholders or None,
    )


def rate_limited(retry_after: float) -> HomeAssistantError:
    """Return the error of an action refused until the budget refills."""
    return translated("rate_limited", retry_after=str(math.ceil(retry_after)))


def command_error(err: HearthError) -> HomeAssistantError:
    """Map a failed command to the error the action raises.

    A value the hub refuses is the caller's to fix (ServiceValidationError);
    everything else is the hub's or the connection's (HomeAssistantError).
    """
    if isinstance(err, HearthRateLimitError):
        return rate_limited(err.retry_after)
    if isinstance(err, HearthForbiddenError):
        return translated("read_only")
    if isinstance(err, HearthAuthenticationError):
        return translated("invalid_auth")
    if isinstance(err, HearthRequestError) and err.code == DEVICE_OFFLINE:
        return translated("device_offline")
    if isinstance(err, HearthRequestError):
        return translated("command_rejected", ServiceValidationError, error=str(err))
    if isinstance(err, HearthNotFoundError):
        return translated("command_rejected", error=str(err))
    return translated(error_key(err), error=str(err))


def install_error(err: HearthError, version: str | None) -> HomeAssistantError:
    """Map a refused request to install firmware ``version`` to the action's error."""
    if isinstance(err, HearthRequestError) and err.code in INSTALL_REFUSALS:
        return translated(f"firmware_{err.code}", version=version or "?")
    return command_error(err)


def install_failed(
    failure: FirmwareFailure | None, version: str, installed: str
) -> HomeAssistantError:
    """Return the error of an install the hub reported failed; it runs ``installed``."""
    if failure is not None and failure.code in INSTALL_FAILURES:
        return translated(
            f"firmware_{failure.code}", version=version, installed=installed
        )
    return translated(
        "firmware_failed",
        version=version,
        installed=installed,
        error=failure.message if failure else "?",
    )


def connection_error(err: HearthError, certificate_mode: str) -> tuple[str, str]:
    """Return the form field at fault and the error of a failed connection."""
    if isinstance(err, HearthAuthenticationError | HearthForbiddenError):
        return CONF_API_KEY, "invalid_auth"
    if isinstance(err, HearthUnsupportedVersionError):
        return "base", "unsupported_version"
    if isinstance(err, HearthCertificateError):
        if certificate_mode == CERTIFICATE_MODE_CA:
            return CONF_CERTIFICATE_MODE, "certificate_untrusted"
        return "base", "certificate_mismatch"
    return CONF_HOST, "cannot_connect"
