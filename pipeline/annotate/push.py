"""Project setup and pushing articles as Label Studio tasks, with the tagger's spans as predictions.

Idempotent by article id: the server's task list is read first, an article that already has a task is never
imported again (so a push cut off by a server restart is completed by running it again), and a task only gets
a new prediction when its model version is new. Offsets are sent in the frontend's unit (code points for
Label Studio 1.23; see pipeline/annotate/offsets.py).
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from markdown_it import MarkdownIt

from pipeline.annotate._client import ONCE, LabelStudioClient
from pipeline.annotate.confidence import ArticleConfidence, Scorer, source_name
from pipeline.annotate.config import LabelStudioSettings
from pipeline.annotate.gold import text_sha256
from pipeline.annotate.labelconfig import (
    ATTRIBUTES,
    CATEGORY,
    COUNTRY_OPTIONS,
    PRIVATE_PERSON,
    RELATIONS,
    RELEVANT,
    SPANS,
    TEXT,
    LabelConfig,
    country_options,
    load_label_config,
)
from pipeline.annotate.offsets import OffsetMap, OffsetUnit
from pipeline.errors import ConfigError
from pipeline.records import Article
from pipeline.store import Store

Strategy = Literal["random", "stratified", "uncertain", "diverse"]
STRATEGIES: tuple[Strategy, ...] = ("random", "stratified", "uncertain", "diverse")


# setup ----------------------------------------------------------------------------------------------------
@dataclass
class SetupReport:
    project_id: int
    created: bool
    title: str


def instructions_html(settings: LabelStudioSettings) -> str:
    try:
        text = settings.instructions.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{settings.instructions}: cannot read the annotator instructions: {exc.strerror}") from exc
    return MarkdownIt("commonmark").render(text)


def setup_project(client: LabelStudioClient, settings: LabelStudioSettings) -> SetupReport:
    """Create the project, or update its labeling config and instructions; the title identifies it."""
    config = load_label_config(settings.label_config)
    instructions = instructions_html(settings)
    client.check()
    options: dict[str, Any] = {
        "label_config": config.xml,
        "expert_instruction": instructions,
        "show_instruction": True,
        "show_skip_button": True,
        "maximum_annotations": settings.annotations_per_task,
        "overlap_cohort_percentage": settings.overlap_percent,
        "description": "survnews: news reporting on digital surveillance",
    }
    project_id = client.find_project(settings.project_title)
    if project_id is None:
        project = client.call(
            "create project", client.sdk.projects.create, title=settings.project_title, **options, **ONCE
        )
        assert project.id is not None
        return SetupReport(project_id=int(project.id), created=True, title=settings.project_title)
    client.call("update project", client.sdk.projects.update, id=project_id, **options)
    return SetupReport(project_id=project_id, created=False, title=settings.project_title)


# tasks ----------------------------------------------------------------------------------------------------
def model_version_of(article: Article) -> str | None:
    """``pipeline@version`` of the tagger that produced the article's spans, or None when it was never tagged."""
    prov = article.provenance
    if not prov.spacy_pipeline:
        return None
    return f"{prov.spacy_pipeline}@{prov.spacy_pipeline_version or 'unknown'}"


def _most_common(values: list[str | None]) -> str | None:
    counts = Counter(v for v in values if v)
    return counts.most_common(1)[0][0] if counts else None


def article_country(article: Article) -> str | None:
    return _most_common([e.country for e in article.entities if e.label == "LOCATION"]) or _most_common(
        [e.country for e in article.entities]
    )


def article_category(article: Article) -> str | None:
    return _most_common([e.category for e in article.entities if e.label == "TECHNOLOGY"])


def article_countries(article: Article) -> list[str]:
    """The article's own countries, most mentioned first (LOCATION spans, then any entity's country)."""
    counts = Counter(e.country for e in article.entities if e.country and e.label == "LOCATION")
    for e in article.entities:
        if e.country and e.country not in counts:
            counts[e.country] += 0
    return [code for code, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]


