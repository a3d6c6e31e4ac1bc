"""``survnews_technology``: tags surveillance technologies: the taxonomy in ``schemas/``, context patterns for
product names no list has, and the trained TECHNOLOGY recogniser.

Terms match case-insensitively on whole tokens (PhraseMatcher on LOWER), with plural, hyphen/space and US/UK
spelling variants generated here, so the taxonomy lists each term once. Product names that are also common
words (Pegasus, Predator, Stingray) are listed as case-sensitive and match only as written. Token patterns
(spaCy Matcher) cover flexible phrasings. Context patterns find names the taxonomy lacks ("a tool called X",
"X spyware", "the X app", "software known as X") and techniques as noun phrases ("emotion detection software",
"position data"); the trained recogniser (``survnews_technology_model``) leaves its spans in
``doc.spans[MODEL_SPANS_KEY]``, which this component reads. A name without a taxonomy term gets its category from
the taxonomy's ``cues`` near it. Generic phrases ("surveillance technology", "mass surveillance", "censorship")
are never technologies. The component serialises its taxonomy with the pipeline.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from spacy.language import Language
from spacy.matcher import Matcher, PhraseMatcher
from spacy.tokens import Doc, Span
from spacy.util import ensure_path

from pipeline.components.common import CLAUSE_OPENERS, add_candidate, doc_text, is_sentence_start, read_json
from pipeline.paths import MODELS_DIR
from pipeline.taxonomy import TAXONOMY_PATH, term_variants

TECHNOLOGY_MODEL_DIR = MODELS_DIR / "survnews_technology"  # the trained recogniser (survnews train technology)


def load_taxonomy(path: str | Path | None = None) -> dict[str, Any]:
    data: dict[str, Any] = read_json(Path(path) if path else TAXONOMY_PATH)
    if not isinstance(data.get("categories"), dict):
        raise ValueError(f"{path or TAXONOMY_PATH}: taxonomy has no 'categories' object")
    return data


MODEL_SPANS_KEY = "survnews_technology_model"  # doc.spans group the trained recogniser fills
PLATFORM_CATEGORY = "apps_and_platforms"

# "a tool called X", "software known as X", "sold under the name X": kinds of things a product name follows.
PRODUCT_KINDS = [
    "tool",
    "tools",
    "program",
    "programme",
    "system",
    "platform",
    "app",
    "application",
    "software",
    "spyware",
    "malware",
    "device",
    "devices",
    "product",
    "service",
    "suite",
    "technology",
    "database",
    "network",
    "camera",
    "cameras",
    "drone",
    "drones",
    "tracker",
    "implant",
    "trojan",
    "exploit",
    "kit",
    "scanner",
    "sensor",
    "sensors",
    "project",
    "initiative",
    "operation",
    "scheme",
    "model",
    "version",
    "algorithm",
    "chatbot",
    "firmware",
]
NAMING_VERBS = ["called", "named", "dubbed", "nicknamed", "codenamed", "code-named", "branded", "christened", "titled"]
# "Quetzal spyware", "the Nazer app": heads that make the capitalised words before them a product name. Strong
# heads need no determiner; weak ones need "the" / "a" / a possessive before the name.
STRONG_HEADS = ["spyware", "malware", "stalkerware", "trojan", "app", "apps", "application", "implant", "exploit"]
WEAK_HEADS = [
    "system",
    "software",
    "platform",
    "program",
    "programme",
    "tool",
    "device",
    "camera",
    "cameras",
    "database",
    "network",
    "drone",
    "drones",
    "scanner",
    "scanners",
    "service",
    "tracker",
    "trackers",
    "sensor",
    "sensors",
    "technology",
    "kit",
    "suite",
    "algorithm",
    "chatbot",
    "portal",
    "website",
    "browser",
    "messenger",
]
_STRONG = frozenset(STRONG_HEADS)
_WEAK = frozenset(WEAK_HEADS)
_DETERMINERS = ["the", "a", "an", "its", "their", "his", "her", "our", "this", "that", "whose"]
_QUOTES = ["“", "”", '"', "‘", "’", "'"]
_NAME_TOKEN: dict[str, Any] = {
    "TEXT": {"REGEX": r"^(?:[A-Z][\w.]*|[A-Z0-9]+[a-z]*[A-Z][\w]*|[a-z]{1,4}[A-Z]\w*|\d+[A-Za-z]*)$"}
}
_NAME_JOINER: dict[str, Any] = {"ORTH": {"IN": ["-", "–"]}, "OP": "?"}
# Technique noun phrases: "emotion detection software", "position data", "vehicle registration logs",
# "mass collection of call records".
TECHNIQUE_MODIFIERS = [
    "emotion",
    "email",
    "e-mail",
    "chat",
    "message",
    "drone",
    "content",
    "gait",
    "voice",
    "face",
    "facial",
    "iris",
    "object",
    "weapon",
    "behaviour",
    "behavior",
    "crowd",
    "anomaly",
    "licence",
    "license",
    "plate",
    "number-plate",
    "vehicle",
    "keyword",
    "sentiment",
    "location",
    "phone",
    "gunshot",
    "speech",
    "palm",
    "vein",
    "age",
    "gender",
    "skin",
    "fingerprint",
    "movement",
    "intrusion",
]
TECHNIQUE_ACTIONS = [
    "detection",
    "monitoring",
    "filtering",
    "recognition",
    "tracking",
    "analysis",
    "analytics",
    "scanning",
    "identification",
    "estimation",
    "matching",
    "profiling",
    "surveillance",
    "classification",
]
TECHNIQUE_HEADS = [
    "software",
    "system",
    "systems",
    "technology",
    "technologies",
    "tool",
    "tools",
    "camera",
    "cameras",
    "app",
    "apps",
    "platform",
    "platforms",
    "programme",
    "program",
    "algorithm",
    "algorithms",
    "sensor",
    "sensors",
    "device",
    "devices",
    "model",
    "models",
]
DATA_MODIFIERS = [
    "location",
    "driving",
    "behaviour",
    "behavior",
    "telematics",
    "position",
    "positioning",
    "movement",
    "travel",
    "phone",
    "call",
    "browsing",
    "biometric",
    "subscriber",
    "passenger",
    "vehicle",
    "registration",
    "communications",
    "cellphone",
    "cell-phone",
    "mobile",
    "gps",
    "geolocation",
    "geolocation",
    "number-plate",
    "licence-plate",
    "license-plate",
    "telephone",
    "sms",
    "text-message",
    "messaging",
    "search",
    "internet",
    "web",
    "network",
    "wi-fi",
    "signal",
    "tower",
    "traffic",
]
DATA_HEADS = [
    "data",
    "records",
    "record",
    "logs",
    "log",
    "history",
    "histories",
    "metadata",
    "database",
    "databases",
    "traces",
    "trails",
    "pings",
    "dumps",
    "dump",
]
# Generic words after a technology's name or term, left out of its span ("gunshot detection system").
GENERIC_TECH_HEADS = frozenset(
    {
        "system",
        "systems",
        "tool",
        "tools",
        "platform",
        "service",
        "technology",
        "programme",
        "program",
        "solution",
    }
)
_DETS = frozenset({"the", "a", "an", "its", "their"})
_NAME_PARTICLES = frozenset({"da", "de", "do", "dos", "das", "del", "la", "of", "the", "and", "van", "von", "al"})
# Words after a product's name that are not part of it ("TraceTogether data", "Sfera camera").
NAME_ONLY_HEADS = frozenset({"data", "camera", "cameras", "app", "software", "device", "devices", "network"})
BULK_WORDS = ["mass", "bulk", "blanket", "indiscriminate", "wholesale", "large-scale", "systematic"]
BULK_ACTIONS = [
    "collection",
    "retention",
    "interception",
    "harvesting",
    "monitoring",
    "tracking",
    "recording",
    "storage",
    "gathering",
    "analysis",
    "surveillance",
    "hacking",
    "scanning",
]
# A name shared by a company and its platform is the company when it acts or speaks ("WeChat said").
ACTING_AFTER = {
    "said",
    "says",
    "told",
    "announced",
    "confirmed",
    "denied",
    "declined",
    "added",
    "argued",
    "stated",
    "claimed",
    "insisted",
    "responded",
    "replied",
    "wrote",
    "agreed",
    "complied",
    "refused",
    "rejected",
    "admitted",
    "acknowledged",
    "removed",
    "suspended",
    "launched",
    "acquired",
    "bought",
    "sued",
    "appealed",
    "disputed",
    "pledged",
    "promised",
    "warned",
    "insists",
    "denies",
    "declines",
    "confirms",
    "announces",
    "plans",
    "planned",
    "employs",
    "employed",
    "hired",
    "paid",
    "pays",
    "fined",
    "settled",
    "lobbied",
    "did",
    "does",
    "has",
    "had",
    "is",
    "was",
    "will",
    "would",
    "spokesperson",
    "spokesman",
    "spokeswoman",
    "executive",
    "executives",
    "ceo",
    "founder",
    "founders",
    "boss",
    "bosses",
    "staff",
    "employees",
    "engineers",
    "lawyers",
    "headquarters",
    "representative",
    "representatives",
    "moderators",
    "owner",
    "shareholders",
    "investors",
    "chief",
}
_ACTING_LINKS = {"has", "had", "is", "was", "will", "would", "did", "does"}
_ACTING_AFTER_LINK = {
    "said",
    "told",
    "announced",
    "confirmed",
    "denied",
    "declined",
    "agreed",
    "complied",
    "refused",
    "removed",
    "suspended",
    "not",
    "never",
    "been",
    "also",
    "previously",
    "since",
    "already",
    "launched",
    "acquired",
    "sued",
    "responded",
    "admitted",
    "fined",
    "banned",
}
ACTING_BEFORE = {
    "company",
    "firm",
    "owner",
    "operator",
    "giant",
    "maker",
    "developer",
    "by",
    "against",
    "from",
    "sued",
    "fined",
    "asked",
    "ordered",
    "urged",
    "with",
    "at",
    "for",
}
_ACTING_BEFORE_STRONG = {
    "company",
    "firm",
    "owner",
    "operator",
    "giant",
    "maker",
    "developer",
    "sued",
    "fined",
    "ordered",
    "urged",
    "asked",
}


def canonical_category(name: str | None, taxonomy: dict[str, Any] | None = None) -> str | None:
    """The taxonomy's key for a category name or one of its aliases ("facial_recognition" -> "face_recognition")."""
    if name is None:
        return None
    categories = (taxonomy or _default_taxonomy())["categories"]
    if name in categories:
        return name
    for key, spec in categories.items():
        if name in spec.get("aliases", ()):
            return key
    return name


