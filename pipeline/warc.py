"""WARC in and out: read HTML responses from WARC files (e.g. CC-NEWS), and keep every crawled response as WARC.

Reading yields :class:`RawInput` items for the store. Writing keeps each request/response pair in a gzipped WARC
file (one gzip member per record, flushed at once), so a build can be audited and replayed offline; a crawl
killed mid-write leaves at most a cut-off last record, which the reader skips with a reject.
"""

from __future__ import annotations

import io
import itertools
import os
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from pipeline import __version__
from pipeline.errors import RejectError
from pipeline.fetch import HTML_TYPES, Exchange
from pipeline.records import RawInput

DEFAULT_MAX_BYTES = 10_000_000
_FILE_NUMBERS = itertools.count()
# Transfer-Encoding describes framing httpx already removed: a reader would try to de-chunk the kept body.
_FRAMING_HEADERS = {"transfer-encoding"}


# reading --------------------------------------------------------------------------------------------------------


def iter_warc_items(
    path: Path, max_bytes: int = DEFAULT_MAX_BYTES, *, offsets: list[int] | None = None
) -> Iterator[RawInput | tuple[str, RejectError]]:
    """HTML response records of a WARC or WARC.gz file as raw inputs; unusable HTML records as (uri, reject).

    Only ``response`` records with HTTP status 200 and an HTML content type are read (request, metadata, revisit
    records, redirects and other types are passed over silently). Content-Encoding is undone. A record over
    ``max_bytes`` is rejected unread past the limit. A file that is empty or not WARC raises RejectError
    (not-warc). Damage gives a (path, bad-warc) item and reading goes on at the next record that starts
    cleanly, so good records after it are kept; a file with no HTML response at all gives a (path, no-records)
    item, so every file leaves either inputs or a reason.
    ``offsets``: the file offset of each raw input's record is appended to it just before the input is yielded.
    """
    try:
        handle: IO[bytes] = path.open("rb")
    except FileNotFoundError as exc:
        raise RejectError("missing", "no such file") from exc
    with handle:
        if not _starts_like_warc(handle.read(4096)):
            handle.seek(0)
            if not handle.read(1):
                raise RejectError("not-warc", "empty file, not a WARC file")
            raise RejectError("not-warc", "not a WARC file (no WARC/ version line at the start)")
        handle.seek(0)
        seen = 0  # records of any type read so far
        yielded = 0  # items (inputs or rejects) given to the caller
        start: int | None = 0
        while start is not None:
            handle.seek(start)
            good_end = start  # where the last record read in full ends: damage lies after it
            iterator = ArchiveIterator(handle, check_digests="raise")
            try:
                # check_digests: a record cut off or damaged inside (its payload digest does not match) is not
                # passed on as if it were the whole page
                for record in iterator:
                    seen += 1
                    for item in _record_items(record, path, seen, max_bytes):
                        yielded += 1
                        if offsets is not None and isinstance(item, RawInput):
                            offsets.append(start + iterator.get_record_offset())
                        yield item
                    # (read after the record: asking for its offset reads it to its end)
                    good_end = start + iterator.get_record_offset() + iterator.get_record_length()
                start = None
            except Exception as exc:  # ArchiveLoadFailed, zlib.error, EOFError, ... from a damaged or cut-off file
                where = good_end
                yielded += 1
                yield (
                    _name(path),
                    RejectError(
                        "bad-warc", f"WARC damaged after {seen} records (near byte {where:,}): {_one_line(exc)}"
                    ),
                )
                # read on from the next record that starts cleanly: the damage costs one record, not the rest
                start = _next_record_start(handle, where + 1)
        if not yielded:
            yield (_name(path), RejectError("no-records", f"no HTML response records in {seen} WARC records"))


