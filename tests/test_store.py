"""The SQLite store: idempotent writes, streaming reads, rejects."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.records import Entity, RawInput
from pipeline.store import Store
from tests.test_dedup import add


def test_raw_inputs_are_stored_once(tmp_path: Path) -> None:
    with Store(tmp_path / "s.sqlite") as store:
        raw = RawInput(source="a.html", data=b"<p>x</p>", kind="html", retrieved_at="2024-01-01T00:00:00Z")
        assert store.add_raw(raw) is True
        assert store.add_raw(raw) is False
        assert [r.sha256 for r in store.pending_raw()] == [raw.sha256]
        store.set_raw_status(raw.sha256, "extracted")
        assert list(store.pending_raw()) == []
        assert store.reset_raw() == 1


def test_articles_stream_in_id_order_across_batches(tmp_path: Path) -> None:
    with Store(tmp_path / "s.sqlite") as store:
        for i in range(7):
            add(store, f"{i:016x}", f"text number {i}")
        ids = [a.id for a in store.articles(batch=3)]
        assert ids == sorted(ids) and len(ids) == 7


def test_tags_are_kept_when_the_text_is_unchanged(tmp_path: Path) -> None:
    with Store(tmp_path / "s.sqlite") as store:
        add(store, "f" * 16, "Police in Lyon use drones.")
        entity = Entity(start=10, end=14, text="Lyon", label="LOCATION", country="FR")
        store.set_entities([("f" * 16, [entity], [])], "tagger@1", {"spacy_pipeline": "t"})
        assert store.untagged_ids("tagger@1") == []
        assert store.untagged_ids("tagger@2") == ["f" * 16]
        add(store, "f" * 16, "Police in Lyon use drones.")  # re-ingest of the same text keeps the tags
        stored = store.get_article("f" * 16)
        assert stored is not None and stored.entities == [entity]
        add(store, "f" * 16, "Police in Lyon now use drones.")  # changed text drops stale tags
        assert store.untagged_ids("tagger@1") == ["f" * 16]


def test_rejects_replace_and_clear(tmp_path: Path) -> None:
    with Store(tmp_path / "s.sqlite") as store:
        store.add_reject("x.txt", "read", "empty file")
        store.add_reject("x.txt", "read", "binary content")
        assert [r["reason"] for r in store.rejects()] == ["binary content"]
        store.clear_reject("x.txt", "read")
        assert store.rejects() == []


def test_kept_tags_keep_their_pipeline_provenance(tmp_path: Path) -> None:
    with Store(tmp_path / "s.sqlite") as store:
        add(store, "e" * 16, "Police in Lyon use drones.")
        store.set_entities([("e" * 16, [], [])], "tagger@1", {"spacy_pipeline": "p", "spacy_pipeline_version": "1"})
        add(store, "e" * 16, "Police in Lyon use drones.")  # same text stored again, e.g. by a re-crawl
        stored = store.get_article("e" * 16)
        assert stored is not None and stored.provenance.spacy_pipeline == "p"


def test_store_made_before_migrations_upgrades_in_place(tmp_path: Path) -> None:
    import sqlite3

    from pipeline.store import BASE_SCHEMA, SCHEMA_VERSION

    path = tmp_path / "old.sqlite"
    db = sqlite3.connect(path)
    db.executescript(BASE_SCHEMA)  # a store as made before numbered migrations: user_version 0, no events column
    db.close()
    with Store(path) as store:
        assert store.migrated and store.migrated[-1].startswith(f"{SCHEMA_VERSION}:")
        assert int(store.db.execute("PRAGMA user_version").fetchone()[0]) == SCHEMA_VERSION
        columns = {row[1] for row in store.db.execute("PRAGMA table_info(articles)")}
        assert "events" in columns
    with Store(path) as store:
        assert store.migrated == []  # nothing left to apply on the second open


def test_store_newer_than_code_is_refused(tmp_path: Path) -> None:
    import sqlite3

    from pipeline.store import StoreError

    path = tmp_path / "future.sqlite"
    db = sqlite3.connect(path)
    db.execute("PRAGMA user_version = 999")
    db.close()
    with pytest.raises(StoreError, match="newer than this survnews"):
        Store(path)


def test_tables_other_modules_made_on_first_use_are_migrations_now(tmp_path: Path) -> None:
    """A store where dedup, crawl and annotate created their tables themselves (IF NOT EXISTS) upgrades in place."""
    import sqlite3

    from pipeline.store import BASE_SCHEMA, CRAWL_SCHEMA, MINHASH_SCHEMA, SCHEMA_VERSION

    path = tmp_path / "old.sqlite"
    db = sqlite3.connect(path)
    db.executescript(BASE_SCHEMA + MINHASH_SCHEMA + CRAWL_SCHEMA)
    db.execute("INSERT INTO robots (origin, status, body, fetched_at) VALUES ('http://a', 200, x'', 0)")
    db.execute("PRAGMA user_version = 2")
    db.commit()
    db.close()
    with Store(path) as store:
        assert [m.split(":")[0] for m in store.migrated] == [str(n) for n in range(3, SCHEMA_VERSION + 1)]
        tables = {r[0] for r in store.db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert {"minhashes", "frontier", "http_cache", "robots", "gold_annotations"} <= tables
        assert store.db.execute("SELECT COUNT(*) FROM robots").fetchone()[0] == 1  # kept


def test_a_new_store_has_every_table_before_any_stage_runs(tmp_path: Path) -> None:
    with Store(tmp_path / "new.sqlite") as store:
        tables = {r[0] for r in store.db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"raw", "articles", "rejects", "runs", "minhashes", "frontier", "gold_annotations"} <= tables
