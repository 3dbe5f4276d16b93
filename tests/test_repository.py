"""Checks of the repository itself: manifest, translations, packaging, licence."""

from __future__ import annotations

import json
from pathlib import Path
import re
import tomllib

import yaml

from scripts.translations import render

ROOT = Path(__file__).resolve().parent.parent
COMPONENT = ROOT / "custom_components" / "hearth"


def test_translations_match_strings() -> None:
    """translations/en.json is strings.json with its references resolved."""
    assert (COMPONENT / "translations" / "en.json").read_text() == render()


def test_manifest_is_valid_for_hassfest_and_hacs() -> None:
    """The keys are those hassfest and HACS require, in hassfest's order."""
    manifest = json.loads((COMPONENT / "manifest.json").read_text())
    keys = list(manifest)
    assert keys[:2] == ["domain", "name"]
    assert keys[2:] == sorted(keys[2:])
    for key in (
        "codeowners",
        "config_flow",
        "documentation",
        "integration_type",
        "iot_class",
        "issue_tracker",
        "version",
    ):
        assert manifest[key], key
    assert manifest["domain"] == "hearth"
    assert manifest["requirements"] == []


def test_hacs_minimum_version_is_the_tested_one() -> None:
    """hacs.json names the oldest Home Assistant release the tests run against."""
    hacs = json.loads((ROOT / "hacs.json").read_text())
    requirements = (ROOT / "requirements_ha_2025.4.txt").read_text()
    assert "pytest-homeassistant-custom-component==0.13.236" in requirements
    assert hacs["homeassistant"] == "2025.4.4"
    versions = (ROOT / "scripts" / "ha_versions.sh").read_text()
    assert '"2025.4 .venv 3.13 requirements_ha_2025.4.txt"' in versions
    assert 'HA_VERSIONS="${HA_VERSIONS:-2025.4 2026.2}"' in versions


def test_every_version_gets_the_test_tools() -> None:
    """Each Home Assistant version's requirements include the shared ones."""
    for path in ROOT.glob("requirements_ha_*.txt"):
        assert "-r requirements_test.txt" in path.read_text().splitlines(), path.name


def test_quality_scale_is_platinum() -> None:
    """All 52 rules are listed, each done or exempt with a reason."""
    rules = yaml.safe_load((COMPONENT / "quality_scale.yaml").read_text())["rules"]
    assert len(rules) == 52
    for name, status in rules.items():
        if isinstance(status, dict):
            assert status["status"] in ("done", "exempt"), name
            if status["status"] == "exempt":
                assert status.get("comment"), name
        else:
            assert status == "done", name
    manifest = json.loads((COMPONENT / "manifest.json").read_text())
    assert manifest["quality_scale"] == "platinum"


def test_license_is_the_declared_one() -> None:
    """LICENSE holds the licence pyproject.toml declares, and the README names it.

    HACS refuses a repository without a LICENSE file.
    """
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "license"
    ]
    assert declared == "Apache-2.0"
    license_text = (ROOT / "LICENSE").read_text()
    assert license_text.split()[:4] == ["Apache", "License", "Version", "2.0,"]
    assert "Copyright 2026 Hearth developers" in license_text
    assert "[Apache License 2.0](LICENSE)" in (ROOT / "README.md").read_text()


def test_readme_images_exist() -> None:
    """Every picture the README shows is in the repository (HACS wants one)."""
    readme = (ROOT / "README.md").read_text()
    images = re.findall(r"!\[[^\]]+\]\(([^)]+)\)", readme)
    assert len(images) >= 5
    assert [path for path in images if not (ROOT / path).is_file()] == []
