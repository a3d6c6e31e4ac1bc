"""``survnews push REPO_ID``: upload one version of a release folder to the Hugging Face Hub and tag it there.

The token comes from ``HF_TOKEN`` in the environment and is never printed (errors are scrubbed of it). What is
uploaded is exactly the file set of the version's local git tag; the Hub's own card validation runs first; an
existing tag on the Hub is never moved.
"""

from __future__ import annotations

import io
import os
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.errors import ConfigError, ServiceError, SurvnewsError
from pipeline.release import gitrepo
from pipeline.release.card import validate_card


class PushError(SurvnewsError):
    pass


@dataclass
class PushPlan:
    folder: Path
    version: str
    tag: str
    files: list[str]


def push_plan(folder: Path, version: str | None = None) -> PushPlan:
    """What a push of ``version`` (default: the newest) uploads, after the local checks; no network."""
    from pipeline.publish import parse_version, published_versions

    versions = published_versions(folder)
    if not versions:
        raise PushError(f"{folder}: not a survnews release (no versions.json); run survnews publish first")
    if version is None:
        version = max(versions, key=lambda v: parse_version(v["version"]))["version"]
    version = version.lstrip("v")
    if all(v["version"] != version for v in versions):
        raise PushError(f"{folder}: no version {version}")
    tag = f"v{version}"
    if tag not in gitrepo.tags(folder):
        raise PushError(f"{folder}: version {version} has no git tag {tag} (run survnews publish to repair it)")
    if not gitrepo.is_clean(folder, untracked=False):
        raise PushError(f"{folder}: released files were edited after their version; publish or revert the edits")
    files = gitrepo.tracked_files(folder, tag)
    card = _export(folder, tag)
    try:
        problems = validate_card(Path(card.name) / "README.md")
    finally:
        card.cleanup()
    if problems:
        raise PushError(f"the dataset card of {tag} is not valid: {problems[0]}")
    return PushPlan(folder=folder, version=version, tag=tag, files=files)


def _export(folder: Path, tag: str) -> tempfile.TemporaryDirectory[str]:
    """The files of ``tag`` in a temporary folder (``git archive``): what the Hub gets, nothing else."""
    tmp = tempfile.TemporaryDirectory(prefix="survnews-push-")
    archive = subprocess.run(["git", "archive", "--format=tar", tag], cwd=folder, capture_output=True, check=True)
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(tmp.name, filter="data")
    return tmp


def check_tag_free(tag: str, hub_tags: set[str], repo_id: str) -> None:
    if tag in hub_tags:
        raise PushError(f"tag {tag} already exists on the Hub in {repo_id}; published versions never change")


def _scrub(message: str, token: str) -> str:
    return message.replace(token, "***") if token else message


def push(folder: Path, repo_id: str, *, version: str | None = None, private: bool = False) -> dict[str, Any]:
    """Upload the version's files to the dataset repo ``repo_id`` and create its tag; returns what was done."""
    token = os.environ.get("HF_TOKEN", "")
    if not token:
        raise ConfigError("HF_TOKEN is not set: export a Hugging Face write token as HF_TOKEN to push")
    if repo_id.count("/") != 1 or not all(repo_id.split("/")):
        raise ConfigError(f"repo id {repo_id!r} is not owner/name")
    plan = push_plan(folder, version)
    from huggingface_hub import DatasetCard, HfApi

    api = HfApi(token=token)
    exported = _export(folder, plan.tag)
    try:
        DatasetCard.load(Path(exported.name) / "README.md").validate(repo_type="dataset")  # the Hub's own check
        api.create_repo(repo_id, repo_type="dataset", private=private, exist_ok=True)
        refs = api.list_repo_refs(repo_id, repo_type="dataset")
        check_tag_free(plan.tag, {t.name for t in refs.tags}, repo_id)
        commit = api.upload_folder(
            folder_path=exported.name,
            repo_id=repo_id,
            repo_type="dataset",
            commit_message=f"survnews release {plan.version}",
        )
        api.create_tag(
            repo_id,
            tag=plan.tag,
            revision=commit.oid,
            repo_type="dataset",
            tag_message=f"survnews release {plan.version}",
        )
    except SurvnewsError:
        raise
    except ValueError as exc:  # the Hub's card validation
        raise PushError(f"the Hub rejected the dataset card of {plan.tag}: {_scrub(str(exc), token)}") from None
    except Exception as exc:  # network, HTTP and offline-mode errors of huggingface_hub
        line = _scrub(str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__, token)
        raise ServiceError(f"cannot push to the Hub ({repo_id}): {type(exc).__name__}: {line}") from None
    finally:
        exported.cleanup()
    return {"repo_id": repo_id, "version": plan.version, "tag": plan.tag, "files": len(plan.files)}
