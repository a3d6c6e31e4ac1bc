"""Ingest stage: read local inputs into the store, then turn pending raw inputs into article records.

``read_inputs`` walks files and folders and yields raw inputs (kind detected by content) or rejects;
``process_pending`` runs extract → clean → dedup → relevance on every raw input not yet processed.
Both are idempotent: raw inputs are keyed by their SHA-256 and articles by a stable id.
"""

from __future__ import annotations

import codecs
import os
import stat
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.config import Settings
from pipeline.errors import RejectError
from pipeline.records import Extracted, RawInput
from pipeline.store import Store

if TYPE_CHECKING:
    from pipeline.runner import Runner, RunStats

# Files picked up when walking a folder; a file named explicitly is read whatever its name.
ARTICLE_SUFFIXES = (".html", ".htm", ".xhtml", ".txt", ".text", ".warc", ".warc.gz", ".html.gz")
WARC_SUFFIXES = (".warc", ".warc.gz")
SNIFF_BYTES = 4096

ProgressCallback = Callable[[int], None]


@dataclass
class IngestSummary:
    read: int = 0
    new: int = 0
    accepted: int = 0
    duplicates: int = 0
    off_topic: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    prefiltered: Counter[str] = field(default_factory=Counter)  # WARC records passed over before extraction
    runs: list[RunStats] = field(default_factory=list)  # the runner's counters, per pipeline and step

    def merge(self, other: IngestSummary) -> None:
        self.read += other.read
        self.new += other.new
        self.accepted += other.accepted
        self.duplicates += other.duplicates
        self.off_topic += other.off_topic
        self.rejected.update(other.rejected)
        self.prefiltered.update(other.prefiltered)
        self.runs.extend(other.runs)

    @classmethod
    def from_read_stats(cls, stats: RunStats) -> IngestSummary:
        read = stats.counts("read")
        return cls(
            read=read.seen,
            new=stats.counts("store-raw").counts["new"],
            rejected=Counter(read.rejected),
            prefiltered=Counter(stats.counts("prefilter").skipped),
            runs=[stats],
        )

    @classmethod
    def from_extract_stats(cls, stats: RunStats) -> IngestSummary:
        write = stats.counts("write")
        return cls(
            accepted=write.counts["accepted"],
            duplicates=write.counts["duplicates"],
            off_topic=write.counts["off_topic"],
            rejected=Counter(write.rejected),
            runs=[stats],
        )


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def iter_paths(paths: Iterable[Path]) -> Iterator[Path]:
    """Files named, and article files inside folders named (recursively, sorted, hidden ones skipped)."""
    for path in paths:
        if path.is_dir():
            found = False
            for child in sorted(path.rglob("*")):
                rel = child.relative_to(path)
                if any(part.startswith(".") for part in rel.parts):
                    continue
                if child.is_file() and child.name.lower().endswith(ARTICLE_SUFFIXES):
                    found = True
                    yield child
            if not found:
                yield path  # a folder with nothing to read is reported (by read_file), not passed over in silence
        else:
            yield path  # missing files are reported by read_file


