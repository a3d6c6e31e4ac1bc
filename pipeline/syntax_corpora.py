"""Convert the UD treebanks in ``../shared/ud-train/`` to spaCy DocBin files for the syntax pipeline.

UD English-EWT train/dev/test and the open-genre GUM documents (split by ``gum/splits.md``: documents it does not
list are train). EWT test is the held-out measure reported in the model card; GUM test joins nothing.
Tokens carry POS (UPOS), TAG (XPOS), morphology, heads and UD dependency labels.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from spacy.tokens import DocBin
from spacy.training.converters import conllu_to_docs

from pipeline.errors import RejectError

SENTENCES_PER_DOC = 10
_SPLIT_HEADING = re.compile(r"^##\s+(\w+)\s*$")
_SPLIT_ITEM = re.compile(r"^\s*\*\s+(\S+)\s*$")


@dataclass(frozen=True)
class SyntaxCorpora:
    train: Path
    dev: Path
    test: Path
    sentences: dict[str, int]


def gum_splits(gum_dir: Path) -> dict[str, str]:
    """Document name -> split, read from ``gum/splits.md`` (documents it does not list are train)."""
    splits: dict[str, str] = {}
    current = ""
    path = gum_dir / "splits.md"
    if not path.is_file():
        raise RejectError("missing", f"{path}: GUM splits file not found")
    for line in path.read_text(encoding="utf-8").splitlines():
        heading = _SPLIT_HEADING.match(line)
        if heading:
            current = heading.group(1)
            continue
        item = _SPLIT_ITEM.match(line)
        if item and current:
            splits[item.group(1)] = current
    return splits


def _conllu_text(paths: list[Path]) -> str:
    return "\n".join(path.read_text(encoding="utf-8").strip() + "\n" for path in paths)


def _write(paths: list[Path], out: Path) -> int:
    text = _conllu_text(paths)
    docs = list(conllu_to_docs(text, n_sents=SENTENCES_PER_DOC, no_print=True))
    DocBin(docs=docs, store_user_data=False).to_disk(out)
    return sum(len(list(doc.sents)) for doc in docs)


def convert_ud(ud_dir: Path, work_dir: Path) -> SyntaxCorpora:
    """Write ``train.spacy`` / ``dev.spacy`` / ``test.spacy`` in ``work_dir`` from ``ud_dir``."""
    ewt = ud_dir / "ud_english_ewt"
    gum = ud_dir / "gum"
    for split in ("train", "dev", "test"):
        if not (ewt / f"en_ewt-ud-{split}.conllu").is_file():
            raise RejectError("missing", f"{ewt}: en_ewt-ud-{split}.conllu not found")
    splits = gum_splits(gum)
    gum_files: dict[str, list[Path]] = {"train": [], "dev": [], "test": []}
    for path in sorted(gum.glob("GUM_*.conllu")):
        split = splits.get(path.stem, "train")
        if split in gum_files:
            gum_files[split].append(path)
    work_dir.mkdir(parents=True, exist_ok=True)
    out = {split: work_dir / f"{split}.spacy" for split in ("train", "dev", "test")}
    sentences = {
        "train": _write([ewt / "en_ewt-ud-train.conllu", *gum_files["train"]], out["train"]),
        "dev": _write([ewt / "en_ewt-ud-dev.conllu", *gum_files["dev"]], out["dev"]),
        # The model card reports EWT test alone.
        "test": _write([ewt / "en_ewt-ud-test.conllu"], out["test"]),
    }
    return SyntaxCorpora(out["train"], out["dev"], out["test"], sentences)