_TAXONOMY_CACHE: dict[str, Any] = {}


def _default_taxonomy() -> dict[str, Any]:
    if "default" not in _TAXONOMY_CACHE:
        _TAXONOMY_CACHE["default"] = load_taxonomy()
    return dict(_TAXONOMY_CACHE["default"])


def platform_role(span: Span) -> str:
    """ "ACTOR" when the company behind a platform acts or speaks in the sentence, else "TECHNOLOGY".

    "WeChat said", "a spokesperson for Telegram", "the company WhatsApp" act; "scan a code in WeChat", "apps such as
    Telegram", "WhatsApp messages" are uses of the platform.
    """
    doc = span.doc
    after = [t.lower_ for t in doc[span.end : min(len(doc), span.end + 3)]]
    if after and after[0] in {"'s", "’s"}:
        after = after[1:]
    if after and after[0] in ACTING_AFTER:
        if after[0] in _ACTING_LINKS:
            return "ACTOR" if len(after) > 1 and after[1] in _ACTING_AFTER_LINK else "TECHNOLOGY"
        return "ACTOR"
    if after[:2] == [",", "the"] or after[:2] == [",", "owned"]:  # "Telegram, the Dubai-based company"
        return "ACTOR"
    before = [t.lower_ for t in doc[max(0, span.start - 3) : span.start]]
    if before and before[-1] in _ACTING_BEFORE_STRONG:
        return "ACTOR"
    if len(before) >= 2 and before[-1] == "for" and before[-2] in {"spokesperson", "spokesman", "spokeswoman"}:
        return "ACTOR"
    if len(before) >= 2 and before[-1] == "by" and before[-2] in {"owned", "run", "operated", "made", "developed"}:
        return "ACTOR"
    return "TECHNOLOGY"


