"""The reaper of a local Ray cluster, on real processes standing in for Ray's (quick; the slow kill -9 test in
test_runner_ray_resume checks it on a real cluster): when the driver ends, by kill -9 or a normal exit, what it
started under its token dies, and so do ``ray::`` processes logging into that cluster's session folder; another
cluster's processes and other processes using the folder live on. Also the /proc helpers of the Ray tests."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest

from pipeline.runner.ray_reaper import TOKEN_VARIABLE
from tests.conftest import PROJECT_ROOT

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the reaper reads /proc (Linux)")

# Ray's session folders: <temp dir>/session_<date>_<time>_<microseconds>_<pid>/
SESSION = re.compile(r"^(/.*/session_\d{4}-\d\d-\d\d_\d\d-\d\d-\d\d_\d+_\d+/)")


def descendants(pid: int) -> set[int]:
    """Every process below ``pid`` (from /proc)."""
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


def open_files(pid: int) -> list[str]:
    try:
        return [os.readlink(fd) for fd in Path(f"/proc/{pid}/fd").iterdir()]
    except OSError:
        return []


def command_line(pid: int) -> str:
    with contextlib.suppress(OSError):
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    return ""


def session_folders(pids: Iterable[int]) -> set[str]:
    """The Ray session folders that these processes hold files in."""
    return {match.group(1) for pid in pids for path in open_files(pid) if (match := SESSION.match(path))}


def session_processes(sessions: set[str]) -> set[int]:
    """Live processes holding a file in one of these session folders or naming one on their command line (raylet,
    GCS, agents and workers all log there)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid() and alive(int(entry.name)):
            pid = int(entry.name)
            named = [command_line(pid), *open_files(pid)]
            if any(session in text for session in sessions for text in named):
                found.add(pid)
    return found


def wait_dead(pids: Iterable[int], seconds: float = 10) -> set[int]:
    """Those of ``pids`` still alive after up to ``seconds``."""
    deadline = time.monotonic() + seconds
    left = {pid for pid in pids if alive(pid)}
    while left and time.monotonic() < deadline:
        time.sleep(0.05)
        left = {pid for pid in left if alive(pid)}
    return left


# A driver: the reaper, then a "raylet" started under the token and an "agent" without it (as Ray's agents, whose
# process title overwrites their environment), both logging into the session folder. Prints their pids and the
# token variable as seen after ``fate_shared``, then exits at a line on stdin (or is killed before).
DRIVER = """
import os, subprocess, sys
from pipeline.runner.ray_reaper import TOKEN_VARIABLE, fate_shared
logs = sys.argv[1]
with fate_shared():
    raylet = subprocess.Popen(["sleep", "60"], stdout=open(logs + "/raylet.out", "w"))
agent = subprocess.Popen(["ray::DashboardAgent", "60"], executable="sleep", stdout=open(logs + "/agent.out", "w"))
print(raylet.pid, agent.pid, os.environ.get(TOKEN_VARIABLE, "-"), flush=True)
sys.stdin.readline()
"""


@contextlib.contextmanager
def bystanders(tmp_path: Path, logs: Path) -> Iterator[list[subprocess.Popen[bytes]]]:
    """Processes the reaper must leave alone: another driver's process (another token) reading our session's log
    folder, and a ``ray::`` process of another session."""
    other = tmp_path / "session_2026-01-01_00-00-01_000002_2" / "logs"
    other.mkdir(parents=True)
    with (logs / "tail.out").open("wb") as ours, (other / "agent.out").open("wb") as theirs:
        started = [
            subprocess.Popen(["sleep", "60"], stdout=ours, env={TOKEN_VARIABLE: "another-driver"}),
            subprocess.Popen(["ray::RuntimeEnvAgent", "60"], executable="sleep", stdout=theirs),
        ]
    try:
        yield started
    finally:
        for proc in started:
            proc.kill()
            proc.wait()


@pytest.mark.parametrize("end", ["kill", "exit"])
def test_the_reaper_ends_the_cluster_of_a_driver_that_ends(tmp_path: Path, end: str) -> None:
    logs = tmp_path / "session_2026-01-01_00-00-00_000001_1" / "logs"
    logs.mkdir(parents=True)
    with bystanders(tmp_path, logs) as others:
        driver = subprocess.Popen(
            [sys.executable, "-c", DRIVER, str(logs)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env={"PYTHONPATH": str(PROJECT_ROOT), "PATH": os.environ["PATH"]},
        )
        assert driver.stdin is not None and driver.stdout is not None
        raylet, agent, token_after = driver.stdout.readline().decode().split()
        cluster = {int(raylet), int(agent)}
        reaper = descendants(driver.pid) - cluster
        assert len(reaper) == 1 and "ray_reaper" in command_line(next(iter(reaper)))
        assert token_after == "-", "the token stayed in the driver's environment"
        assert wait_dead(cluster, 0.3) == cluster, "reaped while the driver lives"
        if end == "kill":
            driver.send_signal(signal.SIGKILL)
        else:
            driver.stdin.write(b"\n")
            driver.stdin.flush()
        assert driver.wait(30) == (-signal.SIGKILL if end == "kill" else 0)

        left = wait_dead(cluster | reaper)
        for pid in left:
            os.kill(pid, signal.SIGKILL)
        assert not left, [command_line(pid) for pid in left]
        assert all(proc.poll() is None for proc in others), "the reaper ended a process that is not its driver's"
