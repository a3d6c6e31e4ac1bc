"""The Ray Data backend: map steps on a Ray cluster, results as Parquet shards merged here in input order.

``ray.init()`` starts a local cluster that no Ray process outlives (``ray_reaper``), or joins ``[runner] address``
(e.g. ``ray://head:10001`` or ``auto``; a joined cluster is never reaped); on a cluster, survnews must be installed
on every node and ``[runner] shards`` (default: a temporary folder) must be storage the driver can read. Stateful
actors (one per worker) set the steps up once, so each holds its own spaCy pipeline; every batch of records goes
through the same map steps as on the local backend. The outcomes are written as Parquet shards (``seq``, pickled
outcome), read back sorted by ``seq`` and handed to the sink steps in this process, so the records are the same as
with the local runner. Records travel in windows (``WINDOW_RECORDS`` records or ``WINDOW_BYTES`` of pickled
records, whichever comes first), so memory stays flat on inputs of any size; each window is one Ray dataset, whose
actor pool loads the models once.
"""

from __future__ import annotations

import logging
import os
import pickle
import shutil
import sys
import tempfile
import warnings
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from pipeline.errors import ConfigError
from pipeline.runner.base import Pipeline, Runner, RunStats
from pipeline.runner.ray_reaper import fate_shared
from pipeline.runner.step import Outcome, Record, Step, StepStats, run_chain

WINDOW_RECORDS = 4096
WINDOW_BYTES = 256 * 1024 * 1024


def _ray() -> Any:
    try:
        import ray
    except ImportError as exc:
        raise ConfigError('runner "ray" needs Ray Data: pip install -e ".[ray]"') from exc
    return ray


class StepsActor:
    """A Ray actor running the map steps; set up once (models loaded), then called on batches."""

    def __init__(self, blob: bytes) -> None:
        self.steps: list[Step] = pickle.loads(blob)
        for step in self.steps:
            step.ensure_setup()

    def __call__(self, batch: dict[str, Any]) -> dict[str, Any]:
        records = [pickle.loads(item) for item in batch["record"]]
        outcomes = [pickle.dumps(outcome) for outcome in run_chain(self.steps, records)]
        stats = pickle.dumps([step.take_stats() for step in self.steps])
        return {
            "seq": list(batch["seq"]),
            "outcome": outcomes,
            "stats": [stats] + [b""] * (len(outcomes) - 1),
        }


class RayRunner(Runner):
    """Map steps on ``workers`` Ray actors (a local cluster, or the one at ``address``)."""

    name = "ray"

    def __init__(self, workers: int = 1, *, address: str | None = None, shards: Path | None = None) -> None:
        super().__init__(workers)
        self.address = address
        self.shards = shards

    def connect(self) -> Any:
        ray = _ray()
        if not ray.is_initialized():
            here = os.pathsep.join(p for p in sys.path if p)
            env = {"env_vars": {"PYTHONPATH": here, "OMP_NUM_THREADS": "1"}}
            if self.address:
                ray.init(address=self.address, runtime_env=env, logging_level="WARNING", log_to_driver=False)
            else:
                # "local": a new cluster of our own, even if RAY_ADDRESS or a `ray start` cluster is about; its
                # processes fate-share with this one (no Ray process outlives it, even after kill -9)
                with fate_shared():
                    ray.init(
                        address="local",
                        num_cpus=self.workers + 1,  # one CPU per actor and one for Ray Data's read and write tasks
                        runtime_env=env,
                        include_dashboard=False,
                        logging_level="WARNING",
                        log_to_driver=False,
                    )
        context = ray.data.DataContext.get_current()
        context.enable_progress_bars = False
        context.print_on_execution_start = False
        logging.getLogger("ray.data").setLevel(logging.WARNING)
        return ray

    def map(self, pipeline: Pipeline, records: Iterable[Record], stats: RunStats) -> Iterator[Outcome]:
        ray = self.connect()
        blob = pickle.dumps(pipeline.map_steps)
        base = Path(tempfile.mkdtemp(prefix="survnews-ray-", dir=self.shards))
        try:
            for number, rows in enumerate(_windows(records)):
                folder = base / f"window-{number:06d}"
                blocks = min(len(rows), max(2 * self.workers, len(rows) // pipeline.batch_size))
                dataset = ray.data.from_items(rows, override_num_blocks=blocks)
                dataset = dataset.map_batches(
                    StepsActor,
                    fn_constructor_args=(blob,),
                    batch_size=pipeline.batch_size,
                    batch_format="pandas",
                    compute=ray.data.ActorPoolStrategy(size=self.workers),
                    num_cpus=1,
                )
                with warnings.catch_warnings():  # "fewer inputs than actors" on a small window is fine
                    warnings.simplefilter("ignore", UserWarning)
                    dataset.write_parquet(str(folder))
                yield from self._merge(folder, stats)
                shutil.rmtree(folder, ignore_errors=True)
        finally:
            shutil.rmtree(base, ignore_errors=True)

    @staticmethod
    def _merge(folder: Path, stats: RunStats) -> Iterator[Outcome]:
        """The shards of one window, in input order."""
        import pyarrow.parquet as pq

        table = pq.read_table(folder).sort_by("seq")
        for blob in table.column("stats").to_pylist():
            if blob:
                step_stats: list[StepStats] = pickle.loads(blob)
                for item in step_stats:
                    stats.add(item)
        for blob in table.column("outcome").to_pylist():
            yield pickle.loads(blob)


def _windows(records: Iterable[Record]) -> Iterator[list[dict[str, Any]]]:
    rows: list[dict[str, Any]] = []
    size = 0
    for seq, record in enumerate(records):
        blob = pickle.dumps(record)
        rows.append({"seq": seq, "record": blob})
        size += len(blob)
        if len(rows) >= WINDOW_RECORDS or size >= WINDOW_BYTES:
            yield rows
            rows, size = [], 0
    if rows:
        yield rows
