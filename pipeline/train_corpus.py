"""survnews's own training corpus (``corpus/train/``): inline markup -> text with exact character-offset spans.

The articles are written by the project (fictional events) in a small inline markup, so offsets are exact by
construction (``corpus/train/GUIDE.md`` is the annotation guide):

* ``[Pegasus]{T:spyware}`` — TECHNOLOGY with its taxonomy category;
* ``[Ministry of Interior]{A:government}`` — ACTOR with its actor type; ``{A:person}`` is a person in a public
  role (``private_person`` false), ``{A:private}`` a private individual (``private_person`` true);
* ``[Rue de Rivoli]{L:FR}`` — LOCATION with its ISO country code (``{L:-}`` for none).

Each article starts with a ``### <id>`` line. Later, unmarked mentions of a marked surface form in the same
article are annotated the same way (whole words, not overlapping a marked span), unless the form is marked with
two different labels in that article (a platform used in one sentence and acting in another).

A fixed fifth of the articles (every fifth, by order in the files) is held out as our test set.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from spacy.tokens import Span
from spacy.util import filter_spans

from pipeline.paths import PROJECT_ROOT

TRAIN_CORPUS_DIR = PROJECT_ROOT / "corpus" / "train"
HOLDOUT_EVERY = 5  # article i (0-based) is held out when i % 5 == 4

LABEL_CODES = {"A": "ACTOR", "T": "TECHNOLOGY", "L": "LOCATION"}
_MARK = re.compile(r"\[([^\[\]{}]+)\]\{([ATL]):([^{}\[\]]*)\}")
_BROKEN = re.compile(r"\]\{[^}]*$|\]\{[^}]*\]|\[[^\]]*\]\{(?![ATL]:)")
_HEADER = re.compile(r"^### (\S+)\s*$", re.MULTILINE)


@dataclass
class AnnotatedArticle:
    id: str
    text: str
    entities: list[dict[str, Any]] = field(default_factory=list)

    def to_gold(self) -> dict[str, Any]:
        return {"id": self.id, "text": self.text, "entities": self.entities}


def _attrs(label: str, value: str, where: str) -> dict[str, Any]:
    value = value.strip()
    if label == "ACTOR":
        if value == "private":
            return {"actor_type": "person", "private_person": True}
        if value == "person":
            return {"actor_type": "person", "private_person": False}
        return {"actor_type": value}
    if label == "TECHNOLOGY":
        return {"category": value}
    if value in ("", "-"):
        return {"country": None}
    if not re.fullmatch(r"[A-Z]{2}", value):
        raise ValueError(f"{where}: location country {value!r} is not an ISO code")
    return {"country": value}


def parse_article(article_id: str, marked: str) -> AnnotatedArticle:
    """One article's markup -> plain text and spans (marked ones, then propagated mentions)."""
    where = f"corpus/train {article_id}"
    pieces: list[str] = []
    entities: list[dict[str, Any]] = []
    pos = 0
    length = 0
    for match in _MARK.finditer(marked):
        before = marked[pos : match.start()]
        pieces.append(before)
        length += len(before)
        surface = match.group(1)
        label = LABEL_CODES[match.group(2)]
        entity = {"start": length, "end": length + len(surface), "text": surface, "label": label}
        entity.update(_attrs(label, match.group(3), where))
        entities.append(entity)
        pieces.append(surface)
        length += len(surface)
        pos = match.end()
    pieces.append(marked[pos:])
    text = "".join(pieces).strip("\n")
    shift = len("".join(pieces)) - len("".join(pieces).lstrip("\n"))
    for entity in entities:
        entity["start"] -= shift
        entity["end"] -= shift
    leftover = _BROKEN.search(text)
    if leftover or "]{" in text:
        snippet = text[max(0, (leftover.start() if leftover else text.index("]{")) - 20) :][:60]
        raise ValueError(f"{where}: broken markup near {snippet!r}")
    entities = _propagate(text, entities)
    for entity in entities:
        if text[entity["start"] : entity["end"]] != entity["text"]:
            raise ValueError(f"{where}: span {entity} does not match the text")
    return AnnotatedArticle(article_id, text, entities)


