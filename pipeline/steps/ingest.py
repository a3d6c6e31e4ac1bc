"""Ingest steps: read → store raw, then extract → clean → relevance → signature → dedup → write."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline import __version__
from pipeline.errors import RejectError
from pipeline.records import Article, Extracted, Provenance, RawInput, article_id
from pipeline.runner.base import Pipeline
from pipeline.runner.step import Outcome, Record, Reject, Skip, Step
from pipeline.store import RawLocation, Store

EXTRACT_BATCH = 8  # pages per batch sent to a worker: small, so results stream and a kill loses little


# reading ---------------------------------------------------------------------------------------------------------


@dataclass
class ReadRecord(Record):
    raw: RawInput | None = None
    error: RejectError | None = None
    warc: RawLocation | None = None  # the record's place when read from a WARC file


class ReadStep(Step):
    """An input as read from disk: a raw input, or the reason it could not be read."""

    name = "read"
    stage = "read"

    def process(self, record: ReadRecord) -> Outcome:
        if record.error is not None:
            raise record.error
        return record


class StoreRawStep(Step):
    """Keeps new raw inputs in the store (bytes seen before are not stored twice); records read rejects."""

    name = "store-raw"
    stage = "read"

    def __init__(self, store: Store, keep_warc_bytes: bool = False) -> None:
        super().__init__()
        self.store = store
        self.keep_warc_bytes = keep_warc_bytes

    def run(self, records: Iterable[Outcome]) -> Iterator[Outcome]:
        for outcome in records:
            if isinstance(outcome, Skip):
                self.stats.skipped[outcome.code] += 1
                yield outcome
                continue
            if isinstance(outcome, Reject):
                self.store.add_reject(outcome.key, outcome.stage, outcome.reason)
                self.stats.rejected[outcome.code] += 1
                yield outcome
                continue
            yield self.guarded(outcome)

    def process(self, record: ReadRecord) -> Outcome:
        assert record.raw is not None
        keep = self.keep_warc_bytes or record.warc is None
        if self.store.add_raw(record.raw, warc=record.warc, keep_bytes=keep):
            self.stats.counts["new"] += 1
        self.store.clear_reject(record.raw.source, "read")
        return record


class PrefilterStep(Step):
    """Passes over WARC records that cannot be ours before they are stored or extracted: outside the allowed
    domains, crawled outside the date window, declared in another language, or without a single taxonomy term
    or strong context word in the raw HTML. Local files are always read (someone chose them).

    A map step: the keyword search over a page's raw HTML (~5 ms for a 170 KB news page) runs on the workers,
    not in the one process that reads the WARC files and writes the store, which would otherwise bound the rate
    of a whole Common Crawl month. A record passed over travels back without its bytes."""

    name = "prefilter"
    stage = "read"

    def __init__(self, settings: Any) -> None:
        """``settings``: :class:`pipeline.config.PrefilterSettings`."""
        super().__init__()
        self.allow = [d.lower().strip(".") for d in settings.allow_domains]
        self.deny = [d.lower().strip(".") for d in settings.deny_domains]
        self.since = settings.since.isoformat() if settings.since else None
        self.until = settings.until.isoformat() if settings.until else None
        self.languages = {lang.lower() for lang in settings.languages}
        self.keywords = bool(settings.keywords)
        self.with_context = bool(settings.keywords_context)

    def process(self, record: ReadRecord) -> Outcome:
        raw = record.raw
        if record.error is not None or raw is None or record.warc is None:
            return record
        from pipeline.fetch import host_of

        host = host_of(raw.url or raw.source)
        if self.allow and not _in_domains(host, self.allow):
            return self.skip(record, "domain")
        if self.deny and _in_domains(host, self.deny):
            return self.skip(record, "domain")
        day = (raw.retrieved_at or "")[:10]
        if day and ((self.since and day < self.since) or (self.until and day > self.until)):
            return self.skip(record, "date")
        if self.languages:
            declared = _DECLARED_LANGUAGE.search(raw.data[:4096])
            if declared and declared.group(1).decode("ascii", "ignore").lower().split("-")[0] not in self.languages:
                return self.skip(record, "language")
        if self.keywords:
            from pipeline.relevance import topic_prefilter

            if not topic_prefilter(with_context=self.with_context).search(raw.data.decode("utf-8", errors="replace")):
                return self.skip(record, "keyword")
        return record

    def skip(self, record: Record, code: str) -> Skip:
        if isinstance(record, ReadRecord):
            record.raw = None  # only counted from here on: its bytes need not travel back
        return super().skip(record, code)


_DECLARED_LANGUAGE = re.compile(rb"""<html[^>]{0,400}?\blang\s*=\s*["']?([A-Za-z]{2,3}(?:-[A-Za-z0-9]+)*)""", re.I)


