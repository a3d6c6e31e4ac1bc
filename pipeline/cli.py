"""Command-line interface: thin wrappers over the plain functions of the package.

Every command reads ``survnews.toml`` (or ``--config``), takes ``--store`` to override the store path, shows
progress on stderr, prints a summary on stdout, and turns a SurvnewsError into one line on stderr and an exit
code (2 for configuration errors).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from pipeline import __version__
from pipeline.config import Settings, load_settings
from pipeline.errors import SurvnewsError
from pipeline.ingest import IngestSummary
from pipeline.run import RunSummary, TagSummary, ingest_paths, run_all, store_totals, tag_store
from pipeline.store import Store

app = typer.Typer(
    name="survnews",
    help="Build a research dataset of news reporting on digital surveillance.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain click help: readable anywhere, and docs/CLI.md is generated from it
)
out = Console()
err = Console(stderr=True)

ConfigOption = Annotated[
    Path | None, typer.Option("--config", "-c", help="Config file (default: ./survnews.toml if present).")
]
StoreOption = Annotated[Path | None, typer.Option("--store", help="SQLite store path (overrides the config).")]
F = TypeVar("F", bound=Callable[..., Any])


def handle_errors(func: F) -> F:
    """One clear line and a meaningful exit code instead of a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except SurvnewsError as exc:
            err.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            err.print("interrupted: the store is consistent; run the same command again to resume")
            raise typer.Exit(130) from None

    return wrapper  # type: ignore[return-value]


def settings_from(config: Path | None, store: Path | None) -> Settings:
    settings = load_settings(config)
    if store is not None:
        settings.store.path = store
    return settings


