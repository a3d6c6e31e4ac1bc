"""``survnews ingest``: local files, folders and WARC files into the store."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from pipeline.cli._errors import check_strict, handle_errors
from pipeline.cli._options import (
    ConfigOption,
    JsonOption,
    NewStoreOption,
    RunnerOption,
    StrictOption,
    WorkersOption,
    open_store,
    prestart_workers,
    settings_from,
)
from pipeline.cli._output import counts_text, emit_json, out, progress_bars
from pipeline.errors import ConfigError, SurvnewsError

if TYPE_CHECKING:
    from pipeline.ingest import IngestSummary


def ingest_dict(summary: IngestSummary) -> dict[str, Any]:
    return {
        "read": summary.read,
        "new_inputs": summary.new,
        "accepted": summary.accepted,
        "duplicates": summary.duplicates,
        "off_topic": summary.off_topic,
        "rejected": dict(summary.rejected),
    }


def prefiltered_text(counts: Mapping[str, int]) -> str:
    return f", prefiltered {sum(counts.values())} ({counts_text(counts)})"


def print_ingest(summary: IngestSummary) -> None:
    rejected = counts_text(summary.rejected) or "none"
    out.print(
        f"read {summary.read}, new {summary.new}, accepted {summary.accepted}, duplicates {summary.duplicates}, "
        f"off-topic {summary.off_topic}, rejected {sum(summary.rejected.values())} ({rejected})"
        + (prefiltered_text(summary.prefiltered) if summary.prefiltered else "")
    )


@handle_errors
def ingest_cli(
    paths: Annotated[
        list[Path] | None, typer.Argument(help="Files or folders (HTML, text dumps, WARC).", show_default=False)
    ] = None,
    config: ConfigOption = None,
    store: NewStoreOption = None,
    workers: WorkersOption = None,
    runner: RunnerOption = None,
    path_list: Annotated[
        Path | None, typer.Option("--list", help="File naming inputs one a line (e.g. the WARC files of a crawl).")
    ] = None,
    prefilter: Annotated[
        bool | None,
        typer.Option("--prefilter/--no-prefilter", help="Pass over off-topic WARC records before extraction."),
    ] = None,
    json_output: JsonOption = False,
    strict: StrictOption = False,
) -> None:
    """Read local files and folders into the store: extract, clean, dedup, score relevance."""
    from pipeline.run import ingest_paths
    from pipeline.steps import EXTRACT_MODULES

    prestart_workers(workers, runner, EXTRACT_MODULES)
    settings = settings_from(config, store, workers, runner)
    if prefilter is not None:
        settings.prefilter.enabled = prefilter
    paths = list(paths or [])
    if path_list is not None:
        from pipeline.steps.ingest import read_list_file

        try:
            paths += read_list_file(path_list)
        except SurvnewsError as exc:
            raise ConfigError(f"--list: {exc}") from exc
    if not paths:
        raise typer.BadParameter("give files or folders, or --list FILE", param_hint="PATHS")
    with open_store(settings, create=True) as db, progress_bars() as progress:
        summary = ingest_paths(db, paths, settings, progress)
    if json_output:
        emit_json(ingest_dict(summary))
    else:
        print_ingest(summary)
    check_strict(strict, sum(summary.rejected.values()))
