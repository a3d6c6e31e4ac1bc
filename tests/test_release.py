"""Releases researchers can trust and publishers can accept: modes, private persons, licences, the Hub card,
plots, versions that mean something (configs, semantic bumps, git tags), locks and repair, gold places."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
import yaml

from pipeline.config import LicenseSettings, Settings
from pipeline.publish import PublishError, change_kind, publish, publish_lock, release_dir
from pipeline.records import Event
from pipeline.release.card import validate_card
from pipeline.release.modes import Pseudonymiser, release_record
from pipeline.run import run_all
from pipeline.store import Store
from tests.test_publish import store_one_annotation

os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

TEXT = (
    "Police in Glenville used facial recognition cameras on protesters. "
    "Mara Quell, a resident of Glenville, said officers followed her. "
    "The mayor, Tom Brand, defended the cameras. Quell said she was afraid."
)


def entity(text: str, start: int, label: str, **attrs: Any) -> dict[str, Any]:
    base = {
        "start": start,
        "end": start + len(text),
        "text": text,
        "label": label,
        "actor_type": None,
        "category": None,
        "country": None,
        "lat": None,
        "lon": None,
        "geonames_id": None,
        "admin1": None,
        "private_person": None,
        "source": "ner",
        "entity_id": None,
        "canonical": None,
        "score": None,
    }
    return {**base, **attrs}


def constructed_record() -> dict[str, Any]:
    sentence_start = TEXT.index("Mara Quell")
    sentence_end = TEXT.index("Glenville, said officers followed her.") + len("Glenville, said officers followed her.")
    ents = [
        entity("Police", 0, "ACTOR", actor_type="police", entity_id="e1", canonical="Police"),
        entity("Glenville", TEXT.index("Glenville"), "LOCATION", country="US", lat=40.1, lon=-80.2),
        entity("facial recognition", TEXT.index("facial"), "TECHNOLOGY", category="face_recognition"),
        entity("Mara Quell", sentence_start, "ACTOR", actor_type="person", private_person=True, entity_id="p1"),
        entity("Tom Brand", TEXT.index("Tom Brand"), "ACTOR", actor_type="person", private_person=False),
        entity("Quell", TEXT.index("Quell said"), "ACTOR", private_person=True, canonical="Mara Quell", entity_id="p1"),
    ]
    event = Event(
        relation="targets",
        actor_id="e1",
        actor="Police",
        object_id="p1",
        object="Mara Quell",
        object_label="ACTOR",
        start=sentence_start,
        end=sentence_end,
        evidence=TEXT[sentence_start:sentence_end],
        source="dep:test",
    ).to_dict()
    return {
        "id": "0123456789abcdef",
        "title": "Mara Quell tells of being followed",
        "description": "Quell speaks out",
        "text": TEXT,
        "entities": ents,
        "events": [event],
    }


def test_pseudonymised_text_keeps_every_offset_exact_and_hides_every_name() -> None:
    record = constructed_record()
    other = {**constructed_record(), "id": "fedcba9876543210", "entities": [], "events": [], "title": "x"}
    other["text"] = "Weeks later Mara Quell spoke again; MARA QUELL is not her real name."
    pseudo = Pseudonymiser()
    pseudo.learn(record)
    out = pseudo.apply(record)
    assert "Mara" not in json.dumps(out) and "Quell" not in json.dumps(out)
    assert out["title"] == "[PERSON-1] tells of being followed" and out["description"] == "[PERSON-1] speaks out"
    for e in out["entities"]:
        assert out["text"][e["start"] : e["end"]] == e["text"]
    private = [e for e in out["entities"] if e["private_person"]]
    assert [e["text"] for e in private] == ["[PERSON-1]", "[PERSON-1]"]
    assert all(e["canonical"] == "[PERSON-1]" and e["entity_id"] == "private:1" for e in private)
    assert "Tom Brand" in out["text"]  # public figures keep their names
    event = out["events"][0]
    assert event["object"] == "[PERSON-1]" and event["object_id"] == "private:1"
    assert out["text"][event["start"] : event["end"]] == event["evidence"]
    assert event["evidence"].startswith("[PERSON-1], a resident")
    # the same person is hidden in another article of the release that does not tag her
    again = pseudo.apply(other)
    assert again["text"] == "Weeks later [PERSON-1] spoke again; [PERSON-1] is not her real name."
    assert record["text"] == TEXT  # the input is not modified


def test_a_one_word_name_does_not_hide_the_ordinary_word() -> None:
    text = "Will, a protester, said police will keep the footage. WILL was not his name."
    record = {
        "id": "a" * 16,
        "title": None,
        "description": None,
        "text": text,
        "entities": [entity("Will", 0, "ACTOR", private_person=True)],
        "events": [],
    }
    pseudo = Pseudonymiser()
    pseudo.learn(record)
    out = pseudo.apply(record)
    assert out["text"] == "[PERSON-1], a protester, said police will keep the footage. [PERSON-1] was not his name."


def test_standoff_record_has_no_text_but_its_hash_and_original_offsets() -> None:
    record = constructed_record()
    record.update(
        url="https://news.example/a",
        source_path=None,
        authors=[],
        published="2024-01-02",
        publisher="News",
        original_publisher=None,
        language="en",
        relevance=0.9,
        relevant=True,
        also_published_at=[],
        provenance={"retrieved_at": "", "sha256": "0" * 64, "pipeline_version": "0"},
    )
    pseudo = Pseudonymiser()
    pseudo.learn(record)
    out = release_record(record, "standoff", pseudo)
    assert out["text"] is None and out["description"] is None
    assert out["events"][0]["evidence"] == "" and out["events"][0]["object"] == "[PERSON-1]"
    import hashlib

    assert out["text_sha256"] == hashlib.sha256(TEXT.encode("utf-8")).hexdigest()
    quell = [e for e in out["entities"] if e["private_person"]]
    assert [(e["start"], e["text"]) for e in quell] == [
        (TEXT.index("Mara Quell"), "[PERSON-1]"),
        (TEXT.index("Quell said"), "[PERSON-1]"),
    ]
    assert "Quell" not in json.dumps(out)


# releases of the sample corpus -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tagged_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The samples ingested and tagged once; events constructed for the articles with a private person."""
    base = tmp_path_factory.mktemp("tagged")
    s = Settings()
    s.store.path = base / "store.sqlite"
    s.publish.out = base / "releases"
    s.ingest.paths = [Path(__file__).resolve().parents[1] / "corpus" / "samples"]
    run_all(s, publish_release=False)
    with Store(s.store.path) as store:
        items = []
        for article in store.articles(relevant_only=True):
            persons = [e for e in article.entities if e.label == "ACTOR" and e.actor_type == "person"]
            actors = [e for e in article.entities if e.label == "ACTOR" and e.actor_type not in (None, "person")]
            techs = [e for e in article.entities if e.label == "TECHNOLOGY"]
            events = []
            if actors and techs:
                a, t = actors[0], techs[0]
                events.append(
                    Event(
                        relation="uses",
                        actor_id=a.entity_id or "a",
                        actor=a.canonical or a.text,
                        object_id=t.entity_id or "t",
                        object=t.canonical or t.text,
                        object_label="TECHNOLOGY",
                        start=min(a.start, t.start),
                        end=max(a.end, t.end),
                        evidence=article.text[min(a.start, t.start) : max(a.end, t.end)],
                        source="test",
                        actor_type=a.actor_type,
                        object_category=t.category,
                        country=next((e.country for e in article.entities if e.country), None),
                    )
                )
            for p in persons:
                if p.private_person and actors:
                    events.append(
                        Event(
                            relation="targets",
                            actor_id="a",
                            actor=actors[0].text,
                            object_id="p",
                            object=p.text,
                            object_label="ACTOR",
                            start=p.start,
                            end=p.end,
                            evidence=article.text[p.start : p.end],
                            source="test",
                        )
                    )
            items.append((article.id, article.entities, events))
        store.set_entities(items, store.db.execute("SELECT tagger FROM articles LIMIT 1").fetchone()[0], {})
    return s.store.path


