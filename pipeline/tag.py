"""Tagging stage: a spaCy pipeline (NER in front, survnews's registered domain, syntax and fact components after).

``load_tagger`` builds the pipeline: the project's trained base NER (``pipeline/models/survnews_base``), rules
only (``"blank"``), or any installed spaCy pipeline (which keeps its own parser). The domain components follow;
for survnews_base then ``survnews_syntax`` (tagger and dependency parser of ``pipeline/models/survnews_syntax`` on
the sentences events can come from); then ``survnews_canonical`` (entity ids) and ``survnews_events`` (events).
``tag_texts`` streams texts through ``nlp.pipe`` and yields each document's final entities as ``Entity`` records.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import spacy
from spacy.language import Language
from spacy.tokens import Doc

import pipeline.components  # noqa: F401  (registers the survnews_* factories)
from pipeline import __version__
from pipeline.components.actors import GAZETTEER_PATH
from pipeline.components.common import RESULT_KEY
from pipeline.components.events import EVENT_VERBS_PATH
from pipeline.components.locations import LOCATION_RULES_PATH
from pipeline.components.technology import TAXONOMY_PATH, TECHNOLOGY_MODEL_DIR
from pipeline.errors import ConfigError, SurvnewsError
from pipeline.paths import MODELS_DIR
from pipeline.records import Entity, Event

log = logging.getLogger(__name__)

BASE_MODEL = "survnews_base"
BLANK_MODEL = "blank"
RULES_NAME = "survnews_rules"  # identity of a pipeline without a trained NER
SENTENCE_COMPONENTS = {"parser", "senter", "sentencizer"}
TECHNOLOGY_RECOGNISER = "survnews_technology_model"  # the trained TECHNOLOGY head (pipeline/models/survnews_technology)
DOMAIN_COMPONENTS = ("survnews_technology", "survnews_locations", "survnews_actors", "survnews_resolve")
FACT_COMPONENTS = ("survnews_canonical", "survnews_events")  # after the domain components: they read the final spans
SYNTAX_MODEL = "survnews_syntax"
SYNTAX_COMPONENT = "survnews_syntax"  # runs the survnews_syntax pipeline (pipeline/components/syntax.py)
# The components of the survnews_syntax pipeline: its own tok2vec (the NER keeps its tok2vec) and the heads.
SYNTAX_COMPONENTS = ("syntax_tok2vec", "tagger", "morphologizer", "parser")


def base_model_path() -> Path:
    return MODELS_DIR / BASE_MODEL


def syntax_model_path() -> Path:
    return MODELS_DIR / SYNTAX_MODEL


def add_syntax(nlp: Language, path: Path | None = None) -> bool:
    """Add ``survnews_syntax`` (tagger, morphologizer and parser of the syntax pipeline, on its own tok2vec).

    It goes where ``nlp`` ends (load_tagger calls it after the domain components: it parses the sentences with
    an event trigger and two entities). Returns False when the syntax pipeline is not there (tagging then runs
    without a parse; events fall back to window rules).
    """
    path = path or syntax_model_path()
    if not (path / "config.cfg").exists():
        log.warning("syntax pipeline not found at %s; tagging without a parser", path)
        return False
    try:
        nlp.add_pipe("survnews_syntax", config={"model": str(path)})
    except (OSError, ValueError, KeyError) as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ConfigError(f"syntax pipeline {path} cannot be loaded: {first_line}") from exc
    version = str(nlp.get_pipe("survnews_syntax").syntax.meta.get("version", "0.0.0"))  # type: ignore[attr-defined]
    nlp.meta["survnews_syntax"] = {"name": SYNTAX_MODEL, "version": version}
    return True


def _project_base(model: str) -> tuple[str, str] | None:
    """(base name, base version) of the project's own pipelines ("blank", "survnews_base"), from their files
    (``meta.json`` of the base and of the syntax pipeline it gets); None for any other pipeline.

    The one place that says what a project pipeline is called: ``load_tagger`` records it in ``nlp.meta`` and
    ``tagger_identity`` returns it without loading spaCy's pipeline, so the two cannot drift apart.
    """
    if model == BLANK_MODEL:
        return RULES_NAME, __version__
    if model != BASE_MODEL:
        return None
    path = base_model_path()
    if not (path / "config.cfg").exists():
        return RULES_NAME, __version__
    version = str(_meta(path).get("version", "0.0.0"))
    if (syntax_model_path() / "config.cfg").exists():  # add_syntax's own condition: it adds the parser
        version += f"+{SYNTAX_MODEL}.{_meta(syntax_model_path()).get('version', '0.0.0')}"
    return BASE_MODEL, version


def _meta(path: Path) -> dict[str, object]:
    try:
        meta = json.loads((path / "meta.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return meta if isinstance(meta, dict) else {}


def tagger_identity(model: str) -> tuple[str, str] | None:
    """(name, version) ``pipeline_identity`` gives for ``load_tagger(model)``, read from the files without
    loading the pipeline, for the project's own models; None for an installed pipeline (only loading it tells)."""
    base = _project_base(model)
    return None if base is None else (base[0], f"{base[1]}+rules.{rules_fingerprint()}")


