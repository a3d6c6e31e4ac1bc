"""``survnews run``: every stage on the configured inputs, then a release."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from pipeline.cli._errors import check_strict, handle_errors
from pipeline.cli._options import (
    ConfigOption,
    JsonOption,
    NewStoreOption,
    RunnerOption,
    StrictOption,
    WorkersOption,
    prestart_workers,
    settings_from,
)
from pipeline.cli._output import counts_text, emit_json, err, out, print_rejects, progress_bars, safe
from pipeline.errors import ConfigError

if TYPE_CHECKING:
    from pipeline.config import Settings
    from pipeline.run import RunSummary


def print_run(summary: RunSummary) -> None:
    ingest = summary.ingest
    rejected = counts_text(ingest.rejected)
    rows = [
        ("inputs read", str(ingest.read)),
        ("new inputs", f"{ingest.new} (unchanged inputs are skipped)"),
        ("accepted", str(ingest.accepted)),
        ("duplicates merged", str(ingest.duplicates)),
        ("off-topic (kept, flagged)", str(ingest.off_topic)),
        ("rejected", f"{sum(ingest.rejected.values())}" + (f" ({rejected})" if rejected else "")),
        ("tagged now", f"{summary.tag.tagged} ({safe(summary.tag.tagger)})"),
    ]
    if summary.tag.failed:
        rows.append(("not taggable", f"{summary.tag.failed} (rejects of stage tag)"))
    rows += [
        ("records in store", f"{summary.records} ({summary.relevant} relevant)"),
        ("entities by label", counts_text(summary.entities_in_store) or "none"),
    ]
    if summary.release is not None:
        state = "unchanged" if summary.release.get("unchanged") else "published"
        rows.append(("release", f"{safe(summary.release['version'])} ({state})"))
    rows += [("note", safe(note)) for note in summary.notes]
    rows.append(("seconds", f"{summary.seconds:.1f}"))
    out.print("survnews run")
    width = max(len(what) for what, _ in rows)
    for what, value in rows:
        out.print(f"  {what:<{width}}  {value}")
    print_rejects(summary.rejects, limit=20)


def note_default_inputs(settings: Settings) -> None:
    """Without a config: say that the packaged samples are read, or say in one line what to do instead."""
    from pipeline.config import LOCAL_SAMPLES
    from pipeline.paths import SAMPLES_DIR

    paths = settings.ingest.paths
    if paths == [SAMPLES_DIR] and LOCAL_SAMPLES.resolve() != SAMPLES_DIR.resolve():
        err.print(
            "note: no survnews.toml or corpus/samples here: reading the sample corpus that comes with survnews "
            f"({safe(SAMPLES_DIR)})"
        )
    elif not any(path.exists() for path in paths):
        raise ConfigError(
            "nothing to read: no survnews.toml and no corpus/samples in this folder; "
            "write [ingest] paths in a survnews.toml (or give --config), or run from the project folder"
        )


@handle_errors
def run_cli(
    config: ConfigOption = None,
    store: NewStoreOption = None,
    version: Annotated[str | None, typer.Option("--version", help="Release version X.Y.Z (default: auto).")] = None,
    publish_release: Annotated[bool, typer.Option("--publish/--no-publish", help="Publish a release.")] = True,
    workers: WorkersOption = None,
    runner: RunnerOption = None,
    json_output: JsonOption = False,
    strict: StrictOption = False,
) -> None:
    """Run every stage on the configured inputs (default: the sample corpus) and publish a release."""
    from pipeline.config import DEFAULT_CONFIG_NAME
    from pipeline.run import run_all
    from pipeline.steps import EXTRACT_MODULES

    prestart_workers(workers, runner, EXTRACT_MODULES)
    settings = settings_from(config, store, workers, runner)
    if config is None and not Path(DEFAULT_CONFIG_NAME).exists():
        note_default_inputs(settings)
    with progress_bars() as progress:
        summary = run_all(settings, version=version, publish_release=publish_release, progress=progress)
    if json_output:
        emit_json({**summary.to_dict(), "tag_failed": summary.tag.failed})
    else:
        print_run(summary)
    check_strict(strict, sum(summary.ingest.rejected.values()) + summary.tag.failed)
