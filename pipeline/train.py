"""Train the project's own base English NER (PERSON / ORG / LOC) and ship it as ``pipeline/models/survnews_base``.

No pretrained spaCy pipeline or vectors can be downloaded here, so survnews trains its own small one from openly
licensed corpora (see ``pipeline.ner_corpora`` and ``docs/MODEL_CARD.md``):

1. convert the corpora in ``../shared/ner-train`` to ``train.spacy`` / ``dev.spacy`` / ``test.spacy``;
2. run ``spacy train`` with ``configs/base_ner.cfg`` in a child process limited to one thread (the machine is
   shared; BLAS thread pools read their size from the environment when they load);
3. give the best model its name and version and write it with ``nlp.to_disk``, with its UNER English-PUD scores
   in the meta.

The same command then trains the syntax pipeline ``pipeline/models/survnews_syntax`` (own small tok2vec, tagger,
morphologizer, dependency parser; ``configs/base_syntax.cfg``) from the UD treebanks in ``../shared/ud-train``
(see ``pipeline.syntax_corpora``), scored on UD English-EWT test; ``pipeline.tag.load_tagger`` adds its
components to the base NER.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import spacy
import srsly
from spacy.language import Language

from pipeline.errors import ConfigError, SurvnewsError
from pipeline.ner_corpora import ConversionCounts, ConvertedCorpora, convert_all
from pipeline.paths import MODELS_DIR, PROJECT_ROOT
from pipeline.syntax_corpora import convert_ud

BASE_MODEL_NAME = "survnews_base"
BASE_MODEL_VERSION = "0.1.0"
BASE_MODEL_DIR = MODELS_DIR / BASE_MODEL_NAME
BASE_CONFIG = PROJECT_ROOT / "configs" / "base_ner.cfg"
DEFAULT_WORK_DIR = PROJECT_ROOT / "corpus" / "build" / "ner"
SYNTAX_MODEL_NAME = "survnews_syntax"
SYNTAX_MODEL_VERSION = "0.1.0"
SYNTAX_CONFIG = PROJECT_ROOT / "configs" / "base_syntax.cfg"
DEFAULT_SYNTAX_WORK_DIR = PROJECT_ROOT / "corpus" / "build" / "syntax"
SYNTAX_SOURCES: list[dict[str, str]] = [
    {
        "name": "UD English-EWT (train, dev; test held out)",
        "license": "CC BY-SA 4.0",
        "url": "https://github.com/UniversalDependencies/UD_English-EWT",
    },
    {
        "name": "GUM open genres (academic, bio, court, interview, news, voyage; train, dev)",
        "license": "CC BY 4.0 / CC BY 2.5 / CC BY-SA 3.0",
        "url": "https://github.com/amir-zeldes/gum",
    },
]
SYNTAX_SCORES = ("tag_acc", "pos_acc", "morph_acc", "dep_uas", "dep_las", "sents_f")
SINGLE_THREAD_ENV = {
    name: "1"
    for name in (
        "OMP_NUM_THREADS",
        "OPENBLAS_NUM_THREADS",
        "MKL_NUM_THREADS",
        "BLIS_NUM_THREADS",
        "VECLIB_MAXIMUM_THREADS",
        "NUMEXPR_NUM_THREADS",
    )
}

DATA_SOURCES: list[dict[str, str]] = [
    {
        "name": "UNER English-EWT (early 2022 train + test)",
        "license": "CC BY-SA 4.0",
        "url": "https://github.com/UniversalNER/UNER_English-EWT",
    },
    {
        "name": "GUM silver PER/ORG/LOC, open genres (train + test)",
        "license": "CC BY 4.0 / CC BY 2.5 / CC BY-SA 3.0",
        "url": "https://github.com/amir-zeldes/gum",
    },
    {
        "name": "Broad Twitter Corpus (train)",
        "license": "CC BY 4.0",
        "url": "https://github.com/GateNLP/broad_twitter_corpus",
    },
    {
        "name": "WikiGold (9/10 of documents)",
        "license": "CC BY 4.0",
        "url": "https://figshare.com/articles/Learning_multilingual_named_entity_recognition_from_Wikipedia/5462500",
    },
    {"name": "WNUT-17 (train + test)", "license": "CC BY 4.0", "url": "https://github.com/leondz/emerging_entities_17"},
]


def load_pipeline(model: str | Path = BASE_MODEL_NAME) -> Language:
    """A spaCy pipeline by name: ``survnews_base`` is the shipped one; else a path or an installed package."""
    if str(model) == BASE_MODEL_NAME:
        if not (BASE_MODEL_DIR / "meta.json").is_file():
            raise ConfigError(f"{BASE_MODEL_DIR}: the base pipeline is missing; run `survnews train base`")
        return spacy.load(BASE_MODEL_DIR)
    try:
        return spacy.load(model)
    except OSError as exc:
        raise ConfigError(f"cannot load spaCy pipeline {model!r}: {str(exc).splitlines()[0]}") from None


def convert_corpora(shared: Path, work_dir: Path = DEFAULT_WORK_DIR) -> ConvertedCorpora:
    """Convert ``shared/ner-train`` to DocBin files in ``work_dir``."""
    return convert_all(Path(shared) / "ner-train", Path(work_dir))


def run_spacy_train(
    config: Path,
    train: Path,
    dev: Path,
    output: Path,
    overrides: dict[str, Any] | None = None,
    *,
    log: Path | None = None,
) -> Path:
    """``spacy train`` in a one-thread child process; returns the ``model-best`` folder.

    ``overrides`` are config settings such as ``{"training.max_steps": 20}``.
    """
    args = [
        sys.executable,
        "-m",
        "spacy",
        "train",
        str(config),
        "--output",
        str(output),
        "--paths.train",
        str(train),
        "--paths.dev",
        str(dev),
    ]
    for key, value in (overrides or {}).items():
        args += [f"--{key}", str(value)]
    env = {**os.environ, **SINGLE_THREAD_ENV}
    if log is None:
        captured = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
        returncode, output_text = captured.returncode, captured.stdout + captured.stderr
    else:
        with log.open("w", encoding="utf-8") as handle:
            returncode = subprocess.run(args, env=env, stdout=handle, stderr=subprocess.STDOUT, check=False).returncode
        output_text = log.read_text(encoding="utf-8")
    if returncode != 0:
        last = [line for line in output_text.splitlines() if line.strip()][-1:] or ["no output"]
        raise SurvnewsError(f"spacy train failed (exit {returncode}): {last[0]}")
    best = output / "model-best"
    return best if best.is_dir() else output / "model-last"


def finalize_pipeline(
    trained: Path,
    output: Path,
    *,
    name: str = BASE_MODEL_NAME,
    version: str = BASE_MODEL_VERSION,
    extra_meta: dict[str, Any] | None = None,
    description: str | None = None,
    sources: list[dict[str, str]] | None = None,
) -> Language:
    """Load a trained pipeline, give it its name, version and provenance, and write it to ``output``."""
    nlp = spacy.load(trained)
    nlp.meta.update(
        {
            "name": name,
            "version": version,
            "lang": "en",
            "description": description
            or "survnews base English NER (PERSON, ORG, LOC; LOC includes GPE/facilities), "
            "tok2vec + ner + sentencizer trained from openly licensed corpora. See docs/MODEL_CARD.md.",
            "author": "survnews",
            "license": "CC BY-SA 4.0",
            "sources": sources or DATA_SOURCES,
        }
    )
    nlp.meta.update(extra_meta or {})
    if output.exists():
        shutil.rmtree(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(output)
    prune_strings(nlp, output)
    return nlp


def _morph_strings(labels: set[str]) -> set[str]:
    """Morphologizer labels are "POS=NOUN|Number=Sing": keep their FEATS string and each feature too."""
    out: set[str] = set()
    for label in labels:
        if "POS=" not in label and "=" not in label:
            continue
        parts = label.split("|")
        feats = [p for p in parts if not p.startswith("POS=")]
        out.update(parts)
        out.add("|".join(feats) if feats else "_")
        for part in parts:
            out.update(part.split("=", 1))
    return out


def prune_strings(nlp: Language, path: Path) -> None:
    """Keep only the strings a fresh pipeline needs (blank-language strings and entity labels) in ``path``.

    Training leaves every token of the corpora in ``vocab/strings.json`` (over a megabyte, and a word list drawn
    from the training text). Hash embeddings and the NER model work on hashes, and the tokenizer re-adds its own
    strings on load, so predictions are unchanged (checked in tests/test_train.py).
    """
    labels: set[str] = set()
    for _name, pipe in nlp.pipeline:
        labels.update(getattr(pipe, "labels", ()) or ())
    keep = sorted(set(spacy.blank(nlp.lang or "en").vocab.strings) | labels | _morph_strings(labels))
    srsly.write_json(path / "vocab" / "strings.json", keep)


@dataclass
class TrainResult:
    output: Path
    counts: list[ConversionCounts]
    seconds: float
    test_scores: dict[str, Any] = field(default_factory=dict)


def train_base(
    shared: Path,
    output: Path = BASE_MODEL_DIR,
    *,
    config: Path = BASE_CONFIG,
    work_dir: Path = DEFAULT_WORK_DIR,
    overrides: dict[str, Any] | None = None,
    log: Path | None = None,
    keep_training_dir: bool = False,
) -> TrainResult:
    """Convert the corpora, train, score on the held-out UNER English-PUD and write the named pipeline."""
    if not Path(config).is_file():
        raise ConfigError(f"{config}: training config not found")
    started = time.monotonic()
    converted = convert_corpora(shared, work_dir)
    training_dir = Path(work_dir) / "training"
    if training_dir.exists():
        shutil.rmtree(training_dir)
    best = run_spacy_train(config, converted.train, converted.dev, training_dir, overrides, log=log)
    nlp = spacy.load(best)
    from pipeline.evaluate import score_ner_file

    test = score_ner_file(nlp, converted.test).to_dict() if converted.test.is_file() else {}
    seconds = time.monotonic() - started
    meta: dict[str, Any] = {
        "survnews": {
            "training_seconds": round(seconds),
            "conversion": [c.to_dict() for c in converted.counts],
            "uner_english_pud_test": test,
        }
    }
    finalize_pipeline(best, Path(output), extra_meta=meta)
    if not keep_training_dir:
        shutil.rmtree(training_dir, ignore_errors=True)
    return TrainResult(Path(output), converted.counts, seconds, test)


def score_syntax_file(nlp: Language, path: Path) -> dict[str, float]:
    """Tagging and parsing accuracy of ``nlp`` on a DocBin of gold trees (e.g. UD English-EWT test)."""
    from spacy.tokens import DocBin
    from spacy.training import Example

    docs = list(DocBin().from_disk(path).get_docs(nlp.vocab))
    examples = [Example(nlp.make_doc(doc.text), doc) for doc in docs]
    scores = nlp.evaluate(examples)
    return {key: round(float(scores[key]), 4) for key in SYNTAX_SCORES if scores.get(key) is not None}


def train_syntax(
    shared: Path,
    output: Path = MODELS_DIR / SYNTAX_MODEL_NAME,
    *,
    config: Path = SYNTAX_CONFIG,
    work_dir: Path = DEFAULT_SYNTAX_WORK_DIR,
    overrides: dict[str, Any] | None = None,
    log: Path | None = None,
    keep_training_dir: bool = False,
) -> TrainResult:
    """Convert the UD treebanks, train tagger + morphologizer + parser, score on EWT test, write the pipeline."""
    if not Path(config).is_file():
        raise ConfigError(f"{config}: training config not found")
    started = time.monotonic()
    corpora = convert_ud(Path(shared) / "ud-train", Path(work_dir))
    training_dir = Path(work_dir) / "training"
    if training_dir.exists():
        shutil.rmtree(training_dir)
    best = run_spacy_train(config, corpora.train, corpora.dev, training_dir, overrides, log=log)
    test = score_syntax_file(spacy.load(best), corpora.test)
    seconds = time.monotonic() - started
    meta: dict[str, Any] = {
        "survnews": {
            "training_seconds": round(seconds),
            "sentences": corpora.sentences,
            "ud_english_ewt_test": test,
        }
    }
    finalize_pipeline(
        best,
        Path(output),
        name=SYNTAX_MODEL_NAME,
        version=SYNTAX_MODEL_VERSION,
        extra_meta=meta,
        description="survnews English syntax: own small tok2vec + tagger (PTB tags) + morphologizer (UPOS, "
        "features) + dependency parser (UD labels), trained on UD English-EWT and GUM open genres. "
        "See docs/MODEL_CARD.md.",
        sources=SYNTAX_SOURCES,
    )
    if not keep_training_dir:
        shutil.rmtree(training_dir, ignore_errors=True)
    return TrainResult(Path(output), [], seconds, test)


# ---------------------------------------------------------------- TECHNOLOGY recogniser

TECHNOLOGY_MODEL_NAME = "survnews_technology"
TECHNOLOGY_MODEL_VERSION = "0.1.0"
TECHNOLOGY_MODEL_DIR = MODELS_DIR / TECHNOLOGY_MODEL_NAME
TECHNOLOGY_CONFIG = PROJECT_ROOT / "configs" / "technology_ner.cfg"
TECHNOLOGY_WORK_DIR = PROJECT_ROOT / "corpus" / "build" / "technology"


def tok2vec_fingerprint(nlp: Language, name: str = "tok2vec") -> str:
    """Hash of a tok2vec component's weights: the recogniser may reuse the base's token vectors only if equal."""
    import hashlib

    component: Any = nlp.get_pipe(name)
    return hashlib.sha256(component.model.to_bytes()).hexdigest()[:16]


def train_technology(
    shared: Path | None,
    output: Path = TECHNOLOGY_MODEL_DIR,
    *,
    base: Path = BASE_MODEL_DIR,
    config: Path = TECHNOLOGY_CONFIG,
    work_dir: Path = TECHNOLOGY_WORK_DIR,
    overrides: dict[str, Any] | None = None,
    log: Path | None = None,
    keep_training_dir: bool = False,
) -> TrainResult:
    """Build the TECHNOLOGY training data, train the NER head on the base's frozen tok2vec, score it on the held-out
    fifth of ``corpus/train`` (the whole tagger, every label) and write ``pipeline/models/survnews_technology``."""
    from spacy.tokens import DocBin

    from pipeline.train_corpus import load_articles, split_articles, technology_training_docs

    if not Path(config).is_file():
        raise ConfigError(f"{config}: training config not found")
    if not (Path(base) / "config.cfg").is_file():
        raise ConfigError(f"{base}: the base pipeline is missing; run `survnews train base` first")
    started = time.monotonic()
    train_articles, held_out = split_articles(load_articles())
    train_docs, dev_docs, counts = technology_training_docs(shared, articles=train_articles)
    work_dir = Path(work_dir)
    work_dir.mkdir(parents=True, exist_ok=True)
    DocBin(docs=train_docs).to_disk(work_dir / "train.spacy")
    DocBin(docs=dev_docs).to_disk(work_dir / "dev.spacy")
    training_dir = work_dir / "training"
    if training_dir.exists():
        shutil.rmtree(training_dir)
    settings = {"paths.base": str(base), **(overrides or {})}
    best = run_spacy_train(config, work_dir / "train.spacy", work_dir / "dev.spacy", training_dir, settings, log=log)
    nlp = spacy.load(best)
    nlp.meta.update(
        {
            "name": TECHNOLOGY_MODEL_NAME,
            "version": TECHNOLOGY_MODEL_VERSION,
            "lang": "en",
            "description": "survnews TECHNOLOGY recogniser: an NER head on the survnews_base tok2vec (shared at "
            "tagging time when the weights match). See docs/MODEL_CARD.md.",
            "author": "survnews",
            "license": "CC BY-SA 4.0",
            "sources": [
                {"name": "survnews training corpus (corpus/train, written by the project)", "license": "CC BY 4.0"},
                *[d for d in DATA_SOURCES if d["name"].startswith(("WNUT", "GUM", "UNER"))],
            ],
        }
    )
    nlp.meta["survnews"] = {
        "base_tok2vec": tok2vec_fingerprint(nlp),
        "training_data": counts,
        "held_out_articles": [a.id for a in held_out],
    }
    output = Path(output)
    if output.exists():
        shutil.rmtree(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(output)
    prune_strings(nlp, output)
    from pipeline.evaluate import evaluate_corpus_holdout

    scores = evaluate_corpus_holdout(model=BASE_MODEL_NAME, articles=held_out, technology_model=output)
    meta = srsly.read_json(output / "meta.json")
    meta["survnews"]["held_out_scores"] = scores
    meta["survnews"]["training_seconds"] = round(time.monotonic() - started)
    srsly.write_json(output / "meta.json", meta)
    if not keep_training_dir:
        shutil.rmtree(training_dir, ignore_errors=True)
    return TrainResult(output, [], time.monotonic() - started, scores)


def step_overrides(config: Path, max_steps: int | None) -> dict[str, Any] | None:
    if max_steps is None:
        return None
    # A short run must still evaluate (and so save model-best) a few times before it stops.
    every = int(spacy.util.load_config(config)["training"]["eval_frequency"])
    return {"training.max_steps": max_steps, "training.eval_frequency": max(1, min(every, max_steps // 4))}
