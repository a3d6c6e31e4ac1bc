"""Hardening: each class of hostile or unlucky input found in issue #14 gets a test of its own."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from spacy.language import Language
from spacy.tokens import Doc
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from pipeline.errors import RejectError
from pipeline.records import RawInput
from pipeline.tag import TagFailure, load_tagger, split_for_tagging, tag_texts_with_events
from pipeline.warc import iter_warc_items


@pytest.fixture(scope="module")
def rules_nlp() -> Language:
    return load_tagger("blank")


# bug 1: long texts ------------------------------------------------------------------------------------------------


def test_split_for_tagging_covers_the_text_exactly_at_paragraph_boundaries() -> None:
    text = "\n\n".join(f"Paragraph {i} about facial recognition." for i in range(500))
    pieces = split_for_tagging(text, limit=1_000)
    assert "".join(piece for _, piece in pieces) == text
    assert all(len(piece) <= 1_000 for _, piece in pieces)
    assert all(text[offset : offset + len(piece)] == piece for offset, piece in pieces)
    assert all(piece.endswith("\n\n") for _, piece in pieces[:-1])
    assert split_for_tagging("x" * 2_500, limit=1_000)[-1] == (2_000, "x" * 500)  # no boundary: a hard cut


def test_a_text_over_max_length_is_tagged_in_pieces_with_exact_offsets(rules_nlp: Language) -> None:
    text = "Headline\n\n" + "\n\n".join(f"Police used facial recognition in case {i}." for i in range(3_000))
    old = rules_nlp.max_length
    rules_nlp.max_length = 20_000  # the text is seven times longer: spaCy alone would raise E088
    try:
        [result] = list(tag_texts_with_events(rules_nlp, [text]))
    finally:
        rules_nlp.max_length = old
    assert not isinstance(result, TagFailure)
    entities, _events = result
    technologies = [e for e in entities if e.label == "TECHNOLOGY"]
    assert len(technologies) == 3_000
    assert all(text[e.start : e.end] == e.text for e in entities)


def test_one_failing_text_never_stops_the_others(rules_nlp: Language) -> None:
    nlp = load_tagger("blank")

    @Language.component("survnews_test_explodes")
    def explodes(doc: Doc) -> Doc:
        if "EXPLODE" in doc.text:
            raise RuntimeError("component failed on this text")
        return doc

    nlp.add_pipe("survnews_test_explodes", first=True)
    texts = ["Spyware in Mexico.", "EXPLODE here", "Drones over Paris.", "EXPLODE again", "CCTV in Oslo."]
    results = list(tag_texts_with_events(nlp, texts, batch_size=2))
    assert len(results) == len(texts)
    assert [isinstance(r, TagFailure) for r in results] == [False, True, False, True, False]
    failure = results[1]
    assert isinstance(failure, TagFailure) and "component failed on this text" in failure.reason
    found = [sorted(e.text for e in r[0]) for r in results if not isinstance(r, TagFailure)]
    assert found == [["Mexico", "Spyware"], ["Drones", "Paris"], ["CCTV", "Oslo"]]


# bug 10: damaged and empty WARC files -------------------------------------------------------------------------------


def _three_page_warc(folder: Path, *, gzipped: bool) -> Path:
    path = folder / ("three.warc.gz" if gzipped else "three.warc")
    with path.open("wb") as handle:
        writer = WARCWriter(handle, gzip=gzipped)
        for name in ("a", "b", "c"):
            body = b"<html><body><p>" + name.encode() * 400 + b"</p></body></html>"
            headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1")
            record = writer.create_warc_record(
                f"https://n.example/{name}", "response", payload=io.BytesIO(body), http_headers=headers
            )
            writer.write_record(record)
    return path


@pytest.mark.parametrize("gzipped", [True, False], ids=["warc.gz", "warc"])
def test_damage_in_a_warc_costs_one_record_and_says_so(tmp_path: Path, gzipped: bool) -> None:
    path = _three_page_warc(tmp_path, gzipped=gzipped)
    data = bytearray(path.read_bytes())
    # damage the middle record: its bytes (compressed or not) are overwritten with binary junk
    middle = data.find(b"https://n.example/b") if not gzipped else len(data) // 2
    data[middle : middle + 40] = bytes(range(200, 240))
    path.write_bytes(bytes(data))
    items = list(iter_warc_items(path))
    urls = [i.url for i in items if isinstance(i, RawInput)]
    rejects = [error for _, error in (i for i in items if isinstance(i, tuple))]
    assert urls[0] == "https://n.example/a" and urls[-1] == "https://n.example/c"  # the good record after damage
    assert "https://n.example/b" not in urls
    assert rejects, "damage must leave a reject"
    for error in rejects:
        assert error.code in ("bad-warc", "bad-record", "truncated")
        assert str(error).isprintable(), str(error)  # no raw binary in a reason


def test_empty_and_html_less_warcs_leave_a_reject(tmp_path: Path) -> None:
    (tmp_path / "empty.warc").write_bytes(b"")
    with pytest.raises(RejectError) as info:
        list(iter_warc_items(tmp_path / "empty.warc"))
    assert info.value.code == "not-warc" and "empty" in str(info.value)
    only_info = tmp_path / "info.warc.gz"
    with only_info.open("wb") as handle:
        writer = WARCWriter(handle, gzip=True)
        writer.write_record(writer.create_warcinfo_record("info.warc.gz", {"software": "test"}))
    [(item, error)] = list(iter_warc_items(only_info))
    assert error.code == "no-records" and item == str(only_info)
