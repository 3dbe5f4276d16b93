"""List (or install) the Python requirements of the integrations a config loads.

``hass --skip-pip`` starts fastest and never touches the network, but then
every requirement of every integration it sets up must already be installed.
This walks the integrations that Home Assistant would set up for a config
directory -- the top-level keys of configuration.yaml, the integrations it
always sets up, those the onboarding adds, the custom integrations, and
recursively their
``dependencies`` and ``after_dependencies`` -- and checks each manifest's
``requirements`` against the virtual environment.

    python -m scripts.ha_requirements config            # list what is missing
    python -m scripts.ha_requirements config --install  # pip install it

requirements_ha_*.txt pin what the development config needs, so a run after
scripts/setup normally finds nothing to do; the check keeps that list honest
when Home Assistant is upgraded or the config gains an integration.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable
import json
from pathlib import Path
import subprocess
import sys

from homeassistant import bootstrap
import homeassistant.components
from homeassistant.helpers import config_validation as cv
from homeassistant.util import package
from homeassistant.util.yaml import Secrets, load_yaml_dict

BUILT_IN = Path(homeassistant.components.__path__[0])
#: What finishing the onboarding sets up (homeassistant/components/onboarding/views.py).
ONBOARDING_INTEGRATIONS = {"google_translate", "met", "radio_browser", "shopping_list"}


def configured_domains(config_dir: Path) -> set[str]:
    """Return the domains Home Assistant sets up for ``config_dir`` (before dependencies)."""
    config = load_yaml_dict(config_dir / "configuration.yaml", Secrets(config_dir))
    domains = {cv.domain_key(key) for key in config}
    domains |= bootstrap.CORE_INTEGRATIONS | bootstrap.DEFAULT_INTEGRATIONS
    domains |= ONBOARDING_INTEGRATIONS
    custom = config_dir / "custom_components"
    if custom.is_dir():
        domains |= {path.parent.name for path in custom.glob("*/manifest.json")}
    return domains


def _manifest(config_dir: Path, domain: str) -> dict[str, object] | None:
    for root in (config_dir / "custom_components", BUILT_IN):
        path = root / domain / "manifest.json"
        if path.is_file():
            manifest: dict[str, object] = json.loads(path.read_text("utf-8"))
            return manifest
    return None


def _strings(manifest: dict[str, object], key: str) -> list[str]:
    value = manifest.get(key, [])
    return [str(item) for item in value] if isinstance(value, list) else []


def requirements(config_dir: Path, domains: Iterable[str]) -> dict[str, set[str]]:
    """Return every requirement of ``domains`` and their dependencies, with who needs it."""
    needed: dict[str, set[str]] = {}
    seen: set[str] = set()
    todo = list(domains)
    while todo:
        domain = todo.pop()
        if domain in seen:
            continue
        seen.add(domain)
        if (manifest := _manifest(config_dir, domain)) is None:
            continue
        for requirement in _strings(manifest, "requirements"):
            needed.setdefault(requirement, set()).add(domain)
        todo += _strings(manifest, "dependencies")
        todo += _strings(manifest, "after_dependencies")
    return needed


def main(argv: list[str] | None = None) -> int:
    """Print the missing requirements; install them with --install."""
    parser = argparse.ArgumentParser(prog="python -m scripts.ha_requirements")
    parser.add_argument("config_dir", type=Path)
    parser.add_argument("--install", action="store_true")
    args = parser.parse_args(argv)
    needed = requirements(args.config_dir, configured_domains(args.config_dir))
    missing = sorted(req for req in needed if not package.is_installed(req))
    if not missing:
        return 0
    for requirement in missing:
        users = ", ".join(sorted(needed[requirement]))
        print(f"missing {requirement} (needed by {users})")  # noqa: T201
    if not args.install:
        print("Add these to requirements_ha_*.txt, or pass --install.")  # noqa: T201
        return 1
    command = [sys.executable, "-m", "pip", "install", "--quiet", *missing]
    return subprocess.run(command, check=False).returncode  # noqa: S603


if __name__ == "__main__":
    sys.exit(main())
