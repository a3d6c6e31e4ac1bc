"""Publish stage: a versioned Hugging Face dataset folder (Parquet shards, dataset card, plots, changelog, git tags).

Layout of a release folder (itself a git repository with one tag ``vX.Y.Z`` per version)::

    <out>/<name>/README.md             dataset card; YAML header lists a config per version and ``default``
    <out>/<name>/CHANGELOG.md          why each version number, tagger, counts per label and their change
    <out>/<name>/LICENSES.md           licence and record count per source
    <out>/<name>/versions.json          what each version holds (the commit point of a publish)
    <out>/<name>/data/<X.Y.Z>/train-00000-of-00001.parquet
    <out>/<name>/data/<X.Y.Z>/gold-00000-of-00001.parquet   (when annotators' gold exists)
    <out>/<name>/plots/v<X.Y.Z>/*.png   articles per month, technology categories, world map

``datasets.load_dataset(<folder>)`` loads the newest version; ``load_dataset(<folder>, "v1.0.0")`` any version.
A version is written once: publishing an existing or older version is refused. Releases are ``pseudonymised``
unless configured otherwise (see :mod:`pipeline.release.modes`); ``full`` is refused for sources whose licence
forbids redistribution unless forced. One publisher at a time holds a lock on the store and on the folder;
a publish killed at any point is completed (card, changelog, plots, git tag) by the next one.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from pipeline import __version__
from pipeline.config import Settings
from pipeline.errors import SurvnewsError
from pipeline.export import record_dicts, validate_record
from pipeline.paths import SCHEMAS_DIR
from pipeline.release.card import (
    LICENSES_FILE,
    card_version,
    changelog,
    dataset_card,
    licenses_file,
)
from pipeline.release.licenses import license_of
from pipeline.release.modes import RELEASE_MODES, RELEASE_SCHEMA, Pseudonymiser, ReleaseMode, release_record
from pipeline.release.plots import PLOTS, plot_dir, render_plots
from pipeline.release.stats import SplitStats
from pipeline.store import Store, utc_now

SEMVER = re.compile(r"^(\d+)\.(\d+)\.(\d+)$")
SCHEMAS = SCHEMAS_DIR
# rule files whose change makes a new minor version (the record schema itself is compared by its Arrow form)
RULE_SUFFIXES = (".json", ".jsonl")
NOT_RULES = frozenset({"article.schema.json"})


class PublishError(SurvnewsError):
    pass


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
    return [_upgrade_entry(v) for v in versions]


def _upgrade_entry(entry: dict[str, Any]) -> dict[str, Any]:
    """Entries written before release modes and per-split figures existed read as ``full`` versions."""
    if "stats" in entry:
        return entry
    train = {
        "records": entry["splits"]["train"],
        "nbytes": 0,
        "entities": entry.get("entities", {}),
        "countries": entry.get("countries", {}),
        "categories": entry.get("categories", {}),
        "months": {},
        "places": [],
        "who": [],
        "sources": {},
        "taggers": {},
    }
    stats = {"train": train}
    for split, n in entry["splits"].items():
        if split != "train":
            stats[split] = {**train, "records": n, "entities": {}}
    return {**entry, "stats": stats, "mode": "full", "schema": "legacy", "rules": "legacy", "taggers": []}


# identity of a version: what decides its number ---------------------------------------------------------------


def schema_id() -> str:
    return hashlib.sha256(str(RELEASE_SCHEMA).encode("utf-8")).hexdigest()[:16]


def rules_id(schemas: Path = SCHEMAS) -> str:
    digest = hashlib.sha256()
    for path in sorted(schemas.glob("*")):
        if path.is_file() and path.name.endswith(RULE_SUFFIXES) and path.name not in NOT_RULES:
            digest.update(path.name.encode("utf-8") + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def change_kind(latest: dict[str, Any] | None, identity: dict[str, Any]) -> tuple[str, list[str]]:
    """``major`` / ``minor`` / ``patch`` (or ``first``) and the reasons, from what changed since ``latest``."""
    if latest is None:
        return "first", ["first version"]
    if latest.get("schema") != identity["schema"]:
        return "major", ["the record schema changed"]
    reasons = []
    if sorted(latest.get("taggers", [])) != sorted(identity["taggers"]):
        reasons.append(
            f"the tagger changed ({', '.join(latest.get('taggers', [])) or 'none'} → "
            f"{', '.join(identity['taggers']) or 'none'})"
        )
    if latest.get("rules") != identity["rules"]:
        reasons.append("the tagging rules in schemas/ changed")
    if latest.get("mode") != identity["mode"]:
        reasons.append(f"the release mode changed ({latest.get('mode')} → {identity['mode']})")
    if reasons:
        return "minor", reasons
    return "patch", ["records changed"]


def bumped(version: str, kind: str) -> tuple[int, int, int]:
    major, minor, patch = parse_version(version)
    if kind == "major":
        return major + 1, 0, 0
    if kind == "minor":
        return major, minor + 1, 0
    return major, minor, patch + 1


def next_version(versions: list[dict[str, Any]], folder: Path | None = None, kind: str = "patch") -> str:
    """The version to publish when none is given: 1.0.0, then the bump ``kind`` asks for.

    A version folder left without a manifest entry (a publish killed in between) is skipped, never reused.
    """
    taken = {parse_version(v["version"]) for v in versions}
    if folder is not None and (folder / "data").is_dir():
        taken |= {parse_version(p.name) for p in (folder / "data").iterdir() if SEMVER.match(p.name)}
    if not versions:
        candidate = (1, 0, 0)
    else:
        latest = max(parse_version(v["version"]) for v in versions)
        candidate = bumped(".".join(map(str, latest)), kind)
    while candidate in taken:
        candidate = (candidate[0], candidate[1], candidate[2] + 1)
    return ".".join(map(str, candidate))


# locking, atomic writes, repair -------------------------------------------------------------------------------


@contextlib.contextmanager
def publish_lock(store_path: Path, folder: Path, timeout_s: float) -> Iterator[None]:
    """Hold the store's and the release folder's publish locks; a second publisher waits, then fails in one line."""
    from filelock import FileLock, Timeout

    folder.parent.mkdir(parents=True, exist_ok=True)
    locks = [
        (Path(str(store_path) + ".publish.lock"), "store"),
        (folder.parent / f".{folder.name}.lock", "release folder"),
    ]
    held: list[FileLock] = []
    try:
        for path, what in locks:
            lock = FileLock(str(path))
            try:
                lock.acquire(timeout=timeout_s)
            except Timeout:
                raise PublishError(
                    f"another publish holds the {what} lock {path} (waited {timeout_s:g} s); "
                    "try again when it has finished"
                ) from None
            held.append(lock)
        yield
    finally:
        for lock in reversed(held):
            lock.release()


def _write_atomically(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _orphans(folder: Path, versions: list[dict[str, Any]]) -> list[str]:
    known = {v["version"] for v in versions}
    data = folder / "data"
    if not data.is_dir():
        return []
    return sorted(p.name for p in data.iterdir() if SEMVER.match(p.name) and p.name not in known)


def write_derived(folder: Path, settings: Settings, versions: list[dict[str, Any]]) -> None:
    """Card, changelog, licence file and the newest version's plots, all from the manifest."""
    newest = max(versions, key=lambda v: parse_version(v["version"]))
    plots = plot_dir(folder, newest["version"])
    if not all((plots / name).is_file() for name in PLOTS):
        render_plots(newest, plots)
    _write_atomically(folder / LICENSES_FILE, licenses_file(versions))
    _write_atomically(folder / "CHANGELOG.md", changelog(versions))
    _write_atomically(folder / "README.md", dataset_card(settings, versions, folder))


