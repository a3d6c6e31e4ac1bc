"""kill -9 of the driver during `survnews ingest --runner ray` (a real local Ray cluster) leaves no process of
that cluster behind, and the same command again starts a new one cleanly: the records of one uninterrupted run."""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import PROJECT_ROOT
from tests.test_runner import articles_snapshot
from tests.test_runner_ray_reaper import alive, command_line, descendants, session_folders, session_processes
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


def watch_until(proc: subprocess.Popen[bytes], ready: Callable[[], bool]) -> tuple[set[int], set[str]]:
    """Poll until ``ready()`` once the cluster is up, or until the driver ends; returns the processes below the
    driver and their Ray sessions, noted until the cluster is up (the raylet started its ``ray::`` agents and
    workers; later processes are found by their session folder)."""
    started: set[int] = set()
    sessions: set[str] = set()
    up = False
    deadline = time.monotonic() + 600
    while proc.poll() is None and time.monotonic() < deadline:
        if not up:
            started |= descendants(proc.pid)
            sessions |= session_folders(started)
            up = bool(sessions) and any(command_line(pid).startswith("ray::") for pid in started)
        elif ready():
            break
        time.sleep(0.01 if up else 0.1)  # a /proc scan costs more than a count of rows
    return started, sessions


def outlived(started: set[int], sessions: set[str]) -> list[str]:
    """What of ``started`` or of the ``sessions`` is alive 10 s after its driver ended (ended by id here, so no
    stray cluster is left on the shared machine), as command lines."""
    deadline = time.monotonic() + 10
    left = {pid for pid in started if alive(pid)} | session_processes(sessions)
    while left and time.monotonic() < deadline:
        time.sleep(0.1)
        left = {pid for pid in started if alive(pid)} | session_processes(sessions)
    names = [command_line(pid) for pid in left]
    for pid in left:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    return names


def raw_inputs(store: Path) -> int:
    try:
        with sqlite3.connect(store, timeout=5) as db:
            return int(db.execute("SELECT COUNT(*) FROM raw").fetchone()[0])
    except sqlite3.OperationalError:
        return 0


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
    # first kill: once the cluster is up, while it maps the window (inputs read, nothing written); second: while
    # the driver writes the merged shards into the store. Before survnews reaped its local cluster, Ray's
    # DashboardAgent and RuntimeEnvAgent outlived a kill -9 of the driver by a minute (they report the raylet's
    # death to the dead GCS with a 60 s timeout).
    for ready in (lambda: raw_inputs(resumed) > 0, lambda: articles(resumed) >= 10):
        proc = survnews(*ray_ingest, "--store", str(resumed), cwd=tmp_path, log=log)
        started, sessions = watch_until(proc, ready)
        assert proc.poll() is None, "the ingest ended before it could be killed"
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert sessions, f"no Ray session below the driver: {[command_line(pid) for pid in started]}"
        assert outlived(started, sessions) == [], "processes outlived the killed driver"
    assert 0 < articles(resumed) < articles(clean), "the kills did not interrupt the run"
    final = survnews(*ray_ingest, "--store", str(resumed), cwd=tmp_path, log=log)
    started, sessions = watch_until(final, lambda: False)
    assert final.wait(1) == 0, log.read_text(errors="replace")
    assert sessions, "the last run started no Ray session"
    assert outlived(started, sessions) == [], "processes outlived the driver's exit"
    assert articles_snapshot(resumed) == articles_snapshot(clean)
