"""``survnews_canonical``: gives every final entity an ``entity_id`` and a ``canonical`` name.

Mentions of one thing in an article share them: a surname or first name after the full name ("Orlov" after
"Pavel Orlov"), an acronym after its expansion ("IOPC" after "Independent Office for Police Conduct"), a short
form after the full name ("the Met" after "Metropolitan Police", "Flock" after "Flock Safety"), a possessed name
without its possessor ("Tencent's WeChat" is WeChat). Entries of the actor gazetteer get a corpus-wide id derived
from the entry ("gaz:<slug of its name>"), places with a GeoNames id "geo:<id>"; everything else an id derived
from its label and canonical name ("actor:pavel-orlov", "tech:imsi-catcher", "loc:kenyatta-avenue"), stable
across runs. The component runs after ``survnews_resolve`` and before ``survnews_events``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from spacy.language import Language
from spacy.tokens import Doc, Span

from pipeline.components.actors import GAZETTEER_PATH
from pipeline.components.common import RESULT_KEY, read_jsonl

_POSSESSOR = re.compile(r"^[^\W\d_][\w.&-]*(?: [A-Z][\w.&-]*)*(?:'s|’s) (?=[A-Z])")
_LEADING_ARTICLE = re.compile(r"^(?:the|The|THE) ")
_TRAILING_POSSESSIVE = re.compile(r"(?:'s|’s|')$")
_NAME_FILLERS = {"of", "the", "for", "and", "on", "in", "de", "du", "des", "la", "le", "&"}
MIN_PREFIX = 3
# Words an institution's name ends in after a possessive ("Public Defender's Office", "Children's Commissioner")
_INSTITUTION_HEADS = {
    "Office",
    "Department",
    "Bureau",
    "Commission",
    "Commissioner",
    "Court",
    "Ministry",
    "Council",
    "Service",
    "Agency",
    "Directorate",
    "Institute",
    "Inspectorate",
    "Prefecture",
    "Authority",
    "Board",
    "Fund",
    "Union",
    "Party",
}


def slug(text: str) -> str:
    """'Kunming Public Security Bureau' -> 'kunming-public-security-bureau'; diacritics folded."""
    folded = unicodedata.normalize("NFKD", text)
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch)).lower()
    return re.sub(r"[^a-z0-9]+", "-", folded).strip("-") or "x"


def surface_name(text: str) -> str:
    """The name a mention spells, without a leading article, possessor or trailing possessive."""
    text = " ".join(text.split())
    text = _LEADING_ARTICLE.sub("", text)
    possessed = _POSSESSOR.sub("", text)
    if possessed.split(" ", 1)[0] not in _INSTITUTION_HEADS:
        text = possessed  # "Information Commissioner's Office" keeps its possessor: it is part of the name
    return _TRAILING_POSSESSIVE.sub("", text).strip() or text


def acronym(name: str) -> str:
    """Initials of the capitalised words: 'Independent Office for Police Conduct' -> 'IOPC'."""
    words = [w for w in re.split(r"[\s-]+", name) if w and w.lower() not in _NAME_FILLERS]
    return "".join(w[0] for w in words if w[0].isupper())


def singular(word: str) -> str:
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("s") and not word.endswith(("ss", "us", "is")) and len(word) > 3:
        return word[:-1]
    return word


@dataclass(frozen=True)
class GazetteerName:
    entity_id: str
    canonical: str


def load_gazetteer_names(path: Path = GAZETTEER_PATH) -> dict[str, GazetteerName]:
    """Every name and alias of the actor gazetteer -> its entry's id and name (also keyed casefolded)."""
    names: dict[str, GazetteerName] = {}
    if not path.is_file():
        return names
    for row in read_jsonl(path):
        name = str(row.get("name") or "").strip()
        if not name:
            continue
        entry = GazetteerName(f"gaz:{slug(name)}", name)
        for surface in [name, *(row.get("aliases") or [])]:
            names.setdefault(str(surface), entry)
            names.setdefault(str(surface).casefold(), entry)
    return names


