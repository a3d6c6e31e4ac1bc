"""HTML extraction: body, metadata, charsets, rejects and the per-page time limit (real trafilatura, real worker)."""

from __future__ import annotations

import json
import time

import pytest

from pipeline.errors import RejectError
from pipeline.extract import decode_html, extract_html, extract_html_unlimited
from tests.conftest import SAMPLES

BODY_SENTENCES = [
    "The city council approved a contract for automated licence plate readers on every bridge into town.",
    "Civil liberties groups said the cameras would record the movements of thousands of drivers each day.",
    "Police officials told the meeting that the data would be kept for thirty days and then deleted.",
    "A lawyer for the residents' association said the retention rules were not written into the contract.",
    "The vendor declined to say whether other agencies would be able to query the database.",
]


def news_page(*, charset: str = "utf-8", title: str = "Council approves plate readers", extra_body: str = "") -> str:
    paragraphs = "\n".join(f"<p>{s}</p>" for s in BODY_SENTENCES)
    return f"""<!DOCTYPE html>
<html lang="en"><head>
<meta charset="{charset}">
<title>{title} | The Example Courier</title>
<meta property="og:title" content="{title}">
<meta property="og:site_name" content="The Example Courier">
<meta name="author" content="Jane Doe">
<meta name="description" content="The council voted for plate readers on all bridges.">
<meta property="article:published_time" content="2021-06-14T09:30:00+00:00">
<link rel="canonical" href="https://courier.example.org/news/plate-readers">
</head><body>
<nav><a href="/">Home</a> <a href="/news">News</a> <a href="/sport">Sport</a></nav>
<article><h1>{title}</h1>
<p class="byline">By Jane Doe</p>
{paragraphs}
{extra_body}
</article>
<aside><h2>Most read</h2><ul><li><a href="/a">Storm hits coast</a></li>
<li><a href="/b">Team wins cup</a></li></ul></aside>
<footer>Copyright 2021 The Example Courier. All rights reserved.</footer>
</body></html>"""


def test_body_and_metadata_from_a_news_page() -> None:
    result = extract_html(news_page().encode("utf-8"), url="https://courier.example.org/news/plate-readers?utm=x")
    for sentence in BODY_SENTENCES:
        assert sentence in result.text
    for boilerplate in ("Storm hits coast", "All rights reserved", "Sport"):
        assert boilerplate not in result.text
    assert "\n\n" in result.text  # paragraphs are separated by a blank line
    assert result.title == "Council approves plate readers"
    assert result.authors == ["Jane Doe"]
    assert result.published == "2021-06-14"
    assert result.publisher == "The Example Courier"
    assert result.url == "https://courier.example.org/news/plate-readers"
    assert result.description == "The council voted for plate readers on all bridges."
    assert result.language == "en"


def test_declared_legacy_charset_is_honoured() -> None:
    title = "Überwachung: Kameras für München"
    page = news_page(charset="iso-8859-1", title=title).replace(
        BODY_SENTENCES[0], "Die Stadt läßt Kameras aufhängen, sagte die Bürgermeisterin am Dienstag."
    )
    result = extract_html(page.encode("cp1252"))
    assert result.title == title
    assert "läßt Kameras" in result.text


def test_byte_order_mark_wins_over_a_wrong_declaration() -> None:
    page = news_page(charset="iso-8859-1", title="Caméras à Paris : la CNIL s’inquiète")
    for encoded in (b"\xef\xbb\xbf" + page.encode("utf-8"), page.encode("utf-16")):
        assert extract_html(encoded).title == "Caméras à Paris : la CNIL s’inquiète"


def test_utf8_page_declaring_a_legacy_charset_is_read_as_utf8() -> None:
    page = news_page(charset="windows-1252", title="Facial recognition — “a turning point”")
    assert decode_html(page.encode("utf-8")).count("“a turning point”") >= 1


def test_undeclared_legacy_bytes_are_detected() -> None:
    text = "<html><body><p>Die Überwachungskameras in Köln zeichnen täglich Tausende Gesichter auf.</p></body></html>"
    assert "Überwachungskameras in Köln" in decode_html(text.encode("cp1252"))


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "no-article"),
        (b"   \n\t ", "no-article"),
        (bytes(range(256)) * 64, "encoding"),
        (b"\x1f\x8b\x08\x00" + bytes(range(7, 250)) * 40, "encoding"),
        (b"<html><head><title>Menu</title></head><body><nav><a href='/'>Home</a></nav></body></html>", "no-article"),
        (b"just a few words", "no-article"),
    ],
)
def test_bad_pages_are_rejected_with_a_code(data: bytes, code: str) -> None:
    with pytest.raises(RejectError) as caught:
        extract_html(data)
    assert caught.value.code == code
    assert str(caught.value) and "\n" not in str(caught.value)


def test_non_bytes_input_is_a_reject_not_a_crash() -> None:
    with pytest.raises(RejectError) as caught:
        extract_html("<html></html>")  # type: ignore[arg-type]
    assert caught.value.code == "encoding"


def test_a_pathological_page_hits_the_time_limit_and_the_next_page_still_works() -> None:
    paragraph = "<p>" + "Cameras watch the square and the police log every face they see. " * 5 + "</p>"
    huge = ("<html><body><article>" + paragraph * 20000 + "</article></body></html>").encode()
    extract_html(news_page().encode())  # the worker is up, so only the page itself is timed
    start = time.perf_counter()
    with pytest.raises(RejectError) as caught:
        extract_html(huge, timeout_s=0.5)
    assert caught.value.code == "timeout"
    assert time.perf_counter() - start < 5  # abandoned, not waited for
    assert extract_html(news_page().encode()).title == "Council approves plate readers"


def test_in_process_and_worker_extraction_agree() -> None:
    page = news_page().encode()
    assert extract_html(page) == extract_html_unlimited(page)


def test_sample_pages_meet_their_expectations() -> None:
    expected_file = SAMPLES / "expected.json"
    if not expected_file.exists():
        pytest.skip(f"{expected_file} not written yet (corpus/samples is filled by the samples helper)")
    expected = json.loads(expected_file.read_text(encoding="utf-8"))
    pages = {name: spec for name, spec in expected.items() if name.endswith((".html", ".htm"))}
    if not pages:
        pytest.skip("no HTML samples in corpus/samples/expected.json")
    for name, spec in pages.items():
        path = next(SAMPLES.rglob(name), None) or SAMPLES / name
        result = extract_html(path.read_bytes())
        for snippet in spec.get("must_contain", []):
            assert snippet in result.text, (name, snippet)
        for snippet in spec.get("must_not_contain", []):
            assert snippet not in result.text, (name, snippet)


def test_warm_up_takes_every_path_of_the_extractor_once() -> None:
    """A worker's warm-up pays the one-time costs before its first page: its page goes through the whole cascade
    into trafilatura's justext fallback (whose stop list of all languages is built on first use), the metadata and
    the language model."""
    import trafilatura.external

    from pipeline.extract import _WARM_UP_PAGE, SHORT_BODY_CHARS, warm_up
    from pipeline.language import _identifier

    warm_up()
    assert trafilatura.external.JT_STOPLIST is not None
    assert _identifier.cache_info().currsize == 1
    page = extract_html_unlimited(_WARM_UP_PAGE, "https://example.org/warm-up")
    assert len(page.text) < SHORT_BODY_CHARS  # short: the cascade tries every mode
    assert (page.title, page.authors, page.published, page.language) == (
        "Warm-up",
        ["Survnews Warmup"],
        "2024-01-02",
        "en",
    )
    assert page.original_publisher == "The Example Times"