class TechnologyMatcher:
    """Finds taxonomy terms, product names in context and the recogniser's spans; adds TECHNOLOGY candidates."""

    def __init__(self, nlp: Language, name: str, taxonomy_path: str | None = None) -> None:
        self.nlp = nlp
        self.name = name
        self.taxonomy: dict[str, Any] = load_taxonomy(taxonomy_path)
        self._build()

    def _build(self) -> None:
        make_doc: Callable[[str], Doc] = self.nlp.make_doc
        tokenizer: Any = self.nlp.tokenizer
        self.lower_matcher = PhraseMatcher(self.nlp.vocab, attr="LOWER")
        self.orth_matcher = PhraseMatcher(self.nlp.vocab, attr="ORTH")
        self.token_matcher = Matcher(self.nlp.vocab)
        self.term_category: dict[str, str] = {}
        self.cues: dict[str, str] = {}
        for category, spec in self.taxonomy["categories"].items():
            terms = sorted({v for t in spec.get("terms", []) for v in term_variants(t)})
            if terms:
                self.lower_matcher.add(category, list(tokenizer.pipe(terms)))
            for term in terms:
                self.term_category.setdefault(term.lower(), category)
            exact = sorted(set(spec.get("case_sensitive", [])))
            if exact:
                self.orth_matcher.add(category, [make_doc(t) for t in exact])
            for term in exact:
                self.term_category.setdefault(term, category)
            patterns = spec.get("patterns", [])
            if patterns:
                self.token_matcher.add(category, patterns)
            for cue in spec.get("cues", []):
                self.cues.setdefault(cue.lower(), category)
        generic = self.taxonomy.get("generic_phrases", {}).get("terms", [])
        self.generic = {v.lower() for t in generic for v in term_variants(t)}
        self.context_matcher = Matcher(self.nlp.vocab)
        name = [_NAME_TOKEN, _NAME_JOINER, _NAME_TOKEN | {"OP": "?"}, _NAME_JOINER, _NAME_TOKEN | {"OP": "?"}]
        quote: dict[str, Any] = {"ORTH": {"IN": _QUOTES}, "OP": "?"}
        kind: dict[str, Any] = {"LOWER": {"IN": PRODUCT_KINDS}}
        comma: dict[str, Any] = {"ORTH": ",", "OP": "?"}
        self.context_matcher.add(
            "NAME_AFTER",
            [
                [kind, comma, {"LOWER": {"IN": NAMING_VERBS}}, {"LOWER": "as", "OP": "?"}, quote, *name],
                [kind, comma, {"LOWER": "known"}, {"LOWER": "as"}, quote, *name],
                # "The app, OnDuty, sent ...", "launched an app, Thai Guardian, that ...": a name in apposition
                [{"LOWER": {"IN": ["the", "a", "an", "its", "their", "new"]}}, kind, {"ORTH": ","}, quote, *name],
                [
                    {"LOWER": {"IN": ["sold", "marketed", "sells", "markets", "branded", "rebranded"]}},
                    {"LOWER": "as"},
                    quote,
                    *name,
                ],
                [
                    {"LOWER": "under"},
                    {"LOWER": "the"},
                    {"LOWER": {"IN": ["name", "brand", "codename", "label"]}},
                    quote,
                    *name,
                ],
            ],
            greedy="LONGEST",
        )
        self.context_matcher.add(
            "TECHNIQUE",
            [
                [
                    {"LOWER": {"IN": TECHNIQUE_MODIFIERS}},
                    {"ORTH": "-", "OP": "?"},
                    {"LOWER": {"IN": TECHNIQUE_ACTIONS}},
                    {"LOWER": {"IN": TECHNIQUE_HEADS}, "OP": "?"},
                ],
                [
                    {"LOWER": {"IN": DATA_MODIFIERS}},
                    {"LOWER": {"IN": DATA_MODIFIERS}, "OP": "?"},
                    {"LOWER": {"IN": DATA_HEADS}},
                ],
                [
                    {"LOWER": {"IN": BULK_WORDS}},
                    {"LOWER": {"IN": BULK_ACTIONS}},
                    {"LOWER": "of"},
                    {"IS_ALPHA": True, "OP": "?"},
                    {"IS_ALPHA": True, "OP": "?"},
                    {"LOWER": {"IN": [*DATA_HEADS, "calls", "communications", "messages", "emails", "phones"]}},
                ],
            ],
            greedy="LONGEST",
        )
        from pipeline.components.actors import load_gazetteer
        from pipeline.components.locations import build_index

        self.known_names = {r["name"] for r in load_gazetteer()} | {
            a for r in load_gazetteer() for a in r.get("aliases", [])
        }
        self.locations = build_index()

    # -- finding spans ----------------------------------------------------------------------------------------
    def spans(self, doc: Doc) -> list[Span]:
        """The TECHNOLOGY spans this component would add (labelled with their category), without the model's."""
        return [Span(doc, s, e, label=c or "TECHNOLOGY") for s, e, c, _src in self._find(doc, with_model=False)]

    def _find(self, doc: Doc, with_model: bool = True) -> list[tuple[int, int, str | None, str]]:
        found: list[tuple[int, int, str | None, str]] = []
        for matcher in (self.lower_matcher, self.orth_matcher, self.token_matcher):
            for match_id, start, end in matcher(doc):
                found.append((start, end, self.nlp.vocab.strings[match_id], "taxonomy"))
        hits = [(s, e, c) for s, e, c, _src in found]
        for match_id, start, end in self.context_matcher(doc):
            key = self.nlp.vocab.strings[match_id]
            if key == "TECHNIQUE":
                found.append((start, end, self.category_of(doc[start:end], hits), "pattern"))
                continue
            span = self._name_part(doc, start, end, key)
            if span is not None:
                found.append((span[0], span[1], self.category_of(doc[span[0] : span[1]], hits), "pattern"))
        for start, end in self._names_before_heads(doc):
            found.append((start, end, self.category_of(doc[start:end], hits), "pattern"))
        if with_model and MODEL_SPANS_KEY in doc.spans:
            # The base NER's people and places outrank the recogniser on the same words; its ORGs do not (a product
            # name often looks like a company's).
            people_places = {
                i for e in doc.ents if e.label_ in {"PERSON", "PER", "LOC", "GPE", "FAC"} for i in range(e.start, e.end)
            }
            for span in doc.spans[MODEL_SPANS_KEY]:
                if any(i in people_places for i in range(span.start, span.end)):
                    continue
                if span.end < len(doc) and doc[span.end].lower_ in {"said", "says", "told", "added", "who"}:
                    continue  # "Pan said": a person, whatever the recogniser thinks
                trimmed = _trim_span(span)
                if (
                    trimmed is not None
                    and _plural_at_sentence_start(trimmed)
                    and trimmed.text not in self.term_category
                ):
                    continue  # "Users moved to ...": a plural noun capitalised by its place, not a product
                if trimmed is not None and _looks_like_product(trimmed) and not self._is_known_non_technology(trimmed):
                    found.append((trimmed.start, trimmed.end, self.category_of(trimmed, hits), "model"))
        found.extend(_x_among_platforms(doc, found))
        found.extend(self._names_glossed_by_terms(doc, found, hits))
        found = [self._name_or_term(doc, m, hits) for m in found]
        found = [m for m in found if not self._is_group_or_law(doc, m[0], m[1])]
        # Keep the longest match at each position (at equal length the taxonomy, then patterns, then the model);
        # the resolver settles overlaps with other labels.
        rank = {"taxonomy": 0, "pattern": 1, "model": 2}
        found.sort(key=lambda m: (m[0], -(m[1] - m[0]), rank[m[3]]))
        out: list[tuple[int, int, str | None, str]] = []
        taken_until = -1
        for start, end, category, source in found:
            if start < taken_until or self.is_generic(doc[start:end]):
                continue
            taken_until = end
            out.append((start, end, category, source))
        return out

    def _name_or_term(
        self, doc: Doc, match: tuple[int, int, str | None, str], hits: list[tuple[int, int, str | None]]
    ) -> tuple[int, int, str | None, str]:
        """A technology is named without the generic word after it: "gunshot detection (system)", "social media
        monitoring (tool)" when the words before it are a taxonomy term; "TraceTogether (data)", "Sfera (camera)"
        when they are a product name. Acronyms keep the head ("CCTV cameras", "AI cameras")."""
        start, end, category, source = match
        if end - start < 2 or not doc[end - 1].is_lower:
            return match
        head = doc[end - 1].lower_
        if head in GENERIC_TECH_HEADS and any(h[0] == start and h[1] == end - 1 for h in hits):
            return (start, end - 1, category, source)
        if any(h[0] == start and h[1] == end for h in hits):
            return match  # a taxonomy term as a whole stays whole ("Facial-Recognition cameras")
        if head in GENERIC_TECH_HEADS | NAME_ONLY_HEADS:
            name_end = start
            while name_end < end - 1 and _is_name_like(doc[name_end]) and not doc[name_end].is_upper:
                name_end += 1
            if (
                name_end == end - 1
                and doc[name_end - 1].text not in {"-", "–"}
                and doc[start:name_end].text.lower() not in self.term_category  # "Facial-Recognition cameras"
            ):
                return (start, name_end, category, source)
        return match

    def _names_glossed_by_terms(
        self, doc: Doc, found: list[tuple[int, int, str | None, str]], hits: list[tuple[int, int, str | None]]
    ) -> list[tuple[int, int, str | None, str]]:
        """ "Maisha Namba, the new digital ID": a capitalised name glossed in apposition by a taxonomy term is that
        technology."""
        taken = {i for s, e, _c, _src in found for i in range(s, e)}
        out: list[tuple[int, int, str | None, str]] = []
        for term_start, _term_end, category in hits:  # few terms per document: look back from each
            if not category:
                continue
            k = term_start - 1
            while k > 0 and term_start - k <= 3 and doc[k].is_lower and doc[k].is_alpha and doc[k].lower_ not in _DETS:
                k -= 1  # "the new", "a state-run"
            if k < 2 or doc[k].lower_ not in _DETS or doc[k - 1].text != ",":
                continue
            e = k - 1
            s = e
            while s > 0 and e - s < 4 and _is_name_like(doc[s - 1]) and doc[s - 1].text not in {"-", "–"}:
                s -= 1
            if s == e or any(i in taken for i in range(s, e)) or self._is_known_non_technology(doc[s:e]):
                continue
            if is_sentence_start(doc, s) and e - s == 1:
                continue  # "Officials, the ...": a capitalised first word is no name
            taken.update(range(s, e))
            out.append((s, e, category, "pattern"))
        return out

    def _is_group_or_law(self, doc: Doc, start: int, end: int) -> bool:
        """People ("Hungarians", "Muscovites", "Vietnamese users") and laws ("Privacy Act", "the Criminal Procedure
        Code") are never technologies."""
        from pipeline.components.actors import LEGAL_WORDS

        first = doc[start]
        if doc[end - 1].text in LEGAL_WORDS or (end < len(doc) and doc[end].text in LEGAL_WORDS):
            return True
        if doc[end - 1].text in {"Day", "Days", "Eve"}:
            return True  # "Labor Day": a holiday
        if doc[end - 1].lower_ in _NAME_PARTICLES and end < len(doc) and doc[end].is_title:
            return True  # "Complexo da" (Maré): cut inside a longer name
        if first.text in self.locations.demonyms and (end - start == 1 or doc[start + 1].is_lower):
            return doc[start:end].text not in self.term_category
        return (
            end - start == 1
            and first.is_title
            and first.text.endswith(("ians", "ites", "ans"))
            and first.text not in self.term_category
            and first.text not in self.known_names
        )

    def _names_before_heads(self, doc: Doc) -> list[tuple[int, int]]:
        """ "Quetzal spyware", "the Nazer app", "the “Olho Vivo” system": capitalised words before a lower-case
        head. Weak heads ("system", "platform") need a determiner before the name; strong ones ("spyware", "app")
        do not."""
        out: list[tuple[int, int]] = []
        for token in doc:
            word = token.lower_
            strong = word in _STRONG
            if not (strong or word in _WEAK) or not token.is_lower or token.i == 0:
                continue
            e = token.i
            while e > 0 and doc[e - 1].text in _QUOTES:
                e -= 1
            s = e
            while s > 0 and e - s < 5 and _is_name_like(doc[s - 1]) and doc[s - 1].lower_ not in _DETERMINERS:
                s -= 1
            if s == e:
                continue
            before = s
            while before > 0 and doc[before - 1].text in _QUOTES:
                before -= 1
            if not strong and (before == 0 or doc[before - 1].lower_ not in _DETERMINERS):
                continue
            span = self._name_part(doc, s, e + 1, "NAME_BEFORE")
            if span is not None:
                out.append(span)
        return out

    def _name_part(self, doc: Doc, start: int, end: int, key: str) -> tuple[int, int] | None:
        """The product name inside a context match, without trigger words and quotes."""
        if key == "NAME_AFTER":
            s = end
            while s > start and _is_name_like(doc[s - 1]):
                s -= 1
            name = (s, end)
        else:
            e = end - 1
            while e > start and doc[e - 1].text in _QUOTES:
                e -= 1
            s = e
            while s > start and _is_name_like(doc[s - 1]) and doc[s - 1].lower_ not in _DETERMINERS:
                s -= 1
            name = (s, e)
        s, e = name
        if e < len(doc) and doc[e].lower_ in {"said", "says", "told", "added", "wrote"}:
            return None  # "the tool, Smith said": a person speaking, not a product
        while s < e and doc[s].text in {"-", "–", "."}:
            s += 1
        while e > s and doc[e - 1].text in {"-", "–", "."}:
            e -= 1
        if e <= s:
            return None
        text = doc[s:e].text
        if self._is_known_non_technology(doc[s:e]) or (len(text) <= 2 and not text.isupper()):
            return None
        return (s, e)

    def _is_known_non_technology(self, span: Span) -> bool:
        """Names of places, demonyms and known actors (not platforms), or words that never start a name."""
        text = span.text
        if text in self.term_category:
            return False
        if text in self.known_names or text in self.locations.places or text in self.locations.demonyms:
            return True
        return span[0].text in _NOT_NAMES

    def is_generic(self, span: Span) -> bool:
        words = [t.lower_ for t in span]
        while words and words[0] in {"the", "a", "an", "this", "that", "its", "their", "new", "such"}:
            words = words[1:]
        return not words or " ".join(words) in self.generic

    def category_of(self, span: Span, hits: list[tuple[int, int, str | None]] | None = None) -> str | None:
        """Category of a TECHNOLOGY span: a taxonomy term it is or contains (``hits``: the document's taxonomy
        matches), else the cue words in and around it."""
        doc = span.doc
        text = span.text
        if text in self.term_category:
            return self.term_category[text]
        if text.lower() in self.term_category:
            return self.term_category[text.lower()]
        inside = [h for h in hits or () if span.start <= h[0] and h[1] <= span.end and h[2]]
        if inside:
            return max(inside, key=lambda h: h[1] - h[0])[2]
        votes: dict[str, float] = {}
        sent = span.sent if doc.has_annotation("SENT_START") else doc[max(0, span.start - 15) : span.end + 15]
        for token in sent:
            category = self.cues.get(token.lower_)
            if category is None:
                continue
            if span.start <= token.i < span.end:
                weight = 4.0
            elif span.end <= token.i < span.end + 2 or span.start - 3 <= token.i < span.start:
                weight = 2.0
            else:
                weight = 1.0 / (1 + min(abs(token.i - span.start), abs(token.i - span.end)) / 4)
            votes[category] = votes.get(category, 0.0) + weight
        return max(votes, key=lambda c: votes[c]) if votes else None

    def __call__(self, doc: Doc) -> Doc:
        for start, end, category, source in self._find(doc):
            add_candidate(doc, start, end, "TECHNOLOGY", category=category, source=source)
        if MODEL_SPANS_KEY in doc.spans:
            del doc.spans[MODEL_SPANS_KEY]
        return doc

    def categories(self) -> list[str]:
        return list(self.taxonomy["categories"])

    # Serialisation: the taxonomy travels with the pipeline so a saved pipeline is self-contained.
    def to_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> None:
        folder = Path(path)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "taxonomy.json").write_text(json.dumps(self.taxonomy, ensure_ascii=False, indent=1), encoding="utf-8")

    def from_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> TechnologyMatcher:
        self.taxonomy = load_taxonomy(ensure_path(path) / "taxonomy.json")
        self._build()
        return self

    def to_bytes(self, *, exclude: Iterable[str] = ()) -> bytes:
        return json.dumps(self.taxonomy, ensure_ascii=False).encode("utf-8")

    def from_bytes(self, data: bytes, *, exclude: Iterable[str] = ()) -> TechnologyMatcher:
        self.taxonomy = json.loads(data.decode("utf-8"))
        self._build()
        return self