@dataclass
class _Group:
    entity_id: str
    canonical: str
    label: str
    tokens: set[str]
    initials: str
    person: bool


class Canonicalizer:
    def __init__(self, nlp: Language, name: str, gazetteer_path: str | None = None) -> None:
        self.name = name
        self.gazetteer = load_gazetteer_names(Path(gazetteer_path) if gazetteer_path else GAZETTEER_PATH)

    def __call__(self, doc: Doc) -> Doc:
        if RESULT_KEY not in doc.spans:
            return doc
        groups: list[_Group] = []
        by_id: dict[str, _Group] = {}
        for span in doc.spans[RESULT_KEY]:
            group = self._group_for(span, groups)
            if group.entity_id not in by_id:
                by_id[group.entity_id] = group
                groups.append(group)
            span._.entity_id = group.entity_id
            span._.canonical = group.canonical
        return doc

    def _group_for(self, span: Span, groups: list[_Group]) -> _Group:
        label = span.label_
        name = surface_name(span.text)
        if label == "ACTOR":
            entry = self.gazetteer.get(name) or self.gazetteer.get(name.casefold())
            if entry is not None:
                return self._new(entry.entity_id, entry.canonical, label, person=False)
            person = span._.actor_type == "person"
            earlier = self._earlier_mention(name, label, person, groups)
            if earlier is not None:
                return earlier
            return self._new(f"actor:{slug(name)}", name, label, person=person)
        if label == "LOCATION":
            if span._.geonames_id:
                same = next((g for g in groups if g.entity_id == f"geo:{span._.geonames_id}"), None)
                return same or self._new(f"geo:{span._.geonames_id}", name, label, person=False)
            return self._new(f"loc:{slug(name)}", name, label, person=False)
        # TECHNOLOGY: one entity per term, plural or singular, any case ("IMSI catchers", "an IMSI catcher").
        words = name.split()
        key = " ".join([*words[:-1], singular(words[-1])]) if words else name
        same = next((g for g in groups if g.entity_id == f"tech:{slug(key)}"), None)
        return same or self._new(f"tech:{slug(key)}", name, label, person=False)

    @staticmethod
    def _new(entity_id: str, canonical: str, label: str, *, person: bool) -> _Group:
        tokens = {w for w in re.split(r"[\s-]+", canonical) if w}
        return _Group(entity_id, canonical, label, tokens, acronym(canonical), person)

    @staticmethod
    def _earlier_mention(name: str, label: str, person: bool, groups: list[_Group]) -> _Group | None:
        """The most recent earlier entity this mention is a short form of, if any."""
        words = [w for w in re.split(r"[\s-]+", name) if w]
        for group in reversed(groups):
            if group.label != label:
                continue
            if group.canonical == name or group.canonical.casefold() == name.casefold():
                return group
            if len(words) == 1 and len(group.tokens) > 1:
                word = words[0]
                if person and group.person and word in group.tokens:
                    return group  # "Orlov" after "Pavel Orlov", "Daniel" after "Daniel Osei"
                if person or group.person:
                    continue
                if word.isupper() and len(word) >= 2 and word == group.initials:
                    return group  # "IOPC" after "Independent Office for Police Conduct"
                first = group.canonical.split()[0]
                if word == first or (len(word) >= MIN_PREFIX and first.startswith(word) and word[0].isupper()):
                    return group  # "Flock" after "Flock Safety", "Met" after "Metropolitan Police"
        return None

    def to_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> None:
        return None

    def from_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> Canonicalizer:
        return self


@Language.factory("survnews_canonical", default_config={"gazetteer_path": None})
def make_canonicalizer(nlp: Language, name: str, gazetteer_path: str | None) -> Canonicalizer:
    return Canonicalizer(nlp, name, gazetteer_path)
