"""One runner of pipeline steps, on local worker processes or a Ray cluster.

``Step`` (``pipeline.runner.step``) is the contract every stage follows; a ``Pipeline`` is a list of map steps
(run wherever the runner puts them) and sink steps (run in order in the process that holds the store);
``make_runner`` picks the backend from the ``[runner]`` settings or the ``--runner`` / ``--workers`` options.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from pipeline.runner.base import InProcessRunner, Pipeline, Runner, RunStats
from pipeline.runner.step import Outcome, Record, Reject, Skip, Step, StepStats

if TYPE_CHECKING:
    from pipeline.config import Settings

__all__ = [
    "InProcessRunner",
    "Outcome",
    "Pipeline",
    "Record",
    "Reject",
    "RunStats",
    "Runner",
    "Skip",
    "Step",
    "StepStats",
    "default_workers",
    "make_runner",
]


def default_workers() -> int:
    """One worker per core this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def make_runner(settings: Settings) -> Runner:
    """The runner the ``[runner]`` section asks for (``workers = 0``: every step in this process)."""
    section = settings.runner
    workers = default_workers() if section.workers is None else section.workers
    if section.backend == "ray":
        from pipeline.runner.ray_backend import RayRunner

        return RayRunner(max(1, workers), address=section.address)
    if workers == 0:
        return InProcessRunner(1)
    from pipeline.runner.local import LocalRunner

    return LocalRunner(workers)
