"""The local backend: map steps in N worker processes, sink steps in this process, results in input order.

Each worker is a fresh interpreter (``subprocess``, not ``multiprocessing``: spawn re-imports the caller's
``__main__``, fork from a threaded process can deadlock) that loads its models once and keeps them for later
batches. With N workers only the first starts cold: once it has set the pipeline's steps up (imports, models) it
forks the others (``worker.py``), which share its loaded modules and models instead of each loading its own, so
a second worker costs a fork, not a second start-up. This process sends batches (at most ``INFLIGHT`` per
worker), receives every outcome as soon as it is done, and hands them to the sink steps strictly in input order
while the workers go on. The runner is also the time limit: a worker silent for longer than the pipeline's
``item_timeout_s`` on one item is killed, the item is rejected (``timeout``), and the rest of its batches go to a
fresh worker; a worker that dies on an item (a crash in C, out of memory) costs that item alone.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import os
import pickle
import queue
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from typing import Any

from pipeline.errors import SurvnewsError
from pipeline.runner.base import Pipeline, Runner, RunStats
from pipeline.runner.step import Outcome, Record, Reject
from pipeline.runner.worker import KEPT_PIPELINES

INFLIGHT = 2  # batches queued per worker: one being worked on, one waiting in the pipe
START_TIMEOUT_S = 300.0  # a worker's start and model loading, before the per-item limit counts
AHEAD_BATCHES = 8  # per worker: how far results may run ahead of the oldest unfinished item
WARM_UP = -1  # id of the empty batch that makes a worker set its steps up ahead of time
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


class _ForkedProcess:
    """A worker forked by the first worker (not this process's child): known by the pid it reports."""

    def __init__(self) -> None:
        self.pid: int | None = None  # set by the worker's hello
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None and self.pid is not None and not _pid_running(self.pid):
            self.returncode = -signal.SIGKILL
        return self.returncode

    def kill(self) -> None:
        if self.pid is not None and self.poll() is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(self.pid, signal.SIGKILL)

    def wait(self, timeout: float | None = None) -> int | None:
        if self.pid is None:
            return None  # never started: it ends on its own when it finds its pipe closed
        deadline = time.monotonic() + (timeout if timeout is not None else START_TIMEOUT_S)
        while self.poll() is None:
            if time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(f"survnews worker {self.pid}", timeout or 0.0)
            time.sleep(0.01)
        return self.returncode


def _pid_running(pid: int) -> bool:
    """Whether the process runs (a zombie, dead but not yet reaped by its new parent, does not)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            return stat.read().rsplit(b")", 1)[-1].split()[0] not in (b"Z", b"X")
    except FileNotFoundError:
        return False
    except OSError:  # no /proc: ask the kernel
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True


@dataclass
class _Batch:
    batch_id: int
    indexes: list[int]  # global input positions of the records
    records: list[Record]
    done: int = 0  # outcomes received so far


@dataclass
class _Worker:
    process: subprocess.Popen[bytes] | _ForkedProcess
    send_conn: Connection
    receive: Connection
    # the step lists the worker holds, oldest first, mirroring its own eviction (worker.KEPT_PIPELINES)
    pipelines: list[str] = field(default_factory=list)
    assigned: deque[_Batch] = field(default_factory=deque)
    last_heard: float = 0.0
    ready: bool = False  # the head batch's steps are set up: the per-item time limit counts
    outbox: queue.SimpleQueue[Any] = field(default_factory=queue.SimpleQueue)
    sender: threading.Thread | None = None

    def __post_init__(self) -> None:
        # Sending happens in a thread: a batch of pages is larger than a pipe's buffer, and while this process
        # waits for the worker to read it, the worker may be waiting for this process to read its results.
        self.sender = threading.Thread(target=self._send_loop, name="survnews-runner-send", daemon=True)
        self.sender.start()

    def _send_loop(self) -> None:
        while True:
            message = self.outbox.get()
            try:
                self.send_conn.send(message)
            except (OSError, ValueError):
                return  # the worker is gone; the receiving side notices
            if message is None:
                return

    def send(self, message: Any) -> None:
        self.outbox.put(message)

    def install(self, key: str, blob: bytes) -> None:
        """Send the pipeline's steps unless the worker holds them (it keeps the last ``KEPT_PIPELINES``)."""
        if key in self.pipelines:
            return
        self.send(("steps", key, blob))
        self.pipelines.append(key)
        del self.pipelines[:-KEPT_PIPELINES]

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        self.send(None)
        self.kill(grace_s=2.0)

    def kill(self, grace_s: float = 0.0) -> None:
        if grace_s:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(grace_s)
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(5)
        self.outbox.put(None)
        if self.sender is not None:
            self.sender.join(1.0)
        for conn in (self.send_conn, self.receive):
            conn.close()


def _start_worker(forks: int = 0, preload: tuple[str, ...] = ()) -> tuple[_Worker, list[_Worker]]:
    """A worker started cold, and ``forks`` workers it can fork later (their pipes made here, ends passed on);
    it imports the ``preload`` modules while it waits for its first steps."""
    to_child_r, to_child_w = os.pipe()
    from_child_r, from_child_w = os.pipe()
    spares = [(os.pipe(), os.pipe()) for _ in range(forks)]  # (to the fork, from the fork)
    spare_ends = [(to_fork[0], from_fork[1]) for to_fork, from_fork in spares]
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    for name in THREAD_VARIABLES:  # N workers on N cores: one thread each, or BLAS oversubscribes the cores
        env.setdefault(name, "1")
    code = f"from pipeline.runner.worker import main; main({to_child_r}, {from_child_w}, {spare_ends!r}, {preload!r})"
    passed = (to_child_r, from_child_w, *(fd for pair in spare_ends for fd in pair))
    try:
        process = subprocess.Popen(
            [sys.executable, "-c", code],
            pass_fds=passed,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            env=env,
            close_fds=True,
        )
    finally:
        for fd in passed:
            os.close(fd)
    worker = _Worker(process, Connection(to_child_w, readable=False), Connection(from_child_r, writable=False))
    worker.last_heard = time.monotonic()
    forked = []
    for to_fork, from_fork in spares:
        send, receive = Connection(to_fork[1], readable=False), Connection(from_fork[0], writable=False)
        fork = _Worker(_ForkedProcess(), send, receive)
        fork.last_heard = worker.last_heard
        forked.append(fork)
    return worker, forked


def _start_workers(first: _Worker, forks: list[_Worker], key: str, blob: bytes) -> list[_Worker]:
    """Workers for a pipeline: the one started cold sets the steps up, then forks the others."""
    first.install(key, blob)
    first.send(("batch", key, WARM_UP, []))
    first.assigned.append(_Batch(WARM_UP, [], []))
    first.ready = False
    for number, fork in enumerate(forks):
        first.send(("fork", number))  # after the set-up above: the fork holds the steps ready
        fork.pipelines = list(first.pipelines)
    return [first, *forks]


class _Pool:
    """Worker processes kept for the life of this process, so later runs do not pay the start again."""

    def __init__(self) -> None:
        self.workers: list[_Worker] = []
        self.early: tuple[_Worker, list[_Worker]] | None = None  # started by prestart(), not yet taken
        self.owner = os.getpid()

    def _owned(self) -> None:
        if self.owner != os.getpid():  # a forked child must not talk to its parent's workers
            self.workers, self.early, self.owner = [], None, os.getpid()

    def prestart(self, n: int, preload: tuple[str, ...]) -> None:
        """Start the cold worker for ``n`` workers now, before the pipeline is known (see ``prestart``)."""
        self._owned()
        self.workers = [w for w in self.workers if w.alive()]
        if n >= 1 and not self.workers and self.early is None:
            self.early = _start_worker(n - 1, preload)

    def _take_early(self, n: int) -> tuple[_Worker, list[_Worker]] | None:
        """The prestarted worker and its forks-to-be if made for ``n`` workers; else they are ended."""
        early, self.early = self.early, None
        if early is not None and len(early[1]) + 1 == n and early[0].alive():
            return early
        for worker in [] if early is None else [early[0], *early[1]]:
            worker.kill()
        return None

    def take(self, n: int, steps: tuple[str, bytes] | None = None) -> list[_Worker]:
        """``n`` workers; ``steps`` (key, pickled steps): when none is running, start one and fork the rest."""
        self._owned()
        self.workers = [w for w in self.workers if w.alive()]
        if not self.workers:
            early = self._take_early(n)
            if early is not None and steps is not None:
                self.workers = _start_workers(*early, *steps)
            elif early is not None:
                self.workers = [early[0]]
                for fork in early[1]:
                    fork.kill()
            elif n > 1 and steps is not None:
                self.workers = _start_workers(*_start_worker(n - 1), *steps)
        while len(self.workers) < n:
            self.workers.append(_start_worker()[0])
        return self.workers[:n]

    def replace(self, worker: _Worker) -> _Worker:
        worker.kill()
        fresh = _start_worker()[0]
        self.workers[self.workers.index(worker)] = fresh
        return fresh

    def close(self) -> None:
        if self.owner == os.getpid():
            self._take_early(0)  # no number of workers is 0: a prestarted worker nobody took is ended
            for worker in self.workers:
                worker.stop()
        self.workers, self.early = [], None


_POOL = _Pool()
atexit.register(_POOL.close)


class LocalRunner(Runner):
    """Map steps in ``workers`` local processes (default: one per core)."""

    name = "local"

    @staticmethod
    def _steps_blob(pipeline: Pipeline) -> tuple[str, bytes]:
        for step in pipeline.map_steps:  # this runner enforces the time limit: no second process per item
            step.limited_by_runner = pipeline.item_timeout_s is not None
        blob = pickle.dumps(pipeline.map_steps)
        return hashlib.sha256(blob).hexdigest()[:16], blob

    def warm_up(self, pipeline: Pipeline) -> None:
        """Start the workers and set the pipeline's steps up (imports, models) while this process does something
        else, e.g. reads the inputs; the next :meth:`run` of the same pipeline finds them ready."""
        key, blob = self._steps_blob(pipeline)
        for worker in _POOL.take(self.workers, (key, blob)):
            if key in worker.pipelines and any(b.batch_id == WARM_UP for b in worker.assigned):
                continue  # getting ready already
            worker.install(key, blob)
            if not worker.assigned:
                worker.last_heard, worker.ready = time.monotonic(), False
            worker.send(("batch", key, WARM_UP, []))  # an empty batch: set-up only
            worker.assigned.append(_Batch(WARM_UP, [], []))

    def map(self, pipeline: Pipeline, records: Iterable[Record], stats: RunStats) -> Iterator[Outcome]:
        key, blob = self._steps_blob(pipeline)
        source = _batches(records, pipeline.batch_size)
        retry: deque[_Batch] = deque()
        results: dict[int, Outcome] = {}
        next_out = 0
        exhausted = False
        workers: list[_Worker] = []
        next_id = [10**9]  # ids of re-sent remainders, apart from the source's
        sinks_ready = False

        def assign(worker: _Worker) -> bool:
            nonlocal exhausted
            if retry:
                batch = retry.popleft()
            elif exhausted:
                return False
            else:
                got = next(source, None)
                if got is None:
                    exhausted = True
                    return False
                batch = got
            worker.install(key, blob)
            worker.send(("batch", key, batch.batch_id, batch.records))
            if not worker.assigned:
                worker.last_heard, worker.ready = time.monotonic(), False
            worker.assigned.append(batch)
            return True

        def fail_head(worker: _Worker, code: str, reason: str) -> _Worker:
            """The worker hung or died on the head batch's current item: reject it, re-send everything after."""
            head = worker.assigned.popleft()
            if head.done < len(head.records):
                record = head.records[head.done]
                results[head.indexes[head.done]] = Reject(record, pipeline.timeout_stage, code, reason)
                rest = _Batch(next_id[0], head.indexes[head.done + 1 :], head.records[head.done + 1 :])
                next_id[0] += 1
                if rest.records:
                    retry.append(rest)
            retry.extend(worker.assigned)
            worker.assigned.clear()
            fresh = _POOL.replace(worker)
            workers[workers.index(worker)] = fresh
            return fresh

        def handle(worker: _Worker, message: Any) -> None:
            worker.last_heard = time.monotonic()
            kind = message[0]
            if kind == "hello":
                if isinstance(worker.process, _ForkedProcess):
                    worker.process.pid = message[1]
                return
            head = worker.assigned[0]
            if kind == "ready":
                worker.ready = True
            elif kind == "item":
                _, _, index, outcome = message
                results[head.indexes[index]] = outcome
                head.done = index + 1
            elif kind == "done":
                for step_stats in message[2]:
                    stats.add(step_stats)
                worker.assigned.popleft()
                worker.ready = False
            elif kind == "error":
                raise message[2]

        try:
            workers = _POOL.take(self.workers, (key, blob))
            while True:
                limit = AHEAD_BATCHES * pipeline.batch_size * len(workers)
                for depth in range(1, INFLIGHT + 1):  # round-robin: every worker gets a batch before any gets two
                    for worker in workers:
                        if len(worker.assigned) < depth and len(results) < limit:
                            assign(worker)
                if not sinks_ready:  # set the sink steps up (the dedup index) while the first batches are worked on
                    for step in pipeline.sink_steps:
                        step.ensure_setup()
                    sinks_ready = True
                busy = [w for w in workers if w.assigned]
                if exhausted and not retry and all(b.batch_id == WARM_UP for w in busy for b in w.assigned):
                    break  # done; a warm-up still running is no reason to wait (the next run handles its replies)
                now = time.monotonic()
                deadline = min((self._deadline(w, pipeline) for w in busy), default=float("inf"))
                timeout = None if deadline == float("inf") else max(0.0, deadline - now)
                for conn in wait([w.receive for w in busy], timeout):
                    worker = next(w for w in busy if w.receive is conn)
                    try:
                        while worker.receive.poll():
                            handle(worker, worker.receive.recv())
                    except (EOFError, OSError):
                        if not worker.ready:
                            raise SurvnewsError(
                                f"a {pipeline.name} worker process died while starting (its error is above)"
                            ) from None
                        why = "the worker process died on this item (a crash in C or out of memory)"
                        fail_head(worker, "worker-died", why)
                for worker in list(workers):
                    if worker.assigned and time.monotonic() > self._deadline(worker, pipeline):
                        if not worker.ready:
                            raise SurvnewsError(f"a {pipeline.name} worker did not start in {START_TIMEOUT_S:g} s")
                        fail_head(
                            worker,
                            "timeout",
                            f"{pipeline.timeout_stage} took longer than {pipeline.item_timeout_s:g} s; item abandoned",
                        )
                while next_out in results:
                    yield results.pop(next_out)
                    next_out += 1
        except BaseException:
            # an error, Ctrl-C or the consumer closing early: unfinished work is unknown to the workers' state
            for worker in workers:
                if worker.assigned:
                    _POOL.replace(worker)
            raise

    @staticmethod
    def _deadline(worker: _Worker, pipeline: Pipeline) -> float:
        if not worker.ready:
            return worker.last_heard + START_TIMEOUT_S
        if pipeline.item_timeout_s is None:
            return float("inf")
        return worker.last_heard + pipeline.item_timeout_s


def _batches(records: Iterable[Record], size: int) -> Iterator[_Batch]:
    batch: list[Record] = []
    start = 0
    batch_id = 0
    for index, record in enumerate(records):
        batch.append(record)
        if len(batch) >= size:
            yield _Batch(batch_id, list(range(start, index + 1)), batch)
            batch_id += 1
            start = index + 1
            batch = []
    if batch:
        yield _Batch(batch_id, list(range(start, start + len(batch))), batch)


def prestart(workers: int, preload: tuple[str, ...] = ()) -> None:
    """Start the first worker process now, importing ``preload`` while this process goes on starting up (reading
    its settings, opening the store): a command that knows early it will run a pipeline on ``workers`` local
    workers calls it first, and the runner takes that worker (or ends it, when asked for another number)."""
    _POOL.prestart(workers, preload)


def close_workers() -> None:
    """End the kept worker processes (tests and benchmarks that want a cold start)."""
    _POOL.close()
