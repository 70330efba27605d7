"""dashboard.i18n: every text in both languages, same placeholders, Korean really Korean."""

from __future__ import annotations

import re
import string

import pytest

from dashboard.i18n import LANGUAGES, keys, t

_HANGUL = re.compile(r"[\uac00-\ud7a3]")


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("key", keys())
def test_both_languages_have_the_same_placeholders(key: str):
    from dashboard.i18n import _TEXT

    korean, english = _TEXT[key]
    assert korean.strip() and english.strip()
    assert _fields(korean) == _fields(english), key


def test_korean_texts_contain_hangul_except_technical_names():
    from dashboard.i18n import _TEXT

    technical = {"layer_osm"}  # "OpenStreetMap (온라인)" has Hangul too; checked below
    missing = [key for key, (korean, _) in _TEXT.items() if key not in technical and not _HANGUL.search(korean)]
    assert missing == [], missing
    assert _HANGUL.search(t("layer_osm", "ko"))


def test_switching_language_and_filling_values():
    assert t("stats", "en", open=2, hotspots=5, frames=3, unacked=1).startswith("2 open incidents")
    assert t("stats", "ko", open=2, hotspots=5, frames=3, unacked=1).startswith("진행 중 2건")
    assert set(LANGUAGES) == {"ko", "en"}