def repair_release(folder: Path, settings: Settings) -> list[str]:
    """Finish a publish that was killed after its manifest entry: card, changelog, plots, commit and tag.

    Returns what was repaired. ``versions.json`` is the commit point: everything else is derived from it.
    """
    from pipeline.release import gitrepo

    versions = published_versions(folder)
    if not versions:
        return []
    repaired: list[str] = []
    newest = max(versions, key=lambda v: parse_version(v["version"]))
    card = folder / "README.md"
    card_text = card.read_text(encoding="utf-8") if card.exists() else ""
    plots = plot_dir(folder, newest["version"])
    if card_version(card_text) != newest["version"] or not all((plots / p).is_file() for p in PLOTS):
        write_derived(folder, settings, versions)
        repaired.append(f"card, changelog and plots brought up to version {newest['version']}")
    gitrepo.ensure_repo(folder, [f"data/{v}/" for v in _orphans(folder, versions)])
    tags = gitrepo.tags(folder)
    missing = [v["version"] for v in versions if f"v{v['version']}" not in tags]
    for version in sorted(missing, key=parse_version):
        gitrepo.commit_and_tag(folder, version, f"survnews release {version}")
        repaired.append(f"committed and tagged v{version}")
    if not missing and not gitrepo.is_clean(folder, gitrepo.release_paths(folder, newest["version"])):
        # derived files rewritten for the newest version that was already tagged: commit, keep the tag
        gitrepo.commit_and_tag_existing(folder, newest["version"], f"survnews release {newest['version']}: repaired")
    return repaired


