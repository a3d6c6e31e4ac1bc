"""Held-out copied-text dumps: the cleaner's rules must generalise beyond the sample dumps they were built on.

Each ``tests/data/dumps/<name>.txt`` is an original, fictional article pasted the way readers copy real news
pages (consent banners, navigation, wire datelines, captions in many credit styles, teaser lists, newsletter
boxes, share bars, author bios, comment forms, CRLF line endings, no-break spaces, hard-wrapped quotes) with
traps that look like boilerplate but are body text. ``<name>.expected.json`` gives the title, metadata and the
clean body. Every raw line that is not body text is boilerplate (or metadata) and must not survive.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.clean import clean_text_dump
from tests.test_clean import token_f1

DUMPS = Path(__file__).parent / "data" / "dumps"
MIN_BODY_F1 = 0.97


def _norm(text: str) -> str:
    return " ".join(text.split())  # str.split also splits on no-break spaces


def boilerplate_lines(raw: str, clean_text: str) -> list[str]:
    """Lines of the raw dump that are not body text: neither a whole paragraph of the clean text nor a fragment
    (of three words or more) of a hard-wrapped one."""
    paragraphs = [_norm(p) for p in clean_text.split("\n\n")]
    found = []
    for line in raw.splitlines():
        line = _norm(line)
        if not line or line in paragraphs:
            continue
        if len(line.split()) >= 3 and any(line in p for p in paragraphs):
            continue
        found.append(line)
    return found


def surviving_boilerplate(raw: str, clean_text: str, output: str) -> list[str]:
    """Boilerplate lines found in the cleaner's ``output``: as a paragraph, or (three words or more) inside one."""
    paragraphs = [_norm(p) for p in output.split("\n\n")]
    joined = "\n".join(paragraphs)
    return [
        line
        for line in boilerplate_lines(raw, clean_text)
        if line in paragraphs or (len(line.split()) >= 3 and line in joined)
    ]


def _cases() -> list[str]:
    return sorted(p.name.removesuffix(".expected.json") for p in DUMPS.glob("*.expected.json"))


def _load(name: str) -> tuple[str, dict[str, object]]:
    raw = (DUMPS / f"{name}.txt").read_bytes().decode("utf-8")  # bytes: keep the CRLF endings as written
    return raw, json.loads((DUMPS / f"{name}.expected.json").read_text(encoding="utf-8"))


def test_the_held_out_set_is_large_and_varied() -> None:
    names = _cases()
    assert len(names) >= 12
    raws = [_load(name)[0] for name in names]
    assert any("\r\n" in raw for raw in raws) and any("\u00a0" in raw for raw in raws)
    assert all((DUMPS / f"{name}.txt").exists() for name in names)


@pytest.mark.parametrize("name", _cases())
def test_held_out_dump(name: str) -> None:
    raw, expected = _load(name)
    result = clean_text_dump(raw)
    assert result.title == expected["title"]
    assert result.published == expected["published"]
    assert result.authors == expected["authors"]
    assert result.original_publisher == expected["original_publisher"]
    clean_text = str(expected["clean_text"])
    assert surviving_boilerplate(raw, clean_text, result.text) == []
    f1 = token_f1(result.text, clean_text)
    assert f1 >= MIN_BODY_F1, f"body token F1 {f1:.3f}"


def test_the_boilerplate_check_itself_catches_a_leak() -> None:
    raw, expected = _load(_cases()[0])
    clean_text = str(expected["clean_text"])
    leaked = boilerplate_lines(raw, clean_text)[-1]
    assert surviving_boilerplate(raw, clean_text, clean_text + "\n\n" + leaked) == [leaked]
    assert surviving_boilerplate(raw, clean_text, clean_text) == []
