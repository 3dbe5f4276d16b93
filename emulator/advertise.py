"""Announce the hub on the network: mDNS (zeroconf) and SSDP.

Failures (no multicast on the interface, UDP port 1900 taken, ...) are logged
as warnings; the emulator keeps serving without that announcement.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime
from email.utils import format_datetime
import ipaddress
import logging
import random
import socket
from typing import Final
import uuid
from xml.sax.saxutils import escape

from aiohttp import web
from zeroconf import Error as ZeroconfError, IPVersion, ServiceInfo
from zeroconf.asyncio import AsyncZeroconf

from .home import HubInfo

_LOGGER = logging.getLogger(__name__)

MDNS_SERVICE_TYPE: Final = "_hearth._tcp.local."
SSDP_DEVICE_TYPE: Final = "urn:hearth-home:device:hub:1"
SSDP_GROUP: Final = "239.255.255.250"
SSDP_PORT: Final = 1900
SSDP_DESCRIPTION_PATH: Final = "/ssdp/description.xml"
SSDP_MAX_AGE: Final = 1800
SSDP_NOTIFY_INTERVAL: Final = 300.0
_UDN_NAMESPACE: Final = uuid.UUID("6f1c8e52-3b0a-4c55-9a43-9c1f6de1a2b7")
_WILDCARDS: Final = frozenset({"", "0.0.0.0", "::"})  # noqa: S104


def hub_udn(hub_id: str) -> str:
    """Return the UPnP UDN of a hub; stable for a hub id."""
    return f"uuid:{uuid.uuid5(_UDN_NAMESPACE, hub_id)}"


def advertised_address(host: str) -> str:
    """Return the address to announce for a server bound to ``host``.

    A wildcard bind announces the address of the default route.
    """
    if host not in _WILDCARDS:
        return host
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("192.0.2.1", 9))  # TEST-NET-1; connect() on UDP sends nothing
        address: str = probe.getsockname()[0]
    except OSError:
        address = "127.0.0.1"
    finally:
        probe.close()
    return address


def url_host(address: str) -> str:
    """Return ``address`` as it goes in a URL (IPv6 in brackets)."""
    try:
        return f"[{address}]" if ipaddress.ip_address(address).version == 6 else address
    except ValueError:
        return address


def description_xml(hub: HubInfo, presentation_url: str) -> str:
    """Return the UPnP device description of the hub."""
    fields = {
        "deviceType": SSDP_DEVICE_TYPE,
        "friendlyName": hub.name,
        "manufacturer": "Hearth",
        "manufacturerURL": "https://hearth-home.io",
        "modelDescription": "Hearth home hub",
        "modelName": hub.model,
        "modelNumber": hub.model,
        "serialNumber": hub.id,
        "UDN": hub_udn(hub.id),
        "presentationURL": presentation_url,
    }
    device = "".join(
        f"    <{name}>{escape(value)}</{name}>\n" for name, value in fields.items()
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<root xmlns="urn:schemas-upnp-org:device-1-0">\n'
        "  <specVersion><major>1</major><minor>0</minor></specVersion>\n"
        f"  <device>\n{device}  </device>\n"
        "</root>\n"
    )


class _SsdpProtocol(asyncio.DatagramProtocol):
    def __init__(self, responder: SsdpResponder) -> None:
        self._responder = responder

    def datagram_received(self, data: bytes, addr: tuple[str | int, int]) -> None:
        self._responder.handle(data, (str(addr[0]), int(addr[1])))


class SsdpResponder:
    """Answers M-SEARCH and sends ``ssdp:alive``/``ssdp:byebye`` NOTIFYs."""

    def __init__(self, hub: HubInfo, interface: str, location: str) -> None:
        """Describe the hub to announce; nothing is sent before :meth:`start`."""
        self._udn = hub_udn(hub.id)
        self._interface = interface
        self._location = location
        self._server = f"Hearth/{hub.firmware} UPnP/1.1 HearthEmulator/1.0"
        self._transport: asyncio.DatagramTransport | None = None
        self._notifier: asyncio.Task[None] | None = None
        self._pending: set[asyncio.TimerHandle] = set()
        self._multicast = False

    @property
    def targets(self) -> tuple[str, ...]:
        """Return the search targets the hub answers to (besides ``ssdp:all``)."""
        return ("upnp:rootdevice", self._udn, SSDP_DEVICE_TYPE)

    def _usn(self, target: str) -> str:
        return self._udn if target == self._udn else f"{self._udn}::{target}"

    def _socket(self) -> socket.socket:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if hasattr(socket, "SO_REUSEPORT"):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            # A multicast receiver has to bind the wildcard address.
            sock.bind(("", SSDP_PORT))
            sock.setblocking(False)
        except OSError:
            sock.close()
            raise
        interface = socket.inet_aton(self._interface)
        try:
            sock.setsockopt(
                socket.IPPROTO_IP,
                socket.IP_ADD_MEMBERSHIP,
                socket.inet_aton(SSDP_GROUP) + interface,
            )
            sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, interface)
            sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 2)
            self._multicast = True
        except OSError as err:
            _LOGGER.warning(
                "SSDP: cannot join %s on %s (%s); answering unicast M-SEARCH only",
                SSDP_GROUP,
                self._interface,
                err,
            )
        return sock

    async def start(self) -> None:
        """Listen on UDP 1900 and announce the hub."""
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(
            lambda: _SsdpProtocol(self), sock=self._socket()
        )
        self._transport = transport
        if self._multicast:
            self._notifier = asyncio.create_task(
                self._notify_loop(), name="hearth-ssdp"
            )

    async def stop(self) -> None:
        """Say ``ssdp:byebye`` and stop listening."""
        for handle in self._pending:
            handle.cancel()
        self._pending.clear()
        if self._notifier is not None:
            self._notifier.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._notifier
            self._notifier = None
        if self._transport is not None:
            if self._multicast:
                self._notify("ssdp:byebye")
            self._transport.close()
            self._transport = None

    async def _notify_loop(self) -> None:
        while True:
            self._notify("ssdp:alive")
            await asyncio.sleep(SSDP_NOTIFY_INTERVAL)

    def _notify(self, subtype: str) -> None:
        for target in self.targets:
            lines = [
                "NOTIFY * HTTP/1.1",
                f"HOST: {SSDP_GROUP}:{SSDP_PORT}",
                f"NT: {target}",
                f"NTS: {subtype}",
                f"USN: {self._usn(target)}",
            ]
            if subtype == "ssdp:alive":
                lines += [
                    f"CACHE-CONTROL: max-age={SSDP_MAX_AGE}",
                    f"LOCATION: {self._location}",
                    f"SERVER: {self._server}",
                ]
            self._send(lines, (SSDP_GROUP, SSDP_PORT))

    def _send(self, lines: list[str], addr: tuple[str, int]) -> None:
        if self._transport is None:
            return
        message = "\r\n".join([*lines, "", ""]).encode()
        try:
            self._transport.sendto(message, addr)
        except OSError as err:
            _LOGGER.debug("SSDP: cannot send to %s: %s", addr, err)

    def handle(self, data: bytes, addr: tuple[str, int]) -> None:
        """Answer an M-SEARCH for the hub, after a short random delay."""
        lines = data.decode("utf-8", "replace").split("\r\n")
        if not lines or not lines[0].upper().startswith("M-SEARCH * HTTP/1.1"):
            return
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, sep, value = line.partition(":")
            if sep:
                headers[name.strip().upper()] = value.strip()
        if headers.get("MAN", "").strip('"') != "ssdp:discover":
            return
        search = headers.get("ST", "")
        if search == "ssdp:all":
            matches = list(self.targets)
        elif search in self.targets:
            matches = [search]
        else:
            return
        try:
            wait = min(max(int(headers.get("MX", "1")), 0), 1)
        except ValueError:
            wait = 1
        loop = asyncio.get_running_loop()
        for target in matches:
            delay = random.uniform(0, wait)  # noqa: S311 - spreading answers, not crypto
            handle = loop.call_later(delay, self._respond, target, addr)
            self._pending.add(handle)

    def _respond(self, target: str, addr: tuple[str, int]) -> None:
        self._pending = {handle for handle in self._pending if not handle.cancelled()}
        lines = [
            "HTTP/1.1 200 OK",
            f"CACHE-CONTROL: max-age={SSDP_MAX_AGE}",
            f"DATE: {format_datetime(datetime.now(UTC), usegmt=True)}",
            "EXT:",
            f"LOCATION: {self._location}",
            f"SERVER: {self._server}",
            f"ST: {target}",
            f"USN: {self._usn(target)}",
            "BOOTID.UPNP.ORG: 1",
            "CONFIGID.UPNP.ORG: 1",
        ]
        self._send(lines, addr)


class MdnsAdvertiser:
    """Registers ``_hearth._tcp.local.`` with the hub's TXT record."""

    def __init__(self, address: str, port: int) -> None:
        """Remember where the hub listens."""
        self._address = address
        self._port = port
        self._zeroconf: AsyncZeroconf | None = None
        self._info: ServiceInfo | None = None

    @staticmethod
    def properties(hub: HubInfo, fingerprint: str | None) -> dict[str, str]:
        """Return the TXT record of the hub."""
        txt = {
            "id": hub.id,
            "model": hub.model,
            "fw": hub.firmware,
            "api": hub.api_version,
        }
        if fingerprint:
            txt["fp"] = fingerprint
        return txt

    def _service(self, hub: HubInfo, fingerprint: str | None, name: str) -> ServiceInfo:
        return ServiceInfo(
            MDNS_SERVICE_TYPE,
            f"{name}.{MDNS_SERVICE_TYPE}",
            port=self._port,
            properties=self.properties(hub, fingerprint),
            server=f"{hub.id}.local.",
            parsed_addresses=[self._address],
        )

    async def start(self, hub: HubInfo, fingerprint: str | None) -> None:
        """Register the service."""
        version = ipaddress.ip_address(self._address).version
        self._zeroconf = AsyncZeroconf(
            interfaces=[self._address],
            ip_version=IPVersion.V6Only if version == 6 else IPVersion.V4Only,
        )
        info = self._service(hub, fingerprint, hub.name)
        # The call returns the task that broadcasts the announcement; waiting
        # for it too means no broadcast outlives start() (or stop()).
        broadcast = await self._zeroconf.async_register_service(
            info, allow_name_change=True
        )
        await broadcast
        self._info = info

    async def update(self, hub: HubInfo, fingerprint: str | None) -> None:
        """Publish a new TXT record (e.g. after a certificate rotation)."""
        if self._zeroconf is None or self._info is None:
            return
        name = self._info.name.removesuffix(f".{MDNS_SERVICE_TYPE}")
        self._info = self._service(hub, fingerprint, name)
        await (await self._zeroconf.async_update_service(self._info))

    async def stop(self) -> None:
        """Unregister the service and close zeroconf."""
        if self._zeroconf is not None:
            await self._zeroconf.async_close()
            self._zeroconf = None
            self._info = None