def _propagate(text: str, entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    labels_of: dict[str, set[str]] = {}
    for entity in entities:
        labels_of.setdefault(entity["text"], set()).add(entity["label"])
    taken = bytearray(len(text))
    for entity in entities:
        taken[entity["start"] : entity["end"]] = b"\x01" * (entity["end"] - entity["start"])
    out = list(entities)
    seen: set[str] = set()
    for entity in sorted(entities, key=lambda e: -len(e["text"])):
        surface = entity["text"]
        if surface in seen or len(labels_of[surface]) > 1:
            continue
        seen.add(surface)
        for match in re.finditer(rf"(?<![\w-]){re.escape(surface)}(?![\w-])", text):
            start, end = match.span()
            if any(taken[start:end]):
                continue
            taken[start:end] = b"\x01" * (end - start)
            out.append({**entity, "start": start, "end": end})
    return sorted(out, key=lambda e: e["start"])


def load_articles(folder: Path = TRAIN_CORPUS_DIR) -> list[AnnotatedArticle]:
    """Every article of the corpus files (``*.txt``, sorted by name), in order."""
    articles: list[AnnotatedArticle] = []
    ids: set[str] = set()
    for path in sorted(Path(folder).glob("*.txt")):
        raw = path.read_text(encoding="utf-8")
        headers = list(_HEADER.finditer(raw))
        for k, header in enumerate(headers):
            body_end = headers[k + 1].start() if k + 1 < len(headers) else len(raw)
            article_id = header.group(1)
            if article_id in ids:
                raise ValueError(f"{path.name}: duplicate article id {article_id!r}")
            ids.add(article_id)
            articles.append(parse_article(article_id, raw[header.end() : body_end]))
    return articles


def split_articles(
    articles: list[AnnotatedArticle], every: int = HOLDOUT_EVERY
) -> tuple[list[AnnotatedArticle], list[AnnotatedArticle]]:
    """(train, held-out test): a fixed fifth, by position, never trained on."""
    train = [a for i, a in enumerate(articles) if i % every != every - 1]
    test = [a for i, a in enumerate(articles) if i % every == every - 1]
    return train, test


# ---------------------------------------------------------------- training data for the TECHNOLOGY recogniser

TECH_LABEL = "TECHNOLOGY"
_SYLLABLES = (
    "ka",
    "ro",
    "vex",
    "lu",
    "tri",
    "na",
    "zor",
    "mi",
    "sen",
    "qua",
    "dra",
    "po",
    "lyx",
    "ter",
    "io",
    "ban",
    "cel",
    "fi",
    "gor",
    "hal",
    "ix",
    "jun",
    "ke",
    "mar",
    "nov",
    "ol",
    "pix",
    "ru",
    "sta",
    "ul",
)
_NAME_SUFFIXES = ("", "", "", " Pro", " 2", "X", " Suite", " One", "-7", " Go")


WNUT_TECH_WORDS = {
    "app",
    "apps",
    "phone",
    "phones",
    "iphone",
    "android",
    "ios",
    "software",
    "update",
    "download",
    "downloaded",
    "laptop",
    "computer",
    "pc",
    "windows",
    "mac",
    "tablet",
    "ipad",
    "camera",
    "console",
    "xbox",
    "install",
    "installed",
    "wifi",
    "internet",
    "online",
    "browser",
    "chrome",
    "device",
    "devices",
    "google",
    "apple",
    "microsoft",
    "samsung",
    "os",
    "server",
    "linux",
    "email",
    "web",
    "website",
    "smartphone",
    "bluetooth",
    "gps",
}


def pseudo_name(rng: random.Random) -> str:
    """An invented product-like name ("Zorvex", "KAMI", "Trinax Pro"): teaches contexts, not names."""
    word = "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 3)))
    style = rng.random()
    if style < 0.15:
        word = word.upper()[: rng.randint(3, 5)]
    elif style < 0.3 and len(word) > 5:
        cut = rng.randint(2, len(word) - 2)
        word = word[:cut].title() + word[cut:].title()  # CamelCase: "VoxTrace"
    else:
        word = word.title()
    return word + rng.choice(_NAME_SUFFIXES)


def swap_product_names(article: AnnotatedArticle, rng: random.Random) -> AnnotatedArticle:
    """A copy of ``article`` whose capitalised TECHNOLOGY names are replaced by invented ones (same in every
    mention), offsets shifted; common-noun technologies, actors and places stay as written."""
    mapping: dict[str, str] = {}
    for entity in article.entities:
        surface = entity["text"]
        named = entity["label"] == TECH_LABEL and surface[:1].isupper() and len(surface.split()) <= 3
        if named and (not surface.isupper() or len(surface) > 3):
            mapping.setdefault(surface, pseudo_name(rng))
    pieces: list[str] = []
    entities: list[dict[str, Any]] = []
    pos = 0
    delta = 0
    for entity in sorted(article.entities, key=lambda e: e["start"]):
        pieces.append(article.text[pos : entity["start"]])
        new = mapping.get(entity["text"], entity["text"]) if entity["label"] == TECH_LABEL else entity["text"]
        start = entity["start"] + delta
        entities.append({**entity, "start": start, "end": start + len(new), "text": new})
        pieces.append(new)
        delta += len(new) - len(entity["text"])
        pos = entity["end"]
    pieces.append(article.text[pos:])
    return AnnotatedArticle(f"{article.id}~swap", "".join(pieces), entities)


def is_product_name(text: str) -> bool:
    """A technology named like a product or platform ("Pegasus", "Face Pay", "e-Devlet"), not a common noun phrase.

    The recogniser learns these only: the taxonomy and the technique patterns cover noun phrases, and the base
    pipeline's token vectors, trained to find names, suit telling a product's name from a company's or a place's.
    """
    return any(ch.isupper() for ch in text[:3]) or any(ch.isdigit() for ch in text)


def article_doc(nlp: Any, article: AnnotatedArticle, labels: tuple[str, ...] = (TECH_LABEL,)) -> Any:
    """A Doc of the article (tokenised as the tagger does) with its product-name ``labels`` spans as entities."""
    doc = nlp.make_doc(article.text)
    spans = []
    for entity in article.entities:
        if entity["label"] not in labels or not is_product_name(entity["text"]):
            continue
        span = doc.char_span(entity["start"], entity["end"], label=entity["label"], alignment_mode="expand")
        if span is not None:
            spans.append(span)
    doc.set_ents(filter_spans(spans), default="outside")
    return doc


def technology_training_docs(
    shared: Path | None,
    *,
    articles: list[AnnotatedArticle] | None = None,
    augment: int = 5,
    dev_every: int = 6,
    silver_negatives: int = 400,
    seed: int = 0,
) -> tuple[list[Any], list[Any], dict[str, int]]:
    """(train docs, dev docs, counts) for the TECHNOLOGY recogniser.

    * our corpus's training part (the held-out fifth never enters): every ``dev_every``-th article is dev, the rest
      train, each also ``augment`` times with invented product names;
    * WNUT-17 (``shared/ner-train``): sentences with a ``product`` span, product -> TECHNOLOGY, the rest O;
    * silver: GUM and EWT training sentences where the taxonomy finds a product or platform name (generic
      phrases left out), plus ``silver_negatives`` sentences where it finds none (all O), so the model stays
      quiet on everyday text.

    Only product and platform names are taught (``is_product_name``); noun phrases are the rules' job.
    """
    import spacy

    from pipeline.components.technology import TechnologyMatcher

    rng = random.Random(seed)
    nlp = spacy.blank("en")
    if articles is None:
        articles, _held_out = split_articles(load_articles())
    counts: dict[str, int] = {}
    train: list[Any] = []
    dev: list[Any] = []
    for i, article in enumerate(articles):
        if dev_every and i % dev_every == dev_every - 1:
            dev.append(article_doc(nlp, article))
            continue
        train.append(article_doc(nlp, article))
        for _ in range(augment):
            train.append(article_doc(nlp, swap_product_names(article, rng)))
    counts["corpus_train_docs"] = len(train)
    counts["corpus_dev_docs"] = len(dev)
    if shared is not None and (Path(shared) / "ner-train").is_dir():
        from pipeline.ner_corpora import CORPORA, corpus_splits, sentences_to_docs

        root = Path(shared) / "ner-train"
        specs = {spec.name: spec for spec in CORPORA}
        wnut = corpus_splits(root, specs["wnut17"])["train"]
        # WNUT's products are any products (wine, snacks, games): only sentences about devices and software are
        # used, their products taught as TECHNOLOGY.
        with_product = [s for s in wnut if any(t.endswith("-product") for t in s.tags)]
        techy = [s for s in with_product if {w.lower() for w in s.tokens} & WNUT_TECH_WORDS]
        wnut_docs = list(sentences_to_docs(nlp.vocab, techy, {"product": TECH_LABEL}, max_sents_per_doc=1))
        train.extend(wnut_docs)
        counts["wnut17_product_docs"] = len(wnut_docs)
        matcher = TechnologyMatcher(nlp, "silver")
        positives: list[Any] = []
        negatives: list[Any] = []
        for name in ("gum", "uner_english_ewt"):
            sentences = corpus_splits(root, specs[name])["train"]
            for doc in sentences_to_docs(nlp.vocab, sentences, {}, max_sents_per_doc=1):
                found = [s for s in matcher.spans(doc) if is_product_name(s.text)]
                if found:
                    doc.set_ents([Span(doc, s.start, s.end, label=TECH_LABEL) for s in found], default="outside")
                    positives.append(doc)
                elif len(doc) >= 8:
                    negatives.append(doc)
        rng.shuffle(negatives)
        train.extend(positives)
        train.extend(negatives[:silver_negatives])
        counts["silver_positive_docs"] = len(positives)
        counts["silver_negative_docs"] = min(silver_negatives, len(negatives))
    rng.shuffle(train)
    return train, dev, counts
