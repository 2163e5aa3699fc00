"""Every language says everything English says, with the same placeholders and markup.

The one place of the parity rule: a key added to strings.json fails here until
each language in translations/ has it (README, "Translations", has the words).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

TRANSLATIONS = (
    Path(__file__).resolve().parent.parent
    / "custom_components"
    / "powertracker"
    / "translations"
)
LANGUAGES = ("sv", "nb", "de", "nl")

# What Home Assistant and its frontend read inside a string: placeholders, code,
# links and emphasis. A translation keeps each of them exactly.
MARKUP = re.compile(
    r"\{[^{}]*\}|`[^`]*`|\]\([^)]*\)|\*\*|<[^>]*>|https?://[\w.:/-]*[\w/]"
)
# Words that only English has: a whole string equal to English with one of them
# was copied, not translated (product names such as "InfluxDB" stay as they are).
ENGLISH = re.compile(r"\b(the|of|to|and|is|your|this|with|per|from)\b", re.IGNORECASE)


def _flat(tree: object, path: str = "") -> dict[str, str]:
    """Every string of a translation file by its dotted key."""
    if isinstance(tree, dict):
        flat: dict[str, str] = {}
        for key, value in tree.items():
            flat |= _flat(value, f"{path}.{key}" if path else key)
        return flat
    assert isinstance(tree, str), f"{path}: {tree!r} is not a string"
    return {path: tree}


def _load(language: str) -> dict[str, str]:
    return _flat(json.loads((TRANSLATIONS / f"{language}.json").read_text("utf-8")))


def test_the_languages_are_exactly_these() -> None:
    """A new language file is added to LANGUAGES (and the README) on purpose."""
    assert sorted(path.stem for path in TRANSLATIONS.glob("*.json")) == sorted(
        ("en", *LANGUAGES)
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_language_has_every_key_of_english_and_no_other(language: str) -> None:
    english, other = _load("en"), _load(language)
    missing, extra = english.keys() - other.keys(), other.keys() - english.keys()
    assert {"missing": sorted(missing), "not in English": sorted(extra)} == {
        "missing": [],
        "not in English": [],
    }


@pytest.mark.parametrize("language", LANGUAGES)
def test_placeholders_and_markup_are_those_of_english(language: str) -> None:
    english, other = _load("en"), _load(language)
    differing = {
        key: (Counter(MARKUP.findall(text)), Counter(MARKUP.findall(other[key])))
        for key, text in english.items()
        if key in other
        and Counter(MARKUP.findall(text)) != Counter(MARKUP.findall(other[key]))
    }
    assert differing == {}


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_string_is_left_in_english(language: str) -> None:
    english, other = _load("en"), _load(language)
    copied = sorted(
        key
        for key, text in english.items()
        if other.get(key) == text and ENGLISH.search(MARKUP.sub("", text))
    )
    assert copied == []


def test_the_checks_see_what_they_look_for() -> None:
    """The patterns above find what a broken translation would change."""
    text = "Cannot write {path}: {error}; see `sqlite3 .recover` at https://x.y/z."
    assert MARKUP.findall(text) == [
        "{path}",
        "{error}",
        "`sqlite3 .recover`",
        "https://x.y/z",
    ]
    assert Counter(MARKUP.findall("{seconds} s")) != Counter(
        MARKUP.findall("{sekunder} s")
    )
    assert ENGLISH.search("Tibber rejected the token.")
    assert not ENGLISH.search("Amazon Timestream for LiveAnalytics")
    assert _flat({"a": {"b": "x", "c": {"d": "y"}}}) == {"a.b": "x", "a.c.d": "y"}
