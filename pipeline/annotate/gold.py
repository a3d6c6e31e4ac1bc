"""Gold annotations: reading Label Studio results back, checking them, keeping them, and resolving them.

Every pulled annotation is kept as its own row in ``gold_annotations`` (same SQLite file as the articles), with
the raw result for audit and the spans converted to code-point offsets after checking each one against the
stored article text. A span that no longer matches the stored text is reported and left out, never merged.

Resolution (several annotations of one article → one gold record), by :func:`compare`; no "latest wins":

1. Cancelled (skipped) annotations do not count.
2. **reviewed**: an annotation marked ground truth in Label Studio, or a reviewer's annotation from the review
   project (stored as ground truth), is the gold record on its own (the most recently updated such one).
3. **single**: one annotator: the gold record is that annotation.
4. Otherwise every item is compared: each span (start, end, label), each span's attributes (actor type,
   technology category, country, private person) among the annotators who marked the span, each relation
   (label, from span, to span) and each document choice (relevant, category). Under the ``unanimous`` policy
   (the default) the article is **agreed** when every annotator chose the same items and **disputed**
   otherwise; under ``majority`` an item is kept when more than half chose it and the article is disputed only
   on a tie. Disputed articles give no gold until a reviewer resolves them (``annotate review``).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from pipeline.annotate.labelconfig import (
    ATTRIBUTES,
    CATEGORY,
    NOTES,
    PRIVATE_PERSON,
    RELATIONS,
    RELEVANT,
    SPANS,
)
from pipeline.annotate.offsets import OffsetMap, OffsetUnit
from pipeline.records import ENTITY_LABELS, Article, Entity, Event
from pipeline.store import Store, utc_now

# The gold_annotations table is declared in pipeline.store (MIGRATIONS).
REJECT_STAGE = "annotate-pull"


def ensure_gold_schema(store: Store) -> None:
    """Kept for callers: every opened store has the table (pipeline.store migration 5)."""


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass
class ParsedAnnotation:
    """One annotation's result, checked and converted to code points."""

    entities: list[Entity] = field(default_factory=list)
    relations: list[dict[str, Any]] = field(default_factory=list)
    doc: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def _span_key(entity: Entity) -> tuple[int, int]:
    return (entity.start, entity.end)


def parse_result(result: Iterable[dict[str, Any]], text: str, unit: OffsetUnit = "codepoint") -> ParsedAnnotation:
    """Turn a Label Studio result (offsets in the frontend's ``unit``) into checked gold items over ``text``."""
    parsed = ParsedAnnotation()
    offsets = OffsetMap(text, unit)
    items = list(result)
    regions: dict[str, Entity] = {}

    for item in items:
        if item.get("type") != "labels" or item.get("from_name") != SPANS:
            continue
        value = item.get("value") or {}
        labels = value.get("labels") or []
        shown = value.get("text")
        where = f"span {shown!r} at {value.get('start')}-{value.get('end')}"
        if len(labels) != 1 or labels[0] not in ENTITY_LABELS:
            parsed.problems.append(f"{where}: label {labels} is not one of {', '.join(ENTITY_LABELS)}")
            continue
        try:
            start, end = offsets.from_server(int(value["start"])), offsets.from_server(int(value["end"]))
        except (KeyError, TypeError, ValueError) as exc:
            parsed.problems.append(f"{where}: bad offsets ({exc})")
            continue
        if start >= end:
            parsed.problems.append(f"{where}: empty span")
            continue
        stored = text[start:end]
        if shown is not None and shown != stored:
            parsed.problems.append(f"{where}: does not match the stored text {stored!r}")
            continue
        entity = Entity(start=start, end=end, text=stored, label=labels[0], source="gold")
        region_id = str(item.get("id", ""))
        if region_id in regions:
            parsed.problems.append(f"{where}: duplicate region id {region_id!r}")
            continue
        regions[region_id] = entity

    for item in items:
        name = item.get("from_name")
        value = item.get("value") or {}
        kind = item.get("type")
        if kind in ("choices", "labels") and name in ATTRIBUTES:
            label, attribute = ATTRIBUTES[str(name)]
            entity_for = regions.get(str(item.get("id", "")))
            chosen = value.get("choices") if kind == "choices" else value.get("labels")
            chosen = chosen or []
            if entity_for is None:
                rid = str(item.get("id", ""))
                if not any(other.get("from_name") == SPANS and str(other.get("id", "")) == rid for other in items):
                    parsed.problems.append(
                        f"{name} {chosen} on a region without an ACTOR/TECHNOLOGY/LOCATION label "
                        f"({value.get('text')!r}): ignored"
                    )
                continue  # otherwise its span was reported above
            if entity_for.label != label:
                parsed.problems.append(f"{name} {chosen} on a {entity_for.label} span {entity_for.text!r}: ignored")
                continue
            if not chosen:
                continue
            if name == PRIVATE_PERSON:
                entity_for.private_person = str(chosen[0]) == "yes"
            else:
                setattr(entity_for, attribute, str(chosen[0]))
        elif kind == "choices" and name in (RELEVANT, CATEGORY):
            choices = value.get("choices") or []
            if not choices:
                continue
            if name == RELEVANT:
                parsed.doc["relevant"] = choices[0] == "yes"
            else:
                parsed.doc["category"] = str(choices[0])
        elif kind == "textarea" and name == NOTES:
            notes = [str(t) for t in value.get("text") or [] if str(t).strip()]
            if notes:
                parsed.doc["notes"] = "\n".join(notes)
        elif kind == "relation":
            relation = _relation(item, regions, parsed.problems)
            if relation is not None and relation not in parsed.relations:
                parsed.relations.append(relation)

    for entity in regions.values():
        # an ACTOR nobody flagged as a private person: False for people, unset for organisations
        if entity.label == "ACTOR" and entity.private_person is None and entity.actor_type == "person":
            entity.private_person = False
    parsed.entities = sorted(regions.values(), key=lambda e: (e.start, e.end, e.label))
    return parsed