@pytest.fixture
def store_settings(tagged_store: Path, tmp_path: Path) -> Settings:
    s = Settings()
    s.store.path = tmp_path / "store.sqlite"
    shutil.copy(tagged_store, s.store.path)
    s.publish.out = tmp_path / "releases"
    s.ingest.paths = [Path(__file__).resolve().parents[1] / "corpus" / "samples"]
    return s


def private_names(store_path: Path) -> set[str]:
    """Names flagged ``private_person`` in the records a release holds (off-topic records are never released)."""
    with Store(store_path) as store:
        return {
            name
            for article in store.articles(relevant_only=True)
            for e in article.entities
            if e.private_person
            for name in (e.text, e.canonical)
            if name
        }


def release_text(folder: Path) -> str:
    """Every release file as text (Parquet decoded), the git repository's own objects aside."""
    parts = []
    for path in sorted(folder.rglob("*")):
        if ".git" in path.relative_to(folder).parts or not path.is_file():
            continue
        if path.suffix == ".parquet":
            parts.append(json.dumps(pq.read_table(path).to_pylist(), ensure_ascii=False, default=str))
        elif path.suffix != ".png":
            parts.append(path.read_text(encoding="utf-8"))
    return "\n".join(parts)


def test_no_private_name_in_pseudonymised_or_standoff_release(store_settings: Settings) -> None:
    names = private_names(store_settings.store.path)
    assert len(names) >= 2, "the samples name private persons"
    with Store(store_settings.store.path) as store:
        first = publish(store, store_settings)
        second = publish(store, store_settings, mode="standoff")
    assert (first["mode"], second["mode"]) == ("pseudonymised", "standoff")
    text = release_text(release_dir(store_settings))
    assert "[PERSON-1]" in text
    for name in names:
        # as a word ("Li" the surname, not the "Li" of "Licences"); names of several words in any case too
        word = re.compile(rf"(?<!\w){re.escape(name)}(?!\w)", 0 if " " not in name else re.IGNORECASE)
        assert not word.search(text), f"private person {name!r} appears in the release"
    # and a full release does hold them: the grep would find a leak
    store_settings.publish.out = store_settings.publish.out.parent / "full"
    with Store(store_settings.store.path) as store:
        publish(store, store_settings, mode="full")
    assert any(name in release_text(release_dir(store_settings)) for name in names)


