"""The :class:`Emulator`: a Hearth hub and the Hearth Cloud in one process.

It is usable in-process (inside a test's event loop) and from the command line
(``python -m emulator``). Every time-dependent behaviour uses the injected
``clock``; the background drift uses the event loop's own timers.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Iterable, Mapping, Sequence
import contextlib
import logging
from pathlib import Path
import random
import secrets
import ssl
import time
from types import TracebackType
from typing import Any, Final, Self

from aiohttp import WSCloseCode, web

from .account import CLOUD_HUB_DEVICES, DEFAULT_PAGE_SIZE, CloudAccount, CloudHub
from .admin import admin_routes
from .advertise import Advertiser, url_host
from .cloud import AUTHORIZE_PATH, TOKEN_PATH, CloudServer
from .demo import (
    DEFAULT_SEED,
    DEMO_LATEST_FIRMWARE,
    account_id,
    build_home,
    hub_identity,
)
from .faults import Fault, FaultKind, FaultSet, parse_fault
from .firmware import (
    DEFAULT_RESTART_SECONDS,
    DEFAULT_STEP_SECONDS,
    FirmwareInstaller,
    FirmwareTimings,
)
from .guard import AdminGuard, guard_middleware, is_loopback
from .home import (
    API_VERSION,
    Device,
    Home,
    HubInfo,
    InvalidRequestError,
    JSONDict,
    NotFoundError,
    PressType,
    is_number,
)
from .hub import HubServer
from .keys import KeyRing
from .middleware import AppRunner
from .oauth import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    DEFAULT_TOKEN_LIFETIME,
    SCOPES,
    TokenStore,
    parse_scope,
)
from .page import page_routes
from .ratelimit import RetryAfterFormat, SlidingWindowLimiter
from .stats import Stats
from .tls import HubTLS

_LOGGER = logging.getLogger(__name__)

DEFAULT_DRIFT_INTERVAL: Final = 30.0
#: How long stopping waits for in-flight requests before cancelling them.
SHUTDOWN_TIMEOUT: Final = 2.0
#: The reason event streams are closed with (1012) when the hub restarts.
RESTART_REASON: Final = "restarting"


def wall_clock() -> float:
    """Return the current epoch time (looked up at each call, so freezegun applies)."""
    return time.time()


async def _stop_listening(runner: web.AppRunner | None) -> None:
    """Stop accepting connections on ``runner``'s sites; open ones stay."""
    if runner is not None:
        for site in list(runner.sites):
            await site.stop()


