"""``survnews tag``: actors, technologies and locations in the stored articles."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from pipeline.cli._errors import check_strict, handle_errors
from pipeline.cli._options import (
    ConfigOption,
    JsonOption,
    RunnerOption,
    StoreOption,
    StrictOption,
    WorkersOption,
    open_store,
    prestart_workers,
    settings_from,
)
from pipeline.cli._output import counts_text, emit_json, out, progress_bars, safe

if TYPE_CHECKING:
    from pipeline.run import TagSummary


def print_tag(summary: TagSummary) -> None:
    labels = counts_text(summary.entities) or "none"
    failed = f"; {summary.failed} could not be tagged (survnews rejects)" if summary.failed else ""
    out.print(f"tagged {summary.tagged} articles with {safe(summary.tagger)}: {labels}{failed}")


@handle_errors
def tag_cli(
    config: ConfigOption = None,
    store: StoreOption = None,
    model: Annotated[
        str | None, typer.Option(help="spaCy pipeline: survnews_base, blank, or an installed one.")
    ] = None,
    retag: Annotated[bool, typer.Option(help="Tag every article again, not only untagged ones.")] = False,
    workers: WorkersOption = None,
    runner: RunnerOption = None,
    json_output: JsonOption = False,
    strict: StrictOption = False,
) -> None:
    """Tag actors, technologies and locations in every article not yet tagged by this pipeline."""
    from pipeline.run import tag_store
    from pipeline.steps import TAG_MODULES

    prestart_workers(workers, runner, TAG_MODULES)
    settings = settings_from(config, store, workers, runner)
    if model is not None:
        settings.tagger.model = model
    with open_store(settings) as db, progress_bars() as progress:
        summary = tag_store(db, settings, progress, retag=retag)
    if json_output:
        emit_json(
            {"tagged": summary.tagged, "failed": summary.failed, "tagger": summary.tagger, "entities": summary.entities}
        )
    else:
        print_tag(summary)
    check_strict(strict, summary.failed, "articles")