def _region_for(article: Article, ids: dict[int, str], entity_id: str, name: str, start: int, end: int) -> str | None:
    """The region of the entity ``entity_id`` (or, without ids, named ``name``) inside the evidence sentence
    [start, end), else its nearest mention."""
    found = [(n, e) for n, e in enumerate(article.entities) if n in ids and entity_id and e.entity_id == entity_id]
    if not found:
        found = [(n, e) for n, e in enumerate(article.entities) if n in ids and name in (e.canonical, e.text)]
    if not found:
        return None
    inside = [(n, e) for n, e in found if start <= e.start and e.end <= end]
    n, _ = min(inside or found, key=lambda item: abs(item[1].start - start))
    return ids[n]


def prediction_result(
    article: Article,
    config: LabelConfig,
    unit: OffsetUnit = "codepoint",
    confidence: ArticleConfidence | None = None,
) -> tuple[list[dict[str, Any]], int]:
    """The tagger's spans, attributes, events (as relations) and document guesses as a Label Studio result; also
    counts what was left out (spans whose text does not match the stored text, attribute values the labeling
    config does not offer, events whose spans were not sent). Each span carries its score and, in the region
    meta, where it came from and how sure the tagger is."""
    offsets = OffsetMap(article.text, unit)
    result: list[dict[str, Any]] = []
    left_out = 0
    region_ids: dict[int, str] = {}
    order = sorted(range(len(article.entities)), key=lambda i: (article.entities[i].start, article.entities[i].end))
    for n in order:
        entity = article.entities[n]
        if article.text[entity.start : entity.end] != entity.text or not config.allows(SPANS, entity.label):
            left_out += 1
            continue
        region = {
            "start": offsets.to_server(entity.start),
            "end": offsets.to_server(entity.end),
            "text": entity.text,
        }
        region_id = f"e{n}"
        region_ids[n] = region_id
        score = confidence.scores[n] if confidence is not None else entity.score
        span_item: dict[str, Any] = {
            "id": region_id,
            "from_name": SPANS,
            "to_name": TEXT,
            "type": "labels",
            "value": {**region, "labels": [entity.label]},
        }
        if score is not None:
            span_item["score"] = round(float(score), 4)
            span_item["meta"] = {"text": [f"{source_name(entity.source)} · score {float(score):.2f}"]}
        result.append(span_item)
        for control, (label, attribute) in ATTRIBUTES.items():
            if label != entity.label:
                continue
            value = getattr(entity, attribute)
            if control == PRIVATE_PERSON:
                if value is not True:
                    continue
                value = "yes"
            if value is None:
                continue
            if not config.allows(control, value):
                left_out += 1
                continue
            kind = config.kind(control)
            key = "labels" if kind == "labels" else "choices"
            result.append(
                {
                    "id": region_id,
                    "from_name": control,
                    "to_name": TEXT,
                    "type": kind,
                    "value": {**region, key: [value]},
                }
            )
    drawn: set[tuple[str, str, str]] = set()
    for event in article.events:
        if event.negated or event.relation not in RELATIONS:
            continue  # a denied fact is no relation to draw
        head = _region_for(article, region_ids, event.actor_id, event.actor, event.start, event.end)
        child = _region_for(article, region_ids, event.object_id, event.object, event.start, event.end)
        if head is None or child is None or head == child:
            left_out += 1
            continue
        if (head, child, event.relation) in drawn:
            continue
        drawn.add((head, child, event.relation))
        result.append(
            {
                "from_id": head,
                "to_id": child,
                "type": "relation",
                "direction": "right",
                "labels": [event.relation],
            }
        )
    result.append(
        {
            "id": "doc-relevant",
            "from_name": RELEVANT,
            "to_name": TEXT,
            "type": "choices",
            "value": {"choices": ["yes" if article.relevant else "no"]},
        }
    )
    category = article_category(article)
    if config.allows(CATEGORY, category):
        result.append(
            {
                "id": "doc-category",
                "from_name": CATEGORY,
                "to_name": TEXT,
                "type": "choices",
                "value": {"choices": [category]},
            }
        )
    return result, left_out


def task_data(article: Article) -> dict[str, Any]:
    meta = " · ".join(x for x in (article.publisher, article.published, article.url) if x)
    return {
        "text": article.text,
        "title": article.title or "",
        "meta": meta,
        "article_id": article.id,
        "text_sha256": text_sha256(article.text),
        COUNTRY_OPTIONS: country_options(article_countries(article)),
    }


# selection ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Candidate:
    id: str
    relevance: float
    country: str
    category: str
    uncertainty: float = 0.0
    countries: frozenset[str] = frozenset()
    categories: frozenset[str] = frozenset()


