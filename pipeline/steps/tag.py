"""Tag steps: texts → entities and events (spaCy, ``pipeline.tag``) → the store."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from pipeline.records import Entity, Event
from pipeline.runner.base import Pipeline
from pipeline.runner.step import Outcome, Record, Reject, Step
from pipeline.store import Store

TAG_COMMIT_ROWS = 64  # tags are committed in small batches so a killed run keeps its work
TAG_SEND_BATCH = 8  # at most this many texts per batch sent to a worker


@dataclass
class TagRecord(Record):
    """An article's text on its way through the tagger (``key`` is the article id)."""

    text: str = ""
    entities: list[Entity] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)


class TagStep(Step):
    """Entities and events of each text, with the spaCy pipeline loaded once per worker (``nlp.pipe``)."""

    name = "tag"
    stage = "tag"
    _unpicklable = ("nlp",)

    def __init__(self, model: str, batch_size: int) -> None:
        super().__init__()
        self.model = model
        self.batch_size = batch_size
        self.nlp: Any = None

    def setup(self) -> None:
        from pipeline.tag import load_tagger

        self.nlp = load_tagger(self.model)

    def run(self, records: Iterable[Outcome]) -> Iterator[Outcome]:
        self.ensure_setup()
        chunk: list[Outcome] = []
        for outcome in records:
            chunk.append(outcome)
            if len(chunk) >= self.batch_size:
                yield from self._tag(chunk)
                chunk = []
        if chunk:
            yield from self._tag(chunk)

    def _tag(self, chunk: list[Outcome]) -> Iterator[Outcome]:
        from pipeline.errors import RejectError
        from pipeline.tag import TagFailure, tag_texts_with_events

        todo = [o for o in chunk if isinstance(o, TagRecord)]
        # long texts go through in pieces (offsets exact); a text the pipeline fails on is a TagFailure, alone
        results = iter(tag_texts_with_events(self.nlp, [r.text for r in todo], batch_size=self.batch_size))
        for outcome in chunk:
            if not isinstance(outcome, TagRecord):
                yield outcome
                continue
            result = next(results)
            self.stats.seen += 1
            if isinstance(result, TagFailure):
                rejected = self.reject(outcome, RejectError("tag-failed", result.reason))
                self.count(rejected)
                yield rejected
                continue
            outcome.entities, outcome.events = result
            outcome.text = ""  # the text is in the store already: do not send it back
            self.stats.passed += 1
            self.stats.counts.update(e.label for e in outcome.entities)
            yield outcome

    def process(self, record: TagRecord) -> Outcome:
        from pipeline.errors import RejectError
        from pipeline.tag import TagFailure, tag_texts_with_events

        result = next(iter(tag_texts_with_events(self.nlp, [record.text], batch_size=1)))
        if isinstance(result, TagFailure):
            raise RejectError("tag-failed", result.reason)
        record.entities, record.events = result
        record.text = ""
        return record


class WriteTagsStep(Step):
    """Stores tags and events in batches of ``TAG_COMMIT_ROWS`` (one transaction each); rejects are recorded."""

    name = "write-tags"
    stage = "tag"

    def __init__(self, store: Store, tagger: str, provenance: dict[str, Any]) -> None:
        super().__init__()
        self.store = store
        self.tagger = tagger
        self.provenance = provenance
        self.batch: list[tuple[str, list[Entity], list[Event]]] = []

    def run(self, records: Iterable[Outcome]) -> Iterator[Outcome]:
        for outcome in records:
            self.stats.seen += 1
            if isinstance(outcome, Reject):
                self.store.add_reject(outcome.key, outcome.stage, outcome.reason)
                self.stats.rejected[outcome.code] += 1
            elif isinstance(outcome, TagRecord):
                self.batch.append((outcome.key, outcome.entities, outcome.events))
                self.stats.passed += 1
                self.stats.counts.update(e.label for e in outcome.entities)
                if len(self.batch) >= TAG_COMMIT_ROWS:
                    self.flush()
            yield outcome

    def flush(self) -> None:
        if self.batch:
            with self.store.transaction():
                self.store.set_entities(self.batch, self.tagger, self.provenance)
                for article_id, _, _ in self.batch:
                    self.store.clear_reject(article_id, "tag")
            self.stats.counts["committed"] += len(self.batch)
            self.batch = []

    def close(self) -> None:
        self.flush()


def tag_pipeline(store: Store, model: str, batch_size: int, tagger: str, provenance: dict[str, Any]) -> Pipeline:
    return Pipeline(
        "tag",
        map_steps=[TagStep(model, batch_size)],
        sink_steps=[WriteTagsStep(store, tagger, provenance)],
        # texts per batch sent to a worker (nlp.pipe runs over each): a few, so that N workers finish together
        # (with 32-text batches 181 articles made 6 batches, and one worker's last batch ran on alone)
        batch_size=min(batch_size, TAG_SEND_BATCH),
        item_timeout_s=None,
        timeout_stage="tag",
    )


def tag_records(store: Store, ids: list[str]) -> Iterator[TagRecord]:
    """The texts of ``ids``, read from the store in chunks (never the whole table in memory)."""
    for start in range(0, len(ids), TAG_COMMIT_ROWS):
        for article_id, text in store.texts(ids[start : start + TAG_COMMIT_ROWS]):
            yield TagRecord(article_id, text)


def tagger_identity(model: str) -> tuple[str, str] | None:
    """(name, version) of the tagging pipeline without loading it (``pipeline.tag.tagger_identity`` owns it)."""
    from pipeline.tag import tagger_identity as identity

    return identity(model)
