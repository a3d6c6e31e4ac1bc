"""Event scoring for ``survnews evaluate``: document-level triples ``(actor, relation, object)``.

Gold is JSONL, one article per line: ``{"id", "text", "aliases": {name: [other names]}, "events": [{"actor",
"relation", "object", "evidence", "negated"?}]}`` (``corpus/gold/samples.events.jsonl``). A predicted event
matches a gold one when the relation is the same and its actor and object names match the gold names through
the aliases (case, diacritics, a leading "the", possessives and a plural are ignored). A technology name that is
not a gold name or alias may still match one by containment of whole words ("live facial recognition" and "facial
recognition vans" name "facial recognition"), when the shorter name has two words or more or is an acronym
("VPN services" -> "VPN"), and only when one gold entity is the best such match (the longest contained name; a tie
between two entities matches neither); gold and predicted names go through the same table. Each distinct triple counts
once per article; negated events are facts the article denies, so they are left out on both sides.
P/R/F1 per relation and overall (micro-averaged over articles).
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.table import Table

from pipeline.errors import RejectError
from pipeline.evaluate import LabelScore
from pipeline.records import EVENT_RELATIONS, Event

ALL = "ALL"
Triple = tuple[str, str, str]
EventPredictor = Callable[[list[str]], list[list[Event]]]


@dataclass
class EventGoldDoc:
    id: str
    text: str
    aliases: dict[str, list[str]]
    events: list[dict[str, Any]]


@dataclass
class RelationScore(LabelScore):
    """Triple counts of one relation (precision, recall and F1 as for spans); reported with gold/predicted first."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "gold": self.tp + self.fn,
            "predicted": self.tp + self.fp,
            "tp": self.tp,
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
        }


@dataclass
class EventScores:
    docs: int
    relations: dict[str, RelationScore] = field(default_factory=dict)
    errors: list[dict[str, Any]] = field(default_factory=list)  # false positives / negatives, for reading

    def to_dict(self) -> dict[str, Any]:
        return {
            "docs": self.docs,
            "events": {name: score.to_dict() for name, score in self.relations.items()},
            "errors": self.errors,
        }


def normalise_name(name: str) -> str:
    """'The Met’s' -> 'met'; 'IMSI catchers' -> 'imsi catcher'; 'São Paulo' -> 'sao paulo'."""
    text = unicodedata.normalize("NFKD", name)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold().replace("’", "'")
    text = re.sub(r"'s\b|'$", "", text)
    text = re.sub(r"^the\s+", "", " ".join(text.split()))
    words = text.split()
    if words and len(words[-1]) > 3 and words[-1].endswith("s") and not words[-1].endswith(("ss", "us", "is")):
        words[-1] = words[-1][:-1]
    return " ".join(words)


def _contains(longer: list[str], shorter: list[str]) -> bool:
    n = len(shorter)
    return any(longer[i : i + n] == shorter for i in range(len(longer) - n + 1))


def _specific(surface: str, words: list[str]) -> bool:
    """Long enough to name one technology inside a longer name: two words, or an acronym ("VPN", "ALPR")."""
    return len(words) >= 2 or (len(surface.strip()) >= 3 and surface.strip().isupper())


class AliasTable:
    """Gold entity names and their aliases; any of them names the gold entity (technologies also by containment)."""

    def __init__(self, aliases: dict[str, list[str]], names: Iterable[str]) -> None:
        self.key: dict[str, str] = {}
        self.specific: dict[str, bool] = {}  # normalised surface -> may match by containment
        surfaces: list[str] = []
        for name in names:
            self.key.setdefault(normalise_name(name), normalise_name(name))
            surfaces.append(name)
        for name, others in aliases.items():
            canonical = normalise_name(name)
            for surface in [name, *others]:
                self.key[normalise_name(surface)] = canonical
                surfaces.append(surface)
        for surface in surfaces:
            norm = normalise_name(surface)
            self.specific[norm] = self.specific.get(norm, False) or _specific(surface, norm.split())

    def __call__(self, name: str, *, technology: bool = False) -> str:
        norm = normalise_name(name)
        if norm in self.key or not technology:
            return self.key.get(norm, norm)
        words = norm.split()
        best: dict[str, int] = {}  # gold entity -> length of its longest name contained in (or containing) this one
        for surface, canonical in self.key.items():
            gold_words = surface.split()
            if len(gold_words) < len(words):
                if self.specific.get(surface) and _contains(words, gold_words):
                    best[canonical] = max(best.get(canonical, 0), len(gold_words))
            elif _specific(name, words) and _contains(gold_words, words):
                best[canonical] = max(best.get(canonical, 0), len(words))
        if not best:
            return norm
        top = max(best.values())
        winners = [c for c, n in best.items() if n == top]
        return winners[0] if len(winners) == 1 else norm


