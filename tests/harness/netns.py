"""A network namespace joined to the test's own by a veth pair: a LAN of two hosts.

The test (and Home Assistant in it) stays in its namespace; what runs in the
other namespace, through ``ip netns exec``, is another host on a private link:
its broadcasts reach only the test's end of the pair, and nothing it sends
can leave the machine. Names are random per use, so concurrent runs do not
collide, and :func:`network_namespace` removes everything it made even when
the test fails.

It needs Linux, root and ``ip`` (iproute2); elsewhere the test is skipped.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network
import os
import random
import secrets
import shutil
import subprocess
import sys

import pytest

#: Where the links' addresses come from: the block for benchmarking network
#: devices (RFC 2544), never routed on the Internet. Each link gets a /29.
ADDRESS_BLOCK = IPv4Network("198.18.0.0/15")
LINK_PREFIX = 29


@dataclass(frozen=True)
class Link:
    """The namespace and the two ends of its veth pair."""

    namespace: str
    #: The end in the test's namespace, and its address.
    local_interface: str
    local_address: IPv4Address
    #: The end inside the namespace.
    remote_interface: str
    network: IPv4Network

    def remote_address(self, index: int = 0) -> IPv4Address:
        """Return the ``index``-th address for the other host (after the local one)."""
        return self.network[2 + index]

    def ip(self, *args: str) -> None:
        """Run ``ip`` inside the namespace."""
        _ip("-n", self.namespace, *args)

    def set_remote_address(self, address: IPv4Address) -> None:
        """Give the other host ``address`` instead of whatever it had."""
        self.ip("address", "flush", "dev", self.remote_interface)
        self.ip(
            "address",
            "add",
            f"{address}/{self.network.prefixlen}",
            "dev",
            self.remote_interface,
        )

    def command(self, argv: Sequence[str]) -> list[str]:
        """Return ``argv`` as a command that runs inside the namespace."""
        return ["ip", "netns", "exec", self.namespace, *argv]


def _ip(*args: str) -> None:
    result = subprocess.run(  # noqa: S603 - fixed program, our own arguments
        ["ip", *args],  # noqa: S607 - iproute2 from PATH
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode:
        msg = f"ip {' '.join(args)}: {result.stderr.strip()}"
        raise OSError(msg)


def _networks_in_use() -> list[IPv4Network]:
    """Return the IPv4 networks routed in the test's namespace."""
    output = subprocess.run(  # noqa: S603 - fixed command
        ["ip", "-4", "-o", "route", "show", "table", "all"],  # noqa: S607
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    networks = []
    for line in output.splitlines():
        # "10.0.0.0/8 dev ...", "local 127.0.0.1 dev lo ...", "default via ..."
        for word in line.split()[:2]:
            try:
                networks.append(IPv4Network(word, strict=False))
                break
            except ValueError:
                continue
    return networks


def _free_network() -> IPv4Network:
    """Pick a /29 of :data:`ADDRESS_BLOCK` that no route of this namespace covers."""
    in_use = _networks_in_use()
    candidates = list(ADDRESS_BLOCK.subnets(new_prefix=LINK_PREFIX))
    for network in random.sample(candidates, 64):
        if not any(network.overlaps(other) for other in in_use):
            return network
    msg = f"no free /{LINK_PREFIX} in {ADDRESS_BLOCK}"
    raise OSError(msg)


def skip_reason() -> str | None:
    """Return why this machine cannot make network namespaces, or None."""
    if not sys.platform.startswith("linux"):
        return "network namespaces need Linux"
    if os.geteuid() != 0:
        return "network namespaces and veth pairs need root"
    if shutil.which("ip") is None:
        return "network namespaces need the ip command (iproute2)"
    return None


@contextmanager
def network_namespace(remote_mac: str | None = None) -> Iterator[Link]:
    """Make a namespace and a veth pair, yield the link, then remove them.

    ``remote_mac`` is given to the end inside the namespace, so that the
    other host has that MAC address. The test is skipped when the machine
    forbids namespaces.
    """
    if reason := skip_reason():
        pytest.skip(reason)
    suffix = secrets.token_hex(4)
    network = _free_network()
    link = Link(
        namespace=f"hearth-test-{suffix}",
        local_interface=f"hth{suffix}l",
        local_address=network[1],
        remote_interface=f"hth{suffix}r",
        network=network,
    )
    try:
        _ip("netns", "add", link.namespace)
    except OSError as err:
        pytest.skip(f"this machine forbids network namespaces: {err}")
    try:
        _ip(
            "link", "add", link.local_interface, "type", "veth",
            "peer", "name", link.remote_interface, "netns", link.namespace,
        )  # fmt: skip
        _ip(
            "address", "add", f"{link.local_address}/{LINK_PREFIX}",
            "dev", link.local_interface,
        )  # fmt: skip
        _ip("link", "set", link.local_interface, "up")
        if remote_mac is not None:
            link.ip("link", "set", link.remote_interface, "address", remote_mac)
        link.set_remote_address(link.remote_address())
        link.ip("link", "set", link.remote_interface, "up")
        link.ip("link", "set", "lo", "up")
        yield link
    finally:
        # Deleting the namespace deletes its end of the pair, and so the
        # pair; the local end is deleted too in case the pair never formed.
        _ip("netns", "delete", link.namespace)
        with suppress(OSError):
            _ip("link", "delete", link.local_interface)
