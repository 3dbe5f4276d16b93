"""Every quality-scale claim in quality_scale.yaml, held against the code.

hassfest does not read quality_scale.yaml for custom integrations, so this
does: every rule of the current scale is listed, done or exempt with a
reason; a done rule that names a test ("Test: path::name") names one that
exists; and the rules that the code itself shows are checked here.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
import importlib
import json
from pathlib import Path
import re

from homeassistant.const import Platform
from homeassistant.helpers.entity import EntityDescription
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
COMPONENT = ROOT / "custom_components" / "hearth"

#: The rules of the Integration Quality Scale, as core's hassfest lists them
#: (script/hassfest/quality_scale.py, ALL_RULES), docs-conditions and
#: docs-triggers included since 2026-07-01.
RULES = {
    "bronze": [
        "action-setup",
        "appropriate-polling",
        "brands",
        "common-modules",
        "config-flow",
        "config-flow-test-coverage",
        "dependency-transparency",
        "docs-actions",
        "docs-conditions",
        "docs-high-level-description",
        "docs-installation-instructions",
        "docs-removal-instructions",
        "docs-triggers",
        "entity-event-setup",
        "entity-unique-id",
        "has-entity-name",
        "runtime-data",
        "test-before-configure",
        "test-before-setup",
        "unique-config-entry",
    ],
    "silver": [
        "action-exceptions",
        "config-entry-unloading",
        "docs-configuration-parameters",
        "docs-installation-parameters",
        "entity-unavailable",
        "integration-owner",
        "log-when-unavailable",
        "parallel-updates",
        "reauthentication-flow",
        "test-coverage",
    ],
    "gold": [
        "devices",
        "diagnostics",
        "discovery",
        "discovery-update-info",
        "docs-data-update",
        "docs-examples",
        "docs-known-limitations",
        "docs-supported-devices",
        "docs-supported-functions",
        "docs-troubleshooting",
        "docs-use-cases",
        "dynamic-devices",
        "entity-category",
        "entity-device-class",
        "entity-disabled-by-default",
        "entity-translations",
        "exception-translations",
        "icon-translations",
        "reconfiguration-flow",
        "repair-issues",
        "stale-devices",
    ],
    "platinum": ["async-dependency", "inject-websession", "strict-typing"],
}
NAMED_TEST = re.compile(r"Test:\s+(?P<path>tests/\S+\.py)::(?P<name>\w+)")


def _rules() -> dict[str, dict[str, str]]:
    rules = yaml.safe_load((COMPONENT / "quality_scale.yaml").read_text())["rules"]
    return {
        name: value if isinstance(value, dict) else {"status": value}
        for name, value in rules.items()
    }


def _modules() -> Iterator[tuple[Path, ast.Module]]:
    """Yield every module of the integration outside the client."""
    for path in sorted(COMPONENT.glob("*.py")):
        yield path, ast.parse(path.read_text(), str(path))


def _strings() -> dict[str, dict[str, dict[str, object]]]:
    strings: dict[str, dict[str, dict[str, object]]] = json.loads(
        (COMPONENT / "strings.json").read_text()
    )
    return strings


def test_every_rule_is_done_or_exempt_with_a_reason() -> None:
    """All rules of the current scale, and no others; Platinum in the manifest."""
    rules = _rules()
    assert sorted(rules) == sorted(rule for tier in RULES.values() for rule in tier)
    for name, rule in rules.items():
        assert rule["status"] in {"done", "exempt"}, name
        if rule["status"] == "exempt":
            assert rule.get("comment"), f"{name} is exempt without a reason"
    manifest = json.loads((COMPONENT / "manifest.json").read_text())
    assert manifest["quality_scale"] == "platinum"


def test_named_tests_exist() -> None:
    """A test that a rule names is there, under that name."""
    named = {
        name: NAMED_TEST.findall(rule.get("comment", ""))
        for name, rule in _rules().items()
    }
    assert sum(map(len, named.values())) >= 30
    for rule, tests in named.items():
        for path, test in tests:
            source = (ROOT / path).read_text()
            assert re.search(rf"^(async )?def {test}\(", source, re.MULTILINE), (
                f"{rule} names {path}::{test}, which does not exist"
            )


def test_runtime_data() -> None:
    """Nothing is kept in hass.data; the entry's runtime_data holds it all."""
    for path, module in _modules():
        for node in ast.walk(module):
            if isinstance(node, ast.Attribute) and node.attr == "data":
                owner = node.value
                assert not (isinstance(owner, ast.Name) and owner.id == "hass"), (
                    f"{path.name}:{node.lineno} uses hass.data"
                )


def _platform_modules() -> list[str]:
    platforms = {str(platform) for platform in Platform}
    return sorted(path.stem for path, _ in _modules() if path.stem in platforms)