class Advertiser:
    """Runs the mDNS and SSDP announcements and serves the UPnP description."""

    def __init__(
        self,
        hub: HubInfo,
        host: str,
        port: int,
        scheme: str,
        *,
        description_port: int = 0,
    ) -> None:
        """Describe where the hub is; nothing is announced before :meth:`start`."""
        self._hub = hub
        self._host = host
        self.address = advertised_address(host)
        self._hub_url = f"{scheme}://{url_host(self.address)}:{port}"
        self._description_port = description_port
        self._mdns = MdnsAdvertiser(self.address, port)
        self._ssdp: SsdpResponder | None = None
        self._runner: web.AppRunner | None = None
        self._mdns_running = False
        #: Where SSDP points to; None until the description is served.
        self.location: str | None = None

    @property
    def description_port(self) -> int | None:
        """Return the port of the plain-HTTP description listener."""
        if self._runner is None or not self._runner.addresses:
            return None
        return int(self._runner.addresses[0][1])

    async def _description(self, request: web.Request) -> web.Response:
        return web.Response(
            text=description_xml(self._hub, self._hub_url),
            content_type="text/xml",
            charset="utf-8",
        )

    async def start(self, fingerprint: str | None) -> None:
        """Start every announcement that can start; warn about the others."""
        try:
            await self._mdns.start(self._hub, fingerprint)
            self._mdns_running = True
            _LOGGER.info("mDNS: announcing %s on %s", MDNS_SERVICE_TYPE, self.address)
        except (OSError, ValueError, ZeroconfError) as err:
            _LOGGER.warning(
                "mDNS: cannot announce the hub on %s: %s", self.address, err
            )
            await self._mdns.stop()
        try:
            app = web.Application()
            app.router.add_get(SSDP_DESCRIPTION_PATH, self._description)
            self._runner = web.AppRunner(app, access_log=None)
            await self._runner.setup()
            await web.TCPSite(self._runner, self._host, self._description_port).start()
        except OSError as err:
            _LOGGER.warning("SSDP: cannot serve the device description: %s", err)
            await self._stop_description()
            return
        self.location = (
            f"http://{url_host(self.address)}:{self.description_port}"
            f"{SSDP_DESCRIPTION_PATH}"
        )
        ssdp = SsdpResponder(self._hub, self.address, self.location)
        try:
            await ssdp.start()
        except OSError as err:
            _LOGGER.warning("SSDP: cannot listen on UDP %s: %s", SSDP_PORT, err)
            self.location = None
            await self._stop_description()
            return
        self._ssdp = ssdp
        _LOGGER.info("SSDP: answering M-SEARCH, description at %s", self.location)

    async def update(self, hub: HubInfo, fingerprint: str | None) -> None:
        """Refresh the mDNS TXT record."""
        self._hub = hub
        if self._mdns_running:
            try:
                await self._mdns.update(hub, fingerprint)
            except (OSError, ZeroconfError) as err:
                _LOGGER.warning("mDNS: cannot update the announcement: %s", err)

    async def _stop_description(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def stop(self) -> None:
        """Withdraw every announcement."""
        if self._ssdp is not None:
            await self._ssdp.stop()
            self._ssdp = None
        await self._mdns.stop()
        self._mdns_running = False
        await self._stop_description()
