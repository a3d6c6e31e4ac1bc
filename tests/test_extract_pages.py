"""HTML pages with boilerplate inside the article: ad slots, "Read more" teasers, newsletter boxes, share tools,
an author bio and a copyright line between or after the body paragraphs, plus body lines that look like boilerplate.

``tests/data/pages/<name>.expected.json`` lists the headline, every body paragraph and every boilerplate block of
the ``<article>``. Extraction must keep the body whole and drop each boilerplate block.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.extract import extract_html_unlimited

PAGES = Path(__file__).parent / "data" / "pages"


def _norm(text: str) -> str:
    return " ".join(text.split())


def _cases() -> list[str]:
    return sorted(p.name.removesuffix(".expected.json") for p in PAGES.glob("*.expected.json"))


def test_there_are_pages_to_check() -> None:
    assert len(_cases()) >= 4


@pytest.mark.parametrize("name", _cases())
def test_inline_boilerplate_goes_and_the_body_stays_whole(name: str) -> None:
    expected = json.loads((PAGES / f"{name}.expected.json").read_text(encoding="utf-8"))
    result = extract_html_unlimited((PAGES / f"{name}.html").read_bytes())
    assert result.title == expected["title"]
    text = _norm(result.text)
    paragraphs = [_norm(p) for p in result.text.split("\n\n")]
    missing = [p for p in expected["body"] if _norm(p) not in text]
    assert missing == []
    # A block survives when it is a paragraph of its own, or (three words or more) inside one.
    leaked = [
        b for b in expected["boilerplate"] if _norm(b) in paragraphs or (len(b.split()) >= 3 and _norm(b) in text)
    ]
    assert leaked == []
