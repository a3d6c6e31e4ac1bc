"""The release folder as a git repository: one commit and one tag ``vX.Y.Z`` per version (real ``git``).

The Hub is a git host, so the same tags make ``load_dataset(repo, revision="v1.2.0")`` work once pushed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from pipeline.errors import SurvnewsError

IDENTITY = ("-c", "user.name=survnews", "-c", "user.email=survnews@localhost", "-c", "commit.gpgsign=false")
IGNORED = ("data/.partial*/", ".orphaned/", "*.tmp", "*.tmp.parquet")


class ReleaseGitError(SurvnewsError):
    pass


def _git(folder: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    if shutil.which("git") is None:
        raise ReleaseGitError("git is not installed: a release folder is a git repository (install git)")
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"}
    done = subprocess.run(["git", *IDENTITY, *args], cwd=folder, capture_output=True, text=True, env=env, check=False)
    if check and done.returncode != 0:
        message = (done.stderr or done.stdout).strip().splitlines()
        raise ReleaseGitError(f"git {args[0]} in {folder} failed: {message[-1] if message else done.returncode}")
    return done


def ensure_repo(folder: Path, extra_ignored: list[str] | None = None) -> None:
    """Make ``folder`` a git repository (if it is not one) whose .gitignore leaves out partial writes."""
    if not (folder / ".git").exists():
        _git(folder, "init", "-q", "-b", "main")
    lines = [*IGNORED, *(extra_ignored or [])]
    ignore = folder / ".gitignore"
    text = "\n".join(lines) + "\n"
    if not ignore.exists() or ignore.read_text(encoding="utf-8") != text:
        ignore.write_text(text, encoding="utf-8")


def tags(folder: Path) -> set[str]:
    if not (folder / ".git").exists():
        return set()
    return {t for t in _git(folder, "tag", "--list").stdout.split() if t}


def release_paths(folder: Path, version: str) -> list[str]:
    """What a version adds to the repository: the manifest, the derived files, its data and plots (nothing else)."""
    names = [".gitignore", "versions.json", "README.md", "CHANGELOG.md", "LICENSES.md", f"data/{version}"]
    names.append(f"plots/v{version}")
    return [n for n in names if (folder / n).exists()]


def commit_and_tag(folder: Path, version: str, message: str) -> str:
    """Commit the version's files and tag the commit ``v<version>``; refuses to move an existing tag."""
    tag = f"v{version}"
    if tag in tags(folder):
        raise ReleaseGitError(f"tag {tag} already exists in {folder}; published versions never change")
    _git(folder, "add", "-A", "--", *release_paths(folder, version))
    if _git(folder, "diff", "--cached", "--quiet", check=False).returncode != 0:
        _git(folder, "commit", "-q", "-m", message)
    _git(folder, "tag", "-a", tag, "-m", message)
    return tag


def tracked_files(folder: Path, ref: str = "HEAD") -> list[str]:
    """The files of ``ref`` (what a push uploads), as paths relative to the folder."""
    return sorted(p for p in _git(folder, "ls-tree", "-r", "--name-only", ref).stdout.splitlines() if p)


def is_clean(folder: Path, paths: list[str] | None = None, *, untracked: bool = True) -> bool:
    flags = [] if untracked else ["--untracked-files=no"]
    return not _git(folder, "status", "--porcelain", *flags, "--", *(paths or [])).stdout.strip()


def commit_and_tag_existing(folder: Path, version: str, message: str) -> None:
    """Commit repaired files of an already tagged version (the tag keeps pointing at what was published)."""
    _git(folder, "add", "-A", "--", *release_paths(folder, version))
    if _git(folder, "diff", "--cached", "--quiet", check=False).returncode != 0:
        _git(folder, "commit", "-q", "-m", message)
