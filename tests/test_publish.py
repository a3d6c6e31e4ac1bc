"""Publishing: a Hugging Face dataset folder that `datasets.load_dataset` reads with typed features."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from pipeline.config import Settings
from pipeline.publish import PublishError, publish, release_dir
from pipeline.records import Article
from pipeline.run import run_all
from pipeline.store import Store

os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")


def card_header(folder: Path) -> dict:
    text = (folder / "README.md").read_text(encoding="utf-8")
    assert text.startswith("---\n")
    return yaml.safe_load(text.split("---\n")[1])


def test_release_loads_with_typed_features(settings: Settings, tmp_path: Path) -> None:
    import datasets

    summary = run_all(settings, version="1.0.0")
    assert summary.release is not None and summary.release["version"] == "1.0.0"
    folder = release_dir(settings)
    header = card_header(folder)
    for key in ("pretty_name", "license", "language", "task_categories", "size_categories", "configs"):
        assert key in header
    assert "1.0.0" in (folder / "README.md").read_text(encoding="utf-8")
    assert "1.0.0" in (folder / "CHANGELOG.md").read_text(encoding="utf-8")

    ds = datasets.load_dataset(str(folder), cache_dir=str(tmp_path / "hf-cache"))
    train = ds["train"]
    assert train.num_rows == summary.relevant
    features = train.features
    entity = features["entities"]
    entity_fields = entity.feature if hasattr(entity, "feature") else entity[0]
    assert entity_fields["label"].dtype == "string"
    assert entity_fields["start"].dtype == "int32"
    assert entity_fields["lat"].dtype == "float64"
    assert features["relevance"].dtype == "float64"
    first = train[0]
    assert isinstance(first["entities"], list) and isinstance(first["entities"][0], dict)
    assert first["text"][first["entities"][0]["start"] : first["entities"][0]["end"]] == first["entities"][0]["text"]


def test_versions_are_immutable_and_older_ones_stay_loadable(settings: Settings, tmp_path: Path) -> None:
    import datasets

    run_all(settings, version="1.0.0")
    with Store(settings.store.path) as store:
        with pytest.raises(PublishError, match="already published"):
            publish(store, settings, "1.0.0")
        with pytest.raises(PublishError, match="older"):
            publish(store, settings, "0.9.0")
        with pytest.raises(PublishError, match=r"X\.Y\.Z"):
            publish(store, settings, "v2")
        # nothing changed: an automatic version is not published again
        assert publish(store, settings).get("unchanged") is True
        # change the data: drop one record, then publish 1.1.0
        dropped = next(iter(store.articles(relevant_only=True))).id
        with store.db:
            store.db.execute("DELETE FROM articles WHERE id = ?", (dropped,))
        entry = publish(store, settings, "1.1.0")
        assert entry["removed"] == 1
    folder = release_dir(settings)
    cache = str(tmp_path / "hf-cache")
    newest = datasets.load_dataset(str(folder), cache_dir=cache)["train"]
    older = datasets.load_dataset(str(folder), "v1.0.0", cache_dir=cache)["train"]
    assert older.num_rows == newest.num_rows + 1
    assert dropped in older["id"] and dropped not in newest["id"]
    configs = {c["config_name"] for c in card_header(folder)["configs"]}
    assert configs == {"default", "v1.0.0", "v1.1.0"}  # every version has its own config; default = newest


def store_one_annotation(store: Store, article: Article, result: list[dict[str, Any]]) -> None:
    """One annotator's Label Studio ``result`` for ``article``, pulled into the store as project 1's gold."""
    from pipeline.annotate.gold import GoldRow, parse_result, replace_project_gold, text_sha256

    row = GoldRow(
        project_id=1,
        annotation_id=7,
        task_id=3,
        article_id=article.id,
        annotator="ann@example.org",
        created_at="2024-01-01T00:00:00Z",
        updated_at="2024-01-01T00:00:00Z",
        lead_time=12.0,
        cancelled=False,
        ground_truth=False,
        text_sha256=text_sha256(article.text),
        result=result,
        parsed=parse_result(result, article.text),
    )
    replace_project_gold(store, 1, [row])


def test_gold_annotations_become_a_gold_split(settings: Settings, tmp_path: Path) -> None:
    import datasets

    run_all(settings, publish_release=False)
    with Store(settings.store.path) as store:
        article = next(iter(store.articles(relevant_only=True)))
        first = article.entities[0]
        result = [
            {
                "id": "r1",
                "from_name": "label",
                "to_name": "text",
                "type": "labels",
                "value": {"start": first.start, "end": first.end, "text": first.text, "labels": [first.label]},
            }
        ]
        store_one_annotation(store, article, result)
        entry = publish(store, settings, "1.0.0")
    assert entry["splits"]["gold"] == 1
    ds = datasets.load_dataset(str(release_dir(settings)), cache_dir=str(tmp_path / "hf-cache"))
    gold = ds["gold"]
    assert gold.num_rows == 1 and gold[0]["id"] == article.id
    assert [(e["start"], e["end"], e["label"], e["source"]) for e in gold[0]["entities"]] == [
        (first.start, first.end, first.label, "gold")
    ]
    assert ds["train"].features == gold.features


def test_a_version_folder_left_by_a_killed_publish_is_not_reused(settings: Settings) -> None:
    run_all(settings, version="1.0.0")
    folder = release_dir(settings)
    # a publish killed after moving its data into place but before writing the manifest
    (folder / "data" / "1.0.1").mkdir()
    with Store(settings.store.path) as store:
        with store.db:
            store.db.execute("DELETE FROM articles WHERE id = (SELECT MIN(id) FROM articles WHERE relevant = 1)")
        entry = publish(store, settings)
    assert entry["version"] == "1.0.2"
    assert not list(folder.glob("*.tmp"))
