"""Convert the openly licensed English NER corpora in ``../shared/ner-train/`` to spaCy DocBin files.

The corpora come in three CoNLL-like layouts (UD-style ``index<TAB>token<TAB>tag[...]`` with ``#`` comments,
``token<TAB>tag``, and space-separated ``token tag`` with ``-DOCSTART-``), in IOB1 or IOB2, with different label sets.
Everything is mapped to the three labels the base pipeline learns: PERSON, ORG and LOC (LOC covers GPE and
facilities too: no corpus separates them). Labels a corpus has beyond those (MISC, OTH, WNUT's group/product/...)
become ``O``.

UNER English-PUD is the held-out evaluation set: it is converted to its own file and never joins train or dev.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from spacy.tokens import Doc, DocBin
from spacy.training.iob_utils import iob_to_biluo
from spacy.vocab import Vocab

from pipeline.errors import RejectError

BASE_LABELS: tuple[str, ...] = ("PERSON", "ORG", "LOC")

# Corpus tag type -> base label; a type missing from a map becomes O.
CONLL_LABELS: dict[str, str] = {"PER": "PERSON", "ORG": "ORG", "LOC": "LOC"}
# WNUT's "group" (teams, bands, parties, non-profits) would be ORG elsewhere: neither ORG nor O is safe to teach,
# so its tokens are left unannotated (missing), which spaCy does not penalise either way.
MISSING = "MISSING"
WNUT_LABELS: dict[str, str] = {"person": "PERSON", "corporation": "ORG", "location": "LOC", "group": MISSING}

_DOCSTART = "-DOCSTART-"
_COMMENT_KEY = re.compile(r"^#\s*([\w .-]+?)\s*(?:=\s*(.*))?$")


@dataclass(frozen=True)
class Layout:
    """Where the token and tag are on a line, and which boundaries the format marks."""

    token_col: int
    tag_col: int
    comments: bool  # UD-style "# key = value" lines (newdoc id, sent_id, text)


UD_LAYOUT = Layout(token_col=1, tag_col=2, comments=True)
PAIR_LAYOUT = Layout(token_col=0, tag_col=-1, comments=False)


@dataclass
class Sentence:
    tokens: list[str]
    tags: list[str]
    doc_key: str
    text: str | None = None  # the original sentence ("# text = ..."), when the file gives it

    def spaces(self) -> list[bool]:
        """Whether each token is followed by a space: read off ``text`` when the tokens align with it, else all."""
        if self.text is None:
            return [True] * len(self.tokens)
        spaces: list[bool] = []
        pos = 0
        for token in self.tokens:
            found = self.text.find(token, pos)
            if found < 0 or self.text[pos:found].strip():
                return [True] * len(self.tokens)
            if spaces:
                spaces[-1] = found > pos
            pos = found + len(token)
            spaces.append(True)
        return spaces


@dataclass(frozen=True)
class CorpusSpec:
    """One corpus: its files per split (relative to the ner-train folder), layout and label map."""

    name: str
    title: str
    licence: str
    layout: Layout
    label_map: dict[str, str]
    train: tuple[str, ...] = ()
    dev: tuple[str, ...] = ()
    test: tuple[str, ...] = ()
    # For a corpus shipped as a single file: every n-th document goes to dev (0 = none).
    dev_every_nth_doc: int = 0
    # Blank-line blocks are whole documents (tweets/posts) rather than sentences of a longer document.
    block_is_doc: bool = False


CORPORA: tuple[CorpusSpec, ...] = (
    CorpusSpec(
        name="uner_english_ewt",
        title="UNER English-EWT (web: weblogs, newsgroups, e-mail, reviews, answers)",
        licence="CC BY-SA 4.0",
        layout=UD_LAYOUT,
        label_map=CONLL_LABELS,
        # The final train file was not obtainable; the early 2022 one has the same tokens (extra OTH tags → O).
        # Its test split joins training: our held-out measure is UNER English-PUD.
        train=("uner_english_ewt/early_train_2022/en_ewt-ud-train.iob2", "uner_english_ewt/en_ewt-ud-test.iob2"),
        dev=("uner_english_ewt/en_ewt-ud-dev.iob2",),
    ),
    CorpusSpec(
        name="gum",
        title="GUM silver PER/ORG/LOC (open genres: news, interview, bio, voyage, academic, court)",
        licence="CC BY 4.0 annotations; texts CC BY 2.5 / CC BY-SA 3.0 / CC BY 4.0",
        layout=UD_LAYOUT,
        label_map=CONLL_LABELS,
        train=("gum/gum_train.iob2", "gum/gum_test.iob2"),
        dev=("gum/gum_dev.iob2",),
    ),
    CorpusSpec(
        name="broad_twitter_corpus",
        title="Broad Twitter Corpus (tweets; train + dev of the recommended split, section F test left out)",
        licence="CC BY 4.0",
        layout=PAIR_LAYOUT,
        label_map=CONLL_LABELS,
        # Dev splits of the social-media corpora join training: model selection uses edited text (news is the target).
        train=(
            "broad_twitter_corpus/train_dev_test_conll/btc.train",
            "broad_twitter_corpus/train_dev_test_conll/btc.dev",
        ),
        block_is_doc=True,
    ),
    CorpusSpec(
        name="wikigold",
        title="WikiGold (Wikipedia articles, IOB1)",
        licence="CC BY 4.0",
        layout=PAIR_LAYOUT,
        label_map=CONLL_LABELS,
        train=("wikigold/wikigold.conll.txt",),
        dev_every_nth_doc=10,
    ),
    CorpusSpec(
        name="wnut17",
        title="WNUT-17 emerging entities (Twitter, Reddit, YouTube, StackExchange)",
        licence="CC BY 4.0",
        layout=PAIR_LAYOUT,
        label_map=WNUT_LABELS,
        train=("wnut17/wnut17train.conll", "wnut17/emerging.dev.conll", "wnut17/emerging.test.annotated"),
        block_is_doc=True,
    ),
)

EVAL_CORPUS = CorpusSpec(
    name="uner_english_pud",
    title="UNER English-PUD (news and Wikipedia; held-out test, never trained on)",
    licence="CC BY-SA 3.0",
    layout=UD_LAYOUT,
    label_map=CONLL_LABELS,
    test=("uner_english_pud/en_pud-ud-test.iob2",),
)


def read_conll(lines: Iterable[str], layout: Layout, *, block_is_doc: bool = False) -> Iterator[Sentence]:
    """Yield the sentences of a CoNLL-like file.

    Boundaries: a blank or whitespace-only line ends a sentence; ``-DOCSTART-``, ``# newdoc`` and a change of
    document in ``# sent_id`` start a new document. Columns are split on tabs when the line has one (tokens may then
    contain spaces), else on runs of spaces. Empty tokens are dropped.
    """
    doc_index = 0
    doc_name = ""
    text: str | None = None
    tokens: list[str] = []
    tags: list[str] = []

    def key() -> str:
        return f"{doc_index}:{doc_name}"

    for raw in lines:
        line = raw.rstrip("\r\n")
        if not line.strip():
            if tokens:
                yield Sentence(tokens, tags, key(), text)
                tokens, tags, text = [], [], None
                if block_is_doc:
                    doc_index += 1
            continue
        if layout.comments and line.startswith("#"):
            match = _COMMENT_KEY.match(line)
            if match:
                name, value = match.group(1), (match.group(2) or "").strip()
                if name == "text":
                    text = value
                elif name.startswith("newdoc"):
                    doc_index += 1
                    doc_name = value
                elif name == "sent_id" and "-" in value:
                    sent_doc = value.rsplit("-", 1)[0]
                    if sent_doc != doc_name:
                        doc_index += 1
                        doc_name = sent_doc
            continue
        fields = line.split("\t") if "\t" in line else line.split()
        if fields[0] == _DOCSTART:
            if tokens:
                yield Sentence(tokens, tags, key(), text)
                tokens, tags, text = [], [], None
            doc_index += 1
            continue
        if len(fields) < 2:
            continue  # a stray one-column line: nothing to learn from
        token = fields[layout.token_col].strip()
        tag = fields[layout.tag_col].strip() or "O"
        if not token:
            continue
        tokens.append(token)
        tags.append(tag)
    if tokens:
        yield Sentence(tokens, tags, key(), text)


def map_tags(tags: Sequence[str], label_map: dict[str, str]) -> list[str]:
    """Map each ``B-X`` / ``I-X`` to the base label of X, or to ``O`` (also for stray ``B-O`` and malformed tags)."""
    mapped: list[str] = []
    for tag in tags:
        prefix, _, kind = tag.partition("-")
        label = label_map.get(kind)
        if prefix in ("B", "I") and label:
            mapped.append(f"{prefix}-{label}")
        else:
            mapped.append("O")
    return mapped


def sentence_spans(tags: Sequence[str]) -> list[tuple[int, int, str]]:
    """Token spans ``(start, end, label)`` of mapped IOB tags; IOB1 (``I-`` opening an entity) is read as IOB2."""
    biluo = iob_to_biluo(list(tags))
    spans: list[tuple[int, int, str]] = []
    start = 0
    for index, tag in enumerate(biluo):
        if tag.startswith(("B-", "U-")):
            start = index
        if tag.startswith(("L-", "U-")):
            spans.append((start, index + 1, tag[2:]))
    return spans


def sentences_to_docs(
    vocab: Vocab, sentences: Iterable[Sentence], label_map: dict[str, str], *, max_sents_per_doc: int = 10
) -> Iterator[Doc]:
    """Join consecutive sentences of one document (at most ``max_sents_per_doc``) into a Doc with entities."""
    group: list[Sentence] = []

    def build(group: list[Sentence]) -> Doc:
        words: list[str] = []
        spaces: list[bool] = []
        sent_starts: list[bool | int | None] = []
        iob: list[str] = []  # "" marks a missing (unannotated) token
        for sentence in group:
            sentence_iob = ["O"] * len(sentence.tokens)
            for start, end, label in sentence_spans(map_tags(sentence.tags, label_map)):
                for i in range(start, end):
                    sentence_iob[i] = "" if label == MISSING else ("B-" if i == start else "I-") + label
            iob.extend(sentence_iob)
            words.extend(sentence.tokens)
            spaces.extend(sentence.spaces())
            sent_starts.extend([True] + [False] * (len(sentence.tokens) - 1))
        spaces[-1] = False
        return Doc(vocab, words=words, spaces=spaces, sent_starts=sent_starts, ents=iob)

    for sentence in sentences:
        if group and (sentence.doc_key != group[0].doc_key or len(group) >= max_sents_per_doc):
            yield build(group)
            group = []
        group.append(sentence)
    if group:
        yield build(group)


@dataclass
class ConversionCounts:
    """What one corpus split contributed."""

    corpus: str
    split: str
    docs: int = 0
    sentences: int = 0
    tokens: int = 0
    entities: Counter[str] = field(default_factory=Counter)

    def to_dict(self) -> dict[str, object]:
        return {
            "corpus": self.corpus,
            "split": self.split,
            "docs": self.docs,
            "sentences": self.sentences,
            "tokens": self.tokens,
            "entities": dict(sorted(self.entities.items())),
        }


def _read_files(root: Path, files: Sequence[str], spec: CorpusSpec) -> list[Sentence]:
    sentences: list[Sentence] = []
    for rel in files:
        path = root / rel
        if not path.is_file():
            raise RejectError("missing", f"{path}: corpus file not found ({spec.name})")
        with path.open(encoding="utf-8", errors="replace") as handle:
            # Prefix the file name so documents of two files never merge.
            sentences.extend(
                Sentence(s.tokens, s.tags, f"{rel}:{s.doc_key}", s.text)
                for s in read_conll(handle, spec.layout, block_is_doc=spec.block_is_doc)
            )
    return sentences


def corpus_splits(root: Path, spec: CorpusSpec) -> dict[str, list[Sentence]]:
    """Read a corpus into ``train`` / ``dev`` / ``test`` sentence lists (document-level split where needed)."""
    splits = {
        "train": _read_files(root, spec.train, spec),
        "dev": _read_files(root, spec.dev, spec),
        "test": _read_files(root, spec.test, spec),
    }
    if spec.dev_every_nth_doc:
        doc_order: dict[str, int] = {}
        for sentence in splits["train"]:
            doc_order.setdefault(sentence.doc_key, len(doc_order))
        held = {k for k, i in doc_order.items() if i % spec.dev_every_nth_doc == spec.dev_every_nth_doc - 1}
        splits["dev"] += [s for s in splits["train"] if s.doc_key in held]
        splits["train"] = [s for s in splits["train"] if s.doc_key not in held]
    return splits


def convert_corpus(
    root: Path, spec: CorpusSpec, vocab: Vocab, *, max_sents_per_doc: int = 10
) -> tuple[dict[str, list[Doc]], list[ConversionCounts]]:
    docs: dict[str, list[Doc]] = {}
    counts: list[ConversionCounts] = []
    for split, sentences in corpus_splits(root, spec).items():
        if not sentences:
            continue
        split_docs = list(sentences_to_docs(vocab, sentences, spec.label_map, max_sents_per_doc=max_sents_per_doc))
        count = ConversionCounts(
            spec.name,
            split,
            docs=len(split_docs),
            sentences=len(sentences),
            tokens=sum(len(s.tokens) for s in sentences),
        )
        count.entities.update(ent.label_ for doc in split_docs for ent in doc.ents)
        docs[split] = split_docs
        counts.append(count)
    return docs, counts


@dataclass
class ConvertedCorpora:
    train: Path
    dev: Path
    test: Path
    counts: list[ConversionCounts]


def convert_all(
    ner_train_dir: Path,
    out_dir: Path,
    *,
    corpora: Sequence[CorpusSpec] = CORPORA,
    eval_corpus: CorpusSpec | None = EVAL_CORPUS,
    max_sents_per_doc: int = 10,
) -> ConvertedCorpora:
    """Write ``train.spacy`` and ``dev.spacy`` (all training corpora) and ``test.spacy`` (the held-out corpus)."""
    if not ner_train_dir.is_dir():
        raise RejectError("missing", f"{ner_train_dir}: NER corpus folder not found")
    out_dir.mkdir(parents=True, exist_ok=True)
    vocab = Vocab()
    bins = {"train": DocBin(), "dev": DocBin(), "test": DocBin()}
    counts: list[ConversionCounts] = []
    for spec in corpora:
        docs, spec_counts = convert_corpus(ner_train_dir, spec, vocab, max_sents_per_doc=max_sents_per_doc)
        counts.extend(spec_counts)
        for split in ("train", "dev"):
            for doc in docs.get(split, []):
                bins[split].add(doc)
        if docs.get("test"):
            raise RejectError("config", f"{spec.name}: training corpora must not have a test split")
    if eval_corpus is not None:
        docs, spec_counts = convert_corpus(ner_train_dir, eval_corpus, vocab, max_sents_per_doc=max_sents_per_doc)
        counts.extend(spec_counts)
        for doc in docs.get("test", []):
            bins["test"].add(doc)
    paths = {split: out_dir / f"{split}.spacy" for split in bins}
    for split, doc_bin in bins.items():
        doc_bin.to_disk(paths[split])
    return ConvertedCorpora(train=paths["train"], dev=paths["dev"], test=paths["test"], counts=counts)


def iob_file_to_docs(
    path: Path, vocab: Vocab, *, layout: Layout | None = None, label_map: dict[str, str] = CONLL_LABELS
) -> list[Doc]:
    """Read any IOB1/IOB2 file (UD-style or two-column, guessed from its first token line) into gold Docs."""
    with path.open(encoding="utf-8", errors="replace") as handle:
        lines = handle.readlines()
    if layout is None:
        layout = _guess_layout(lines)
    return list(sentences_to_docs(vocab, read_conll(lines, layout), label_map))


def _guess_layout(lines: Sequence[str]) -> Layout:
    for line in lines:
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.rstrip("\r\n").split("\t") if "\t" in line else line.split()
        return UD_LAYOUT if len(fields) >= 3 and fields[0].isdigit() else PAIR_LAYOUT
    return PAIR_LAYOUT
