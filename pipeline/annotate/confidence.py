"""How sure the tagger is of each span it pre-annotates, and how uncertain it is about a whole article.

Span scores come from the pipeline itself at push time:

- spans the statistical NER found (source ``ner``) get the NER's own probability for that span and label: the
  NER's greedy parse replayed step by step, the product of the softmax probabilities of the entity's transitions;
- spans the rules found (gazetteer, place names, taxonomy patterns) start from a fixed, lower prior per source
  (``SOURCE_PRIORS``) and are raised by the NER's agreement: ``prior + (1 - prior) * p_ner``;
- a score the tagger already set on the entity (``Entity.score``) is used as it is.

The article's uncertainty (what ``--strategy uncertain`` sorts by and what the task's prediction score carries)
is the mean of its three most uncertain items, where an item is a span (``1 - |2s - 1|``: highest at s = 0.5,
a low-margin span), a disagreement between the NER and the rules (the NER proposes a span, with probability p,
that the final spans do not have or label otherwise: ``max(p, 0.5)``), or the relevance decision (its margin
from the threshold).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.records import Article

# where a span came from → the prior its score starts from (the NER's own spans use the model's probability)
SOURCE_PRIORS: dict[str, float] = {
    "gazetteer": 0.75,
    "geonames": 0.7,
    "taxonomy": 0.7,
    "pattern": 0.55,
}
DEFAULT_PRIOR = 0.5
# what annotators read in the region meta: where the span came from
SOURCE_NAMES = {"ner": "model", "gazetteer": "gazetteer", "geonames": "gazetteer", "taxonomy": "pattern"}
NER_TO_LABEL = {
    "PERSON": "ACTOR",
    "PER": "ACTOR",
    "ORG": "ACTOR",
    "NORP": "ACTOR",
    "LOC": "LOCATION",
    "GPE": "LOCATION",
    "FAC": "LOCATION",
}
PROPOSAL_MIN = 0.3  # an NER proposal below this probability is not counted as a disagreement
TOP_ITEMS = 3


def source_name(source: str | None) -> str:
    return SOURCE_NAMES.get(source or "", source or "unknown")


@dataclass
class ArticleConfidence:
    """Scores of one article's entities (in ``article.entities`` order) and its uncertainty."""

    scores: list[float]
    disagreements: list[str] = field(default_factory=list)
    uncertainty: float = 0.0


def span_uncertainty(score: float) -> float:
    return 1.0 - abs(2.0 * score - 1.0)


def relevance_uncertainty(relevance: float, threshold: float) -> float:
    room = max(threshold, 1.0 - threshold) or 1.0
    return max(0.0, 1.0 - abs(relevance - threshold) / room)


def article_uncertainty(items: Iterable[float]) -> float:
    top = sorted(items, reverse=True)[:TOP_ITEMS]
    return round(sum(top) / len(top), 4) if top else 0.0