def load_tagger(model: str = BASE_MODEL) -> Language:
    """The tagging pipeline for ``model``: "survnews_base", "blank", or an installed spaCy pipeline name or path.

    Raises ``ConfigError`` (one line) when the model cannot be loaded.
    """
    base_name: str
    with_syntax = False  # survnews_base gets the survnews_syntax parser; other pipelines keep their own, if any
    project = _project_base(model)
    if project is not None:
        base_name, base_version = project
        if base_name == RULES_NAME:
            if model == BASE_MODEL:
                path = base_model_path()
                log.warning("trained base pipeline not found at %s; tagging with rules only (no NER)", path)
            nlp = spacy.blank("en")
        else:
            nlp = _load(str(base_model_path()), model)
            with_syntax = True
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
    if with_syntax and "parser" not in nlp.pipe_names and SYNTAX_COMPONENT not in nlp.pipe_names:
        add_syntax(nlp)  # its version is in base_version already (_project_base)
    for name in FACT_COMPONENTS:
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
    """Short hash of the rule files, the event lexicon and the TECHNOLOGY recogniser's meta: a change re-tags."""
    digest = hashlib.sha256()
    paths = (TAXONOMY_PATH, GAZETTEER_PATH, LOCATION_RULES_PATH, EVENT_VERBS_PATH, TECHNOLOGY_MODEL_DIR / "meta.json")
    for path in paths:
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
                entity_id=span._.entity_id,
                canonical=span._.canonical,
            )
        )
    return out


# doc.user_data key where the events component leaves its events, as Event dicts: plain data, so docs travel
# between nlp.pipe worker processes (user_data is serialised with msgpack).
EVENTS_KEY = "survnews_events"


def doc_events(doc: Doc) -> list[Event]:
    """The events found in the document by the events component (none when the pipeline has no such component)."""
    return [Event.from_dict(item) for item in doc.user_data.get(EVENTS_KEY, [])]


# Longest piece of text given to the pipeline at once: far below spaCy's ``nlp.max_length`` (E088), and small
# enough that the parser's memory stays bounded. Longer articles are tagged piece by piece, cut at paragraph
# (else line, sentence or word) boundaries, with every offset shifted back into the whole text.
MAX_PIECE_CHARS = 100_000
_CUTS = ("\n\n", "\n", ". ", " ")


@dataclass(frozen=True)
class TagFailure:
    """One text the pipeline could not tag: the others go on; the caller records ``reason`` as a reject."""

    reason: str


TagResult = tuple[list[Entity], list[Event]]