@contextmanager
def progress_bars() -> Iterator[Callable[[str, int | None], Callable[[int], None]]]:
    """A progress factory for the stage functions, drawn on stderr (silent when not a terminal)."""
    with Progress(
        TextColumn("{task.description:>8}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    ) as bars:

        def factory(stage: str, total: int | None) -> Callable[[int], None]:
            task = bars.add_task(stage, total=total)
            return lambda n: bars.advance(task, n)

        yield factory


def counts_text(counts: Mapping[str, int]) -> str:
    """``ACTOR 3, LOCATION 5`` (sorted), or empty when there are none."""
    return ", ".join(f"{key} {n}" for key, n in sorted(counts.items()))


def print_ingest(summary: IngestSummary) -> None:
    rejected = counts_text(summary.rejected) or "none"
    out.print(
        f"read {summary.read}, new {summary.new}, accepted {summary.accepted}, duplicates {summary.duplicates}, "
        f"off-topic {summary.off_topic}, rejected {sum(summary.rejected.values())} ({rejected})",
        highlight=False,
    )


def print_tag(summary: TagSummary) -> None:
    labels = counts_text(summary.entities) or "none"
    out.print(f"tagged {summary.tagged} articles with {summary.tagger}: {labels}", highlight=False)


def print_run(summary: RunSummary) -> None:
    table = Table(title="survnews run", show_header=False, title_justify="left")
    table.add_column("what", no_wrap=True)
    table.add_column("value", overflow="fold")
    ingest = summary.ingest
    table.add_row("inputs read", str(ingest.read))
    table.add_row("new inputs", f"{ingest.new} (unchanged inputs are skipped)")
    table.add_row("accepted", str(ingest.accepted))
    table.add_row("duplicates merged", str(ingest.duplicates))
    table.add_row("off-topic (kept, flagged)", str(ingest.off_topic))
    rejected = counts_text(ingest.rejected)
    table.add_row("rejected", f"{sum(ingest.rejected.values())}" + (f" ({rejected})" if rejected else ""))
    table.add_row("tagged now", f"{summary.tag.tagged} ({summary.tag.tagger})")
    table.add_row("records in store", f"{summary.records} ({summary.relevant} relevant)")
    labels = counts_text(summary.entities_in_store) or "none"
    table.add_row("entities by label", labels)
    if summary.release is not None:
        state = "unchanged" if summary.release.get("unchanged") else "published"
        table.add_row("release", f"{summary.release['version']} ({state})")
    for note in summary.notes:
        table.add_row("note", note)
    table.add_row("seconds", f"{summary.seconds:.1f}")
    out.print(table)
    print_rejects(summary.rejects, limit=20)


def print_rejects(rejects: list[dict[str, str]], limit: int | None = None) -> None:
    shown = rejects if limit is None else rejects[:limit]
    for row in shown:
        out.print(f"rejected [{row['stage']}] {row['item']}: {row['reason']}", highlight=False, soft_wrap=True)
    if limit is not None and len(rejects) > limit:
        out.print(f"... and {len(rejects) - limit} more (survnews rejects)")


@app.command("ingest")
@handle_errors
def ingest_cli(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders (HTML, text dumps, WARC).")],
    config: ConfigOption = None,
    store: StoreOption = None,
) -> None:
    """Read local files and folders into the store: extract, clean, dedup, score relevance."""
    settings = settings_from(config, store)
    with Store(settings.store.path) as db, progress_bars() as progress:
        summary = ingest_paths(db, paths, settings, progress)
    print_ingest(summary)


@app.command("tag")
@handle_errors
def tag_cli(
    config: ConfigOption = None,
    store: StoreOption = None,
    model: Annotated[
        str | None, typer.Option(help="spaCy pipeline: survnews_base, blank, or an installed one.")
    ] = None,
    retag: Annotated[bool, typer.Option(help="Tag every article again, not only untagged ones.")] = False,
) -> None:
    """Tag actors, technologies and locations in every article not yet tagged by this pipeline."""
    settings = settings_from(config, store)
    if model is not None:
        settings.tagger.model = model
    with Store(settings.store.path) as db, progress_bars() as progress:
        summary = tag_store(db, settings, progress, retag=retag)
    print_tag(summary)


@app.command("export")
@handle_errors
def export_cli(
    out_path: Annotated[Path, typer.Option("--out", "-o", help="Output file.")],
    fmt: Annotated[str, typer.Option("--format", "-f", help="jsonl or parquet.")] = "jsonl",
    include_all: Annotated[bool, typer.Option("--all", help="Include off-topic records.")] = False,
    config: ConfigOption = None,
    store: StoreOption = None,
) -> None:
    """Write records (validated against schemas/article.schema.json) as JSON Lines or Parquet."""
    from pipeline.export import export

    settings = settings_from(config, store)
    if fmt not in ("jsonl", "parquet"):
        raise typer.BadParameter(f"unknown format {fmt!r}: use jsonl or parquet", param_hint="--format")
    with Store(settings.store.path) as db:
        count = export(db, out_path, fmt, include_all=include_all)  # type: ignore[arg-type]
    out.print(f"wrote {count} records to {out_path}", highlight=False)


@app.command("publish")
@handle_errors
def publish_cli(
    version: Annotated[
        str | None, typer.Option("--version", help="X.Y.Z; default: the bump the change needs, nothing if unchanged.")
    ] = None,
    config: ConfigOption = None,
    store: StoreOption = None,
    mode: Annotated[
        str | None, typer.Option("--mode", help="pseudonymised (default), standoff (no text) or full.")
    ] = None,
    force_full: Annotated[
        bool, typer.Option("--force-full", help="Full text even where a source's licence forbids it.")
    ] = False,
) -> None:
    """Write a versioned Hugging Face dataset folder (Parquet shards, dataset card, plots, changelog, git tag)."""
    from pipeline.publish import publish, release_dir

    settings = settings_from(config, store)
    with Store(settings.store.path) as db:
        entry = publish(db, settings, version, mode=mode, force_full=force_full or None)
    state = "unchanged since" if entry.get("unchanged") else "published"
    out.print(
        f"{state} version {entry['version']} ({entry.get('mode')}) in {release_dir(settings)}: {entry['splits']}",
        highlight=False,
    )


@app.command("run")
@handle_errors
def run_cli(
    config: ConfigOption = None,
    store: StoreOption = None,
    version: Annotated[str | None, typer.Option("--version", help="Release version X.Y.Z (default: auto).")] = None,
    publish_release: Annotated[bool, typer.Option("--publish/--no-publish", help="Publish a release.")] = True,
    json_summary: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Run every stage on the configured inputs (default: the sample corpus) and publish a release."""
    settings = settings_from(config, store)
    with progress_bars() as progress:
        summary = run_all(settings, version=version, publish_release=publish_release, progress=progress)
    if json_summary:
        out.print_json(json.dumps(summary.to_dict()))
    else:
        print_run(summary)


@app.command("rejects")
@handle_errors
def rejects_cli(config: ConfigOption = None, store: StoreOption = None) -> None:
    """List rejected inputs with their reasons."""
    settings = settings_from(config, store)
    with Store(settings.store.path) as db:
        print_rejects(db.rejects())


@app.command("stats")
@handle_errors
def stats_cli(config: ConfigOption = None, store: StoreOption = None) -> None:
    """Counts of records, entities and rejects in the store."""
    settings = settings_from(config, store)
    summary = RunSummary()
    with Store(settings.store.path) as db:
        store_totals(db, summary)
    labels = counts_text(summary.entities_in_store) or "none"
    out.print(
        f"records {summary.records} ({summary.relevant} relevant); entities: {labels}; rejects {len(summary.rejects)}",
        highlight=False,
    )


# Commands of the later stages (crawl, train, evaluate, annotate) are registered here.
# --- registrations begin ---
from pipeline.crawl import crawl_cli  # noqa: E402

app.command("crawl")(crawl_cli)

from pipeline.evaluate import evaluate_cli  # noqa: E402
from pipeline.train import train_app  # noqa: E402

app.add_typer(train_app, name="train")
app.command("evaluate")(evaluate_cli)

from pipeline.annotate.cli import annotate_app, train_domain_cli  # noqa: E402

app.add_typer(annotate_app, name="annotate")
train_app.command("domain")(train_domain_cli)

from pipeline.release.cli import push_cli, rehydrate_cli  # noqa: E402

app.command("push")(push_cli)
app.command("rehydrate")(rehydrate_cli)
# --- registrations end ---


def version_callback(value: bool) -> None:
    if value:
        out.print(f"survnews {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    show_version: Annotated[
        bool, typer.Option("--version", callback=version_callback, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """survnews: news on digital surveillance → a tagged, versioned research dataset."""


def main() -> None:
    app(prog_name="survnews")


if __name__ == "__main__":
    main()
