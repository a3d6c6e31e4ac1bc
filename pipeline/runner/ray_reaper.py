"""No Ray process outlives the driver that started a local cluster, whether it exits or is killed with kill -9.

``ray.init()`` fate-shares GCS and raylet with the driver (``PR_SET_PDEATHSIG``) and the workers die with the
raylet, but the raylet's DashboardAgent and RuntimeEnvAgent, and a worker still starting, outlive a kill -9 by a
minute (Ray 2.60, measured): on the raylet's death they publish an error to the dead GCS with a fixed 60 s
timeout, and Ray has no setting that disables those agents or shortens it (``RAY_gcs_rpc_server_reconnect_timeout_s``
does not). So the driver starts this reaper (standard library only, run as a file: ~20 ms, no Ray import) before
``ray.init``, with a pipe from the driver as its stdin. When the driver ends, however it ends, the kernel closes
the pipe; the reaper then sends SIGKILL to what is left of the clusters the driver started, found in /proc:

- every process whose environment holds the driver's token (``TOKEN_VARIABLE=<token>``, set in the driver's
  environment only while ``ray.init`` starts the cluster: GCS, raylet, dashboard, monitors and the workers the
  raylet spawns later inherit it);
- every process titled ``ray::...`` (a title that may overwrite the environment block, as the agents' does)
  holding a file open in the session folder of one of those.

A cluster joined at ``[runner] address`` never gets a reaper, so its processes are never touched.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

TOKEN_VARIABLE = "SURVNEWS_RAY_REAPER"
# Ray's session folders: <temp dir>/session_<date>_<time>_<microseconds>_<pid>/
SESSION_FOLDER = re.compile(rb"^(/.*/session_\d{4}-\d\d-\d\d_\d\d-\d\d-\d\d_\d+_\d+/)")
PROC = Path("/proc")

_reaper: subprocess.Popen[bytes] | None = None
_token = ""  # one per driver process: a reaper started again (the first was killed) reaps the earlier clusters too
_reaper_forgotten_at_fork = False


@contextlib.contextmanager
def fate_shared() -> Iterator[str]:
    """Start this process's reaper (once); within, the environment holds its token, for ``ray.init``.

    Yields the token. The reaper's pipe stays open for as long as this process lives (a module global): closing
    it would reap the clusters at once.
    """
    global _reaper, _reaper_forgotten_at_fork, _token
    if not sys.platform.startswith("linux"):  # no /proc to find them in
        yield ""
        return
    if _reaper is None or _reaper.poll() is not None:
        if not _token:
            if not _reaper_forgotten_at_fork:
                os.register_at_fork(after_in_child=_forget_reaper)
                _reaper_forgotten_at_fork = True
            _token = secrets.token_hex(16)
        _reaper = subprocess.Popen(
            [sys.executable, "-I", __file__, _token],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd="/",
            start_new_session=True,  # a Ctrl-C or hang-up of the driver's terminal must leave it to reap
        )
    previous = os.environ.get(TOKEN_VARIABLE)
    os.environ[TOKEN_VARIABLE] = _token
    try:
        yield _token
    finally:
        # later children of the driver (other tools, servers) must not carry the token
        if previous is None:
            os.environ.pop(TOKEN_VARIABLE, None)
        else:
            os.environ[TOKEN_VARIABLE] = previous


def _forget_reaper() -> None:
    """In a forked child: close its copy of the pipe (the driver's end must close when the driver ends); a child
    that starts a cluster is another driver, with a reaper and token of its own."""
    global _reaper, _token
    if _reaper is not None and _reaper.stdin is not None:
        _reaper.stdin.close()
    _reaper, _token = None, ""


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:  # gone, a zombie, or not ours to read
        return b""


def _open_files(pid: int) -> Iterator[bytes]:
    with contextlib.suppress(OSError):
        for fd in os.scandir(PROC / str(pid) / "fd"):
            with contextlib.suppress(OSError):
                yield os.fsencode(os.readlink(fd.path))


def cluster_processes(token: str, sessions: set[bytes]) -> set[int]:
    """Live processes of the clusters started under ``token``; adds their session folders to ``sessions``."""
    marker = f"{TOKEN_VARIABLE}={token}".encode()
    found: set[int] = set()
    titled: list[int] = []
    for entry in os.scandir(PROC):
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        pid = int(entry.name)
        if marker in _read(PROC / entry.name / "environ").split(b"\0"):
            found.add(pid)
            for path in _open_files(pid):
                match = SESSION_FOLDER.match(path)
                if match:
                    sessions.add(match.group(1))
        elif _read(PROC / entry.name / "cmdline").startswith(b"ray::"):
            titled.append(pid)
    for pid in titled:
        if any(path.startswith(session) for path in _open_files(pid) for session in sessions):
            found.add(pid)
    return found


def reap(token: str, patience: float = 10.0) -> set[int]:
    """SIGKILL the processes of the clusters started under ``token`` until two passes find none; their pids."""
    sessions: set[bytes] = set()  # kept across passes: the processes that showed them are gone
    killed: set[int] = set()
    quiet = 0
    deadline = time.monotonic() + patience
    while quiet < 2 and time.monotonic() < deadline:
        found = cluster_processes(token, sessions)
        for pid in found:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        killed |= found
        quiet = 0 if found else quiet + 1
        time.sleep(0.05)
    return killed


def main(argv: list[str]) -> int:
    token = argv[1]
    for number in (signal.SIGINT, signal.SIGHUP):
        signal.signal(number, signal.SIG_IGN)
    sys.stdin.buffer.read()  # returns when the driver has ended: the kernel closed its end of the pipe
    reap(token)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
