"""CLI commands of releases: ``survnews push`` and ``survnews rehydrate`` (thin wrappers, registered in cli.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from pipeline.errors import SurvnewsError

out = Console()
err = Console(stderr=True)


def _fail(exc: SurvnewsError) -> typer.Exit:
    err.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
    return typer.Exit(exc.exit_code)


def push_cli(
    repo_id: Annotated[str, typer.Argument(help="Hub dataset repository, owner/name.")],
    release: Annotated[
        Path | None, typer.Option("--release", help="Release folder (default: from the config).")
    ] = None,
    version: Annotated[str | None, typer.Option("--version", help="X.Y.Z to push (default: the newest).")] = None,
    private: Annotated[bool, typer.Option("--private", help="Create the repository as private.")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Run the local checks and list the files only.")] = False,
    config: Annotated[
        Path | None, typer.Option("--config", "-c", help="Config file (default: ./survnews.toml if present).")
    ] = None,
) -> None:
    """Upload a release version to the Hugging Face Hub (HF_TOKEN from the environment) and tag it vX.Y.Z."""
    from pipeline.config import load_settings
    from pipeline.publish import release_dir
    from pipeline.release.push import push, push_plan

    try:
        folder = release if release is not None else release_dir(load_settings(config))
        if dry_run:
            plan = push_plan(folder, version)
            out.print(f"would push {plan.tag} of {folder} to {repo_id}: {len(plan.files)} files", highlight=False)
            for name in plan.files:
                out.print(f"  {name}", highlight=False)
            return
        done = push(folder, repo_id, version=version, private=private)
    except SurvnewsError as exc:
        raise _fail(exc) from None
    out.print(f"pushed {done['tag']} ({done['files']} files) to https://huggingface.co/datasets/{repo_id}")


def rehydrate_cli(
    release: Annotated[Path, typer.Argument(help="A stand-off release folder.")],
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Folder for the full records and the report.")],
    version: Annotated[str | None, typer.Option("--version", help="X.Y.Z (default: the newest).")] = None,
    allow_private: Annotated[
        bool, typer.Option("--allow-private", help="Allow private, loopback and link-local addresses.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    config: Annotated[
        Path | None, typer.Option("--config", "-c", help="Config file (default: ./survnews.toml if present).")
    ] = None,
) -> None:
    """Fetch the pages of a stand-off release again (polite crawler), check the text hashes, write full records."""
    from pipeline.config import load_settings
    from pipeline.crawl import crawl_settings_from
    from pipeline.release.rehydrate import OUTCOMES, rehydrate

    try:
        settings = load_settings(config)
        crawl_settings = crawl_settings_from(settings)
        if allow_private:
            crawl_settings = crawl_settings.model_copy(update={"allow_private": True})
        crawl_settings = crawl_settings.model_copy(update={"warc_dir": out_dir / "warc"})
        report = rehydrate(release, out_dir, settings, crawl_settings, version=version)
    except SurvnewsError as exc:
        raise _fail(exc) from None
    if as_json:
        out.print_json(json.dumps(report.to_dict()))
        return
    counts = ", ".join(f"{k} {report.outcomes.get(k, 0)}" for k in OUTCOMES)
    out.print(f"rehydrated version {report.version} into {out_dir}: {counts}", highlight=False)
    for item in report.items:
        if item["outcome"] != "reproduced":
            out.print(f"  {item['outcome']} {escape(str(item['url']))}: {escape(item['reason'])}", highlight=False)
