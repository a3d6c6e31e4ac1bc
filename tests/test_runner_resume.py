"""kill -9 during `survnews ingest --workers 2`, then the same command again: the records of one clean run."""

from __future__ import annotations

import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import PROJECT_ROOT
from tests.test_runner import articles_snapshot

WORDS = [
    "police", "city", "council", "camera", "facial", "recognition", "data", "phone", "tracking", "app", "privacy",
    "court", "ruling", "residents", "protest", "minister", "contract", "vendor", "software", "network", "drone",
    "border", "agency", "report", "law",
]  # fmt: skip


def write_pages(folder: Path, n: int) -> None:
    """``n`` article pages, every seventh a syndicated copy of an earlier one (same text, other page)."""
    rng = random.Random(12)
    folder.mkdir(parents=True)
    bodies: list[str] = []
    for i in range(n):
        if i % 7 == 6:
            body = bodies[i - 3]
        else:
            paragraphs = [" ".join(rng.choice(WORDS) for _ in range(60)).capitalize() + "." for _ in range(5)]
            body = "".join(f"<p>{p}</p>" for p in paragraphs)
        bodies.append(body)
        head = f"<html><head><title>Story {i}</title></head>"
        page = f"{head}<body><article><h1>Story {i}</h1>{body}</article></body></html>"
        (folder / f"page-{i:03d}.html").write_text(page, encoding="utf-8")


def survnews(*args: str, cwd: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "pipeline.cli", *args],
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={"PYTHONPATH": str(PROJECT_ROOT), "PATH": "/usr/bin:/bin"},
    )


def articles(store: Path) -> int:
    try:
        with sqlite3.connect(store, timeout=5) as db:
            return int(db.execute("SELECT COUNT(*) FROM articles").fetchone()[0])
    except sqlite3.OperationalError:
        return 0


@pytest.mark.slow
def test_kill_minus_9_during_ingest_then_resume_gives_the_same_records(tmp_path: Path) -> None:
    pages = tmp_path / "pages"
    write_pages(pages, 40)
    clean = tmp_path / "clean.sqlite"
    done = survnews("ingest", str(pages), "--store", str(clean), "--workers", "1", cwd=tmp_path)
    assert done.wait(600) == 0, done.stderr.read() if done.stderr else ""

    resumed = tmp_path / "resumed.sqlite"
    for kill_at in (4, 16):
        proc = survnews("ingest", str(pages), "--store", str(resumed), "--workers", "2", cwd=tmp_path)
        deadline = time.monotonic() + 300
        while articles(resumed) < kill_at and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert proc.poll() is None, "the ingest ended before it could be killed"
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    final = survnews("ingest", str(pages), "--store", str(resumed), "--workers", "2", cwd=tmp_path)
    assert final.wait(600) == 0, final.stderr.read() if final.stderr else ""
    assert articles_snapshot(resumed) == articles_snapshot(clean)
