"""Properties of the host validator, over any text (hypothesis)."""

from __future__ import annotations

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
from tests.harness.hosts import ANY_TEXT, assert_usable_host

ERRORS: dict[str, str] = json.loads(
    (
        Path(__file__).parents[2] / "custom_components" / "hearth" / "strings.json"
    ).read_text(encoding="utf-8")
)["config"]["error"]
PLACEHOLDER = re.compile(r"\{(\w+)\}")

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
