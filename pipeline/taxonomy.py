"""The technology taxonomy's file and the surface forms of its terms, without spaCy.

Kept apart from ``components.technology`` so that relevance scoring in the extraction workers does not import
spaCy (importing ``pipeline.components`` registers every spaCy factory).
"""

from __future__ import annotations

import re

from pipeline.paths import SCHEMAS_DIR

TAXONOMY_PATH = SCHEMAS_DIR / "technology_taxonomy.json"
_SPELLINGS = (("license", "licence"), ("center", "centre"), ("color", "colour"), ("analyze", "analyse"))


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
        if (
            last.isalpha()
            and last.lower() == last
            and (not last.endswith("s") or last.endswith("ss"))
            and len(last) > 2
        ):
            forms.add(f"{head} {_plural(last)}".strip())
        elif last.isalpha() and last.isupper() and len(last) <= 6:  # acronyms: VPNs, UAVs
            forms.add(f"{head} {last}s".strip())
    return forms
