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
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from typer.core import TyperGroup

from pipeline import __version__
from pipeline.errors import SurvnewsError

if TYPE_CHECKING:  # imported where used: `survnews --help` and light commands must not load spaCy or pandas
    from pipeline.config import Settings
    from pipeline.ingest import IngestSummary
    from pipeline.run import RunSummary, TagSummary


class LazyGroup(TyperGroup):
    """Commands of the later stages are imported when run or asked for help, not for the command list."""

    def list_commands(self, ctx: Any) -> list[str]:
        return [*super().list_commands(ctx), *(name for name in LAZY_COMMANDS if name not in self.commands)]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name in LAZY_COMMANDS and cmd_name not in self.commands:
            self.commands[cmd_name] = load_lazy_command(cmd_name)
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        from typer._click.utils import make_default_short_help

        rows: list[tuple[str, Callable[[int], str]]] = []
        for name in self.list_commands(ctx):
            command = self.commands.get(name)
            if command is None:
                help_text = LAZY_COMMANDS[name][1]
                rows.append((name, functools.partial(make_default_short_help, help_text)))
            elif not command.hidden:
                rows.append((name, command.get_short_help_str))
        if rows:
            limit = formatter.width - 6 - max(len(name) for name, _ in rows)
            with formatter.section("Commands"):
                formatter.write_dl([(name, short(limit)) for name, short in rows])