def gold_triples(doc: EventGoldDoc) -> tuple[set[Triple], AliasTable]:
    names = [e["actor"] for e in doc.events] + [e["object"] for e in doc.events]
    table = AliasTable(doc.aliases, names)
    triples = {
        (table(e["actor"]), str(e["relation"]), table(e["object"], technology=e["relation"] != "targets"))
        for e in doc.events
        if not e.get("negated")
    }
    return triples, table


def predicted_triples(events: Iterable[Event], table: AliasTable) -> set[Triple]:
    return {
        (table(e.actor), e.relation, table(e.object, technology=e.object_label == "TECHNOLOGY"))
        for e in events
        if not e.negated
    }


def score_events(gold_docs: Sequence[EventGoldDoc], predicted: Sequence[Sequence[Event]]) -> EventScores:
    scores = EventScores(docs=len(gold_docs), relations={name: RelationScore() for name in [*EVENT_RELATIONS, ALL]})
    for doc, events in zip(gold_docs, predicted, strict=True):
        gold, table = gold_triples(doc)
        pred = predicted_triples(events, table)
        for triple in pred | gold:
            hit = triple in gold and triple in pred
            for name in (triple[1], ALL):
                score = scores.relations.setdefault(name, RelationScore())
                if hit:
                    score.tp += 1
                elif triple in pred:
                    score.fp += 1
                else:
                    score.fn += 1
            if not hit:
                kind = "false_positive" if triple in pred else "false_negative"
                scores.errors.append({"doc": doc.id, "kind": kind, "triple": list(triple)})
    return scores


def is_event_gold(path: str | Path) -> bool:
    """True when ``path`` is a JSONL whose first record carries an ``events`` list (event gold)."""
    path = Path(path)
    if path.suffix not in (".jsonl", ".ndjson", ".json"):
        return False
    try:
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    first = json.loads(line)
                    return isinstance(first, dict) and isinstance(first.get("events"), list) and "text" in first
    except (OSError, ValueError, UnicodeDecodeError):
        return False
    return False


def load_event_gold(path: str | Path) -> list[EventGoldDoc]:
    path = Path(path)
    docs: list[EventGoldDoc] = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise RejectError("missing", f"{path}: cannot read event gold: {exc}") from None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise RejectError("bad_gold", f"{path}:{number}: not valid JSON: {exc.msg}") from None
        if not isinstance(row, dict) or not isinstance(row.get("text"), str):
            raise RejectError("bad_gold", f"{path}:{number}: an event gold row needs a text and an events list")
        events = row.get("events") or []
        for event in events:
            missing = [k for k in ("actor", "relation", "object") if not event.get(k)]
            if missing or event["relation"] not in EVENT_RELATIONS:
                what = f"missing {', '.join(missing)}" if missing else f"unknown relation {event['relation']!r}"
                raise RejectError("bad_gold", f"{path}:{number}: event {what}")
        docs.append(EventGoldDoc(str(row.get("id", number)), row["text"], dict(row.get("aliases") or {}), events))
    return docs


def tagger_event_predictor(nlp: Any) -> EventPredictor:
    from pipeline.tag import TagFailure, tag_texts_with_events

    def predict(texts: list[str]) -> list[list[Event]]:
        # a text the pipeline fails on predicts no events (and so counts against recall)
        return [[] if isinstance(r, TagFailure) else r[1] for r in tag_texts_with_events(nlp, texts)]

    return predict


def evaluate_events(nlp_or_predictor: Any, gold_docs: Sequence[EventGoldDoc]) -> EventScores:
    """Run a tagging pipeline (or a name for ``load_tagger``, or a texts -> events function) and score its events."""
    if callable(nlp_or_predictor) and not hasattr(nlp_or_predictor, "pipe"):
        predictor: EventPredictor = nlp_or_predictor
    else:
        nlp = nlp_or_predictor
        if isinstance(nlp, str | Path):
            from pipeline.tag import load_tagger

            nlp = load_tagger(str(nlp))
        predictor = tagger_event_predictor(nlp)
    return score_events(gold_docs, predictor([d.text for d in gold_docs]))


def event_scores_table(scores: EventScores, title: str = "survnews evaluate: events") -> Table:
    table = Table(
        title=f"{title} ({scores.docs} documents)",
        title_justify="left",
        caption="document-level (actor, relation, object) triples, names matched through the gold aliases",
        caption_justify="left",
    )
    table.add_column("relation", no_wrap=True)
    for column in ("gold", "pred", "P", "R", "F1"):
        table.add_column(column, justify="right")
    for name, score in scores.relations.items():
        table.add_row(
            name,
            str(score.tp + score.fn),
            str(score.tp + score.fp),
            f"{score.precision:.3f}",
            f"{score.recall:.3f}",
            f"{score.f1:.3f}",
            end_section=name == EVENT_RELATIONS[-1],
        )
    return table
