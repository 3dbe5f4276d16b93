"""Every endpoint of the hub's local API, against the emulator over TLS."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from aiohttp import ClientSession
import pytest

from custom_components.hearth.api import (
    ColorMode,
    DeviceCommand,
    DeviceKind,
    Event,
    EventType,
    HearthHubClient,
    PressType,
    RateLimitInfo,
)
from emulator import Emulator

from .clients import DEMO_IDS, EmulatorFactory, make_hub_client, wait_until


async def test_info(hub_client: HearthHubClient, api_emulator: Emulator) -> None:
    """GET /info identifies the hub."""
    info = await hub_client.async_get_info()
    assert info.id == api_emulator.hub_id
    assert info.name == "Hearth Hub"
    assert (info.model, info.firmware, info.api_version) == ("HH-100", "1.4.2", "1.3")
    assert info.api_major == 1
    assert info.mac is not None
    assert info.mac.startswith("a4:c1:38:")


async def test_state(hub_client: HearthHubClient, api_emulator: Emulator) -> None:
    """GET /state returns the hub and every demo device, decoded."""
    state = await hub_client.async_get_state()
    assert state.hub.id == api_emulator.hub_id
    assert [device.id for device in state.devices] == DEMO_IDS
    devices = {device.id: device for device in state.devices}

    strip = devices["light-4"]
    assert strip.kind == DeviceKind.LIGHT
    assert strip.name == "Living Room Strip"
    assert strip.capabilities.rgb is True
    assert strip.capabilities.effects == ["colorloop", "candle", "fireplace"]
    assert (strip.capabilities.min_kelvin, strip.capabilities.max_kelvin) == (
        2200,
        6500,
    )
    assert strip.state.on is True
    assert strip.state.rgb == [255, 120, 40]
    assert strip.state.color_mode == ColorMode.RGB

    plug = devices["switch-2"]
    assert plug.capabilities.switch_type == "outlet"
    assert plug.capabilities.power_metering is True
    assert plug.state.power == 45.0

    climate = devices["sensor-1"]
    assert climate.kind == DeviceKind.SENSOR
    assert climate.state.temperature == 21.4
    assert climate.state.battery == 87
    assert climate.online is True

    remote = devices["button-2"]
    assert remote.kind == DeviceKind.BUTTON
    assert [(b.id, b.name) for b in remote.capabilities.buttons] == [
        ("on", "On"),
        ("off", "Off"),
        ("up", "Brighter"),
        ("down", "Dimmer"),
    ]
    assert remote.capabilities.buttons[0].known_press_types == list(PressType)
    assert remote.capabilities.sensors == ["battery", "signal_strength"]
    assert (remote.state.on, remote.state.battery) == (None, 72)
    wall = devices["button-1"].capabilities
    assert wall.buttons[0].press_types == ["short", "long", "long_release"]
    assert wall.sensors == ["signal_strength"]


async def test_state_etag_reuses_the_cached_object(
    hub_client: HearthHubClient, api_emulator: Emulator
) -> None:
    """An unchanged state is answered 304 and the same object is returned."""
    first = await hub_client.async_get_state()
    second = await hub_client.async_get_state()
    assert second is first
    assert api_emulator.stats.by_status[304] == 1

    api_emulator.set_state("light-2", brightness=42)
    third = await hub_client.async_get_state()
    assert third is not first
    assert {d.id: d for d in third.devices}["light-2"].state.brightness == 42
    assert await hub_client.async_get_state() is third
    assert api_emulator.stats.by_status[304] == 2


async def test_get_device(hub_client: HearthHubClient) -> None:
    """GET /devices/{id} returns one device."""
    lamp = await hub_client.async_get_device("light-2")
    assert (lamp.id, lamp.name, lamp.model) == ("light-2", "Desk Lamp", "HL-20")
    assert lamp.capabilities.dimmable is True
    assert lamp.state.brightness == 180
    assert lamp.state.color_mode == ColorMode.BRIGHTNESS


async def test_patch_device(hub_client: HearthHubClient) -> None:
    """PATCH returns the new state, which the next /state shows."""
    before = await hub_client.async_get_state()
    device = await hub_client.async_set_device_state(
        "light-3", DeviceCommand(on=True, color_temp_kelvin=4000)
    )
    assert device.id == "light-3"
    assert device.state.on is True
    assert device.state.color_temp_kelvin == 4000
    assert device.state.color_mode == ColorMode.COLOR_TEMP

    after = await hub_client.async_get_state()
    assert after is not before
    assert {d.id: d for d in after.devices}["light-3"] == device

    plug = await hub_client.async_set_device_state("switch-2", DeviceCommand(on=False))
    assert (plug.state.on, plug.state.power) == (False, 0.0)


async def test_rate_limit_headers_are_exposed(
    session: ClientSession, start_emulator: EmulatorFactory
) -> None:
    """Every answer's RateLimit-* headers land in ``client.rate_limit``."""
    emu = await start_emulator(rate_limit=30)
    client = make_hub_client(session, emu)
    assert client.rate_limit is None
    await client.async_get_info()
    assert client.rate_limit == RateLimitInfo(limit=30, remaining=29, reset=0)
    await client.async_get_state()
    await client.async_get_device("light-1")
    assert client.rate_limit == RateLimitInfo(limit=30, remaining=27, reset=0)


