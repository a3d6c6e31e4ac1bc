"""Reading inputs: kind detection by content, rejects with reasons, folder walking."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from pipeline.errors import RejectError
from pipeline.ingest import decode_text, iter_paths, read_file, read_inputs, sniff_kind


def test_kind_is_detected_from_content_not_name(tmp_path: Path) -> None:
    page = tmp_path / "article.txt"
    page.write_text("<!DOCTYPE html><html><body><p>Hello</p></body></html>", encoding="utf-8")
    dump = tmp_path / "article.html"
    dump.write_text("A title\n\nSome copied text about CCTV cameras.", encoding="utf-8")
    assert read_file(page, 1000).kind == "html"
    assert read_file(dump, 1000).kind == "text"


def test_sniff_rejects_binary() -> None:
    with pytest.raises(RejectError) as info:
        sniff_kind(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    assert info.value.code == "binary"


def test_gzipped_html_is_read_and_bombs_are_cut_off(tmp_path: Path) -> None:
    page = tmp_path / "page.html.gz"
    page.write_bytes(gzip.compress(b"<html><body><p>Police drones</p></body></html>"))
    assert read_file(page, 10_000).kind == "html"
    bomb = tmp_path / "bomb.html.gz"
    bomb.write_bytes(gzip.compress(b"<p>" + b"a" * 5_000_000))
    with pytest.raises(RejectError) as info:
        read_file(bomb, 100_000)
    assert info.value.code == "too-large"


def test_non_utf8_text_is_rejected_with_the_offset() -> None:
    with pytest.raises(RejectError) as info:
        decode_text("Gesichtserkennung in München".encode("cp1252"))
    assert info.value.code == "encoding"
    assert "offset 22" in str(info.value)
    assert decode_text("\ufeffBOM is fine".encode()) == "BOM is fine"


def test_folders_yield_article_files_only_sorted(tmp_path: Path) -> None:
    (tmp_path / "b.html").write_text("<p>b</p>")
    (tmp_path / "a.txt").write_text("a")
    (tmp_path / "README.md").write_text("not an article")
    (tmp_path / "expected.json").write_text("{}")
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "c.html").write_text("<p>c</p>")
    names = [p.name for p in iter_paths([tmp_path])]
    assert names == ["a.txt", "b.html"]


def test_read_inputs_reports_missing_and_goes_on(tmp_path: Path) -> None:
    good = tmp_path / "good.txt"
    good.write_text("Title\n\nBody about spyware.")
    items = list(read_inputs([tmp_path / "missing.txt", good], 1000))
    assert isinstance(items[0], tuple) and items[0][1].code == "missing"
    assert not isinstance(items[1], tuple) and items[1].source == str(good)