# records ------------------------------------------------------------------------------------------------------

LOCATION_ATTRIBUTES = ("country", "lat", "lon", "geonames_id", "admin1")
COPIED_ATTRIBUTES = (*LOCATION_ATTRIBUTES, "private_person", "entity_id", "canonical", "actor_type", "category")


def _gold_records(store: Store) -> Iterator[dict[str, Any]]:
    """Article records whose entities are the annotators' resolved gold (none when nothing was annotated).

    Gold keeps the record schema of ``train`` so both splits share one set of features; the annotators'
    document decision (relevant or not) replaces the score-based flag, and their relations the events.
    Attributes the annotators did not set (a place's coordinates and GeoNames id, a person's ``private_person``
    flag) come from the tagger's entity on the same span, else on the same text.
    """
    from pipeline.annotate.gold import iter_gold
    from pipeline.records import summarize

    for gold in iter_gold(store):
        article = store.get_article(gold["id"])
        if article is None:
            continue
        record = article.to_dict()
        by_span = {(e["start"], e["end"], e["label"]): e for e in record["entities"]}
        by_text = {(e["text"].casefold(), e["label"]): e for e in record["entities"]}
        entities = []
        for entity in gold["entities"]:
            machine = by_span.get((entity["start"], entity["end"], entity["label"])) or by_text.get(
                (entity["text"].casefold(), entity["label"])
            )
            if machine is not None:
                for name in COPIED_ATTRIBUTES:
                    if entity.get(name) is None and machine.get(name) is not None:
                        entity[name] = machine[name]
            entities.append(entity)
        record["entities"] = entities
        # the annotators' relations are the gold events (they refer to the gold entities' ids)
        record["events"] = list(gold.get("events") or [])
        record.update(summarize(record["entities"], record["events"]))  # the summaries follow the gold
        if gold.get("relevant") is not None:
            record["relevant"] = bool(gold["relevant"])
        validate_record(record)
        yield record


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
        table = pa.Table.from_pylist(batch, schema=RELEASE_SCHEMA)
        stats.nbytes += table.nbytes
        pq.write_table(table, path)
        shard_paths.append(path)

    for record in records:
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


def _scores(settings: Settings) -> dict[str, Any] | None:
    """The tagger's measured scores for the card: ``[publish] scores`` (the JSON of ``survnews evaluate --json``),
    else ``survnews evaluate`` on ``[publish] evaluate_gold``, cached per tagger, rules and gold."""
    path = settings.publish.scores
    if path is not None:
        try:
            scores: dict[str, Any] = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise PublishError(f"publish.scores {path}: cannot read the scores of survnews evaluate: {exc}") from exc
        return scores
    gold = settings.publish.evaluate_gold
    if gold is None:
        return None
    if not gold.is_absolute() and not gold.exists():
        gold = SCHEMAS.parent / gold  # the project's own gold, from any working folder
    if not gold.is_file():
        return None
    return _measured_scores(settings.tagger.model, gold)


