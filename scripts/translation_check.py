"""Check the translations of the integration against translations/en.json.

Every language file in translations/ must have exactly the keys of en.json,
with the same placeholders in each string, and resolved text only: Home
Assistant resolves ``[%key:...%]`` references for core integrations alone.
Languages are the files present, so a new file is checked from the start.
Run ``python -m scripts.translation_check`` to list what each language lacks
(``--format`` first puts each file in en.json's key order and layout); it needs
only the JSON files, not Home Assistant.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
import json
from pathlib import Path
import string
import sys
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "custom_components" / "hearth" / "translations"
REFERENCE_MARK = "[%key:"


def dump(tree: Any) -> str:
    """Return ``tree`` as en.json is written: 2-space indent, UTF-8, newline."""
    return json.dumps(tree, indent=2, ensure_ascii=False) + "\n"


def flatten(tree: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Return the leaves of ``tree`` by their ``a::b::c`` key paths."""
    leaves: dict[str, Any] = {}
    for key, value in tree.items():
        path = f"{prefix}::{key}" if prefix else key
        if isinstance(value, Mapping):
            leaves.update(flatten(value, path))
        else:
            leaves[path] = value
    return leaves


def placeholders(text: str) -> frozenset[str]:
    """Return the placeholders of ``text`` as Home Assistant compares them.

    Home Assistant drops a translation whose placeholders, parsed this way,
    differ from English, and shows the English text instead. Raises ValueError
    for a lone ``{`` or ``}``.
    """
    return frozenset(
        name for _, name, _, _ in string.Formatter().parse(text) if name is not None
    )


def frontend_text(text: str) -> str:
    """Return ``text`` without the parts the frontend shows literally.

    The frontend formats ICU messages, where an apostrophe right before a
    brace starts quoted text: ``'{x}'`` is the literal text {x}, so ``d'{host}``
    shows no host.
    """
    kept: list[str] = []
    pos = 0
    while pos < len(text):
        following = text[pos + 1 : pos + 2]
        if text[pos] == "'" and following == "'":
            kept.append("'")
            pos += 2
        elif text[pos] == "'" and following in ("{", "}"):
            pos += 1
            while pos < len(text) and not (
                text[pos] == "'" and text[pos + 1 : pos + 2] != "'"
            ):
                pos += 2 if text[pos] == "'" else 1
            pos += 1
        else:
            kept.append(text[pos])
            pos += 1
    return "".join(kept)


def _describe(names: Iterable[str]) -> str:
    return ", ".join(f"{{{name}}}" for name in sorted(names))


def _leaf_problem(english: str, text: Any) -> str | None:
    """Return what is wrong with the translation ``text`` of ``english``."""
    if not isinstance(text, str):
        return f"is {type(text).__name__}, not text"
    if not text.strip():
        return "is empty"
    if REFERENCE_MARK in text:
        return "has a [%key:...%] reference (custom integrations ship resolved text)"
    try:
        found = placeholders(text)
    except ValueError as err:
        return f"is not a valid message: {err}"
    wanted = placeholders(english)
    if found != wanted:
        parts = []
        if wanted - found:
            parts.append(f"lacks {_describe(wanted - found)}")
        if found - wanted:
            parts.append(f"has {_describe(found - wanted)}, which English has not")
        return "placeholders differ: " + "; ".join(parts)
    if hidden := found - placeholders(frontend_text(text)):
        return (
            f"the frontend shows {_describe(hidden)} literally: an apostrophe "
            "right before '{' quotes it (reword, or use a typographic apostrophe)"
        )
    return None


def compare(english: Mapping[str, Any], language: Mapping[str, Any]) -> list[str]:
    """Return one line per key of ``language`` that does not match ``english``."""
    wanted = flatten(english)
    found = flatten(language)
    problems = [f"{key}: missing" for key in wanted if key not in found]
    problems += [
        f"{key}: not in en.json (remove it)" for key in found if key not in wanted
    ]
    for key, text in found.items():
        if key in wanted and (problem := _leaf_problem(wanted[key], text)):
            problems.append(f"{key}: {problem}")
    return problems


def ordered_like(english: Mapping[str, Any], language: Any) -> Any:
    """Return ``language`` with its keys in en.json's order, extra keys last."""
    if not isinstance(language, Mapping) or not isinstance(english, Mapping):
        return language
    ordered = {
        key: ordered_like(english[key], language[key])
        for key in english
        if key in language
    }
    ordered.update(
        {key: value for key, value in language.items() if key not in english}
    )
    return ordered


def languages(directory: Path = TRANSLATIONS) -> list[str]:
    """Return the codes of the translations besides English, as the files say."""
    return sorted(path.stem for path in directory.glob("*.json") if path.stem != "en")


def check(language: str, directory: Path = TRANSLATIONS) -> list[str]:
    """Return the problems of one language file, each naming its key."""
    english = json.loads((directory / "en.json").read_text(encoding="utf-8"))
    path = directory / f"{language}.json"
    try:
        tree = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        return [f"{path.name} is not UTF-8 JSON: {err}"]
    if not isinstance(tree, dict):
        return [f"{path.name} is not a JSON object"]
    problems = compare(english, tree)
    if path.read_text(encoding="utf-8") != dump(ordered_like(english, tree)):
        problems.append(
            f"{path.name} is not formatted like en.json (keys in its order, "
            "2-space indent, unescaped UTF-8, final newline): "
            "run python -m scripts.translation_check --format"
        )
    return problems


def format_files(directory: Path = TRANSLATIONS) -> None:
    """Rewrite each valid language file in en.json's key order and format."""
    english = json.loads((directory / "en.json").read_text(encoding="utf-8"))
    for language in languages(directory):
        path = directory / f"{language}.json"
        try:
            tree = json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            continue
        if not isinstance(tree, dict):
            continue
        path.write_text(dump(ordered_like(english, tree)), encoding="utf-8")


def report(directory: Path = TRANSLATIONS) -> Iterator[str]:
    """Yield one line per problem of every language, prefixed by its code."""
    for language in languages(directory):
        for problem in check(language, directory):
            yield f"{language}: {problem}"


def main(argv: list[str] | None = None) -> int:
    """List what each language lacks; ``--format`` first reformats the files."""
    args = sys.argv[1:] if argv is None else argv
    if "--format" in args:
        format_files()
    problems = list(report())
    for line in problems:
        sys.stdout.write(line + "\n")
    if problems:
        return 1
    sys.stdout.write(f"translations complete: {', '.join(['en', *languages()])}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