def _relation(item: dict[str, Any], regions: dict[str, Entity], problems: list[str]) -> dict[str, Any] | None:
    head, child = regions.get(str(item.get("from_id"))), regions.get(str(item.get("to_id")))
    labels = item.get("labels") or []
    if head is None or child is None:
        problems.append(f"relation {labels} between spans that were left out or do not exist: ignored")
        return None
    if item.get("direction") == "left":
        head, child = child, head
    if len(labels) != 1 or labels[0] not in RELATIONS:
        problems.append(f"relation {head.text!r} → {child.text!r} needs exactly one of {', '.join(RELATIONS)}")
        return None
    label = labels[0]
    if head.label != "ACTOR":
        problems.append(f"relation {label}: {head.text!r} is a {head.label}, not an ACTOR: ignored")
        return None
    wanted = ("ACTOR", "LOCATION") if label == "targets" else ("TECHNOLOGY",)
    if child.label not in wanted:
        problems.append(f"relation {label}: {child.text!r} is a {child.label}, not a {' or '.join(wanted)}: ignored")
        return None
    return {"label": label, "from": [head.start, head.end], "to": [child.start, child.end]}


# storage --------------------------------------------------------------------------------------------------
@dataclass
class GoldRow:
    project_id: int
    annotation_id: int
    task_id: int
    article_id: str
    annotator: str
    created_at: str | None
    updated_at: str | None
    lead_time: float | None
    cancelled: bool
    ground_truth: bool
    text_sha256: str
    result: list[dict[str, Any]]
    parsed: ParsedAnnotation

    @property
    def status(self) -> str:
        if self.cancelled:
            return "cancelled"
        return "partial" if self.parsed.problems else "ok"


def replace_project_gold(
    store: Store, project_id: int, rows: list[GoldRow], keep: frozenset[int] = frozenset()
) -> dict[str, int]:
    """Make the stored gold of one project equal to ``rows``, in one transaction.

    Rows are upserted by annotation id; stored annotations the server no longer has are deleted, except the
    ids in ``keep`` (still on the server but not mergeable now). Problems are also written to the rejects
    table (one line per annotation), and cleared once an annotation is clean.
    """
    ensure_gold_schema(store)
    now = utc_now()
    counts = {"new": 0, "updated": 0, "unchanged": 0, "removed": 0}
    with store.transaction():
        stored = store.gold_versions(project_id)
        for row in rows:
            result_json = json.dumps(row.result, sort_keys=True, ensure_ascii=False)
            before = stored.pop(row.annotation_id, None)
            if before is None:
                counts["new"] += 1
            elif before == (row.updated_at, result_json, row.text_sha256):
                counts["unchanged"] += 1
            else:
                counts["updated"] += 1
            store.put_gold_annotation(
                {
                    "project_id": project_id,
                    "annotation_id": row.annotation_id,
                    "task_id": row.task_id,
                    "article_id": row.article_id,
                    "annotator": row.annotator,
                    "created_at": row.created_at,
                    "updated_at": row.updated_at,
                    "lead_time": row.lead_time,
                    "status": row.status,
                    "ground_truth": int(row.ground_truth),
                    "text_sha256": row.text_sha256,
                    "result": result_json,
                    "entities": json.dumps([e.to_dict() for e in row.parsed.entities], ensure_ascii=False),
                    "relations": json.dumps(row.parsed.relations),
                    "doc": json.dumps(row.parsed.doc, ensure_ascii=False),
                    "problems": json.dumps(row.parsed.problems, ensure_ascii=False),
                    "pulled_at": now,
                }
            )
            item = f"labelstudio:{project_id}:{row.annotation_id}"
            if row.parsed.problems and not row.cancelled:
                reason = f"{len(row.parsed.problems)} item(s) left out: " + "; ".join(row.parsed.problems)
                store.add_reject(item, REJECT_STAGE, reason[:2000])
            else:
                store.clear_reject(item, REJECT_STAGE)
        for annotation_id in stored:
            if annotation_id in keep:
                continue
            store.delete_gold_annotation(project_id, annotation_id)
            store.clear_reject(f"labelstudio:{project_id}:{annotation_id}", REJECT_STAGE)
            counts["removed"] += 1
    return counts


