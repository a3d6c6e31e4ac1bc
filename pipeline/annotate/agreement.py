"""Agreement a lead can act on, from pulled gold (Label Studio's community edition computes none).

Raters are the annotators; a reviewer's decision (or an annotation marked ground truth) is the reference, not a
rater, and is left out. Each annotator counts with their latest annotation of an article; cancelled ones and
annotations of an older text are left out. For every pair of annotators, over the articles both annotated:

- span F1 per label and overall, exact match on (start, end, label): 2·|A∩B| / (|A| + |B|), symmetric, so
  neither annotator is the reference;
- attribute agreement on the spans both marked: the share with the same actor type, technology category,
  country or private-person flag;
- relation F1 on (relation, from span, to span), the same formula as spans;
- Cohen's kappa on each document choice (relevant, category) where both made it.

Across all annotators: the same figures summed over pairs (micro), and Fleiss' kappa on each document choice
(articles with two or more raters; the usual generalisation to a varying number of raters per article).

Model against annotators, per label: the tagger's stored spans against each annotation of the same text, how
many the annotator kept, removed and added, the correction rate ``(removed + added) / (kept + removed +
added)``, and how often a kept span's attribute was changed. Time per task per annotator: Label Studio's
``lead_time`` (seconds spent in the editor), count, mean and median.
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

from pipeline.annotate.gold import (
    LABEL_ATTRIBUTES,
    StoredAnnotation,
    attribute_value,
    latest_per_annotator,
    stored_annotations,
    text_sha256,
)
from pipeline.records import ENTITY_LABELS, Entity
from pipeline.store import Store

DOC_CHOICES = ("relevant", "category")
ATTRIBUTE_NAMES = ("actor_type", "category", "country", "private_person")


def cohen_kappa(first: list[Any], second: list[Any]) -> float | None:
    """Cohen's kappa of two raters over the same items; None when undefined (no items, or chance agreement 1)."""
    if len(first) != len(second):
        raise ValueError("both raters must rate the same items")
    n = len(first)
    if n == 0:
        return None
    observed = sum(a == b for a, b in zip(first, second, strict=True)) / n
    counts_a, counts_b = Counter(first), Counter(second)
    expected = sum(counts_a[k] * counts_b[k] for k in counts_a) / (n * n)
    if expected == 1.0:
        return None
    return (observed - expected) / (1.0 - expected)


def fleiss_kappa(items: list[list[Any]]) -> float | None:
    """Fleiss' kappa over items each rated by two or more raters (the number may vary per item).

    P_i = (Σ_j n_ij² − n_i) / (n_i (n_i − 1)); P̄ = mean P_i; p_j = Σ_i n_ij / Σ_i n_i; P_e = Σ_j p_j²;
    kappa = (P̄ − P_e) / (1 − P_e). None when no item has two raters or P_e = 1.
    """
    rated = [ratings for ratings in items if len(ratings) >= 2]
    if not rated:
        return None
    agreement = []
    totals: Counter[Any] = Counter()
    for ratings in rated:
        counts = Counter(ratings)
        n = len(ratings)
        agreement.append((sum(c * c for c in counts.values()) - n) / (n * (n - 1)))
        totals.update(counts)
    p_bar = sum(agreement) / len(agreement)
    all_ratings = sum(totals.values())
    p_e = sum((c / all_ratings) ** 2 for c in totals.values())
    if p_e == 1.0:
        return None
    return (p_bar - p_e) / (1.0 - p_e)


@dataclass
class SpanScore:
    common: int = 0
    first: int = 0
    second: int = 0

    @property
    def f1(self) -> float | None:
        total = self.first + self.second
        return None if total == 0 else 2 * self.common / total

    def add(self, other: SpanScore) -> None:
        self.common += other.common
        self.first += other.first
        self.second += other.second

    def to_dict(self) -> dict[str, Any]:
        return {"f1": self.f1, "common": self.common, "first": self.first, "second": self.second}


@dataclass
class Matches:
    agree: int = 0
    compared: int = 0

    @property
    def rate(self) -> float | None:
        return None if self.compared == 0 else self.agree / self.compared

    def add(self, other: Matches) -> None:
        self.agree += other.agree
        self.compared += other.compared

    def to_dict(self) -> dict[str, Any]:
        return {"agreement": self.rate, "agree": self.agree, "compared": self.compared}


