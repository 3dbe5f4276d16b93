"""Discovery announcements, without touching the real network."""

from __future__ import annotations

import asyncio
from xml.etree import ElementTree as ET

from emulator.advertise import (
    SSDP_DEVICE_TYPE,
    MdnsAdvertiser,
    SsdpResponder,
    description_xml,
    hub_udn,
)
from emulator.demo import hub_identity

NS = {"upnp": "urn:schemas-upnp-org:device-1-0"}


class _Transport(asyncio.DatagramTransport):
    def __init__(self) -> None:
        super().__init__()
        self.sent: list[tuple[bytes, tuple[str, int]]] = []

    def sendto(self, data: bytes, addr: object = None) -> None:
        assert isinstance(addr, tuple)
        self.sent.append((data, addr))

    def close(self) -> None:
        pass


def test_description() -> None:
    """The UPnP description names the hub the way HA's SSDP matcher expects."""
    hub = hub_identity(1)
    document = description_xml(hub, "https://192.0.2.5:8443")
    root = ET.fromstring(document)  # noqa: S314 - the emulator's own output
    device = root.find("upnp:device", NS)
    assert device is not None

    def text(name: str) -> str | None:
        return device.findtext(f"upnp:{name}", namespaces=NS)

    assert text("deviceType") == SSDP_DEVICE_TYPE
    assert text("manufacturer") == "Hearth"
    assert text("serialNumber") == hub.id
    assert text("UDN") == hub_udn(hub.id) == hub_udn(hub_identity(1).id)
    assert text("presentationURL") == "https://192.0.2.5:8443"


def test_txt_record() -> None:
    """The mDNS TXT record carries id, model, fw, api and fp."""
    hub = hub_identity(1)
    assert MdnsAdvertiser.properties(hub, "ab" * 32) == {
        "id": hub.id,
        "model": "HH-100",
        "fw": "1.4.2",
        "api": "1.3",
        "fp": "ab" * 32,
    }


async def test_msearch_answers() -> None:
    """M-SEARCH for ssdp:all gets three answers; unrelated targets get none."""
    hub = hub_identity(1)
    location = "http://192.0.2.5:40000/ssdp/description.xml"
    responder = SsdpResponder(hub, "192.0.2.5", location)
    transport = _Transport()
    responder._transport = transport

    def search(target: str) -> bytes:
        return (
            "M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\n"
            f'MAN: "ssdp:discover"\r\nMX: 0\r\nST: {target}\r\n\r\n'
        ).encode()

    responder.handle(search("ssdp:all"), ("192.0.2.9", 50000))
    responder.handle(
        search("urn:schemas-upnp-org:device:MediaRenderer:1"), ("192.0.2.9", 50000)
    )
    responder.handle(search(SSDP_DEVICE_TYPE), ("192.0.2.9", 50000))
    await asyncio.sleep(0.05)
    answers = [
        data.decode() for data, addr in transport.sent if addr == ("192.0.2.9", 50000)
    ]
    assert len(answers) == 4
    assert all(f"LOCATION: {location}" in answer for answer in answers)
    targets = sorted(
        line.removeprefix("ST: ")
        for answer in answers
        for line in answer.split("\r\n")
        if line.startswith("ST: ")
    )
    assert targets == sorted(
        [SSDP_DEVICE_TYPE, SSDP_DEVICE_TYPE, "upnp:rootdevice", hub_udn(hub.id)]
    )
    await responder.stop()