def select(
    candidates: list[Candidate], count: int, strategy: Strategy, *, seed: int = 0, threshold: float = 0.5
) -> list[str]:
    """Pick ``count`` article ids (in the order they should be annotated).

    - random: a seeded random sample.
    - stratified: strata are (country, category); one article per stratum in turn (equal allocation), strata
      ordered by size then name, random within a stratum, so rare countries and categories get seen early.
    - uncertain: the tagger's uncertainty (see pipeline/annotate/confidence.py), most uncertain first; ties by
      relevance nearest the threshold, then id.
    - diverse: greedy coverage of countries and technology categories: each pick adds the most of them not yet
      covered (ties: the more uncertain, then id), so a batch spans the corpus instead of its biggest cluster.
    """
    if strategy not in STRATEGIES:
        raise ConfigError(f"unknown selection strategy {strategy!r}; choose one of {', '.join(STRATEGIES)}")
    rng = random.Random(seed)
    ordered = sorted(candidates, key=lambda c: c.id)
    if strategy == "random":
        return [c.id for c in rng.sample(ordered, min(count, len(ordered)))]
    if strategy == "uncertain":
        return [
            c.id for c in sorted(ordered, key=lambda c: (-c.uncertainty, abs(c.relevance - threshold), c.id))[:count]
        ]
    if strategy == "diverse":
        covered: set[str] = set()
        pool = list(ordered)
        picked_ids: list[str] = []
        features = {c.id: {f"country:{x}" for x in c.countries} | {f"category:{x}" for x in c.categories} for c in pool}
        while pool and len(picked_ids) < count:
            best = min(pool, key=lambda c: (-len(features[c.id] - covered), -c.uncertainty, c.id))
            pool.remove(best)
            covered |= features[best.id]
            picked_ids.append(best.id)
        return picked_ids
    strata: dict[tuple[str, str], list[Candidate]] = {}
    for c in ordered:
        strata.setdefault((c.country, c.category), []).append(c)
    queues = [strata[key] for key in sorted(strata, key=lambda k: (-len(strata[k]), k))]
    for queue in queues:
        rng.shuffle(queue)
    picked: list[str] = []
    while len(picked) < count and any(queues):
        for queue in queues:
            if queue and len(picked) < count:
                picked.append(queue.pop().id)
    return picked


# push -----------------------------------------------------------------------------------------------------
@dataclass
class ExistingTask:
    task_id: int
    text_sha256: str
    model_versions: set[str]


@dataclass
class PushReport:
    project_id: int
    created: int = 0
    predictions_added: int = 0
    already_pushed: int = 0
    stale: list[str] = field(default_factory=list)  # article ids whose text changed since their task was made
    left_out: int = 0  # spans/attributes not sent (see prediction_result)
    selected: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "project_id": self.project_id,
            "created": self.created,
            "predictions_added": self.predictions_added,
            "already_pushed": self.already_pushed,
            "stale": self.stale,
            "left_out": self.left_out,
            "selected": len(self.selected),
        }


def existing_tasks(client: LabelStudioClient, project_id: int) -> dict[str, ExistingTask]:
    found: dict[str, ExistingTask] = {}
    for task in client.iter_tasks(project_id, with_annotations=True):
        data = task.get("data") or {}
        article_id = data.get("article_id")
        if not article_id or article_id in found:
            continue
        versions = {str(p.get("model_version")) for p in task.get("predictions") or [] if isinstance(p, dict)}
        digest = data.get("text_sha256") or text_sha256(str(data.get("text", "")))
        found[str(article_id)] = ExistingTask(task_id=int(task["id"]), text_sha256=str(digest), model_versions=versions)
    return found


def retag(articles: list[Article], tagger: Any) -> list[Article]:
    """Copies of ``articles`` with the spans and events of another pipeline (the store is left as it is)."""
    from dataclasses import replace

    from pipeline.tag import TagFailure, tag_texts_with_events

    out = []
    for article, result in zip(articles, tag_texts_with_events(tagger, [a.text for a in articles]), strict=True):
        # a text the pipeline fails on keeps its stored tags (the failure is recorded when `tag` runs on it)
        if isinstance(result, TagFailure):
            out.append(article)
        else:
            out.append(replace(article, entities=result[0], events=result[1]))
    return out