@Language.factory("survnews_technology", default_config={"taxonomy_path": None})
def make_technology_matcher(nlp: Language, name: str, taxonomy_path: str | None) -> TechnologyMatcher:
    return TechnologyMatcher(nlp, name, taxonomy_path)


_NOT_NAMES = CLAUSE_OPENERS | {
    "COVID",
    "COVID-19",
    "Chinese",
    "City",
    "Covid",
    "Covid-19",
    "Department",
    "Dr",
    "Federal",
    "Government",
    "He",
    "I",
    "It",
    "Ministry",
    "Mr",
    "Mrs",
    "Ms",
    "My",
    "National",
    "New",
    "One",
    "Police",
    "Prof",
    "Russian",
    "She",
    "State",
    "They",
    "Two",
    "We",
    "Your",
}


def _is_name_like(token: Any) -> bool:
    text = token.text
    if re.match(r"^[a-z]{1,4}[A-Z]", text):
        return True  # "iMessage", "vpnMentor"
    return bool(text) and (text[0].isupper() or text[0].isdigit() or text in {"-", "–"}) and text not in _QUOTES


def _plural_at_sentence_start(span: Span) -> bool:
    token = span[0]
    return len(span) == 1 and token.is_title and token.text.endswith("s") and is_sentence_start(span.doc, token.i)


