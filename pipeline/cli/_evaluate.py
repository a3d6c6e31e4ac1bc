"""``survnews evaluate``: a pipeline against gold annotations (library: :mod:`pipeline.evaluate`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from pipeline.cli._errors import reported_errors
from pipeline.cli._options import ConfigOption, JsonOption
from pipeline.errors import RejectError
from pipeline.evaluate import (
    AttributeScores,
    attributes_table,
    evaluate_entities,
    evaluate_pipeline,
    gold_mode,
    load_any_gold,
    scores_table,
)


def evaluate_cli(
    gold: Annotated[Path, typer.Argument(help="Label Studio JSON/JSON_MIN export, our JSONL, or a .spacy/IOB file.")],
    model: Annotated[str | None, typer.Option("--model", "-m", help="Pipeline name or path (default: config).")] = None,
    mode: Annotated[
        str,
        typer.Option(
            help="auto, entities (ACTOR/TECHNOLOGY/LOCATION), ner (PERSON/ORG/LOC) or events (event gold JSONL; "
            "auto picks it for a file whose rows carry events)."
        ),
    ] = "auto",
    as_json: JsonOption = False,
    config: ConfigOption = None,
) -> None:
    """Precision / recall / F1 per label, exact span and overlap, of a pipeline against gold annotations.

    With event gold (``corpus/gold/samples.events.jsonl``): P/R/F1 of document-level (actor, relation, object)
    triples per relation.
    """
    from pipeline.config import load_settings

    out = Console()
    with reported_errors(as_json=as_json):
        if mode not in ("auto", "entities", "ner", "events"):
            raise RejectError("usage", f"--mode must be auto, entities, ner or events, not {mode!r}")
        from pipeline.evaluate_events import is_event_gold  # it builds on this module's scores

        if mode == "events" or (mode == "auto" and is_event_gold(gold)):
            _evaluate_events_cli(gold, model or load_settings(config).tagger.model, as_json=as_json)
            return
        gold_docs = load_any_gold(gold)
        if not gold_docs:
            raise RejectError("empty", f"{gold}: no annotated documents")
        model_name = model or load_settings(config).tagger.model
        attributes: AttributeScores | None = None
        if (mode if mode != "auto" else gold_mode(gold_docs)) == "entities":
            from pipeline.tag import load_tagger

            # One tagging pass gives span scores and attribute accuracy (actor_type, category, country, private).
            scores, attributes = evaluate_entities(load_tagger(model_name), gold_docs)
        else:
            scores = evaluate_pipeline(model_name, gold_docs, mode=mode)  # type: ignore[arg-type]
    if as_json:
        extra = {"attributes": attributes.to_dict()} if attributes is not None else {}
        out.print_json(json.dumps({"gold": str(gold), "model": model_name, **scores.to_dict(), **extra}))
    else:
        out.print(scores_table(scores, title=escape(f"{gold.name} vs {model_name}")))
        if attributes is not None:
            out.print(attributes_table(attributes))


def _evaluate_events_cli(gold: Path, model_name: str, *, as_json: bool) -> None:
    """The events part of ``survnews evaluate``; errors propagate to evaluate_cli's reported_errors."""
    from pipeline.evaluate_events import evaluate_events, event_scores_table, load_event_gold

    gold_docs = load_event_gold(gold)
    if not gold_docs:
        raise RejectError("empty", f"{gold}: no annotated documents")
    scores = evaluate_events(model_name, gold_docs)
    out = Console()
    if as_json:
        out.print_json(json.dumps({"gold": str(gold), "model": model_name, **scores.to_dict()}))
    else:
        out.print(event_scores_table(scores, title=escape(f"{gold.name} vs {model_name}")))
