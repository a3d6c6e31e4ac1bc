"""``survnews push``: everything up to the network (tags, exact file set, card checks, token handling); the real
upload runs only when ``HF_TOKEN`` and ``SURVNEWS_TEST_HUB_REPO`` are set. No fake Hub."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.config import Settings
from pipeline.publish import publish, release_dir
from pipeline.release.push import PushError, check_tag_free, push, push_plan
from pipeline.run import run_all
from pipeline.store import Store

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def release(settings: Settings) -> Path:
    run_all(settings)
    return release_dir(settings)


def test_push_plan_is_the_exact_file_set_of_the_tag(release: Path, settings: Settings) -> None:
    # a stray file and a partial write are not part of any version: never uploaded
    (release / "data" / ".partial-x").mkdir()
    (release / "data" / ".partial-x" / "train-00000.tmp.parquet").write_bytes(b"partial")
    plan = push_plan(release)
    assert plan.tag == "v1.0.0" and plan.version == "1.0.0"
    assert set(plan.files) == {
        ".gitignore",
        "CHANGELOG.md",
        "LICENSES.md",
        "README.md",
        "versions.json",
        "data/1.0.0/train-00000-of-00001.parquet",
        "plots/v1.0.0/articles_per_month.png",
        "plots/v1.0.0/technology_categories.png",
        "plots/v1.0.0/world_map.png",
    }
    with Store(settings.store.path) as store:
        with store.db:
            store.db.execute("DELETE FROM articles WHERE id = (SELECT MIN(id) FROM articles WHERE relevant = 1)")
        publish(store, settings)
    assert "data/1.0.0/train-00000-of-00001.parquet" in push_plan(release, "1.0.0").files
    newer = push_plan(release)
    assert newer.tag == "v1.0.1" and "data/1.0.1/train-00000-of-00001.parquet" in newer.files
    assert "data/1.0.1/train-00000-of-00001.parquet" not in push_plan(release, "v1.0.0").files
    (release / "notes.txt").write_text("not released", encoding="utf-8")
    assert "notes.txt" not in push_plan(release).files  # a stray file is never uploaded
    card = release / "README.md"
    card.write_text(card.read_text(encoding="utf-8") + "\nedited by hand\n", encoding="utf-8")
    with pytest.raises(PushError, match="edited after their version"):
        push_plan(release)


def test_an_existing_hub_tag_is_refused() -> None:
    check_tag_free("v1.0.1", {"v1.0.0"}, "me/survnews")
    with pytest.raises(PushError, match="already exists on the Hub"):
        check_tag_free("v1.0.0", {"v1.0.0"}, "me/survnews")


def test_push_without_a_token_is_one_line(release: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pipeline.errors import ConfigError

    monkeypatch.delenv("HF_TOKEN", raising=False)
    with pytest.raises(ConfigError, match="HF_TOKEN is not set"):
        push(release, "me/survnews")


def test_push_stops_at_the_network_and_never_prints_the_token(release: Path) -> None:
    # a Hub endpoint on a loopback port that nothing listens on: the request is really made, and refused
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    token = "hf_survnewsTestTokenThatMustNeverBePrinted"
    env = {
        **os.environ,
        "HF_TOKEN": token,
        "HF_ENDPOINT": f"http://127.0.0.1:{port}",
        "HF_HUB_OFFLINE": "0",
        "PYTHONPATH": str(ROOT),
    }
    done = subprocess.run(
        [sys.executable, "-m", "pipeline.cli", "push", "me/survnews", "--release", str(release)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 3, done.stderr
    assert "cannot push to the Hub (me/survnews)" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert token not in done.stdout + done.stderr


@pytest.mark.skipif(
    not (os.environ.get("HF_TOKEN") and os.environ.get("SURVNEWS_TEST_HUB_REPO")),
    reason="needs HF_TOKEN and SURVNEWS_TEST_HUB_REPO (a dataset repo to write to) for the real upload",
)
def test_real_upload_to_the_hub(release: Path) -> None:
    from huggingface_hub import HfApi

    repo = os.environ["SURVNEWS_TEST_HUB_REPO"]
    tags = {t.name for t in HfApi().list_repo_refs(repo, repo_type="dataset").tags} if _exists(repo) else set()
    if "v1.0.0" in tags:
        with pytest.raises(PushError, match="already exists on the Hub"):
            push(release, repo)
        return
    done = push(release, repo)
    assert done["tag"] == "v1.0.0"
    assert "v1.0.0" in {t.name for t in HfApi().list_repo_refs(repo, repo_type="dataset").tags}
    with pytest.raises(PushError, match="already exists on the Hub"):
        push(release, repo)


def _exists(repo: str) -> bool:
    from huggingface_hub import HfApi

    return bool(HfApi().repo_exists(repo, repo_type="dataset"))
