"""Benchmark of the integration against a 500-device emulated hub.

Run with ``scripts/bench`` (or ``pytest bench/bench_integration.py -s``). It
reports figures; it asserts only what must hold whatever the machine: one
request per poll, no state writes for an unchanged poll, and no GET after a
command. The emulator runs in a subprocess so that its CPU time is not
counted as the integration's.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Iterator
import contextlib
import socket
import statistics
import subprocess
import sys
import time

import aiohttp
from homeassistant.const import CONF_API_KEY, CONF_HOST, CONF_PORT, EVENT_STATE_CHANGED
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.hearth.const import (
    CERTIFICATE_MODE_PIN,
    CONF_CERTIFICATE_MODE,
    CONF_FINGERPRINT,
    DOMAIN,
)
from custom_components.hearth.coordinator import HearthCoordinator

DEVICES = 500
POLLS = 50
API_KEY = "bench"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.contextmanager
def emulator_process(devices: int) -> Iterator[tuple[int, str]]:
    """Run ``python -m emulator --devices N``; yield its port and fingerprint."""
    port = _free_port()
    process = subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            "-m",
            "emulator",
            f"--port={port}",
            f"--cloud-port={_free_port()}",
            f"--api-key={API_KEY}",
            f"--devices={devices}",
            "--drift-interval=0",
            # Nobody reads the pipe after the banner: keep it from filling up.
            "--log-level=WARNING",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    fingerprint = ""
    assert process.stdout is not None
    for line in process.stdout:
        if line.strip().startswith("Fingerprint"):
            fingerprint = line.split()[-1]
        if fingerprint and "Ctrl+C" in line:
            break
    try:
        yield port, fingerprint
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def hub(socket_enabled: None) -> Iterator[tuple[int, str]]:
    """Start ``python -m emulator --devices 500``; yield its port and fingerprint."""
    with emulator_process(DEVICES) as running:
        yield running


async def _admin(port: int, path: str) -> dict[str, object]:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"https://127.0.0.1:{port}/admin/{path}", ssl=False) as resp,
    ):
        result: dict[str, object] = await resp.json()
        return result


async def _state_requests(port: int) -> int:
    stats = await _admin(port, "stats")
    routes = stats["by_route"]
    assert isinstance(routes, dict)
    return int(routes.get("GET /api/v1/state", 0))


def bench_entry(port: int, fingerprint: str | None) -> MockConfigEntry:
    """Return a config entry for the emulated hub on ``port``, its certificate pinned."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="Bench hub",
        data={
            CONF_HOST: "127.0.0.1",
            CONF_PORT: port,
            CONF_API_KEY: API_KEY,
            CONF_CERTIFICATE_MODE: CERTIFICATE_MODE_PIN,
            CONF_FINGERPRINT: fingerprint,
        },
    )


@pytest.fixture
async def setup(
    hass: HomeAssistant, enable_custom_integrations: None, hub: tuple[int, str]
) -> AsyncGenerator[tuple[MockConfigEntry, float]]:
    """Set up the integration; yield the entry and the setup time."""
    entry = bench_entry(*hub)
    entry.add_to_hass(hass)
    start = time.perf_counter()
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    yield entry, time.perf_counter() - start
    await hass.config_entries.async_unload(entry.entry_id)


async def test_benchmark_integration(
    hass: HomeAssistant,
    setup: tuple[MockConfigEntry, float],
    hub: tuple[int, str],
) -> None:
    """Measure setup, polling and commands; print a table."""
    entry, setup_seconds = setup
    port, _ = hub
    coordinator: HearthCoordinator = entry.runtime_data
    writes = 0

    @callback
    def _count(_: Event[EventStateChangedData]) -> None:
        nonlocal writes
        writes += 1

    unsubscribe = hass.bus.async_listen(EVENT_STATE_CHANGED, _count)
    entities = hass.states.async_entity_ids_count()

    before = await _state_requests(port)
    cpu: list[float] = []
    for _ in range(POLLS):
        start = time.thread_time()
        await coordinator.async_refresh()
        cpu.append((time.thread_time() - start) * 1000)
    await hass.async_block_till_done()
    requests = await _state_requests(port) - before
    unchanged_writes = writes

    light = next(
        state.entity_id
        for state in hass.states.async_all("light")
        if state.state in ("on", "off")
    )
    before = await _state_requests(port)
    latencies: list[float] = []
    for brightness in range(10, 210, 10):
        start = time.perf_counter()
        await hass.services.async_call(
            "light",
            "turn_on",
            {"entity_id": light, "brightness": brightness},
            blocking=True,
        )
        latencies.append((time.perf_counter() - start) * 1000)
        state = hass.states.get(light)
        assert state is not None
        if "brightness" in state.attributes:
            assert state.attributes["brightness"] == brightness
    gets_after_commands = await _state_requests(port) - before
    unsubscribe()

    rows = [
        ("devices / entities", f"{DEVICES} / {entities}"),
        ("setup time", f"{setup_seconds * 1000:.0f} ms"),
        ("requests per poll", f"{requests / POLLS:.2f}"),
        (
            "main-thread CPU per unchanged poll",
            f"median {statistics.median(cpu):.3f} ms, "
            f"p95 {statistics.quantiles(cpu, n=20)[-1]:.3f} ms",
        ),
        ("state writes for unchanged polls", str(unchanged_writes)),
        (
            "command to state (turn_on)",
            f"median {statistics.median(latencies):.1f} ms, max {max(latencies):.1f} ms",
        ),
        ("GET /state caused by 20 commands", str(gets_after_commands)),
    ]
    width = max(len(name) for name, _ in rows)
    with contextlib.suppress(Exception):
        sys.stdout.write("\n" + "\n".join(f"{n:<{width}}  {v}" for n, v in rows) + "\n")
    assert requests == POLLS
    assert unchanged_writes == 0
    assert gets_after_commands == 0
