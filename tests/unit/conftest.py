"""Hooks of the unit tests: no Home Assistant instance, no sockets.

Sockets are blocked for every test (pytest-homeassistant-custom-component
blocks them); a unit test that asks for a fixture that starts Home
Assistant or opens sockets again errors before that fixture runs.
"""

from __future__ import annotations

import pytest


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Refuse a unit test that needs Home Assistant or sockets.

    Every fixture that needs a Home Assistant instance or the network depends
    on ``hass`` or ``socket_enabled``, so these two in a test's fixture
    closure are enough to tell.
    """
    used = {"hass", "socket_enabled"}.intersection(getattr(item, "fixturenames", ()))
    if used:
        pytest.fail(
            f"{item.nodeid} is a unit test but uses {', '.join(sorted(used))}: "
            "move it out of tests/unit/",
            pytrace=False,
        )
