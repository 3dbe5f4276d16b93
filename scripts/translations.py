"""Write translations/en.json from strings.json, resolving [%key:...%] references.

Home Assistant resolves these references only for core integrations, so a
custom integration ships them resolved. Run ``python -m scripts.translations``
after editing strings.json; a test fails while the two disagree. It then puts
the other languages' keys in en.json's order and lists, per language, the keys
still to translate (see scripts/translation_check.py).
"""

from __future__ import annotations

import json
from pathlib import Path
import re
import sys
from typing import Any

import homeassistant

from scripts.translation_check import dump, format_files, report

ROOT = Path(__file__).resolve().parent.parent
COMPONENT = ROOT / "custom_components" / "hearth"
REFERENCE = re.compile(r"\[%key:([a-z0-9_:]+)%\]")


def _lookup(tree: dict[str, Any], path: str) -> str:
    node: Any = tree
    for part in path.split("::"):
        node = node[part]
    if not isinstance(node, str):
        raise TypeError(f"[%key:{path}%] is not a string")
    text: str = node
    return text


def resolve(strings: Any, common: dict[str, Any], own: dict[str, Any]) -> Any:
    """Return ``strings`` with every reference replaced by its text."""
    if isinstance(strings, dict):
        return {key: resolve(value, common, own) for key, value in strings.items()}
    if isinstance(strings, str):

        def replace(match: re.Match[str]) -> str:
            path = match.group(1)
            if path.startswith("common::"):
                return _lookup(common, path)
            text: str = resolve(
                _lookup(own, path.removeprefix("component::hearth::")), common, own
            )
            return text

        return REFERENCE.sub(replace, strings)
    return strings


#: The release whose common strings ("Host", "API key", ...) en.json has:
#: the newest supported one. Run this module with its Python
#: (.venv-2026.10/bin/python -m scripts.translations).
COMMON_STRINGS_RELEASE = "2026.10.4"


def render() -> str:
    """Return the text en.json must have, with this Home Assistant's common strings."""
    common = json.loads(
        (Path(homeassistant.__file__).parent / "strings.json").read_text()
    )
    own = json.loads((COMPONENT / "strings.json").read_text())
    return dump(resolve(own, common, own))


def main() -> int:
    """Write translations/en.json, then list what the other languages lack."""
    target = COMPONENT / "translations" / "en.json"
    target.write_text(render(), encoding="utf-8")
    sys.stdout.write(f"wrote {target.relative_to(ROOT)}\n")
    format_files(target.parent)
    problems = list(report(target.parent))
    for line in problems:
        sys.stdout.write(line + "\n")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
