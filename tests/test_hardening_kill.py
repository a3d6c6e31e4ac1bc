"""kill -9 at any point of ingest, tag, run or export, then the same command again: the result is exact.

Each test runs the command once uninterrupted (the reference), then on a fresh store kills it with SIGKILL at
points read from the store (or at a time), runs it again to the end, and compares everything the store holds.
"""

from __future__ import annotations

import json
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pipeline.config import Settings, load_settings
from pipeline.export import export
from pipeline.run import ingest_paths, run_all, tag_store
from pipeline.store import Store
from tests.conftest import SAMPLES
from tests.test_bad_input_suite import text_dump

# each test starts the CLI a few times (an interpreter with spaCy each): tens of seconds on a busy machine
pytestmark = [pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals"), pytest.mark.slow]


def command(*args: str) -> list[str]:
    return [sys.executable, "-m", "pipeline.cli", *args]


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("kill-inputs")
    for n in range(16):
        (folder / f"story-{n:02d}.txt").write_text(text_dump(f"Town{n}"), encoding="utf-8")
    (folder / "html").mkdir()
    for page in sorted((SAMPLES / "html").glob("*.html"))[:4]:
        shutil.copy(page, folder / "html" / page.name)
    (folder / "empty.txt").write_bytes(b"")
    return folder


def count(store: Path, sql: str) -> int:
    """A count read while the command runs (WAL: readers never block the writer); 0 before the table exists."""
    if not store.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{store}?mode=ro", uri=True, timeout=5) as db:
            return int(db.execute(sql).fetchone()[0])
    except sqlite3.Error:
        return 0


def kill_when(args: list[str], ready: Callable[[], bool], cwd: Path, limit_s: float = 120) -> bool:
    """Start the command, SIGKILL it as soon as ``ready()``; True when it was killed (not already finished)."""
    proc = subprocess.Popen(args, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + limit_s
    try:
        while proc.poll() is None and time.monotonic() < deadline:
            if ready():
                proc.send_signal(signal.SIGKILL)
                proc.wait(30)
                return True
            time.sleep(0.02)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(30)
    return False


def finish(args: list[str], cwd: Path) -> dict[str, Any]:
    result = subprocess.run([*args, "--json"], cwd=cwd, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    return dict(json.loads(result.stdout))


def snapshot(store: Path) -> dict[str, Any]:
    """Everything a run leaves in the store, minus clocks."""
    with sqlite3.connect(store) as db:
        db.row_factory = sqlite3.Row
        articles = {
            row["id"]: (
                row["text_hash"],
                row["raw_sha256"],
                row["relevant"],
                row["title"],
                row["published"],
                sorted(json.loads(row["also_published_at"])),
                row["entities"],
                row["events"],
                row["tagger"],
            )
            for row in db.execute("SELECT * FROM articles")
        }
        raw = sorted((row["sha256"], row["status"]) for row in db.execute("SELECT sha256, status FROM raw"))
        rejects = sorted((r["item"], r["stage"], r["reason"]) for r in db.execute("SELECT * FROM rejects"))
    return {"articles": articles, "raw": raw, "rejects": rejects}


def settings_for(store: Path, inputs: Path) -> Settings:
    settings = Settings()
    settings.store.path = store
    settings.ingest.paths = [inputs]
    settings.tagger.model = "blank"
    return settings


def ingest_in_process(store: Path, inputs: Path) -> None:
    """The reference: the same stage through the library, uninterrupted (no second interpreter to start)."""
    with Store(store) as db:
        ingest_paths(db, [inputs], settings_for(store, inputs))


def test_ingest_killed_twice_resumes_exact(tmp_path: Path, inputs: Path) -> None:
    reference = tmp_path / "reference.sqlite"
    ingest_in_process(reference, inputs)
    store = tmp_path / "killed.sqlite"
    args = command("ingest", str(inputs), "--store", str(store))
    # once while reading inputs into the store, once while extracting them into articles
    assert kill_when(args, lambda: count(store, "SELECT COUNT(*) FROM raw") >= 5, tmp_path)
    assert kill_when(args, lambda: count(store, "SELECT COUNT(*) FROM articles") >= 8, tmp_path)
    finish(args, tmp_path)
    assert snapshot(store) == snapshot(reference)


def test_tag_killed_resumes_exact(tmp_path: Path, inputs: Path) -> None:
    reference = tmp_path / "reference.sqlite"
    ingest_in_process(reference, inputs)
    store = tmp_path / "killed.sqlite"
    shutil.copy(reference, store)
    with Store(reference) as db:
        tag_store(db, settings_for(reference, inputs))
    args = command("tag", "--model", "blank", "--store", str(store))
    started = time.monotonic()
    assert kill_when(args, lambda: time.monotonic() - started > 2.5, tmp_path)  # loading or tagging
    summary = finish(args, tmp_path)
    assert summary["tagged"] > 0 or count(store, "SELECT COUNT(*) FROM articles WHERE tagger IS NULL") == 0
    assert snapshot(store) == snapshot(reference)


def test_run_killed_resumes_exact(tmp_path: Path, inputs: Path) -> None:
    def config(folder: Path) -> Path:
        folder.mkdir()
        path = folder / "survnews.toml"
        path.write_text(
            f'[store]\npath = "s.sqlite"\n[ingest]\npaths = ["{inputs}"]\n[tagger]\nmodel = "blank"\n',
            encoding="utf-8",
        )
        return path

    ref_config = config(tmp_path / "ref")
    run_all(load_settings(ref_config), publish_release=False)
    killed_config = config(tmp_path / "killed")
    store = killed_config.parent / "s.sqlite"
    args = command("run", "--no-publish", "--config", str(killed_config))
    assert kill_when(args, lambda: count(store, "SELECT COUNT(*) FROM articles") >= 6, tmp_path)
    finish(args, tmp_path)
    assert snapshot(store) == snapshot(ref_config.parent / "s.sqlite")


def test_export_killed_leaves_the_old_file_or_the_new_one_and_no_stray_file(tmp_path: Path, inputs: Path) -> None:
    store = tmp_path / "s.sqlite"
    ingest_in_process(store, inputs)
    out = tmp_path / "out" / "records.parquet"
    args = command("export", "--format", "parquet", "--all", "--out", str(out), "--store", str(store))
    with Store(store) as db:
        export(db, out, "parquet", include_all=True)
    reference = out.read_bytes()
    out.unlink()
    kill_when(args, lambda: any(out.parent.glob(".records.parquet.*.tmp")), tmp_path)
    assert not out.exists() or out.read_bytes() == reference  # never a half-written file
    # what a kill inside the write leaves: the temporary file of a process that is gone
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    orphan = out.parent / f".records.parquet.{int(dead.stdout)}.tmp"
    orphan.write_bytes(b"PAR1 half a file")
    finish(args, tmp_path)
    assert out.read_bytes() == reference
    assert sorted(p.name for p in out.parent.iterdir()) == ["records.parquet"]  # the killed run's temporary is gone