def _candidates(
    store: Store, skip: set[str], relevant_only: bool, scorer: Scorer | None, tagger: Any | None
) -> Iterator[Candidate]:
    batch: list[Article] = []

    def flush() -> Iterator[Candidate]:
        articles = retag(batch, tagger) if tagger is not None else batch
        scored = scorer.score(articles) if scorer is not None else [None] * len(articles)
        for article, confidence in zip(articles, scored, strict=True):
            yield Candidate(
                article.id,
                article.relevance,
                article_country(article) or "??",
                article_category(article) or "none",
                uncertainty=confidence.uncertainty if confidence is not None else 0.0,
                countries=frozenset(article_countries(article)),
                categories=frozenset(e.category for e in article.entities if e.category),
            )
        batch.clear()

    for article in store.articles(relevant_only=relevant_only):
        if article.id in skip:
            continue
        batch.append(article)
        if len(batch) >= 32:
            yield from flush()
    yield from flush()


def push(
    store: Store,
    client: LabelStudioClient,
    settings: LabelStudioSettings,
    *,
    count: int,
    strategy: Strategy = "random",
    seed: int = 0,
    threshold: float = 0.5,
    relevant_only: bool = False,
    model_version: str | None = None,
    scorer: Scorer | None = None,
    tagger: Any | None = None,
    on_batch: Callable[[int], None] | None = None,
) -> PushReport:
    """Add predictions of a new model version to tasks already pushed, then import ``count`` new articles.

    ``scorer`` gives each span its score and each task its uncertainty (the prediction's score; without one,
    spans carry the rule priors only); ``tagger``, when given, replaces the stored spans by that pipeline's
    (how ``annotate cycle`` pushes a new model's predictions). Imports go in batches of
    ``settings.batch_size``; each batch is one request the server applies whole. ``on_batch(created_so_far)``
    is called after each batch.
    """
    if count < 0:
        raise ConfigError("--count must be zero or more")
    config = load_label_config(settings.label_config)
    client.check()
    project_id = client.require_project(settings.project_title)
    report = PushReport(project_id=project_id)
    existing = existing_tasks(client, project_id)
    scorer = scorer or Scorer(None, threshold=threshold)

    def prediction(article: Article, version: str) -> dict[str, Any]:
        (confidence,) = scorer.score([article])
        result, left_out = prediction_result(article, config, settings.offset_unit, confidence)
        report.left_out += left_out
        # the task's score is the tagger's uncertainty: sort by prediction score (descending) for the hardest first
        return {"model_version": version, "score": confidence.uncertainty, "result": result}

    def version_of(article: Article) -> str | None:
        if model_version is not None:
            return model_version
        if tagger is not None:
            from pipeline.tag import pipeline_identity

            name, version = pipeline_identity(tagger)
            return f"{name}@{version}"
        return model_version_of(article)

    for article_id, task in sorted(existing.items()):
        stored = store.get_article(article_id)
        if stored is None:
            continue
        report.already_pushed += 1
        if text_sha256(stored.text) != task.text_sha256:
            report.stale.append(article_id)
            continue
        version = version_of(stored)
        if version is None or version in task.model_versions:
            continue
        (article,) = retag([stored], tagger) if tagger is not None else (stored,)
        body = prediction(article, version)
        client.call("add prediction", client.sdk.predictions.create, task=task.task_id, **body, **ONCE)
        report.predictions_added += 1

    if count:
        candidates = list(
            _candidates(store, set(existing), relevant_only, scorer if strategy in ("uncertain",) else None, tagger)
        )
        report.selected = select(candidates, count, strategy, seed=seed, threshold=threshold)
    for start in range(0, len(report.selected), settings.batch_size):
        batch: list[dict[str, Any]] = []
        chosen = [a for a in (store.get_article(i) for i in report.selected[start : start + settings.batch_size]) if a]
        for article in retag(chosen, tagger) if tagger is not None else chosen:
            new_task: dict[str, Any] = {"data": task_data(article)}
            version = version_of(article)
            if version is not None:
                new_task["predictions"] = [prediction(article, version)]
            batch.append(new_task)
        if not batch:
            continue
        client.call(
            "import tasks", client.sdk.projects.import_tasks, id=project_id, request=batch, return_task_ids=True, **ONCE
        )
        report.created += len(batch)
        if on_batch is not None:
            on_batch(report.created)
    return report
