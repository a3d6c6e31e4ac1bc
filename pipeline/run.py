"""Orchestration of the stages over the store: what `survnews ingest`, `tag` and `run` do.

Each function is plain (no CLI, no printing) and takes an optional progress callback; the CLI renders
progress bars and summaries around them.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline import __version__
from pipeline.config import Settings
from pipeline.ingest import IngestSummary, add_inputs, process_pending
from pipeline.store import Store

if TYPE_CHECKING:
    from pipeline.runner import Runner, RunStats

Progress = Callable[[str, int | None], Callable[[int], None]]
"""Factory: given a stage name and total (or None), returns an ``advance(n)`` callback."""


def no_progress(stage: str, total: int | None) -> Callable[[int], None]:
    return lambda n: None


@dataclass
class TagSummary:
    tagged: int = 0
    entities: Counter[str] = field(default_factory=Counter)
    tagger: str = ""
    failed: int = 0  # articles the pipeline could not tag (each one a reject of stage "tag")
    runs: list[RunStats] = field(default_factory=list)  # the runner's counters, per step


@dataclass
class RunSummary:
    ingest: IngestSummary = field(default_factory=IngestSummary)
    tag: TagSummary = field(default_factory=TagSummary)
    records: int = 0
    relevant: int = 0
    entities_in_store: Counter[str] = field(default_factory=Counter)
    rejects: list[dict[str, str]] = field(default_factory=list)
    seconds: float = 0.0
    release: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "read": self.ingest.read,
            "new_inputs": self.ingest.new,
            "accepted": self.ingest.accepted,
            "duplicates": self.ingest.duplicates,
            "off_topic": self.ingest.off_topic,
            "rejected": dict(self.ingest.rejected),
            "tagged": self.tag.tagged,
            "tagger": self.tag.tagger,
            "records": self.records,
            "relevant_records": self.relevant,
            "entities": dict(self.entities_in_store),
            "seconds": round(self.seconds, 2),
            "release": None if self.release is None else self.release["version"],
        }


def ingest_paths(
    store: Store, paths: list[Path], settings: Settings, progress: Progress = no_progress
) -> IngestSummary:
    """Read local files/folders into the store and process every pending raw input."""
    from pipeline.runner import make_runner
    from pipeline.steps.ingest import extract_pipeline

    runner = make_runner(settings)
    runner.warm_up(extract_pipeline(store, settings))  # workers load their models while the inputs are read
    summary = add_inputs(store, paths, settings, runner=runner)
    summary.merge(process_pending(store, settings, progress("extract", store.count_pending_raw()), runner=runner))
    return summary


def tagger_key(name: str, version: str) -> str:
    """What an article's tags were made by; a change of pipeline or rules re-tags."""
    return f"{name}@{version}+survnews{__version__}"


def tag_store(
    store: Store,
    settings: Settings,
    progress: Progress = no_progress,
    *,
    retag: bool = False,
    runner: Runner | None = None,
) -> TagSummary:
    """Tag every article not yet tagged by the configured pipeline, on the runner (one spaCy per worker)."""
    from pipeline.runner import make_runner
    from pipeline.steps.tag import tag_pipeline, tag_records, tagger_identity

    model = settings.tagger.model
    identity = tagger_identity(model)
    if identity is None:  # an installed pipeline: only loading it tells its name and version
        from pipeline.tag import load_tagger, pipeline_identity

        identity = pipeline_identity(load_tagger(model))
    name, version = identity
    key = tagger_key(name, version)
    ids = store.article_ids() if retag else store.untagged_ids(key)
    summary = TagSummary(tagger=key)
    if not ids:
        return summary
    provenance = {"spacy_pipeline": name, "spacy_pipeline_version": version}
    pipeline = tag_pipeline(store, model, settings.tagger.batch_size, key, provenance)
    runner = runner or make_runner(settings)
    stats = runner.run(pipeline, tag_records(store, ids), progress("tag", len(ids)))
    written = stats.counts("write-tags")
    summary.tagged = written.passed
    summary.entities = Counter({k: v for k, v in written.counts.items() if k != "committed"})
    summary.failed = sum(written.rejected.values())  # each one a reject of stage "tag"; the others go on
    summary.runs.append(stats)
    return summary


def store_totals(store: Store, summary: RunSummary) -> None:
    summary.records = store.count_articles()
    summary.relevant = store.count_articles(relevant_only=True)
    summary.entities_in_store = Counter(store.entity_label_counts())
    summary.rejects = store.rejects()


def run_all(
    settings: Settings,
    *,
    version: str | None = None,
    publish_release: bool = True,
    progress: Progress = no_progress,
) -> RunSummary:
    """The whole pipeline on the configured inputs: ingest → tag → publish.

    Without ``version`` the next patch version is published, or nothing when the records did not change.
    """
    from pipeline.publish import publish

    started = time.perf_counter()
    summary = RunSummary()
    with Store(settings.store.path) as store:
        run_id = store.start_run("run")
        summary.ingest = ingest_paths(store, list(settings.ingest.paths), settings, progress)
        summary.tag = tag_store(store, settings, progress)
        store_totals(store, summary)
        if publish_release:
            if summary.relevant:
                summary.release = publish(store, settings, version)
            else:
                summary.notes.append("no relevant records: nothing published")
        summary.seconds = time.perf_counter() - started
        store.finish_run(run_id, summary.to_dict())
    return summary
