"""The ``survnews`` app: the commands of every stage behind one error handler, and the entry point."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from pipeline import __version__
from pipeline.cli._config import config_app
from pipeline.cli._errors import EXIT_CODES, report_failure
from pipeline.cli._ingest import ingest_cli
from pipeline.cli._lazy import LazyGroup
from pipeline.cli._output import out
from pipeline.cli._release import publish_cli, push_cli, rehydrate_cli
from pipeline.cli._run import run_cli
from pipeline.cli._store import export_cli, rejects_cli, stats_cli
from pipeline.cli._tag import tag_cli

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

# Registered in this order, which is the order `survnews --help` lists them in (the later stages last: _lazy.py).
app.command("ingest")(ingest_cli)
app.command("tag")(tag_cli)
app.command("export")(export_cli)
app.command("publish")(publish_cli)
app.command("run")(run_cli)
app.command("rejects")(rejects_cli)
app.command("stats")(stats_cli)
app.add_typer(config_app, name="config")
app.command("push")(push_cli)
app.command("rehydrate")(rehydrate_cli)


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
