"""``survnews_resolve``: settles overlapping candidates into the final ACTOR / TECHNOLOGY / LOCATION spans.

Longer spans win ("Beijing Municipal Public Security Bureau" over "Beijing"); at equal length the more specific
source wins (gazetteer, then patterns and taxonomy, then geonames, then the NER). A NER span that runs over
a rule-based name and spans a list ("China Unicom, China Mobile") is dropped rather than allowed to swallow it.
The result is ``doc.spans["survnews"]``; attributes stay on the spans' ``._`` extensions.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from spacy.language import Language
from spacy.tokens import Doc, Span

from pipeline.components.actor_patterns import credit_regions
from pipeline.components.common import (
    RESULT_KEY,
    add_candidate,
    candidate_attrs,
    candidates,
    clear_candidates,
    doc_text,
)
from pipeline.components.technology import PLATFORM_CATEGORY, platform_role

SOURCE_PRIORITY = {"gazetteer": 0, "pattern": 1, "taxonomy": 1, "geonames": 2, "model": 2, "ner": 3}
LABELS = ("ACTOR", "TECHNOLOGY", "LOCATION")


class Resolver:
    def __init__(self, nlp: Language, name: str, keep_candidates: bool = False) -> None:
        self.name = name
        self.keep_candidates = keep_candidates

    def __call__(self, doc: Doc) -> Doc:
        spans = candidates(doc)
        source = {id(s): candidate_attrs(s).get("source") for s in spans}
        rule_spans = [s for s in spans if source[id(s)] != "ner"]
        spans = [
            s for s in spans if s.label_ in LABELS and not (source[id(s)] == "ner" and _overrides_rules(s, rule_spans))
        ]
        spans = _acronyms_of_actors(doc, spans, source)
        spans = _settle_platforms(spans)
        credits = credit_regions(doc_text(doc))
        if credits:  # bylines and credits name no entity ("By Ana Lima", "Photo: X/Agency")
            spans = [s for s in spans if not any(a <= s.start_char < b for a, b in credits)]
        spans.sort(key=lambda s: (-(s.end - s.start), SOURCE_PRIORITY.get(source[id(s)] or "", 9), s.start))
        used = bytearray(len(doc))
        chosen: list[Span] = []
        for span in spans:
            if any(used[span.start : span.end]):
                continue
            used[span.start : span.end] = b"\x01" * (span.end - span.start)
            chosen.append(span)
        chosen.sort(key=lambda s: s.start)
        for span in chosen:
            for name, value in candidate_attrs(span).items():
                setattr(span._, name, value)
        doc.spans[RESULT_KEY] = chosen
        if not self.keep_candidates:
            clear_candidates(doc)
        return doc

    def to_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> None:
        return None

    def from_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> Resolver:
        return self


def _acronyms_of_actors(doc: Doc, spans: list[Span], source: dict[int, str | None]) -> list[Span]:
    """An acronym in brackets right after an actor's name ("the Independent Office for Police Conduct (IOPC)")
    names that actor: it becomes an ACTOR of the same type, and a technology guess on it is dropped."""
    actor_before = {s.end: s for s in spans if s.label_ == "ACTOR"}
    out: list[Span] = []
    for span in spans:
        token = span[0]
        is_acronym = len(span) == 1 and token.is_alpha and token.is_upper and 2 <= len(token.text) <= 8
        actor = actor_before.get(span.start - 1) if is_acronym and span.start >= 1 else None
        if actor is None or doc[span.start - 1].text != "(" or span.label_ == "ACTOR":
            out.append(span)
            continue
        if span.label_ == "TECHNOLOGY":
            attrs = {k: v for k, v in candidate_attrs(actor).items() if k in ("actor_type", "country")}
            replacement = add_candidate(doc, span.start, span.end, "ACTOR", source="pattern", **attrs)
            source[id(replacement)] = "pattern"
            out.append(replacement)
            continue
        out.append(span)
    return out


def _settle_platforms(spans: list[Span]) -> list[Span]:
    """A name that is both a company (ACTOR) and its platform (TECHNOLOGY, apps and platforms) keeps one label by
    its role in the sentence: "WeChat said" (ACTOR), "scan a code in WeChat" (TECHNOLOGY)."""
    by_offsets: dict[tuple[int, int], dict[str, Span]] = {}
    for span in spans:
        by_offsets.setdefault((span.start, span.end), {})[span.label_] = span
    drop: set[int] = set()
    for labelled in by_offsets.values():
        actor, tech = labelled.get("ACTOR"), labelled.get("TECHNOLOGY")
        if actor is None or tech is None:
            continue
        platform = candidate_attrs(tech).get("category") == PLATFORM_CATEGORY
        company = candidate_attrs(actor).get("actor_type") in ("company", None)
        if not (platform and company):
            continue
        drop.add(id(tech) if platform_role(actor) == "ACTOR" else id(actor))
    return [s for s in spans if id(s) not in drop]


def _overrides_rules(span: Span, rule_spans: list[Span]) -> bool:
    """A NER span that would push aside a rule-based name it contains or crosses, with words no name has.

    "Jiujiang city" (NER PERSON) must not beat "Jiujiang" (a known city); "China Unicom, China Mobile" must not
    beat two known companies. A NER name made only of name words ("Shanghai Jiao Tong University") may.
    """
    overlapping = [
        r
        for r in rule_spans
        if r.start < span.end and span.start < r.end and (r.start, r.end) != (span.start, span.end)
    ]
    if not overlapping:
        return False
    if any(not (span.start <= r.start and r.end <= span.end) for r in overlapping):
        return True  # crossing boundaries: the rule-based span is the better-founded one
    return any(
        t.text in {",", ";", "&", "'s", "’s"} or (t.is_lower and t.text not in _NAME_CONNECTORS) or t.like_num
        for t in span
    )


_NAME_CONNECTORS = {"of", "for", "and", "the", "de", "on"}


@Language.factory("survnews_resolve", default_config={"keep_candidates": False})
def make_resolver(nlp: Language, name: str, keep_candidates: bool) -> Resolver:
    return Resolver(nlp, name, keep_candidates)