@pytest.fixture
async def events(
    hub_client: HearthHubClient, api_emulator: Emulator
) -> AsyncIterator[asyncio.Queue[Event]]:
    """Stream the hub's events into a queue until the test ends."""
    queue: asyncio.Queue[Event] = asyncio.Queue()

    async def pump() -> None:
        async for event in hub_client.async_events():
            queue.put_nowait(event)

    task = asyncio.create_task(pump())
    await wait_until(lambda: api_emulator.event_stream_count == 1)
    try:
        yield queue
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


async def _next(queue: asyncio.Queue[Event]) -> Event:
    async with asyncio.timeout(5):
        return await queue.get()


async def test_events_device_state(
    hub_client: HearthHubClient, events: asyncio.Queue[Event]
) -> None:
    """A PATCH produces a device_state event with the device's new state."""
    await hub_client.async_set_device_state("light-1", DeviceCommand(on=True))
    event = await _next(events)
    assert event.type == EventType.DEVICE_STATE
    assert event.device is not None
    assert event.device.id == "light-1"
    assert event.device.state.on is True


async def test_events_device_added_and_removed(
    api_emulator: Emulator, events: asyncio.Queue[Event]
) -> None:
    """Adding and removing devices are announced."""
    api_emulator.add_device({"id": "light-9", "kind": "light", "name": "New Lamp"})
    added = await _next(events)
    assert added.type == EventType.DEVICE_ADDED
    assert added.device is not None
    assert (added.device.id, added.device.name) == ("light-9", "New Lamp")

    api_emulator.remove_device("light-9")
    removed = await _next(events)
    assert removed.type == EventType.DEVICE_REMOVED
    assert removed.device_id == "light-9"
    assert removed.device is None


async def test_events_button_presses(
    hub_client: HearthHubClient, api_emulator: Emulator, events: asyncio.Queue[Event]
) -> None:
    """Presses arrive typed, with rising sequence numbers; the state is unchanged."""
    before = await hub_client.async_get_state()
    api_emulator.press_button("button-2", "up", PressType.LONG)
    api_emulator.press_button("button-2", "up", PressType.LONG_RELEASE)
    api_emulator.press_button("button-1", "bottom")
    presses = [(await _next(events)).press for _ in range(3)]
    assert [
        (p.device_id, p.button_id, p.press_type) for p in presses if p is not None
    ] == [
        ("button-2", "up", PressType.LONG),
        ("button-2", "up", PressType.LONG_RELEASE),
        ("button-1", "bottom", PressType.SHORT),
    ]
    seqs = [p.seq for p in presses if p is not None]
    assert seqs == sorted(set(seqs))
    assert await hub_client.async_get_state() is before


async def test_events_end_when_the_hub_stops(
    hub_client: HearthHubClient, api_emulator: Emulator
) -> None:
    """The stream ends (without an error) when the hub closes it."""
    queue: asyncio.Queue[Event] = asyncio.Queue()

    async def consume() -> None:
        async for event in hub_client.async_events():
            queue.put_nowait(event)

    task = asyncio.create_task(consume())
    await wait_until(lambda: api_emulator.event_stream_count == 1)
    api_emulator.set_online("sensor-2", False)
    event = await _next(queue)
    await api_emulator.stop()
    async with asyncio.timeout(5):
        await task
    assert queue.empty()
    assert event.type == EventType.DEVICE_STATE
    assert event.device is not None
    assert (event.device.id, event.device.online) == ("sensor-2", False)
