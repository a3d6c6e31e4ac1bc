"""Options every command shares (config, store, --json, --strict, workers, runner) and what they resolve to."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:  # imported where used: `survnews --help` and light commands must not load spaCy or pandas
    from pipeline.config import Settings
    from pipeline.store import Store

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


def prestart_workers(workers: int | None, runner: str | None, modules: tuple[str, ...]) -> None:
    """Start the first local worker now, importing ``modules``, so that its interpreter start and imports overlap
    this command's own start-up (settings, store); the runner takes it, or ends it if the settings ask for other
    workers. Not for ``--runner ray`` nor ``--workers 0`` (every step in this process)."""
    if runner == "ray" or workers == 0:
        return
    from pipeline.runner import default_workers
    from pipeline.runner.local import prestart

    prestart(default_workers() if workers is None else workers, modules)


def open_store(settings: Settings, *, create: bool = False) -> Store:
    """The configured store; a path that does not exist is an error unless the command creates stores."""
    from pipeline.store import Store

    return Store(settings.store.path) if create else Store.existing(settings.store.path)
