"""Benchmark of the event stream: latency, CPU per event, event rate, requests.

Also the latency of a button press: asked for at the emulator until the
button's event entity fires in Home Assistant.

Run with ``scripts/bench`` (or ``pytest bench/bench_push.py -s``). It reports
figures and asserts only what must hold on any machine: events arrive with
no GET, and while the stream is healthy polling is the safety poll.

The emulator runs in a subprocess, so its CPU time is not Home Assistant's.
Changes are asked for from a worker thread (the admin API), so the main
thread's CPU time is the integration's and Home Assistant's alone.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable
import contextlib
from functools import partial
import json
import ssl
import statistics
import sys
import time
from typing import Any
import urllib.request

import aiohttp
from homeassistant.const import EVENT_STATE_CHANGED
from homeassistant.core import Event as HassEvent, HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.hearth.api import Event
from custom_components.hearth.coordinator import HearthCoordinator
from custom_components.hearth.store import Change, DeviceKey
from emulator import Emulator

from .bench_integration import API_KEY, bench_entry, emulator_process

#: Single-device changes per hub size, for latency and CPU.
CHANGES = 200
#: Button presses per hub size, for the press → event latency.
PRESSES = 100
#: Event rates tried for the sustained-rate figure (events per second).
RATES = (250, 500, 1000, 2000, 4000, 8000)
RATE_SECONDS = 4.0
SIZES = (10, 500)


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


class Admin:
    """The emulator's admin API, called from a worker thread."""

    def __init__(self, port: int) -> None:
        """Talk to the emulator on ``port`` (its certificate is self-signed)."""
        self.base = f"https://127.0.0.1:{port}/admin"
        self.context = ssl.create_default_context()
        self.context.check_hostname = False
        self.context.verify_mode = ssl.CERT_NONE

    def call(self, method: str, path: str, body: object = None) -> Any:
        """Call the admin API; return its JSON answer."""
        request = urllib.request.Request(  # noqa: S310 - https to loopback
            f"{self.base}{path}",
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, context=self.context) as answer:  # noqa: S310
            content = answer.read()
        return json.loads(content) if content else None


async def _in_thread(hass: HomeAssistant, job: Callable[[], None]) -> None:
    await hass.async_add_executor_job(job)


async def _setup(hass: HomeAssistant, port: int, fingerprint: str) -> MockConfigEntry:
    entry = bench_entry(port, fingerprint)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    admin = Admin(port)

    def _stream_open() -> None:
        deadline = time.perf_counter() + 30
        while admin.call("GET", "")["event_streams"] < 1:
            assert time.perf_counter() < deadline, "the event stream did not open"
            time.sleep(0.05)

    await _in_thread(hass, _stream_open)
    await hass.async_block_till_done()
    return entry


async def _single_changes(
    hass: HomeAssistant, coordinator: HearthCoordinator, admin: Admin
) -> tuple[list[float], float, float]:
    """Change one device at a time; return latencies (ms) and CPU per event (ms).

    CPU is the main thread's: once for the whole path (socket, decode,
    apply, state write) over the run, once for applying alone.
    """
    hub_id = next(iter(coordinator.data.hubs))
    key: DeviceKey = next(
        k
        for k, d in coordinator.data.devices.items()
        if d.kind == "switch" and d.online
    )
    applied: list[float] = []
    apply_cpu: list[float] = []
    store = coordinator.store
    apply = store.apply_event

    def _timed_apply(hub_id: str, event: Event) -> Change:
        start = time.thread_time()
        change = apply(hub_id, event)
        apply_cpu.append(time.thread_time() - start)
        return change

    store.apply_event = _timed_apply  # type: ignore[method-assign]
    remove = coordinator.store.add_device_listener(
        key, lambda: applied.append(time.perf_counter())
    )
    sent: list[float] = []

    def _send_all() -> None:
        for step in range(CHANGES):
            sent.append(time.perf_counter())
            admin.call("PATCH", f"/devices/{key[1]}", {"state": {"on": step % 2 == 0}})
            while len(applied) <= step:
                time.sleep(0.0005)
            time.sleep(0.005)

    cpu_start = time.thread_time()
    await _in_thread(hass, _send_all)
    cpu_total = time.thread_time() - cpu_start
    remove()
    store.apply_event = apply  # type: ignore[method-assign]
    assert hub_id
    # The loop's own CPU time over as long a run without any change.
    pause = sent[-1] - sent[0]
    idle_start = time.thread_time()
    await _in_thread(hass, partial(time.sleep, pause))
    idle = time.thread_time() - idle_start
    return (
        _paired(sent, applied),
        (cpu_total - idle) / CHANGES * 1000,
        statistics.median(apply_cpu) * 1000,
    )