def printable_path(path: Path | str) -> str:
    """A path as text that can be stored and printed: bytes of a name that are not UTF-8 become ``\\xNN``."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def _utf16_codec(data: bytes) -> str | None:
    """``utf-16``/``utf-32`` when the bytes carry their BOM or the NUL pattern of UTF-16 text, else None.

    Without a BOM only mostly-ASCII UTF-16 is recognised (every other byte NUL): binary with scattered NULs is not.
    """
    if data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return "utf-32"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    head = data[:400]
    if len(head) < 16:
        return None
    even, odd = head[0::2], head[1::2]
    if odd.count(0) >= 0.9 * len(odd) and not even.count(0):
        return "utf-16-le"
    if even.count(0) >= 0.9 * len(even) and not odd.count(0):
        return "utf-16-be"
    return None


def sniff_kind(data: bytes) -> str:
    """``html`` or ``text`` from the content itself; raises RejectError for binary data."""
    head = data[:SNIFF_BYTES]
    wide = _utf16_codec(head)
    if wide is not None:  # UTF-16/32 text is full of NUL bytes: judge the characters, not the bytes
        head = head[: len(head) - len(head) % 4].decode(wide, "replace").encode("utf-8", "replace")
    if b"\x00" in head:
        raise RejectError("binary", "binary content (NUL bytes), not an article")
    controls = sum(1 for b in head if b < 9 or 13 < b < 32)
    if head and controls / len(head) > 0.05:
        raise RejectError("binary", "binary content (control bytes), not an article")
    lowered = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    markers = (b"<!doctype html", b"<html", b"<head", b"<body", b"<article", b"<meta ", b"<div", b"<p>")
    if lowered.startswith(b"<") or any(marker in lowered for marker in markers):
        return "html"
    return "text"


def check_regular_file(path: Path) -> os.stat_result:
    """The file's stat; RejectError for what is missing or not a regular file (a FIFO would block for ever)."""
    try:
        info = path.stat()
    except FileNotFoundError:
        raise RejectError("missing", "no such file or folder") from None
    except OSError as exc:
        raise RejectError("unreadable", f"cannot read: {exc.strerror or exc}") from None
    if stat.S_ISDIR(info.st_mode):
        raise RejectError("not-a-file", "a folder with no article files") from None
    if not stat.S_ISREG(info.st_mode):
        kind = "a named pipe" if stat.S_ISFIFO(info.st_mode) else "a device or socket"
        raise RejectError("not-a-file", f"{kind}, not a regular file")
    return info


def read_file(path: Path, max_bytes: int) -> RawInput:
    """One file as a raw input; RejectError with a one-line reason when it cannot be used."""
    size = check_regular_file(path).st_size
    if size > max_bytes:
        raise RejectError("too-large", f"{size:,} bytes is over the {max_bytes:,}-byte limit")
    with path.open("rb") as handle:
        data = handle.read(max_bytes + 1)  # the file may have grown since stat
    if len(data) > max_bytes:
        raise RejectError("too-large", f"over the {max_bytes:,}-byte limit")
    if not data.strip():
        raise RejectError("empty", "empty file")
    if path.name.lower().endswith(".gz") or data[:2] == b"\x1f\x8b":
        data = _gunzip(data, max_bytes)
        if not data.strip():
            raise RejectError("empty", "empty file (after decompression)")
    kind = sniff_kind(data)
    return RawInput(source=printable_path(path), data=data, kind=kind, retrieved_at=_now())  # type: ignore[arg-type]


def _gunzip(data: bytes, max_bytes: int) -> bytes:
    """Every gzip member, within ``max_bytes``; a stream that stops before its end is a ``truncated`` reject."""
    parts: list[bytes] = []
    size = 0
    rest = data
    while rest:
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            part = inflater.decompress(rest, max_bytes + 1 - size)
        except zlib.error as exc:
            raise RejectError("bad-gzip", f"not valid gzip: {exc}") from exc
        size += len(part)
        if size > max_bytes:
            raise RejectError("too-large", f"decompresses to over the {max_bytes:,}-byte limit")
        if not inflater.eof:
            raise RejectError("truncated", f"gzip data is cut off (ends after {size:,} decompressed bytes)")
        parts.append(part)
        rest = inflater.unused_data.lstrip(b"\x00")  # members may follow; NUL padding may end the file
    return b"".join(parts)


def read_inputs(paths: Iterable[Path], max_bytes: int) -> Iterator[RawInput | tuple[str, RejectError]]:
    """Raw inputs from paths; rejects come back as (item, error) so the caller records them and goes on."""
    for path in iter_paths(paths):
        name = printable_path(path)
        try:
            if path.name.lower().endswith(WARC_SUFFIXES):
                check_regular_file(path)
                yield from _read_warc(path, max_bytes)
                continue
            yield read_file(path, max_bytes)
        except RejectError as exc:
            yield (name, exc)
        except OSError as exc:
            yield (name, RejectError("unreadable", f"cannot read: {exc.strerror or exc}"))
        except MemoryError:
            yield (name, RejectError("too-large", "not enough memory to read it"))


