"""Reference emulator of a Hearth hub and of the Hearth Cloud.

Run it with ``python -m emulator`` or use :class:`Emulator` in-process::

    emu = Emulator(api_keys=["demo"], drift_interval=0)
    await emu.start(port=0, cloud_port=0)
    ...
    await emu.stop()

The wire format is described in ``docs/openapi.yaml``; the emulator-only admin
API, who may use it (:mod:`.guard`), the hub page and the fault kinds in
``docs/api.md``.
"""

from .account import CloudAccount, CloudHub
from .faults import Fault, FaultKind, FaultTarget
from .home import Device, DeviceKind, DeviceState, Home, HubInfo
from .ratelimit import UNLIMITED_BUDGET, RetryAfterFormat
from .server import Emulator, wall_clock
from .stats import Stats

__all__ = [
    "UNLIMITED_BUDGET",
    "CloudAccount",
    "CloudHub",
    "Device",
    "DeviceKind",
    "DeviceState",
    "Emulator",
    "Fault",
    "FaultKind",
    "FaultTarget",
    "Home",
    "HubInfo",
    "RetryAfterFormat",
    "Stats",
    "wall_clock",
]
