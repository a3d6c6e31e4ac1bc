"""Publish stage: a versioned Hugging Face dataset folder (Parquet shards, dataset card, changelog).

Layout of a release folder::

    <out>/<name>/README.md             dataset card; YAML header lists one config per version
    <out>/<name>/CHANGELOG.md
    <out>/<name>/versions.json          what each version holds
    <out>/<name>/data/<X.Y.Z>/train-00000-of-00001.parquet
    <out>/<name>/data/<X.Y.Z>/gold-00000-of-00001.parquet   (when annotators' gold exists)

``datasets.load_dataset(<folder>)`` loads the newest version; ``load_dataset(<folder>, "v1.0.0")`` an older one.
A version is written once: publishing an existing or older version is refused.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from pipeline import __version__
from pipeline.config import Settings
from pipeline.errors import SurvnewsError
from pipeline.export import ARROW_SCHEMA, record_dicts, validate_record
from pipeline.store import Store, utc_now

SEMVER = re.compile(r"^(\d+)\.(\d+)\.(\d+)$")


class PublishError(SurvnewsError):
    pass


@dataclass
class SplitStats:
    records: int = 0
    entities: Counter[str] = field(default_factory=Counter)
    countries: Counter[str] = field(default_factory=Counter)
    categories: Counter[str] = field(default_factory=Counter)
    ids: list[str] = field(default_factory=list)

    def add(self, record: dict[str, Any]) -> None:
        self.records += 1
        self.ids.append(record["id"])
        for entity in record["entities"]:
            self.entities[entity["label"]] += 1
            if entity.get("country"):
                self.countries[entity["country"]] += 1
            if entity.get("category"):
                self.categories[entity["category"]] += 1


def parse_version(version: str) -> tuple[int, int, int]:
    match = SEMVER.match(version)
    if not match:
        raise PublishError(f"version {version!r} is not X.Y.Z (semantic versioning)")
    major, minor, patch = (int(g) for g in match.groups())
    return major, minor, patch


def release_dir(settings: Settings) -> Path:
    return settings.publish.out / settings.publish.name


def published_versions(folder: Path) -> list[dict[str, Any]]:
    manifest = folder / "versions.json"
    if not manifest.exists():
        return []
    versions: list[dict[str, Any]] = json.loads(manifest.read_text(encoding="utf-8"))
    return versions


def _write_shards(
    records: Iterator[dict[str, Any]], folder: Path, split: str, shard_rows: int, stats: SplitStats
) -> int:
    """Write ``split-0000i-of-0000n.parquet`` shards of at most ``shard_rows`` rows; returns the shard count.

    No records, no file: an empty split is left out of the release rather than written as an empty shard.
    """
    shard_paths: list[Path] = []
    batch: list[dict[str, Any]] = []

    def flush() -> None:
        path = folder / f"{split}-{len(shard_paths):05d}.tmp.parquet"
        pq.write_table(pa.Table.from_pylist(batch, schema=ARROW_SCHEMA), path)
        shard_paths.append(path)

    for record in records:
        stats.add(record)
        batch.append(record)
        if len(batch) >= shard_rows:
            flush()
            batch = []
    if batch:
        flush()
    total = len(shard_paths)
    for index, path in enumerate(shard_paths):
        path.rename(folder / f"{split}-{index:05d}-of-{total:05d}.parquet")
    return total


def _gold_records(store: Store) -> Iterator[dict[str, Any]]:
    """Article records whose entities are the annotators' resolved gold (none when nothing was annotated).

    Gold keeps the record schema of ``train`` so both splits share one set of features; the annotators'
    document decision (relevant or not) replaces the score-based flag.
    """
    from pipeline.annotate.gold import iter_gold

    for gold in iter_gold(store):
        article = store.get_article(gold["id"])
        if article is None:
            continue
        record = article.to_dict()
        record["entities"] = gold["entities"]
        if gold.get("relevant") is not None:
            record["relevant"] = bool(gold["relevant"])
        validate_record(record)
        yield record


def next_version(versions: list[dict[str, Any]], folder: Path | None = None) -> str:
    """The version ``survnews run`` publishes when none is given: 1.0.0, then the next patch.

    A version folder left without a manifest entry (a publish killed in between) is skipped, never reused.
    """
    taken = {parse_version(v["version"]) for v in versions}
    if folder is not None and (folder / "data").is_dir():
        taken |= {parse_version(p.name) for p in (folder / "data").iterdir() if SEMVER.match(p.name)}
    if not taken:
        return "1.0.0"
    major, minor, patch = max(taken)
    return f"{major}.{minor}.{patch + 1}"


def _write_atomically(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def publish(
    store: Store, settings: Settings, version: str | None = None, *, include_gold: bool = True
) -> dict[str, Any]:
    """Write a version of the dataset and return its manifest entry.

    With ``version=None`` the next patch version is used, and nothing is written when the records are
    identical to the latest release (the entry returned then has ``"unchanged": True``), so repeated
    runs do not pile up identical versions. An explicit version is written or refused, never overwritten.
    """
    folder = release_dir(settings)
    versions = published_versions(folder)
    latest = max(versions, key=lambda v: parse_version(v["version"])) if versions else None
    if version is not None:
        new = parse_version(version)
        if any(v["version"] == version for v in versions) or (folder / "data" / version).exists():
            raise PublishError(f"version {version} is already published in {folder}; published versions never change")
        if latest is not None and new < parse_version(latest["version"]):
            raise PublishError(f"version {version} is older than the latest published version {latest['version']}")
    folder.mkdir(parents=True, exist_ok=True)
    staging = folder / "data" / ".partial"
    if staging.exists():
        shutil.rmtree(staging)  # left by a killed publish
    staging.mkdir(parents=True)

    fingerprint = hashlib.sha256()
    train = SplitStats()
    _write_shards(
        _fingerprinted(record_dicts(store), fingerprint), staging, "train", settings.publish.shard_rows, train
    )
    splits: dict[str, SplitStats] = {"train": train}
    if include_gold:
        gold = SplitStats()
        gold_records = _fingerprinted(_gold_records(store), fingerprint)
        _write_shards(gold_records, staging, "gold", settings.publish.shard_rows, gold)
        if gold.records:
            splits["gold"] = gold
    if train.records == 0:
        shutil.rmtree(staging)
        raise PublishError("nothing to publish: the store has no relevant records (run ingest and tag first)")
    digest = fingerprint.hexdigest()
    if version is None:
        if latest is not None and latest.get("fingerprint") == digest:
            shutil.rmtree(staging)
            return {**latest, "unchanged": True}
        version = next_version(versions, folder)
    staging.rename(folder / "data" / version)

    previous_ids = set(latest.get("train_ids", [])) if latest else set()
    entry: dict[str, Any] = {
        "version": version,
        "published_at": utc_now(),
        "pipeline_version": __version__,
        "fingerprint": digest,
        "splits": {name: s.records for name, s in splits.items()},
        "entities": dict(sorted(train.entities.items())),
        "countries": dict(train.countries.most_common()),
        "categories": dict(train.categories.most_common()),
        "added": len(set(train.ids) - previous_ids),
        "removed": len(previous_ids - set(train.ids)),
        "train_ids": train.ids,
    }
    versions.append(entry)
    _write_atomically(folder / "versions.json", json.dumps(versions, indent=1))
    _write_atomically(folder / "README.md", dataset_card(settings, versions))
    _write_atomically(folder / "CHANGELOG.md", changelog(versions))
    return entry


def _fingerprinted(records: Iterator[dict[str, Any]], digest: Any) -> Iterator[dict[str, Any]]:
    for record in records:
        digest.update(json.dumps(record, sort_keys=True).encode("utf-8"))
        yield record


def size_category(n: int) -> str:
    for limit, name in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M")):
        if n < limit:
            return name
    return "1M<n<10M"


def dataset_card(settings: Settings, versions: list[dict[str, Any]]) -> str:
    ordered = sorted(versions, key=lambda v: parse_version(v["version"]), reverse=True)
    latest = ordered[0]
    lines = [
        "---",
        f"pretty_name: {json.dumps(settings.publish.pretty_name)}",
        f"license: {settings.publish.license}",
        "language:",
        "- en",
        "task_categories:",
        "- token-classification",
        "- text-classification",
        "task_ids:",
        "- named-entity-recognition",
        "size_categories:",
        f"- {size_category(latest['splits']['train'])}",
        "tags:",
        "- surveillance",
        "- news",
        "- privacy",
        "configs:",
    ]
    for index, entry in enumerate(ordered):
        name = "default" if index == 0 else f"v{entry['version']}"
        lines.append(f"- config_name: {name}")
        if index == 0:
            lines.append("  default: true")
        lines.append("  data_files:")
        for split in entry["splits"]:
            lines.append(f"  - split: {split}")
            lines.append(f"    path: data/{entry['version']}/{split}-*.parquet")
    lines += ["---", ""]
    entities = ", ".join(f"{label} {count}" for label, count in latest["entities"].items()) or "none"
    countries = ", ".join(f"{c} ({n})" for c, n in list(latest["countries"].items())[:10]) or "none"
    categories = ", ".join(f"{c} ({n})" for c, n in list(latest["categories"].items())[:10]) or "none"
    splits = ", ".join(f"`{name}` {count}" for name, count in latest["splits"].items())
    older = ", ".join(f'`"v{v["version"]}"`' for v in ordered[1:]) or "none yet"
    lines += [
        f"# {settings.publish.pretty_name}",
        "",
        f"**Version {latest['version']}** (published {latest['published_at']}, survnews pipeline "
        f"{latest['pipeline_version']}).",
        "",
        "News articles about digital surveillance (police phone tracking, facial recognition, health-code apps,",
        "spyware, license-plate readers, ...) with the actors, technologies and locations they mention, tagged",
        "with character offsets. Built by [survnews](https://github.com/) from web pages, feeds, WARC archives and",
        "copied text.",
        "",
        "## Load",
        "",
        "```python",
        "from datasets import load_dataset",
        "",
        'ds = load_dataset("path/to/this/folder")            # newest version',
        'old = load_dataset("path/to/this/folder", "v1.0.0")  # an earlier version, by config name',
        "```",
        "",
        f"Splits in this version: {splits}. Earlier versions (config names): {older}.",
        "`train` holds the pipeline's records; `gold`, when present, holds articles whose entities were corrected",
        'by annotators in Label Studio (`entities[].source == "gold"`).',
        "",
        "## Contents",
        "",
        f"- Entities by label: {entities}",
        f"- Most frequent countries: {countries}",
        f"- Most frequent technology categories: {categories}",
        "",
        "## Fields",
        "",
        "| field | type | meaning |",
        "|---|---|---|",
        "| `id` | string | stable id (from canonical URL, else normalised text) |",
        "| `url` | string? | canonical URL |",
        "| `source_path` | string? | local file the record was read from |",
        "| `title`, `description` | string? | from the page's metadata or the text dump |",
        "| `authors` | list[string] | bylines |",
        "| `published` | string? | ISO date of publication |",
        "| `publisher` | string? | site that published this copy |",
        "| `original_publisher` | string? | original outlet of a reprint |",
        "| `language` | string? | ISO 639-1 |",
        "| `text` | string | clean plain-text body; offsets index into it (Unicode code points) |",
        "| `relevance` / `relevant` | float / bool | surveillance-topic score and threshold decision |",
        "| `also_published_at` | list[string] | syndicated copies merged into this record |",
        "| `entities` | list[struct] | `start`, `end`, `text`, `label` (ACTOR, TECHNOLOGY, LOCATION), "
        "`actor_type`, `category`, `country` (ISO 3166-1 alpha-2), `lat`, `lon`, `geonames_id`, `admin1`, "
        "`private_person`, `source` |",
        "| `provenance` | struct | `retrieved_at`, `sha256` of the raw input, pipeline and spaCy pipeline versions |",
        "",
        "## How it was built",
        "",
        "Sources → fetch → extract (trafilatura plus survnews rules) → clean (rules for copied-text dumps) →",
        "dedup (exact hash and MinHash LSH; syndicated copies merged) → relevance score → tagging with a spaCy",
        "pipeline (a base NER trained by the project on openly licensed corpora, a technology taxonomy, an actor",
        "gazetteer and patterns, GeoNames-based location normalisation) → optional correction in Label Studio.",
        f"Records below the relevance threshold ({settings.relevance.threshold}) are excluded.",
        "",
        "## Limitations",
        "",
        "- Entities are machine-tagged unless in the `gold` split: expect missed and wrong spans, especially",
        "  for rare organisations and people; location coordinates are city/country centroids.",
        "- English only. Coverage follows the sources the builder chose; it is not a random sample of news.",
        "- Named private individuals may appear in article text (`private_person` marks those detected):",
        "  do not use the dataset to profile individuals.",
        "- Article text belongs to its publishers; redistribution may need their permission. Samples shipped",
        "  with survnews are fictional stories written by the project.",
        "",
        "## Changelog",
        "",
        "See `CHANGELOG.md`.",
        "",
    ]
    return "\n".join(lines)


def changelog(versions: list[dict[str, Any]]) -> str:
    lines = ["# Changelog", ""]
    for entry in sorted(versions, key=lambda v: parse_version(v["version"]), reverse=True):
        splits = ", ".join(f"{name}: {count}" for name, count in entry["splits"].items())
        entities = ", ".join(f"{k} {v}" for k, v in entry["entities"].items())
        lines += [
            f"## {entry['version']} — {entry['published_at'][:10]}",
            "",
            f"- Records: {splits} (+{entry['added']} / -{entry['removed']} against the previous version)",
            f"- Entities: {entities or 'none'}",
            f"- survnews pipeline {entry['pipeline_version']}",
            "",
        ]
    return "\n".join(lines)
