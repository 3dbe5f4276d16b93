"""Harness of the event stream tests: counting opens and polls, moving frozen time.

:class:`Watch` counts stream opens, stream ends and polls, for tests to
wait on; :class:`FrozenClock` moves frozen time on and lets what falls due
run to its end; the functions wait for a state, flip a device at the hub,
stop the hub while Home Assistant still holds connections to it, and pick
the log lines a test checks. Used by the tests of the event stream and of
the event and update platforms, which wait on what happens, never on a
sleep.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable, Generator
from contextlib import contextmanager
import logging
from typing import Any

from aiohttp import ClientSession
from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_OFF, STATE_ON
from homeassistant.core import (
    Event,
    EventStateChangedData,
    HomeAssistant,
    State,
    callback,
)
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.event import async_track_state_change_event
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed_exact,
)

from custom_components.hearth.const import DOMAIN
from custom_components.hearth.coordinator import HearthCoordinator
from custom_components.hearth.push import PushHandler
from custom_components.hearth.store import DeviceKey
from custom_components.hearth.stream import EventStream
from emulator import Emulator
from tests.integration.helpers import setup_entry

GET_EVENTS = ("GET", "/api/v1/events")
GET_CLOUD_EVENTS = ("GET", "/v1/events")
SWITCH = "switch.porch_switch"
LIGHT = "light.hallway_light"
TEMPERATURE = "sensor.living_room_climate_temperature"
LOGGER_NAME = "custom_components.hearth"


class Watch:
    """Counts stream opens (after their resync), stream ends and polls.

    The methods are wrapped on the classes, so that what happens during the
    setup is counted too. Tests wait on a :class:`asyncio.Condition`.
    """

    def __init__(self) -> None:
        """Start with nothing counted."""
        self.counts: Counter[str] = Counter()
        self._condition = asyncio.Condition()

    async def _note(self, name: str) -> None:
        async with self._condition:
            self.counts[name] += 1
            self._condition.notify_all()

    async def wait(self, name: str, count: int) -> None:
        """Wait until ``name`` has happened ``count`` times in all."""
        async with self._condition:
            await self._condition.wait_for(lambda: self.counts[name] >= count)

    @contextmanager
    def patched(self) -> Generator[None]:
        """Wrap the stream's open and end, and the coordinator's poll."""
        opened = PushHandler.async_stream_opened
        closed = EventStream._closed
        update = HearthCoordinator._async_update_data
        watch = self

        async def _opened(push: PushHandler) -> None:
            await opened(push)
            await watch._note("opened")

        def _closed(stream: EventStream, *args: Any, **kwargs: Any) -> None:
            closed(stream, *args, **kwargs)
            stream._hass.async_create_task(watch._note("closed"))

        async def _update(coordinator: HearthCoordinator) -> Any:
            try:
                return await update(coordinator)
            finally:
                await watch._note("polled")

        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(PushHandler, "async_stream_opened", _opened)
            patch.setattr(EventStream, "_closed", _closed)
            patch.setattr(HearthCoordinator, "_async_update_data", _update)
            yield


class UpperJitter:
    """Stands in for the stream's random source: always the largest jitter."""

    def uniform(self, low: float, high: float) -> float:
        """Return the upper bound."""
        return high