def _measured_scores(model: str, gold: Path) -> dict[str, Any] | None:
    from pipeline.paths import MODELS_DIR, cache_dir

    key = hashlib.sha256()
    for part in (model, __version__, rules_id(), gold.read_bytes()):
        key.update(part if isinstance(part, bytes) else part.encode("utf-8"))
        key.update(b"\0")
    meta = MODELS_DIR / model / "meta.json"
    if meta.is_file():
        key.update(meta.read_bytes())
    cache = cache_dir("scores")
    cached = cache / f"{key.hexdigest()[:24]}.json"
    if cached.is_file():
        try:
            found: dict[str, Any] = json.loads(cached.read_text(encoding="utf-8"))
            return found
        except ValueError:
            pass
    from pipeline.evaluate import evaluate_pipeline, load_any_gold

    try:
        measured = evaluate_pipeline(model, load_any_gold(gold))
    except SurvnewsError:
        return None  # a tagger that cannot be evaluated here: the card says "not measured"
    scores = {"gold": gold.name, "model": model, **measured.to_dict()}
    try:
        cache.mkdir(parents=True, exist_ok=True)
        _write_atomically(cached, json.dumps(scores))
    except OSError:
        pass  # a read-only cache only costs the next publish the measurement
    return scores


def publish(
    store: Store,
    settings: Settings,
    version: str | None = None,
    *,
    include_gold: bool = True,
    mode: str | None = None,
    force_full: bool | None = None,
) -> dict[str, Any]:
    """Write a version of the dataset and return its manifest entry.

    With ``version=None`` the version number follows from what changed (see :func:`change_kind`), and nothing
    is written when the release would be identical to the latest one (the entry returned then has
    ``"unchanged": True``). An explicit version is written or refused, never overwritten, and must be at least
    the bump the change needs.
    """
    chosen: str = mode or settings.publish.mode
    if chosen not in RELEASE_MODES:
        raise PublishError(f"release mode {chosen!r} is not one of {', '.join(RELEASE_MODES)}")
    release_mode: ReleaseMode = chosen
    force = settings.publish.force_full if force_full is None else force_full
    folder = release_dir(settings)
    if version is not None:
        parse_version(version)
    with publish_lock(store.path, folder, settings.publish.lock_timeout_s):
        folder.mkdir(parents=True, exist_ok=True)
        repair_release(folder, settings)
        return _publish_locked(store, settings, folder, version, include_gold, release_mode, force)