def _record_items(record: Any, path: Path, seen: int, max_bytes: int) -> Iterator[RawInput | tuple[str, RejectError]]:
    """The raw input (or reject) of one WARC record; nothing for records that are not HTML responses."""
    if record.rec_type != "response":
        return
    uri = record.rec_headers.get_header("WARC-Target-URI") or f"{_name(path)}#{seen}"
    if not uri.isprintable() or not uri.isascii():
        # a damaged header: say so rather than pass over (or store) a record under a garbled name
        yield (f"{_name(path)}#{seen}", RejectError("bad-record", "damaged WARC record: invalid WARC-Target-URI"))
        return
    if record.http_headers is None:
        if uri.startswith(("http://", "https://")):
            yield (uri, RejectError("bad-record", "damaged WARC record: response without readable HTTP headers"))
        return
    status = record.http_headers.get_statuscode()
    content_type = (record.http_headers.get_header("Content-Type") or "").split(";")[0].strip().lower()
    if status != "200" or content_type not in HTML_TYPES:
        return
    if record.rec_headers.get_header("WARC-Truncated"):
        yield (uri, RejectError("truncated", "WARC record was cut off when it was written"))
        return
    try:
        stream = record.content_stream()
        data = stream.read(max_bytes + 1)
        if len(data) <= max_bytes:
            stream.read()  # to the end, so the digest is checked
    except ArchiveLoadFailed as exc:
        yield (uri, RejectError("bad-record", f"damaged WARC record: {_one_line(exc)}"))
        return
    if len(data) <= max_bytes and getattr(record.raw_stream, "limit", 0) > 0:
        # the file ended inside this record (e.g. a crawl killed while writing it)
        yield (uri, RejectError("truncated", "WARC record is cut off (the file ends inside it)"))
        return
    if len(data) > max_bytes:
        yield (uri, RejectError("too-large", f"over the {max_bytes:,}-byte limit"))
        return
    yield RawInput(
        source=uri,
        data=data,
        kind="html",
        url=uri,
        retrieved_at=_iso_utc(record.rec_headers.get_header("WARC-Date")),
    )


_RESYNC_CHUNK = 1 << 20


def _next_record_start(handle: IO[bytes], offset: int) -> int | None:
    """Offset of the next record after ``offset`` that starts cleanly (a gzip member holding ``WARC/``, or a
    ``WARC/1.x`` line in a plain file); None when there is none."""
    handle.seek(0)
    gzipped = handle.read(2) == b"\x1f\x8b"
    marker = b"\x1f\x8b\x08" if gzipped else b"WARC/1."
    position = offset
    while True:
        handle.seek(position)
        chunk = handle.read(_RESYNC_CHUNK + 16)
        if len(chunk) < len(marker):
            return None
        found = chunk.find(marker)
        while found >= 0:
            candidate = position + found
            handle.seek(candidate)
            head = handle.read(4096)
            if gzipped:
                try:
                    head = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(head, 16)
                except zlib.error:
                    head = b""
            if head.startswith(b"WARC/1.") and (gzipped or candidate == 0 or _after_line_end(handle, candidate)):
                return candidate
            found = chunk.find(marker, found + 1)
        if len(chunk) <= _RESYNC_CHUNK:
            return None
        position += _RESYNC_CHUNK


def _after_line_end(handle: IO[bytes], offset: int) -> bool:
    handle.seek(max(0, offset - 1))
    return handle.read(1) == b"\n"


