"""Checks of the repository itself: manifest, translations, packaging, licence."""

from __future__ import annotations

import json
from pathlib import Path
import re
import tomllib
from typing import Any
import zipfile

from homeassistant import const as ha_const
import pytest
import yaml

from scripts import release
from scripts.translations import COMMON_STRINGS_RELEASE, render

ROOT = Path(__file__).resolve().parent.parent
COMPONENT = ROOT / "custom_components" / "hearth"


def _flatten(tree: dict[str, Any], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{prefix}{key}::"))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def test_translations_match_strings() -> None:
    """translations/en.json is strings.json with its references resolved.

    Its common strings are those of COMMON_STRINGS_RELEASE; other releases
    word a few of them differently, so there only the integration's own
    strings must match.
    """
    shipped = (COMPONENT / "translations" / "en.json").read_text()
    if ha_const.__version__ == COMMON_STRINGS_RELEASE:
        assert shipped == render()
        return
    sources = _flatten(json.loads((COMPONENT / "strings.json").read_text()))
    own = {key for key, text in sources.items() if "[%key:common::" not in text}
    rendered, actual = _flatten(json.loads(render())), _flatten(json.loads(shipped))
    assert rendered.keys() == actual.keys()
    assert {key: actual[key] for key in own} == {key: rendered[key] for key in own}


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


def test_supported_versions_agree() -> None:
    """hacs.json, scripts/test's default versions, CI and the README agree.

    The oldest release is the one hacs.json names; the newest is the one the
    newest test package pins. Both run in scripts/test by default.
    """
    hacs = json.loads((ROOT / "hacs.json").read_text())
    assert hacs["homeassistant"] == "2025.4.4"
    oldest = (ROOT / "requirements_ha_2025.4.txt").read_text()
    assert "pytest-homeassistant-custom-component==0.13.236" in oldest
    newest = (ROOT / "requirements_ha_2026.10.txt").read_text()
    assert "pytest-homeassistant-custom-component==0.13.375" in newest
    assert "homeassistant==2026.10.4" in newest
    versions = (ROOT / "scripts" / "ha_versions.sh").read_text()
    assert '"2025.4 .venv 3.13 requirements_ha_2025.4.txt"' in versions
    assert '"2026.10 .venv-2026.10 3.14 requirements_ha_2026.10.txt"' in versions
    assert 'HA_VERSIONS="${HA_VERSIONS:-2025.4 2026.10}"' in versions
    newest_release = re.search(r"^NEWEST_HA=(\S+)$", versions, re.MULTILINE)
    assert newest_release is not None
    assert (
        f"homeassistant=={newest_release[1]}"
        in (ROOT / "requirements_hass_2026.11.txt").read_text()
    )
    workflow = yaml.safe_load((ROOT / ".github/workflows/tests.yaml").read_text())
    matrix = {
        (entry["ha"], entry["python"])
        for entry in workflow["jobs"]["tests"]["strategy"]["matrix"]["include"]
    }
    assert {("2025.4", "3.13"), ("2026.10", "3.14")} <= matrix
    readme = (ROOT / "README.md").read_text()
    assert "Home Assistant 2025.4.4 or newer" in readme
    assert "2025.4.4 and 2026.10.4" in readme
    assert (ROOT / ".ci/run").read_text().splitlines()[-1] == "exec scripts/test"


def test_release_zip_holds_exactly_the_integration(tmp_path: Path) -> None:
    """hearth.zip (what HACS installs) is custom_components/hearth, versioned by the tag."""
    hacs = json.loads((ROOT / "hacs.json").read_text())
    assert hacs["zip_release"] is True
    assert hacs["filename"] == "hearth.zip"
    workflow = (ROOT / ".github/workflows/release.yaml").read_text()
    assert "python -m scripts.release" in workflow

    destination = tmp_path / "hearth.zip"
    release.build("v1.4.2", destination)
    with zipfile.ZipFile(destination) as archive:
        names = sorted(archive.namelist())
        manifest = json.loads(archive.read("manifest.json"))
    expected = sorted(
        path.relative_to(COMPONENT).as_posix()
        for path in COMPONENT.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    )
    assert names == expected
    assert {
        "__init__.py",
        "manifest.json",
        "strings.json",
        "translations/en.json",
    } <= set(names)
    assert manifest["version"] == "1.4.2"
    assert {key: value for key, value in manifest.items() if key != "version"} == {
        key: value
        for key, value in json.loads((COMPONENT / "manifest.json").read_text()).items()
        if key != "version"
    }
    with pytest.raises(ValueError, match="not a release tag"):
        release.build("latest", tmp_path / "other.zip")


def test_every_version_gets_the_test_tools() -> None:
    """Each Home Assistant version's requirements include the shared ones."""
    for path in ROOT.glob("requirements_ha_*.txt"):
        assert "-r requirements_test.txt" in path.read_text().splitlines(), path.name


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