@dataclass
class StoredAnnotation:
    """One kept (not cancelled) annotation, as read back for resolution and agreement."""

    annotation_id: int
    task_id: int
    article_id: str
    annotator: str
    updated_at: str
    ground_truth: bool
    text_sha256: str
    entities: list[Entity]
    relations: list[dict[str, Any]]
    doc: dict[str, Any]


def stored_annotations(store: Store) -> dict[str, list[StoredAnnotation]]:
    """Article id → its kept annotations (cancelled ones left out), oldest update first."""
    ensure_gold_schema(store)
    by_article: dict[str, list[StoredAnnotation]] = {}
    for r in store.kept_gold():
        by_article.setdefault(r["article_id"], []).append(
            StoredAnnotation(
                annotation_id=int(r["annotation_id"]),
                task_id=int(r["task_id"]),
                article_id=r["article_id"],
                annotator=r["annotator"],
                updated_at=r["updated_at"] or "",
                ground_truth=bool(r["ground_truth"]),
                text_sha256=r["text_sha256"],
                entities=[Entity.from_dict(e) for e in json.loads(r["entities"])],
                relations=json.loads(r["relations"]),
                doc=json.loads(r["doc"]),
            )
        )
    return by_article


# resolution -----------------------------------------------------------------------------------------------
Policy = Literal["unanimous", "majority"]
POLICIES: tuple[Policy, ...] = ("unanimous", "majority")
# what a compared article is: gold comes from every state but "disputed"
STATES = ("single", "agreed", "majority", "disputed", "reviewed")
# the attributes compared for each span label
LABEL_ATTRIBUTES: dict[str, tuple[str, ...]] = {
    "ACTOR": ("actor_type", "private_person"),
    "TECHNOLOGY": ("category",),
    "LOCATION": ("country",),
}
SpanKey = tuple[int, int, str]


def attribute_value(entity: Entity, name: str) -> Any:
    """An attribute as compared: an ACTOR nobody flagged as a private person counts as not one."""
    value = getattr(entity, name)
    if name == "private_person" and entity.label == "ACTOR":
        return bool(value)
    return value


@dataclass
class Comparison:
    """One article's annotations compared: its state, the merged items, and what the annotators disagree on."""

    state: str  # one of STATES
    entities: list[Entity]
    relations: list[dict[str, Any]]
    doc: dict[str, Any]
    annotators: list[str]
    disputes: list[str] = field(default_factory=list)  # one readable line per disagreement

    @property
    def accepted(self) -> bool:
        return self.state != "disputed"


def _who(names: Iterable[str]) -> str:
    return ", ".join(sorted(names)) or "nobody"


def _show(value: Any) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def latest_per_annotator(annotations: list[StoredAnnotation]) -> list[StoredAnnotation]:
    """Each annotator's most recent annotation of the article (annotations come oldest update first)."""
    return list({a.annotator: a for a in annotations}.values())


