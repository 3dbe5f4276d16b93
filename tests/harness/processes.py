"""Subprocesses of the tests: the environment they run in."""

from __future__ import annotations

import os


def child_env() -> dict[str, str]:
    """Return the environment for a subprocess of a test (hass, the emulator, ...).

    pytest-cov's variables are dropped: coverage in a child would slow it
    down, measure other code than the integration, and (with pytest-cov 6)
    leave data files without branch coverage that cannot be combined with
    the suite's.
    """
    return {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("COV_CORE_", "PYTEST_"))
    }
