"""The hub's API keys: full, read-only and revoked."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
import hmac


class Access(StrEnum):
    """What a key may do."""

    FULL = "full"
    READ_ONLY = "read_only"


class KeyRing:
    """The keys the hub accepts."""

    def __init__(
        self, api_keys: Iterable[str], read_only_keys: Iterable[str] = ()
    ) -> None:
        """Keep the keys; a key in both lists is read-only."""
        self.read_only = list(dict.fromkeys(read_only_keys))
        self.full = [
            key for key in dict.fromkeys(api_keys) if key not in self.read_only
        ]
        self.revoked: set[str] = set()

    def access(self, key: str | None) -> Access | None:
        """Return what ``key`` may do, or None when it is unknown or revoked."""
        if not key or key in self.revoked:
            return None
        candidate = key.encode()
        if any(
            hmac.compare_digest(candidate, known.encode()) for known in self.read_only
        ):
            return Access.READ_ONLY
        if any(hmac.compare_digest(candidate, known.encode()) for known in self.full):
            return Access.FULL
        return None