def _name(path: Path) -> str:
    """The file's name as storable, printable text (bytes that are not UTF-8 shown as ``\\xNN``)."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def read_warc_record(path: str | Path, offset: int, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    """The payload of the record at ``offset`` (kept there by an ingest that did not copy it into the store)."""
    file = Path(path)
    if not file.is_file():
        raise RejectError("missing", f"WARC file {path} is gone")
    with file.open("rb") as handle:
        handle.seek(offset)
        try:
            record = next(iter(ArchiveIterator(handle)), None)
            if record is None:
                raise RejectError("bad-warc", f"no WARC record at offset {offset} of {path}")
            data = record.content_stream().read(max_bytes + 1)
        except (ArchiveLoadFailed, OSError, EOFError, zlib.error) as exc:
            raise RejectError("bad-warc", f"WARC record at offset {offset} of {path}: {_one_line(exc)}") from exc
    if len(data) > max_bytes:
        raise RejectError("too-large", f"over the {max_bytes:,}-byte limit")
    return bytes(data)


def _starts_like_warc(head: bytes) -> bool:
    if head[:2] == b"\x1f\x8b":
        try:
            head = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(head, 16)
        except zlib.error:
            return False
    return head.startswith(b"WARC/")


def iter_warc_inputs(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> Iterator[RawInput]:
    """Like :func:`iter_warc_items`, raw inputs only; the first unusable record or damage raises RejectError.

    Prefer :func:`iter_warc_items` where per-record rejects can be recorded and reading should go on.
    """
    for item in iter_warc_items(path, max_bytes):
        if isinstance(item, tuple):
            uri, error = item
            if uri == _name(path) and error.code != "no-records":
                raise error
            continue  # one unusable record: skip it, read on
        yield item


def _iso_utc(value: str | None) -> str:
    if not value:
        return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    return parsed.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _one_line(exc: BaseException) -> str:
    """The error as one printable line: raw bytes a damaged file put into the message are escaped."""
    text = " ".join(str(exc).split())[:300]
    text = "".join(c if c.isprintable() else f"\\x{ord(c):02x}" if ord(c) < 256 else "?" for c in text)
    return text or type(exc).__name__


# writing --------------------------------------------------------------------------------------------------------


class WarcArchive:
    """Appends request/response pairs to ``<folder>/survnews-<UTC time>-<pid>-<n>.warc.gz``.

    A new file per process (never appending to a file another, possibly killed, process wrote) and a new one past
    ``max_file_bytes``.
    """

    def __init__(self, folder: Path, max_file_bytes: int = 1_000_000_000) -> None:
        self.folder = folder
        self.max_file_bytes = max_file_bytes
        self.records = 0
        self.files: list[Path] = []
        self._handle: IO[bytes] | None = None
        self._writer: WARCWriter | None = None
        self._stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")

    def _open(self) -> WARCWriter:
        if self._writer is not None and self._handle is not None and self._handle.tell() < self.max_file_bytes:
            return self._writer
        self.close()
        self.folder.mkdir(parents=True, exist_ok=True)
        while True:  # never append to a file an earlier (perhaps killed) writer left
            path = self.folder / f"survnews-{self._stamp}-{os.getpid()}-{next(_FILE_NUMBERS):05d}.warc.gz"
            try:
                self._handle = path.open("xb")
                break
            except FileExistsError:
                continue
        self._writer = WARCWriter(self._handle, gzip=True, warc_version="1.1")
        info = {"software": f"survnews/{__version__} (warcio)", "format": "WARC File Format 1.1"}
        self._writer.write_record(self._writer.create_warcinfo_record(path.name, info))
        self.files.append(path)
        return self._writer

    def write(self, exchange: Exchange) -> tuple[Path, int]:
        """Keep one exchange: a request record and its response record, concurrent-to each other.

        Returns the file and offset of the response record (provenance of what is stored from it).
        """
        writer = self._open()
        request_line = f"{exchange.method} {_request_target(exchange.url)} HTTP/1.1"
        request_headers = StatusAndHeaders(request_line, exchange.request_headers, is_http_request=True)
        request = writer.create_warc_record(
            exchange.url, "request", payload=io.BytesIO(b""), length=0, http_headers=request_headers
        )
        warc_headers: dict[str, Any] = {"WARC-Date": exchange.fetched_at}
        if exchange.ip:
            warc_headers["WARC-IP-Address"] = exchange.ip
        if exchange.truncated:
            warc_headers["WARC-Truncated"] = exchange.truncated
        headers = [
            (k if k.lower() not in _FRAMING_HEADERS else f"X-Survnews-Removed-{k}", v)
            for k, v in exchange.headers.multi_items()
        ]
        protocol = "HTTP/1.1" if exchange.http_version in ("", "HTTP/2") else exchange.http_version
        status_line = f"{exchange.status} {exchange.reason or 'Unknown'}"
        response = writer.create_warc_record(
            exchange.url,
            "response",
            payload=io.BytesIO(exchange.raw_body),
            length=len(exchange.raw_body),
            http_headers=StatusAndHeaders(status_line, headers, protocol=protocol),
            warc_headers_dict=warc_headers,
        )
        request.rec_headers.replace_header("WARC-Date", exchange.fetched_at)
        request.rec_headers.add_header("WARC-Concurrent-To", response.rec_headers.get_header("WARC-Record-ID"))
        assert self._handle is not None
        offset = self._handle.tell()
        writer.write_record(response)
        writer.write_record(request)
        self._handle.flush()  # a kill -9 loses at most the record being written
        self.records += 1
        return self.files[-1], offset

    def close(self) -> None:
        if self._handle is not None:
            self._handle.flush()
            os.fsync(self._handle.fileno())
            self._handle.close()
        self._handle = None
        self._writer = None


def _request_target(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
