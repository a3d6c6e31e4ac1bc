"""Commands of releases: ``survnews publish``, ``push`` and ``rehydrate``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pipeline.cli._errors import handle_errors
from pipeline.cli._options import ConfigOption, JsonOption, StoreOption, open_store, settings_from
from pipeline.cli._output import emit_json, out, safe


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


@handle_errors
def push_cli(
    repo_id: Annotated[str, typer.Argument(help="Hub dataset repository, owner/name.")],
    release: Annotated[
        Path | None, typer.Option("--release", help="Release folder (default: from the config).")
    ] = None,
    version: Annotated[str | None, typer.Option("--version", help="X.Y.Z to push (default: the newest).")] = None,
    private: Annotated[bool, typer.Option("--private", help="Create the repository as private.")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Run the local checks and list the files only.")] = False,
    json_output: JsonOption = False,
    config: ConfigOption = None,
) -> None:
    """Upload a release version to the Hugging Face Hub (HF_TOKEN from the environment) and tag it vX.Y.Z."""
    from pipeline.config import load_settings
    from pipeline.publish import release_dir
    from pipeline.release.push import push, push_plan

    folder = release if release is not None else release_dir(load_settings(config))
    if dry_run:
        plan = push_plan(folder, version)
        if json_output:
            emit_json({"tag": plan.tag, "folder": str(folder), "repo_id": repo_id, "files": list(plan.files)})
            return
        out.print(f"would push {safe(plan.tag)} of {safe(folder)} to {safe(repo_id)}: {len(plan.files)} files")
        for name in plan.files:
            out.print(f"  {safe(name)}")
        return
    done = push(folder, repo_id, version=version, private=private)
    if json_output:
        emit_json({**done, "repo_id": repo_id})
        return
    out.print(f"pushed {safe(done['tag'])} ({done['files']} files) to https://huggingface.co/datasets/{safe(repo_id)}")


@handle_errors
def rehydrate_cli(
    release: Annotated[Path, typer.Argument(help="A stand-off release folder.")],
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Folder for the full records and the report.")],
    version: Annotated[str | None, typer.Option("--version", help="X.Y.Z (default: the newest).")] = None,
    allow_private: Annotated[
        bool, typer.Option("--allow-private", help="Allow private, loopback and link-local addresses.")
    ] = False,
    json_output: JsonOption = False,
    config: ConfigOption = None,
) -> None:
    """Fetch the pages of a stand-off release again (polite crawler), check the text hashes, write full records."""
    from pipeline.config import load_settings
    from pipeline.crawl import crawl_settings_from
    from pipeline.release.rehydrate import OUTCOMES, rehydrate

    settings = load_settings(config)
    crawl_settings = crawl_settings_from(settings)
    if allow_private:
        crawl_settings = crawl_settings.model_copy(update={"allow_private": True})
    crawl_settings = crawl_settings.model_copy(update={"warc_dir": out_dir / "warc"})
    report = rehydrate(release, out_dir, settings, crawl_settings, version=version)
    if json_output:
        emit_json(report.to_dict())
        return
    counts = ", ".join(f"{k} {report.outcomes.get(k, 0)}" for k in OUTCOMES)
    out.print(f"rehydrated version {safe(report.version)} into {safe(out_dir)}: {counts}")
    for item in report.items:
        if item["outcome"] != "reproduced":
            out.print(f"  {safe(item['outcome'])} {safe(item['url'])}: {safe(item['reason'])}")
