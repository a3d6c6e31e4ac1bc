"""SQLite store: raw inputs, articles with their entities, rejects, runs.

One file, WAL mode, every write in a transaction, so a killed run leaves a consistent store and the next
run resumes where it stopped. Keys are content-derived, so re-running a stage never duplicates a row.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

from pipeline.errors import SurvnewsError
from pipeline.records import Article, Copy, Entity, Event, Provenance, RawInput

BASE_SCHEMA = """
CREATE TABLE IF NOT EXISTS raw (
    sha256 TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    url TEXT,
    kind TEXT NOT NULL,
    data BLOB NOT NULL,
    retrieved_at TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending'   -- pending | extracted | rejected
);
CREATE TABLE IF NOT EXISTS articles (
    id TEXT PRIMARY KEY,
    raw_sha256 TEXT NOT NULL,
    url TEXT,
    source_path TEXT,
    title TEXT,
    authors TEXT NOT NULL,          -- JSON list
    published TEXT,
    publisher TEXT,
    original_publisher TEXT,
    language TEXT,
    description TEXT,
    text TEXT NOT NULL,
    text_hash TEXT NOT NULL,
    relevance REAL NOT NULL,
    relevant INTEGER NOT NULL,
    also_published_at TEXT NOT NULL DEFAULT '[]',  -- JSON list
    entities TEXT NOT NULL DEFAULT '[]',           -- JSON list of Entity dicts
    tagger TEXT,                    -- "name@version" of the pipeline that tagged it; NULL = untagged
    provenance TEXT NOT NULL        -- JSON
);
CREATE INDEX IF NOT EXISTS articles_text_hash ON articles(text_hash);
CREATE TABLE IF NOT EXISTS rejects (
    item TEXT NOT NULL,
    stage TEXT NOT NULL,
    reason TEXT NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY (item, stage)
);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    command TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    summary TEXT
);
"""

MINHASH_SCHEMA = """
CREATE TABLE IF NOT EXISTS minhashes (
    article_id TEXT PRIMARY KEY,
    num_perm INTEGER NOT NULL,
    scheme TEXT NOT NULL,
    signature BLOB NOT NULL
);
"""

CRAWL_SCHEMA = """
CREATE TABLE IF NOT EXISTS frontier (
    url TEXT PRIMARY KEY,              -- normalised (pipeline.fetch.normalize_url)
    origin TEXT NOT NULL,
    kind TEXT NOT NULL,                -- page | feed | sitemap
    source TEXT,                       -- label of the source that found it
    parent TEXT,                       -- the feed or sitemap it was listed in
    published TEXT,                    -- date hints from the feed/sitemap
    modified TEXT,
    status TEXT NOT NULL DEFAULT 'queued',   -- queued | storing | done | rejected
    attempts INTEGER NOT NULL DEFAULT 0,
    not_before REAL NOT NULL DEFAULT 0,     -- unix time of the next allowed attempt (back-off)
    run TEXT,                          -- crawl run that last queued it (feeds/sitemaps are read once a run)
    final_url TEXT,
    http_status INTEGER,
    sha256 TEXT,                       -- of the stored body (raw.sha256)
    reason TEXT,
    discovered_at TEXT NOT NULL,
    fetched_at TEXT
);
CREATE INDEX IF NOT EXISTS frontier_status ON frontier(status);
CREATE INDEX IF NOT EXISTS frontier_parent ON frontier(parent);
CREATE TABLE IF NOT EXISTS http_cache (
    url TEXT PRIMARY KEY,
    etag TEXT,
    last_modified TEXT,
    filters TEXT,                      -- the discovery filters a feed/sitemap was last read with
    fetched_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS robots (
    origin TEXT PRIMARY KEY,
    status INTEGER NOT NULL,
    body BLOB NOT NULL,
    fetched_at REAL NOT NULL
);
"""

GOLD_SCHEMA = """
CREATE TABLE IF NOT EXISTS gold_annotations (
    project_id INTEGER NOT NULL,
    annotation_id INTEGER NOT NULL,
    task_id INTEGER NOT NULL,
    article_id TEXT NOT NULL,
    annotator TEXT NOT NULL,
    created_at TEXT,
    updated_at TEXT,
    lead_time REAL,
    status TEXT NOT NULL,              -- ok | partial (some items reported and left out) | cancelled
    ground_truth INTEGER NOT NULL DEFAULT 0,
    text_sha256 TEXT NOT NULL,         -- the stored text the spans were checked against
    result TEXT NOT NULL,              -- Label Studio's result as pulled (server offsets), for audit
    entities TEXT NOT NULL,            -- JSON list of Entity dicts, code-point offsets, source 'gold'
    relations TEXT NOT NULL,           -- JSON list of {label, from: [start, end], to: [start, end]}
    doc TEXT NOT NULL,                 -- JSON {relevant, category, notes}
    problems TEXT NOT NULL,            -- JSON list of one-line reasons for what was left out
    pulled_at TEXT NOT NULL,
    PRIMARY KEY (project_id, annotation_id)
);
CREATE INDEX IF NOT EXISTS gold_annotations_article ON gold_annotations(article_id);
"""
GOLD_COLUMNS = (
    "project_id", "annotation_id", "task_id", "article_id", "annotator", "created_at", "updated_at", "lead_time",
    "status", "ground_truth", "text_sha256", "result", "entities", "relations", "doc", "problems", "pulled_at",
)  # fmt: skip

# A raw input read from a WARC file keeps its bytes there (raw.data is empty, the record is read again at
# warc_offset when needed); a crawled page keeps them in both, and where it came from.
RAW_PROVENANCE = """
ALTER TABLE raw ADD COLUMN warc_path TEXT;
ALTER TABLE raw ADD COLUMN warc_offset INTEGER;
ALTER TABLE raw ADD COLUMN fetched_url TEXT;   -- the URL asked for (raw.url is where it was found after redirects)
ALTER TABLE raw ADD COLUMN found_by TEXT;      -- the source that listed it: a feed, a sitemap, a URL list
"""

# The store's schema, owned here: migration N brings a store at user_version N-1 to N. Append, never edit a
# released migration. Migration 1 is the schema of stores made before migrations existed (user_version 0), so
# those upgrade in place.
MIGRATIONS: tuple[tuple[str, str], ...] = (
    ("base tables: raw, articles, rejects, runs", BASE_SCHEMA),
    (
        "articles.events: facts found by the events component",
        "ALTER TABLE articles ADD COLUMN events TEXT NOT NULL DEFAULT '[]';",
    ),
    # 3-5: tables other modules used to create on first use, declared here since (IF NOT EXISTS: a store where a
    # module made them already upgrades in place)
    ("minhashes: near-duplicate signatures (dedup)", MINHASH_SCHEMA),
    ("frontier, http_cache, robots: crawl state", CRAWL_SCHEMA),
    ("gold_annotations: annotations pulled from Label Studio", GOLD_SCHEMA),
    ("raw: WARC file + offset instead of the bytes, fetched URL and finding source", RAW_PROVENANCE),
)
SCHEMA_VERSION = len(MIGRATIONS)
LOG = logging.getLogger(__name__)


@dataclass(frozen=True)
class RawLocation:
    """Where a raw input's bytes are: a WARC file and the offset of its record."""

    path: str
    offset: int


class FrontierEntry(NamedTuple):
    """One URL the crawl is to fetch, as the frontier table keeps it."""

    url: str
    kind: str  # page | feed | sitemap
    source: str | None
    published: str | None
    modified: str | None
    attempts: int
    not_before: float


_FRONTIER_ENTRY = "url, kind, source, published, modified, attempts, not_before"


class StoreError(SurvnewsError):
    """The store cannot be opened or is not a survnews store. CLI exit code 2: the path is the user's to fix."""

    exit_code = 2


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError):
        return f"{exc.strerror or exc}" + (f" ({exc.filename})" if exc.filename else "")
    text = str(exc)
    if "not a database" in text or "malformed" in text:
        return f"{text} (not a survnews store, or a damaged one)"
    return text or type(exc).__name__