def _read_warc(path: Path, max_bytes: int) -> Iterator[RawInput | tuple[str, RejectError]]:
    from pipeline.warc import iter_warc_items

    name = printable_path(path)
    try:
        yield from iter_warc_items(path, max_bytes)
    except RejectError as exc:
        yield (name, exc)
    except Exception as exc:  # a corrupt archive must not stop the run
        yield (name, RejectError("bad-warc", f"unreadable WARC: {type(exc).__name__}: {_one_line(str(exc))}"))


def _one_line(text: str, limit: int = 300) -> str:
    """Text fit for a reject reason: one line, printable, bounded (binary from a damaged file is escaped)."""
    text = " ".join(text.split())
    text = "".join(c if c.isprintable() else f"\\x{ord(c):02x}" if ord(c) < 256 else "?" for c in text)
    return text[:limit]


def add_inputs(
    store: Store, paths: Iterable[Path], settings: Settings, *, runner: Runner | None = None
) -> IngestSummary:
    """Store raw inputs from local paths (unchanged inputs seen before are skipped): the read pipeline, here
    next to the store; its prefilter, when on, on the ``runner``'s workers (default: the configured runner)."""
    from pipeline.runner import InProcessRunner, make_runner
    from pipeline.steps.ingest import read_pipeline, read_records

    pipeline = read_pipeline(store, settings)
    on = (runner or make_runner(settings)) if pipeline.map_steps else InProcessRunner()
    stats = on.run(pipeline, read_records(paths, settings.ingest.max_bytes))
    return IngestSummary.from_read_stats(stats)


def decode_text(data: bytes) -> str:
    """Text dumps must be UTF-8 (a BOM is allowed) or UTF-16/32 (BOM or NUL pattern): a guess corrupts text."""
    wide = _utf16_codec(data)
    if wide is not None:
        try:
            return data.decode(wide).lstrip("\ufeff")
        except UnicodeDecodeError as exc:
            raise RejectError("encoding", f"not valid {wide} (at offset {exc.start})") from exc
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise RejectError("encoding", f"not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})") from exc


def extract(raw: RawInput, settings: Settings) -> Extracted:
    """Extraction for HTML, cleaning for text dumps; language filled in when the extractor left it empty."""
    from pipeline.clean import clean_text_dump
    from pipeline.extract import extract_html

    if raw.kind == "text":
        extracted = clean_text_dump(decode_text(raw.data))
    else:
        extracted = extract_html(raw.data, url=raw.url, timeout_s=settings.ingest.extract_timeout_s)
    return complete_extracted(extracted, raw.url)


def complete_extracted(extracted: Extracted, url: str | None) -> Extracted:
    """What every extracted input must have, however it was extracted: some text (else an ``empty`` reject), the
    URL it was read from when the page names none, and a language."""
    from pipeline.language import detect_language

    if not extracted.text.strip():
        raise RejectError("empty", "no text left after extraction")
    if extracted.url is None and url:
        extracted.url = url
    if not extracted.language:
        extracted.language = detect_language(extracted.text)
    return extracted


def process_pending(
    store: Store, settings: Settings, progress: ProgressCallback | None = None, *, runner: Runner | None = None
) -> IngestSummary:
    """Turn every pending raw input into an article (or a duplicate note, or a reject), on the runner.

    Extraction, cleaning, relevance and signatures run on the runner's workers; dedup and writing run here, in
    input order, so the records are the same whatever the runner and the number of workers.
    """
    from pipeline.runner import make_runner
    from pipeline.steps.ingest import extract_pipeline, pending_records

    runner = runner or make_runner(settings)
    stats = runner.run(extract_pipeline(store, settings), pending_records(store), progress)
    return IngestSummary.from_extract_stats(stats)
