"""``survnews train``: the project's spaCy pipelines (library: :mod:`pipeline.train`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from pipeline.cli._errors import reported_errors
from pipeline.cli._options import JsonOption
from pipeline.paths import PROJECT_ROOT
from pipeline.train import (
    BASE_CONFIG,
    BASE_MODEL_DIR,
    DEFAULT_WORK_DIR,
    SYNTAX_CONFIG,
    SYNTAX_MODEL_NAME,
    TECHNOLOGY_CONFIG,
    TECHNOLOGY_MODEL_DIR,
    TECHNOLOGY_WORK_DIR,
    step_overrides,
    train_base,
    train_syntax,
    train_technology,
)

# options both training commands take
MaxStepsOption = Annotated[int | None, typer.Option(help="Override training.max_steps (e.g. for a quick run).")]
LogOption = Annotated[Path | None, typer.Option(help="Write spacy train's output here.")]

train_app = typer.Typer(help="Train the project's spaCy pipelines.", no_args_is_help=True)


@train_app.command("base")
def train_base_cli(
    shared: Annotated[
        Path, typer.Option(help="The ../shared folder holding ner-train/.", show_default="../shared")
    ] = PROJECT_ROOT.parent / "shared",
    output: Annotated[
        Path, typer.Option(help="Where to write the trained pipeline.", show_default="pipeline/models/survnews_base")
    ] = BASE_MODEL_DIR,
    config: Annotated[
        Path, typer.Option(help="spaCy training config.", show_default="configs/base_ner.cfg")
    ] = BASE_CONFIG,
    work_dir: Annotated[
        Path, typer.Option(help="Folder for the converted DocBin files.", show_default="corpus/build/ner")
    ] = DEFAULT_WORK_DIR,
    max_steps: MaxStepsOption = None,
    log: LogOption = None,
    keep_training_dir: Annotated[bool, typer.Option(help="Keep spacy train's model-best/model-last.")] = False,
    as_json: JsonOption = False,
    syntax: Annotated[
        bool, typer.Option(help="Also train the syntax pipeline (tagger + parser) from ud-train/, when present.")
    ] = True,
    ner: Annotated[bool, typer.Option(help="Train the NER pipeline (--no-ner: syntax only).")] = True,
    syntax_output: Annotated[
        Path | None,
        typer.Option(help="Where to write the syntax pipeline.", show_default="survnews_syntax beside --output"),
    ] = None,
    syntax_config: Annotated[
        Path, typer.Option(help="spaCy training config of the syntax pipeline.", show_default="configs/base_syntax.cfg")
    ] = SYNTAX_CONFIG,
) -> None:
    """Train the base PERSON/ORG/LOC NER from the open NER corpora, then the tagger and dependency parser from the
    UD treebanks (one thread; ~30 + ~35 min)."""
    out, err = Console(), Console(stderr=True)
    overrides = step_overrides(config, max_steps)
    summary: dict[str, Any] = {}
    with reported_errors(as_json=as_json):
        if ner:
            summary["ner"] = _train_ner_cli(
                out, err, shared, output, config, work_dir, overrides, log, keep_training_dir, quiet=as_json
            )
        if syntax:
            if not (Path(shared) / "ud-train").is_dir():
                err.print(
                    f"note: {escape(str(Path(shared) / 'ud-train'))} not found; the syntax pipeline was not rebuilt"
                )
            else:
                target = syntax_output or Path(output).parent / SYNTAX_MODEL_NAME
                with err.status("converting treebanks and training tagger + parser (one thread)..."):
                    syntax_result = train_syntax(
                        shared,
                        target,
                        config=syntax_config,
                        work_dir=Path(work_dir).parent / "syntax",
                        overrides=step_overrides(syntax_config, max_steps),
                        log=log.with_name(log.stem + ".syntax" + log.suffix) if log else None,
                        keep_training_dir=keep_training_dir,
                    )
                summary["syntax"] = {
                    "output": str(syntax_result.output),
                    "minutes": round(syntax_result.seconds / 60, 2),
                    "ud_english_ewt_test": syntax_result.test_scores,
                }
                if not as_json:
                    out.print(json.dumps({"ud_english_ewt_test": syntax_result.test_scores}))
                    out.print(f"wrote {escape(str(syntax_result.output))} in {syntax_result.seconds / 60:.1f} min")
    if as_json:
        typer.echo(json.dumps(summary, default=str))


def _train_ner_cli(
    out: Console,
    err: Console,
    shared: Path,
    output: Path,
    config: Path,
    work_dir: Path,
    overrides: dict[str, Any] | None,
    log: Path | None,
    keep_training_dir: bool,
    *,
    quiet: bool = False,
) -> dict[str, Any]:
    with err.status("converting corpora and training (one thread)..."):
        result = train_base(
            shared,
            output,
            config=config,
            work_dir=work_dir,
            overrides=overrides,
            log=log,
            keep_training_dir=keep_training_dir,
        )
    summary = {
        "output": str(result.output),
        "minutes": round(result.seconds / 60, 2),
        "counts": [count.to_dict() for count in result.counts],
        "test_f1": {k: v["f1"] for k, v in result.test_scores["exact"].items()} if result.test_scores else None,
    }
    if quiet:
        return summary
    table = Table(title="training data", title_justify="left")
    for column in ("corpus", "split", "docs", "sentences", "tokens", "entities"):
        table.add_column(column)
    for count in result.counts:
        ents = ", ".join(f"{k} {v}" for k, v in sorted(count.entities.items()))
        table.add_row(count.corpus, count.split, str(count.docs), str(count.sentences), str(count.tokens), ents)
    out.print(table)
    if result.test_scores:
        out.print(json.dumps({"uner_english_pud_test": {k: v["f1"] for k, v in result.test_scores["exact"].items()}}))
    out.print(f"wrote {escape(str(result.output))} in {result.seconds / 60:.1f} min")
    return summary


@train_app.command("technology")
def train_technology_cli(
    shared: Annotated[
        Path,
        typer.Option(help="The ../shared folder holding ner-train/ (WNUT-17, GUM, EWT).", show_default="../shared"),
    ] = PROJECT_ROOT.parent / "shared",
    output: Annotated[
        Path, typer.Option(help="Where to write the recogniser.", show_default="pipeline/models/survnews_technology")
    ] = TECHNOLOGY_MODEL_DIR,
    config: Annotated[
        Path, typer.Option(help="spaCy training config.", show_default="configs/technology_ner.cfg")
    ] = TECHNOLOGY_CONFIG,
    work_dir: Annotated[
        Path, typer.Option(help="Folder for the training DocBins.", show_default="corpus/build/technology")
    ] = TECHNOLOGY_WORK_DIR,
    max_steps: MaxStepsOption = None,
    log: LogOption = None,
    as_json: JsonOption = False,
) -> None:
    """Train the TECHNOLOGY recogniser on corpus/train + WNUT-17 products + silver taxonomy spans (one thread)."""
    out, err = Console(), Console(stderr=True)
    overrides = step_overrides(config, max_steps)
    with reported_errors(as_json=as_json), err.status("building training data and training (one thread)..."):
        result = train_technology(shared, output, config=config, work_dir=work_dir, overrides=overrides, log=log)
    if as_json:
        minutes = round(result.seconds / 60, 2)
        summary = {"output": str(result.output), "minutes": minutes, "held_out": result.test_scores}
        typer.echo(json.dumps(summary, default=str))
        return
    out.print(json.dumps({"held_out": result.test_scores}, indent=1))
    out.print(f"wrote {escape(str(result.output))} in {result.seconds / 60:.1f} min")
