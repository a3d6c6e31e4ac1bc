"""The worker process of the local runner: a fresh interpreter that runs map steps on the batches it is sent.

Protocol (pickled messages over two pipes): the parent sends ``("steps", key, blob)`` once per pipeline, then
``("batch", key, batch_id, records)``; the worker answers ``("ready", batch_id)`` when the steps are set up,
``("item", batch_id, index, outcome)`` for every record as soon as it is done, and ``("done", batch_id, stats)``.
``None`` or a closed pipe ends the worker. Models are loaded once per pipeline and kept for the next batches.
"""

from __future__ import annotations

import logging
import os
import pickle
import signal
from collections import OrderedDict
from multiprocessing.connection import Connection
from typing import Any

from pipeline.runner.step import Step, run_chain

KEPT_PIPELINES = 2  # set-up step lists kept per worker (each may hold a spaCy pipeline)


def main(read_fd: int, write_fd: int) -> None:
    # The parent handles Ctrl-C and ends its workers; a worker must not die first with a traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for name in ("trafilatura", "htmldate", "courlan", "justext"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    receive = Connection(read_fd, writable=False)
    send = Connection(write_fd, readable=False)
    pipelines: OrderedDict[str, list[Step]] = OrderedDict()
    send.send(("hello", os.getpid()))
    while True:
        try:
            message: Any = receive.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
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


def _picklable(exc: BaseException) -> BaseException:
    try:
        pickle.dumps(exc)
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {exc}")
    return exc
