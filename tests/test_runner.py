"""The runner: one outcome per record, a bad item is a reject, same records on every backend and worker count."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from pipeline.config import Settings
from pipeline.errors import RejectError
from pipeline.ingest import add_inputs, process_pending
from pipeline.run import tag_store
from pipeline.runner import InProcessRunner, Outcome, Pipeline, Record, Reject, Step
from pipeline.runner.local import LocalRunner
from pipeline.store import Store
from tests.conftest import SAMPLES


class Double(Record):
    pass


class Numbered(Step):
    """Test step: ``key`` is a number; ``bad`` raise, ``hang`` sleeps, ``crash`` kills the worker process."""

    name = "numbered"
    stage = "test"

    def __init__(self, bad: int = -1, hang: int = -1, crash: int = -1) -> None:
        super().__init__()
        self.bad, self.hang, self.crash = bad, hang, crash

    def process(self, record: Record) -> Record:
        n = int(record.key)
        if n == self.bad:
            raise ValueError("a bug on this item")
        if n == self.hang:
            time.sleep(60)
        if n == self.crash:
            os._exit(3)
        if n % 7 == 0:
            raise RejectError("seven", f"{n} is a multiple of seven")
        return Record(str(n * 2))


class Collect(Step):
    name = "collect"
    stage = "test"

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[str] = []

    def run(self, records: Iterable[Outcome]) -> Iterator[Outcome]:
        for outcome in records:
            self.seen.append(f"reject:{outcome.code}" if isinstance(outcome, Reject) else outcome.key)
            yield outcome


def run_numbers(runner: object, n: int, timeout: float | None = None, **faults: int) -> list[str]:
    collect = Collect()
    pipeline = Pipeline("numbers", [Numbered(**faults)], [collect], batch_size=4, item_timeout_s=timeout)
    stats = runner.run(pipeline, (Record(str(i)) for i in range(1, n + 1)))  # type: ignore[attr-defined]
    assert stats.items == n
    return collect.seen


def expected(n: int, **special: str) -> list[str]:
    out = []
    for i in range(1, n + 1):
        out.append(special.get(str(i)) or ("reject:seven" if i % 7 == 0 else str(2 * i)))
    return out


def test_one_outcome_per_record_in_order_and_a_bug_is_a_reject() -> None:
    want = expected(30, **{"5": "reject:failed"})
    assert run_numbers(InProcessRunner(), 30, bad=5) == want
    assert run_numbers(LocalRunner(2), 30, bad=5) == want


def test_a_worker_that_hangs_or_dies_costs_only_its_item() -> None:
    got = run_numbers(LocalRunner(2), 20, timeout=1.5, hang=6, crash=13)
    assert got == expected(20, **{"6": "reject:timeout", "13": "reject:worker-died"})


@dataclass
class Payload(Record):
    data: bytes = b""


class Echo(Step):
    name = "echo"
    stage = "test"

    def process(self, record: Payload) -> Payload:
        return Payload(record.key, record.data[::-1])


def test_batches_and_results_larger_than_a_pipe_buffer_flow_both_ways() -> None:
    """Pages go out and results come back at once: neither side may wait on a full pipe for the other."""
    import threading

    collect = Collect()
    pipeline = Pipeline("echo", [Echo()], [collect], batch_size=4)
    records = [Payload(str(i), bytes([i]) * 300_000) for i in range(24)]
    finished = threading.Event()

    def go() -> None:
        LocalRunner(2).run(pipeline, records)
        finished.set()

    threading.Thread(target=go, daemon=True).start()
    assert finished.wait(120), "the runner is stuck"
    assert collect.seen == [str(i) for i in range(24)]


def articles_snapshot(path: Path) -> list[tuple[object, ...]]:
    with Store(path) as store:
        rows = store.db.execute(
            "SELECT id, raw_sha256, url, title, text, relevance, relevant, also_published_at, entities, events "
            "FROM articles ORDER BY rowid"  # the order the records were written in
        ).fetchall()
        raw = store.db.execute("SELECT sha256, status FROM raw ORDER BY rowid").fetchall()
        rejects = store.db.execute("SELECT item, stage, reason FROM rejects ORDER BY item").fetchall()
        return [tuple(r) for r in rows] + [tuple(r) for r in raw] + [tuple(r) for r in rejects]


def build(tmp_path: Path, name: str, workers: int, inputs: list[Path]) -> Path:
    settings = Settings()
    settings.store.path = tmp_path / f"{name}.sqlite"
    settings.tagger.model = "blank"
    settings.runner.workers = workers
    with Store(settings.store.path) as store:
        add_inputs(store, inputs, settings)
        summary = process_pending(store, settings)
        assert summary.accepted >= 8 and summary.duplicates >= 1
        tag_store(store, settings)
    return settings.store.path


def test_workers_1_and_2_and_in_process_give_identical_records(tmp_path: Path) -> None:
    broken = tmp_path / "inputs" / "broken.html"
    broken.parent.mkdir()
    broken.write_bytes(b"<html><body><p>tiny</p></body></html>")
    inputs = [SAMPLES, broken.parent]
    one = articles_snapshot(build(tmp_path, "one", 1, inputs))
    assert any(row[1] == "extract" for row in one if len(row) == 3)  # the broken page is a reject
    assert one == articles_snapshot(build(tmp_path, "two", 2, inputs))
    assert one == articles_snapshot(build(tmp_path, "zero", 0, inputs))


def test_step_counters_add_up(tmp_path: Path) -> None:
    settings = Settings()
    settings.store.path = tmp_path / "s.sqlite"
    settings.runner.workers = 2
    with Store(settings.store.path) as store:
        add_inputs(store, [SAMPLES], settings)
        summary = process_pending(store, settings)
    stats = summary.runs[0]
    assert list(stats.steps) == ["extract", "clean", "relevance", "signature", "dedup", "write"]
    assert stats.steps["extract"].seen == stats.items == stats.steps["write"].seen
    write = stats.steps["write"].counts
    assert write["accepted"] + write["duplicates"] + sum(summary.rejected.values()) == stats.items
    json.dumps(stats.to_dict())  # the run's record in the store is plain JSON


def test_a_tagger_that_cannot_load_is_one_clear_error(tmp_path: Path) -> None:
    from pipeline.errors import ConfigError

    settings = Settings()
    settings.store.path = tmp_path / "s.sqlite"
    settings.runner.workers = 1
    with Store(settings.store.path) as store:
        add_inputs(store, [SAMPLES / "text"], settings)
        process_pending(store, settings)
        settings.tagger.model = str(tmp_path / "no-such-model")
        with pytest.raises(ConfigError, match="cannot be loaded"):
            tag_store(store, settings)


def test_light_identity_matches_the_loaded_pipeline() -> None:
    from pipeline.steps.tag import tagger_identity
    from pipeline.tag import load_tagger, pipeline_identity

    for model in ("blank", "survnews_base"):
        assert tagger_identity(model) == pipeline_identity(load_tagger(model))


def test_workers_keep_a_few_pipelines_and_get_the_others_sent_again() -> None:
    runner = LocalRunner(1)
    for bad in (1, 2, 3, 1, 3, 2):  # more step lists than a worker keeps, in an order that evicts each
        assert run_numbers(runner, 8, bad=bad) == expected(8, **{str(bad): "reject:failed"})


def test_a_prestarted_worker_is_the_one_the_runner_takes_or_it_is_ended() -> None:
    """``prestart`` (a command's head start on its first worker) hands that worker to the runner when the number
    of workers matches, and ends it when the runner asks for another number; results are the same either way."""
    from pipeline.runner import local

    local.close_workers()
    try:
        local.prestart(2, ("json",))
        assert local._POOL.early is not None
        prestarted = local._POOL.early[0].process
        assert run_numbers(LocalRunner(2), 30, bad=5) == expected(30, **{"5": "reject:failed"})
        pids = [worker.process.pid for worker in local._POOL.workers]
        assert pids[0] == prestarted.pid and len(set(pids)) == 2  # the second forked from it

        local.close_workers()
        local.prestart(2)
        assert local._POOL.early is not None
        unused = local._POOL.early[0].process
        assert run_numbers(LocalRunner(1), 8) == expected(8)
        assert unused.wait(5) is not None  # ended, not left running
        assert [worker.process.pid for worker in local._POOL.workers] != [unused.pid]
    finally:
        local.close_workers()
