"""The translations: every language has exactly en.json's keys and placeholders.

Pure JSON: nothing here starts Home Assistant. Languages are the files in
translations/, so a file added later is checked without changing this module.
"""

from __future__ import annotations

import json
from pathlib import Path
import re

import pytest

from scripts.translation_check import (
    check,
    dump,
    format_files,
    languages,
    placeholders,
    report,
)

ROOT = Path(__file__).resolve().parents[2]
ENGLISH = {
    "config": {
        "step": {"user": {"title": "Add {name}", "description": "At {host}."}},
        "abort": {"done": "Done"},
    },
    "exceptions": {"failed": {"message": "Failed: {error}"}},
}


@pytest.mark.parametrize("language", languages())
def test_language_has_the_keys_and_placeholders_of_english(language: str) -> None:
    """No key missing or extra, the same placeholders, resolved text, en's format."""
    problems = check(language)
    assert not problems, f"{language}.json:\n" + "\n".join(problems)


def test_the_readme_names_the_languages_shipped() -> None:
    """The README's list of languages is the translation files present."""
    readme = (ROOT / "README.md").read_text()
    paragraph = next(text for text in readme.split("\n\n") if "The UI is in" in text)
    assert sorted(re.findall(r"\(`([a-zA-Z-]+)`\)", paragraph)) == sorted(
        ["en", *languages()]
    )
    assert {"de", "es", "fr", "nl"} <= set(languages())


def _write(directory: Path, name: str, tree: object) -> None:
    (directory / f"{name}.json").write_text(dump(tree), encoding="utf-8")


def _problems(directory: Path, tree: object) -> list[str]:
    _write(directory, "en", ENGLISH)
    _write(directory, "xx", tree)
    return list(report(directory))


def test_a_complete_language_passes(tmp_path: Path) -> None:
    translated = {
        "config": {
            "step": {
                "user": {"title": "{name} hinzufügen", "description": "Bei {host}."}
            },
            "abort": {"done": "Fertig"},
        },
        "exceptions": {"failed": {"message": "Fehlgeschlagen: {error}"}},
    }
    assert _problems(tmp_path, translated) == []


def test_a_missing_key_is_named_with_its_language(tmp_path: Path) -> None:
    translated = json.loads(json.dumps(ENGLISH))
    del translated["config"]["abort"]["done"]
    assert _problems(tmp_path, translated) == ["xx: config::abort::done: missing"]


def test_an_extra_key_is_named_with_its_language(tmp_path: Path) -> None:
    translated = json.loads(json.dumps(ENGLISH))
    translated["config"]["abort"]["gone"] = "Weg"
    assert _problems(tmp_path, translated) == [
        "xx: config::abort::gone: not in en.json (remove it)"
    ]


def test_a_text_where_english_has_a_section_is_missing_and_extra(
    tmp_path: Path,
) -> None:
    translated = json.loads(json.dumps(ENGLISH))
    translated["exceptions"]["failed"] = "Fehlgeschlagen: {error}"
    assert _problems(tmp_path, translated) == [
        "xx: exceptions::failed::message: missing",
        "xx: exceptions::failed: not in en.json (remove it)",
    ]


def test_mismatched_placeholders_are_named(tmp_path: Path) -> None:
    translated = json.loads(json.dumps(ENGLISH))
    translated["config"]["step"]["user"]["title"] = "{nom} hinzufügen"
    translated["exceptions"]["failed"]["message"] = "Fehlgeschlagen"
    assert _problems(tmp_path, translated) == [
        "xx: config::step::user::title: placeholders differ: lacks {name}; "
        "has {nom}, which English has not",
        "xx: exceptions::failed::message: placeholders differ: lacks {error}",
    ]


def test_a_placeholder_the_frontend_would_quote_is_named(tmp_path: Path) -> None:
    """In ICU messages an apostrophe before '{' quotes it: "d'{host}"."""
    translated = json.loads(json.dumps(ENGLISH))
    translated["config"]["step"]["user"]["description"] = "À l'adresse d'{host}."
    (problem,) = _problems(tmp_path, translated)
    assert problem.startswith(
        "xx: config::step::user::description: the frontend shows {host} literally"
    )


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("[%key:common::config_flow::abort::done%]", "has a [%key:...%] reference"),
        ("   ", "is empty"),
        ("Fertig {", "is not a valid message"),
    ],
)
def test_unusable_text_is_named(tmp_path: Path, text: str, problem: str) -> None:
    translated = json.loads(json.dumps(ENGLISH))
    translated["config"]["abort"]["done"] = text
    (found,) = _problems(tmp_path, translated)
    assert found.startswith(f"xx: config::abort::done: {problem}")


def test_a_file_formatted_unlike_en_json_is_named_and_formatted(
    tmp_path: Path,
) -> None:
    """Indent, escaping and key order follow en.json; --format fixes them."""
    _write(tmp_path, "en", ENGLISH)
    reordered = {"exceptions": ENGLISH["exceptions"], "config": ENGLISH["config"]}
    (tmp_path / "xx.json").write_text(json.dumps(reordered, indent=4))
    (problem,) = report(tmp_path)
    assert problem.startswith("xx: xx.json is not formatted like en.json")
    format_files(tmp_path)
    assert list(report(tmp_path)) == []
    assert (tmp_path / "xx.json").read_text() == dump(ENGLISH)


def test_a_file_that_is_not_json_is_named(tmp_path: Path) -> None:
    _write(tmp_path, "en", ENGLISH)
    (tmp_path / "xx.json").write_text('{"config": ', encoding="utf-8")
    (problem,) = report(tmp_path)
    assert problem.startswith("xx: xx.json is not UTF-8 JSON")


def test_placeholders_are_compared_as_home_assistant_does() -> None:
    """Home Assistant drops a translation whose placeholders differ."""
    assert placeholders("{name} at {host}, {{literal}}") == {"name", "host"}
    assert placeholders("none") == frozenset()


def test_a_language_added_later_is_checked_too(tmp_path: Path) -> None:
    _write(tmp_path, "en", ENGLISH)
    _write(tmp_path, "xx", ENGLISH)
    _write(tmp_path, "pt-BR", {"config": ENGLISH["config"]})
    assert languages(tmp_path) == ["pt-BR", "xx"]
    assert list(report(tmp_path)) == ["pt-BR: exceptions::failed::message: missing"]