def _publish_locked(
    store: Store,
    settings: Settings,
    folder: Path,
    version: str | None,
    include_gold: bool,
    mode: ReleaseMode,
    force: bool,
) -> dict[str, Any]:
    from pipeline.release import gitrepo

    versions = published_versions(folder)
    latest = max(versions, key=lambda v: parse_version(v["version"])) if versions else None
    if version is not None:
        if any(v["version"] == version for v in versions) or (folder / "data" / version).exists():
            raise PublishError(f"version {version} is already published in {folder}; published versions never change")
        if latest is not None and parse_version(version) < parse_version(latest["version"]):
            raise PublishError(f"version {version} is older than the latest published version {latest['version']}")

    # pass 1: who is a private person anywhere in this release, and may the text be redistributed
    pseudonymiser = Pseudonymiser()
    forbidden: dict[str, list[Any]] = {}
    rules = settings.licenses
    for record in record_dicts(store):
        pseudonymiser.learn(record)
        licence = license_of(record, rules)
        if not licence.redistributable:
            forbidden.setdefault(licence.source, [licence.license, 0])[1] += 1
    gold_cache: list[dict[str, Any]] = list(_gold_records(store)) if include_gold else []
    for record in gold_cache:
        pseudonymiser.learn(record)
    if mode == "full" and forbidden and not force:
        listed = ", ".join(f"{s} ({lic}, {n} records)" for s, (lic, n) in sorted(forbidden.items())[:5])
        more = f" and {len(forbidden) - 5} more" if len(forbidden) > 5 else ""
        raise PublishError(
            f"full mode would redistribute text whose licence does not allow it: {listed}{more}; publish with "
            "--mode pseudonymised or standoff, add [[licenses]] entries, or force with --force-full"
        )

    data_dir = folder / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    for stale in data_dir.glob(".partial*"):
        shutil.rmtree(stale, ignore_errors=True)  # left by a killed publish (we hold the lock)
    staging = Path(tempfile.mkdtemp(prefix=f".partial-{uuid.uuid4().hex[:8]}-", dir=data_dir))

    fingerprint = hashlib.sha256(f"{mode}\n{schema_id()}\n".encode())
    splits: dict[str, SplitStats] = {}

    def released(records: Iterator[dict[str, Any]], stats: SplitStats) -> Iterator[dict[str, Any]]:
        for record in records:
            out = release_record(record, mode, pseudonymiser)
            stats.add(out, license_of(record, rules))
            fingerprint.update(json.dumps(out, sort_keys=True, ensure_ascii=False).encode("utf-8"))
            yield out

    try:
        train = SplitStats()
        _write_shards(released(record_dicts(store), train), staging, "train", settings.publish.shard_rows, train)
        splits["train"] = train
        if gold_cache:
            gold = SplitStats()
            _write_shards(released(iter(gold_cache), gold), staging, "gold", settings.publish.shard_rows, gold)
            splits["gold"] = gold
        if train.records == 0:
            raise PublishError("nothing to publish: the store has no relevant records (run ingest and tag first)")
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    digest = fingerprint.hexdigest()
    identity = {"schema": schema_id(), "taggers": sorted(train.taggers), "rules": rules_id(), "mode": mode}
    kind, reasons = change_kind(latest, identity)
    # nothing new: the same records in the same mode as a published version (the latest of that mode)
    same_mode = [v for v in versions if v.get("mode") == mode]
    last_same = max(same_mode, key=lambda v: parse_version(v["version"])) if same_mode else None
    same = last_same is not None and last_same.get("fingerprint") == digest
    if version is None and last_same is not None and same and change_kind(last_same, identity)[0] == "patch":
        shutil.rmtree(staging)
        return {**last_same, "unchanged": True}
    required = next_version(versions, folder, kind)
    if version is None:
        version = required
    elif latest is not None and parse_version(version) < bumped(latest["version"], kind):
        shutil.rmtree(staging)
        raise PublishError(
            f"version {version} is too small a step: {'; '.join(reasons)}, so this is a {kind} change "
            f"(at least {'.'.join(map(str, bumped(latest['version'], kind)))})"
        )
    leftovers = list(staging.glob("*.tmp.parquet"))
    if leftovers:  # never let a half-written shard into a version that must never change
        shutil.rmtree(staging)
        raise PublishError(f"internal error: partial shard {leftovers[0].name} left in the staging folder")
    staging.rename(data_dir / version)

    previous_ids = set(latest.get("train_ids", [])) if latest else set()
    entry: dict[str, Any] = {
        "version": version,
        "published_at": utc_now(),
        "pipeline_version": __version__,
        "fingerprint": digest,
        "mode": mode,
        "forced_full": bool(mode == "full" and forbidden),
        **identity,
        "bump": kind,
        "reasons": reasons,
        "splits": {name: s.records for name, s in splits.items()},
        "stats": {name: s.manifest() for name, s in splits.items()},
        "entities": dict(sorted(train.entities.items())),
        "countries": dict(train.countries.most_common()),
        "categories": dict(train.categories.most_common()),
        "persons_pseudonymised": pseudonymiser.persons if mode != "full" else 0,
        "example": train.example,
        "scores": _scores(settings),
        "added": len(set(train.ids) - previous_ids),
        "removed": len(previous_ids - set(train.ids)),
        "train_ids": train.ids,
    }
    if "gold" in splits:
        entry["gold_overlap"] = {"in_train": len(set(splits["gold"].ids) & set(train.ids))}
    render_plots(entry, plot_dir(folder, version))
    versions.append(entry)
    _write_atomically(folder / "versions.json", json.dumps(versions, indent=1, ensure_ascii=False))  # commit point
    write_derived(folder, settings, versions)
    gitrepo.ensure_repo(folder, [f"data/{v}/" for v in _orphans(folder, versions)])
    gitrepo.commit_and_tag(folder, version, f"survnews release {version} ({mode}): {'; '.join(reasons)}")
    return entry