def _x_among_platforms(
    doc: Doc, found: list[tuple[int, int, str | None, str]]
) -> list[tuple[int, int, str | None, str]]:
    """Platforms by their company: "X" listed next to a platform ("Facebook, X and YouTube") or named with its old
    name ("X, formerly Twitter") -- a lone "X" is otherwise a letter; any other capitalised word listed between two
    platforms ("Facebook, LINE and TikTok")."""
    platform_ends = {e for _s, e, c, _src in found if c == PLATFORM_CATEGORY}
    platform_starts = {s for s, _e, c, _src in found if c == PLATFORM_CATEGORY}
    out: list[tuple[int, int, str | None, str]] = []
    if not platform_ends:
        return out
    taken = {i for s, e, _c, _src in found for i in range(s, e)}
    n = len(doc)
    for end in platform_ends:  # "Facebook, LINE and TikTok": a word right after a platform and its comma
        i = end + 1
        if i >= n - 2 or i in taken or doc[end].text != "," or doc[i].text == "X":
            continue
        token = doc[i]
        if token.is_alpha and token.text[:1].isupper() and doc[i + 1].lower_ in {",", "and", "or"}:
            nxt = i + 2 if doc[i + 1].text != "," or doc[i + 2].lower_ not in {"and", "or"} else i + 3
            if nxt in platform_starts:
                out.append((i, i + 1, PLATFORM_CATEGORY, "pattern"))
    if "X" not in doc_text(doc):
        return out
    for token in doc:
        i = token.i
        if token.text != "X":
            continue
        before = [doc[k].lower_ for k in range(max(0, i - 2), i)]
        after = [doc[k].lower_ for k in range(i + 1, min(len(doc), i + 3))]
        joined = (",", "and", "or")
        two_before = before in ([",", "and"], [",", "or"])
        two_after = after in ([",", "and"], [",", "or"])
        listed_after = (
            bool(before)
            and before[-1] in joined
            and (i - 1 in platform_ends or (two_before and i - 2 in platform_ends))
        )
        listed_before = (
            bool(after)
            and after[0] in joined
            and (i + 2 in platform_starts or (two_after and i + 3 in platform_starts))
        )
        formerly = after[:1] in (["("], [","]) and after[1:2] == ["formerly"]
        if listed_after or listed_before or formerly:
            out.append((i, i + 1, PLATFORM_CATEGORY, "pattern"))
    return out


