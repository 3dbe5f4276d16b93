"""Pluggable authentication for the Hearth client."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable


class AbstractAuth(ABC):
    """Supplies the bearer credential for each request."""

    @abstractmethod
    async def async_get_access_token(self) -> str:
        """Return a valid credential, refreshing it first if needed."""


class ApiKeyAuth(AbstractAuth):
    """A fixed API key, as used by a hub on the local network."""

    def __init__(self, api_key: str) -> None:
        """Keep the key; it is never logged or shown in repr()."""
        self._api_key = api_key

    def __repr__(self) -> str:
        """Hide the key."""
        return "ApiKeyAuth(<redacted>)"

    async def async_get_access_token(self) -> str:
        """Return the API key."""
        return self._api_key


class TokenProviderAuth(AbstractAuth):
    """An OAuth2 access token from a provider that refreshes it when needed."""

    def __init__(self, provider: Callable[[], Awaitable[str]]) -> None:
        """Keep the coroutine function that yields a fresh access token."""
        self._provider = provider

    def __repr__(self) -> str:
        """Hide the provider, which may close over tokens."""
        return "TokenProviderAuth(<redacted>)"

    async def async_get_access_token(self) -> str:
        """Ask the provider for a valid access token."""
        return await self._provider()
