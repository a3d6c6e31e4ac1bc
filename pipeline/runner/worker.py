"""The worker process of the local runner: a fresh interpreter that runs map steps on the batches it is sent.

Protocol (pickled messages over two pipes): the parent sends ``("steps", key, blob)`` once per pipeline, then
``("batch", key, batch_id, records)``; the worker answers ``("ready", batch_id)`` when the steps are set up,
``("item", batch_id, index, outcome)`` for every record as soon as it is done, and ``("done", batch_id, stats)``.
``None`` or a closed pipe ends the worker. Models are loaded once per pipeline and kept for the next batches.
``("fork", n)`` (the first worker only, after its steps are set up): fork worker ``n`` on the n-th pair of
spare pipe ends it was started with; the fork keeps the set-up steps and says ``("hello", pid)`` on its pipe.
A worker started before its pipeline is known (``local.prestart``) imports its ``preload`` modules meanwhile.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import os
import pickle
import signal
from collections import OrderedDict
from multiprocessing.connection import Connection
from typing import Any, NoReturn

from pipeline.runner.step import Step, run_chain

KEPT_PIPELINES = 2  # set-up step lists kept per worker (each may hold a spaCy pipeline)


def main(
    read_fd: int, write_fd: int, spares: list[tuple[int, int]] | None = None, preload: tuple[str, ...] = ()
) -> None:
    # The parent handles Ctrl-C and ends its workers; a worker must not die first with a traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for name in ("trafilatura", "htmldate", "courlan", "justext"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    receive = Connection(read_fd, writable=False)
    send = Connection(write_fd, readable=False)
    pipelines: OrderedDict[str, list[Step]] = OrderedDict()
    send.send(("hello", os.getpid()))
    for module in preload:  # a head start while the parent gets ready; a module that fails fails again at set-up
        with contextlib.suppress(Exception):
            importlib.import_module(module)
    while True:
        try:
            message: Any = receive.recv()
        except (EOFError, OSError):
            _exit()
        if message is None:
            _exit()
        if message[0] == "fork":
            forked = _fork(spares or [], message[1], receive, send)
            if forked is not None:  # this is the new worker now
                receive, send = forked
                send.send(("hello", os.getpid()))
            continue
        if message[0] == "steps":
            _, key, blob = message
            pipelines[key] = pickle.loads(blob)  # the parent sends a key only when it is not held (its mirror)
            while len(pipelines) > KEPT_PIPELINES:
                _, old = pipelines.popitem(last=False)
                for step in old:
                    step.close()
            continue
        _, key, batch_id, records = message
        steps = pipelines[key]
        try:
            for step in steps:
                step.ensure_setup()
        except BaseException as exc:  # a model that cannot load: the parent raises it, once
            send.send(("error", batch_id, _picklable(exc)))
            continue
        send.send(("ready", batch_id))
        for index, outcome in enumerate(run_chain(steps, records)):
            send.send(("item", batch_id, index, outcome))
        send.send(("done", batch_id, [step.take_stats() for step in steps]))


def _exit() -> NoReturn:
    """End the worker at once: it holds nothing to save (the parent writes every result), and the interpreter's
    teardown, freeing every model and page tree one object at a time, would keep the parent waiting."""
    os._exit(0)


def _fork(
    spares: list[tuple[int, int]], number: int, receive: Connection, send: Connection
) -> tuple[Connection, Connection] | None:
    """Fork a worker on the ``number``-th spare pipe ends: its connections in the new worker, None here."""
    read_fd, write_fd = spares[number]
    if read_fd < 0:
        return None
    try:
        pid = os.fork()
    except OSError:  # no memory or processes left: the runner sees that worker's pipe close while it starts
        pid = -1
    if pid < 0:
        os.close(read_fd)
        os.close(write_fd)
        spares[number] = (-1, -1)
        return None
    if pid == 0:  # the middle process: forks the worker and exits, so init reaps the worker, not this process
        try:
            if os.fork() != 0:
                os._exit(0)
            # the new worker: only its own pipe ends stay open, or a dead worker's pipe would never report EOF
            receive.close()
            send.close()
            for index, pair in enumerate(spares):
                if index != number:
                    for fd in pair:
                        if fd >= 0:
                            with contextlib.suppress(OSError):
                                os.close(fd)
            spares.clear()
            return Connection(read_fd, writable=False), Connection(write_fd, readable=False)
        except BaseException:
            os._exit(1)
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, 0)
    os.close(read_fd)
    os.close(write_fd)
    spares[number] = (-1, -1)
    return None


def _picklable(exc: BaseException) -> BaseException:
    try:
        pickle.dumps(exc)
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {exc}")
    return exc
