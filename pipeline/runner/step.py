"""The step contract: records in, one outcome per record out, counters per step.

Shaped after datatrove's ``PipelineStep``: a step is a small object whose ``run`` maps a stream of records to a
stream of outcomes. Unlike datatrove, every input gives exactly one outcome, in order: the record (changed or
not), a :class:`Reject` (the item cannot be used, with a one-line reason) or a :class:`Skip` (a prefilter passed
it over on purpose). That one-to-one shape is what lets a runner resend the rest of a batch after a worker died
on one item, and merge the results of many workers back into input order.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar

from pipeline.errors import RejectError


@dataclass
class Record:
    """What flows between steps. ``key`` names the item in rejects and messages (a path, a URL, an article id)."""

    key: str


@dataclass(frozen=True)
class Reject:
    """An item that cannot be used: recorded in the rejects table under ``stage``; the run goes on."""

    record: Record
    stage: str
    code: str
    reason: str

    @property
    def key(self) -> str:
        return self.record.key


@dataclass(frozen=True)
class Skip:
    """An item a prefilter passed over on purpose (off-topic, outside the date window): counted, not an error."""

    record: Record
    step: str
    code: str

    @property
    def key(self) -> str:
        return self.record.key


Outcome = Record | Reject | Skip


@dataclass
class StepStats:
    """Counters of one step: items in and out, rejects and skips by code, step-specific counts, seconds."""

    name: str
    seen: int = 0
    passed: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)
    counts: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0

    def merge(self, other: StepStats) -> None:
        self.seen += other.seen
        self.passed += other.passed
        self.rejected.update(other.rejected)
        self.skipped.update(other.skipped)
        self.counts.update(other.counts)
        self.seconds += other.seconds

    def to_dict(self) -> dict[str, Any]:
        return {
            "seen": self.seen,
            "passed": self.passed,
            "rejected": dict(self.rejected),
            "skipped": dict(self.skipped),
            "counts": dict(self.counts),
            "seconds": round(self.seconds, 3),
        }


class Step:
    """One stage over a stream of records.

    Subclasses implement :meth:`process` (one record → the record, or raise :class:`RejectError`, or return a
    :class:`Skip`), or override :meth:`run` to work on a whole batch at once (e.g. ``nlp.pipe``), keeping one
    outcome per input in order. :meth:`setup` loads models once per worker process, before the first record.
    Steps are pickled to the worker processes or Ray actors: keep their fields plain settings, and load heavy
    state in ``setup``.
    """

    name: ClassVar[str] = "step"
    stage: ClassVar[str] = "step"  # the stage name of its rejects in the store

    def __init__(self) -> None:
        self.stats = StepStats(self.name)
        self._ready = False
        # Set by a runner that enforces the pipeline's time limit per item itself (the local runner kills a worker
        # that hangs): a step may then skip its own guard, e.g. extract a page in-process, not in a child process.
        self.limited_by_runner = False

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_ready"] = False  # models are not pickled: a worker loads its own
        for key in self._unpicklable:
            state.pop(key, None)
        return state

    _unpicklable: ClassVar[tuple[str, ...]] = ()

    def setup(self) -> None:
        """Load models and rules (called once per process before the first record)."""

    def ensure_setup(self) -> None:
        if not self._ready:
            self.setup()
            self._ready = True

    def process(self, record: Any) -> Outcome:
        raise NotImplementedError

    def run(self, records: Iterable[Outcome]) -> Iterator[Outcome]:
        """Outcomes of ``records``; rejects and skips of earlier steps pass through untouched."""
        self.ensure_setup()
        for record in records:
            if not isinstance(record, Record):
                yield record
                continue
            yield self.guarded(record)

    def guarded(self, record: Record) -> Outcome:
        """:meth:`process` under the one catch-all: a bad item becomes a reject, never a crash."""
        started = time.perf_counter()
        self.stats.seen += 1
        try:
            outcome = self.process(record)
        except Exception as exc:
            outcome = self.reject(record, exc)
        self.count(outcome)
        self.stats.seconds += time.perf_counter() - started
        return outcome

    def reject(self, record: Record, exc: BaseException) -> Reject:
        if isinstance(exc, RejectError):
            return Reject(record, self.stage, exc.code, str(exc))
        return Reject(record, self.stage, "failed", f"{self.name} failed: {type(exc).__name__}: {str(exc)[:200]}")

    def skip(self, record: Record, code: str) -> Skip:
        return Skip(record, self.name, code)

    def count(self, outcome: Outcome) -> None:
        if isinstance(outcome, Reject):
            self.stats.rejected[outcome.code] += 1
        elif isinstance(outcome, Skip):
            self.stats.skipped[outcome.code] += 1
        else:
            self.stats.passed += 1

    def take_stats(self) -> StepStats:
        """The counters since the last call (workers send them back with each batch)."""
        stats, self.stats = self.stats, StepStats(self.name)
        return stats

    def close(self) -> None:
        """Flush and release what the step holds (called once, in the process that ran it)."""


def run_chain(steps: list[Step], records: Iterable[Outcome]) -> Iterator[Outcome]:
    """The outcomes of ``records`` through ``steps``, streamed (datatrove's generator chaining)."""
    stream: Iterable[Outcome] = records
    for step in steps:
        stream = step.run(stream)
    yield from stream