@dataclass
class PairAgreement:
    first: str
    second: str
    articles: int
    spans: dict[str, SpanScore] = field(default_factory=dict)  # label or "ALL" → counts
    attributes: dict[str, Matches] = field(default_factory=dict)
    relations: SpanScore = field(default_factory=SpanScore)
    kappa: dict[str, float | None] = field(default_factory=dict)  # doc choice → kappa
    kappa_items: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "annotators": [self.first, self.second],
            "articles": self.articles,
            "span_f1": {k: v.f1 for k, v in self.spans.items()},
            "span_counts": {
                k: {"common": v.common, "first": v.first, "second": v.second} for k, v in self.spans.items()
            },
            "attributes": {k: v.to_dict() for k, v in self.attributes.items()},
            "relation_f1": self.relations.f1,
            "relation_counts": self.relations.to_dict(),
            "kappa": self.kappa,
            "kappa_items": self.kappa_items,
        }


@dataclass
class Correction:
    predicted: int = 0
    kept: int = 0
    removed: int = 0
    added: int = 0
    attribute_changed: int = 0  # kept spans whose attribute the annotator changed
    attribute_compared: int = 0

    @property
    def rate(self) -> float | None:
        total = self.kept + self.removed + self.added
        return None if total == 0 else (self.removed + self.added) / total

    def to_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "correction_rate": self.rate}


@dataclass
class AgreementReport:
    pairs: list[PairAgreement]
    spans: dict[str, SpanScore]
    attributes: dict[str, Matches]
    relations: SpanScore
    fleiss: dict[str, float | None]
    fleiss_items: dict[str, int]
    corrections: dict[str, Correction]
    lead_time: dict[str, dict[str, float | int | None]]
    articles: int  # articles with two or more annotators

    def to_dict(self) -> dict[str, Any]:
        return {
            "articles_compared": self.articles,
            "span_f1": {k: v.to_dict() for k, v in self.spans.items()},
            "attributes": {k: v.to_dict() for k, v in self.attributes.items()},
            "relation_f1": self.relations.to_dict(),
            "fleiss_kappa": self.fleiss,
            "fleiss_items": self.fleiss_items,
            "model_corrections": {k: v.to_dict() for k, v in self.corrections.items()},
            "lead_time_s": self.lead_time,
            "pairs": [p.to_dict() for p in self.pairs],
        }


def _span_keys(entities: list[Entity], label: str) -> set[tuple[int, int, str]]:
    return {(e.start, e.end, e.label) for e in entities if label in ("ALL", e.label)}


def _relation_keys(annotation: StoredAnnotation) -> set[tuple[str, int, int, int, int]]:
    return {(r["label"], *r["from"], *r["to"]) for r in annotation.relations}


def _attribute_matches(a: StoredAnnotation, b: StoredAnnotation) -> dict[str, Matches]:
    out = {name: Matches() for name in ATTRIBUTE_NAMES}
    by_key = {(e.start, e.end, e.label): e for e in b.entities}
    for entity in a.entities:
        other = by_key.get((entity.start, entity.end, entity.label))
        if other is None:
            continue
        for name in LABEL_ATTRIBUTES.get(entity.label, ()):
            out[name].compared += 1
            out[name].agree += attribute_value(entity, name) == attribute_value(other, name)
    return out


def _raters(store: Store) -> tuple[dict[str, list[StoredAnnotation]], dict[str, list[Entity]]]:
    """Article id → each annotator's latest usable annotation; article id → the tagger's stored spans."""
    per_article: dict[str, list[StoredAnnotation]] = {}
    predicted: dict[str, list[Entity]] = {}
    for article_id, kept in stored_annotations(store).items():
        article = store.get_article(article_id)
        if article is None:
            continue
        current = text_sha256(article.text)
        usable = [a for a in kept if a.text_sha256 == current and not a.ground_truth]
        if usable:
            per_article[article_id] = latest_per_annotator(usable)
            predicted[article_id] = article.entities
    return per_article, predicted


def pairwise_agreement(store: Store) -> list[PairAgreement]:
    return agreement_report(store).pairs