def _check_store_path(path: Path) -> None:
    """What SQLite would report only as "unable to open database file", said plainly (before touching anything)."""
    if path.is_dir():
        raise StoreError(f"store {path} is a folder, not a store file")
    if path.exists():
        if not os.access(path, os.R_OK):
            raise StoreError(f"store {path} cannot be read (permission denied)")
        if not os.access(path, os.W_OK) or not os.access(path.parent, os.W_OK):
            raise StoreError(f"store {path} is read-only (the file or its folder cannot be written)")
    else:
        parent = next((p for p in path.parents if p.exists()), None)
        if parent is not None and not parent.is_dir():
            raise StoreError(f"store {path} cannot be created: {parent} is a file, not a folder")


def utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Store:
    """The project's single SQLite database."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        _check_store_path(self.path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            existed = self.path.exists() and self.path.stat().st_size > 0
            self.db = sqlite3.connect(self.path, timeout=30)
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"store {self.path} cannot be created: {_reason(exc)}") from exc
        try:
            self.db.row_factory = sqlite3.Row
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self._depth = 0  # nesting of transaction()
            self.migrated: list[str] = self._migrate()
        except sqlite3.Error as exc:
            self.db.close()
            raise StoreError(f"store {self.path} cannot be opened: {_reason(exc)}") from exc
        except BaseException:
            self.db.close()
            raise
        if existed and self.migrated:  # said once: the next open has nothing left to apply
            LOG.warning("store %s upgraded in place, migrations applied: %s", self.path, "; ".join(self.migrated))

    @classmethod
    def existing(cls, path: str | Path) -> Store:
        """The store at ``path``, which must exist: for commands that read a store, a mistyped path is an error
        rather than a new empty store."""
        if not Path(path).exists():
            raise StoreError(f"store {path} does not exist (check --store or [store] path; survnews ingest makes one)")
        return cls(path)

    def _migrate(self) -> list[str]:
        """Apply the migrations this store lacks, each in its own transaction; return their descriptions."""
        version = int(self.db.execute("PRAGMA user_version").fetchone()[0])
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"store {self.path} has schema version {version}, newer than this survnews ({SCHEMA_VERSION})"
            )
        applied = []
        for number, (description, sql) in enumerate(MIGRATIONS[version:], start=version + 1):
            self.db.executescript(f"BEGIN; {sql}\nPRAGMA user_version = {number}; COMMIT;")
            applied.append(f"{number}: {description}")
        return applied

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One transaction for everything inside, however many store methods are called (they nest)."""
        if self._depth:
            self._depth += 1
            try:
                yield self.db
            finally:
                self._depth -= 1
            return
        self._depth = 1
        try:
            with self.db:
                yield self.db
        finally:
            self._depth = 0

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # raw inputs ---------------------------------------------------------------------------------
    def add_raw(
        self,
        raw: RawInput,
        *,
        warc: RawLocation | None = None,
        keep_bytes: bool = True,
        fetched_url: str | None = None,
        found_by: str | None = None,
    ) -> bool:
        """Keep a raw input; False when the same bytes were stored before.

        ``warc``: where the bytes are kept in a WARC file; with ``keep_bytes=False`` they are not copied here.
        """
        if not keep_bytes and warc is None:
            raise ValueError("a raw input without its bytes needs their WARC location")
        with self.transaction():
            cur = self.db.execute(
                "INSERT OR IGNORE INTO raw (sha256, source, url, kind, data, retrieved_at, warc_path, warc_offset, "
                "fetched_url, found_by) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (
                    raw.sha256,
                    raw.source,
                    raw.url,
                    raw.kind,
                    raw.data if keep_bytes else b"",
                    raw.retrieved_at or utc_now(),
                    None if warc is None else warc.path,
                    None if warc is None else warc.offset,
                    fetched_url,
                    found_by,
                ),
            )
        return cur.rowcount == 1

    def pending_raw_refs(self) -> Iterator[tuple[str, RawInput, RawLocation | None]]:
        """Like :meth:`pending_raw`: (sha256, input, WARC location); an input whose bytes are kept in its WARC
        file only has empty ``data`` (and then ``sha256`` is the key, not ``input.sha256``)."""
        rows = self.db.execute("SELECT sha256 FROM raw WHERE status = 'pending' ORDER BY rowid").fetchall()
        for row in rows:
            item = self.db.execute(
                "SELECT sha256, source, url, kind, data, retrieved_at, warc_path, warc_offset FROM raw "
                "WHERE sha256 = ?",
                (row["sha256"],),
            ).fetchone()
            raw = RawInput(
                source=item["source"],
                data=bytes(item["data"]),
                kind=item["kind"],
                url=item["url"],
                retrieved_at=item["retrieved_at"],
            )
            where = None if item["warc_path"] is None else RawLocation(item["warc_path"], int(item["warc_offset"]))
            yield str(item["sha256"]), raw, where

    def raw_provenance(self, sha256: str) -> dict[str, Any] | None:
        """Where a raw input came from: source, URL, fetched URL, finding source, WARC file and offset."""
        row = self.db.execute(
            "SELECT source, url, fetched_url, found_by, warc_path, warc_offset, retrieved_at FROM raw WHERE sha256 = ?",
            (sha256,),
        ).fetchone()
        return None if row is None else dict(row)

    def set_raw_location(self, sha256: str, warc: RawLocation) -> None:
        """Record where a stored raw input's bytes are also kept (a crawl's WARC)."""
        with self.transaction():
            self.db.execute(
                "UPDATE raw SET warc_path = ?, warc_offset = ? WHERE sha256 = ? AND warc_path IS NULL",
                (warc.path, warc.offset, sha256),
            )

    def pending_raw(self) -> Iterator[RawInput]:
        """Raw inputs not yet extracted or rejected, oldest first, streamed."""
        rows = self.db.execute("SELECT sha256 FROM raw WHERE status = 'pending' ORDER BY rowid").fetchall()
        for row in rows:
            item = self.db.execute(
                "SELECT source, url, kind, data, retrieved_at FROM raw WHERE sha256 = ? AND status = 'pending'",
                (row["sha256"],),
            ).fetchone()
            if item is None:
                continue  # done meanwhile by another process working on the same store
            yield RawInput(
                source=item["source"],
                data=bytes(item["data"]),
                kind=item["kind"],
                url=item["url"],
                retrieved_at=item["retrieved_at"],
            )

    def set_raw_status(self, sha256: str, status: str) -> None:
        with self.transaction():
            self.db.execute("UPDATE raw SET status = ? WHERE sha256 = ?", (status, sha256))

    def finish_raw(self, sha256: str, status: str) -> bool:
        """Set the outcome of a pending raw input; False when another process finished it first.

        Two ingests on one store then each count an item once between them, not both "accepted".
        """
        with self.transaction():
            cur = self.db.execute("UPDATE raw SET status = ? WHERE sha256 = ? AND status = 'pending'", (status, sha256))
        return cur.rowcount == 1

    def reset_raw(self) -> int:
        """Mark every raw input pending again, so a better extractor can re-run on all of them."""
        with self.transaction():
            return self.db.execute("UPDATE raw SET status = 'pending'").rowcount

    # articles -----------------------------------------------------------------------------------
    def upsert_article(self, article: Article, raw_sha256: str, text_hash: str) -> None:
        """Insert or replace an article; entities are kept if the text did not change."""
        provenance = dict(article.provenance.__dict__)
        with self.transaction():
            old = self.db.execute(
                "SELECT text_hash, entities, events, tagger, provenance FROM articles WHERE id = ?", (article.id,)
            ).fetchone()
            entities = json.dumps([e.to_dict() for e in article.entities])
            events = json.dumps([e.to_dict() for e in article.events])
            tagger = None
            if old is not None and old["text_hash"] == text_hash and not article.entities:
                entities, events, tagger = old["entities"], old["events"], old["tagger"]
                # the kept tags keep the record of which pipeline made them
                old_provenance = json.loads(old["provenance"])
                for key in ("spacy_pipeline", "spacy_pipeline_version"):
                    provenance[key] = old_provenance.get(key)
            prov = json.dumps(provenance)
            self.db.execute(
                """INSERT OR REPLACE INTO articles (id, raw_sha256, url, source_path, title, authors, published,
                publisher, original_publisher, language, description, text, text_hash, relevance, relevant,
                also_published_at, entities, events, tagger, provenance)
                VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)""",
                (
                    article.id,
                    raw_sha256,
                    article.url,
                    article.source_path,
                    article.title,
                    json.dumps(article.authors),
                    article.published,
                    article.publisher,
                    article.original_publisher,
                    article.language,
                    article.description,
                    article.text,
                    text_hash,
                    article.relevance,
                    int(article.relevant),
                    json.dumps([Copy.from_value(c).to_dict() for c in article.also_published_at]),
                    entities,
                    events,
                    tagger,
                    prov,
                ),
            )

    def add_also_published_at(self, article_id: str, where: str | Copy) -> None:
        """Note a syndicated copy (its URL or path, publisher and date) in the original's record, once."""
        copy = Copy.from_value(where)
        with self.transaction():
            row = self.db.execute("SELECT also_published_at FROM articles WHERE id = ?", (article_id,)).fetchone()
            if row is None:
                return
            places = [Copy.from_value(c) for c in json.loads(row["also_published_at"])]
            if all(c.url != copy.url for c in places):
                places.append(copy)
                self.db.execute(
                    "UPDATE articles SET also_published_at = ? WHERE id = ?",
                    (json.dumps([c.to_dict() for c in places]), article_id),
                )

    def article_by_text_hash(self, text_hash: str) -> str | None:
        row = self.db.execute("SELECT id FROM articles WHERE text_hash = ?", (text_hash,)).fetchone()
        return None if row is None else str(row["id"])

    def article_by_source_path(self, source_path: str) -> str | None:
        row = self.db.execute(
            "SELECT id FROM articles WHERE source_path = ? AND url IS NULL ORDER BY id LIMIT 1", (source_path,)
        ).fetchone()
        return None if row is None else str(row["id"])

    def get_article(self, article_id: str) -> Article | None:
        row = self.db.execute("SELECT * FROM articles WHERE id = ?", (article_id,)).fetchone()
        return None if row is None else _article_from_row(row)

    def articles(self, *, relevant_only: bool = False, batch: int = 256) -> Iterator[Article]:
        """All articles in id order, streamed in batches (never the whole table in memory)."""
        condition = "relevant = 1 AND " if relevant_only else ""
        last = ""
        while True:
            rows = self.db.execute(
                f"SELECT * FROM articles WHERE {condition}id > ? ORDER BY id LIMIT ?", (last, batch)
            ).fetchall()
            if not rows:
                return
            for row in rows:
                yield _article_from_row(row)
            last = rows[-1]["id"]

    def untagged_ids(self, tagger: str) -> list[str]:
        """Ids of articles not yet tagged by this exact pipeline name@version."""
        rows = self.db.execute(
            "SELECT id FROM articles WHERE tagger IS NULL OR tagger != ? ORDER BY id", (tagger,)
        ).fetchall()
        return [r["id"] for r in rows]

    def texts(self, ids: list[str]) -> list[tuple[str, str]]:
        marks = ",".join("?" * len(ids))
        rows = self.db.execute(f"SELECT id, text FROM articles WHERE id IN ({marks})", ids).fetchall()
        by_id = {r["id"]: r["text"] for r in rows}
        return [(i, by_id[i]) for i in ids if i in by_id]

    def set_entities(
        self, items: list[tuple[str, list[Entity], list[Event]]], tagger: str, provenance: dict[str, Any]
    ) -> None:
        """Store tags and events for a batch of articles in one transaction (one statement per article)."""
        rows = [
            (
                json.dumps([e.to_dict() for e in entities]),
                json.dumps([e.to_dict() for e in events]),
                tagger,
                json.dumps(provenance),
                article_id,
            )
            for article_id, entities, events in items
        ]
        with self.transaction():
            self.db.executemany(
                "UPDATE articles SET entities = ?, events = ?, tagger = ?, provenance = json_patch(provenance, ?) "
                "WHERE id = ?",
                rows,
            )

    def article_ids(self) -> list[str]:
        return [row["id"] for row in self.db.execute("SELECT id FROM articles ORDER BY id")]

    def count_pending_raw(self) -> int:
        return int(self.db.execute("SELECT COUNT(*) FROM raw WHERE status = 'pending'").fetchone()[0])

    def entity_label_counts(self) -> dict[str, int]:
        """Entities by label over all articles, counted in SQL (no article is loaded)."""
        rows = self.db.execute(
            "SELECT json_extract(e.value, '$.label') AS label, COUNT(*) AS n "
            "FROM articles, json_each(articles.entities) AS e GROUP BY label"
        )
        return {row["label"]: int(row["n"]) for row in rows}

    def count_articles(self, *, relevant_only: bool = False) -> int:
        sql = "SELECT COUNT(*) FROM articles" + (" WHERE relevant = 1" if relevant_only else "")
        return int(self.db.execute(sql).fetchone()[0])

    # near-duplicate signatures ------------------------------------------------------------------
    def minhash_signatures(self, num_perm: int) -> Iterator[tuple[str, str, bytes]]:
        """(article id, scheme, hash values) of every stored article's signature made with ``num_perm``."""
        rows = self.db.execute(
            "SELECT m.article_id, m.scheme, m.signature FROM minhashes m JOIN articles a ON a.id = m.article_id "
            "WHERE m.num_perm = ?",
            (num_perm,),
        )
        for article_id, scheme, blob in rows:
            yield str(article_id), str(scheme), bytes(blob)

    def delete_minhash(self, article_id: str) -> None:
        with self.transaction():
            self.db.execute("DELETE FROM minhashes WHERE article_id = ?", (article_id,))

    def delete_article(self, article_id: str) -> str | None:
        """Remove a record (a copy that turned out not to be the original); returns its raw input's SHA-256."""
        with self.transaction():
            row = self.db.execute("SELECT raw_sha256 FROM articles WHERE id = ?", (article_id,)).fetchone()
            self.db.execute("DELETE FROM articles WHERE id = ?", (article_id,))
        return None if row is None else str(row[0])

    def article_read_from(self, article_id: str) -> str | None:
        """Where the record's page was read: the fetched URL or local file of its raw input."""
        row = self.db.execute(
            "SELECT r.source FROM articles a JOIN raw r ON r.sha256 = a.raw_sha256 WHERE a.id = ?", (article_id,)
        ).fetchone()
        return None if row is None else str(row[0])

    def put_minhash(self, article_id: str, num_perm: int, scheme: str, signature: bytes) -> None:
        with self.transaction():
            self.db.execute(
                "INSERT OR REPLACE INTO minhashes (article_id, num_perm, scheme, signature) VALUES (?,?,?,?)",
                (article_id, num_perm, scheme, signature),
            )

    # rejects ------------------------------------------------------------------------------------
    def add_reject(self, item: str, stage: str, reason: str) -> None:
        with self.transaction():
            self.db.execute(
                "INSERT OR REPLACE INTO rejects (item, stage, reason, at) VALUES (?,?,?,?)",
                (item, stage, reason, utc_now()),
            )

    def clear_reject(self, item: str, stage: str) -> None:
        with self.transaction():
            self.db.execute("DELETE FROM rejects WHERE item = ? AND stage = ?", (item, stage))

    def clear_rejects(self, items: list[str], stage: str) -> None:
        """Forget the rejects of these items at ``stage`` (they went through since)."""
        with self.transaction():
            self.db.executemany("DELETE FROM rejects WHERE item = ? AND stage = ?", [(i, stage) for i in items])

    def rejects(self) -> list[dict[str, str]]:
        rows = self.db.execute("SELECT item, stage, reason, at FROM rejects ORDER BY at, item").fetchall()
        return [dict(r) for r in rows]

    # runs ---------------------------------------------------------------------------------------
    def start_run(self, command: str) -> int:
        with self.transaction():
            cur = self.db.execute("INSERT INTO runs (command, started_at) VALUES (?, ?)", (command, utc_now()))
        return int(cur.lastrowid or 0)

    def finish_run(self, run_id: int, summary: dict[str, Any]) -> None:
        with self.transaction():
            self.db.execute(
                "UPDATE runs SET finished_at = ?, summary = ? WHERE id = ?", (utc_now(), json.dumps(summary), run_id)
            )

    # crawl frontier, HTTP validators and robots.txt copies (tables of migration 4) --------------------------------

    def frontier_storing(self) -> list[tuple[str, str | None, str | None]]:
        """(url, sha256, final_url) of pages a killed crawl left between fetch and store."""
        rows = self.db.execute("SELECT url, sha256, final_url FROM frontier WHERE status = 'storing'").fetchall()
        return [(r["url"], r["sha256"], r["final_url"]) for r in rows]

    def has_raw(self, sha256: str | None) -> bool:
        return self.db.execute("SELECT 1 FROM raw WHERE sha256 = ?", (sha256,)).fetchone() is not None

    def set_frontier_status(self, url: str, status: str) -> None:
        with self.transaction():
            self.db.execute("UPDATE frontier SET status = ? WHERE url = ?", (status, url))

    def requeue_frontier_pages(self, status: str) -> int:
        """Pages in ``status`` queued again with fresh attempts; returns how many."""
        with self.transaction():
            return self.db.execute(
                "UPDATE frontier SET status = 'queued', attempts = 0, not_before = 0, reason = NULL "
                "WHERE kind = 'page' AND status = ?",
                (status,),
            ).rowcount

    def seed_frontier_discovery(self, url: str, origin: str, kind: str, source: str, run: str) -> None:
        """A feed or sitemap named as a source: queued again once per crawl run."""
        with self.transaction():
            self.db.execute(
                """INSERT INTO frontier (url, origin, kind, source, run, discovered_at) VALUES (?,?,?,?,?,?)
                ON CONFLICT(url) DO UPDATE SET status = 'queued', attempts = 0, not_before = 0, run = excluded.run,
                reason = NULL WHERE frontier.run IS NOT excluded.run""",
                (url, origin, kind, source, run, utc_now()),
            )

    def add_frontier_page(
        self,
        url: str,
        origin: str,
        source: str | None,
        *,
        parent: str | None = None,
        published: str | None = None,
        modified: str | None = None,
    ) -> bool:
        """A page to fetch, unless known already; True when it is new."""
        with self.transaction():
            cur = self.db.execute(
                """INSERT OR IGNORE INTO frontier (url, origin, kind, source, parent, published, modified,
                discovered_at) VALUES (?,?,'page',?,?,?,?,?)""",
                (url, origin, source, parent, published, modified, utc_now()),
            )
            return cur.rowcount == 1

    def add_frontier_sitemap(
        self, url: str, origin: str, source: str | None, parent: str, modified: str | None, run: str
    ) -> bool:
        """A child sitemap: queued unless already read in this run; True when it is queued now."""
        with self.transaction():
            cur = self.db.execute(
                """INSERT INTO frontier (url, origin, kind, source, parent, modified, run, discovered_at)
                VALUES (?,?,'sitemap',?,?,?,?,?) ON CONFLICT(url) DO UPDATE SET status = 'queued', attempts = 0,
                not_before = 0, run = excluded.run, reason = NULL WHERE frontier.run IS NOT excluded.run""",
                (url, origin, source, parent, modified, run, utc_now()),
            )
            return cur.rowcount == 1

    def queued_frontier(self) -> list[FrontierEntry]:
        """Everything queued, in the order it was discovered."""
        rows = self.db.execute(
            f"SELECT {_FRONTIER_ENTRY} FROM frontier WHERE status = 'queued' ORDER BY rowid"
        ).fetchall()
        return [FrontierEntry(*row) for row in rows]

    def frontier_status(self, url: str) -> str | None:
        row = self.db.execute("SELECT status FROM frontier WHERE url = ?", (url,)).fetchone()
        return None if row is None else str(row["status"])

    def requeue_child_sitemaps(self, parent: str, run: str) -> list[FrontierEntry]:
        """The child sitemaps of ``parent`` not yet read in this run, queued again; returns every queued one."""
        with self.transaction():
            self.db.execute(
                "UPDATE frontier SET status = 'queued', attempts = 0, not_before = 0, run = ?, reason = NULL "
                "WHERE parent = ? AND kind = 'sitemap' AND run IS NOT ?",
                (run, parent, run),
            )
        rows = self.db.execute(
            f"SELECT {_FRONTIER_ENTRY} FROM frontier WHERE parent = ? AND kind = 'sitemap' AND status = 'queued'",
            (parent,),
        ).fetchall()
        return [FrontierEntry(*row) for row in rows]

    def mark_frontier_storing(self, url: str, sha256: str, final_url: str) -> None:
        """Fetched, about to be stored: a restart checks whether ``sha256`` reached the raw table."""
        with self.transaction():
            self.db.execute(
                "UPDATE frontier SET status = 'storing', sha256 = ?, final_url = ? WHERE url = ?",
                (sha256, final_url, url),
            )

    def finish_frontier(
        self,
        url: str,
        status: str,
        *,
        http_status: int | None,
        fetched_at: str,
        final_url: str,
        reason: str | None = None,
        sha256: str | None = None,
    ) -> None:
        """The outcome of a fetch (the body's hash kept when none is given)."""
        with self.transaction():
            self.db.execute(
                "UPDATE frontier SET status = ?, reason = ?, http_status = ?, sha256 = COALESCE(?, sha256), "
                "final_url = ?, fetched_at = ? WHERE url = ?",
                (status, reason, http_status, sha256, final_url, fetched_at, url),
            )

    def mark_frontier_target_done(
        self,
        url: str,
        origin: str,
        source: str | None,
        sha256: str | None,
        http_status: int | None,
        fetched_at: str,
    ) -> None:
        """A redirect target stored under its source's fetch: done, never fetched on its own."""
        with self.transaction():
            self.db.execute(
                """INSERT INTO frontier (url, origin, kind, source, status, final_url, http_status, sha256,
                discovered_at, fetched_at) VALUES (?,?,'page',?,'done',?,?,?,?,?)
                ON CONFLICT(url) DO UPDATE SET status = 'done', sha256 = excluded.sha256,
                http_status = excluded.http_status WHERE frontier.status != 'done'""",
                (url, origin, source, url, http_status, sha256, utc_now(), fetched_at),
            )

    def mark_frontier_alias(self, url: str, final_url: str) -> None:
        """A page that redirects to a page stored before: done, nothing fetched or stored again."""
        with self.transaction():
            self.db.execute(
                "UPDATE frontier SET status = 'done', final_url = ?, fetched_at = ?, reason = 'redirects to a stored "
                "page' WHERE url = ?",
                (final_url, utc_now(), url),
            )

    def mark_frontier_unchanged(self, url: str, http_status: int | None, fetched_at: str) -> None:
        with self.transaction():
            self.db.execute(
                "UPDATE frontier SET status = 'done', http_status = ?, fetched_at = ?, reason = 'not modified' "
                "WHERE url = ?",
                (http_status, fetched_at, url),
            )

    def mark_frontier_retry(self, url: str, attempts: int, not_before: float, reason: str) -> None:
        with self.transaction():
            self.db.execute(
                "UPDATE frontier SET attempts = ?, not_before = ?, reason = ? WHERE url = ?",
                (attempts, not_before, reason, url),
            )

    def mark_frontier_rejected(self, url: str, reason: str, http_status: int | None) -> None:
        with self.transaction():
            self.db.execute(
                "UPDATE frontier SET status = 'rejected', reason = ?, http_status = ?, fetched_at = ? WHERE url = ?",
                (reason, http_status, utc_now(), url),
            )

    def frontier_entry(self, url: str) -> dict[str, Any] | None:
        """Status, HTTP status, reason, body hash and final URL of one crawled URL."""
        row = self.db.execute(
            "SELECT status, http_status, reason, sha256, final_url FROM frontier WHERE url = ?", (url,)
        ).fetchone()
        return None if row is None else dict(row)

    def frontier_counts(self) -> dict[str, int]:
        rows = self.db.execute("SELECT status, COUNT(*) AS n FROM frontier GROUP BY status").fetchall()
        return {r["status"]: r["n"] for r in rows}

    def set_http_validators(
        self, url: str, etag: str | None, last_modified: str | None, filters: str | None, fetched_at: str
    ) -> None:
        """ETag / Last-Modified of a fetched URL (forgotten when the response had neither)."""
        with self.transaction():
            if etag is None and last_modified is None:
                self.db.execute("DELETE FROM http_cache WHERE url = ?", (url,))
                return
            self.db.execute(
                "INSERT OR REPLACE INTO http_cache (url, etag, last_modified, filters, fetched_at) VALUES (?,?,?,?,?)",
                (url, etag, last_modified, filters, fetched_at),
            )

    def http_validators(self, url: str) -> tuple[str | None, str | None, str | None] | None:
        """(etag, last_modified, filters) kept for ``url``, or None."""
        row = self.db.execute("SELECT etag, last_modified, filters FROM http_cache WHERE url = ?", (url,)).fetchone()
        return None if row is None else (row["etag"], row["last_modified"], row["filters"])

    def robots_copy(self, origin: str) -> tuple[int, bytes, float] | None:
        """(HTTP status, body, fetched at as a Unix time) of the robots.txt kept for ``origin``, or None."""
        row = self.db.execute("SELECT status, body, fetched_at FROM robots WHERE origin = ?", (origin,)).fetchone()
        return None if row is None else (int(row["status"]), bytes(row["body"]), float(row["fetched_at"]))

    def keep_robots(self, origin: str, status: int, body: bytes, fetched_at: float) -> None:
        with self.transaction():
            self.db.execute(
                "INSERT OR REPLACE INTO robots (origin, status, body, fetched_at) VALUES (?,?,?,?)",
                (origin, status, body, fetched_at),
            )

    def raw_data(self, sha256: str) -> bytes | None:
        """The bytes of a raw input kept in the store (empty when only its WARC file has them), or None."""
        row = self.db.execute("SELECT data FROM raw WHERE sha256 = ?", (sha256,)).fetchone()
        return None if row is None else bytes(row["data"])

    # gold annotations from Label Studio (table of migration 5) ----------------------------------------------------

    def gold_versions(self, project_id: int) -> dict[int, tuple[str | None, str, str]]:
        """Annotation id → (updated_at, result JSON, text hash) of the gold kept for one Label Studio project."""
        rows = self.db.execute(
            "SELECT annotation_id, updated_at, result, text_sha256 FROM gold_annotations WHERE project_id = ?",
            (project_id,),
        )
        return {int(r["annotation_id"]): (r["updated_at"], r["result"], r["text_sha256"]) for r in rows}

    def put_gold_annotation(self, values: dict[str, Any]) -> None:
        """Insert or replace one annotation; ``values`` names every column of gold_annotations."""
        if set(values) != set(GOLD_COLUMNS):
            raise ValueError(f"gold annotation columns: expected {GOLD_COLUMNS}, got {sorted(values)}")
        with self.transaction():
            self.db.execute(
                f"INSERT OR REPLACE INTO gold_annotations ({', '.join(GOLD_COLUMNS)}) "
                f"VALUES ({', '.join('?' * len(GOLD_COLUMNS))})",
                tuple(values[name] for name in GOLD_COLUMNS),
            )

    def delete_gold_annotation(self, project_id: int, annotation_id: int) -> None:
        with self.transaction():
            self.db.execute(
                "DELETE FROM gold_annotations WHERE project_id = ? AND annotation_id = ?", (project_id, annotation_id)
            )

    def kept_gold(self, *, article_id: str | None = None, ground_truth: bool | None = None) -> list[sqlite3.Row]:
        """Annotations not cancelled (of one article, of ground truth or not), by article, oldest update first."""
        where: list[str] = ["status != 'cancelled'"]
        params: list[str | int] = []
        if article_id is not None:
            where.append("article_id = ?")
            params.append(article_id)
        if ground_truth is not None:
            where.append("ground_truth = ?")
            params.append(int(ground_truth))
        return self.db.execute(
            f"SELECT * FROM gold_annotations WHERE {' AND '.join(where)} "
            "ORDER BY article_id, COALESCE(updated_at, ''), annotation_id",
            params,
        ).fetchall()

    def count_gold(self) -> int:
        return int(self.db.execute("SELECT COUNT(*) FROM gold_annotations").fetchone()[0])


def _article_from_row(row: sqlite3.Row) -> Article:
    prov = json.loads(row["provenance"])
    return Article(
        id=row["id"],
        url=row["url"],
        source_path=row["source_path"],
        title=row["title"],
        authors=json.loads(row["authors"]),
        published=row["published"],
        publisher=row["publisher"],
        original_publisher=row["original_publisher"],
        language=row["language"],
        text=row["text"],
        relevance=float(row["relevance"]),
        relevant=bool(row["relevant"]),
        entities=[Entity.from_dict(e) for e in json.loads(row["entities"])],
        provenance=Provenance(**prov),
        also_published_at=[Copy.from_value(c) for c in json.loads(row["also_published_at"])],
        description=row["description"],
        events=[Event.from_dict(e) for e in json.loads(row["events"])],
    )
