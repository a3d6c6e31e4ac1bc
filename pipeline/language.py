"""Language identification of article text (py3langid, ISO 639-1 codes)."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

# py3langid is unreliable on a few words; below this many letters we do not guess.
MIN_LETTERS = 20
# Longer texts add nothing to the decision but cost time.
MAX_CHARS = 1500
# Below this normalised probability the guess is no better than noise.
MIN_PROBABILITY = 0.5

_LETTER = re.compile(r"[^\W\d_]", re.UNICODE)
_ISO_639_1 = re.compile(r"^[a-z]{2}$")


@lru_cache(maxsize=1)
def _identifier() -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def detect_language(text: str) -> str | None:
    """The ISO 639-1 code of the language ``text`` is written in, or None when too short or unclear."""
    if not isinstance(text, str):
        return None
    sample = text[:MAX_CHARS]
    if len(_LETTER.findall(sample)) < MIN_LETTERS:
        return None
    code, probability = _identifier().classify(sample)
    if probability < MIN_PROBABILITY or not _ISO_639_1.match(code):
        return None
    return str(code)


def normalise_language_tag(tag: str | None) -> str | None:
    """``en-US`` / ``EN_gb`` / ``fr`` -> ISO 639-1 ``en`` / ``fr``; anything else -> None."""
    if not tag:
        return None
    primary = re.split(r"[-_]", tag.strip().lower(), maxsplit=1)[0]
    return primary if _ISO_639_1.match(primary) else None
