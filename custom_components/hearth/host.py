"""The one validator of hub addresses, typed by a user or reported by discovery.

A hub address is a host and a port. The host is one of:

- an IPv4 address in dotted-quad form (``192.168.1.20``);
- an IPv6 address, bracketed when a port follows (``[fe80::1]:8443``);
- a host name, which may be internationalized: it is processed as IDNA
  defines (UTS #46, with the STD3 rules of letters, digits and hyphens), so
  what is stored is its lower-case ASCII form (``xn--…`` for a non-ASCII
  label).

The port, when given, is 1 to 65535 in ASCII digits.

Unicode digits are handled on purpose, not by accident:

- In the host, UTS #46 maps full-width characters (U+FF01 to U+FF5E) to
  their ASCII forms, as browsers do, so 127.0.0.1 typed in full-width
  digits means 127.0.0.1 and is stored so. Digits of other scripts, such as
  Arabic-Indic digits, are not mapped; a host whose last label is made only
  of digits must then be a dotted-quad IPv4 address in ASCII digits, so
  those are refused, as are the short forms ``127.1`` and ``2130706433``
  that the system resolver would quietly turn into an address.
- In the port, only ASCII digits count: a superscript two (U+00B2) or
  full-width digits are refused, since a port is never written any other
  way.

Invisible and control characters (a zero-width space, NUL, a line break)
are refused with their name rather than dropped, so the user sees what was
pasted. The unspecified addresses (``0.0.0.0``, ``::``) and multicast
addresses are refused: neither is the address of one hub.
"""

from __future__ import annotations

import ipaddress
import string
from typing import Final
import unicodedata

# Installed with Home Assistant itself (yarl, which builds every URL, needs
# it), so the manifest's requirements stay empty.
import idna

#: Longest host name DNS allows, in ASCII characters.
MAX_HOST_LENGTH: Final = 253
#: ASCII characters a host name may hold.
_HOST_NAME_ASCII: Final = frozenset(string.ascii_letters + string.digits + "-.")
#: Unicode categories never part of a host name: control, format (such as
#: the zero-width space), surrogate, private use, unassigned, separators.
_REFUSED_CATEGORIES: Final = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp", "Zs"})


class InvalidHostError(ValueError):
    """The address is unusable; ``error`` is the translation key to show."""

    def __init__(self, error: str, placeholders: dict[str, str] | None = None) -> None:
        """Keep the translation key and the placeholders of its text."""
        super().__init__(error)
        self.error = error
        self.placeholders = placeholders or {}


def parse_host(value: str, default_port: int) -> tuple[str, int]:
    """Return the host and port of what a user typed in the host field.

    ``host``, ``host:port``, a bare IPv6 address or ``[IPv6]:port`` are
    accepted; surrounding whitespace is ignored. Raises InvalidHostError.
    """
    value = value.strip()
    if "://" in value or "/" in value:
        raise InvalidHostError("host_is_url")
    port_text: str | None = None
    if value.startswith("["):
        host, bracket, rest = value[1:].partition("]")
        if not bracket or (rest and not rest.startswith(":")):
            raise InvalidHostError("invalid_host")
        port_text = rest[1:] if rest else None
        if not _is_ipv6(host):
            _refuse_characters(host, also_allowed=":")
            raise InvalidHostError("invalid_host")
    elif value.count(":") > 1:
        host = value
        if not _is_ipv6(host):
            _refuse_characters(host, also_allowed=":")
            raise InvalidHostError("invalid_host")
    else:
        host, colon, port_text = value.partition(":")
        if not colon:
            port_text = None
    host = normalize_host(host)
    if port_text is None:
        return host, default_port
    return host, parse_port(port_text)


def parse_port(text: str) -> int:
    """Return a port written in 1 to 5 ASCII digits, from 1 to 65535."""
    if not 0 < len(text) <= 5 or not text.isascii() or not text.isdigit():
        raise InvalidHostError("invalid_port")
    port = int(text)
    if not 0 < port < 65536:
        raise InvalidHostError("invalid_port")
    return port


def normalize_host(host: str) -> str:
    """Return the ASCII form of a host without a port; IPv6 is not bracketed.

    Discovery reports a host this way; :func:`parse_host` passes the host
    part of the field through here too.
    """
    if not host:
        raise InvalidHostError("invalid_host")
    if len(host) > MAX_HOST_LENGTH:
        raise InvalidHostError("host_too_long", {"max_length": str(MAX_HOST_LENGTH)})
    if _is_ipv6(host):
        return _usable_address(ipaddress.IPv6Address(host))
    _refuse_characters(host)
    try:
        # STD3 rules leave only letters, digits and hyphens in each label;
        # idna also refuses a label over 63 or a name over 253 characters.
        ascii_host = idna.encode(
            host.removesuffix("."), uts46=True, std3_rules=True
        ).decode("ascii")
    except (idna.IDNAError, UnicodeError):
        raise InvalidHostError("invalid_host") from None
    last_label = ascii_host.rpartition(".")[2]
    if last_label.isdigit() or last_label.startswith("0x"):
        # Only a dotted-quad IPv4 address may end in a number.
        try:
            address = ipaddress.IPv4Address(ascii_host)
        except ValueError:
            raise InvalidHostError("invalid_host") from None
        return _usable_address(address)
    return ascii_host


def format_host(host: str, port: int, default_port: int | None) -> str:
    """Return how a host and port are written in the host field.

    The inverse of :func:`parse_host`: IPv6 is bracketed and the port that
    would be assumed (``default_port``; None to always show it) is left out.
    """
    shown = f"[{host}]" if ":" in host else host
    return shown if port == default_port else f"{shown}:{port}"


def describe_character(char: str) -> str:
    """Name a character so that a person can find it, visible or not."""
    code = f"U+{ord(char):04X}"
    name = unicodedata.name(char, "")
    if char.isprintable() and not char.isspace():
        return f"“{char}” ({code})"
    return f"{code} {name}".rstrip()


def _is_ipv6(host: str) -> bool:
    """Return whether ``host`` is an IPv6 address (without a zone)."""
    if ":" not in host or "%" in host or not host.isascii():
        return False
    try:
        ipaddress.IPv6Address(host)
    except ValueError:
        return False
    return True


def _usable_address(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    """Return the address as text, unless it cannot be one hub's address."""
    if address.is_unspecified or address.is_multicast:
        raise InvalidHostError("not_a_hub_address", {"address": str(address)})
    return str(address)


def _refuse_characters(host: str, also_allowed: str = "") -> None:
    """Refuse the first character that no host name or address may contain.

    ASCII characters outside letters, digits, ``-`` and ``.`` are refused
    here, and so are invisible and control characters of any script; what
    else IDNA rejects gets the general error.
    """
    for char in host:
        if char.isascii():
            if char in _HOST_NAME_ASCII or char in also_allowed:
                continue
        elif unicodedata.category(char) not in _REFUSED_CATEGORIES:
            continue
        raise InvalidHostError(
            "invalid_host_character", {"character": describe_character(char)}
        )