class Emulator:
    """A Hearth hub (HTTPS, ``/api/v1``) and the Hearth Cloud (HTTP, ``/v1``).

    ``devices=None`` serves the demo home; a number serves a generated home of
    that many devices. ``rate_limit=None`` means no practical limit (see
    :data:`~.ratelimit.UNLIMITED_BUDGET`). ``clock`` returns epoch seconds.
    """

    def __init__(
        self,
        *,
        api_keys: Sequence[str] = ("demo",),
        read_only_keys: Sequence[str] = (),
        rate_limit: int | None = None,
        devices: int | None = None,
        drift_interval: float = DEFAULT_DRIFT_INTERVAL,
        tls: bool = True,
        clock: Callable[[], float] = wall_clock,
        seed: int = DEFAULT_SEED,
        client_id: str = DEFAULT_CLIENT_ID,
        client_secret: str = DEFAULT_CLIENT_SECRET,
        token_lifetime: int = DEFAULT_TOKEN_LIFETIME,
        cloud_hubs: int = 1,
        page_size: int = DEFAULT_PAGE_SIZE,
        advertise: bool = False,
        ssdp_http_port: int = 0,
        certificate_files: tuple[Path, Path] | None = None,
        admin_token: str | None = None,
        redirect_uris: Sequence[str] = (),
        firmware_latest: str | None = DEMO_LATEST_FIRMWARE,
        firmware_step: float = DEFAULT_STEP_SECONDS,
        firmware_restart: float = DEFAULT_RESTART_SECONDS,
    ) -> None:
        """Build the state; nothing listens before :meth:`start`.

        ``certificate_files`` (certificate and key PEM paths) keep the hub's
        certificate across restarts: they are read, or written when missing,
        and a rotated certificate is written to them too.

        ``admin_token`` guards the admin API and the hub page (see
        :mod:`.guard`); without one, a token is made up at start when the hub
        is bound to anything other than loopback. ``redirect_uris`` are
        allowed for ``/oauth/authorize`` besides the defaults.

        Every hub is offered firmware ``firmware_latest`` (None: none); an
        install reports progress every ``firmware_step`` seconds, then the
        hub restarts, down for ``firmware_restart`` seconds (see
        :mod:`.firmware`).
        """
        if devices is not None and devices < 0:
            raise ValueError("devices must be >= 0")
        if cloud_hubs < 0:
            raise ValueError("cloud_hubs must be >= 0")
        self._clock = clock
        self._seed = seed
        self._rng = random.Random(seed)  # noqa: S311 - simulated readings
        self._drift_interval = drift_interval
        self._tls_enabled = tls
        self._advertise = advertise
        self._ssdp_http_port = ssdp_http_port
        self._certificate_files = certificate_files
        self._firmware_latest = firmware_latest
        self.home: Home = build_home(hub_identity(seed), devices, seed, firmware_latest)
        self.keys = KeyRing(api_keys, read_only_keys)
        self.limiter = SlidingWindowLimiter(clock, rate_limit)
        self.faults = FaultSet()
        self.stats = Stats()
        self.tokens = TokenStore(
            clock,
            client_id,
            client_secret,
            token_lifetime,
            redirect_uris=tuple(redirect_uris),
        )
        self._admin_token = admin_token
        self.guard = AdminGuard(tls=tls, token=admin_token)
        self.account = CloudAccount(account_id(seed), page_size=page_size)
        self.account.add(self.home)
        self._next_cloud_hub = 1
        for _ in range(cloud_hubs):
            self.add_cloud_hub()
        self._stopping: asyncio.Event | None = None
        self.installer = FirmwareInstaller(
            self.faults,
            FirmwareTimings(firmware_step, firmware_restart),
            going_down=self._going_down,
            coming_back=self._coming_back,
            spawn=self._spawn,
        )
        #: Whether each restarting hub was connected to the cloud before.
        self._cloud_online: dict[str, bool] = {}
        self._hub_server = HubServer(
            self.home,
            self.keys,
            self.limiter,
            self.faults,
            self.stats,
            self._stop_event,
            self.installer.install,
        )
        self._cloud_server = CloudServer(
            self.account,
            self.tokens,
            self.limiter,
            self.faults,
            self.stats,
            self._stop_event,
            self.installer.install,
        )
        self._tls: HubTLS | None = None
        self._hub_runner: web.AppRunner | None = None
        self._cloud_runner: web.AppRunner | None = None
        self._advertiser: Advertiser | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._unsubscribe_hub: Callable[[], None] | None = None
        self.host = "127.0.0.1"
        self.port = 0
        self.cloud_port: int | None = None

    # Lifecycle

    async def start(
        self, host: str = "127.0.0.1", port: int = 0, cloud_port: int | None = 0
    ) -> None:
        """Start serving; port 0 picks a free port, ``cloud_port=None`` skips the cloud."""
        if self._hub_runner is not None:
            raise RuntimeError("the emulator is already running")
        self._stopping = asyncio.Event()
        self.host = host
        self.guard = AdminGuard(
            bound_host=host,
            tls=self._tls_enabled,
            token=self.admin_token_for(host, self._admin_token),
        )
        try:
            if self._tls_enabled:
                self._tls = HubTLS(
                    self.hub_id, [host], self._clock, self._certificate_files
                )
            hub_app = self._hub_server.build_app()
            hub_app.middlewares.insert(0, guard_middleware(lambda: self.guard))
            hub_app.router.add_routes(admin_routes(self))
            hub_app.router.add_routes(page_routes(self))
            self._hub_runner, self.port = await self._serve(
                hub_app, host, port, self._tls.context if self._tls else None
            )
            self.guard.port = self.port
            if cloud_port is not None:
                self._cloud_runner, self.cloud_port = await self._serve(
                    self._cloud_server.build_app(), host, cloud_port, None
                )
            if self._drift_interval > 0:
                self._spawn(self._drift_loop(), "hearth-drift")
            if self._advertise:
                self._advertiser = Advertiser(
                    self.home.hub,
                    host,
                    self.port,
                    "https" if self._tls else "http",
                    description_port=self._ssdp_http_port,
                )
                await self._advertiser.start(self.fingerprint)
                self._unsubscribe_hub = self.home.subscribe(self._on_home_change)
        except BaseException:
            await self.stop()
            raise

    @staticmethod
    def admin_token_for(host: str, given: str | None) -> str | None:
        """Return the admin token of a hub bound to ``host``.

        The given one if any; else none on loopback and a random one anywhere
        else (``0.0.0.0`` and ``::`` included).
        """
        if given is not None or is_loopback(host):
            return given
        return secrets.token_urlsafe(24)

    @staticmethod
    async def _serve(
        app: web.Application, host: str, port: int, ssl_context: ssl.SSLContext | None
    ) -> tuple[web.AppRunner, int]:
        runner = AppRunner(
            app, handler_cancellation=True, shutdown_timeout=SHUTDOWN_TIMEOUT
        )
        await runner.setup()
        try:
            await web.TCPSite(runner, host, port, ssl_context=ssl_context).start()
        except BaseException:
            await runner.cleanup()
            raise
        return runner, int(runner.addresses[0][1])

    async def stop(self) -> None:
        """Stop serving; hanging requests are released and dropped.

        Both servers stop accepting connections, and requests on idle ones,
        before the event streams close, as a hub that loses power would: a
        client that reconnects at once is refused, not let in while the
        servers shut down.
        """
        if self._stopping is not None:
            self._stopping.set()
        if self._unsubscribe_hub is not None:
            self._unsubscribe_hub()
            self._unsubscribe_hub = None
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for runner in (self._hub_runner, self._cloud_runner):
            await _stop_listening(runner)
            if runner is not None and runner.server is not None:
                # Idle keep-alive connections close too: no request gets in.
                runner.server.pre_shutdown()
        if self._advertiser is not None:
            await self._advertiser.stop()
            self._advertiser = None
        await self._hub_server.close()
        await self._cloud_server.close()
        for runner in (self._hub_runner, self._cloud_runner):
            if runner is not None:
                await runner.cleanup()
        self._hub_runner = self._cloud_runner = None

    async def __aenter__(self) -> Self:
        """Start on free loopback ports."""
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Stop."""
        await self.stop()

    def _stop_event(self) -> asyncio.Event:
        if self._stopping is None:
            self._stopping = asyncio.Event()
        return self._stopping

    def _spawn(self, coro: Coroutine[Any, Any, None], name: str) -> None:
        task = asyncio.get_running_loop().create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _drift_loop(self) -> None:
        while True:
            await asyncio.sleep(self._drift_interval)
            self.drift()

    async def _going_down(self, home: Home) -> None:
        """Take a restarting hub off the network, and off the cloud."""
        cloud_hub = self.account.hubs.get(home.hub.id)
        if cloud_hub is not None and cloud_hub.home is home:
            self._cloud_online[home.hub.id] = cloud_hub.online
            cloud_hub.online = False
        runner = self._hub_runner
        if home is not self.home or runner is None:
            return
        await _stop_listening(runner)
        await self._hub_server.streams.close(
            WSCloseCode.SERVICE_RESTART, RESTART_REASON
        )
        if runner.server is not None:
            for connection in runner.server.connections:
                connection.force_close()

    async def _coming_back(self, home: Home) -> None:
        """Put a restarted hub back on the cloud, and on the network."""
        cloud_hub = self.account.hubs.get(home.hub.id)
        if cloud_hub is not None and cloud_hub.home is home:
            cloud_hub.online = self._cloud_online.pop(home.hub.id, True)
        if home is self.home and self._hub_runner is not None:
            await web.TCPSite(
                self._hub_runner,
                self.host,
                self.port,
                ssl_context=self._tls.context if self._tls else None,
            ).start()

    def _on_home_change(self, message: JSONDict) -> None:
        if message["type"] == "hub":
            self._refresh_advertisement()

    def _refresh_advertisement(self) -> None:
        if self._advertiser is not None:
            self._spawn(
                self._advertiser.update(self.home.hub, self.fingerprint),
                "hearth-advertise",
            )

    # Addresses and identity

    @property
    def hub_id(self) -> str:
        """Return the local hub's id."""
        return self.home.hub.id

    @property
    def hub(self) -> HubInfo:
        """Return the local hub's identity."""
        return self.home.hub

    @property
    def hub_url(self) -> str:
        """Return e.g. ``https://127.0.0.1:8443`` (without ``/api/v1``)."""
        scheme = "https" if self._tls_enabled else "http"
        return f"{scheme}://{url_host(self._local_host)}:{self.port}"

    @property
    def page_url(self) -> str:
        """Return the hub page, e.g. ``https://127.0.0.1:8443/``."""
        return f"{self.hub_url}/"

    @property
    def admin_token(self) -> str | None:
        """Return the token the admin API and the hub page need, if any."""
        return self.guard.token

    @property
    def cloud_url(self) -> str:
        """Return e.g. ``http://127.0.0.1:8444`` (without ``/v1``)."""
        return f"http://{url_host(self._local_host)}:{self.cloud_port}"

    @property
    def _local_host(self) -> str:
        """Return the bound host, or loopback when bound to every address."""
        if self.host in {"", "0.0.0.0"}:  # noqa: S104
            return "127.0.0.1"
        if self.host == "::":
            return "::1"
        return self.host

    @property
    def authorize_url(self) -> str:
        """Return the OAuth2 authorization endpoint."""
        return f"{self.cloud_url}{AUTHORIZE_PATH}"

    @property
    def token_url(self) -> str:
        """Return the OAuth2 token endpoint."""
        return f"{self.cloud_url}{TOKEN_PATH}"

    @property
    def fingerprint(self) -> str | None:
        """Return the SHA-256 fingerprint of the hub certificate (64 hex digits)."""
        return self._tls.fingerprint if self._tls else None

    @property
    def certificate_pem(self) -> bytes | None:
        """Return the hub certificate in PEM form."""
        return self._tls.certificate.cert_pem if self._tls else None

    @property
    def api_keys(self) -> list[str]:
        """Return the keys with full access."""
        return list(self.keys.full)

    @property
    def read_only_keys(self) -> list[str]:
        """Return the read-only keys."""
        return list(self.keys.read_only)

    @property
    def client_id(self) -> str:
        """Return the OAuth2 client id."""
        return self.tokens.client_id

    @property
    def client_secret(self) -> str:
        """Return the OAuth2 client secret."""
        return self.tokens.client_secret

    @property
    def ssdp_location(self) -> str | None:
        """Return the SSDP LOCATION URL while advertising."""
        return self._advertiser.location if self._advertiser else None

    @property
    def ssdp_http_port(self) -> int | None:
        """Return the port of the plain-HTTP UPnP description listener."""
        return self._advertiser.description_port if self._advertiser else None

    @property
    def event_stream_count(self) -> int:
        """Return the number of open hub ``/events`` WebSockets."""
        return len(self._hub_server.streams)

    @property
    def cloud_event_stream_count(self) -> int:
        """Return the number of open cloud ``/v1/events`` WebSockets."""
        return len(self._cloud_server.streams)

    async def wait_for_event_streams(self, count: int, *, cloud: bool = False) -> None:
        """Wait until exactly ``count`` hub (or cloud) event streams are open."""
        server = self._cloud_server if cloud else self._hub_server
        await server.streams.wait_for(count)

    # Devices and hub

    def add_device(self, device: Mapping[str, Any]) -> Device:
        """Add a device from full or partial device JSON (``kind`` is required)."""
        return self.home.add_device(device)

    def remove_device(self, device_id: str) -> Device:
        """Remove a device."""
        return self.home.remove_device(device_id)

    def set_online(self, device_id: str, online: bool) -> Device:
        """Bring a device online or take it offline."""
        return self.home.set_online(device_id, online)

    def set_state(self, device_id: str, **values: Any) -> Device:
        """Set any DeviceState fields of a device; None clears a field."""
        return self.home.set_state(device_id, values)

    def update_device(self, device_id: str, changes: Mapping[str, Any]) -> Device:
        """Change ``name``, ``model``, ``firmware``, ``online`` and/or ``state``."""
        return self.home.update_device(device_id, changes)

    def press_button(
        self, device_id: str, button_id: str, press_type: str = PressType.SHORT
    ) -> JSONDict:
        """Press a button of a button device; return the press the streams carry.

        Its ``seq`` starts from the clock in milliseconds, so that it keeps
        rising when the emulator is restarted, as a hub's does.
        """
        return self.home.press(
            device_id, button_id, press_type, seq_floor=int(self._clock() * 1000)
        )

    def update_hub(self, **changes: str) -> HubInfo:
        """Change the hub's ``name``, ``model``, ``firmware``, ``api_version`` or ``mac``."""
        return self.home.update_hub(changes)

    def drift(self) -> list[Device]:
        """Move every sensor reading one step, as the drift task does."""
        elapsed = self._drift_interval or DEFAULT_DRIFT_INTERVAL
        changed: list[Device] = []
        for hub in self.account.hubs.values():
            changed += hub.home.drift(self._rng, elapsed)
        if not any(hub.home is self.home for hub in self.account.hubs.values()):
            changed += self.home.drift(self._rng, elapsed)
        return changed

    # Firmware

    @property
    def restarting(self) -> bool:
        """Return True while the local hub is down, restarting after an install."""
        return self.hub_id in self.installer.restarting

    def install_firmware(
        self, version: str | None = None, *, hub_id: str | None = None
    ) -> JSONDict:
        """Start installing the latest firmware, as ``POST /firmware/install`` does.

        On the local hub, or on a hub of the cloud account; returns the
        firmware at once, while the install runs on.
        """
        home = self.home if hub_id is None else self.account.get(hub_id).home
        return self.installer.install(home, version)

    def firmware_status(self) -> JSONDict:
        """Return the local hub's firmware and the timings of installs."""
        return {
            "firmware": self.home.firmware_json(),
            "timings": self.installer.timings.to_json(),
        }

    def update_firmware(self, changes: Mapping[str, Any]) -> JSONDict:
        """Change the release the local hub is offered and the timings of installs.

        ``latest``, ``release_notes`` and ``release_url`` (strings, or None)
        describe the release (a ``firmware`` event when they change);
        ``step_seconds`` and ``restart_seconds`` time every hub's installs.
        """
        timings = {"step_seconds", "restart_seconds"}
        for name in timings & set(changes):
            if not (is_number(changes[name]) and changes[name] >= 0):
                raise InvalidRequestError(f"{name!r} must be a number >= 0")
        release = {k: v for k, v in changes.items() if k not in timings}
        if release:
            self.home.update_release(release)
        for name in timings & set(changes):
            setattr(self.installer.timings, name, float(changes[name]))
        return self.firmware_status()

    # Rate limits

    def set_rate_limit(
        self,
        limit: int | None,
        retry_after_format: RetryAfterFormat | str | None = None,
    ) -> None:
        """Set requests per 60 s per key/account (None: unlimited) and the Retry-After style."""
        self.limiter.limit = limit
        if retry_after_format is not None:
            self.limiter.retry_after_format = RetryAfterFormat(retry_after_format)

    def reset_rate_limits(self) -> None:
        """Empty every rate window."""
        self.limiter.reset()

    # Faults

    def add_fault(self, kind: FaultKind | str, **options: Any) -> Fault:
        """Inject a fault; see :class:`~.faults.Fault` for the options."""
        return self.activate_fault(parse_fault({"kind": str(kind), **options}))

    def activate_fault(self, fault: Fault, *, spare: object | None = None) -> Fault:
        """Inject a parsed fault; state faults take effect at once.

        ``spare`` is passed on to :meth:`rotate_certificate`.
        """
        if fault.kind is FaultKind.ROTATE_CERTIFICATE:
            self.rotate_certificate(spare=spare)
            return fault
        if fault.kind is FaultKind.API_VERSION and fault.version:
            self.home.update_hub({"api_version": fault.version})
        elif fault.kind is FaultKind.REVOKE_KEY and fault.key:
            self.keys.revoked.add(fault.key)
            self._hub_server.streams.force_close(fault.key)
        elif fault.kind is FaultKind.EXPIRE_TOKENS:
            self.tokens.expire_all()
            self._cloud_server.close_expired_streams()
        return self.faults.add(fault)

    def remove_fault(self, fault_id: str) -> Fault:
        """Remove one fault and undo what it changed."""
        fault = self.faults.remove(fault_id)
        if fault is None:
            raise NotFoundError(f"No fault {fault_id!r}")
        self._undo(fault)
        return fault

    def clear_faults(self) -> list[Fault]:
        """Remove every fault and undo what the state faults changed.

        Revoked keys work again, the API version and expired tokens are
        restored, hubs whose restart hangs come back. A rotated certificate
        stays rotated.
        """
        faults = self.faults.clear()
        for fault in faults:
            self._undo(fault)
        self.installer.release()
        return faults

    def _undo(self, fault: Fault) -> None:
        remaining = list(self.faults)
        if fault.kind is FaultKind.API_VERSION:
            versions = [
                f.version
                for f in remaining
                if f.kind is FaultKind.API_VERSION and f.version
            ]
            version = versions[-1] if versions else API_VERSION
            self.home.update_hub({"api_version": version})
        elif fault.kind is FaultKind.REVOKE_KEY and fault.key:
            if not any(
                f.kind is FaultKind.REVOKE_KEY and f.key == fault.key for f in remaining
            ):
                self.keys.revoked.discard(fault.key)
        elif fault.kind is FaultKind.EXPIRE_TOKENS and not any(
            f.kind is FaultKind.EXPIRE_TOKENS for f in remaining
        ):
            self.tokens.restore()
        elif fault.kind is FaultKind.RESTART_HANG:
            self.installer.release()

    def revoke_key(self, key: str) -> Fault:
        """Make an API key get 401 until the faults are cleared."""
        return self.add_fault(FaultKind.REVOKE_KEY, key=key)

    def expire_tokens(self) -> Fault:
        """Make every issued access token get 401 ``token_expired``.

        Open cloud event streams are closed with 4001 at once.
        """
        return self.add_fault(FaultKind.EXPIRE_TOKENS)

    def rotate_certificate(self, *, spare: object | None = None) -> str:
        """Serve a new certificate on new handshakes and close open connections.

        Returns the new fingerprint. Clearing the faults does not undo this.
        ``spare`` is a connection (an aiohttp request's ``protocol``) that is
        closed only after its current answer, such as the admin request's own.
        """
        if self._tls is None:
            raise RuntimeError("the hub is not serving TLS")
        fingerprint = self._tls.rotate()
        self._hub_server.streams.force_close()
        server = self._hub_runner.server if self._hub_runner is not None else None
        for connection in server.connections if server is not None else ():
            if connection is spare:
                connection.close()
            else:
                connection.force_close()
        self._refresh_advertisement()
        _LOGGER.info("Rotated the hub certificate; new fingerprint %s", fingerprint)
        return fingerprint

    # Cloud

    def cloud_hub(self, hub_id: str) -> CloudHub:
        """Return a hub of the cloud account."""
        return self.account.get(hub_id)

    def add_cloud_hub(
        self,
        *,
        hub_id: str | None = None,
        name: str | None = None,
        devices: int | None = CLOUD_HUB_DEVICES,
        online: bool = True,
    ) -> CloudHub:
        """Put a new generated hub on the cloud account (``devices=None``: demo home)."""
        index = self._next_cloud_hub
        self._next_cloud_hub += 1
        identity = hub_identity(self._seed, index, name)
        if hub_id is not None:
            identity.id = hub_id
        return self.account.add(
            build_home(identity, devices, self._seed, self._firmware_latest),
            online=online,
        )

    def remove_cloud_hub(self, hub_id: str) -> CloudHub:
        """Take a hub off the cloud account (the local hub too, if asked)."""
        return self.account.remove(hub_id)

    def set_cloud_hub_online(self, hub_id: str, online: bool) -> CloudHub:
        """Mark a hub of the account as connected to the cloud or not."""
        hub = self.account.get(hub_id)
        hub.online = online
        return hub

    def issue_token(
        self, scope: str | Iterable[str] | None = None, *, lifetime: int | None = None
    ) -> dict[str, object]:
        """Issue a token pair directly, bypassing the authorization flow."""
        scopes = (
            parse_scope(scope)
            if scope is None or isinstance(scope, str)
            else parse_scope(" ".join(scope))
        )
        return self.tokens.issue(scopes, lifetime=lifetime)

    def create_authorization_code(
        self, redirect_uri: str, scope: str | None = None
    ) -> str:
        """Return an authorization code, as ``/oauth/authorize`` would redirect with."""
        scopes = parse_scope(scope) if scope is not None else SCOPES
        return self.tokens.create_code(self.tokens.client_id, redirect_uri, scopes)

    # Statistics (``self.stats`` holds the counters)

    def reset_stats(self) -> None:
        """Start the statistics again from zero."""
        self.stats.reset()
