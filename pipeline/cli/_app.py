"""Command-line interface: thin wrappers over the plain functions of the package.

Every command reads ``survnews.toml`` (or ``--config``), shows progress on stderr, and prints a summary on
stdout: plain lines (never wrapped, every user-controlled name escaped), or one JSON document with ``--json``.
Failures are one line on stderr and an exit code (``EXIT_CODES``); ``main`` is the one place that maps them.
"""

from __future__ import annotations

import functools
import json
import os
import re
import sqlite3
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich.console import Console
from typer.core import TyperGroup
from typer.exceptions import TyperException

from pipeline import __version__
from pipeline.errors import ConfigError, StrictError, SurvnewsError

if TYPE_CHECKING:  # imported where used: `survnews --help` and light commands must not load spaCy or pandas
    from pipeline.config import Settings
    from pipeline.ingest import IngestSummary
    from pipeline.run import RunSummary, TagSummary
    from pipeline.store import Store


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


EXIT_CODES = (
    "Exit codes: 0 done; 1 internal error (a bug: please report it); 2 usage, configuration, store or input error "
    "(with --strict also rejected or missing inputs); 3 a service (a web server, Label Studio) failed; "
    "130 interrupted (the store is consistent: run the same command again to resume)."
)

app = typer.Typer(
    cls=LazyGroup,
    name="survnews",
    help="Build a research dataset of news reporting on digital surveillance.",
    epilog=EXIT_CODES,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain click help: readable anywhere, and docs/CLI.md is generated from it
    context_settings={"help_option_names": ["-h", "--help"]},
)
# No markup, highlighting or emoji codes are interpreted and nothing is wrapped: what is printed is the text itself
# (a "[/b]" in a file name stays a file name, and a pipe gets whole lines whatever its width).
out = Console(markup=False, highlight=False, emoji=False, soft_wrap=True)
err = Console(stderr=True, markup=False, highlight=False, emoji=False, soft_wrap=True)

