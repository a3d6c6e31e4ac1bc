"""Language identification (py3langid)."""

from __future__ import annotations

import pytest

from pipeline.language import detect_language, normalise_language_tag


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Police in the city have started using facial recognition cameras at train stations.", "en"),
        ("La police utilise désormais des caméras de reconnaissance faciale dans les gares.", "fr"),
        ("Die Polizei setzt an Bahnhöfen jetzt Kameras mit Gesichtserkennung ein.", "de"),
        ("La policía empezó a usar cámaras de reconocimiento facial en las estaciones.", "es"),
        ("Полиция начала использовать камеры распознавания лиц на вокзалах.", "ru"),
    ],
)
def test_detects_common_languages(text: str, code: str) -> None:
    assert detect_language(text) == code


@pytest.mark.parametrize("text", ["", "ok", "12345 67890 !!! ???", "   "])
def test_too_little_text_gives_none(text: str) -> None:
    assert detect_language(text) is None


def test_html_language_tags_are_normalised() -> None:
    assert normalise_language_tag("en-US") == "en"
    assert normalise_language_tag("DE_at") == "de"
    assert normalise_language_tag("english") is None
    assert normalise_language_tag(None) is None
