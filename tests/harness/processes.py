"""The emulator and Home Assistant as subprocesses, for the end-to-end tests.

Both run on free loopback ports. Tests talk to Home Assistant only through
its REST and WebSocket APIs and to the emulator through its admin API, and
they wait for conditions with deadlines (:func:`wait_for`) rather than
sleeping for a fixed time. The browser tests run the same processes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
import os
from pathlib import Path
import re
import signal
import subprocess
import sys
import time
from typing import Any

import aiohttp
import pytest
import requests

from scripts import ha_http
from tests.harness.ports import free_port

ROOT = Path(__file__).resolve().parents[2]
#: ``hass``, started with a venv's Python (this one by default). Home
#: Assistant releases newer than 2025.4 refuse to start on a Python older than
#: they declare (2026.2.3: 3.13.2), which they do not otherwise need;
#: scripts/setup installs them on Python 3.13.0 with --ignore-requires-python,
#: and this skips the same check.
HASS_MAIN = (
    "import sys\n"
    "import homeassistant.__main__ as hass\n"
    "if sys.version_info[:3] < hass.REQUIRED_PYTHON_VER:\n"
    "    hass.validate_python = lambda: None\n"
    "sys.exit(hass.main())\n"
)
HOST = "127.0.0.1"
API_KEY = "e2e-key"
SEED = 7
USERNAME = "e2e"
PASSWORD = "e2e-password"

#: How long Home Assistant may take to start (the first start compiles a lot).
HASS_START_TIMEOUT = 120.0
EMULATOR_START_TIMEOUT = 30.0
STOP_TIMEOUT = 30.0

#: A log record of Home Assistant's log file starts with its timestamp.
LOG_RECORD = re.compile(
    r"^(?P<time>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+) (?P<level>[A-Z]+) "
    r"\((?P<thread>[^)]*)\) \[(?P<logger>[^\]]+)\] (?P<message>.*)$"
)


def wait_for[T](
    condition: Callable[[], T | None],
    description: str,
    *,
    timeout: float,
    interval: float = 0.25,
    diagnose: Callable[[], str] | None = None,
) -> T:
    """Poll ``condition`` until it returns something truthy, or fail after ``timeout``.

    Exceptions raised by ``condition`` count as "not yet" (the last one is
    reported on timeout).
    """
    deadline = time.monotonic() + timeout
    last_error: BaseException | None = None
    while True:
        try:
            if result := condition():
                return result
        except (requests.RequestException, OSError, AssertionError, KeyError) as err:
            last_error = err
        if time.monotonic() >= deadline:
            details = f"; last error: {last_error!r}" if last_error else ""
            extra = f"\n{diagnose()}" if diagnose else ""
            pytest.fail(
                f"Timed out after {timeout:g} s waiting for {description}{details}{extra}"
            )
        time.sleep(interval)


def _stop(process: subprocess.Popen[bytes], timeout: float = STOP_TIMEOUT) -> None:
    """Stop a child with SIGTERM (graceful), or SIGKILL after ``timeout``."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass
class EmulatorProcess:
    """``python -m emulator`` as a subprocess that can be stopped and restarted.

    The certificate is kept in files, so a restart on the same port with the
    same seed is the same hub to a client that pinned its fingerprint.
    """

    workdir: Path
    port: int = field(default_factory=free_port)
    cloud_port: int = field(default_factory=free_port)
    #: More command-line options, e.g. ``("--advertise",)``.
    extra_args: tuple[str, ...] = ()
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0

    @property
    def cert_file(self) -> Path:
        """Return the hub certificate (PEM), also the CA to trust for the admin API."""
        return self.workdir / "cert.pem"

    @property
    def log_file(self) -> Path:
        """Return where the emulator's output goes."""
        return self.workdir / "emulator.log"

    @property
    def hub_url(self) -> str:
        """Return the hub's base URL."""
        return f"https://{HOST}:{self.port}"

    @property
    def cloud_url(self) -> str:
        """Return the cloud's base URL."""
        return f"http://{HOST}:{self.cloud_port}"

    @property
    def running(self) -> bool:
        """Return whether the process is alive."""
        return self.process is not None and self.process.poll() is None

    def start(self) -> None:
        """Start the emulator and wait until its admin API answers."""
        assert not self.running, "the emulator is already running"
        self.starts += 1
        with self.log_file.open("ab") as log:
            log.write(f"--- start {self.starts} ---\n".encode())
            log.flush()
            self.process = subprocess.Popen(  # noqa: S603
                [
                    sys.executable,
                    "-m",
                    "emulator",
                    "--host",
                    HOST,
                    "--port",
                    str(self.port),
                    "--cloud-port",
                    str(self.cloud_port),
                    "--api-key",
                    API_KEY,
                    "--seed",
                    str(SEED),
                    "--drift-interval",
                    "0",
                    "--cloud-hubs",
                    "0",
                    "--cert-file",
                    str(self.cert_file),
                    "--key-file",
                    str(self.workdir / "key.pem"),
                    *self.extra_args,
                ],
                cwd=ROOT,
                env=child_env(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

        def ready() -> bool:
            if not self.running:
                pytest.fail(f"The emulator exited:\n{self.log_file.read_text()}")
            return bool(self.admin("GET", "/admin").ok)

        wait_for(ready, "the emulator", timeout=EMULATOR_START_TIMEOUT)

    def stop(self) -> None:
        """Stop the emulator (SIGTERM) and wait until it has exited."""
        if self.process is not None:
            _stop(self.process)
            self.process = None

    def admin(
        self, method: str, path: str, json: Any = None, *, timeout: float = 10
    ) -> requests.Response:
        """Call the emulator's admin API (``path`` starts with ``/admin``)."""
        return requests.request(
            method,
            f"{self.hub_url}{path}",
            json=json,
            verify=str(self.cert_file),
            timeout=timeout,
        )

    def admin_json(self, method: str, path: str, json: Any = None) -> Any:
        """Call the admin API and return the JSON answer (failing on an error)."""
        response = self.admin(method, path, json)
        assert response.ok, f"{method} {path}: {response.status_code} {response.text}"
        return response.json()

    def device(self, device_id: str) -> dict[str, Any]:
        """Return a device as the emulator has it."""
        device: dict[str, Any] = self.admin_json("GET", f"/admin/devices/{device_id}")
        return device


@dataclass
class HassProcess:
    """``hass -c <config> --skip-pip`` as a subprocess, with an access token."""

    config_dir: Path
    port: int
    #: The Python of the venv whose Home Assistant runs.
    python: str = sys.executable
    process: subprocess.Popen[bytes] | None = None
    token: str = ""

    @property
    def url(self) -> str:
        """Return the base URL of Home Assistant."""
        return f"http://{HOST}:{self.port}"

    @property
    def client_id(self) -> str:
        """Return the OAuth client id of the tests (an IndieAuth URL)."""
        return f"{self.url}/"

    @property
    def log_file(self) -> Path:
        """Return Home Assistant's log file."""
        return self.config_dir / "home-assistant.log"

    @property
    def running(self) -> bool:
        """Return whether the process is alive."""
        return self.process is not None and self.process.poll() is None

    def start(self, env: dict[str, str]) -> None:
        """Start Home Assistant, wait until it answers, onboard and log in."""
        output = (self.config_dir / "hass.out").open("ab")
        with output:
            self.process = subprocess.Popen(  # noqa: S603
                [
                    self.python,
                    "-c",
                    HASS_MAIN,
                    "--config",
                    str(self.config_dir),
                    "--skip-pip",
                ],
                cwd=self.config_dir,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
            )

        def answers() -> bool:
            if not self.running:
                pytest.fail(f"hass exited:\n{self.log_tail()}")
            return bool(requests.get(f"{self.url}/api/onboarding", timeout=5).ok)

        wait_for(answers, "Home Assistant to answer", timeout=HASS_START_TIMEOUT)
        self._onboard()
        wait_for(
            lambda: self.get("/api/config").get("state") == "RUNNING",
            "Home Assistant to finish starting",
            timeout=HASS_START_TIMEOUT,
            diagnose=self.log_tail,
        )

    def _onboard(self) -> None:
        """Create the owner through the onboarding API and get an access token."""
        response = requests.post(
            f"{self.url}/api/onboarding/users",
            json={
                "client_id": self.client_id,
                "name": "End to end",
                "username": USERNAME,
                "password": PASSWORD,
                "language": "en",
            },
            timeout=30,
        )
        assert response.ok, response.text
        response = requests.post(
            f"{self.url}/auth/token",
            data={
                "grant_type": "authorization_code",
                "code": response.json()["auth_code"],
                "client_id": self.client_id,
            },
            timeout=30,
        )
        assert response.ok, response.text
        self.token = response.json()["access_token"]
        # The core_config step is left out: it sets up met, radio_browser and
        # google_translate, which want the internet. Nothing here needs it.
        self.post("/api/onboarding/analytics", {})
        self.post(
            "/api/onboarding/integration",
            {
                "client_id": self.client_id,
                "redirect_uri": f"{self.url}/?auth_callback=1",
            },
        )

    def stop(self) -> None:
        """Stop Home Assistant (SIGTERM) and wait until it has exited."""
        if self.process is not None:
            _stop(self.process)
            self.process = None

    # REST

    def request(
        self, method: str, path: str, json: Any = None, *, timeout: float = 30
    ) -> requests.Response:
        """Call Home Assistant's REST API with the access token."""
        return requests.request(
            method,
            f"{self.url}{path}",
            json=json,
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=timeout,
        )

    def get(self, path: str) -> Any:
        """GET and return the JSON answer (failing on an error)."""
        response = self.request("GET", path)
        assert response.ok, f"GET {path}: {response.status_code} {response.text}"
        return response.json()

    def post(self, path: str, json: Any = None) -> Any:
        """POST and return the JSON answer (failing on an error)."""
        response = self.request("POST", path, json)
        assert response.ok, f"POST {path}: {response.status_code} {response.text}"
        return response.json()

    def states(self) -> dict[str, dict[str, Any]]:
        """Return every state, by entity id."""
        return {state["entity_id"]: state for state in self.get("/api/states")}

    def state(self, entity_id: str) -> dict[str, Any]:
        """Return one state."""
        state: dict[str, Any] = self.get(f"/api/states/{entity_id}")
        return state

    def call_service(
        self, domain: str, service: str, data: dict[str, Any]
    ) -> requests.Response:
        """Call a service and wait for it (the REST API blocks until it is done)."""
        return self.request("POST", f"/api/services/{domain}/{service}", data)

    # WebSocket

    def websocket(self, message: dict[str, Any]) -> Any:
        """Send one WebSocket command and return its result."""
        return _run(self._websocket(message))

    async def _websocket(self, message: dict[str, Any]) -> Any:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session,
            session.ws_connect(f"{self.url}/api/websocket") as ws,
        ):
            assert (await ws.receive_json())["type"] == "auth_required"
            await ws.send_json({"type": "auth", "access_token": self.token})
            assert (await ws.receive_json())["type"] == "auth_ok"
            await ws.send_json({"id": 1, **message})
            while True:
                answer = await ws.receive_json()
                if answer.get("id") == 1 and answer["type"] == "result":
                    assert answer["success"], answer
                    return answer["result"]

    # Log

    def log_records(self, start: int = 0) -> list[dict[str, str]]:
        """Return the records of the log file from byte ``start`` on.

        Lines that do not start a record (tracebacks) are appended to the
        record before them.
        """
        with self.log_file.open("rb") as file:
            file.seek(start)
            text = file.read().decode("utf-8", "replace")
        records: list[dict[str, str]] = []
        for line in text.splitlines():
            if match := LOG_RECORD.match(line):
                records.append(match.groupdict())
            elif records:
                records[-1]["message"] += "\n" + line
        return records

    def log_size(self) -> int:
        """Return the log file's size now (an offset for :meth:`log_records`)."""
        return self.log_file.stat().st_size

    def log_tail(self, lines: int = 40) -> str:
        """Return the end of the log file, for failure messages."""
        if not self.log_file.exists():
            return "(no log file)"
        text = self.log_file.read_text("utf-8", "replace").splitlines()
        return "\n".join(["--- home-assistant.log (tail) ---", *text[-lines:]])


def _run[T](coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine on a private event loop.

    The current thread's loop (pytest-homeassistant-custom-component's) is
    left alone.
    """
    loop = asyncio.new_event_loop()
    try:
        result: T = loop.run_until_complete(coro)
        return result
    finally:
        loop.run_until_complete(loop.shutdown_default_executor())
        loop.close()


#: configuration.yaml; the HTTP settings come from scripts/ha_http.py.
CONFIGURATION = """\
# Written by tests/harness/processes.py.
api:
config:
automation: !include automations.yaml
logger:
  default: warning
  logs:
    custom_components.hearth: info
"""


def child_env() -> dict[str, str]:
    """Return the environment for a subprocess of a test (hass, the emulator, ...).

    pytest-cov's variables are dropped: coverage in a child would slow it
    down, measure other code than the integration, and (with pytest-cov 6)
    leave data files without branch coverage that cannot be combined with
    the suite's.
    """
    return {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("COV_CORE_", "PYTEST_"))
    }


@contextmanager
def running_emulator(
    workdir: Path,
    extra_args: tuple[str, ...] = (),
    ports: tuple[int, int] | None = None,
) -> Iterator[EmulatorProcess]:
    """Run the emulator until the end.

    ``extra_args`` go on its command line; ``ports`` are the hub's and the
    cloud's (free ports if None).
    """
    emulator = EmulatorProcess(workdir, extra_args=extra_args)
    if ports is not None:
        emulator.port, emulator.cloud_port = ports
    emulator.start()
    try:
        yield emulator
    finally:
        emulator.stop()


@contextmanager
def running_hass(
    config_dir: Path,
    emulator: EmulatorProcess,
    configuration: str = CONFIGURATION,
    python: str = sys.executable,
) -> Iterator[HassProcess]:
    """Run Home Assistant with custom_components/hearth in ``config_dir``.

    ``configuration`` is the text of configuration.yaml; the HTTP host and
    port are set the way the Home Assistant of ``python`` expects them.
    """
    port = free_port()
    http = ha_http.configure(config_dir, HOST, port, python)
    (config_dir / "configuration.yaml").write_text(http + configuration)
    (config_dir / "automations.yaml").write_text("[]\n")
    (config_dir / "custom_components").symlink_to(ROOT / "custom_components")
    hass = HassProcess(config_dir, port, python)
    env = child_env()
    env["HEARTH_CLOUD_URL"] = emulator.cloud_url
    try:
        hass.start(env)
        yield hass
    finally:
        hass.stop()
