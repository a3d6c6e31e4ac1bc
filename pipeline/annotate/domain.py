"""Learning from gold: ``survnews train domain`` and the before/after evaluation on held-out gold.

The gold is split by article id into a training part and a held-out part (a hash of the id decides, so adding
gold never moves an article from one side to the other). The base NER (PERSON / ORG / LOC; the tagger's rules
turn those into ACTOR / LOCATION and add TECHNOLOGY) is fine-tuned on the training gold, mapped to its labels:

- ACTOR of actor type ``person`` → PERSON, any other ACTOR → ORG, LOCATION → LOC;
- TECHNOLOGY is left out (the taxonomy rules find it, not the NER).

To avoid forgetting, the training set mixes in a random sample of the base training data (``rehearsal`` base
documents per gold document), read from the DocBin that ``survnews train base`` converts. Training reuses the
training stage's own ``spacy train`` runner (one thread) with ``configs/base_ner.cfg``, every component sourced
from the base pipeline, and a short schedule. The before/after scores are the full tagger's ACTOR / TECHNOLOGY /
LOCATION spans against the held-out gold, with ``pipeline.evaluate``.
"""

from __future__ import annotations

import hashlib
import json
import random
import shutil
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.annotate.gold import iter_gold
from pipeline.errors import ConfigError
from pipeline.paths import MODELS_DIR, PROJECT_ROOT
from pipeline.store import Store

DOMAIN_MODEL_NAME = "survnews_domain"
DOMAIN_MODEL_DIR = MODELS_DIR / DOMAIN_MODEL_NAME
DEFAULT_WORK_DIR = PROJECT_ROOT / "corpus" / "build" / "domain"


