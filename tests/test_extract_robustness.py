"""Property tests: no input makes extraction, cleaning or language detection raise anything but RejectError."""

from __future__ import annotations

import codecs

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.clean import clean_text_dump
from pipeline.errors import RejectError
from pipeline.extract import decode_html, extract_html
from pipeline.language import detect_language
from pipeline.records import Extracted

ROBUST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

TAGS = [
    "html",
    "head",
    "body",
    "title",
    "meta",
    "p",
    "div",
    "article",
    "script",
    "style",
    "table",
    "td",
    "a",
    "br",
    "h1",
    "li",
    "ul",
    "nav",
    "footer",
    "!--",
    "![CDATA[",
    "?xml",
    "!DOCTYPE html",
    "svg",
    "math",
    "template",
]
ENCODINGS = [
    "utf-8",
    "utf-16",
    "utf-16-be",
    "utf-32",
    "latin-1",
    "cp1252",
    "cp1251",
    "shift_jis",
    "gb18030",
    "koi8-r",
    "iso8859-7",
    "big5",
    "euc-kr",
]
DECLARED = ["utf-8", "utf-16", "iso-8859-1", "windows-1251", "shift_jis", "x-unknown-charset", "", "utf-7", "\x00"]


@st.composite
def broken_html(draw: st.DrawFn) -> str:
    """Tag soup: random, unclosed, misnested tags with random attributes and text."""
    parts = []
    for _ in range(draw(st.integers(0, 60))):
        tag = draw(st.sampled_from(TAGS))
        kind = draw(st.integers(0, 3))
        if kind == 0:
            parts.append(f"<{tag}>")
        elif kind == 1:
            parts.append(f"</{tag}>")
        elif kind == 2:
            attr = draw(st.text(max_size=15))
            parts.append(f'<{tag} class="{attr}" charset={draw(st.sampled_from(DECLARED))}')
        else:
            parts.append(draw(st.text(max_size=200)))
    return "".join(parts)


def _ok_or_reject(call: object) -> None:
    try:
        result = call()  # type: ignore[operator]
    except RejectError as exc:
        assert exc.code and "\n" not in exc.code
        return
    assert isinstance(result, Extracted)
    assert isinstance(result.text, str) and result.text.strip()


@ROBUST
@given(st.binary(max_size=4000))
def test_arbitrary_bytes_never_crash_extraction(data: bytes) -> None:
    _ok_or_reject(lambda: extract_html(data, timeout_s=20))


@ROBUST
@given(broken_html(), st.sampled_from(ENCODINGS))
def test_broken_html_in_odd_encodings_never_crashes_extraction(html: str, encoding: str) -> None:
    data = html.encode(encoding, errors="replace")
    _ok_or_reject(lambda: extract_html(data, url="http://example.org/a", timeout_s=20))


@ROBUST
@given(st.text(max_size=300), st.sampled_from(DECLARED), st.sampled_from(ENCODINGS), st.booleans())
def test_declared_charset_lies_never_crash_decoding(text: str, declared: str, encoding: str, bom: bool) -> None:
    page = f'<html><head><meta charset="{declared}"></head><body><p>{text}</p></body></html>'
    data = page.encode(encoding, errors="replace")
    if bom:
        data = codecs.BOM_UTF8 + data
    try:
        decoded = decode_html(data)
    except RejectError as exc:
        assert exc.code == "encoding"
    else:
        assert isinstance(decoded, str)


@ROBUST
@given(st.text(max_size=3000))
def test_arbitrary_text_never_crashes_cleaning(text: str) -> None:
    _ok_or_reject(lambda: clean_text_dump(text))


@ROBUST
@given(
    st.lists(
        st.sampled_from(
            [
                "By Jane Doe",
                "March 4, 2020",
                "Title | Outlet",
                "Title",
                "#a #b",
                "Leave a Reply",
                "Share this",
                "NAIROBI, Kenya — Police said the cameras were new and that more would follow.",
                "(Getty Images)",
                "",
                "This article was originally published by",
                "The council voted for the cameras on Tuesday night.",
            ]
        ),
        max_size=30,
    ),
    st.text(max_size=50),
)
def test_boilerplate_shaped_dumps_never_crash_cleaning(lines: list[str], noise: str) -> None:
    _ok_or_reject(lambda: clean_text_dump("\n".join(lines) + noise))


@ROBUST
@given(st.text(max_size=500))
def test_language_detection_returns_a_code_or_none(text: str) -> None:
    code = detect_language(text)
    assert code is None or (len(code) == 2 and code.isalpha() and code.islower())