def compare(annotations: list[StoredAnnotation], policy: Policy = "unanimous") -> Comparison:
    """Compare one article's annotations (oldest update first) by the rule in the module docstring."""
    if not annotations:
        raise ValueError("no annotations to compare")
    if policy not in POLICIES:
        raise ValueError(f"unknown policy {policy!r}")
    truth = [a for a in annotations if a.ground_truth]
    if truth:
        final = truth[-1]
        return Comparison("reviewed", final.entities, final.relations, final.doc, [final.annotator])
    people = latest_per_annotator(annotations)
    names = sorted(a.annotator for a in people)
    if len(people) == 1:
        only = people[0]
        return Comparison("single", only.entities, only.relations, only.doc, names)

    n = len(people)
    disputes: list[str] = []
    majority_resolved = False

    def decide(count: int, total: int) -> bool | None:
        """Keep (True), drop (False) or tie/disputed (None) an item ``count`` of ``total`` annotators chose."""
        nonlocal majority_resolved
        if count == total:
            return True
        if policy == "unanimous" or 2 * count == total:
            return None
        majority_resolved = True
        return 2 * count > total

    marked: dict[SpanKey, dict[str, Entity]] = {}
    for a in people:
        for entity in a.entities:
            marked.setdefault((entity.start, entity.end, entity.label), {})[a.annotator] = entity
    entities: list[Entity] = []
    for key in sorted(marked):
        by_who = marked[key]
        sample = next(iter(by_who.values()))
        verdict = decide(len(by_who), n)
        if verdict is None:
            missing = set(names) - set(by_who)
            disputes.append(f"span {sample.text!r} ({key[2]}): marked by {_who(by_who)}; not by {_who(missing)}")
        if not verdict:
            continue
        merged = Entity(start=key[0], end=key[1], text=sample.text, label=sample.label, source="gold")
        for name in LABEL_ATTRIBUTES.get(key[2], ()):
            values = Counter(attribute_value(e, name) for e in by_who.values())
            top_value, top = values.most_common(1)[0]
            choice = decide(top, len(by_who)) if len(values) > 1 else True
            if choice is None or (len(values) > 1 and not choice):
                shown = " vs ".join(
                    f"{_show(v)} ({_who(w for w, e in by_who.items() if attribute_value(e, name) == v)})"
                    for v in sorted(values, key=_show)
                )
                disputes.append(f"{name} of {sample.text!r}: {shown}")
                continue
            if name == "private_person" and top_value is False and sample.actor_type != "person":
                top_value = None  # "not a private person" is only stated for people
            setattr(merged, name, top_value)
        entities.append(merged)
    kept_spans = {(e.start, e.end) for e in entities}

    relation_votes: dict[str, set[str]] = {}
    for a in people:
        for relation in a.relations:
            relation_votes.setdefault(json.dumps(relation, sort_keys=True), set()).add(a.annotator)
    texts = {(e.start, e.end): e.text for a in people for e in a.entities}
    relations: list[dict[str, Any]] = []
    for encoded, who in sorted(relation_votes.items()):
        relation = json.loads(encoded)
        verdict = decide(len(who), n)
        if verdict is None:
            head, child = texts.get(tuple(relation["from"]), "?"), texts.get(tuple(relation["to"]), "?")
            others = _who(set(names) - who)
            disputes.append(f"relation {head!r} {relation['label']} {child!r}: drawn by {_who(who)}; not by {others}")
        if verdict and tuple(relation["from"]) in kept_spans and tuple(relation["to"]) in kept_spans:
            relations.append(relation)

    doc: dict[str, Any] = {}
    for name in ("relevant", "category"):
        answers = {a.annotator: a.doc.get(name) for a in people}
        values = Counter(answers.values())
        if set(values) == {None}:
            continue
        top_value, top = values.most_common(1)[0]
        verdict = decide(top, n) if len(values) > 1 else True
        if verdict is None or (len(values) > 1 and not verdict):
            shown = " vs ".join(
                f"{_show(v)} ({_who(w for w, x in answers.items() if x == v)})" for v in sorted(values, key=_show)
            )
            disputes.append(f"{name}: {shown}")
            continue
        if top_value is not None:
            doc[name] = top_value
    state = "disputed" if disputes else "majority" if majority_resolved else "agreed"
    return Comparison(state, entities, relations, doc, names, disputes)


def resolve(
    annotations: list[StoredAnnotation], policy: Policy = "unanimous"
) -> tuple[list[Entity], list[dict[str, Any]], dict[str, Any], str]:
    """(entities, relations, doc, state) of :func:`compare`; the items are only gold when state != disputed."""
    c = compare(annotations, policy)
    return c.entities, c.relations, c.doc, c.state


# gold events ----------------------------------------------------------------------------------------------
_SENTENCE_END = re.compile(r"[.!?][\"'”’)\]]*(?=\s)|\n")