def _looks_like_product(span: Span) -> bool:
    """The recogniser is trained on product names: a capitalised or digit-bearing name, not a place-like phrase."""
    text = span.text
    if not (any(ch.isupper() for ch in text[:3]) or any(ch.isdigit() for ch in text)):
        return False
    return not any(t.text in _PLACE_WORDS for t in span)


_PLACE_WORDS = {"Plaza", "Street", "Avenue", "Road", "Square", "Station", "Airport", "Avenida", "Rue", "Calle", "Park"}


def _trim_span(span: Span) -> Span | None:
    doc = span.doc
    start, end = span.start, span.end
    while start < end and (doc[start].lower_ in {"the", "a", "an", "its", "their"} or doc[start].is_punct):
        start += 1
    while end > start and (doc[end - 1].is_punct or doc[end - 1].text in {"'s", "’s"}):
        end -= 1
    return doc[start:end] if end > start else None


class TechnologyRecogniser:
    """Runs the trained TECHNOLOGY recogniser (``pipeline/models/survnews_technology``) and leaves its spans in
    ``doc.spans[MODEL_SPANS_KEY]`` for ``survnews_technology``.

    The recogniser is an NER head trained on the base pipeline's frozen tok2vec. When the tagging pipeline's own
    ``tok2vec`` has the same weights (the shipped ``survnews_base``), the head reads the token vectors the base
    already computed (``doc.tensor``), so tagging pays for one small head, not a second encoder; with any other
    base it runs its own copy of the tok2vec. It works on a token-for-token copy of each Doc, so the base NER's
    ``doc.ents`` are never touched.
    """

    def __init__(self, nlp: Language, name: str, model_path: str | None = None, batch_size: int = 64) -> None:
        import spacy

        self.name = name
        self.batch_size = batch_size
        path = Path(model_path) if model_path else TECHNOLOGY_MODEL_DIR
        self.available = (path / "config.cfg").is_file()
        self.shared = False
        if not self.available:
            return
        self.model = spacy.load(path)
        self.ner: Any = self.model.get_pipe("technology")
        self.tok2vec: Any = self.model.get_pipe("tok2vec")
        labels: tuple[str, ...] = tuple(getattr(self.ner, "labels", ()))
        for label in labels:
            nlp.vocab.strings.add(label)  # the copies live in the tagger's vocab
        expected = self.model.meta.get("survnews", {}).get("base_tok2vec")
        if "tok2vec" in nlp.pipe_names and expected:
            base_tok2vec: Any = nlp.get_pipe("tok2vec")
            self.shared = _fingerprint(base_tok2vec.model.to_bytes()) == expected

    def __call__(self, doc: Doc) -> Doc:
        for _ in self.pipe([doc]):
            pass
        return doc

    def pipe(self, docs: Iterable[Doc], batch_size: int | None = None) -> Iterable[Doc]:
        from spacy.util import minibatch

        for batch in minibatch(docs, size=batch_size or self.batch_size):
            if self.available:
                self._predict(batch)
            yield from batch

    def _predict(self, docs: list[Doc]) -> None:
        if self.shared and not any(doc.has_annotation("ENT_IOB") for doc in docs):
            # Right after the base tok2vec, before the base NER: predict on the docs themselves (no copies), keep
            # the spans, and leave the entity annotation unset again for the base NER.
            self.ner.set_annotations(docs, self.ner.predict(docs))
            for doc in docs:
                doc.spans[MODEL_SPANS_KEY] = [Span(doc, e.start, e.end, label=e.label_) for e in doc.ents]
                doc.set_ents([], default="missing")
            return
        copies = [
            Doc(doc.vocab, words=[t.text for t in doc], spaces=[bool(t.whitespace_) for t in doc]) for doc in docs
        ]
        if self.shared:
            for doc, copy in zip(docs, copies, strict=True):
                copy.tensor = doc.tensor
        else:
            self.tok2vec.set_annotations(copies, self.tok2vec.predict(copies))
        self.ner.set_annotations(copies, self.ner.predict(copies))
        for doc, copy in zip(docs, copies, strict=True):
            doc.spans[MODEL_SPANS_KEY] = [Span(doc, e.start, e.end, label=e.label_) for e in copy.ents]

    # The trained model lives in its own folder (pipeline/models/survnews_technology); nothing to serialise here.
    def to_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> None:
        return None

    def from_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> TechnologyRecogniser:
        return self


def _fingerprint(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()[:16]


@Language.factory("survnews_technology_model", default_config={"model_path": None, "batch_size": 64})
def make_technology_recogniser(
    nlp: Language, name: str, model_path: str | None, batch_size: int
) -> TechnologyRecogniser:
    return TechnologyRecogniser(nlp, name, model_path, batch_size)
