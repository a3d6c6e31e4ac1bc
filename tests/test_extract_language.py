"""Language identification (py3langid)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pipeline.language import _identifier, _unpacked_model, detect_language, normalise_language_tag


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


SAMPLES = [
    "Police in the city have started using facial recognition cameras at train stations.",
    "La police utilise désormais des caméras de reconnaissance faciale dans les gares.",
    "Полиция начала использовать камеры распознавания лиц на вокзалах.",
    "警方开始在火车站使用人脸识别摄像头。",
    "ok then",
]


def test_unpacked_model_cache_is_py3langid_model(tmp_path: Path) -> None:
    """The cached, memory-mapped model is the model py3langid loads itself: same arrays, same answers; a second
    load reads the cache (no unpacking) and leaves no staging folder behind; a damaged cache is made again."""
    from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier
    from py3langid.modelio import load_model

    model_file = MODEL_DIR / MODEL_FILE
    expected = load_model(model_file)
    first = _unpacked_model(model_file, tmp_path)
    (folder,) = [p for p in tmp_path.iterdir() if not p.name.startswith(".")]
    stamp = (folder / "ptc.npy").stat().st_mtime_ns
    second = _unpacked_model(model_file, tmp_path)
    assert (folder / "ptc.npy").stat().st_mtime_ns == stamp  # read, not rewritten
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging folder left
    for got in (first, second):
        assert len(got) == len(expected)
        for mine, theirs in zip(got, expected, strict=True):
            if isinstance(theirs, np.ndarray):
                assert mine.dtype == theirs.dtype and np.array_equal(mine, theirs)
            else:
                assert type(mine) is type(theirs) and mine == theirs
    with open(folder / "ptc.npy", "r+b") as damaged:  # a copy cut short is made again, not trusted
        damaged.truncate(1000)
    second = _unpacked_model(model_file, tmp_path)
    assert np.array_equal(second[0], expected[0])
    cached = LanguageIdentifier(*second[:2], second[2], second[3], second[5], norm_probs=True, tk_row=second[4])
    reference = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    for text in SAMPLES:
        assert cached.classify(text) == reference.classify(text)


def test_identifier_falls_back_to_py3langid_when_the_cache_cannot_be_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache folder would be", encoding="utf-8")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))
    _identifier.cache_clear()
    try:
        assert detect_language(SAMPLES[0]) == "en"
        assert detect_language(SAMPLES[1]) == "fr"
    finally:
        _identifier.cache_clear()
