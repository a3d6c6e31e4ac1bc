"""The release commands as a new user runs them: run (pseudonymised), publish --mode, push --dry-run, rehydrate."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import SAMPLES


def survnews(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pipeline.cli", *args], cwd=cwd, capture_output=True, text=True, timeout=600
    )


@pytest.mark.slow
def test_run_publish_modes_and_push_dry_run(tmp_path: Path) -> None:
    (tmp_path / "survnews.toml").write_text(
        f'[ingest]\npaths = ["{SAMPLES}"]\n[tagger]\nmodel = "blank"\n[publish]\nout = "rel"\n'
        '[[licenses]]\ndomain = "thamesidecourier.co.uk"\nlicense = "all rights reserved"\n'
        f'[[licenses]]\npath = "{SAMPLES}"\nlicense = "CC0-1.0"\n',
        encoding="utf-8",
    )
    run = survnews("run", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert "1.0.0 (published)" in run.stdout
    folder = tmp_path / "rel" / "survnews"
    card = (folder / "README.md").read_text(encoding="utf-8")
    assert "Release mode: **pseudonymised**" in card and "license: other" in card
    standoff = survnews("publish", "--mode", "standoff", cwd=tmp_path)
    assert standoff.returncode == 0, standoff.stderr
    assert "published version 1.1.0 (standoff)" in standoff.stdout
    full = survnews("publish", "--mode", "full", cwd=tmp_path)
    assert full.returncode == 1 and "Traceback" not in full.stderr
    assert len(full.stderr.strip().splitlines()) == 1
    assert "thamesidecourier.co.uk (all rights reserved, 1 records)" in full.stderr
    dry = survnews("push", "me/survnews", "--dry-run", cwd=tmp_path)
    assert dry.returncode == 0, dry.stderr
    assert "would push v1.1.0" in dry.stdout and "data/1.1.0/train-00000-of-00001.parquet" in dry.stdout