def test_parallel_updates() -> None:
    """Every platform says how many updates (commands) may run at once."""
    platforms = _platform_modules()
    assert {"light", "sensor", "switch"} <= set(platforms)
    for name in platforms:
        module = importlib.import_module(f"custom_components.hearth.{name}")
        assert isinstance(getattr(module, "PARALLEL_UPDATES", None), int), name


def _is_description(value: object) -> bool:
    # Home Assistant's own description classes (UpdateEntityDescription, ...)
    # are remade by its frozen-dataclass shim and fail isinstance() on some
    # releases, so look for the class by name.
    return any(cls.__name__ == "EntityDescription" for cls in type(value).__mro__)


def _descriptions(platform: str) -> list[EntityDescription]:
    module = importlib.import_module(f"custom_components.hearth.{platform}")
    found: list[EntityDescription] = []
    for value in vars(module).values():
        if _is_description(value):
            found.append(value)
        elif isinstance(value, tuple | list):
            found.extend(item for item in value if _is_description(item))
    return found


def test_entity_translations() -> None:
    """Entity names and states come from translation keys, never from code.

    A description's name is None (the device's name, for its main entity)
    or unset; no entity sets _attr_name, and every key is in strings.json.
    """
    entities = _strings()["entity"]
    for platform in _platform_modules():
        descriptions = _descriptions(platform)
        if platform == "event":
            # One description per button, made from what the hub reports: the
            # name is the button's own label (user data, like a device name);
            # event types and attributes come from the translation key.
            assert "button" in entities["event"]
            continue
        assert descriptions, platform
        for description in descriptions:
            # Unnamed: the device's name (name None), or the device class's.
            named_by_key = description.name is not None and not getattr(
                description, "device_class", None
            )
            if named_by_key:
                assert description.translation_key in entities.get(platform, {}), (
                    platform,
                    description.key,
                )
            assert description.name is None or not isinstance(description.name, str)
            assert description.translation_key or getattr(
                description, "device_class", None
            ), (platform, description.key)
    for path, module in _modules():
        for node in ast.walk(module):
            if isinstance(node, ast.Attribute) and node.attr in {
                "_attr_name",
                "_attr_icon",
            }:
                assert not isinstance(node.ctx, ast.Store), f"{path.name}:{node.lineno}"


def test_icon_translations() -> None:
    """Icons come from icons.json, for translation keys that exist."""
    icons = json.loads((COMPONENT / "icons.json").read_text())["entity"]
    for platform in _platform_modules():
        keys = set()
        for description in _descriptions(platform):
            assert description.icon is None, (platform, description.key)
            keys.add(description.translation_key)
        assert set(icons.get(platform, {})) <= keys, platform


#: What the integration raises to users; each must carry a translation.
USER_FACING = {
    "HomeAssistantError",
    "ServiceValidationError",
    "ConfigEntryNotReady",
    "ConfigEntryAuthFailed",
    "ConfigEntryError",
    "UpdateFailed",
}


def test_exception_translations() -> None:
    """Every error raised to the user names a translation key that exists."""
    exceptions = _strings()["exceptions"]
    checked = 0
    for path, module in _modules():
        for node in ast.walk(module):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", getattr(node.func, "attr", None))
            if name in USER_FACING:
                keywords = {keyword.arg: keyword.value for keyword in node.keywords}
                key = keywords.get("translation_key")
                assert key is not None, f"{path.name}:{node.lineno} {name} untranslated"
                if isinstance(key, ast.Constant):
                    assert key.value in exceptions, f"{path.name}:{node.lineno}"
                checked += 1
            elif name in {"translated", "error_key"} and node.args:
                if isinstance(node.args[0], ast.Constant):
                    assert node.args[0].value in exceptions, (
                        f"{path.name}:{node.lineno}"
                    )
                    checked += 1
    assert checked >= 10
    error_keys = re.findall(r'return "(\w+)"', (COMPONENT / "errors.py").read_text())
    assert error_keys
    assert set(error_keys) - {"base"} <= set(exceptions) | {
        "invalid_auth",
        "certificate_untrusted",
        "certificate_mismatch",
        "unsupported_version",
    }


@pytest.mark.parametrize("path", sorted(COMPONENT.rglob("*.py")), ids=lambda p: p.name)
def test_inject_websession(path: Path) -> None:
    """No module makes an aiohttp session of its own: Home Assistant's is used."""
    module = ast.parse(path.read_text(), str(path))
    for node in ast.walk(module):
        if isinstance(node, ast.Call):
            name = getattr(node.func, "id", getattr(node.func, "attr", None))
            assert name != "ClientSession", f"{path.name}:{node.lineno}"


def test_readme_table_matches_the_file() -> None:
    """The README's quality-scale table has every rule, with the file's status."""
    readme = (ROOT / "README.md").read_text()
    table = dict(
        re.findall(r"^\| \w+ \| `([a-z-]+)` \| (done|exempt) \|", readme, re.MULTILINE)
    )
    assert table == {name: rule["status"] for name, rule in _rules().items()}
