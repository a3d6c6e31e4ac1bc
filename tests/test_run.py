"""The whole pipeline on the sample corpus: records, idempotence, exports, schema."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq

from pipeline.config import Settings
from pipeline.export import export, validate_record
from pipeline.run import run_all
from pipeline.store import Store
from tests.conftest import SAMPLES


def snapshot(store_path: Path) -> list[tuple[str, str, str]]:
    with Store(store_path) as store:
        return [(a.id, a.text, json.dumps([e.to_dict() for e in a.entities])) for a in store.articles()]


def test_run_on_samples_makes_valid_tagged_records(settings: Settings) -> None:
    summary = run_all(settings, publish_release=False)
    assert summary.ingest.accepted >= 8
    assert sum(summary.ingest.rejected.values()) == 0, summary.rejects
    assert summary.ingest.duplicates >= 1  # the syndicated copy is merged, not stored twice
    assert summary.ingest.off_topic >= 1  # the off-topic sample is kept but flagged
    assert set(summary.entities_in_store) == {"ACTOR", "TECHNOLOGY", "LOCATION"}
    with Store(settings.store.path) as store:
        articles = list(store.articles())
        assert len(articles) == summary.records
        for article in articles:
            record = article.to_dict()
            validate_record(record)
            for entity in article.entities:
                assert article.text[entity.start : entity.end] == entity.text
            assert record["provenance"]["spacy_pipeline"]
        assert any(a.also_published_at for a in articles)
        assert any(not a.relevant for a in articles)


def test_second_run_changes_nothing(settings: Settings) -> None:
    run_all(settings, publish_release=False)
    first = snapshot(settings.store.path)
    summary = run_all(settings, publish_release=False)
    assert summary.ingest.new == 0
    assert summary.tag.tagged == 0
    assert snapshot(settings.store.path) == first


def test_exports_keep_off_topic_records_out_unless_all(settings: Settings, tmp_path: Path) -> None:
    run_all(settings, publish_release=False)
    with Store(settings.store.path) as store:
        relevant = store.count_articles(relevant_only=True)
        total = store.count_articles()
        assert relevant < total
        n_jsonl = export(store, tmp_path / "out.jsonl", "jsonl")
        n_all = export(store, tmp_path / "all.parquet", "parquet", include_all=True)
    assert n_jsonl == relevant
    assert n_all == total
    lines = (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == relevant
    assert all(json.loads(line)["relevant"] for line in lines)
    table = pq.read_table(tmp_path / "all.parquet")
    assert table.num_rows == total
    assert table.schema.field("entities").type.value_type.get_field_index("country") >= 0


def test_an_edited_local_dump_updates_its_record(settings: Settings, tmp_path: Path) -> None:
    source = SAMPLES / "text" / "cleveland-gunshot-detection-expansion.txt"
    copy = tmp_path / "inputs" / source.name
    copy.parent.mkdir()
    copy.write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    settings.ingest.paths = [copy.parent]
    run_all(settings, publish_release=False)
    (before,) = snapshot(settings.store.path)
    edited = copy.read_text(encoding="utf-8").replace(
        "gunshot detection system to four", "gunshot detection network to four", 1
    )
    assert edited != copy.read_text(encoding="utf-8")
    copy.write_text(edited, encoding="utf-8")
    summary = run_all(settings, publish_release=False)
    assert summary.ingest.duplicates == 0
    (after,) = snapshot(settings.store.path)
    assert after[0] == before[0]  # same record, corrected text
    assert after[1] != before[1] and "detection network to four" in after[1]