class FrozenClock:
    """Moves frozen time on and lets what falls due run to its end.

    The stream's own task never ends, so it is not waited for. The poll
    tasks are; and a round trip to the emulator lets the WebSocket's pings
    and pongs through before time moves again.
    """

    def __init__(
        self,
        hass: HomeAssistant,
        freezer: FrozenDateTimeFactory,
        emulator: Emulator,
        session: ClientSession,
    ) -> None:
        """Drive ``hass`` and ``emulator`` with ``freezer``."""
        self.hass = hass
        self.freezer = freezer
        self.emulator = emulator
        self.session = session

    async def tick(self, seconds: float) -> None:
        """Let ``seconds`` pass."""
        self.freezer.tick(seconds)
        async_fire_time_changed_exact(self.hass)
        await self.settle()

    async def settle(self) -> None:
        """Wait for the work in flight, except the stream's own task."""
        await self.hass.async_block_till_done()
        async with self.session.get(
            f"{self.emulator.hub_url}/admin", ssl=False
        ) as answer:
            await answer.read()
        while pending := [
            task
            for task in self.hass._background_tasks
            if not task.done() and not task.get_name().startswith("Hearth event stream")
        ]:
            await asyncio.wait(pending)
        await self.hass.async_block_till_done()


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
        if state is not None and predicate(state) and not future.done():
            future.set_result(state)

    unsubscribe = async_track_state_change_event(hass, entity_id, _changed)

    async def _wait() -> State:
        try:
            return await future
        finally:
            unsubscribe()

    return _wait


def device_wakes(coordinator: HearthCoordinator) -> Counter[DeviceKey]:
    """Return a counter of the wake-ups of each device's own listeners."""
    wakes: Counter[DeviceKey] = Counter()
    for key in coordinator.data.devices:

        def _woken(key: DeviceKey = key) -> None:
            wakes[key] += 1

        coordinator.store.add_device_listener(key, _woken)
    return wakes


def fan_outs(coordinator: HearthCoordinator) -> list[str]:
    """Return a list that grows each time the coordinator wakes every entity."""
    calls: list[str] = []
    coordinator.async_add_listener(lambda: calls.append("all"))
    return calls


async def flip_switch(
    hass: HomeAssistant, home: Any, device_id: str, entity_id: str
) -> None:
    """Toggle a switch of an emulated hub; return once Home Assistant shows it."""
    target = STATE_OFF if home.devices[device_id].state.on else STATE_ON
    flipped = await next_state(hass, entity_id, lambda state: state.state == target)
    home.set_state(device_id, {"on": target == STATE_ON})
    await flipped()


async def porch_switch_on_at_the_hub(hass: HomeAssistant, emulator: Emulator) -> None:
    """Turn the local hub's porch switch on; return once Home Assistant shows it."""
    on = await next_state(hass, SWITCH, lambda state: state.state == STATE_ON)
    emulator.set_state("switch-1", on=True)
    await on()
    await hass.async_block_till_done()


async def setup_streaming(
    hass: HomeAssistant, watch: Watch, entry: MockConfigEntry
) -> HearthCoordinator:
    """Set up ``entry`` and wait until its stream is open and resynced."""
    coordinator = await setup_entry(hass, entry)
    await watch.wait("opened", 1)
    assert coordinator.stream.connected
    return coordinator


async def stop_hub(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    emulator: Emulator,
    watch: Watch,
) -> None:
    """Stop the emulator while Home Assistant still holds connections to it.

    The hub stops listening, then closes the stream, as a hub losing power
    would: the stream ends and its immediate reopening is refused. Stopping
    waits up to two seconds of the loop clock for open connections, so the
    clock moves on a second at a time until it is done.
    """
    closed = watch.counts["closed"]
    stopping = hass.async_create_background_task(emulator.stop(), "stop the hub")
    for _ in range(5):
        for _ in range(100):
            if stopping.done():
                break
            await asyncio.sleep(0)
        freezer.tick(1)
        async_fire_time_changed_exact(hass)
    await stopping
    await watch.wait("closed", closed + 2)


def ours(caplog: pytest.LogCaptureFixture, *levels: int) -> list[str]:
    """Return the integration's log lines at any of ``levels``, in order."""
    return [
        record.getMessage()
        for record in caplog.records
        if record.name.startswith(LOGGER_NAME) and record.levelno in levels
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


def cloud_entity(
    entity_registry: er.EntityRegistry, hub_id: str, device_id: str
) -> str:
    """Return the entity of a device behind a cloud hub."""
    return next(
        entry.entity_id
        for entry in entity_registry.entities.values()
        if entry.platform == DOMAIN
        and entry.unique_id.startswith(f"{hub_id}_{device_id}_")
    )