def _in_domains(host: str, domains: list[str]) -> bool:
    return any(host == d or host.endswith("." + d) for d in domains)


def read_records(paths: Iterable[Path], max_bytes: int) -> Iterator[ReadRecord]:
    """Raw inputs from files and folders; WARC records with their file and offset."""
    from pipeline.ingest import WARC_SUFFIXES, iter_paths, read_inputs

    for path in iter_paths(paths):
        if path.name.lower().endswith(WARC_SUFFIXES):
            yield from _warc_records(path, max_bytes)
            continue
        for item in read_inputs([path], max_bytes):
            if isinstance(item, tuple):
                yield ReadRecord(item[0], error=item[1])
            else:
                yield ReadRecord(item.source, raw=item)


def _warc_records(path: Path, max_bytes: int) -> Iterator[ReadRecord]:
    """The WARC file's records, each with its file offset; a WARC that is no regular file (a FIFO would block for
    ever), missing, damaged or unreadable is a reject under its printable name, and the run goes on."""
    from pipeline.ingest import _one_line, check_regular_file, printable_path
    from pipeline.warc import iter_warc_items

    name = printable_path(path)
    offsets: list[int] = []
    try:
        check_regular_file(path)
        where = str(path.resolve())
        for item in iter_warc_items(path, max_bytes, offsets=offsets):
            if isinstance(item, tuple):
                yield ReadRecord(item[0], error=item[1])
            else:
                yield ReadRecord(item.source, raw=item, warc=RawLocation(where, offsets.pop()))
    except RejectError as exc:
        yield ReadRecord(name, error=exc)
    except OSError as exc:
        yield ReadRecord(name, error=RejectError("unreadable", f"cannot read: {exc.strerror or exc}"))
    except Exception as exc:  # a corrupt archive must not stop the run
        reason = f"unreadable WARC: {type(exc).__name__}: {_one_line(str(exc))}"
        yield ReadRecord(name, error=RejectError("bad-warc", reason))


