"""Raw HTTP access to the emulated hub, with the keys the emulator accepts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiohttp import ClientSession, Fingerprint
from multidict import CIMultiDictProxy
import orjson

from emulator import Emulator

KEY = "smoke-key"
READ_ONLY = "smoke-read-only"


@dataclass(frozen=True, slots=True)
class Reply:
    """A finished answer: status, headers and body."""

    status: int
    headers: CIMultiDictProxy[str]
    body: bytes

    def json(self) -> Any:
        """Return the body as JSON."""
        return orjson.loads(self.body)


class RawHub:
    """Raw HTTP access to the emulated hub, pinned to its certificate."""

    def __init__(self, session: ClientSession, emu: Emulator) -> None:
        """Keep what every request needs."""
        self.session = session
        self.emu = emu

    def pin(self) -> Fingerprint:
        """Return the pin of the current certificate."""
        assert self.emu.fingerprint is not None
        return Fingerprint(bytes.fromhex(self.emu.fingerprint))

    async def request(
        self, method: str, path: str, *, key: str | None = KEY, **kwargs: Any
    ) -> Reply:
        """Send a request to ``path`` on the hub port and read the answer."""
        headers = dict(kwargs.pop("headers", {}))
        if key is not None:
            headers["Authorization"] = f"Bearer {key}"
        async with self.session.request(
            method,
            f"{self.emu.hub_url}{path}",
            headers=headers,
            ssl=self.pin(),
            **kwargs,
        ) as response:
            return Reply(response.status, response.headers, await response.read())
