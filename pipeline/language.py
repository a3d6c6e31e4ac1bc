"""Language identification of article text (py3langid, ISO 639-1 codes).

py3langid ships its model LZMA-compressed; unpacking it costs ~0.7 s, paid by every process that extracts pages
(each worker's start is on the critical path of a run). The unpacked arrays are therefore kept once in the user's
cache (``cache_dir("py3langid")``, keyed by the model file's hash) and memory-mapped from there: a start costs
under a tenth of a second and the workers share the pages. Any problem with the cache falls back to py3langid's
own loader.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import tempfile
from array import array
from functools import lru_cache
from pathlib import Path
from typing import Any

LOG = logging.getLogger(__name__)

# py3langid is unreliable on a few words; below this many letters we do not guess.
MIN_LETTERS = 20
# Longer texts add nothing to the decision but cost time.
MAX_CHARS = 1500
# Below this normalised probability the guess is no better than noise.
MIN_PROBABILITY = 0.5

_LETTER = re.compile(r"[^\W\d_]", re.UNICODE)
_ISO_639_1 = re.compile(r"^[a-z]{2}$")


# The arrays of py3langid's model and the form ``py3langid.modelio.load_model`` gives each: a NumPy array (here
# memory-mapped), a stdlib array (the DFA walk indexes these one byte at a time, faster than NumPy) or a list.
_MODEL_ARRAYS = (
    ("ptc", "numpy"),
    ("pc", "numpy"),
    ("nextmove", "stdlib"),
    ("nextmove_row", "stdlib"),
    ("out_feat", "list"),
)
_TYPECODES = {2: "H", 4: "I", 8: "L"}  # what py3langid's DFA tables are read into, by item size


def _unpacked_model(model_file: Path, cache: Path) -> tuple[Any, ...]:
    """(ptc, pc, classes, nextmove, nextmove_row, out_feat) as ``load_model`` gives them, from the cache; the
    cache is written first when missing, and written again when it cannot be read (a copy cut short)."""
    folder = cache / hashlib.sha256(model_file.read_bytes()).hexdigest()[:16]
    if not (folder / "classes.json").is_file():
        _write_unpacked(model_file, folder)
    try:
        return _read_unpacked(folder)
    except (OSError, ValueError):
        shutil.rmtree(folder, ignore_errors=True)
        _write_unpacked(model_file, folder)
        return _read_unpacked(folder)


def _write_unpacked(model_file: Path, folder: Path) -> None:
    """The model's arrays as .npy files in ``folder``, atomically: a staging folder renamed into place, so
    concurrent workers agree on one copy."""
    import lzma

    import numpy as np

    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".unpacking-", dir=folder.parent))
    try:
        with tempfile.TemporaryFile(dir=staging) as unpacked:
            with lzma.open(model_file) as packed:
                shutil.copyfileobj(packed, unpacked, length=1 << 20)
            unpacked.seek(0)  # a zip needs seeking, far too slow inside an LZMA stream
            with np.load(unpacked, allow_pickle=False) as data:
                for name, _ in _MODEL_ARRAYS:
                    np.save(staging / f"{name}.npy", data[name], allow_pickle=False)
                classes = data["classes"].tolist()
        (staging / "classes.json").write_text(json.dumps(classes), encoding="utf-8")
        try:
            os.rename(staging, folder)
        except OSError:  # another process put it in place first
            if not (folder / "classes.json").is_file():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _read_unpacked(folder: Path) -> tuple[Any, ...]:
    import numpy as np

    loaded: dict[str, Any] = {}
    for name, form in _MODEL_ARRAYS:
        values = np.load(folder / f"{name}.npy", mmap_mode="r", allow_pickle=False)
        if form == "stdlib":
            loaded[name] = array(_TYPECODES[values.dtype.itemsize], values.tobytes())
        elif form == "list":
            loaded[name] = values.tolist()
        else:
            loaded[name] = values
    classes = json.loads((folder / "classes.json").read_text(encoding="utf-8"))
    return (loaded["ptc"], loaded["pc"], classes, loaded["nextmove"], loaded["nextmove_row"], loaded["out_feat"])


@lru_cache(maxsize=1)
def _identifier() -> Any:
    from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

    from pipeline.paths import cache_dir

    try:
        ptc, pc, classes, nextmove, row, output = _unpacked_model(MODEL_DIR / MODEL_FILE, cache_dir("py3langid"))
    except Exception as exc:  # an unwritable or damaged cache, another model layout: the slow path
        LOG.debug("py3langid model cache not used: %s", exc)
        return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    return LanguageIdentifier(ptc, pc, classes, nextmove, output, norm_probs=True, tk_row=row)


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