def is_held_out(article_id: str, test_fraction: float, salt: str = "survnews-gold") -> bool:
    digest = hashlib.sha256(f"{salt}:{article_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < test_fraction


def split_gold(
    records: Iterable[dict[str, Any]], test_fraction: float
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(train, held_out) by a hash of the article id."""
    if not 0.0 <= test_fraction < 1.0:
        raise ConfigError("--test-fraction must be at least 0 and below 1")
    train: list[dict[str, Any]] = []
    held_out: list[dict[str, Any]] = []
    for record in records:
        (held_out if is_held_out(record["id"], test_fraction) else train).append(record)
    return train, held_out


def export_gold(store: Store, out: Path, *, split: str = "all", test_fraction: float = 0.2) -> int:
    """Write gold as JSONL (``{"id", "text", "entities": [...], "relations", "events", "relevant", "category"}``),
    the shape ``survnews evaluate`` reads; returns the number of records."""
    if split not in ("all", "train", "test"):
        raise ConfigError(f"--split must be all, train or test, not {split!r}")
    records = list(iter_gold(store))
    if split != "all":
        train, held_out = split_gold(records, test_fraction)
        records = train if split == "train" else held_out
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".part")
    with tmp.open("w", encoding="utf-8") as handle:
        for record in records:
            keep = {k: record[k] for k in ("id", "text", "entities", "relations", "events", "relevant", "category")}
            handle.write(json.dumps(keep, ensure_ascii=False) + "\n")
    tmp.replace(out)  # all or nothing
    return len(records)


def ner_label(entity: dict[str, Any]) -> str | None:
    if entity["label"] == "ACTOR":
        return "PERSON" if entity.get("actor_type") == "person" else "ORG"
    if entity["label"] == "LOCATION":
        return "LOC"
    return None


def gold_ner_docs(nlp: Any, records: Iterable[dict[str, Any]]) -> tuple[list[Any], int]:
    """spaCy Docs with gold PERSON/ORG/LOC entities (tokenised by ``nlp``); also the number of spans that do
    not fall on token boundaries or overlap another and so were left out."""
    from spacy.util import filter_spans

    docs, skipped = [], 0
    for record in records:
        doc = nlp.make_doc(record["text"])
        spans = []
        for entity in record["entities"]:
            label = ner_label(entity)
            if label is None:
                continue
            span = doc.char_span(entity["start"], entity["end"], label=label, alignment_mode="contract")
            if span is None or not span.text.strip():
                skipped += 1
                continue
            spans.append(span)
        kept = filter_spans(spans)
        skipped += len(spans) - len(kept)
        doc.ents = kept
        docs.append(doc)
    return docs, skipped


@dataclass
class DomainResult:
    output: Path
    base: str
    gold_train: int
    gold_held_out: int
    rehearsal_docs: int
    skipped_spans: int
    seconds: float
    before: dict[str, Any] = field(default_factory=dict)
    after: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "output": str(self.output)}


def resolve_base(model: str) -> Path:
    from pipeline.train import BASE_MODEL_DIR, BASE_MODEL_NAME

    path = BASE_MODEL_DIR if model == BASE_MODEL_NAME else Path(model)
    if not (path / "config.cfg").is_file():
        raise ConfigError(f"{path}: no trained base pipeline to fine-tune; run `survnews train base` first")
    return path


def evaluate_on(model: str, held_out: list[dict[str, Any]]) -> dict[str, Any]:
    """The full tagger's ACTOR/TECHNOLOGY/LOCATION scores against held-out gold (``pipeline.evaluate``)."""
    from pipeline.evaluate import CharSpan, GoldDoc, evaluate_pipeline

    docs = [
        GoldDoc(r["text"], sorted(CharSpan(e["start"], e["end"], e["label"]) for e in r["entities"]), r["id"])
        for r in held_out
    ]
    return evaluate_pipeline(model, docs, mode="entities").to_dict()


def train_domain(
    store: Store,
    *,
    base: str = "survnews_base",
    output: Path = DOMAIN_MODEL_DIR,
    base_data: Path | None = None,
    test_fraction: float = 0.2,
    rehearsal: float = 3.0,
    max_steps: int = 600,
    seed: int = 0,
    work_dir: Path = DEFAULT_WORK_DIR,
    evaluate: bool = True,
) -> DomainResult:
    """Fine-tune the base NER on the training part of the gold; score before and after on the held-out part."""
    import spacy
    from spacy.tokens import DocBin

    from pipeline.train import BASE_CONFIG, finalize_pipeline, run_spacy_train
    from pipeline.train import DEFAULT_WORK_DIR as BASE_WORK_DIR

    started = time.monotonic()
    base_path = resolve_base(base)
    train, held_out = split_gold(iter_gold(store), test_fraction)
    if not train:
        raise ConfigError("no gold to train on: push, annotate and `survnews annotate pull` first")
    nlp = spacy.load(base_path)
    gold_docs, skipped = gold_ner_docs(nlp, train)

    base_data = base_data or BASE_WORK_DIR / "train.spacy"
    rng = random.Random(seed)
    rehearsal_docs: list[Any] = []
    if rehearsal > 0:
        if not base_data.is_file():
            raise ConfigError(
                f"{base_data}: base training data not found (run `survnews train base`, or pass "
                "--base-data, or --rehearsal 0 to accept forgetting)"
            )
        pool = list(DocBin().from_disk(base_data).get_docs(nlp.vocab))
        rehearsal_docs = rng.sample(pool, min(len(pool), round(rehearsal * len(gold_docs))))
    # the gold is few documents: show each one several times per epoch next to the rehearsal sample
    repeats = max(1, min(5, len(rehearsal_docs) // max(1, len(gold_docs))))
    train_docs = gold_docs * repeats + rehearsal_docs
    rng.shuffle(train_docs)
    dev_docs = gold_docs + rehearsal_docs[: max(1, len(rehearsal_docs) // 10)]

    if work_dir.exists():
        shutil.rmtree(work_dir)
    work_dir.mkdir(parents=True)
    DocBin(docs=train_docs).to_disk(work_dir / "train.spacy")
    DocBin(docs=dev_docs).to_disk(work_dir / "dev.spacy")

    config = spacy.util.load_config(BASE_CONFIG)
    for name in config["nlp"]["pipeline"]:
        config["components"][name] = {"source": str(base_path)}
    config_path = work_dir / "domain.cfg"
    config.to_disk(config_path)
    every = max(1, min(100, max_steps // 4))
    overrides = {
        "training.max_steps": max_steps,
        "training.eval_frequency": every,
        "training.patience": max_steps,
        "training.optimizer.learn_rate": 0.0005,
        "system.seed": seed,
    }
    best = run_spacy_train(
        config_path,
        work_dir / "train.spacy",
        work_dir / "dev.spacy",
        work_dir / "training",
        overrides,
        log=work_dir / "train.log",
    )
    base_version = str(nlp.meta.get("version", "0.0.0"))
    meta = {
        "description": f"{DOMAIN_MODEL_NAME}: the survnews base NER fine-tuned on {len(train)} annotated articles "
        f"(gold from Label Studio) with {len(rehearsal_docs)} base documents rehearsed.",
        "survnews": {
            "base": str(base),
            "base_version": base_version,
            "gold_train_articles": len(train),
            "gold_held_out_articles": len(held_out),
            "rehearsal_docs": len(rehearsal_docs),
            "max_steps": max_steps,
            "seed": seed,
        },
    }
    finalize_pipeline(best, output, name=DOMAIN_MODEL_NAME, version=f"{base_version}+gold{len(train)}", extra_meta=meta)
    result = DomainResult(
        output=output,
        base=str(base),
        gold_train=len(train),
        gold_held_out=len(held_out),
        rehearsal_docs=len(rehearsal_docs),
        skipped_spans=skipped,
        seconds=round(time.monotonic() - started, 1),
    )
    if evaluate and held_out:
        result.before = evaluate_on(str(base), held_out)
        result.after = evaluate_on(str(output), held_out)
    return result