def test_card_passes_validation_shows_plots_and_the_who_uses_what_where_table(store_settings: Settings) -> None:
    import datasets

    with Store(store_settings.store.path) as store:
        entry = publish(store, store_settings)
    folder = release_dir(store_settings)
    card = folder / "README.md"
    assert validate_card(card) == []
    text = card.read_text(encoding="utf-8")
    header = yaml.safe_load(text.split("---\n")[1])
    assert header["license"] == "cc0-1.0"  # every sample source is the project's CC0 writing
    assert header["annotations_creators"] == ["machine-generated"]
    assert {c["config_name"] for c in header["configs"]} == {"default", "v1.0.0"}
    info = {i["config_name"]: i for i in header["dataset_info"]}
    assert info["v1.0.0"]["splits"][0]["num_examples"] == entry["splits"]["train"]
    for name in ("articles_per_month.png", "technology_categories.png", "world_map.png"):
        png = folder / "plots" / "v1.0.0" / name
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and f"plots/v1.0.0/{name}" in text
    assert "## Personal and sensitive information" in text and "## Citation" in text
    assert "| actor type | technology category | country | events |" in text
    who = entry["stats"]["train"]["who"]
    assert who and all(row[3] >= 1 for row in who)
    # countries are counted per article: no count exceeds the number of articles
    assert max(entry["stats"]["train"]["countries"].values()) <= entry["splits"]["train"]
    ds = datasets.load_dataset(str(folder), "v1.0.0", cache_dir=str(folder.parent / "cache"))
    assert ds["train"].num_rows == entry["splits"]["train"]
    # the checks can fail: a card with licence "other" and no licence link is invalid
    broken = text.replace("license: cc0-1.0", "license: other")
    (folder / "broken.md").write_text(broken, encoding="utf-8")
    assert any("license_name" in p for p in validate_card(folder / "broken.md"))


