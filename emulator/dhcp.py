"""The hub announcing itself by DHCP, as a real hub does when it (re)joins a network.

A hub that remembers its address asks the DHCP server to confirm it after a
reboot: a DHCPREQUEST broadcast from ``0.0.0.0`` with its MAC address, the
requested address and its host name (RFC 2131, INIT-REBOOT state). Home
Assistant's DHCP watcher listens for exactly these requests. The emulator
sends one on the interface given with ``--dhcp-interface`` once it serves,
and needs no DHCP server to answer: discovery only needs the request.

The frame is sent on a raw packet socket (Linux, root or CAP_NET_RAW), so
that its source MAC is the hub's even if the interface has another one. Only
send it on a network you own: every host on that link sees it.
"""

from __future__ import annotations

from ipaddress import IPv4Address
import secrets
import socket
import struct
from typing import Final

#: UDP ports of DHCP (RFC 2131): clients send from 68 to the servers' 67.
CLIENT_PORT: Final = 68
SERVER_PORT: Final = 67
#: BOOTP's magic cookie, which starts the DHCP options (RFC 2132).
MAGIC_COOKIE: Final = b"\x63\x82\x53\x63"
#: DHCP message type DHCPREQUEST (option 53).
DHCPREQUEST: Final = 3
_ETHERTYPE_IPV4: Final = 0x0800
_BROADCAST_MAC: Final = b"\xff" * 6
_BOOTP_MIN_LENGTH: Final = 300  # RFC 1542: relay agents may drop shorter ones
# Options (RFC 2132)
_OPTION_HOSTNAME: Final = 12
_OPTION_REQUESTED_ADDRESS: Final = 50
_OPTION_MESSAGE_TYPE: Final = 53
_OPTION_PARAMETERS: Final = 55
_OPTION_CLIENT_ID: Final = 61
_OPTION_END: Final = 255
#: Subnet mask, router, DNS server, domain name: what a hub asks for.
_REQUESTED_PARAMETERS: Final = bytes([1, 3, 6, 15])


def _mac_bytes(mac: str) -> bytes:
    """Return the six bytes of a MAC address written ``aa:bb:cc:dd:ee:ff``."""
    raw = bytes.fromhex(mac.replace(":", "").replace("-", ""))
    if len(raw) != 6:
        msg = f"not a MAC address: {mac!r}"
        raise ValueError(msg)
    return raw


def _checksum(header: bytes) -> int:
    """Return the Internet checksum (RFC 1071) of an IPv4 header."""
    total: int = sum(struct.unpack(f"!{len(header) // 2}H", header))
    while total > 0xFFFF:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def _option(code: int, value: bytes) -> bytes:
    return bytes([code, len(value)]) + value


def dhcp_request(
    mac: str, hostname: str, address: IPv4Address, *, xid: int | None = None
) -> bytes:
    """Return the DHCPREQUEST of a hub confirming ``address``: a whole Ethernet frame.

    Broadcast at every layer (Ethernet, IPv4 ``0.0.0.0`` to
    ``255.255.255.255``, the BOOTP broadcast flag), since the hub has no
    confirmed address yet.
    """
    chaddr = _mac_bytes(mac)
    name = hostname.encode("ascii")
    if not 0 < len(name) < 256:
        msg = f"a host name has 1 to 255 characters: {hostname!r}"
        raise ValueError(msg)
    bootp = struct.pack(
        "!BBBBIHH4s4s4s4s16s64s128s",
        1,  # op: BOOTREQUEST
        1,  # htype: Ethernet
        6,  # hlen
        0,  # hops
        secrets.randbits(32) if xid is None else xid,
        0,  # secs
        0x8000,  # flags: broadcast, the client cannot receive unicast yet
        b"\0" * 4,  # ciaddr: none while in INIT-REBOOT
        b"\0" * 4,  # yiaddr
        b"\0" * 4,  # siaddr
        b"\0" * 4,  # giaddr
        chaddr,
        b"",
        b"",
    )
    bootp += MAGIC_COOKIE
    bootp += _option(_OPTION_MESSAGE_TYPE, bytes([DHCPREQUEST]))
    bootp += _option(_OPTION_CLIENT_ID, b"\x01" + chaddr)
    bootp += _option(_OPTION_REQUESTED_ADDRESS, address.packed)
    bootp += _option(_OPTION_HOSTNAME, name)
    bootp += _option(_OPTION_PARAMETERS, _REQUESTED_PARAMETERS)
    bootp += bytes([_OPTION_END])
    bootp = bootp.ljust(_BOOTP_MIN_LENGTH, b"\0")
    udp = struct.pack("!HHHH", CLIENT_PORT, SERVER_PORT, 8 + len(bootp), 0) + bootp
    ip_header = struct.pack(
        "!BBHHHBBH4s4s",
        0x45,  # IPv4, 5 words of header
        0,
        20 + len(udp),
        0,
        0,
        64,  # TTL
        socket.IPPROTO_UDP,
        0,  # checksum, filled in below
        b"\0" * 4,  # source 0.0.0.0: no address yet
        IPv4Address("255.255.255.255").packed,
    )
    ip_header = (
        ip_header[:10] + struct.pack("!H", _checksum(ip_header)) + ip_header[12:]
    )
    ethernet = _BROADCAST_MAC + chaddr + struct.pack("!H", _ETHERTYPE_IPV4)
    return ethernet + ip_header + udp


def send_dhcp_request(
    interface: str, mac: str, hostname: str, address: IPv4Address
) -> None:
    """Broadcast the hub's DHCPREQUEST on ``interface`` (Linux; root or CAP_NET_RAW).

    Raises OSError when the interface does not exist or the process may not
    open a raw socket.
    """
    frame = dhcp_request(mac, hostname, address)
    with socket.socket(socket.AF_PACKET, socket.SOCK_RAW) as sock:
        sock.bind((interface, 0))
        sock.send(frame)