async def _sustained_rate(
    hass: HomeAssistant, coordinator: HearthCoordinator, admin: Admin
) -> list[tuple[int, float, float]]:
    """Drift every sensor at once, at rising rates; return (rate, p50, p99) in ms.

    One drift changes every sensor of the hub: a burst of events. The latency
    of a burst is until its last event is applied, so it is the worst of its
    events.
    """
    changed = admin.call("POST", "/drift")
    assert isinstance(changed, list)
    # Let that first burst through before anything is timed.
    await _in_thread(hass, partial(time.sleep, 1.0))
    per_drift = len(changed)
    marker: DeviceKey = (
        next(iter(coordinator.data.hubs)),
        str(changed[-1]["id"]),
    )
    results: list[tuple[int, float, float]] = []
    for rate in RATES:
        drifts = max(2, round(rate * RATE_SECONDS / per_drift))
        latencies = await _bursts(hass, coordinator, admin, marker, drifts)
        results.append(
            (
                round(per_drift * drifts / RATE_SECONDS),
                statistics.median(latencies),
                _quantile(latencies, 0.99),
            )
        )
    return results


async def _bursts(
    hass: HomeAssistant,
    coordinator: HearthCoordinator,
    admin: Admin,
    marker: DeviceKey,
    drifts: int,
) -> list[float]:
    """Drift ``drifts`` times evenly over RATE_SECONDS; return burst latencies (ms)."""
    interval = RATE_SECONDS / drifts
    applied: list[float] = []
    sent: list[float] = []
    remove = coordinator.store.add_device_listener(
        marker, lambda: applied.append(time.perf_counter())
    )

    def _drive() -> None:
        start = time.perf_counter()
        for index in range(drifts):
            delay = start + index * interval - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            sent.append(time.perf_counter())
            admin.call("POST", "/drift")
        deadline = time.perf_counter() + 10
        while len(applied) < drifts and time.perf_counter() < deadline:
            time.sleep(0.01)

    await _in_thread(hass, _drive)
    remove()
    return _paired(sent, applied)


async def _presses(
    hass: HomeAssistant, coordinator: HearthCoordinator, admin: Admin
) -> list[float]:
    """Add a remote to the hub, press it PRESSES times; return latencies (ms).

    A press is timed from just before the admin call until Home Assistant
    writes the event entity's new state (what an automation triggers on).
    """
    hub_id = next(iter(coordinator.data.hubs))
    remote = admin.call(
        "POST",
        "/devices",
        {
            "kind": "button",
            "name": "Bench Remote",
            "capabilities": {"buttons": [{"id": "on", "name": "On"}]},
        },
    )
    unique_id = f"{hub_id}_{remote['id']}_button_on"
    registry = er.async_get(hass)
    deadline = time.perf_counter() + 30
    while (
        entity_id := registry.async_get_entity_id("event", "hearth", unique_id)
    ) is None:
        assert time.perf_counter() < deadline, (
            "the remote's event entity did not appear"
        )
        await _in_thread(hass, partial(time.sleep, 0.01))
    fired: list[float] = []

    @callback
    def _state_changed(event: HassEvent[Any]) -> None:
        if event.data["entity_id"] == entity_id and event.data["old_state"]:
            fired.append(time.perf_counter())

    remove = hass.bus.async_listen(EVENT_STATE_CHANGED, _state_changed)
    sent: list[float] = []

    def _press_all() -> None:
        for step in range(PRESSES):
            sent.append(time.perf_counter())
            admin.call("POST", f"/devices/{remote['id']}/press", {"button_id": "on"})
            while len(fired) <= step:
                time.sleep(0.0005)
            time.sleep(0.005)

    await _in_thread(hass, _press_all)
    remove()
    admin.call("DELETE", f"/devices/{remote['id']}")
    return _paired(sent, fired)


def _paired(sent: list[float], applied: list[float]) -> list[float]:
    """Return, per change sent, the ms until the first application after it.

    An application left over from before the first change is skipped; a
    change never applied counts as infinitely late.
    """
    latencies: list[float] = []
    later = iter(applied)
    for start in sent:
        end = next((moment for moment in later if moment >= start), None)
        latencies.append(float("inf") if end is None else (end - start) * 1000)
    return latencies


@pytest.fixture
def bench_sockets(socket_enabled: None) -> None:
    """Allow sockets (the emulator and the admin API on loopback)."""


