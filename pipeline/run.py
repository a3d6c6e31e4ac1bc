"""Orchestration of the stages over the store: what `survnews ingest`, `tag` and `run` do.

Each function is plain (no CLI, no printing) and takes an optional progress callback; the CLI renders
progress bars and summaries around them.
"""

from __future__ import annotations

import time
from collections import Counter, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline import __version__
from pipeline.config import Settings
from pipeline.ingest import IngestSummary, add_inputs, process_pending
from pipeline.records import Entity, Event
from pipeline.store import Store

Progress = Callable[[str, int | None], Callable[[int], None]]
"""Factory: given a stage name and total (or None), returns an ``advance(n)`` callback."""

TAG_COMMIT_ROWS = 64  # tags are committed in small batches so a killed run keeps its work


def no_progress(stage: str, total: int | None) -> Callable[[int], None]:
    return lambda n: None


@dataclass
class TagSummary:
    tagged: int = 0
    entities: Counter[str] = field(default_factory=Counter)
    tagger: str = ""
    failed: int = 0  # articles the pipeline could not tag (each one a reject of stage "tag")


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
    summary = add_inputs(store, paths, settings)
    summary.merge(process_pending(store, settings, progress("extract", store.count_pending_raw())))
    return summary


def tagger_key(name: str, version: str) -> str:
    """What an article's tags were made by; a change of pipeline or rules re-tags."""
    return f"{name}@{version}+survnews{__version__}"


def tag_store(store: Store, settings: Settings, progress: Progress = no_progress, *, retag: bool = False) -> TagSummary:
    """Tag every article not yet tagged by the configured pipeline, streaming texts through ``nlp.pipe``."""
    from pipeline.tag import TagFailure, load_tagger, pipeline_identity, tag_texts_with_events

    nlp = load_tagger(settings.tagger.model)
    name, version = pipeline_identity(nlp)
    key = tagger_key(name, version)
    ids = store.article_ids() if retag else (store.untagged_ids(key))
    summary = TagSummary(tagger=key)
    advance = progress("tag", len(ids))
    queue: deque[str] = deque()

    def texts() -> Iterator[str]:
        for start in range(0, len(ids), TAG_COMMIT_ROWS):
            for article_id, text in store.texts(ids[start : start + TAG_COMMIT_ROWS]):
                queue.append(article_id)
                yield text

    batch: list[tuple[str, list[Entity], list[Event]]] = []
    provenance = {"spacy_pipeline": name, "spacy_pipeline_version": version}
    tagged = tag_texts_with_events(
        nlp, texts(), batch_size=settings.tagger.batch_size, n_process=settings.tagger.n_process
    )
    for result in tagged:
        article_id = queue.popleft()
        if isinstance(result, TagFailure):  # recorded and left untagged; the other articles go on
            store.add_reject(article_id, "tag", result.reason)
            summary.failed += 1
            continue
        entities, events = result
        batch.append((article_id, entities, events))
        summary.entities.update(e.label for e in entities)
        if len(batch) >= TAG_COMMIT_ROWS:
            store.set_entities(batch, key, provenance)
            store.clear_rejects([item[0] for item in batch], "tag")
            summary.tagged += len(batch)
            advance(len(batch))
            batch = []
    if batch:
        store.set_entities(batch, key, provenance)
        store.clear_rejects([item[0] for item in batch], "tag")
        summary.tagged += len(batch)
        advance(len(batch))
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