app = typer.Typer(
    cls=LazyGroup,
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


WorkersOption = Annotated[
    int | None,
    typer.Option("--workers", "-w", min=0, help="Worker processes (default: one per core; 0: all in this process)."),
]
RunnerOption = Annotated[
    str | None, typer.Option("--runner", help="local (worker processes) or ray (a Ray cluster, [runner] address).")
]


def settings_from(
    config: Path | None, store: Path | None, workers: int | None = None, runner: str | None = None
) -> Settings:
    from pipeline.config import load_settings

    settings = load_settings(config)
    if store is not None:
        settings.store.path = store
    if workers is not None:
        settings.runner.workers = workers
    if runner is not None:
        if runner not in ("local", "ray"):
            raise typer.BadParameter(f"unknown runner {runner!r}: use local or ray", param_hint="--runner")
        settings.runner.backend = runner  # type: ignore[assignment]
    return settings


@contextmanager
def progress_bars() -> Iterator[Callable[[str, int | None], Callable[[int], None]]]:
    """A progress factory for the stage functions, drawn on stderr (silent when not a terminal)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

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


def prefiltered_text(counts: Mapping[str, int]) -> str:
    return f", prefiltered {sum(counts.values())} ({counts_text(counts)})"


def print_ingest(summary: IngestSummary) -> None:
    rejected = counts_text(summary.rejected) or "none"
    out.print(
        f"read {summary.read}, new {summary.new}, accepted {summary.accepted}, duplicates {summary.duplicates}, "
        f"off-topic {summary.off_topic}, rejected {sum(summary.rejected.values())} ({rejected})"
        + (
            f", prefiltered {sum(summary.prefiltered.values())} ({counts_text(summary.prefiltered)})"
            if summary.prefiltered
            else ""
        ),
        highlight=False,
    )


def print_tag(summary: TagSummary) -> None:
    labels = counts_text(summary.entities) or "none"
    out.print(f"tagged {summary.tagged} articles with {summary.tagger}: {labels}", highlight=False)


def print_run(summary: RunSummary) -> None:
    from rich.table import Table

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
    paths: Annotated[
        list[Path] | None, typer.Argument(help="Files or folders (HTML, text dumps, WARC).", show_default=False)
    ] = None,
    config: ConfigOption = None,
    store: StoreOption = None,
    workers: WorkersOption = None,
    runner: RunnerOption = None,
    path_list: Annotated[
        Path | None, typer.Option("--list", help="File naming inputs one a line (e.g. the WARC files of a crawl).")
    ] = None,
    prefilter: Annotated[
        bool | None,
        typer.Option("--prefilter/--no-prefilter", help="Pass over off-topic WARC records before extraction."),
    ] = None,
) -> None:
    """Read local files and folders into the store: extract, clean, dedup, score relevance."""
    from pipeline.run import ingest_paths
    from pipeline.store import Store

    settings = settings_from(config, store, workers, runner)
    if prefilter is not None:
        settings.prefilter.enabled = prefilter
    paths = list(paths or [])
    if path_list is not None:
        from pipeline.errors import ConfigError
        from pipeline.steps.ingest import read_list_file

        try:
            paths += read_list_file(path_list)
        except SurvnewsError as exc:
            raise ConfigError(f"--list: {exc}") from exc
    if not paths:
        raise typer.BadParameter("give files or folders, or --list FILE", param_hint="PATHS")
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
    workers: WorkersOption = None,
    runner: RunnerOption = None,
) -> None:
    """Tag actors, technologies and locations in every article not yet tagged by this pipeline."""
    from pipeline.run import tag_store
    from pipeline.store import Store

    settings = settings_from(config, store, workers, runner)
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
    from pipeline.store import Store

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
        str | None, typer.Option("--version", help="X.Y.Z; default: next patch, or nothing if unchanged.")
    ] = None,
    config: ConfigOption = None,
    store: StoreOption = None,
) -> None:
    """Write a versioned Hugging Face dataset folder (Parquet shards, dataset card, changelog)."""
    from pipeline.publish import publish, release_dir
    from pipeline.store import Store

    settings = settings_from(config, store)
    with Store(settings.store.path) as db:
        entry = publish(db, settings, version)
    state = "unchanged since" if entry.get("unchanged") else "published"
    out.print(f"{state} version {entry['version']} in {release_dir(settings)}: {entry['splits']}", highlight=False)


@app.command("run")
@handle_errors
def run_cli(
    config: ConfigOption = None,
    store: StoreOption = None,
    version: Annotated[str | None, typer.Option("--version", help="Release version X.Y.Z (default: auto).")] = None,
    publish_release: Annotated[bool, typer.Option("--publish/--no-publish", help="Publish a release.")] = True,
    json_summary: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    workers: WorkersOption = None,
    runner: RunnerOption = None,
) -> None:
    """Run every stage on the configured inputs (default: the sample corpus) and publish a release."""
    from pipeline.run import run_all

    settings = settings_from(config, store, workers, runner)
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
    from pipeline.store import Store

    settings = settings_from(config, store)
    with Store(settings.store.path) as db:
        print_rejects(db.rejects())


@app.command("stats")
@handle_errors
def stats_cli(config: ConfigOption = None, store: StoreOption = None) -> None:
    """Counts of records, entities and rejects in the store."""
    from pipeline.run import RunSummary, store_totals
    from pipeline.store import Store

    settings = settings_from(config, store)
    summary = RunSummary()
    with Store(settings.store.path) as db:
        store_totals(db, summary)
    labels = counts_text(summary.entities_in_store) or "none"
    out.print(
        f"records {summary.records} ({summary.relevant} relevant); entities: {labels}; rejects {len(summary.rejects)}",
        highlight=False,
    )


# Commands of the later stages (crawl, train, evaluate, annotate), registered lazily: name → (loader, the first
# paragraph of its help, shown in `survnews --help` without importing the command; a test checks it is current).
LAZY_COMMANDS: dict[str, tuple[str, str]] = {
    "crawl": ("crawl", "Crawl feeds, sitemaps and URL lists politely into the store, then extract the articles."),
    "evaluate": (
        "evaluate",
        "Precision / recall / F1 per label, exact span and overlap, of a pipeline against gold annotations.",
    ),
    "train": ("train", "Train the project's spaCy pipelines."),
    "annotate": (
        "annotate",
        "Label Studio round trip: set up the project, push tasks, pull gold, progress and agreement.",
    ),
}


def load_lazy_command(name: str) -> Any:
    """The click command of a lazily registered command (imports its module)."""
    holder = typer.Typer(rich_markup_mode=None, pretty_exceptions_enable=False, add_completion=False)
    holder.callback()(lambda: None)  # a group, so the command keeps its name
    if name == "crawl":
        from pipeline.crawl import crawl_cli

        holder.command("crawl")(crawl_cli)
    elif name == "evaluate":
        from pipeline.evaluate import evaluate_cli

        holder.command("evaluate")(evaluate_cli)
    elif name == "train":
        from pipeline.annotate.cli import train_domain_cli
        from pipeline.train import train_app

        if "domain" not in {c.name for c in train_app.registered_commands}:
            train_app.command("domain")(train_domain_cli)
        holder.add_typer(train_app, name="train")
    elif name == "annotate":
        from pipeline.annotate.cli import annotate_app

        holder.add_typer(annotate_app, name="annotate")
    group: Any = typer.main.get_command(holder)
    return group.commands[name]


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