def read_list_file(path: Path) -> list[Path]:
    """Paths from a list file: one a line, relative to the list's folder; blank lines and ``#`` comments skipped."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise RejectError("unreadable", f"{path}: cannot read the list: {exc}") from exc
    found = [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]
    return [p if p.is_absolute() else path.parent / p for p in map(Path, found)]


# processing ------------------------------------------------------------------------------------------------------


@dataclass
class PageRecord(Record):
    """One pending raw input on its way to becoming an article."""

    sha256: str
    kind: str
    url: str | None
    retrieved_at: str
    data: bytes | None = None  # dropped once extracted: results travel back without the page
    warc: RawLocation | None = None  # where the page is when its bytes were not copied into the store
    extracted: Extracted | None = None
    relevance: float = 0.0
    text_hash: str = ""
    signature: bytes = b""  # MinHash hash values (uint64)
    scheme: str = ""
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def source(self) -> str:
        return self.key

    @classmethod
    def from_raw(cls, raw: RawInput, warc: RawLocation | None = None, sha256: str | None = None) -> PageRecord:
        data = raw.data if raw.data or warc is None else None  # None: read it from the WARC file
        return cls(raw.source, sha256 or raw.sha256, raw.kind, raw.url, raw.retrieved_at, data, warc)


class ExtractStep(Step):
    """HTML → article text and metadata (``pipeline.extract``); text dumps pass to the clean step."""

    name = "extract"
    stage = "extract"

    def __init__(self, timeout_s: float) -> None:
        super().__init__()
        self.timeout_s = timeout_s

    def setup(self) -> None:
        # What every page needs, loaded before the first page (whose time limit is for the page alone) and, on
        # the local runner, before the worker is forked for the other workers (they share it)
        from pipeline.extract import warm_up

        warm_up()

    def process(self, record: PageRecord) -> Outcome:
        if record.kind == "text":
            return record
        from pipeline.extract import extract_html, extract_html_unlimited

        if record.data is None and record.warc is not None:  # kept in its WARC file, not in the store
            from pipeline.warc import read_warc_record

            record.data = read_warc_record(record.warc.path, record.warc.offset)
        assert record.data is not None
        if self.limited_by_runner:
            record.extracted = extract_html_unlimited(record.data, record.url)
        else:
            record.extracted = extract_html(record.data, url=record.url, timeout_s=self.timeout_s)
        record.data = None
        return record


class CleanStep(Step):
    """Text dumps → body and metadata (``pipeline.clean``); every record: non-empty text, URL and language."""

    name = "clean"
    stage = "extract"

    def process(self, record: PageRecord) -> Outcome:
        from pipeline.ingest import complete_extracted

        if record.kind == "text":
            from pipeline.clean import clean_text_dump
            from pipeline.ingest import decode_text

            assert record.data is not None
            record.extracted = clean_text_dump(decode_text(record.data))
            record.data = None
        assert record.extracted is not None
        complete_extracted(record.extracted, record.url)
        return record


class RelevanceStep(Step):
    """The surveillance relevance score (``pipeline.relevance``)."""

    name = "relevance"
    stage = "extract"

    def setup(self) -> None:
        from pipeline.relevance import relevance_score

        relevance_score("warm up")  # compiles the vocabulary once per worker

    def process(self, record: PageRecord) -> Outcome:
        from pipeline.relevance import relevance_score

        assert record.extracted is not None
        record.relevance = round(relevance_score(record.extracted.text, record.extracted.title), 4)
        return record


class SignatureStep(Step):
    """Exact-copy hash and MinHash signature of the text (``pipeline.dedup``), for the dedup step."""

    name = "signature"
    stage = "extract"

    def __init__(self, num_perm: int) -> None:
        super().__init__()
        self.num_perm = num_perm

    def process(self, record: PageRecord) -> Outcome:
        from pipeline.dedup import minhash_signature, normalized_text_hash

        assert record.extracted is not None
        record.text_hash = normalized_text_hash(record.extracted.text)
        record.signature, record.scheme = minhash_signature(record.extracted.text, self.num_perm)
        return record


class DedupStep(Step):
    """Identity and near-duplicate index for the write step, in input order (so every runner agrees).

    It gives each record its id and MinHash; the write step places it (``pipeline.dedup.place_article``: a new
    record, a syndicated copy of a stored one, or the original of a stored copy).
    """

    name = "dedup"
    stage = "extract"

    def __init__(self, store: Store, threshold: float, num_perm: int) -> None:
        super().__init__()
        self.store = store
        self.threshold = threshold
        self.num_perm = num_perm
        self.index: Any = None

    def setup(self) -> None:
        from pipeline.dedup import NearDuplicateIndex

        self.index = NearDuplicateIndex(self.store, self.threshold, self.num_perm)

    def process(self, record: PageRecord) -> Outcome:
        from pipeline.dedup import signature_from_bytes

        extracted = record.extracted
        assert extracted is not None
        new_id = article_id(extracted.url, extracted.text)
        if extracted.url is None and record.url is None:
            # a local file edited since it was ingested updates its record instead of becoming a "copy" of it
            new_id = self.store.article_by_source_path(record.source) or new_id
        record.meta["article_id"] = new_id
        record.meta["minhash"] = signature_from_bytes(record.signature, self.num_perm, record.scheme)
        return record


class WriteStep(Step):
    """Writes each outcome to the store, one transaction per record: the article (or the duplicate's place in
    its original's ``also_published_at``), its signature, the raw input's status; rejects go to the rejects table.
    """

    name = "write"
    stage = "extract"

    def __init__(self, store: Store, dedup: DedupStep, threshold: float) -> None:
        super().__init__()
        self.store = store
        self.dedup = dedup
        self.threshold = threshold

    def run(self, records: Iterable[Outcome]) -> Iterator[Outcome]:
        for outcome in records:
            if isinstance(outcome, Reject):
                self.stats.seen += 1
                record = outcome.record
                with self.store.transaction():
                    self.store.add_reject(outcome.key, outcome.stage, outcome.reason)
                    # False: a concurrent ingest finished this input first and counted it
                    counted = not isinstance(record, PageRecord) or self.store.finish_raw(record.sha256, "rejected")
                if counted:
                    self.stats.rejected[outcome.code] += 1
            elif isinstance(outcome, Skip):
                self.stats.seen += 1
                if not isinstance(outcome.record, PageRecord) or self.store.finish_raw(
                    outcome.record.sha256, "skipped"
                ):
                    self.stats.skipped[outcome.code] += 1
            else:
                outcome = self.guarded(outcome)
            yield outcome

    def process(self, record: PageRecord) -> Outcome:
        from pipeline.dedup import place_article

        with self.store.transaction():
            article = self.article(record)
            # identity (a shared canonical URL never merges distinct stories) and syndication (the original is kept)
            outcome = place_article(
                self.store, self.dedup.index, article, record, record.text_hash, record.meta["minhash"]
            )
            status = "duplicate" if outcome == "duplicate" else "extracted"
            if self.store.finish_raw(record.sha256, status):  # False: a concurrent ingest counted it
                if outcome == "accepted":
                    self.stats.counts["accepted"] += 1
                    if not article.relevant:
                        self.stats.counts["off_topic"] += 1
                else:
                    self.stats.counts["duplicates"] += 1
            self.store.clear_reject(record.source, "extract")
        return record

    def article(self, record: PageRecord) -> Article:
        extracted = record.extracted
        assert extracted is not None
        return Article(
            id=record.meta["article_id"],
            url=extracted.url,
            source_path=record.source if record.url is None else None,
            title=extracted.title,
            authors=extracted.authors,
            published=extracted.published,
            publisher=extracted.publisher,
            original_publisher=extracted.original_publisher,
            language=extracted.language,
            text=extracted.text,
            relevance=record.relevance,
            relevant=record.relevance >= self.threshold,
            entities=[],
            provenance=Provenance(retrieved_at=record.retrieved_at, sha256=record.sha256, pipeline_version=__version__),
            description=extracted.description,
        )


PREFILTER_BATCH = 16  # WARC records per batch sent to a worker for the prefilter


def read_pipeline(store: Store, settings: Any) -> Pipeline:
    """``settings``: :class:`pipeline.config.Settings`. Without the prefilter every step runs next to the store
    (reading is disk-bound); with it, reading and the prefilter are map steps for the runner's workers."""
    store_raw = StoreRawStep(store, settings.prefilter.keep_warc_bytes)
    if settings.prefilter.enabled:
        return Pipeline(
            "read", map_steps=[ReadStep(), PrefilterStep(settings.prefilter)], sink_steps=[store_raw],
            batch_size=PREFILTER_BATCH,
        )  # fmt: skip
    return Pipeline("read", map_steps=[], sink_steps=[ReadStep(), store_raw])


def extract_pipeline(store: Store, settings: Any) -> Pipeline:
    """``settings``: :class:`pipeline.config.Settings`."""
    dedup = DedupStep(store, settings.dedup.near_duplicate_threshold, settings.dedup.num_perm)
    return Pipeline(
        "ingest",
        map_steps=[
            ExtractStep(settings.ingest.extract_timeout_s),
            CleanStep(),
            RelevanceStep(),
            SignatureStep(settings.dedup.num_perm),
        ],
        sink_steps=[dedup, WriteStep(store, dedup, settings.relevance.threshold)],
        batch_size=EXTRACT_BATCH,
        item_timeout_s=settings.ingest.extract_timeout_s,
        timeout_stage="extract",
    )


def pending_records(store: Store) -> Iterator[PageRecord]:
    for sha256, raw, warc in store.pending_raw_refs():
        yield PageRecord.from_raw(raw, warc, sha256)
