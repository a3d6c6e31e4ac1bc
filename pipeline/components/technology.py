"""``survnews_technology``: tags surveillance technologies from the taxonomy in ``schemas/``.

Terms match case-insensitively on whole tokens (PhraseMatcher on LOWER), with plural, hyphen/space and US/UK
spelling variants generated here, so the taxonomy lists each term once. Product names that are also common
words (Pegasus, Predator, Stingray) are listed as case-sensitive and match only as written. Token patterns
(spaCy Matcher) cover flexible phrasings. The component serialises its taxonomy with the pipeline.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from spacy.language import Language
from spacy.matcher import Matcher, PhraseMatcher
from spacy.tokens import Doc
from spacy.util import ensure_path

from pipeline.components.common import SCHEMAS_DIR, add_candidate, read_json

TAXONOMY_PATH = SCHEMAS_DIR / "technology_taxonomy.json"
_SPELLINGS = (("license", "licence"), ("center", "centre"), ("color", "colour"), ("analyze", "analyse"))


def load_taxonomy(path: str | Path | None = None) -> dict[str, Any]:
    data: dict[str, Any] = read_json(Path(path) if path else TAXONOMY_PATH)
    if not isinstance(data.get("categories"), dict):
        raise ValueError(f"{path or TAXONOMY_PATH}: taxonomy has no 'categories' object")
    return data


def _plural(word: str) -> str:
    if re.search(r"(s|x|z|ch|sh)$", word):
        return word + "es"
    if re.search(r"[^aeiou]y$", word):
        return word[:-1] + "ies"
    return word + "s"


def term_variants(term: str) -> set[str]:
    """Plural of the last word, hyphen/space forms and US/UK spellings of one taxonomy term."""
    forms = {term}
    if "-" in term:
        forms.add(term.replace("-", " "))
    for us, uk in _SPELLINGS:
        for form in list(forms):
            low = form.lower()
            if us in low:
                forms.add(re.sub(us, uk, form, flags=re.IGNORECASE))
            if uk in low:
                forms.add(re.sub(uk, us, form, flags=re.IGNORECASE))
    for form in list(forms):
        head, _, last = form.rpartition(" ")
        if last.isalpha() and last.lower() == last and not last.endswith("s") and len(last) > 2:
            forms.add(f"{head} {_plural(last)}".strip())
        elif last.isalpha() and last.isupper() and len(last) <= 6:  # acronyms: VPNs, UAVs
            forms.add(f"{head} {last}s".strip())
    return forms


class TechnologyMatcher:
    """Finds taxonomy terms and adds TECHNOLOGY candidates with their category."""

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
        for category, spec in self.taxonomy["categories"].items():
            terms = sorted({v for t in spec.get("terms", []) for v in term_variants(t)})
            if terms:
                self.lower_matcher.add(category, list(tokenizer.pipe(terms)))
            exact = sorted(set(spec.get("case_sensitive", [])))
            if exact:
                self.orth_matcher.add(category, [make_doc(t) for t in exact])
            patterns = spec.get("patterns", [])
            if patterns:
                self.token_matcher.add(category, patterns)

    def __call__(self, doc: Doc) -> Doc:
        found: list[tuple[int, int, str]] = []
        for matcher in (self.lower_matcher, self.orth_matcher, self.token_matcher):
            for match_id, start, end in matcher(doc):
                found.append((start, end, self.nlp.vocab.strings[match_id]))
        # Keep the longest match at each position; the resolver settles overlaps with other labels.
        found.sort(key=lambda m: (m[0], -(m[1] - m[0])))
        taken_until = -1
        for start, end, category in found:
            if start < taken_until:
                continue
            taken_until = end
            add_candidate(doc, start, end, "TECHNOLOGY", category=category, source="taxonomy")
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
