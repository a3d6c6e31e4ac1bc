"""Pipelines and runners: map steps run where the runner puts them, sink steps run in order in the writer.

A :class:`Pipeline` is two step lists. The *map* steps are pure functions of one record (extract, clean,
relevance, signatures, tagging): the runner runs them in worker processes or on Ray actors, in any order and
place. The *sink* steps (dedup against the store, write) run in the one process that holds the store, over the
outcomes in input order, so every backend and every number of workers gives the same records and ids.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from pipeline.runner.step import Outcome, Record, Step, StepStats, run_chain

Advance = Callable[[int], None]


@dataclass
class Pipeline:
    """What to run: the steps, how many records a batch holds, and a time limit per item (None: none)."""

    name: str
    map_steps: list[Step]
    sink_steps: list[Step]
    batch_size: int = 8
    item_timeout_s: float | None = None
    timeout_stage: str = "extract"  # the stage a runner-enforced timeout is recorded under

    def steps(self) -> list[Step]:
        return [*self.map_steps, *self.sink_steps]


@dataclass
class RunStats:
    """Counters of one pipeline run, per step, in step order."""

    pipeline: str
    runner: str
    workers: int
    items: int = 0
    seconds: float = 0.0
    steps: dict[str, StepStats] = field(default_factory=dict)

    def add(self, stats: StepStats) -> None:
        if stats.name in self.steps:
            self.steps[stats.name].merge(stats)
        else:
            self.steps[stats.name] = stats

    def counts(self, step: str) -> StepStats:
        return self.steps.get(step) or StepStats(step)

    def to_dict(self) -> dict[str, Any]:
        return {
            "pipeline": self.pipeline,
            "runner": self.runner,
            "workers": self.workers,
            "items": self.items,
            "seconds": round(self.seconds, 3),
            "steps": {name: stats.to_dict() for name, stats in self.steps.items()},
        }


class Runner:
    """Runs a pipeline over records: ``map`` places the map steps; the sink steps always run here, in order."""

    name = "runner"

    def __init__(self, workers: int = 1) -> None:
        self.workers = max(1, workers)

    def map(self, pipeline: Pipeline, records: Iterable[Record], stats: RunStats) -> Iterator[Outcome]:
        """Outcomes of the map steps, one per record, in input order; map-step counters go into ``stats``."""
        raise NotImplementedError

    def warm_up(self, pipeline: Pipeline) -> None:
        """Get ready to run ``pipeline`` (start workers, load models) without waiting; optional."""

    def run(self, pipeline: Pipeline, records: Iterable[Record], advance: Advance | None = None) -> RunStats:
        started = time.perf_counter()
        stats = RunStats(pipeline.name, self.name, self.workers)
        for step in pipeline.steps():  # the report lists the steps in pipeline order
            stats.steps.setdefault(step.name, StepStats(step.name))

        def counted(outcomes: Iterable[Outcome]) -> Iterator[Outcome]:
            for outcome in outcomes:
                stats.items += 1
                yield outcome

        try:
            for _ in run_chain(pipeline.sink_steps, counted(self.map(pipeline, records, stats))):
                if advance is not None:
                    advance(1)
        finally:
            for step in pipeline.sink_steps:
                step.close()
                stats.add(step.take_stats())
        stats.seconds = time.perf_counter() - started
        return stats


class InProcessRunner(Runner):
    """Every step in this process, one record after another (``--workers 0``: debugging, profiling)."""

    name = "in-process"

    def map(self, pipeline: Pipeline, records: Iterable[Record], stats: RunStats) -> Iterator[Outcome]:
        try:
            yield from run_chain(pipeline.map_steps, records)
        finally:
            for step in pipeline.map_steps:
                step.close()
                stats.add(step.take_stats())
