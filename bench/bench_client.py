"""Benchmark of the thin client against the emulator on loopback.

Run with ``.venv/bin/python -m bench.bench_client`` (or ``scripts/bench``).
It reports figures and asserts nothing about speed:

1. requests per second of ``async_get_info`` and ``async_get_state`` (the
   304 answer that reuses the cached state, and a full 200 answer), one at a
   time and with several requests in flight;
2. the time ``HubState.from_json`` takes for a real 1,000-device ``/state``
   (median and 95th percentile over many runs; the target is under 10 ms).
   It is judged on the thread's CPU time, which other processes on a shared
   machine do not inflate; the wall-clock figures are shown next to it;
3. the memory one parsed 1,000-device state holds, and the peak while
   parsing it, measured with tracemalloc.

The emulator runs as a subprocess (``python -m emulator``) so that on a
small machine its CPU time is not taken from the client being measured.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
import contextlib
from dataclasses import dataclass
import gc
import math
import os
from pathlib import Path
import platform
import socket
import statistics
import sys
import time
import tracemalloc

import aiohttp

from custom_components.hearth.api import (
    ApiKeyAuth,
    HearthHubClient,
    HubState,
    async_get_certificate_fingerprint,
    pinned_ssl,
)

ROOT = Path(__file__).resolve().parents[1]
API_KEY = "bench-key"
#: Far above what the benchmark sends, so no answer is a 429.
RATE_LIMIT = 1_000_000_000
PARSE_DEVICES = 1000
PARSE_TARGET_MS = 10.0
STARTUP_TIMEOUT = 30.0


@dataclass(frozen=True, slots=True)
class Hub:
    """A running emulator subprocess."""

    port: int
    fingerprint: str


@dataclass(frozen=True, slots=True)
class Row:
    """One line of the report."""

    name: str
    value: str
    note: str = ""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


async def _wait_for_port(port: int, process: asyncio.subprocess.Process) -> None:
    """Wait until something accepts connections on ``port``."""
    while True:
        if process.returncode is not None:
            raise RuntimeError(f"the emulator exited with {process.returncode}")
        try:
            _reader, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.05)
            continue
        writer.close()
        await writer.wait_closed()
        return


@contextlib.asynccontextmanager
async def emulator(devices: int | None = None) -> AsyncIterator[Hub]:
    """Run ``python -m emulator`` on free loopback ports until the block ends."""
    port = _free_port()
    args = [
        "-m",
        "emulator",
        "--host=127.0.0.1",
        f"--port={port}",
        f"--cloud-port={_free_port()}",
        f"--api-key={API_KEY}",
        f"--rate-limit={RATE_LIMIT}",
        "--drift-interval=0",
        "--log-level=WARNING",
    ]
    if devices is not None:
        args.append(f"--devices={devices}")
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        *args,
        cwd=ROOT,
        stdout=asyncio.subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        async with asyncio.timeout(STARTUP_TIMEOUT):
            await _wait_for_port(port, process)
        # Trust on first use, exactly as the integration does.
        fingerprint = await async_get_certificate_fingerprint("127.0.0.1", port)
        yield Hub(port, fingerprint)
    finally:
        if process.returncode is None:
            process.terminate()
            try:
                async with asyncio.timeout(10):
                    await process.wait()
            except TimeoutError:
                process.kill()
                await process.wait()


def _client(
    session: aiohttp.ClientSession, hub: Hub, pin: aiohttp.Fingerprint
) -> HearthHubClient:
    """Return a client of ``hub``.

    aiohttp pools connections per ``ssl`` object and a Fingerprint compares
    by identity, so clients share one pin to share the kept-alive connections.
    """
    return HearthHubClient(
        session, "127.0.0.1", ApiKeyAuth(API_KEY), port=hub.port, ssl=pin
    )


async def requests_per_second(
    call: Callable[[], Awaitable[object]], *, concurrency: int, seconds: float
) -> float:
    """Return how many calls complete per second with ``concurrency`` in flight."""
    for _ in range(20):  # warm up: connections, TLS sessions, code paths
        await call()
    done = 0
    deadline = time.perf_counter() + seconds

    async def worker() -> None:
        nonlocal done
        while time.perf_counter() < deadline:
            await call()
            done += 1

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return done / (time.perf_counter() - start)


async def bench_requests(seconds: float, concurrency: int) -> list[Row]:
    """Measure requests per second against the demo home (11 devices)."""
    rows: list[Row] = []
    async with emulator() as hub, aiohttp.ClientSession() as session:
        pin = pinned_ssl(hub.fingerprint)
        client = _client(session, hub, pin)
        state = await client.async_get_state()

        async def full_state() -> object:
            # A new client has no ETag yet, so the hub sends the whole state.
            return await _client(session, hub, pin).async_get_state()

        calls: Sequence[tuple[str, Callable[[], Awaitable[object]]]] = (
            ("GET /info", client.async_get_info),
            ("GET /state (304, cached)", client.async_get_state),
            ("GET /state (200, parsed)", full_state),
        )
        for name, call in calls:
            for in_flight in (1, concurrency):
                rate = await requests_per_second(
                    call, concurrency=in_flight, seconds=seconds
                )
                label = "sequential" if in_flight == 1 else f"{in_flight} in flight"
                rows.append(Row(f"{name}, {label}", f"{rate:,.0f} req/s"))
        assert await client.async_get_state() is state
    return rows


async def fetch_large_state(devices: int, seconds: float) -> tuple[bytes, list[Row]]:
    """Return the raw ``/state`` body of a generated home of ``devices``.

    Also measure how many full fetches and parses of it the client does per
    second, one at a time.
    """
    async with emulator(devices) as hub, aiohttp.ClientSession() as session:
        pin = pinned_ssl(hub.fingerprint)
        async with session.get(
            f"https://127.0.0.1:{hub.port}/api/v1/state",
            headers={"Authorization": f"Bearer {API_KEY}"},
            ssl=pin,
        ) as response:
            response.raise_for_status()
            body = await response.read()

        async def full_state() -> object:
            return await _client(session, hub, pin).async_get_state()

        rate = await requests_per_second(full_state, concurrency=1, seconds=seconds)
    row = Row(
        f"GET /state (200, parsed), {devices:,} devices, sequential",
        f"{rate:,.0f} req/s",
        f"{1000 / rate:.1f} ms each",
    )
    return body, [row]


def _percentile(samples: Sequence[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, math.ceil(fraction * len(ordered)) - 1)]


def bench_parse(body: bytes, runs: int) -> list[Row]:
    """Time ``HubState.from_json`` over ``runs`` runs of the same body."""
    state = HubState.from_json(body)
    assert len(state.devices) == PARSE_DEVICES, len(state.devices)
    for _ in range(10):
        HubState.from_json(body)
    wall: list[float] = []
    cpu: list[float] = []
    for _ in range(runs):
        start, start_cpu = time.perf_counter_ns(), time.thread_time_ns()
        HubState.from_json(body)
        cpu.append((time.thread_time_ns() - start_cpu) / 1e6)
        wall.append((time.perf_counter_ns() - start) / 1e6)
    cpu_p95 = _percentile(cpu, 0.95)
    verdict = "meets" if cpu_p95 < PARSE_TARGET_MS else "MISSES"
    return [
        Row(f"/state body, {PARSE_DEVICES:,} devices", f"{len(body) / 1024:,.0f} KiB"),
        Row(
            "parse, median (CPU time)",
            f"{statistics.median(cpu):.2f} ms",
            f"{runs} runs; wall clock {statistics.median(wall):.2f} ms",
        ),
        Row(
            "parse, p95 (CPU time)",
            f"{cpu_p95:.2f} ms",
            f"{verdict} the {PARSE_TARGET_MS:g} ms target; "
            f"wall clock {_percentile(wall, 0.95):.2f} ms",
        ),
    ]


def bench_memory(body: bytes) -> list[Row]:
    """Measure what one parsed state holds, and the peak while parsing it."""
    HubState.from_json(body)  # first-use allocations do not count
    gc.collect()
    tracemalloc.start()
    try:
        baseline, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        state = HubState.from_json(body)
        held, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(state.devices) == PARSE_DEVICES
    return [
        Row("memory held by the parsed state", f"{(held - baseline) / 1024:,.0f} KiB"),
        Row(
            "memory peak while parsing",
            f"{(peak - baseline) / 1024:,.0f} KiB",
            "tracemalloc",
        ),
    ]


def render(rows: Sequence[Row]) -> str:
    """Return the rows as a plain-text table."""
    name_width = max(len(row.name) for row in rows)
    value_width = max(len(row.value) for row in rows)
    lines = [
        f"{row.name:<{name_width}}  {row.value:>{value_width}}  {row.note}".rstrip()
        for row in rows
    ]
    rule = "-" * max(len(line) for line in lines)
    return "\n".join([rule, *lines, rule])


async def main(argv: Sequence[str] | None = None) -> None:
    """Run every benchmark and print the table."""
    parser = argparse.ArgumentParser(prog="python -m bench.bench_client")
    parser.add_argument("--seconds", type=float, default=3.0, help="per rate figure")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--runs", type=int, default=200, help="parse runs")
    args = parser.parse_args(argv)

    print(
        f"Python {platform.python_version()}, aiohttp {aiohttp.__version__}, "
        f"{os.cpu_count()} CPUs; the emulator runs in a subprocess"
    )
    rows = await bench_requests(args.seconds, args.concurrency)
    body, large = await fetch_large_state(PARSE_DEVICES, args.seconds)
    rows += large
    rows += bench_parse(body, args.runs)
    rows += bench_memory(body)
    print(render(rows))


if __name__ == "__main__":
    asyncio.run(main())
