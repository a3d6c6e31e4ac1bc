"""kill -9 of the driver during `survnews ingest --runner ray` (a real local Ray cluster), then the same command
again: the records of one uninterrupted run."""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import PROJECT_ROOT
from tests.test_runner import articles_snapshot
from tests.test_runner_resume import articles, write_pages

pytest.importorskip("ray", reason='Ray is not installed (pip install -e ".[ray]")')


def survnews(*args: str, cwd: Path, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as stderr:  # a file, not a pipe: Ray's output must never block the driver
        return subprocess.Popen(
            [sys.executable, "-m", "pipeline.cli", *args],
            cwd=cwd,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            env={"PYTHONPATH": str(PROJECT_ROOT), "PATH": "/usr/bin:/bin", "HOME": str(cwd)},
        )


def descendants(pid: int) -> set[int]:
    """Every process below ``pid`` (from /proc: the local Ray cluster the driver started)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found: set[int] = set()
    frontier = [pid]
    while frontier:
        parent = frontier.pop()
        children = [child for child, ppid in parents.items() if ppid == parent and child not in found]
        found.update(children)
        frontier += children
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def raw_inputs(store: Path) -> int:
    try:
        with sqlite3.connect(store, timeout=5) as db:
            return int(db.execute("SELECT COUNT(*) FROM raw").fetchone()[0])
    except sqlite3.OperationalError:
        return 0


def kill_driver(proc: subprocess.Popen[bytes]) -> list[str]:
    """SIGKILL the driver, then end by id what of the cluster it started outlived it; returns those ids.

    Ray fate-shares raylet, GCS and workers with the driver that started them, but its DashboardAgent and
    RuntimeEnvAgent outlive a kill -9 (seen with Ray 2.x here); they hold no survnews state. Returns the
    command lines of what outlived it.
    """
    cluster = descendants(proc.pid)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + 5
    while any(alive(pid) for pid in cluster) and time.monotonic() < deadline:
        time.sleep(0.2)
    left = [pid for pid in cluster if alive(pid)]
    names = []
    for pid in left:  # never leave a stray cluster on the shared machine
        with contextlib.suppress(OSError):
            names.append(Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace"))
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    return names


@pytest.mark.slow
def test_kill_minus_9_of_the_ray_driver_then_resume_gives_the_same_records(tmp_path: Path) -> None:
    pages = tmp_path / "pages"
    write_pages(pages, 60)
    log = tmp_path / "stderr.log"
    clean = tmp_path / "clean.sqlite"
    # the uninterrupted run on the local backend (one process less to start; test_runner_ray checks that both
    # backends give the same records)
    done = survnews("ingest", str(pages), "--store", str(clean), "--workers", "1", cwd=tmp_path, log=log)
    assert done.wait(600) == 0, log.read_text(errors="replace")

    resumed = tmp_path / "resumed.sqlite"
    ray_ingest = ("ingest", str(pages), "--runner", "ray", "--workers", "2")
    # first kill: while the cluster maps the window (inputs read, nothing written); second: while the driver
    # writes the merged shards into the store
    for ready in (lambda: raw_inputs(resumed) > 0, lambda: articles(resumed) >= 10):
        proc = survnews(*ray_ingest, "--store", str(resumed), cwd=tmp_path, log=log)
        deadline = time.monotonic() + 300
        while not ready() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        assert proc.poll() is None, "the ingest ended before it could be killed"
        outlived = kill_driver(proc)
        assert not [name for name in outlived if "raylet" in name or "gcs_server" in name], outlived
    assert 0 < articles(resumed) < articles(clean), "the kills did not interrupt the run"
    final = survnews(*ray_ingest, "--store", str(resumed), cwd=tmp_path, log=log)
    assert final.wait(600) == 0, log.read_text(errors="replace")
    assert articles_snapshot(resumed) == articles_snapshot(clean)
