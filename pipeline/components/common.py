"""Shared pieces of the survnews spaCy components: schema paths, Span extensions, NER label mapping."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from spacy.tokens import Doc, Span

from pipeline.paths import SCHEMAS_DIR, read_json

__all__ = ["SCHEMAS_DIR", "read_json"]

CANDIDATES_KEY = "survnews_candidates"  # doc.spans group every domain component appends to
RESULT_KEY = "survnews"  # doc.spans group holding the final, non-overlapping entities
ATTRS_KEY = "survnews_candidate_attrs"  # doc.user_data entry with the candidates' attributes
TEXT_KEY = "survnews_text"  # doc.user_data cache of doc.text while the components run

# Attributes an entity can carry, mirrored on Span._ so they survive Doc serialisation.
ENTITY_ATTRS: tuple[str, ...] = (
    "actor_type",
    "category",
    "country",
    "lat",
    "lon",
    "geonames_id",
    "admin1",
    "private_person",
    "source",
    "entity_id",  # set by survnews_canonical
    "canonical",
)

# NER labels of the survnews base pipeline and of the usual spaCy pipelines (OntoNotes, CoNLL) mapped to
# the coarse kinds the domain components work with. NORP ("Chinese") is kept apart: a demonym is never a location.
NER_LABEL_MAP: dict[str, str] = {
    "PERSON": "PERSON",
    "PER": "PERSON",
    "ORG": "ORG",
    "GPE": "LOC",
    "LOC": "LOC",
    "FAC": "LOC",
    "NORP": "NORP",
}


# Capitalised words that open a sentence or clause (articles, pronouns, prepositions, conjunctions, months, weekdays)
# and never start or make a name; the name rules of actors, technologies and the actor patterns each add their own.
CLAUSE_OPENERS = frozenset(
    {
        "A",
        "After",
        "An",
        "And",
        "April",
        "As",
        "At",
        "August",
        "Before",
        "But",
        "By",
        "December",
        "February",
        "For",
        "Friday",
        "From",
        "Her",
        "His",
        "If",
        "In",
        "Its",
        "January",
        "July",
        "June",
        "March",
        "May",
        "Monday",
        "November",
        "October",
        "On",
        "Or",
        "Our",
        "Saturday",
        "September",
        "Sunday",
        "That",
        "The",
        "Their",
        "These",
        "This",
        "Those",
        "Thursday",
        "Tuesday",
        "Wednesday",
        "When",
        "While",
        "With",
    }
)


def register_extensions() -> None:
    for name in ENTITY_ATTRS:
        if not Span.has_extension(name):
            Span.set_extension(name, default=None)


register_extensions()


def ner_kind(span: Span) -> str | None:
    return NER_LABEL_MAP.get(span.label_)


def _key(start: int, end: int, label: str) -> str:
    return f"{start}:{end}:{label}"


def add_candidate(doc: Doc, start: int, end: int, label: str, **attrs: Any) -> Span:
    """Append a labelled candidate span (token offsets) with its attributes to the shared candidates group.

    Candidates overlap and may share offsets with another label, while Span extensions are stored per character
    offsets only; so candidate attributes live in ``doc.user_data[ATTRS_KEY]`` keyed by offsets and label, and
    only the resolver's final, non-overlapping spans get them as ``span._`` values. The first component to claim
    a span with a label keeps it.
    """
    if CANDIDATES_KEY not in doc.spans:
        doc.spans[CANDIDATES_KEY] = []
    store: dict[str, dict[str, Any]] = doc.user_data.setdefault(ATTRS_KEY, {})
    key = _key(start, end, label)
    span = Span(doc, start, end, label=label)
    if key in store:
        return span
    store[key] = dict(attrs)
    doc.spans[CANDIDATES_KEY].append(span)
    return span


def candidate_attrs(span: Span) -> dict[str, Any]:
    """The attributes a component gave this candidate span (empty if none)."""
    store: dict[str, dict[str, Any]] = span.doc.user_data.get(ATTRS_KEY, {})
    return store.get(_key(span.start, span.end, span.label_), {})


def candidates(doc: Doc, label: str | None = None) -> list[Span]:
    if CANDIDATES_KEY not in doc.spans:
        return []
    return [s for s in doc.spans[CANDIDATES_KEY] if label is None or s.label_ == label]


def clear_candidates(doc: Doc) -> None:
    if CANDIDATES_KEY in doc.spans:
        del doc.spans[CANDIDATES_KEY]
    doc.user_data.pop(ATTRS_KEY, None)
    doc.user_data.pop(TEXT_KEY, None)


def doc_text(doc: Doc) -> str:
    """``doc.text``, built once per document: spaCy rebuilds it from the tokens on every access."""
    text = doc.user_data.get(TEXT_KEY)
    if text is None:
        text = doc.user_data[TEXT_KEY] = doc.text
    return str(text)


_LEADING_LETTERS = re.compile(r"[^\W\d_]+|\d+")
_ROUGH_TOKENS = re.compile(r"\w+|[^\w\s]")


class SurfaceIndex:
    """Exact-surface lookup of multi-token names in a Doc, without tokenising every name at load time.

    Names are keyed by their leading run of letters (a spaCy token never splits such a run), with an upper bound on
    their token count; a token whose leading letters start no name costs one set lookup.
    """

    def __init__(self, surfaces: Iterable[str]) -> None:
        self.max_tokens: dict[str, int] = {}
        for surface in surfaces:
            key = _leading(surface)
            if key:
                bound = len(_ROUGH_TOKENS.findall(surface))
                self.max_tokens[key] = max(self.max_tokens.get(key, 0), bound)

    def spans_from(self, doc: Doc, i: int, text: str) -> Iterator[tuple[int, str]]:
        """(end, text) of the token runs starting at ``i`` that could be names, longest first.

        ``text`` is ``doc.text``, passed in because Doc.text is rebuilt on every access.
        """
        bound = self.max_tokens.get(_leading(doc[i].text))
        if not bound:
            return
        start_char = doc[i].idx
        for j in range(min(len(doc), i + bound), i, -1):
            last = doc[j - 1]
            yield j, text[start_char : last.idx + len(last.text)]


def _leading(text: str) -> str:
    match = _LEADING_LETTERS.match(text)
    return match.group(0) if match else ""


def fold(text: str) -> str:
    """Strip diacritics: 'São Paulo' -> 'Sao Paulo', 'Gujarāt' -> 'Gujarat'."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("//"):
            continue
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}:{number}: not valid JSON: {exc}") from exc
    return rows


def write_jsonl(path: Path, rows: Iterable[dict[str, Any]]) -> None:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")


def is_sentence_start(doc: Doc, i: int) -> bool:
    """True when token i opens a sentence or a line (capitalisation there says nothing about a name)."""
    if i == 0:
        return True
    prev = doc[i - 1]
    if prev.is_space and "\n" in prev.text:
        return True
    if "\n" in prev.whitespace_:
        return True
    if prev.text in {".", "!", "?", "“", '"', ":", "—", "–"} or prev.text.endswith("\n"):
        return True
    return bool(doc.has_annotation("SENT_START") and doc[i].is_sent_start)
