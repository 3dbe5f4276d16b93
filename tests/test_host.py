"""Properties of the host validator, over any text (hypothesis)."""

from __future__ import annotations

import ipaddress
import json
from pathlib import Path
import re

from hypothesis import event, given, settings, strategies as st
import pytest
from yarl import URL

from custom_components.hearth.api import DEFAULT_PORT
from custom_components.hearth.host import (
    InvalidHostError,
    format_host,
    normalize_host,
    parse_host,
)

ERRORS: dict[str, str] = json.loads(
    (
        Path(__file__).parents[1] / "custom_components" / "hearth" / "strings.json"
    ).read_text(encoding="utf-8")
)["config"]["error"]
PLACEHOLDER = re.compile(r"\{(\w+)\}")
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
#: Bounded and deterministic, so that CI sees the same examples every run.
PROPERTY_SETTINGS = settings(
    max_examples=500, deadline=None, derandomize=True, database=None
)


def assert_field_error(err: InvalidHostError) -> None:
    """Check that the error is translated and its placeholders are all given."""
    assert err.error in ERRORS
    needed = set(PLACEHOLDER.findall(ERRORS[err.error]))
    assert needed == set(err.placeholders)
    assert all(err.placeholders.values())


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


@PROPERTY_SETTINGS
@given(ANY_TEXT)
def test_any_text_is_an_address_or_a_field_error(value: str) -> None:
    """Nothing but InvalidHostError is raised; what passes can be used and shown."""
    try:
        host, port = parse_host(value, DEFAULT_PORT)
    except InvalidHostError as err:
        assert_field_error(err)
        event(err.error)
        return
    event("accepted")
    assert_usable_host(host)
    assert 0 < port < 65536
    URL.build(scheme="https", host=host, port=port)
    shown = format_host(host, port, DEFAULT_PORT)
    assert parse_host(shown, DEFAULT_PORT) == (host, port)


@PROPERTY_SETTINGS
@given(ANY_TEXT)
def test_any_discovered_host_is_usable_or_refused(value: str) -> None:
    """The discovery entry point holds to the same rules, and is idempotent."""
    try:
        host = normalize_host(value)
    except InvalidHostError as err:
        assert_field_error(err)
        return
    assert_usable_host(host)
    assert normalize_host(host) == host


@PROPERTY_SETTINGS
@given(
    st.integers(min_value=1, max_value=65535),
    st.text(st.characters(exclude_characters="/:"), max_size=3),
)
def test_ports_are_ascii_digits(port: int, noise: str) -> None:
    """A port in ASCII digits passes; one with anything else added never does."""
    assert parse_host(f"hub:{port}", DEFAULT_PORT) == ("hub", port)
    text = f"{port}{noise}".strip()
    if text.isascii() and text.isdigit():
        return
    with pytest.raises(InvalidHostError) as err:
        parse_host(f"hub:{text}", DEFAULT_PORT)
    assert err.value.error == "invalid_port"