ConfigOption = Annotated[
    Path | None, typer.Option("--config", "-c", help="Config file (default: ./survnews.toml if present).")
]
StoreOption = Annotated[
    Path | None, typer.Option("--store", help="SQLite store path (overrides the config); must exist.")
]
NewStoreOption = Annotated[
    Path | None, typer.Option("--store", help="SQLite store path (overrides the config); created if absent.")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the result as one JSON document on stdout.")]
StrictOption = Annotated[
    bool, typer.Option("--strict", help="Exit 2 when an input is rejected or missing (the others are still done).")
]
F = TypeVar("F", bound=Callable[..., Any])

# Characters that could forge lines or drive the terminal: C0/C1 controls (newline, ESC), line and paragraph
# separators, bidirectional overrides and zero-width marks.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]")


def safe(value: object) -> str:
    """User-controlled text as one inert line: unsafe characters and undecodable bytes shown as escapes."""
    text = str(value)
    try:
        text = text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:  # lone surrogates that are not escaped bytes
        text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return _UNSAFE.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def _exit_code_of(exc: BaseException) -> tuple[int, str]:
    """(exit code, one-line message) for an exception that ended a command."""
    if isinstance(exc, SurvnewsError):
        return exc.exit_code, str(exc)
    if isinstance(exc, KeyboardInterrupt):
        return 130, "interrupted: the store is consistent; run the same command again to resume"
    if isinstance(exc, sqlite3.OperationalError | sqlite3.DatabaseError):
        return 2, f"store: {exc}"
    if isinstance(exc, OSError) and exc.filename is not None:
        return 2, f"{exc.filename}: {exc.strerror or exc}"
    return 1, f"internal error (a bug, please report it): {type(exc).__name__}: {exc}"


def report_failure(exc: BaseException, *, as_json: bool = False) -> int:
    """Write one line (or one JSON object with ``--json``) about ``exc`` on stderr; return the exit code."""
    code, message = _exit_code_of(exc)
    if as_json:
        sys.stderr.write(json.dumps({"error": safe(message), "exit_code": code}) + "\n")
    else:
        err.print(f"error: {safe(message)}" if code != 130 else safe(message))
    if code == 1 and os.environ.get("SURVNEWS_DEBUG"):
        import traceback

        traceback.print_exception(exc)
    return code


def handle_errors(func: F) -> F:
    """One clear line and a meaningful exit code instead of a traceback (``--json``: a JSON error object)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (typer.Exit, typer.Abort, TyperException, SystemExit):
            raise  # click's own usage errors and exits: exit codes 2 and as given
        except (Exception, KeyboardInterrupt) as exc:
            raise typer.Exit(report_failure(exc, as_json=bool(kwargs.get("json_output")))) from None

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


def open_store(settings: Settings, *, create: bool = False) -> Store:
    """The configured store; a path that does not exist is an error unless the command creates stores."""
    from pipeline.store import Store

    return Store(settings.store.path) if create else Store.existing(settings.store.path)


def emit_json(data: Any) -> None:
    """One JSON document on stdout (ASCII-only, so any byte a name held arrives escaped, never raw)."""
    sys.stdout.write(json.dumps(data, default=str, sort_keys=False) + "\n")
    sys.stdout.flush()


def check_strict(strict: bool, rejected: int, what: str = "inputs") -> None:
    if strict and rejected:
        raise StrictError(f"--strict: {rejected} {what} rejected or missing (see survnews rejects)")


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
    return ", ".join(f"{safe(key)} {n}" for key, n in sorted(counts.items()))


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


def print_tag(summary: TagSummary) -> None:
    labels = counts_text(summary.entities) or "none"
    failed = f"; {summary.failed} could not be tagged (survnews rejects)" if summary.failed else ""
    out.print(f"tagged {summary.tagged} articles with {safe(summary.tagger)}: {labels}{failed}")


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


def print_rejects(rejects: list[dict[str, str]], limit: int | None = None) -> None:
    shown = rejects if limit is None else rejects[:limit]
    for row in shown:
        out.print(f"rejected [{safe(row['stage'])}] {safe(row['item'])}: {safe(row['reason'])}")
    if limit is not None and len(rejects) > limit:
        out.print(f"... and {len(rejects) - limit} more (survnews rejects)")


@app.command("ingest")
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
    json_output: JsonOption = False,
    strict: StrictOption = False,
) -> None:
    """Tag actors, technologies and locations in every article not yet tagged by this pipeline."""
    from pipeline.run import tag_store

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


@app.command("export")
@handle_errors
def export_cli(
    out_path: Annotated[Path, typer.Option("--out", "-o", help="Output file (its folder is created).")],
    fmt: Annotated[str, typer.Option("--format", "-f", help="jsonl or parquet.")] = "jsonl",
    include_all: Annotated[bool, typer.Option("--all", help="Include off-topic records.")] = False,
    config: ConfigOption = None,
    store: StoreOption = None,
    json_output: JsonOption = False,
) -> None:
    """Write records (validated against schemas/article.schema.json) as JSON Lines or Parquet."""
    from pipeline.export import export

    settings = settings_from(config, store)
    if fmt not in ("jsonl", "parquet"):
        raise typer.BadParameter(f"unknown format {fmt!r}: use jsonl or parquet", param_hint="--format")
    with open_store(settings) as db:
        count = export(db, out_path, fmt, include_all=include_all)  # type: ignore[arg-type]
    if json_output:
        emit_json({"records": count, "out": str(out_path), "format": fmt})
    else:
        out.print(f"wrote {count} records to {safe(out_path)}")


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
    json_output: JsonOption = False,
) -> None:
    """Write a versioned Hugging Face dataset folder (Parquet shards, dataset card, plots, changelog, git tag)."""
    from pipeline.publish import publish, release_dir

    settings = settings_from(config, store)
    with open_store(settings) as db:
        entry = publish(db, settings, version, mode=mode, force_full=force_full or None)
    if json_output:
        emit_json({**entry, "folder": str(release_dir(settings))})
        return
    state = "unchanged since" if entry.get("unchanged") else "published"
    out.print(
        f"{state} version {safe(entry['version'])} ({safe(entry.get('mode'))}) in {safe(release_dir(settings))}: "
        f"{safe(entry['splits'])}"
    )


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


@app.command("run")
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


@app.command("rejects")
@handle_errors
def rejects_cli(config: ConfigOption = None, store: StoreOption = None, json_output: JsonOption = False) -> None:
    """List rejected inputs with their reasons."""

    settings = settings_from(config, store)
    with open_store(settings) as db:
        rejects = db.rejects()
    if json_output:
        emit_json(rejects)
    else:
        print_rejects(rejects)


@app.command("stats")
@handle_errors
def stats_cli(config: ConfigOption = None, store: StoreOption = None, json_output: JsonOption = False) -> None:
    """Counts of records, entities and rejects in the store."""
    from pipeline.run import RunSummary, store_totals

    settings = settings_from(config, store)
    summary = RunSummary()
    with open_store(settings) as db:
        store_totals(db, summary)
    if json_output:
        emit_json(
            {
                "records": summary.records,
                "relevant_records": summary.relevant,
                "entities": dict(summary.entities_in_store),
                "rejects": len(summary.rejects),
            }
        )
        return
    labels = counts_text(summary.entities_in_store) or "none"
    out.print(
        f"records {summary.records} ({summary.relevant} relevant); entities: {labels}; rejects {len(summary.rejects)}"
    )


config_app = typer.Typer(help="The configuration survnews uses.", no_args_is_help=True)
app.add_typer(config_app, name="config")


@config_app.command("show")
@handle_errors
def config_show_cli(config: ConfigOption = None, json_output: JsonOption = False) -> None:
    """Print the effective configuration (file values over defaults, paths resolved) as TOML, secrets masked."""
    from pipeline.config import load_settings, settings_to_toml

    settings = load_settings(config)
    if json_output:
        emit_json(settings.model_dump(mode="json"))
    else:
        sys.stdout.write(settings_to_toml(settings))


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
        "Label Studio round trip: set up the project, push tasks, pull gold, review disputes, agreement, cycle.",
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
        from pipeline.cli._annotate import train_domain_cli
        from pipeline.train import train_app

        if "domain" not in {c.name for c in train_app.registered_commands}:
            train_app.command("domain")(train_domain_cli)
        holder.add_typer(train_app, name="train")
    elif name == "annotate":
        from pipeline.cli._annotate import annotate_app

        holder.add_typer(annotate_app, name="annotate")
    group: Any = typer.main.get_command(holder)
    return group.commands[name]


# release commands: light to register (their imports are inside the commands)
from pipeline.cli._release import push_cli, rehydrate_cli  # noqa: E402

app.command("push")(handle_errors(push_cli))
app.command("rehydrate")(handle_errors(rehydrate_cli))


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
    """Entry point: every failure, whichever command it comes from, ends as one line and a documented code."""
    try:
        app(prog_name="survnews")
    except SystemExit:
        raise
    except (Exception, KeyboardInterrupt) as exc:
        sys.exit(report_failure(exc, as_json="--json" in sys.argv[1:]))

