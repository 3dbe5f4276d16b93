"""Set Home Assistant's HTTP host and port the way each release expects.

Up to 2026.2, the ``http:`` section of configuration.yaml holds them. Later
releases store them (``.storage/http``): YAML ``http:`` is migrated once and
raises a repair issue, and a migrated configuration that differs from the
stored one is only a trial, reverted with a restart after five minutes unless
it is confirmed. For those releases this writes the stored settings directly,
as confirmed ("stable") ones, and no YAML.

Used by scripts/develop (``python -m scripts.ha_http CONFIG_DIR --port N``)
and by the end-to-end and browser tests.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
import json
from pathlib import Path
import re
import subprocess
import sys
from typing import Any

#: The block this module writes into configuration.yaml for older releases.
YAML_MARK = "# HTTP settings written by scripts/ha_http.py"
_YAML_BLOCK = re.compile(rf"{re.escape(YAML_MARK)}\nhttp:\n(?:  .*\n)*")
#: The section that scripts/develop_config/configuration.yaml had before.
_LEGACY_BLOCK = re.compile(
    r"http:\n  # scripts/develop sets HEARTH_HA_PORT \(default 8123\)\.\n"
    r"  server_port: !env_var HEARTH_HA_PORT 8123\n\n?"
)

#: The stored settings, as Home Assistant 2026.x writes them with its defaults.
_STORAGE_VERSION = 2
_STORAGE_MINOR_VERSION = 2
_DEFAULTS: dict[str, Any] = {
    "cors_allowed_origins": ["https://cast.home-assistant.io"],
    "login_attempts_threshold": -1,
    "ip_ban_enabled": True,
    "ssl_profile": "modern",
    "use_x_frame_options": True,
}


def stores_http_settings(python: str | Path = sys.executable) -> bool:
    """Return whether the Home Assistant of ``python`` stores its HTTP settings."""
    probe = (
        "import importlib.util, sys; "
        "sys.exit(importlib.util.find_spec('homeassistant.components.http.config') is None)"
    )
    return subprocess.run([str(python), "-c", probe], check=False).returncode == 0  # noqa: S603


def http_yaml(host: str | None, port: int) -> str:
    """Return the ``http:`` section for the releases that read it from YAML."""
    lines = [YAML_MARK, "http:"]
    if host is not None:
        lines.append(f"  server_host: {host}")
    lines.append(f"  server_port: {port}")
    return "\n".join(lines) + "\n"


def write_stored_settings(config_dir: Path, host: str | None, port: int) -> None:
    """Store ``host`` and ``port`` as the confirmed HTTP settings.

    Settings already stored (changed in the UI, say) are kept, apart from
    the host and port; a pending trial is dropped.
    """
    path = config_dir / ".storage" / "http"
    stable: dict[str, Any] = {
        **_DEFAULTS,
        "created_at": datetime.now(UTC).isoformat(),
        "error": None,
        "error_message": None,
    }
    if path.exists():
        stored = json.loads(path.read_text("utf-8"))
        if stored.get("version") == _STORAGE_VERSION:
            stable.update(stored["data"]["stable"])
    stable["server_port"] = port
    if host is None:
        stable.pop("server_host", None)
    else:
        stable["server_host"] = [host]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps(
            {
                "version": _STORAGE_VERSION,
                "minor_version": _STORAGE_MINOR_VERSION,
                "key": "http",
                "data": {
                    "stable": stable,
                    "pending": None,
                    "yaml_migration_done": True,
                },
            },
            indent=2,
        )
        + "\n",
        "utf-8",
    )


def configure(
    config_dir: Path,
    host: str | None,
    port: int,
    python: str | Path = sys.executable,
) -> str:
    """Apply the settings for the Home Assistant of ``python``.

    Returns the YAML to put into configuration.yaml: the ``http:`` section
    for older releases, nothing for those that store the settings (which are
    written here).
    """
    if stores_http_settings(python):
        write_stored_settings(config_dir, host, port)
        return ""
    return http_yaml(host, port)


def update_configuration(config_dir: Path, yaml: str) -> None:
    """Put ``yaml`` in place of the section this module wrote before, if any."""
    path = config_dir / "configuration.yaml"
    text = _LEGACY_BLOCK.sub("", _YAML_BLOCK.sub("", path.read_text("utf-8")))
    if yaml:
        text = f"{yaml}\n{text}"
    path.write_text(text, "utf-8")


def main(argv: list[str] | None = None) -> None:
    """Set the host and port of a config folder's Home Assistant."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("config_dir", type=Path)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host", help="listen on this address only")
    parser.add_argument("--python", default=sys.executable, help="hass's Python")
    args = parser.parse_args(argv)
    yaml = configure(args.config_dir, args.host, args.port, args.python)
    update_configuration(args.config_dir, yaml)


if __name__ == "__main__":
    main()