def sentence_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    """The sentence (by punctuation and line breaks) holding text[start:end]."""
    begin = 0
    for found in _SENTENCE_END.finditer(text, 0, start):
        begin = found.end()
    while begin < start and text[begin].isspace():
        begin += 1
    after = _SENTENCE_END.search(text, max(end, begin))
    stop = after.end() if after and after.group() != "\n" else (after.start() if after else len(text))
    return begin, stop


def with_entity_ids(article: Article | None, entities: list[Entity]) -> list[Entity]:
    """Gold entities with ``entity_id`` and ``canonical``: a predicted entity at the same offsets and label lends
    its own (so gold and machine records name one thing alike); other mentions with the same label and surface
    share one gold id."""
    predicted = {(e.start, e.end, e.label): e for e in (article.entities if article else [])}
    by_surface = {(e.label, e.text.casefold()): e for e in (article.entities if article else []) if e.entity_id}
    out: list[Entity] = []
    for entity in entities:
        copy = Entity.from_dict(entity.to_dict())
        twin = predicted.get((entity.start, entity.end, entity.label)) or by_surface.get(
            (entity.label, entity.text.casefold())
        )
        if twin is not None and twin.entity_id:
            copy.entity_id, copy.canonical = twin.entity_id, twin.canonical or twin.text
        else:
            slug = re.sub(r"\W+", "-", entity.text.casefold()).strip("-") or "x"
            copy.entity_id, copy.canonical = f"gold:{entity.label.lower()}:{slug}", entity.text
        out.append(copy)
    return out


def gold_events(text: str, entities: list[Entity], relations: list[dict[str, Any]], source: str) -> list[Event]:
    """Annotators' relations as Event records (the shape the events component writes)."""
    at = {(e.start, e.end): e for e in entities}
    events: list[Event] = []
    for relation in relations:
        actor, obj = at.get(tuple(relation["from"])), at.get(tuple(relation["to"]))
        if actor is None or obj is None:
            continue
        start, end = sentence_bounds(text, min(actor.start, obj.start), max(actor.end, obj.end))
        events.append(
            Event(
                relation=relation["label"],
                actor_id=actor.entity_id or "",
                actor=actor.canonical or actor.text,
                object_id=obj.entity_id or "",
                object=obj.canonical or obj.text,
                object_label=obj.label,
                start=start,
                end=end,
                evidence=text[start:end],
                source=source,
                actor_type=actor.actor_type,
                object_category=obj.category if obj.label == "TECHNOLOGY" else None,
                country=obj.country if obj.label == "LOCATION" else actor.country,
                score=1.0,
            )
        )
    return events


def compared_articles(store: Store, policy: Policy = "unanimous") -> Iterator[tuple[str, Comparison]]:
    """(article id, comparison) for every annotated article still in the store with unchanged text, by id."""
    for article_id, kept_annotations in sorted(stored_annotations(store).items()):
        article = store.get_article(article_id)
        if article is None:
            continue
        current = text_sha256(article.text)
        usable = [a for a in kept_annotations if a.text_sha256 == current]
        if usable:  # else the text changed after annotation: spans would point at the wrong characters
            yield article_id, compare(usable, policy)


def iter_gold(store: Store, policy: Policy = "unanimous") -> Iterator[dict[str, Any]]:
    """Gold, one record per annotated article that is agreed, single or reviewed (never a disputed one).

    Keys: id, text, entities (Entity dicts, code-point offsets, source "gold", with entity ids), relations,
    events (Event dicts built from the relations), relevant (bool or None), category (str or None),
    annotators (sorted), annotation_ids, task_ids, resolution (the article's state).
    """
    annotations = stored_annotations(store)
    for article_id, comparison in compared_articles(store, policy):
        if not comparison.accepted:
            continue
        article = store.get_article(article_id)
        assert article is not None
        current = text_sha256(article.text)
        usable = [a for a in annotations[article_id] if a.text_sha256 == current]
        entities = with_entity_ids(article, comparison.entities)
        events = gold_events(article.text, entities, comparison.relations, f"gold:{comparison.state}")
        yield {
            "id": article_id,
            "text": article.text,
            "entities": [e.to_dict() for e in entities],
            "relations": comparison.relations,
            "events": [e.to_dict() for e in events],
            "relevant": comparison.doc.get("relevant"),
            "category": comparison.doc.get("category"),
            "annotators": sorted({a.annotator for a in usable}),
            "annotation_ids": [a.annotation_id for a in usable],
            "task_ids": sorted({a.task_id for a in usable}),
            "resolution": comparison.state,
        }
