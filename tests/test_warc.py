"""WARC writing (every crawled response) and reading (HTML responses, e.g. CC-NEWS) round trips."""

from __future__ import annotations

import gzip
import io
from pathlib import Path

import httpx
import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from pipeline.errors import RejectError
from pipeline.fetch import Exchange
from pipeline.records import RawInput
from pipeline.warc import WarcArchive, iter_warc_inputs, iter_warc_items

PAGE = b"<!DOCTYPE html><html><head><title>A</title></head><body><p>" + b"text " * 200 + b"</p></body></html>"


def exchange(
    url: str,
    status: int = 200,
    content_type: str = "text/html; charset=utf-8",
    body: bytes = PAGE,
    gzipped: bool = False,
    truncated: str | None = None,
) -> Exchange:
    headers = {"Content-Type": content_type, "Transfer-Encoding": "chunked"}
    raw = body
    if gzipped:
        raw = gzip.compress(body)
        headers["Content-Encoding"] = "gzip"
    return Exchange(
        url=url,
        method="GET",
        request_headers=[("User-Agent", "t (+mailto:a@b.c)")],
        status=status,
        reason="OK" if status == 200 else "Other",
        http_version="HTTP/1.1",
        headers=httpx.Headers(headers),
        raw_body=raw,
        body=body,
        ip="127.0.0.1",
        truncated=truncated,
        fetched_at="2024-07-01T10:00:00Z",
    )


def write_archive(folder: Path) -> Path:
    archive = WarcArchive(folder)
    archive.write(exchange("https://n.example/a"))
    archive.write(exchange("https://n.example/b", gzipped=True))
    archive.write(exchange("https://n.example/gone", status=404))
    archive.write(exchange("https://n.example/logo.png", content_type="image/png", body=b"\x89PNG"))
    archive.write(exchange("https://n.example/cut", truncated="length"))
    archive.close()
    (path,) = archive.files
    return path


def test_archive_round_trip(tmp_path: Path) -> None:
    path = write_archive(tmp_path / "warc")
    assert path.name.endswith(".warc.gz") and path.parent == tmp_path / "warc"
    items = list(iter_warc_items(path))
    inputs = [i for i in items if isinstance(i, RawInput)]
    assert [(i.url, i.data, i.kind, i.retrieved_at) for i in inputs] == [
        ("https://n.example/a", PAGE, "html", "2024-07-01T10:00:00Z"),
        ("https://n.example/b", PAGE, "html", "2024-07-01T10:00:00Z"),  # Content-Encoding undone
    ]
    rejects = [i for i in items if isinstance(i, tuple)]
    assert [(uri, err.code) for uri, err in rejects] == [("https://n.example/cut", "truncated")]
    assert [i.url for i in iter_warc_inputs(path)] == ["https://n.example/a", "https://n.example/b"]


def test_each_process_writes_its_own_files(tmp_path: Path) -> None:
    first = write_archive(tmp_path)
    archive = WarcArchive(tmp_path, max_file_bytes=1)  # a new file after every record
    archive.write(exchange("https://n.example/c"))
    archive.write(exchange("https://n.example/d"))
    archive.close()
    assert len(archive.files) == 2 and first not in archive.files
    assert [i.url for f in archive.files for i in iter_warc_inputs(f)] == ["https://n.example/c", "https://n.example/d"]


def test_a_file_cut_off_anywhere_gives_only_whole_pages(tmp_path: Path) -> None:
    """What kill -9 during a write leaves: the records before are read, a cut-off page is never passed on."""
    archive = WarcArchive(tmp_path / "w")
    archive.write(exchange("https://n.example/a"))
    first_end = archive.files[0].stat().st_size
    archive.write(exchange("https://n.example/b", gzipped=True))
    archive.write(exchange("https://n.example/c"))
    archive.close()
    data = archive.files[0].read_bytes()
    cut = tmp_path / "cut.warc.gz"
    reported = 0
    for size in range(first_end, len(data), 23):
        cut.write_bytes(data[:size])
        items = list(iter_warc_items(cut))
        pages = [i for i in items if isinstance(i, RawInput)]
        assert pages[0].url == "https://n.example/a"
        assert all(p.data == PAGE for p in pages), size
        reported += any(isinstance(i, tuple) for i in items)
    assert reported > 0


def test_oversized_records_and_non_warc_files(tmp_path: Path) -> None:
    path = write_archive(tmp_path)
    items = list(iter_warc_items(path, max_bytes=100))
    assert {uri for uri, err in (i for i in items if isinstance(i, tuple)) if err.code == "too-large"} == {
        "https://n.example/a",
        "https://n.example/b",
    }
    for name, content in [
        ("notes.warc", b"these are not WARC records\n" * 10),
        ("page.warc.gz", gzip.compress(PAGE)),
        ("empty.warc", b""),
    ]:
        (tmp_path / name).write_bytes(content)
        with pytest.raises(RejectError) as info:
            list(iter_warc_items(tmp_path / name))
        assert info.value.code == "not-warc", name
    with pytest.raises(RejectError) as info:
        list(iter_warc_items(tmp_path / "absent.warc.gz"))
    assert info.value.code == "missing"


def test_reads_warc_written_by_other_tools(tmp_path: Path) -> None:
    """An uncompressed WARC as other crawlers write it (CC-NEWS style: chunked body, revisit records)."""
    path = tmp_path / "other.warc"
    with path.open("wb") as handle:
        writer = WARCWriter(handle, gzip=False)
        chunked = b"%x\r\n%s\r\n0\r\n\r\n" % (len(PAGE), PAGE)
        headers = StatusAndHeaders(
            "200 OK", [("Content-Type", "text/html"), ("Transfer-Encoding", "chunked")], protocol="HTTP/1.1"
        )
        writer.write_record(
            writer.create_warc_record(
                "https://cc.example/story", "response", payload=io.BytesIO(chunked), http_headers=headers
            )
        )
        writer.write_record(
            writer.create_warc_record(
                "https://cc.example/meta", "metadata", payload=io.BytesIO(b"x: y"), warc_content_type="text/plain"
            )
        )
    (item,) = list(iter_warc_inputs(path))
    assert item.url == "https://cc.example/story" and item.data == PAGE
