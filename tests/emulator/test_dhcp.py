"""The hub's DHCP announcement, read the way Home Assistant's watcher reads it."""

from __future__ import annotations

from ipaddress import IPv4Address

import aiodhcpwatcher
import pytest
from scapy.layers.dhcp import BOOTP
from scapy.layers.inet import IP, UDP
from scapy.layers.l2 import Ether

from emulator.__main__ import main
from emulator.dhcp import dhcp_request

MAC = "A4:C1:38:0A:1B:2C"
HOSTNAME = "hearth-0a1b2c"
ADDRESS = IPv4Address("198.18.0.2")


def test_watcher_reads_the_request() -> None:
    """The packet handler of aiodhcpwatcher finds the address, host name and MAC."""
    seen: list[aiodhcpwatcher.DHCPRequest] = []
    handle = aiodhcpwatcher.make_packet_handler(seen.append)
    handle(Ether(dhcp_request(MAC, HOSTNAME, ADDRESS)))
    assert seen == [
        aiodhcpwatcher.DHCPRequest(str(ADDRESS), HOSTNAME, "a4:c1:38:0a:1b:2c")
    ]


def test_frame_is_a_valid_broadcast() -> None:
    """Checksum, lengths and addresses are what a DHCP server expects."""
    frame = dhcp_request(MAC, HOSTNAME, ADDRESS, xid=0x1234)
    packet = Ether(frame)
    assert packet.dst == "ff:ff:ff:ff:ff:ff"
    assert packet.src == MAC.lower()
    ip = packet[IP]
    assert (ip.src, ip.dst, ip.ttl) == ("0.0.0.0", "255.255.255.255", 64)  # noqa: S104
    rebuilt = ip.copy()
    del rebuilt.chksum
    assert IP(bytes(rebuilt)).chksum == ip.chksum
    assert ip.len == len(frame) - 14
    udp = packet[UDP]
    assert (udp.sport, udp.dport, udp.len) == (68, 67, ip.len - 20)
    bootp = packet[BOOTP]
    assert (bootp.op, bootp.xid, bootp.flags) == (1, 0x1234, "B")
    assert bootp.chaddr[:6] == bytes.fromhex(MAC.replace(":", ""))
    assert len(bytes(bootp)) >= 300


@pytest.mark.parametrize(
    ("mac", "hostname"),
    [
        ("A4:C1:38", HOSTNAME),
        ("zz:zz:zz:zz:zz:zz", HOSTNAME),
        (MAC, ""),
        (MAC, "h" * 256),
    ],
    ids=["short-mac", "not-hex", "no-name", "long-name"],
)
def test_refuses_what_dhcp_cannot_carry(mac: str, hostname: str) -> None:
    """A malformed MAC or host name is an error, not a garbled frame."""
    with pytest.raises(ValueError):  # noqa: PT011 - each case has its own message
        dhcp_request(mac, hostname, ADDRESS)


@pytest.mark.parametrize("host", ["127.0.0.1", "0.0.0.0", "::1", "hub.local"])  # noqa: S104
def test_cli_needs_the_hubs_address(
    host: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--dhcp-interface`` is refused unless --host is the address to request."""
    with pytest.raises(SystemExit) as exit_info:
        main(["--dhcp-interface", "eth9", "--host", host])
    assert exit_info.value.code == 2
    assert (
        "--dhcp-interface needs the hub's own IPv4 address" in capsys.readouterr().err
    )
