"""Surveillance-topic relevance score of a text, from the technology taxonomy and context words.

Fast and dependency-light (regular expressions, no spaCy model): ingest scores every document with it. The score
rises with the number of distinct technology terms (weighted by category), repeated mentions and surveillance
context words, is scaled down for long texts where a passing mention means little, and counts title hits double.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from pipeline.paths import read_json
from pipeline.taxonomy import TAXONOMY_PATH, term_variants

STRONG_CONTEXT_WEIGHT = 0.6
WEAK_CONTEXT_WEIGHT = 0.12
REPEAT_WEIGHT = 0.2  # each further mention of an already counted term
REPEAT_CAP = 5
SCALE = 2.5  # raw evidence at which the score reaches 1 - 1/e
REFERENCE_WORDS = 600  # texts longer than this need proportionally more evidence (square-root damping)


@dataclass(frozen=True)
class _Vocabulary:
    insensitive: re.Pattern[str]
    sensitive: re.Pattern[str] | None
    weights: dict[str, float]  # term (lowercased unless case-sensitive) -> weight
    strong: re.Pattern[str]
    weak: re.Pattern[str]


def _alternation(terms: list[str], flags: int = 0) -> re.Pattern[str]:
    """One pattern for all ``terms``: whole words, a space in a term matches any run of spaces or hyphens.

    The terms are compiled as a trie (``(?:a(?:rm|ct)|b...)``) rather than a flat ``a|b|c`` list: Python's
    ``re`` tries a flat alternation's branches one by one at every position of the text, a trie only the branch
    of the next letter. Longer continuations come first at every node, so the longest term wins, as with the
    longest-first flat list ("facial recognition technology" is one hit, not two).
    """
    fold = bool(flags & re.IGNORECASE)
    trie: dict[str, dict] = {}
    for term in set(terms):
        node = trie
        for unit in _units(term.lower() if fold else term):
            node = node.setdefault(unit, {})
        node[_END] = {}
    return re.compile(rf"(?<![\w-])(?:{_render(trie)})(?![\w-])", flags)


_END = ""  # marks the end of a term in the trie
_SEPARATOR = " "  # a space in a term: one or more spaces or hyphens in the text


def _units(term: str) -> list[str]:
    units: list[str] = []
    for char in term:
        if char == " ":
            if units and units[-1] == _SEPARATOR:
                continue
            units.append(_SEPARATOR)
        else:
            units.append(char)
    return units


def _render(node: dict) -> str:
    branches = [
        (r"[\s-]+" if unit == _SEPARATOR else re.escape(unit)) + _render(child)
        for unit, child in sorted(node.items())
        if unit != _END
    ]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    if _END in node:  # a term may end here: the longer ones are tried first (greedy ``?``)
        return f"(?:{body})?" if len(branches) == 1 else f"{body}?"
    return body


@lru_cache(maxsize=2)
def _vocabulary(path: str | None = None) -> _Vocabulary:
    taxonomy = read_json(Path(path) if path else TAXONOMY_PATH)
    weights: dict[str, float] = {}
    sensitive_terms: list[str] = []
    insensitive_terms: list[str] = []
    for spec in taxonomy["categories"].values():
        weight = float(spec.get("weight", 1.0))
        for term in spec.get("terms", []):
            for form in term_variants(term):
                weights[form.lower()] = max(weight, weights.get(form.lower(), 0.0))
                insensitive_terms.append(form)
        for term in spec.get("case_sensitive", []):
            weights[term] = max(weight, weights.get(term, 0.0))
            sensitive_terms.append(term)
    context = taxonomy.get("context_terms", {})
    return _Vocabulary(
        insensitive=_alternation(insensitive_terms, re.IGNORECASE),
        sensitive=_alternation(sensitive_terms) if sensitive_terms else None,
        weights=weights,
        strong=_alternation(list(context.get("strong", [])), re.IGNORECASE),
        weak=_alternation(list(context.get("weak", [])), re.IGNORECASE),
    )


def _evidence(text: str, vocab: _Vocabulary) -> float:
    counts: dict[str, int] = {}
    for match in vocab.insensitive.finditer(text):
        key = re.sub(r"[\s-]+", " ", match.group(0).lower())
        key = key if key in vocab.weights else match.group(0).lower()
        counts[key] = counts.get(key, 0) + 1
    if vocab.sensitive is not None:
        for match in vocab.sensitive.finditer(text):
            counts[match.group(0)] = counts.get(match.group(0), 0) + 1
    score = 0.0
    for term, n in counts.items():
        weight = vocab.weights.get(term, 0.5)
        score += weight * (1 + REPEAT_WEIGHT * min(n - 1, REPEAT_CAP))
    strong_matches = [m.group(0).lower() for m in vocab.strong.finditer(text)]
    strong, strong_mentions = set(strong_matches), len(strong_matches)
    weak = {m.group(0).lower() for m in vocab.weak.finditer(text)}
    score += STRONG_CONTEXT_WEIGHT * len(strong) + 0.1 * min(strong_mentions, 10)
    score += WEAK_CONTEXT_WEIGHT * len(weak)
    return score


def relevance_score(text: str, title: str | None = None) -> float:
    """0..1: how much ``text`` (and its title) is about digital surveillance."""
    vocab = _vocabulary()
    body = _evidence(text or "", vocab)
    words = max(1, len((text or "").split()))
    body /= math.sqrt(max(1.0, words / REFERENCE_WORDS))
    heading = 2.0 * _evidence(title, vocab) if title else 0.0
    return round(1.0 - math.exp(-(body + heading) / SCALE), 4)


@lru_cache(maxsize=4)
def topic_prefilter(path: str | None = None, *, with_context: bool = True) -> re.Pattern[str]:
    """One pattern that finds any taxonomy term or strong context word: a page with none of them cannot reach
    the relevance threshold on its own words, so a prefilter may pass it over before extraction (CC-NEWS).

    ``with_context=False``: technology terms only, a tighter filter (cookie banners say "privacy" and
    "tracking" on most pages) that loses stories naming no technology.
    """
    taxonomy = read_json(Path(path) if path else TAXONOMY_PATH)
    strong = list(taxonomy.get("context_terms", {}).get("strong", [])) if with_context else []
    insensitive: list[str] = strong
    sensitive: list[str] = []
    for spec in taxonomy["categories"].values():
        for term in spec.get("terms", []):
            insensitive.extend(term_variants(term))
        sensitive.extend(spec.get("case_sensitive", []))
    folded = _alternation(insensitive, re.IGNORECASE).pattern
    if not sensitive:
        return re.compile(folded, re.IGNORECASE)
    exact = _alternation(sensitive).pattern
    return re.compile(f"(?i:{folded})|{exact}")
