"""Inter-annotator agreement from pulled gold (Label Studio's community edition computes none).

For every pair of annotators, over the articles both annotated (cancelled annotations left out):
- span F1 per label and overall, exact match on (start, end, label): 2·|A∩B| / (|A| + |B|), which is symmetric,
  so neither annotator has to be taken as the reference;
- Cohen's kappa on each document choice (relevant, category) over the articles where both made that choice.
Only annotations checked against the current article text are compared.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

from pipeline.annotate.gold import StoredAnnotation, stored_annotations, text_sha256
from pipeline.records import ENTITY_LABELS
from pipeline.store import Store

DOC_CHOICES = ("relevant", "category")


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


@dataclass
class SpanScore:
    common: int = 0
    first: int = 0
    second: int = 0

    @property
    def f1(self) -> float | None:
        total = self.first + self.second
        return None if total == 0 else 2 * self.common / total


@dataclass
class PairAgreement:
    first: str
    second: str
    articles: int
    spans: dict[str, SpanScore] = field(default_factory=dict)  # label or "ALL" → counts
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
            "kappa": self.kappa,
            "kappa_items": self.kappa_items,
        }


def _latest_by_annotator(annotations: list[StoredAnnotation]) -> dict[str, StoredAnnotation]:
    """One annotation per annotator and article: their most recent (annotations come oldest first)."""
    return {a.annotator: a for a in annotations}


def pairwise_agreement(store: Store) -> list[PairAgreement]:
    current = {a.id: text_sha256(a.text) for a in store.articles()}
    per_article = {
        article_id: _latest_by_annotator([a for a in annotations if a.text_sha256 == current.get(article_id)])
        for article_id, annotations in stored_annotations(store).items()
    }
    annotators = sorted({who for by_who in per_article.values() for who in by_who})
    pairs: list[PairAgreement] = []
    for first, second in combinations(annotators, 2):
        shared = [(by[first], by[second]) for by in per_article.values() if first in by and second in by]
        if not shared:
            continue
        pair = PairAgreement(first, second, articles=len(shared))
        for label in (*ENTITY_LABELS, "ALL"):
            score = SpanScore()
            for a, b in shared:
                spans_a = {(e.start, e.end, e.label) for e in a.entities if label in ("ALL", e.label)}
                spans_b = {(e.start, e.end, e.label) for e in b.entities if label in ("ALL", e.label)}
                score.common += len(spans_a & spans_b)
                score.first += len(spans_a)
                score.second += len(spans_b)
            pair.spans[label] = score
        for choice in DOC_CHOICES:
            rated = [
                (a.doc[choice], b.doc[choice])
                for a, b in shared
                if a.doc.get(choice) is not None and b.doc.get(choice) is not None
            ]
            pair.kappa[choice] = cohen_kappa([x for x, _ in rated], [y for _, y in rated])
            pair.kappa_items[choice] = len(rated)
        pairs.append(pair)
    return pairs
