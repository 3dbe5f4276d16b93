"""Waiting on what the event stream does: its opens, and the states it writes.

Used by the tests of the event and update platforms, which need the stream
open and wait on what happens, never on a sleep.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
import logging

from homeassistant.const import EVENT_STATE_CHANGED
from homeassistant.core import (
    Event,
    EventStateChangedData,
    HomeAssistant,
    State,
    callback,
)
import pytest

from custom_components.hearth.push import PushHandler

LOGGER_NAME = "custom_components.hearth"


class StreamOpens:
    """Counts the stream's opens, each once its resync is done."""

    def __init__(self) -> None:
        """Count nothing yet."""
        self.count = 0
        self._condition = asyncio.Condition()

    async def note(self) -> None:
        """Count one open."""
        async with self._condition:
            self.count += 1
            self._condition.notify_all()

    async def wait(self, count: int) -> None:
        """Wait until the stream has opened ``count`` times in all."""
        async with self._condition:
            await self._condition.wait_for(lambda: self.count >= count)


@contextmanager
def counting_opens() -> Iterator[StreamOpens]:
    """Count every open of every entry's stream, the setup's included."""
    opens = StreamOpens()
    opened = PushHandler.async_stream_opened

    async def _opened(push: PushHandler) -> None:
        await opened(push)
        await opens.note()

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(PushHandler, "async_stream_opened", _opened)
        yield opens


async def next_state(
    hass: HomeAssistant,
    entity_id: str,
    predicate: Callable[[State], bool] = lambda state: True,
) -> Callable[[], Awaitable[State]]:
    """Return a waiter for the next state of ``entity_id`` that passes ``predicate``."""
    future: asyncio.Future[State] = hass.loop.create_future()

    @callback
    def _changed(event: Event[EventStateChangedData]) -> None:
        state = event.data["new_state"]
        if (
            event.data["entity_id"] == entity_id
            and state is not None
            and predicate(state)
            and not future.done()
        ):
            future.set_result(state)

    unsubscribe = hass.bus.async_listen(EVENT_STATE_CHANGED, _changed)

    async def _wait() -> State:
        try:
            return await future
        finally:
            unsubscribe()

    return _wait


def ours(caplog: pytest.LogCaptureFixture, level: int) -> list[str]:
    """Return the integration's log lines at ``level`` or above."""
    return [
        record.getMessage()
        for record in caplog.records
        if record.name.startswith(LOGGER_NAME) and record.levelno >= level
    ]


def warnings_and_errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Return Home Assistant's WARNING or worse lines, of any of its loggers.

    The notice about custom integrations is left out, and so is the
    emulator's own log (it serves in the same process, but is not Home
    Assistant's: a real hub's log is on the hub), and asyncio's reports of a
    slow step in debug mode, which say how busy the test machine is.
    """
    return [
        f"{record.name}: {record.getMessage()}"
        for record in caplog.records
        if record.levelno >= logging.WARNING
        and not record.name.startswith("emulator")
        and not record.getMessage().startswith("We found a custom integration")
        and not (
            record.name == "asyncio" and record.getMessage().startswith("Executing")
        )
    ]
