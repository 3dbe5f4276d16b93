"""The client must stay publishable on its own: no Home Assistant imports."""

from __future__ import annotations

import ast
from pathlib import Path
import subprocess
import sys

from custom_components.hearth import api

API_DIR = Path(__file__).parents[2] / "custom_components" / "hearth" / "api"


def _homeassistant_imports(source: str, filename: str) -> list[str]:
    """Return ``file:line module`` for every import of homeassistant in source."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source, filename)):
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules = [node.module]
        else:
            continue
        found.extend(
            f"{filename}:{node.lineno} {module}"
            for module in modules
            if module == "homeassistant" or module.startswith("homeassistant.")
        )
    return found


def test_checker_catches_homeassistant_imports() -> None:
    """The checker itself flags every import form, but not look-alikes."""
    source = (
        "import homeassistant\n"
        "import os, homeassistant.core as core\n"
        "from homeassistant.helpers import aiohttp_client\n"
        "if True:\n"
        "    from homeassistant import const\n"
        "import homeassistant_alerts\n"
        "from .homeassistant import x\n"
    )
    assert _homeassistant_imports(source, "x.py") == [
        "x.py:1 homeassistant",
        "x.py:2 homeassistant.core",
        "x.py:3 homeassistant.helpers",
        "x.py:5 homeassistant",
    ]


def test_api_package_has_no_homeassistant_imports() -> None:
    """No module of the client imports homeassistant, even lazily."""
    files = sorted(API_DIR.glob("*.py"))
    assert {path.name for path in files} >= {
        "__init__.py",
        "auth.py",
        "client.py",
        "exceptions.py",
        "models.py",
        "tls.py",
    }
    offenders = [
        hit
        for path in files
        for hit in _homeassistant_imports(path.read_text("utf-8"), path.name)
    ]
    assert offenders == []


# Loads the api directory as a top-level package of its own, so that neither
# custom_components/hearth/__init__.py (which is Home Assistant code) nor
# anything else of the integration runs, with homeassistant made unimportable.
_STANDALONE_IMPORT = """
import importlib.util
import sys

sys.modules["homeassistant"] = None
api_dir = sys.argv[1]
spec = importlib.util.spec_from_file_location(
    "hearth_api", api_dir + "/__init__.py", submodule_search_locations=[api_dir]
)
module = importlib.util.module_from_spec(spec)
sys.modules["hearth_api"] = module
spec.loader.exec_module(module)
for name in module.__all__:
    getattr(module, name)
loaded = sorted(
    name for name, mod in sys.modules.items()
    if name.split(".")[0] == "homeassistant" and mod is not None
)
print("OK", len(module.__all__), loaded)
"""


def _run(script: str) -> subprocess.CompletedProcess[str]:
    """Run a fixed script of this module in a fresh interpreter."""
    return subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", script, str(API_DIR)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def test_api_package_imports_without_homeassistant() -> None:
    """Import the package in a fresh interpreter where homeassistant is blocked."""
    result = _run(_STANDALONE_IMPORT)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"OK {len(api.__all__)} []"


def test_blocking_homeassistant_really_blocks() -> None:
    """The same harness fails when the code under test imports homeassistant."""
    result = _run(
        _STANDALONE_IMPORT.replace(
            "spec.loader.exec_module(module)", "import homeassistant.core"
        )
    )
    assert result.returncode == 1
    assert "ModuleNotFoundError" in result.stderr