def agreement_report(store: Store) -> AgreementReport:
    per_article, predicted = _raters(store)
    annotators = sorted({a.annotator for people in per_article.values() for a in people})
    pairs: list[PairAgreement] = []
    for first, second in combinations(annotators, 2):
        shared = []
        for people in per_article.values():
            by_who = {a.annotator: a for a in people}
            if first in by_who and second in by_who:
                shared.append((by_who[first], by_who[second]))
        if not shared:
            continue
        pair = PairAgreement(first, second, articles=len(shared))
        for label in (*ENTITY_LABELS, "ALL"):
            score = SpanScore()
            for a, b in shared:
                spans_a, spans_b = _span_keys(a.entities, label), _span_keys(b.entities, label)
                score.add(SpanScore(len(spans_a & spans_b), len(spans_a), len(spans_b)))
            pair.spans[label] = score
        pair.attributes = {name: Matches() for name in ATTRIBUTE_NAMES}
        for a, b in shared:
            for name, matches in _attribute_matches(a, b).items():
                pair.attributes[name].add(matches)
            rel_a, rel_b = _relation_keys(a), _relation_keys(b)
            pair.relations.add(SpanScore(len(rel_a & rel_b), len(rel_a), len(rel_b)))
        for choice in DOC_CHOICES:
            rated = [
                (a.doc[choice], b.doc[choice])
                for a, b in shared
                if a.doc.get(choice) is not None and b.doc.get(choice) is not None
            ]
            pair.kappa[choice] = cohen_kappa([x for x, _ in rated], [y for _, y in rated])
            pair.kappa_items[choice] = len(rated)
        pairs.append(pair)

    spans = {label: SpanScore() for label in (*ENTITY_LABELS, "ALL")}
    attributes = {name: Matches() for name in ATTRIBUTE_NAMES}
    relations = SpanScore()
    for pair in pairs:
        for label, score in pair.spans.items():
            spans[label].add(score)
        for name, matches in pair.attributes.items():
            attributes[name].add(matches)
        relations.add(pair.relations)

    fleiss: dict[str, float | None] = {}
    fleiss_items: dict[str, int] = {}
    for choice in DOC_CHOICES:
        items = [
            [a.doc[choice] for a in people if a.doc.get(choice) is not None]
            for people in per_article.values()
            if len(people) >= 2
        ]
        items = [ratings for ratings in items if len(ratings) >= 2]
        fleiss[choice], fleiss_items[choice] = fleiss_kappa(items), len(items)

    corrections = {label: Correction() for label in (*ENTITY_LABELS, "ALL")}
    for article_id, people in per_article.items():
        for annotation in people:
            for label in (*ENTITY_LABELS, "ALL"):
                model = {(e.start, e.end, e.label): e for e in predicted[article_id] if label in ("ALL", e.label)}
                human = {(e.start, e.end, e.label): e for e in annotation.entities if label in ("ALL", e.label)}
                c = corrections[label]
                c.predicted += len(model)
                c.kept += len(model.keys() & human.keys())
                c.removed += len(model.keys() - human.keys())
                c.added += len(human.keys() - model.keys())
                for key in model.keys() & human.keys():
                    for name in LABEL_ATTRIBUTES.get(key[2], ()):
                        if name == "private_person" and model[key].actor_type != "person":
                            continue
                        c.attribute_compared += 1
                        c.attribute_changed += attribute_value(model[key], name) != attribute_value(human[key], name)

    return AgreementReport(
        pairs=pairs,
        spans=spans,
        attributes=attributes,
        relations=relations,
        fleiss=fleiss,
        fleiss_items=fleiss_items,
        corrections=corrections,
        lead_time=lead_times(store),
        articles=sum(1 for people in per_article.values() if len(people) >= 2),
    )


def lead_times(store: Store) -> dict[str, dict[str, float | int | None]]:
    """Annotator → {tasks, mean, median} of Label Studio's lead_time (seconds), non-cancelled annotations."""
    times: dict[str, list[float]] = {}
    for row in store.kept_gold(ground_truth=False):
        times.setdefault(row["annotator"], [])
        if row["lead_time"] is not None:
            times[row["annotator"]].append(float(row["lead_time"]))
    return {
        who: {
            "tasks": len(values),
            "mean": round(statistics.fmean(values), 2) if values else None,
            "median": round(statistics.median(values), 2) if values else None,
        }
        for who, values in sorted(times.items())
    }
