"""The emulated cloud account: the hubs it holds, listed in pages, and their changes."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from .home import ConflictError, Home, InvalidRequestError, JSONDict, NotFoundError

DEFAULT_PAGE_SIZE: Final = 1
#: Devices of each extra hub on the cloud account.
CLOUD_HUB_DEVICES: Final = 3
ACCOUNT_NAME: Final = "Demo account"


class HubOfflineError(ConflictError):
    """The hub is not connected to the cloud."""

    code = "hub_offline"


@dataclass(slots=True)
class CloudHub:
    """A hub as the cloud sees it."""

    home: Home
    online: bool = True

    @property
    def id(self) -> str:
        """Return the hub id."""
        return self.home.hub.id

    def to_json(self) -> JSONDict:
        """Return the ``GET /v1/hubs`` entry."""
        hub = self.home.hub
        return {
            "id": hub.id,
            "name": hub.name,
            "model": hub.model,
            "firmware": hub.firmware,
            "online": self.online,
        }


def encode_cursor(offset: int) -> str:
    """Return the opaque cursor of the page starting at ``offset``."""
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    """Return the offset of a cursor, or raise InvalidRequestError."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (ValueError, binascii.Error) as err:
        raise InvalidRequestError("Unknown cursor") from err
    label, _, number = text.partition(":")
    if label != "offset" or not number.isdigit():
        raise InvalidRequestError("Unknown cursor")
    return int(number)


type AccountListener = Callable[[JSONDict], None]


def with_hub_id(hub_id: str, message: JSONDict) -> JSONDict:
    """Return a hub's change message as the cloud sends it: with its ``hub_id``."""
    return {"type": message["type"], "hub_id": hub_id, **message}


class CloudAccount:
    """One account and its hubs, in the order they were added.

    Listeners hear every change of every hub while it is on the account, with
    the hub's id added to the message.
    """

    def __init__(
        self,
        account_id: str,
        name: str = ACCOUNT_NAME,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> None:
        """Start without hubs."""
        if page_size < 1:
            raise ValueError("the page size must be at least 1")
        self.id = account_id
        self.name = name
        self.page_size = page_size
        self.hubs: dict[str, CloudHub] = {}
        self._listeners: list[AccountListener] = []
        self._unsubscribe: dict[str, Callable[[], None]] = {}

    def to_json(self) -> JSONDict:
        """Return the ``GET /v1/me`` document."""
        return {"id": self.id, "name": self.name}

    def add(self, home: Home, *, online: bool = True) -> CloudHub:
        """Put a hub on the account."""
        if home.hub.id in self.hubs:
            raise ConflictError(f"Hub {home.hub.id!r} is already on the account")
        hub = CloudHub(home, online)
        self.hubs[hub.id] = hub
        self._unsubscribe[hub.id] = home.subscribe(
            lambda message: self._forward(hub.id, message)
        )
        return hub

    def remove(self, hub_id: str) -> CloudHub:
        """Take a hub off the account; its changes are no longer heard."""
        hub = self.hubs.pop(self.get(hub_id).id)
        self._unsubscribe.pop(hub.id)()
        return hub

    def subscribe(self, listener: AccountListener) -> Callable[[], None]:
        """Call ``listener`` with every change of every hub; return an unsubscribe."""
        self._listeners.append(listener)

        def unsubscribe() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return unsubscribe

    def _forward(self, hub_id: str, message: JSONDict) -> None:
        if self._listeners:
            cloud_message = with_hub_id(hub_id, message)
            for listener in list(self._listeners):
                listener(cloud_message)

    def get(self, hub_id: str) -> CloudHub:
        """Return a hub of the account, or raise NotFoundError."""
        try:
            return self.hubs[hub_id]
        except KeyError:
            raise NotFoundError(f"No hub {hub_id!r} on this account") from None

    def reachable(self, hub_id: str) -> Home:
        """Return the home of an online hub of the account."""
        hub = self.get(hub_id)
        if not hub.online:
            raise HubOfflineError(f"Hub {hub_id!r} is offline")
        return hub.home

    def page(self, cursor: str | None) -> JSONDict:
        """Return one page of ``GET /v1/hubs``."""
        offset = decode_cursor(cursor) if cursor else 0
        hubs = list(self.hubs.values())
        if offset > len(hubs):
            raise InvalidRequestError("Unknown cursor")
        end = offset + self.page_size
        return {
            "hubs": [hub.to_json() for hub in hubs[offset:end]],
            "next_cursor": encode_cursor(end) if end < len(hubs) else None,
        }
