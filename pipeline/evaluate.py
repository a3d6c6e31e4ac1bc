"""Measure entity tagging against gold annotations: precision, recall and F1 per label, exact and overlap.

Gold comes as a Label Studio export (JSON, or the JSON_MIN shape), as our JSONL (``{"text", "entities": [{"start",
"end", "label"}]}``), or, for the base NER's PERSON/ORG/LOC, as a spaCy DocBin or an IOB1/IOB2 file.

The scoring core (:func:`score_spans`) takes plain character-span lists, so it is independent of any model:

- *exact*: a prediction is right when start, end and label equal a gold span's;
- *overlap*: a prediction is right when it shares at least one character with a gold span of the same label.
  Matching is one-to-one (largest overlaps first), so one long prediction cannot claim two gold spans.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from rich.table import Table

from pipeline.components.common import NER_LABEL_MAP as COMPONENT_LABEL_MAP
from pipeline.errors import RejectError

BASE_LABELS: tuple[str, ...] = ("PERSON", "ORG", "LOC")
# Labels of other spaCy pipelines (OntoNotes, CoNLL) mapped to the base labels, as the tagger maps them;
# NORP and the rest are not scored.
NER_LABEL_MAP: dict[str, str] = {k: v for k, v in COMPONENT_LABEL_MAP.items() if v in BASE_LABELS}
ALL = "ALL"  # the micro-averaged row over every label
ATTRIBUTE_NAMES = ("actor_type", "category", "country", "private_person")

Mode = Literal["auto", "entities", "ner"]


@dataclass(frozen=True, order=True)
class CharSpan:
    start: int
    end: int
    label: str


@dataclass
class GoldDoc:
    text: str
    spans: list[CharSpan]
    id: str | None = None
    # Gold attributes of a span (actor_type, category, country, private_person), where the gold file gives them.
    attributes: dict[CharSpan, dict[str, Any]] = field(default_factory=dict)


@dataclass
class LabelScore:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def add(self, other: LabelScore) -> None:
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn

    def to_dict(self) -> dict[str, float | int]:
        return {
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "gold": self.tp + self.fn,
            "predicted": self.tp + self.fp,
        }


@dataclass
class Scores:
    """Per-label counts for both matching modes; ``ALL`` is the micro average."""

    exact: dict[str, LabelScore] = field(default_factory=dict)
    overlap: dict[str, LabelScore] = field(default_factory=dict)
    docs: int = 0

    @property
    def labels(self) -> list[str]:
        return sorted(k for k in self.exact if k != ALL)

    def to_dict(self) -> dict[str, Any]:
        return {
            "docs": self.docs,
            "exact": {k: v.to_dict() for k, v in self.exact.items()},
            "overlap": {k: v.to_dict() for k, v in self.overlap.items()},
        }


# ---------------------------------------------------------------- scoring core


def _match_exact(gold: Sequence[CharSpan], predicted: Sequence[CharSpan]) -> int:
    remaining = list(gold)
    hits = 0
    for span in predicted:
        if span in remaining:
            remaining.remove(span)
            hits += 1
    return hits


def _match_overlap(gold: Sequence[CharSpan], predicted: Sequence[CharSpan]) -> int:
    pairs = []
    for gi, g in enumerate(gold):
        for pi, p in enumerate(predicted):
            shared = min(g.end, p.end) - max(g.start, p.start)
            if shared > 0:
                pairs.append((shared, gi, pi))
    pairs.sort(key=lambda t: (-t[0], t[1], t[2]))
    used_gold: set[int] = set()
    used_pred: set[int] = set()
    for _shared, gi, pi in pairs:
        if gi not in used_gold and pi not in used_pred:
            used_gold.add(gi)
            used_pred.add(pi)
    return len(used_gold)


def score_spans(
    gold: Sequence[Iterable[CharSpan]], predicted: Sequence[Iterable[CharSpan]], labels: Iterable[str] | None = None
) -> Scores:
    """Score predicted spans against gold spans, document by document (both lists in the same order).

    ``labels`` restricts the scored labels (spans of other labels are ignored on both sides); by default every
    label seen in gold or predictions is scored.
    """
    if len(gold) != len(predicted):
        raise ValueError(f"{len(gold)} gold documents but {len(predicted)} predicted")
    wanted = set(labels) if labels is not None else None
    scores = Scores(docs=len(gold))
    for gold_doc, pred_doc in zip(gold, predicted, strict=True):
        gold_spans = [s for s in gold_doc if wanted is None or s.label in wanted]
        pred_spans = [s for s in pred_doc if wanted is None or s.label in wanted]
        for label in {s.label for s in gold_spans} | {s.label for s in pred_spans}:
            g = [s for s in gold_spans if s.label == label]
            p = [s for s in pred_spans if s.label == label]
            for table, hits in ((scores.exact, _match_exact(g, p)), (scores.overlap, _match_overlap(g, p))):
                table.setdefault(label, LabelScore()).add(LabelScore(tp=hits, fp=len(p) - hits, fn=len(g) - hits))
    for label in wanted or ():
        scores.exact.setdefault(label, LabelScore())
        scores.overlap.setdefault(label, LabelScore())
    for table in (scores.exact, scores.overlap):
        total = LabelScore()
        for score in table.values():
            total.add(score)
        ordered = dict(sorted(table.items()))
        table.clear()
        table.update(ordered)
        table[ALL] = total
    return scores


# ---------------------------------------------------------------- gold loading


def _align(text: str, start: int, end: int, surface: str | None) -> tuple[int, int] | None:
    """Character offsets in ``text`` for a span, trusting ``surface`` when the offsets disagree with it.

    Label Studio counts offsets in UTF-16 code units (JavaScript strings), which differ from Python's after an
    emoji or other astral character; such spans are re-found by their text near the given position.
    """
    if 0 <= start < end <= len(text) and (not surface or text[start:end] == surface):
        return start, end
    if not surface:
        return None
    candidates = [i for i in _find_all(text, surface)]
    if not candidates:
        return None
    best = min(candidates, key=lambda i: abs(i - start))
    return best, best + len(surface)


def _find_all(text: str, needle: str) -> Iterable[int]:
    pos = text.find(needle)
    while pos >= 0:
        yield pos
        pos = text.find(needle, pos + 1)


def _spans_from_results(text: str, results: Iterable[Any], where: str) -> list[CharSpan]:
    spans: list[CharSpan] = []
    for result in results:
        if not isinstance(result, dict):
            raise RejectError("gold", f"{where}: an annotation result is not an object")
        value = result.get("value", result)  # JSON_MIN puts start/end/labels at the top level
        if not isinstance(value, dict) or "start" not in value or "end" not in value:
            continue  # relations, choices, text areas: not entity spans
        span_labels = value.get("labels") or ([value["label"]] if "label" in value else [])
        try:
            start, end = int(value["start"]), int(value["end"])
        except (TypeError, ValueError):
            raise RejectError("gold", f"{where}: span offsets are not integers: {value!r:.80}") from None
        aligned = _align(text, start, end, value.get("text"))
        if aligned is None:
            raise RejectError("gold", f"{where}: span {start}-{end} lies outside the text or does not match it")
        spans.extend(CharSpan(aligned[0], aligned[1], str(label)) for label in span_labels)
    return sorted(spans)


def _task_text(data: dict[str, Any], where: str) -> str:
    text = data.get("text")
    if isinstance(text, str):
        return text
    strings = [v for v in data.values() if isinstance(v, str) and len(v) > 0]
    if len(strings) == 1:
        return strings[0]
    raise RejectError("gold", f"{where}: no data.text in the task")


def _chosen_annotation(annotations: list[Any]) -> dict[str, Any] | None:
    """The annotation to score: a ground-truth one if marked, else the latest that was not cancelled."""
    usable = [a for a in annotations if isinstance(a, dict) and not a.get("was_cancelled")]
    if not usable:
        return None
    marked = [a for a in usable if a.get("ground_truth")]
    pool = marked or usable
    return max(pool, key=lambda a: str(a.get("updated_at") or a.get("created_at") or ""))


def _label_studio_task(task: dict[str, Any], where: str) -> GoldDoc | None:
    task_id = str(task["id"]) if "id" in task else None
    if isinstance(task.get("data"), dict) and "annotations" in task:
        annotation = _chosen_annotation(task.get("annotations") or [])
        if annotation is None:
            return None  # not annotated yet: unknown, not "no entities"
        text = _task_text(task["data"], where)
        return GoldDoc(text, _spans_from_results(text, annotation.get("result") or [], where), task_id)
    # JSON_MIN: data fields at the top level, each control's regions under its name.
    min_text = task.get("text")
    if not isinstance(min_text, str):
        raise RejectError("gold", f"{where}: neither data/annotations (JSON export) nor text (JSON_MIN)")
    regions = [
        r
        for key, value in task.items()
        if key != "text" and isinstance(value, list)
        for r in value
        if isinstance(r, dict) and "start" in r and "end" in r
    ]
    return GoldDoc(min_text, _spans_from_results(min_text, regions, where), task_id)


def _jsonl_doc(record: dict[str, Any], where: str) -> GoldDoc:
    text = record.get("text")
    if not isinstance(text, str):
        raise RejectError("gold", f"{where}: no text")
    entities = record.get("entities", [])
    if not isinstance(entities, list):
        raise RejectError("gold", f"{where}: entities is not a list")
    spans = _spans_from_results(text, entities, where)
    attributes: dict[CharSpan, dict[str, Any]] = {}
    for entity in entities:
        if isinstance(entity, dict) and "label" in entity and any(k in entity for k in ATTRIBUTE_NAMES):
            aligned = _align(text, int(entity["start"]), int(entity["end"]), entity.get("text"))
            if aligned is not None:
                key = CharSpan(aligned[0], aligned[1], str(entity["label"]))
                attributes[key] = {k: entity[k] for k in ATTRIBUTE_NAMES if k in entity}
    return GoldDoc(text, spans, str(record["id"]) if "id" in record else None, attributes)


def load_gold(path: str | Path) -> list[GoldDoc]:
    """Read gold documents from a Label Studio JSON / JSON_MIN export or from our JSONL.

    Tasks without a usable (non-cancelled) annotation are left out. A malformed file or span raises
    :class:`RejectError` with a one-line reason naming the item.
    """
    path = Path(path)
    try:
        raw = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RejectError("missing", f"{path}: cannot read gold file: {exc}") from None
    stripped = raw.lstrip()
    if not stripped:
        raise RejectError("empty", f"{path}: gold file is empty")
    docs: list[GoldDoc] = []
    if stripped.startswith("["):
        try:
            tasks = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise RejectError("gold", f"{path}: not valid JSON: {exc}") from None
        for index, task in enumerate(tasks):
            if not isinstance(task, dict):
                raise RejectError("gold", f"{path}[{index}]: a task is not an object")
            doc = _label_studio_task(task, f"{path}[{index}]")
            if doc is not None:
                docs.append(doc)
        return docs
    for lineno, line in enumerate(raw.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise RejectError("gold", f"{path}:{lineno}: not valid JSON: {exc}") from None
        if not isinstance(record, dict):
            raise RejectError("gold", f"{path}:{lineno}: a line is not an object")
        if "data" in record and "annotations" in record:  # a Label Studio task written one per line
            doc = _label_studio_task(record, f"{path}:{lineno}")
            if doc is not None:
                docs.append(doc)
        else:
            docs.append(_jsonl_doc(record, f"{path}:{lineno}"))
    return docs


def load_ner_gold(path: str | Path) -> list[GoldDoc]:
    """Gold PERSON/ORG/LOC documents from a spaCy DocBin (``.spacy``) or an IOB1/IOB2 CoNLL-like file."""
    from spacy.tokens import DocBin
    from spacy.vocab import Vocab

    from pipeline.ner_corpora import iob_file_to_docs

    path = Path(path)
    if not path.is_file():
        raise RejectError("missing", f"{path}: gold file not found")
    vocab = Vocab()
    docs = list(DocBin().from_disk(path).get_docs(vocab)) if path.suffix == ".spacy" else iob_file_to_docs(path, vocab)
    return [GoldDoc(doc.text, sorted(CharSpan(e.start_char, e.end_char, e.label_) for e in doc.ents)) for doc in docs]


# ---------------------------------------------------------------- predictions

SpanPredictor = Callable[[list[str]], list[list[CharSpan]]]


def ner_predictor(nlp: Any, *, batch_size: int = 64, label_map: dict[str, str] = NER_LABEL_MAP) -> SpanPredictor:
    """Raw ``doc.ents`` of a spaCy pipeline, labels mapped to PERSON/ORG/LOC (others dropped)."""

    def predict(texts: list[str]) -> list[list[CharSpan]]:
        return [
            [CharSpan(e.start_char, e.end_char, label_map[e.label_]) for e in doc.ents if e.label_ in label_map]
            for doc in nlp.pipe(texts, batch_size=batch_size)
        ]

    return predict


def entity_predictor(nlp: Any) -> SpanPredictor:
    """ACTOR / TECHNOLOGY / LOCATION entities from the survnews tagger (``pipeline.tag``)."""
    from pipeline.tag import tag_texts  # the tagging stage; imported late so scoring works without it

    def predict(texts: list[str]) -> list[list[CharSpan]]:
        return [[CharSpan(e.start, e.end, e.label) for e in entities] for entities in tag_texts(nlp, texts)]

    return predict


def gold_mode(gold_docs: Sequence[GoldDoc]) -> Literal["entities", "ner"]:
    labels = {s.label for d in gold_docs for s in d.spans}
    return "ner" if labels and labels <= set(BASE_LABELS) else "entities"


def evaluate_pipeline(
    nlp_or_tagger: Any, gold_docs: Sequence[GoldDoc], *, mode: Mode = "auto", labels: Iterable[str] | None = None
) -> Scores:
    """Run a pipeline on the gold texts and score its spans.

    ``nlp_or_tagger`` is a loaded spaCy pipeline, a model name/path (loaded with ``pipeline.tag.load_tagger`` for
    entities, or as a spaCy pipeline for ``ner``), or a function from texts to span lists. ``mode`` "entities"
    scores survnews ACTOR/TECHNOLOGY/LOCATION, "ner" the raw PERSON/ORG/LOC; "auto" picks "ner" when the gold
    only has those labels.
    """
    chosen = gold_mode(gold_docs) if mode == "auto" else mode
    predictor: SpanPredictor
    if callable(nlp_or_tagger) and not hasattr(nlp_or_tagger, "pipe"):
        predictor = nlp_or_tagger
    else:
        nlp = nlp_or_tagger
        if isinstance(nlp, str | Path):
            if chosen == "ner":
                from pipeline.train import load_pipeline

                nlp = load_pipeline(str(nlp))
            else:
                from pipeline.tag import load_tagger

                nlp = load_tagger(str(nlp))
        predictor = ner_predictor(nlp) if chosen == "ner" else entity_predictor(nlp)
    texts = [d.text for d in gold_docs]
    predicted = predictor(texts)
    if labels is None and chosen == "ner":
        labels = BASE_LABELS
    return score_spans([d.spans for d in gold_docs], predicted, labels=labels)


def score_ner_file(nlp: Any, path: str | Path) -> Scores:
    """Base-NER scores (PERSON/ORG/LOC) of a spaCy pipeline on a DocBin or IOB file (e.g. UNER English-PUD)."""
    return evaluate_pipeline(nlp, load_ner_gold(path), mode="ner", labels=BASE_LABELS)


def load_any_gold(path: str | Path) -> list[GoldDoc]:
    """Gold from any supported file: Label Studio/JSONL by content, DocBin/IOB by extension."""
    path = Path(path)
    if path.suffix in (".json", ".jsonl", ".ndjson"):
        return load_gold(path)
    if path.suffix == ".spacy":
        return load_ner_gold(path)
    try:
        with path.open(encoding="utf-8", errors="replace") as fh:
            head = fh.read(1024).lstrip("\ufeff \t\r\n")[:1]
    except OSError as exc:
        raise RejectError("missing", f"{path}: cannot read gold file: {exc}") from None
    return load_gold(path) if head in ("[", "{") else load_ner_gold(path)


# ---------------------------------------------------------------- output


def scores_table(scores: Scores, title: str = "survnews evaluate") -> Table:
    table = Table(
        title=f"{title} ({scores.docs} documents)",
        title_justify="left",
        caption="ex = exact span and label; ov = overlapping span, same label (one-to-one)",
        caption_justify="left",
    )
    table.add_column("label", no_wrap=True)
    for column in ("gold", "pred"):
        table.add_column(column, justify="right")
    for match in ("ex", "ov"):
        for metric in ("P", "R", "F1"):
            table.add_column(f"{match} {metric}", justify="right", no_wrap=True)
    for label in [*scores.labels, ALL]:
        exact, overlap = scores.exact[label], scores.overlap[label]
        table.add_row(
            label,
            str(exact.tp + exact.fn),
            str(exact.tp + exact.fp),
            *(f"{v:.3f}" for v in (exact.precision, exact.recall, exact.f1)),
            *(f"{v:.3f}" for v in (overlap.precision, overlap.recall, overlap.f1)),
            end_section=label == scores.labels[-1] if scores.labels else False,
        )
    return table


# ---------------------------------------------------------------- attributes (actor_type, category, country, private)


@dataclass
class AttributeScores:
    """Attribute accuracy on the spans a prediction got right (overlap, same label, one-to-one), and the
    ``private_person`` flag as a detection task: precision and recall of the persons flagged private.

    ``documents`` repeats the span F1 on document-level entity sets (distinct label + lower-cased text per
    document), the way hidden gold of whole articles is scored.
    """

    correct: dict[str, int] = field(default_factory=dict)
    total: dict[str, int] = field(default_factory=dict)
    private: LabelScore = field(default_factory=LabelScore)
    documents: dict[str, LabelScore] = field(default_factory=dict)

    def accuracy(self, name: str) -> float | None:
        total = self.total.get(name, 0)
        return self.correct.get(name, 0) / total if total else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "accuracy": {
                name: {
                    "accuracy": None if self.accuracy(name) is None else round(self.accuracy(name) or 0.0, 4),
                    "correct": self.correct.get(name, 0),
                    "matched": self.total.get(name, 0),
                }
                for name in ("actor_type", "category", "country")
            },
            "private_person": self.private.to_dict(),
            "documents": {k: v.to_dict() for k, v in self.documents.items()},
        }


def _canonical_category(value: Any) -> Any:
    from pipeline.components.technology import canonical_category

    return canonical_category(value) if isinstance(value, str) else value


def score_attributes(gold_docs: Sequence[GoldDoc], predicted: Sequence[Sequence[Any]]) -> AttributeScores:
    """Compare predicted ``Entity`` records with gold spans and their attributes (documents in the same order).

    Categories are compared by their taxonomy key, so gold written with an alias ("facial_recognition") counts.
    ``private_person``: a predicted person flagged private is right when it overlaps a gold span flagged private;
    gold private spans no prediction flags are misses.
    """
    scores = AttributeScores()
    for gold, entities in zip(gold_docs, predicted, strict=True):
        pred_spans = [CharSpan(e.start, e.end, e.label) for e in entities]
        for label in {s.label for s in gold.spans} | {s.label for s in pred_spans}:
            g = {
                s.text.lower() if hasattr(s, "text") else gold.text[s.start : s.end].lower()
                for s in gold.spans
                if s.label == label
            }
            p = {e.text.lower() for e in entities if e.label == label}
            table = scores.documents.setdefault(label, LabelScore())
            table.add(LabelScore(tp=len(g & p), fp=len(p - g), fn=len(g - p)))
        for g_span, entity in _overlap_pairs(gold.spans, entities):
            attrs = gold.attributes.get(g_span, {})
            for name in ("actor_type", "category", "country"):
                if name not in attrs or attrs[name] is None:
                    continue
                want, got = attrs[name], getattr(entity, name)
                if name == "category":
                    want, got = _canonical_category(want), _canonical_category(got)
                scores.total[name] = scores.total.get(name, 0) + 1
                scores.correct[name] = scores.correct.get(name, 0) + int(want == got)
        gold_private = [s for s in gold.spans if gold.attributes.get(s, {}).get("private_person") is True]
        pred_private = [e for e in entities if e.private_person is True]
        hits = len(_overlap_pairs(gold_private, pred_private, same_label=False))
        scores.private.add(LabelScore(tp=hits, fp=len(pred_private) - hits, fn=len(gold_private) - hits))
    return scores


def _overlap_pairs(
    gold: Sequence[CharSpan], entities: Sequence[Any], *, same_label: bool = True
) -> list[tuple[CharSpan, Any]]:
    pairs = []
    for gi, g in enumerate(gold):
        for pi, e in enumerate(entities):
            shared = min(g.end, e.end) - max(g.start, e.start)
            if shared > 0 and (not same_label or g.label == e.label):
                pairs.append((shared, gi, pi))
    pairs.sort(key=lambda t: (-t[0], t[1], t[2]))
    used_gold: set[int] = set()
    used_pred: set[int] = set()
    out: list[tuple[CharSpan, Any]] = []
    for _shared, gi, pi in pairs:
        if gi not in used_gold and pi not in used_pred:
            used_gold.add(gi)
            used_pred.add(pi)
            out.append((gold[gi], entities[pi]))
    return out


def evaluate_entities(nlp: Any, gold_docs: Sequence[GoldDoc]) -> tuple[Scores, AttributeScores]:
    """Tag the gold texts once; span scores (exact and overlap) and attribute scores."""
    from pipeline.tag import tag_texts

    predicted = list(tag_texts(nlp, [d.text for d in gold_docs]))
    spans = [[CharSpan(e.start, e.end, e.label) for e in entities] for entities in predicted]
    return score_spans([d.spans for d in gold_docs], spans), score_attributes(gold_docs, predicted)


def evaluate_corpus_holdout(
    model: str = "survnews_base", articles: Sequence[Any] | None = None, technology_model: Path | None = None
) -> dict[str, Any]:
    """Scores of the tagger on the held-out fifth of our own corpus (``corpus/train``): spans and attributes."""
    from pipeline.tag import TECHNOLOGY_RECOGNISER, load_tagger
    from pipeline.train_corpus import load_articles, split_articles

    if articles is None:
        articles = split_articles(load_articles())[1]
    nlp = load_tagger(model)
    if technology_model is not None and TECHNOLOGY_RECOGNISER in nlp.pipe_names:
        nlp.replace_pipe(TECHNOLOGY_RECOGNISER, TECHNOLOGY_RECOGNISER, config={"model_path": str(technology_model)})
    gold_docs = [_jsonl_doc(a.to_gold(), f"corpus/train {a.id}") for a in articles]
    spans, attributes = evaluate_entities(nlp, gold_docs)
    return {**spans.to_dict(), "attributes": attributes.to_dict()}


def attributes_table(scores: AttributeScores) -> Table:
    table = Table(title="attributes (on spans found, overlap)", title_justify="left")
    for column in ("attribute", "matched", "accuracy / P", "R", "F1"):
        table.add_column(column, justify="right" if column != "attribute" else "left")
    for name in ("actor_type", "category", "country"):
        acc = scores.accuracy(name)
        table.add_row(name, str(scores.total.get(name, 0)), "-" if acc is None else f"{acc:.3f}", "", "")
    p = scores.private
    table.add_row("private_person", str(p.tp + p.fn), f"{p.precision:.3f}", f"{p.recall:.3f}", f"{p.f1:.3f}")
    for label, score in sorted(scores.documents.items()):
        table.add_row(
            f"doc-level {label}",
            str(score.tp + score.fn),
            f"{score.precision:.3f}",
            f"{score.recall:.3f}",
            f"{score.f1:.3f}",
        )
    return table
