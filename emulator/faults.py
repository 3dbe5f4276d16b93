"""Injected faults: what can go wrong, where, and how often.

Request faults act on matching requests (see :mod:`.middleware`); state
faults change the emulator once when they are added (see
:meth:`emulator.Emulator.add_fault`); install faults spoil firmware installs
(see :mod:`.firmware`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
import itertools
from typing import Any, Final

from .home import InvalidRequestError, JSONDict, is_int, is_number


class FaultKind(StrEnum):
    """Every fault the emulator can inject."""

    LATENCY = "latency"
    HANG = "hang"
    SERVER_ERROR = "server_error"
    DROP = "drop"
    TRUNCATED_BODY = "truncated_body"
    MALFORMED_JSON = "malformed_json"
    TRUNCATED_JSON = "truncated_json"
    WRONG_SCHEMA = "wrong_schema"
    HUGE_BODY = "huge_body"
    API_VERSION = "api_version"
    REVOKE_KEY = "revoke_key"
    EXPIRE_TOKENS = "expire_tokens"
    ROTATE_CERTIFICATE = "rotate_certificate"
    FIRMWARE_FAILURE = "firmware_failure"
    RESTART_HANG = "restart_hang"


class FaultTarget(StrEnum):
    """Which server a fault applies to."""

    HUB = "hub"
    CLOUD = "cloud"
    ALL = "all"


#: Faults that act before the request is handled (no budget is used).
BEFORE_KINDS: Final = frozenset(
    {FaultKind.LATENCY, FaultKind.HANG, FaultKind.SERVER_ERROR, FaultKind.DROP}
)
#: Faults that spoil a successful (200) answer after it was handled.
AFTER_KINDS: Final = frozenset(
    {
        FaultKind.TRUNCATED_BODY,
        FaultKind.MALFORMED_JSON,
        FaultKind.TRUNCATED_JSON,
        FaultKind.WRONG_SCHEMA,
        FaultKind.HUGE_BODY,
    }
)
REQUEST_KINDS: Final = BEFORE_KINDS | AFTER_KINDS
#: Faults that change the emulator once and stay until the faults are cleared.
STATE_KINDS: Final = frozenset(
    {FaultKind.API_VERSION, FaultKind.REVOKE_KEY, FaultKind.EXPIRE_TOKENS}
)
#: Faults that spoil firmware installs, of any hub, however started.
INSTALL_KINDS: Final = frozenset({FaultKind.FIRMWARE_FAILURE, FaultKind.RESTART_HANG})
DEFAULT_DELAYS: Final[Mapping[FaultKind, float]] = {
    FaultKind.LATENCY: 1.0,
    FaultKind.HANG: 3600.0,
    FaultKind.RESTART_HANG: 3600.0,
}
DEFAULT_SERVER_ERROR_STATUS: Final = 503
#: The error a failing install reports unless the fault names another.
DEFAULT_FIRMWARE_FAILURE: Final = "verification_failed"
_FIELDS: Final = frozenset(
    {
        "kind",
        "target",
        "path",
        "count",
        "delay",
        "status",
        "version",
        "key",
        "chunked",
        "code",
    }
)
_ids = itertools.count(1)


@dataclass(slots=True)
class Fault:
    """One injected fault.

    ``count`` is how many more requests it spoils (None: until cleared);
    ``delay`` is waited before the fault acts (for ``latency``, the request is
    then handled normally).
    """

    id: str
    kind: FaultKind
    target: FaultTarget = FaultTarget.ALL
    path: str | None = None
    count: int | None = None
    delay: float = 0.0
    status: int = DEFAULT_SERVER_ERROR_STATUS
    version: str | None = None
    key: str | None = None
    chunked: bool = False
    code: str = DEFAULT_FIRMWARE_FAILURE

    def matches(self, target: FaultTarget, path: str) -> bool:
        """Return True when the fault applies to a request of ``target``."""
        if self.kind not in REQUEST_KINDS:
            return False
        if self.target is not FaultTarget.ALL and self.target is not target:
            return False
        return self.path is None or path.startswith(self.path)

    def to_json(self) -> JSONDict:
        """Return the admin API form; a revoked key is not echoed back."""
        data: JSONDict = {
            "id": self.id,
            "kind": str(self.kind),
            "target": str(self.target),
            "path": self.path,
            "count": self.count,
            "delay": self.delay,
        }
        if self.kind is FaultKind.SERVER_ERROR:
            data["status"] = self.status
        if self.kind is FaultKind.API_VERSION:
            data["version"] = self.version
        if self.kind is FaultKind.HUGE_BODY:
            data["chunked"] = self.chunked
        if self.kind is FaultKind.FIRMWARE_FAILURE:
            data["code"] = self.code
        return data


def parse_fault(data: Mapping[str, Any]) -> Fault:
    """Build a fault from admin JSON, or raise InvalidRequestError."""
    unknown = sorted(set(data) - _FIELDS)
    if unknown:
        raise InvalidRequestError(f"Unknown fault field(s): {', '.join(unknown)}")
    try:
        kind = FaultKind(str(data.get("kind")))
    except ValueError as err:
        raise InvalidRequestError(
            f"'kind' must be one of: {', '.join(FaultKind)}"
        ) from err
    try:
        target = FaultTarget(str(data.get("target", FaultTarget.ALL)))
    except ValueError as err:
        raise InvalidRequestError("'target' must be 'hub', 'cloud' or 'all'") from err
    path = data.get("path")
    if path is not None and not (isinstance(path, str) and path.startswith("/")):
        raise InvalidRequestError("'path' must be a path prefix starting with '/'")
    count = data.get("count")
    if count is not None and not (is_int(count) and count >= 1):
        raise InvalidRequestError("'count' must be an integer >= 1")
    delay = data.get("delay", DEFAULT_DELAYS.get(kind, 0.0))
    if not (is_number(delay) and delay >= 0):
        raise InvalidRequestError("'delay' must be a number of seconds >= 0")
    status = data.get("status", DEFAULT_SERVER_ERROR_STATUS)
    if not (is_int(status) and 400 <= status <= 599):
        raise InvalidRequestError("'status' must be an integer 400..599")
    version = data.get("version")
    if kind is FaultKind.API_VERSION and not (isinstance(version, str) and version):
        raise InvalidRequestError("'api_version' needs a 'version' string")
    key = data.get("key")
    if kind is FaultKind.REVOKE_KEY and not (isinstance(key, str) and key):
        raise InvalidRequestError("'revoke_key' needs a 'key' string")
    chunked = data.get("chunked", False)
    if not isinstance(chunked, bool):
        raise InvalidRequestError("'chunked' must be a boolean")
    code = data.get("code", DEFAULT_FIRMWARE_FAILURE)
    if not (isinstance(code, str) and code):
        raise InvalidRequestError("'code' must be a non-empty string")
    return Fault(
        id=f"fault-{next(_ids)}",
        kind=kind,
        target=target,
        path=path,
        count=count,
        delay=float(delay),
        status=status,
        version=version,
        key=key,
        chunked=chunked,
        code=code,
    )


class FaultSet:
    """The active faults, in the order they were added."""

    def __init__(self) -> None:
        """Start without faults."""
        self._faults: dict[str, Fault] = {}

    def __iter__(self) -> Iterator[Fault]:
        """Iterate over the active faults."""
        return iter(list(self._faults.values()))

    def __len__(self) -> int:
        """Return the number of active faults."""
        return len(self._faults)

    def add(self, fault: Fault) -> Fault:
        """Activate a fault."""
        self._faults[fault.id] = fault
        return fault

    def remove(self, fault_id: str) -> Fault | None:
        """Deactivate one fault; return it, or None when unknown."""
        return self._faults.pop(fault_id, None)

    def clear(self) -> list[Fault]:
        """Deactivate every fault; return them."""
        faults = list(self._faults.values())
        self._faults.clear()
        return faults

    def find(self, target: FaultTarget, path: str) -> Fault | None:
        """Return the first request fault that applies, without using it up."""
        return next(
            (fault for fault in self._faults.values() if fault.matches(target, path)),
            None,
        )

    def take(self, kind: FaultKind) -> Fault | None:
        """Return the first fault of ``kind`` and count one use of it."""
        fault = next((f for f in self._faults.values() if f.kind is kind), None)
        if fault is not None:
            self.use(fault)
        return fault

    def use(self, fault: Fault) -> None:
        """Count one use of a fault; drop it when its count runs out."""
        if fault.count is None:
            return
        fault.count -= 1
        if fault.count <= 0:
            self._faults.pop(fault.id, None)
