"""Text for the host validator to take apart, and what a usable host is.

The host tests feed these strategies to the validator directly; the config
flow's property tests feed them to the form.
"""

from __future__ import annotations

import ipaddress
import re

from hypothesis import strategies as st

#: A host name as stored: lower-case LDH labels of 1 to 63 characters.
LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")

#: Pieces that, joined at random, reach every branch of the validator.
PIECES = [
    "127.0.0.1",
    "192.168.1.20",
    "0.0.0.0",  # noqa: S104 - a host typed by a user, not a bind
    "hub",
    "hearth-3f2a9c.local",
    "xn--bcher-kva",
    "b\u00fccher",
    "::1",
    "fe80::1",
    "::",
    "[",
    "]",
    ":",
    ".",
    "-",
    "_",
    "%",
    "@",
    "/",
    "://",
    "?",
    "#",
    "\\",
    "{",
    "\x00",
    "\r\n",
    " ",
    "\u200b",
    "\u00ad",
    "\u00b2",
    "\uff11\uff12\uff17",
    "\uff0e",
    "\uff1a",
    "\u0661",
    "0x7f",
    "8443",
    "65535",
    "65536",
    "0",
    "9" * 30,
    "h" * 300,
]
HOSTISH = st.lists(
    st.one_of(st.sampled_from(PIECES), st.text(max_size=3)), max_size=8
).map("".join)
WITH_PORT = st.builds(
    "{}:{}".format,
    st.sampled_from(["127.0.0.1", "hub.local", "[::1]"]),
    st.one_of(
        st.text(max_size=6),
        st.integers(-5, 70_000).map(str),
        st.sampled_from(["\u00b2", "\uff18\uff14\uff14\uff13", "9" * 10_000]),
    ),
)
ANY_TEXT = st.one_of(st.text(), HOSTISH, WITH_PORT)


def assert_usable_host(host: str) -> None:
    """Check that a host is the address of one device or an ASCII host name."""
    assert host.isascii()
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        assert len(host) <= 253
        assert all(LABEL.fullmatch(label) for label in host.split("."))
        assert not host.rpartition(".")[2].isdigit()
    else:
        assert not address.is_unspecified
        assert not address.is_multicast