def split_for_tagging(text: str, limit: int = MAX_PIECE_CHARS) -> list[tuple[int, str]]:
    """``(offset, piece)`` pairs covering ``text`` exactly, each piece at most ``limit`` characters."""
    pieces: list[tuple[int, str]] = []
    start = 0
    while len(text) - start > limit:
        end = start + limit
        for cut in _CUTS:
            found = text.rfind(cut, start + limit // 2, end)
            if found >= 0:
                end = found + len(cut)
                break
        pieces.append((start, text[start:end]))
        start = end
    pieces.append((start, text[start:]))
    return pieces


def _shifted(result: TagResult, offset: int) -> TagResult:
    entities, events = result
    if offset:
        entities = [replace(e, start=e.start + offset, end=e.end + offset) for e in entities]
        events = [replace(e, start=e.start + offset, end=e.end + offset) for e in events]
    return entities, events


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())[:300]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _tag_pieces(
    nlp: Language, pieces: Iterator[tuple[str, tuple[int, int]]], *, batch_size: int, n_process: int
) -> Iterator[tuple[tuple[int, int], TagResult | TagFailure]]:
    """``((text index, offset), result)`` for every piece, in order, whatever a piece does to the pipeline.

    The pieces stream through one ``nlp.pipe``. When it raises, the pieces it had taken but not returned are
    tagged one by one (so only the culprit fails) and a new ``nlp.pipe`` goes on with the rest.
    """
    in_flight: deque[tuple[str, tuple[int, int]]] = deque()

    def feed() -> Iterator[tuple[str, tuple[int, int]]]:
        for item in pieces:
            in_flight.append(item)
            yield item

    while True:
        try:
            for doc, context in nlp.pipe(feed(), as_tuples=True, batch_size=batch_size, n_process=n_process):
                while in_flight and in_flight[0][1] != context:
                    # dropped by a component's error handler: tagged alone, in its place
                    yield _tag_alone(nlp, *in_flight.popleft())
                if in_flight:
                    in_flight.popleft()
                yield context, (doc_entities(doc), doc_events(doc))
            if not in_flight:
                return
        except Exception as exc:  # one bad text must not stop the others
            log.debug("tagging batch failed: %s", _one_line(exc))
        retry = list(in_flight)
        in_flight.clear()
        for piece, context in retry:
            yield _tag_alone(nlp, piece, context)


def _tag_alone(nlp: Language, piece: str, context: tuple[int, int]) -> tuple[tuple[int, int], TagResult | TagFailure]:
    try:
        doc = nlp(piece)
    except Exception as exc:
        return context, TagFailure(f"tagging failed: {_one_line(exc)}")
    return context, (doc_entities(doc), doc_events(doc))


def tag_texts(
    nlp: Language, texts: Iterable[str], *, batch_size: int = 32, n_process: int = 1
) -> Iterator[list[Entity]]:
    """Stream ``texts`` through ``nlp.pipe``; yields one entity list per text, in order.

    A text the pipeline cannot tag raises ``SurvnewsError`` naming it (use ``tag_texts_with_events`` to go on).
    """
    for index, result in enumerate(tag_texts_with_events(nlp, texts, batch_size=batch_size, n_process=n_process)):
        if isinstance(result, TagFailure):
            raise SurvnewsError(f"text {index}: {result.reason}")
        yield result[0]


def tag_texts_with_events(
    nlp: Language, texts: Iterable[str], *, batch_size: int = 32, n_process: int = 1
) -> Iterator[TagResult | TagFailure]:
    """Stream ``texts`` through ``nlp.pipe``; yields (entities, events) per text, in order, or a ``TagFailure``.

    A text longer than ``MAX_PIECE_CHARS`` is tagged in pieces with exact offsets into the whole text; a text the
    pipeline fails on yields a ``TagFailure`` with the reason, and the texts after it are tagged as usual.
    """
    limit = max(1_000, min(MAX_PIECE_CHARS, int(getattr(nlp, "max_length", MAX_PIECE_CHARS)) // 2))
    piece_counts: deque[int] = deque()

    def pieces() -> Iterator[tuple[str, tuple[int, int]]]:
        for index, text in enumerate(texts):
            parts = split_for_tagging(text if isinstance(text, str) else str(text), limit)
            piece_counts.append(len(parts))
            for offset, piece in parts:
                yield piece, (index, offset)

    results: list[TagResult | TagFailure] = []
    for (_index, offset), result in _tag_pieces(nlp, pieces(), batch_size=batch_size, n_process=n_process):
        results.append(result if isinstance(result, TagFailure) else _shifted(result, offset))
        if len(results) < piece_counts[0]:
            continue
        piece_counts.popleft()
        failure = next((r for r in results if isinstance(r, TagFailure)), None)
        if failure is not None:
            yield failure
        else:
            entities = [e for r in results if not isinstance(r, TagFailure) for e in r[0]]
            events = [e for r in results if not isinstance(r, TagFailure) for e in r[1]]
            yield entities, events
        results = []
