"""The emulator's modules import each other without a cycle.

Every relative import counts, also those under ``if TYPE_CHECKING:``: a cycle
that only the type checker follows still ties the modules together.
"""

from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parents[2] / "emulator"


def _imports(source: str, package: set[str]) -> set[str]:
    """Return the package's modules that ``source`` imports relatively."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.ImportFrom) or node.level != 1:
            continue
        if node.module is not None:
            found.add(node.module.split(".", 1)[0])
        else:
            found.update(alias.name for alias in node.names)
    return found & package


def import_graph(directory: Path) -> dict[str, set[str]]:
    """Return, for every module of a package, the modules it imports."""
    files = {path.stem: path for path in directory.glob("*.py")}
    return {
        name: _imports(path.read_text("utf-8"), set(files)) - {name}
        for name, path in files.items()
    }


def test_checker_finds_a_cycle_through_type_checking(tmp_path: Path) -> None:
    """The check itself sees a cycle that only ``TYPE_CHECKING`` closes."""
    (tmp_path / "server.py").write_text("from .admin import routes\n")
    (tmp_path / "admin.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from .server import Emulator\n"
    )
    graph = import_graph(tmp_path)
    assert graph == {"server": {"admin"}, "admin": {"server"}}
    with pytest.raises(CycleError):
        TopologicalSorter(graph).prepare()


def test_emulator_has_no_import_cycle() -> None:
    """Every module can be loaded after the ones it imports."""
    graph = import_graph(PACKAGE)
    TopologicalSorter(graph).prepare()
    assert "server" not in graph["admin"] | graph["page"]
    assert "control" in graph["admin"]
