"""Gold annotations: reading Label Studio results back, checking them, keeping them, and resolving them.

Every pulled annotation is kept as its own row in ``gold_annotations`` (same SQLite file as the articles), with
the raw result for audit and the spans converted to code-point offsets after checking each one against the
stored article text. A span that no longer matches the stored text is reported and left out, never merged.

Resolution rule (several annotations of one article → one gold record), applied by :func:`resolve`:

1. Cancelled (skipped) annotations do not count.
2. If any annotation is marked ground truth in Label Studio, the most recently updated such annotation is the
   gold record on its own.
3. Otherwise each item votes separately: a span (start, end, label), a relation (label, from span, to span) and
   each document choice. An item is kept when more than half of the annotators chose it; on an exact tie
   (e.g. one of two annotators) the most recently updated annotation decides. Per-span attributes (actor type,
   technology category, country) are resolved the same way among the annotators who marked that span.
   A relation is kept only if both of its spans are kept.

With one annotator the gold record is simply that annotation.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from pipeline.annotate.labelconfig import (
    ATTRIBUTES,
    CATEGORY,
    NOTES,
    RELATIONS,
    RELEVANT,
    SPANS,
)
from pipeline.annotate.offsets import OffsetMap, OffsetUnit
from pipeline.records import ENTITY_LABELS, Entity
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
        if item.get("type") == "choices" and name in ATTRIBUTES:
            label, attribute = ATTRIBUTES[str(name)]
            entity_for = regions.get(str(item.get("id", "")))
            choices = value.get("choices") or []
            if entity_for is None:
                continue  # its span was reported above
            if entity_for.label != label:
                parsed.problems.append(f"{name} {choices} on a {entity_for.label} span {entity_for.text!r}: ignored")
                continue
            if choices:
                setattr(entity_for, attribute, str(choices[0]))
        elif item.get("type") == "choices" and name in (RELEVANT, CATEGORY):
            choices = value.get("choices") or []
            if not choices:
                continue
            if name == RELEVANT:
                parsed.doc["relevant"] = choices[0] == "yes"
            else:
                parsed.doc["category"] = str(choices[0])
        elif item.get("type") == "textarea" and name == NOTES:
            notes = [str(t) for t in value.get("text") or [] if str(t).strip()]
            if notes:
                parsed.doc["notes"] = "\n".join(notes)
        elif item.get("type") == "relation":
            relation = _relation(item, regions, parsed.problems)
            if relation is not None:
                parsed.relations.append(relation)

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
    if label == "uses" and child.label != "TECHNOLOGY":
        problems.append(f"relation uses: {child.text!r} is a {child.label}, not a TECHNOLOGY: ignored")
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
    with store.db:
        stored = {
            int(r["annotation_id"]): (r["updated_at"], r["result"], r["text_sha256"])
            for r in store.db.execute(
                "SELECT annotation_id, updated_at, result, text_sha256 FROM gold_annotations WHERE project_id = ?",
                (project_id,),
            )
        }
        for row in rows:
            result_json = json.dumps(row.result, sort_keys=True, ensure_ascii=False)
            before = stored.pop(row.annotation_id, None)
            if before is None:
                counts["new"] += 1
            elif before == (row.updated_at, result_json, row.text_sha256):
                counts["unchanged"] += 1
            else:
                counts["updated"] += 1
            store.db.execute(
                """INSERT OR REPLACE INTO gold_annotations (project_id, annotation_id, task_id, article_id,
                annotator, created_at, updated_at, lead_time, status, ground_truth, text_sha256, result, entities,
                relations, doc, problems, pulled_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)""",
                (
                    project_id,
                    row.annotation_id,
                    row.task_id,
                    row.article_id,
                    row.annotator,
                    row.created_at,
                    row.updated_at,
                    row.lead_time,
                    row.status,
                    int(row.ground_truth),
                    row.text_sha256,
                    result_json,
                    json.dumps([e.to_dict() for e in row.parsed.entities], ensure_ascii=False),
                    json.dumps(row.parsed.relations),
                    json.dumps(row.parsed.doc, ensure_ascii=False),
                    json.dumps(row.parsed.problems, ensure_ascii=False),
                    now,
                ),
            )
            item = f"labelstudio:{project_id}:{row.annotation_id}"
            if row.parsed.problems and not row.cancelled:
                reason = f"{len(row.parsed.problems)} item(s) left out: " + "; ".join(row.parsed.problems)
                store.db.execute(
                    "INSERT OR REPLACE INTO rejects (item, stage, reason, at) VALUES (?,?,?,?)",
                    (item, REJECT_STAGE, reason[:2000], now),
                )
            else:
                store.db.execute("DELETE FROM rejects WHERE item = ? AND stage = ?", (item, REJECT_STAGE))
        for annotation_id in stored:
            if annotation_id in keep:
                continue
            store.db.execute(
                "DELETE FROM gold_annotations WHERE project_id = ? AND annotation_id = ?", (project_id, annotation_id)
            )
            store.db.execute(
                "DELETE FROM rejects WHERE item = ? AND stage = ?",
                (f"labelstudio:{project_id}:{annotation_id}", REJECT_STAGE),
            )
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
    rows = store.db.execute(
        """SELECT * FROM gold_annotations WHERE status != 'cancelled'
        ORDER BY article_id, COALESCE(updated_at, ''), annotation_id"""
    )
    for r in rows:
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
def _vote(values: list[Any], latest: Any) -> tuple[bool, Any]:
    """Majority among ``values``; on a tie the value of the most recent annotation wins (if it is one of them)."""
    counts = Counter(values)
    if not counts:
        return False, None
    top = max(counts.values())
    leaders = [v for v, n in counts.items() if n == top]
    if len(leaders) == 1:
        return True, leaders[0]
    return (True, latest) if latest in leaders else (True, leaders[0])


def resolve(annotations: list[StoredAnnotation]) -> tuple[list[Entity], list[dict[str, Any]], dict[str, Any], str]:
    """Resolve one article's annotations (oldest update first) by the rule in the module docstring.

    Returns (entities, relations, doc, rule) where rule is ``single``, ``ground_truth`` or ``majority``.
    """
    if len(annotations) == 1:
        only = annotations[0]
        return only.entities, only.relations, only.doc, "single"
    truth = [a for a in annotations if a.ground_truth]
    if truth:
        latest = truth[-1]
        return latest.entities, latest.relations, latest.doc, "ground_truth"

    n = len(annotations)
    latest = annotations[-1]

    def kept(count: int, in_latest: bool) -> bool:
        return 2 * count > n or (2 * count == n and in_latest)

    SpanKey = tuple[int, int, str]
    span_votes: Counter[SpanKey] = Counter()
    marked: dict[SpanKey, list[tuple[StoredAnnotation, Entity]]] = {}
    for annotation in annotations:
        for entity in {(e.start, e.end, e.label): e for e in annotation.entities}.values():
            key: SpanKey = (entity.start, entity.end, str(entity.label))
            span_votes[key] += 1
            marked.setdefault(key, []).append((annotation, entity))
    latest_spans = {(e.start, e.end, e.label) for e in latest.entities}
    entities: list[Entity] = []
    for key, count in span_votes.items():
        if not kept(count, key in latest_spans):
            continue
        voters = marked[key]
        base = voters[-1][1]
        resolved = Entity(start=base.start, end=base.end, text=base.text, label=base.label, source="gold")
        for _, attribute in ATTRIBUTES.values():
            values = [getattr(e, attribute) for _, e in voters if getattr(e, attribute) is not None]
            if values:
                _, choice = _vote(values, getattr(voters[-1][1], attribute))
                setattr(resolved, attribute, choice)
        entities.append(resolved)
    entities.sort(key=lambda e: (e.start, e.end, e.label))

    spans = {(e.start, e.end) for e in entities}
    relation_votes: Counter[str] = Counter()
    for annotation in annotations:
        for rel in {json.dumps(r, sort_keys=True) for r in annotation.relations}:
            relation_votes[rel] += 1
    latest_relations = {json.dumps(r, sort_keys=True) for r in latest.relations}
    relations = [
        json.loads(rel)
        for rel, count in sorted(relation_votes.items())
        if kept(count, rel in latest_relations)
        and tuple(json.loads(rel)["from"]) in spans
        and tuple(json.loads(rel)["to"]) in spans
    ]

    doc: dict[str, Any] = {}
    for name in ("relevant", "category"):
        values = [a.doc[name] for a in annotations if a.doc.get(name) is not None]
        if values:
            _, doc[name] = _vote(values, latest.doc.get(name))
    return entities, relations, doc, "majority"


def iter_gold(store: Store) -> Iterator[dict[str, Any]]:
    """Resolved gold, one record per annotated article still in the store with unchanged text, by article id.

    Keys: id, text, entities (Entity dicts, code-point offsets, source "gold"), relations, relevant (bool or
    None), category (str or None), annotators (sorted), annotation_ids, task_ids, resolution (the rule used).
    """
    for article_id, kept_annotations in sorted(stored_annotations(store).items()):
        article = store.get_article(article_id)
        if article is None:
            continue
        current = text_sha256(article.text)
        usable = [a for a in kept_annotations if a.text_sha256 == current]
        if not usable:
            continue  # the text changed after annotation: spans would point at the wrong characters
        entities, relations, doc, rule = resolve(usable)
        yield {
            "id": article_id,
            "text": article.text,
            "entities": [e.to_dict() for e in entities],
            "relations": relations,
            "relevant": doc.get("relevant"),
            "category": doc.get("category"),
            "annotators": sorted({a.annotator for a in usable}),
            "annotation_ids": [a.annotation_id for a in usable],
            "task_ids": sorted({a.task_id for a in usable}),
            "resolution": rule,
        }
