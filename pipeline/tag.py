"""Tagging stage: a spaCy pipeline (NER in front, survnews's registered domain components after it).

``load_tagger`` builds the pipeline: the project's trained base NER (``pipeline/models/survnews_base``), rules
only (``"blank"``), or any installed spaCy pipeline. ``tag_texts`` streams texts through ``nlp.pipe`` and yields
each document's final entities as ``Entity`` records.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Iterator
from pathlib import Path

import spacy
from spacy.language import Language
from spacy.tokens import Doc

import pipeline.components  # noqa: F401  (registers the survnews_* factories)
from pipeline import __version__
from pipeline.components.actors import GAZETTEER_PATH
from pipeline.components.common import RESULT_KEY
from pipeline.components.locations import LOCATION_RULES_PATH
from pipeline.components.technology import TAXONOMY_PATH, TECHNOLOGY_MODEL_DIR
from pipeline.errors import ConfigError
from pipeline.paths import MODELS_DIR
from pipeline.records import Entity, Event

log = logging.getLogger(__name__)

BASE_MODEL = "survnews_base"
BLANK_MODEL = "blank"
RULES_NAME = "survnews_rules"  # identity of a pipeline without a trained NER
SENTENCE_COMPONENTS = {"parser", "senter", "sentencizer"}
TECHNOLOGY_RECOGNISER = "survnews_technology_model"  # the trained TECHNOLOGY head (pipeline/models/survnews_technology)
DOMAIN_COMPONENTS = ("survnews_technology", "survnews_locations", "survnews_actors", "survnews_resolve")


def base_model_path() -> Path:
    return MODELS_DIR / BASE_MODEL


def load_tagger(model: str = BASE_MODEL) -> Language:
    """The tagging pipeline for ``model``: "survnews_base", "blank", or an installed spaCy pipeline name or path.

    Raises ``ConfigError`` (one line) when the model cannot be loaded.
    """
    base_name: str
    if model == BLANK_MODEL:
        nlp, base_name, base_version = spacy.blank("en"), RULES_NAME, __version__
    elif model == BASE_MODEL:
        path = base_model_path()
        if (path / "config.cfg").exists():
            nlp = _load(str(path), model)
            base_name, base_version = BASE_MODEL, str(nlp.meta.get("version", "0.0.0"))
        else:
            log.warning("trained base pipeline not found at %s; tagging with rules only (no NER)", path)
            nlp, base_name, base_version = spacy.blank("en"), RULES_NAME, __version__
    else:
        nlp = _load(model, model)
        meta_name = str(nlp.meta.get("name", "pipeline"))
        lang = str(nlp.meta.get("lang", nlp.lang))
        base_name = meta_name if meta_name.startswith(f"{lang}_") else f"{lang}_{meta_name}"
        base_version = str(nlp.meta.get("version", "0.0.0"))
    if not SENTENCE_COMPONENTS & set(nlp.pipe_names):
        first = nlp.pipe_names[0] if nlp.pipe_names else None
        nlp.add_pipe("sentencizer", first=first is not None) if first else nlp.add_pipe("sentencizer")
    if base_name != RULES_NAME and TECHNOLOGY_RECOGNISER not in nlp.pipe_names:
        # Right after the base tok2vec, whose token vectors it reuses when the weights match (survnews_base).
        after = "tok2vec" if "tok2vec" in nlp.pipe_names else None
        nlp.add_pipe(TECHNOLOGY_RECOGNISER, after=after) if after else nlp.add_pipe(TECHNOLOGY_RECOGNISER)
    for name in DOMAIN_COMPONENTS:
        if name not in nlp.pipe_names:
            nlp.add_pipe(name)
    nlp.meta["survnews"] = {"base": base_name, "base_version": base_version, "rules": rules_fingerprint()}
    return nlp


def _load(name: str, model: str) -> Language:
    try:
        return spacy.load(name)
    except (OSError, ValueError, KeyError, ImportError) as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ConfigError(f"tagger model {model!r} cannot be loaded: {first_line}") from exc


def rules_fingerprint() -> str:
    """Short hash of the rule files and the TECHNOLOGY recogniser's meta, so a change of either re-tags."""
    digest = hashlib.sha256()
    for path in (TAXONOMY_PATH, GAZETTEER_PATH, LOCATION_RULES_PATH, TECHNOLOGY_MODEL_DIR / "meta.json"):
        digest.update(path.read_bytes() if path.exists() else b"")
    return digest.hexdigest()[:8]


def pipeline_identity(nlp: Language) -> tuple[str, str]:
    """(name, version) for provenance, e.g. ("survnews_base", "0.1.0+rules.1a2b3c4d")."""
    info = nlp.meta.get("survnews")
    if not info:
        return (str(nlp.meta.get("name", "pipeline")), str(nlp.meta.get("version", "0.0.0")))
    return (str(info["base"]), f"{info['base_version']}+rules.{info['rules']}")


def doc_entities(doc: Doc) -> list[Entity]:
    """The document's final entities, with exact character offsets and their attributes."""
    if RESULT_KEY not in doc.spans:
        return []
    out: list[Entity] = []
    for span in doc.spans[RESULT_KEY]:
        out.append(
            Entity(
                start=span.start_char,
                end=span.end_char,
                text=span.text,
                label=span.label_,
                actor_type=span._.actor_type,
                category=span._.category,
                country=span._.country,
                lat=span._.lat,
                lon=span._.lon,
                geonames_id=span._.geonames_id,
                admin1=span._.admin1,
                private_person=span._.private_person,
                source=span._.source,
            )
        )
    return out


# doc.user_data key where the events component leaves its events, as Event dicts: plain data, so docs travel
# between nlp.pipe worker processes (user_data is serialised with msgpack).
EVENTS_KEY = "survnews_events"


def doc_events(doc: Doc) -> list[Event]:
    """The events found in the document by the events component (none when the pipeline has no such component)."""
    return [Event.from_dict(item) for item in doc.user_data.get(EVENTS_KEY, [])]


def tag_texts(
    nlp: Language, texts: Iterable[str], *, batch_size: int = 32, n_process: int = 1
) -> Iterator[list[Entity]]:
    """Stream ``texts`` through ``nlp.pipe``; yields one entity list per text, in order."""
    for entities, _events in tag_texts_with_events(nlp, texts, batch_size=batch_size, n_process=n_process):
        yield entities


def tag_texts_with_events(
    nlp: Language, texts: Iterable[str], *, batch_size: int = 32, n_process: int = 1
) -> Iterator[tuple[list[Entity], list[Event]]]:
    """Stream ``texts`` through ``nlp.pipe``; yields (entities, events) per text, in order."""
    for doc in nlp.pipe(texts, batch_size=batch_size, n_process=n_process):
        yield doc_entities(doc), doc_events(doc)
