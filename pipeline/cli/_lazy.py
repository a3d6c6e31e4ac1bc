"""Commands of the later stages, registered lazily: ``survnews --help`` lists them without importing them."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import typer
from typer.core import TyperGroup


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
        from pipeline.cli._crawl import crawl_cli

        holder.command("crawl")(crawl_cli)
    elif name == "evaluate":
        from pipeline.cli._evaluate import evaluate_cli

        holder.command("evaluate")(evaluate_cli)
    elif name == "train":
        from pipeline.cli._annotate import train_domain_cli
        from pipeline.cli._train import train_app

        if "domain" not in {c.name for c in train_app.registered_commands}:
            train_app.command("domain")(train_domain_cli)
        holder.add_typer(train_app, name="train")
    elif name == "annotate":
        from pipeline.cli._annotate import annotate_app

        holder.add_typer(annotate_app, name="annotate")
    group: Any = typer.main.get_command(holder)
    return group.commands[name]