@pytest.mark.usefixtures("bench_sockets", "enable_custom_integrations")
async def test_benchmark_push(hass: HomeAssistant) -> None:
    """Latency and CPU per event at 10 and 500 devices; the sustained event rate."""
    # The test harness runs the loop in asyncio's debug mode, which costs
    # far more per callback than anything measured here; HA does not.
    hass.loop.set_debug(False)
    rows: list[tuple[str, str]] = []
    for size in SIZES:
        with emulator_process(size) as (port, fingerprint):
            entry = await _setup(hass, port, fingerprint)
            coordinator: HearthCoordinator = entry.runtime_data
            admin = Admin(port)
            before = admin.call("GET", "/stats")
            latencies, cpu_event, cpu_apply = await _single_changes(
                hass, coordinator, admin
            )
            presses = await _presses(hass, coordinator, admin)
            after = admin.call("GET", "/stats")
            assert isinstance(before, dict)
            assert isinstance(after, dict)
            assert after["by_route"].get("GET /api/v1/state", 0) == before[
                "by_route"
            ].get("GET /api/v1/state", 0)
            rows += [
                (
                    f"{size} devices: change → HA state",
                    f"p50 {statistics.median(latencies):.2f} ms, "
                    f"p99 {_quantile(latencies, 0.99):.2f} ms ({len(latencies)} changes)",
                ),
                (
                    f"{size} devices: button press → event entity fires",
                    f"p50 {statistics.median(presses):.2f} ms, "
                    f"p99 {_quantile(presses, 0.99):.2f} ms ({len(presses)} presses)",
                ),
                (
                    f"{size} devices: main-thread CPU per event",
                    f"{cpu_event:.3f} ms in all (read, decode, apply, write; "
                    f"less the idle loop's CPU; the admin calls run in another "
                    f"thread); applying alone median {cpu_apply:.3f} ms",
                ),
            ]
            if size == max(SIZES):
                for rate, p50, p99 in await _sustained_rate(hass, coordinator, admin):
                    rows.append(
                        (
                            f"{size} devices: {rate} events/s sustained",
                            f"burst latency p50 {p50:.1f} ms, p99 {p99:.1f} ms",
                        )
                    )
            assert await hass.config_entries.async_unload(entry.entry_id)
            await hass.async_block_till_done()
    width = max(len(name) for name, _ in rows)
    with contextlib.suppress(Exception):
        sys.stdout.write("\n" + "\n".join(f"{n:<{width}}  {v}" for n, v in rows) + "\n")


@pytest.fixture
async def in_process_hub(socket_enabled: None) -> AsyncGenerator[Emulator]:
    """Run the emulator in this loop, on HA's clock, so frozen time applies."""
    emulator = Emulator(
        api_keys=[API_KEY],
        devices=500,
        drift_interval=0,
        clock=lambda: dt_util.utcnow().timestamp(),
        cloud_hubs=0,
    )
    await emulator.start(host="127.0.0.1", port=0, cloud_port=None)
    yield emulator
    await emulator.stop()


@pytest.mark.freeze_time("2025-01-01 00:00:00+00:00")
@pytest.mark.usefixtures("enable_custom_integrations")
async def test_requests_per_hour_while_the_stream_is_healthy(
    hass: HomeAssistant, freezer: object, in_process_hub: Emulator
) -> None:
    """One simulated hour with the stream open: count the hub's requests."""
    entry = bench_entry(in_process_hub.port, in_process_hub.fingerprint)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    coordinator: HearthCoordinator = entry.runtime_data
    while not coordinator.push_connected or in_process_hub.stats.total < 2:
        await hass.async_block_till_done()
        await _yield_io(in_process_hub)
    in_process_hub.reset_stats()
    for _ in range(3600 // 10):
        freezer.tick(10)  # type: ignore[attr-defined]
        async_fire_time_changed(hass)
        await hass.async_block_till_done()
        await _yield_io(in_process_hub)
    stats = in_process_hub.stats
    by_route = dict(stats.by_route)
    with contextlib.suppress(Exception):
        sys.stdout.write(
            f"\nhub requests in one hour with the stream healthy: {stats.total} "
            f"({by_route})\n"
        )
    assert coordinator.push_connected
    assert stats.total <= 15
    assert await hass.config_entries.async_unload(entry.entry_id)


async def _yield_io(emulator: Emulator) -> None:
    """Let socket I/O through: a round trip to the emulator's admin API."""
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{emulator.hub_url}/admin", ssl=False) as answer,
    ):
        await answer.read()