def test_full_mode_is_refused_for_sources_whose_licence_forbids_it(store_settings: Settings) -> None:
    store_settings.licenses = [
        LicenseSettings(domain="savannahherald.co.ke", license="all rights reserved"),
        LicenseSettings(path=str(Path(__file__).resolve().parents[1] / "corpus" / "samples"), license="CC0-1.0"),
    ]
    with Store(store_settings.store.path) as store:
        with pytest.raises(PublishError, match=r"savannahherald\.co\.ke \(all rights reserved, 1 records\)"):
            publish(store, store_settings, mode="full")
        entry = publish(store, store_settings, mode="full", force_full=True)
    assert entry["forced_full"] is True
    header = yaml.safe_load((release_dir(store_settings) / "README.md").read_text(encoding="utf-8").split("---\n")[1])
    assert header["license"] == "other" and header["license_link"] == "LICENSES.md"
    licences = (release_dir(store_settings) / "LICENSES.md").read_text(encoding="utf-8")
    assert "| savannahherald.co.ke | all rights reserved | no | 1 |" in licences


def git(folder: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=folder, capture_output=True, text=True, check=True).stdout


def test_versions_mean_something(store_settings: Settings, tmp_path: Path) -> None:
    import datasets

    s = store_settings
    with Store(s.store.path) as store:
        assert publish(store, s)["version"] == "1.0.0"
        # records only → patch
        with store.db:
            store.db.execute("DELETE FROM articles WHERE id = (SELECT MIN(id) FROM articles WHERE relevant = 1)")
        assert publish(store, s)["version"] == "1.0.1"
        # a new release mode → minor
        assert publish(store, s, mode="standoff")["version"] == "1.1.0"
        # back in the first mode with the same records: nothing new to publish
        again = publish(store, s)
        assert again.get("unchanged") is True and again["version"] == "1.0.1"
        # a tagger that finds a third fewer actors → minor, and the changelog says so
        rows = store.db.execute("SELECT id, entities FROM articles").fetchall()
        with store.db:
            for row in rows:
                ents = json.loads(row["entities"])
                actors = [i for i, e in enumerate(ents) if e["label"] == "ACTOR"]
                drop = set(actors[: len(actors) // 3 + 1])
                ents = [e for i, e in enumerate(ents) if i not in drop]
                store.db.execute(
                    "UPDATE articles SET entities = ?, events = '[]', "
                    "provenance = json_set(provenance, '$.spacy_pipeline_version', '9.9.9') WHERE id = ?",
                    (json.dumps(ents), row["id"]),
                )
        with pytest.raises(PublishError, match=r"too small a step.*tagger changed"):
            publish(store, s, "1.1.1", mode="standoff")
        entry = publish(store, s, mode="standoff")
    assert entry["version"] == "1.2.0" and entry["bump"] == "minor"
    folder = release_dir(s)
    changelog = (folder / "CHANGELOG.md").read_text(encoding="utf-8")
    section = changelog.split("## 1.2.0")[1].split("## 1.1.0")[0]
    assert "survnews_base@9.9.9" in section and "the tagger changed" in section
    # the drop shows, with its size (a third and one of each article's actors: at least a third of them)
    drop = re.search(r"ACTOR \d+ \(-\d+, -(\d+)%\)", section)
    assert drop is not None and int(drop.group(1)) >= 33, section
    # a schema change is major
    kind, _ = change_kind(
        {"schema": "a", "taggers": [], "rules": "r", "mode": "full"},
        {"schema": "b", "taggers": [], "rules": "r", "mode": "full"},
    )
    assert kind == "major"
    # every version: a config and a git tag
    assert set(git(folder, "tag").split()) == {"v1.0.0", "v1.0.1", "v1.1.0", "v1.2.0"}
    assert json.loads(git(folder, "show", "v1.0.0:versions.json"))[0]["version"] == "1.0.0"
    assert git(folder, "status", "--porcelain") == ""
    cache = str(tmp_path / "cache")
    first = datasets.load_dataset(str(folder), "v1.0.0", cache_dir=cache)["train"]
    newest = datasets.load_dataset(str(folder), cache_dir=cache)["train"]
    assert first.num_rows == newest.num_rows + 1
    assert newest[0]["text"] is None and first[0]["text"]


def test_first_run_release_loads_as_v1_0_0(settings: Settings, tmp_path: Path) -> None:
    import datasets

    summary = run_all(settings)
    assert summary.release is not None and summary.release["mode"] == "pseudonymised"
    ds = datasets.load_dataset(str(release_dir(settings)), "v1.0.0", cache_dir=str(tmp_path / "cache"))
    assert ds["train"].num_rows == summary.relevant


def test_a_second_publisher_waits_then_fails_in_one_line(store_settings: Settings) -> None:
    from filelock import FileLock

    folder = release_dir(store_settings)
    store_settings.publish.lock_timeout_s = 0.2
    lock = publish_lock(store_settings.store.path, folder, 1.0)
    with lock, Store(store_settings.store.path) as store, pytest.raises(PublishError, match="another publish holds"):
        publish(store, store_settings)
    held = FileLock(str(folder.parent / f".{folder.name}.lock"))
    with held, Store(store_settings.store.path) as store, pytest.raises(PublishError, match="release folder lock"):
        publish(store, store_settings)
    assert not folder.exists() or not (folder / "versions.json").exists()


@pytest.mark.slow
def test_two_publishes_at_once_make_one_clean_version(store_settings: Settings, tmp_path: Path) -> None:
    config = tmp_path / "survnews.toml"
    config.write_text(
        f'[store]\npath = "{store_settings.store.path}"\n[publish]\nout = "{store_settings.publish.out}"\n',
        encoding="utf-8",
    )
    command = [str(Path(os.sys.executable).parent / "survnews"), "publish", "--config", str(config)]
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    procs = [
        subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)
    ]
    results = [p.communicate(timeout=180) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], results
    outputs = " ".join(out for out, _ in results)
    assert "published version 1.0.0" in outputs and "unchanged since version 1.0.0" in outputs
    folder = release_dir(store_settings)
    assert not list(folder.rglob("*.tmp*")) and not list((folder / "data").glob(".partial*"))
    assert [p.name for p in (folder / "data").iterdir()] == ["1.0.0"]
    rows = pq.read_table(folder / "data" / "1.0.0").num_rows
    assert rows == len(json.loads((folder / "versions.json").read_text())[0]["train_ids"])


def test_a_publish_killed_after_its_manifest_is_completed_by_the_next(
    store_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pipeline.publish as publish_module

    with Store(store_settings.store.path) as store:
        publish(store, store_settings)
        with store.db:
            store.db.execute("DELETE FROM articles WHERE id = (SELECT MIN(id) FROM articles WHERE relevant = 1)")

        def killed(*args: Any) -> None:
            raise KeyboardInterrupt  # the process dies right after versions.json was written

        monkeypatch.setattr(publish_module, "write_derived", killed)
        with pytest.raises(KeyboardInterrupt):
            publish(store, store_settings)
        monkeypatch.undo()
        folder = release_dir(store_settings)
        assert "<!-- survnews-card-version: 1.0.0 -->" in (folder / "README.md").read_text(encoding="utf-8")
        assert publish(store, store_settings).get("unchanged") is True
    assert "<!-- survnews-card-version: 1.0.1 -->" in (folder / "README.md").read_text(encoding="utf-8")
    assert "## 1.0.1" in (folder / "CHANGELOG.md").read_text(encoding="utf-8")
    assert set(git(folder, "tag").split()) == {"v1.0.0", "v1.0.1"}
    assert git(folder, "status", "--porcelain") == ""
    assert validate_card(folder / "README.md") == []


def test_gold_places_keep_coordinates_and_the_card_states_the_overlap(store_settings: Settings) -> None:
    with Store(store_settings.store.path) as store:
        article = next(
            a for a in store.articles(relevant_only=True) if any(e.label == "LOCATION" and e.lat for e in a.entities)
        )
        place = next(e for e in article.entities if e.label == "LOCATION" and e.lat)
        result = [
            {
                "id": "r1",
                "from_name": "label",
                "to_name": "text",
                "type": "labels",
                "value": {"start": place.start, "end": place.end, "text": place.text, "labels": ["LOCATION"]},
            }
        ]
        store_one_annotation(store, article, result)
        entry = publish(store, store_settings)
    folder = release_dir(store_settings)
    gold = pq.read_table(next((folder / "data" / "1.0.0").glob("gold-*.parquet"))).to_pylist()
    [gold_place] = gold[0]["entities"]
    assert (gold_place["lat"], gold_place["lon"], gold_place["geonames_id"], gold_place["country"]) == (
        place.lat,
        place.lon,
        place.geonames_id,
        place.country,
    )
    assert entry["gold_overlap"] == {"in_train": 1}
    card = (folder / "README.md").read_text(encoding="utf-8")
    assert "1 of the 1 gold articles also appear in" in card
    header = yaml.safe_load(card.split("---\n")[1])
    assert header["annotations_creators"] == ["machine-generated", "expert-generated"]
    assert validate_card(folder / "README.md") == []


def test_a_release_folder_of_an_older_survnews_upgrades_with_a_major_version(
    store_settings: Settings, tmp_path: Path
) -> None:
    import datasets
    import pyarrow as pa

    folder = release_dir(store_settings)
    (folder / "data" / "1.0.0").mkdir(parents=True)
    old_schema = pa.schema([("id", pa.string()), ("text", pa.string()), ("also_published_at", pa.list_(pa.string()))])
    rows = [{"id": "0123456789abcdef", "text": "Police used drones.", "also_published_at": ["https://a.example/x"]}]
    pq.write_table(
        pa.Table.from_pylist(rows, schema=old_schema), folder / "data" / "1.0.0" / "train-00000-of-00001.parquet"
    )
    legacy = {
        "version": "1.0.0",
        "published_at": "2024-01-01T00:00:00Z",
        "pipeline_version": "0.0.9",
        "fingerprint": "x",
        "splits": {"train": 1},
        "entities": {"ACTOR": 1},
        "countries": {},
        "categories": {},
        "added": 1,
        "removed": 0,
        "train_ids": ["0123456789abcdef"],
    }
    (folder / "versions.json").write_text(json.dumps([legacy]), encoding="utf-8")
    with Store(store_settings.store.path) as store:
        entry = publish(store, store_settings)
    assert entry["version"] == "2.0.0" and entry["bump"] == "major"
    assert validate_card(folder / "README.md") == []
    cache = str(tmp_path / "cache")
    old = datasets.load_dataset(str(folder), "v1.0.0", cache_dir=cache)["train"]
    assert old[0]["also_published_at"] == ["https://a.example/x"]
    assert datasets.load_dataset(str(folder), cache_dir=cache)["train"].num_rows == entry["splits"]["train"]


def test_the_months_axis_has_no_gaps() -> None:
    from pipeline.release.plots import _every_month

    assert _every_month({"2023-11": 2, "2024-02": 1}) == {"2023-11": 2, "2023-12": 0, "2024-01": 0, "2024-02": 1}
    assert _every_month({}) == {}
