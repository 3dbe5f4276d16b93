"""The emulator-only admin API under ``/admin`` on the hub port (no auth).

Every route calls the same Emulator method a test would, through the
:class:`~.control.EmulatorControl` protocol.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from .account import CLOUD_HUB_DEVICES
from .control import EmulatorControl
from .faults import parse_fault
from .firmware import parse_install_body
from .home import InvalidRequestError, PressType, is_int
from .oauth import OAuthError
from .ratelimit import WINDOW_SECONDS, RetryAfterFormat
from .responses import ApiError, json_response, read_json_object


def admin_routes(emulator: EmulatorControl) -> list[web.RouteDef]:
    """Return the admin routes, bound to ``emulator``."""
    admin = _Admin(emulator)
    return [
        web.get("/admin", admin.overview),
        web.get("/admin/devices", admin.list_devices),
        web.post("/admin/devices", admin.add_device),
        web.get("/admin/devices/{device_id}", admin.get_device),
        web.patch("/admin/devices/{device_id}", admin.update_device),
        web.delete("/admin/devices/{device_id}", admin.remove_device),
        web.post("/admin/devices/{device_id}/press", admin.press_button),
        web.patch("/admin/hub", admin.update_hub),
        web.get("/admin/firmware", admin.get_firmware),
        web.patch("/admin/firmware", admin.update_firmware),
        web.post("/admin/firmware/install", admin.install_firmware),
        web.post("/admin/drift", admin.drift),
        web.get("/admin/rate-limit", admin.get_rate_limit),
        web.post("/admin/rate-limit", admin.set_rate_limit),
        web.get("/admin/faults", admin.list_faults),
        web.post("/admin/faults", admin.add_fault),
        web.delete("/admin/faults", admin.clear_faults),
        web.delete("/admin/faults/{fault_id}", admin.remove_fault),
        web.get("/admin/cloud/hubs", admin.list_cloud_hubs),
        web.post("/admin/cloud/hubs", admin.add_cloud_hub),
        web.patch("/admin/cloud/hubs/{hub_id}", admin.update_cloud_hub),
        web.delete("/admin/cloud/hubs/{hub_id}", admin.remove_cloud_hub),
        web.post("/admin/cloud/tokens", admin.issue_token),
        web.get("/admin/stats", admin.get_stats),
        web.post("/admin/stats/reset", admin.reset_stats),
    ]


def _refuse_unknown(body: dict[str, Any], known: set[str]) -> None:
    unknown = sorted(set(body) - known)
    if unknown:
        raise InvalidRequestError(f"Unknown field(s): {', '.join(unknown)}")


def _optional_bool(body: dict[str, Any], name: str) -> bool | None:
    value = body.get(name)
    if value is not None and not isinstance(value, bool):
        raise InvalidRequestError(f"{name!r} must be a boolean")
    return value


def _optional_str(body: dict[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is not None and not (isinstance(value, str) and value):
        raise InvalidRequestError(f"{name!r} must be a non-empty string")
    return value


class _Admin:
    """The admin handlers."""

    def __init__(self, emulator: EmulatorControl) -> None:
        self._emu = emulator

    def _rate_limit_json(self) -> dict[str, Any]:
        limiter = self._emu.limiter
        return {
            "limit": limiter.limit,
            "budget": limiter.budget,
            "window": int(WINDOW_SECONDS),
            "retry_after_format": str(limiter.retry_after_format),
        }

    async def overview(self, request: web.Request) -> web.Response:
        emu = self._emu
        return json_response(
            {
                "hub": emu.hub.to_json(),
                "hub_url": emu.hub_url,
                "cloud_url": emu.cloud_url if emu.cloud_port is not None else None,
                "fingerprint": emu.fingerprint,
                "generation": emu.home.generation,
                "devices": len(emu.home.devices),
                "event_streams": emu.event_stream_count,
                "cloud_event_streams": emu.cloud_event_stream_count,
                "rate_limit": self._rate_limit_json(),
                "faults": [fault.to_json() for fault in emu.faults],
                "firmware": emu.home.firmware_json(),
                "ssdp_location": emu.ssdp_location,
            }
        )

    async def list_devices(self, request: web.Request) -> web.Response:
        return json_response([d.to_json() for d in self._emu.home.devices.values()])

    async def add_device(self, request: web.Request) -> web.Response:
        device = self._emu.add_device(await read_json_object(request))
        return json_response(device.to_json(), status=201)

    async def get_device(self, request: web.Request) -> web.Response:
        return json_response(
            self._emu.home.get(request.match_info["device_id"]).to_json()
        )

    async def update_device(self, request: web.Request) -> web.Response:
        device = self._emu.update_device(
            request.match_info["device_id"], await read_json_object(request)
        )
        return json_response(device.to_json())

    async def remove_device(self, request: web.Request) -> web.Response:
        self._emu.remove_device(request.match_info["device_id"])
        return web.Response(status=204)

    async def press_button(self, request: web.Request) -> web.Response:
        body = await read_json_object(request)
        _refuse_unknown(body, {"button_id", "press_type"})
        button_id = _optional_str(body, "button_id")
        if button_id is None:
            raise InvalidRequestError("'button_id' is required")
        press_type = _optional_str(body, "press_type") or PressType.SHORT
        press = self._emu.press_button(
            request.match_info["device_id"], button_id, press_type
        )
        return json_response(press)

    async def update_hub(self, request: web.Request) -> web.Response:
        body = await read_json_object(request)
        return json_response(self._emu.home.update_hub(body).to_json())

    async def get_firmware(self, request: web.Request) -> web.Response:
        return json_response(self._emu.firmware_status())

    async def update_firmware(self, request: web.Request) -> web.Response:
        body = await read_json_object(request)
        _refuse_unknown(
            body,
            {
                "latest",
                "release_notes",
                "release_url",
                "step_seconds",
                "restart_seconds",
            },
        )
        return json_response(self._emu.update_firmware(body))

    async def install_firmware(self, request: web.Request) -> web.Response:
        body = await read_json_object(request, allow_empty=True)
        version = parse_install_body(body)
        return json_response(self._emu.install_firmware(version), status=202)

    async def drift(self, request: web.Request) -> web.Response:
        return json_response([device.to_json() for device in self._emu.drift()])

    async def get_rate_limit(self, request: web.Request) -> web.Response:
        return json_response(self._rate_limit_json())

    async def set_rate_limit(self, request: web.Request) -> web.Response:
        body = await read_json_object(request)
        _refuse_unknown(body, {"limit", "retry_after_format", "reset"})
        limit = body.get("limit", self._emu.limiter.limit)
        if limit is not None and not (is_int(limit) and limit >= 1):
            raise InvalidRequestError("'limit' must be an integer >= 1 or null")
        style = body.get("retry_after_format")
        if style is not None and not (
            isinstance(style, str) and style in set(RetryAfterFormat)
        ):
            raise InvalidRequestError(
                "'retry_after_format' must be 'seconds' or 'http-date'"
            )
        self._emu.set_rate_limit(limit, style)
        if _optional_bool(body, "reset"):
            self._emu.reset_rate_limits()
        return json_response(self._rate_limit_json())

    async def list_faults(self, request: web.Request) -> web.Response:
        return json_response([fault.to_json() for fault in self._emu.faults])

    async def add_fault(self, request: web.Request) -> web.Response:
        body = await read_json_object(request)
        fault = self._emu.activate_fault(parse_fault(body), spare=request.protocol)
        data = fault.to_json()
        if fault.kind == "rotate_certificate":
            data["fingerprint"] = self._emu.fingerprint
        return json_response(data, status=201)

    async def clear_faults(self, request: web.Request) -> web.Response:
        cleared = self._emu.clear_faults()
        return json_response({"cleared": [fault.to_json() for fault in cleared]})

    async def remove_fault(self, request: web.Request) -> web.Response:
        fault = self._emu.remove_fault(request.match_info["fault_id"])
        return json_response(fault.to_json())

    async def list_cloud_hubs(self, request: web.Request) -> web.Response:
        return json_response([hub.to_json() for hub in self._emu.account.hubs.values()])

    async def add_cloud_hub(self, request: web.Request) -> web.Response:
        body = await read_json_object(request, allow_empty=True)
        _refuse_unknown(body, {"id", "name", "devices", "online"})
        devices = body.get("devices", CLOUD_HUB_DEVICES)
        if devices is not None and not (is_int(devices) and 0 <= devices <= 10_000):
            raise InvalidRequestError("'devices' must be an integer 0..10000 or null")
        online = _optional_bool(body, "online")
        hub = self._emu.add_cloud_hub(
            hub_id=_optional_str(body, "id"),
            name=_optional_str(body, "name"),
            devices=devices,
            online=True if online is None else online,
        )
        return json_response(hub.to_json(), status=201)

    async def update_cloud_hub(self, request: web.Request) -> web.Response:
        hub_id = request.match_info["hub_id"]
        body = await read_json_object(request)
        _refuse_unknown(body, {"online", "name"})
        hub = self._emu.cloud_hub(hub_id)
        online = _optional_bool(body, "online")
        if online is not None:
            hub = self._emu.set_cloud_hub_online(hub_id, online)
        name = _optional_str(body, "name")
        if name is not None:
            hub.home.update_hub({"name": name})
        return json_response(hub.to_json())

    async def remove_cloud_hub(self, request: web.Request) -> web.Response:
        self._emu.remove_cloud_hub(request.match_info["hub_id"])
        return web.Response(status=204)

    async def issue_token(self, request: web.Request) -> web.Response:
        body = await read_json_object(request, allow_empty=True)
        _refuse_unknown(body, {"lifetime", "scope"})
        lifetime = body.get("lifetime")
        if lifetime is not None and not (is_int(lifetime) and lifetime >= 0):
            raise InvalidRequestError("'lifetime' must be an integer >= 0")
        scope = _optional_str(body, "scope")
        try:
            token = self._emu.issue_token(scope, lifetime=lifetime)
        except OAuthError as err:
            raise ApiError(400, "invalid_request", err.description) from err
        return json_response(token, status=201, headers={"Cache-Control": "no-store"})

    async def get_stats(self, request: web.Request) -> web.Response:
        return json_response(self._emu.stats.to_json())

    async def reset_stats(self, request: web.Request) -> web.Response:
        self._emu.reset_stats()
        return json_response(self._emu.stats.to_json())