class Scorer:
    """Scores articles' spans with an NER pipeline (or priors only when there is none)."""

    def __init__(self, nlp: Any | None = None, *, threshold: float = 0.5) -> None:
        self.nlp = nlp if nlp is not None and "ner" in getattr(nlp, "pipe_names", []) else None
        self.threshold = threshold

    @classmethod
    def for_model(cls, model: str | Path | None, *, threshold: float = 0.5) -> Scorer:
        """A scorer over a pipeline name or path ("survnews_base" is the shipped one). Without a loadable
        pipeline with an NER ("blank", None, not trained yet) spans keep their source priors."""
        if model is None or str(model) == "blank":
            return cls(None, threshold=threshold)
        import spacy

        from pipeline.paths import MODELS_DIR

        shipped = MODELS_DIR / str(model)
        try:
            nlp = spacy.load(shipped if (shipped / "config.cfg").is_file() else model)
        except (OSError, ValueError, KeyError, ImportError):
            return cls(None, threshold=threshold)  # no NER to ask: rule priors still order the work
        return cls(nlp, threshold=threshold)

    def _ner_scores(self, texts: list[str]) -> list[dict[tuple[int, int, str], float]]:
        """The NER's own entities with their probabilities: the greedy parse the tagger makes, replayed step by
        step; an entity's probability is the product of the softmax probabilities of its transitions (B…L or U)
        among the valid ones. (A beam over a greedily trained model is not calibrated: it favours long spans.)"""
        import numpy as np

        assert self.nlp is not None
        upstream = [name for name in self.nlp.pipe_names if name in ("tok2vec", "transformer")]
        with self.nlp.select_pipes(enable=upstream):
            docs = list(self.nlp.pipe(texts))
        ner = self.nlp.get_pipe("ner")
        moves = ner.moves
        names = [moves.get_class_name(i) for i in range(moves.n_moves)]
        step_model = ner.model.predict(docs)
        states = moves.init_batch(docs)
        taken: list[list[tuple[int, str, float]]] = [[] for _ in docs]
        while True:
            active = [(i, state) for i, state in enumerate(states) if not state.is_final()]
            if not active:
                break
            scores = step_model.predict([state for _, state in active])
            for (i, state), row in zip(active, scores, strict=True):
                valid = np.array([moves.is_valid(state, name) for name in names])
                logits = np.where(valid, row, -np.inf)
                probs = np.exp(logits - logits.max())
                probs /= probs.sum()
                best = int(probs.argmax())
                taken[i].append((int(state.B(0)), names[best], float(probs[best])))
                moves.apply_transition(state, names[best])
        out = []
        for doc, steps in zip(docs, taken, strict=True):
            mapped: dict[tuple[int, int, str], float] = {}
            start, p = -1, 1.0
            for token, action, prob in steps:
                move, _, label = action.partition("-")
                if move in ("B", "U"):
                    start, p = token, 1.0
                p *= prob
                ours = NER_TO_LABEL.get(label)
                if move in ("L", "U") and start >= 0 and ours is not None:
                    span = doc[start : token + 1]
                    mapped[(span.start_char, span.end_char, ours)] = round(p, 4)
                if move in ("L", "U", "O"):
                    start = -1
            out.append(mapped)
        return out

    def score(self, articles: list[Article]) -> list[ArticleConfidence]:
        ner = self._ner_scores([a.text for a in articles]) if self.nlp is not None and articles else None
        results = []
        for n, article in enumerate(articles):
            proposals = ner[n] if ner is not None else {}
            results.append(self._score_one(article, proposals))
        return results

    def _score_one(self, article: Article, proposals: dict[tuple[int, int, str], float]) -> ArticleConfidence:
        scores: list[float] = []
        for entity in article.entities:
            p_ner = proposals.get((entity.start, entity.end, entity.label), 0.0)
            if entity.score is not None:
                score = float(entity.score)
            elif entity.source == "ner":
                # the components may trim an NER span ("the" dropped): take the best overlapping proposal
                p_ner = p_ner or max(
                    (
                        p
                        for (s, e, label), p in proposals.items()
                        if label == entity.label and s < entity.end and entity.start < e
                    ),
                    default=0.0,
                )
                score = p_ner if proposals or self.nlp is not None else DEFAULT_PRIOR
            else:
                prior = SOURCE_PRIORS.get(entity.source or "", DEFAULT_PRIOR)
                score = prior + (1.0 - prior) * p_ner
            scores.append(round(min(1.0, max(0.0, score)), 4))
        disagreements: list[tuple[str, float]] = []
        for (start, end, label), p in sorted(proposals.items()):
            if p < PROPOSAL_MIN:
                continue
            overlapping = [e for e in article.entities if e.start < end and start < e.end]
            if not overlapping:
                disagreements.append((f"NER proposes {article.text[start:end]!r} ({label}), the rules do not", p))
            elif all(e.label != label for e in overlapping):
                other = ", ".join(sorted({f"{e.text!r} {e.label}" for e in overlapping}))
                disagreements.append((f"NER says {article.text[start:end]!r} is {label}; final spans: {other}", p))
        items = [span_uncertainty(s) for s in scores]
        items += [max(p, 0.5) for _, p in disagreements]
        items.append(relevance_uncertainty(article.relevance, self.threshold))
        return ArticleConfidence(scores, [d for d, _ in disagreements], article_uncertainty(items))
