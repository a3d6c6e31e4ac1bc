"""The Ray Data backend on a real local Ray cluster: the same records as the local backend."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.config import Settings
from pipeline.ingest import add_inputs, process_pending
from pipeline.run import tag_store
from pipeline.store import Store
from tests.conftest import SAMPLES
from tests.test_runner import articles_snapshot, build

ray = pytest.importorskip("ray", reason='Ray is not installed (pip install -e ".[ray]")')


@pytest.fixture(scope="session")
def ray_cluster() -> Iterator[None]:
    """One local cluster for the session: 2 workers and a CPU for Ray Data's own tasks."""
    from pipeline.runner.ray_backend import RayRunner

    RayRunner(2).connect()
    yield
    ray.shutdown()


@pytest.mark.slow
def test_ray_backend_gives_the_records_of_the_local_backend(tmp_path: Path, ray_cluster: None) -> None:
    broken = tmp_path / "inputs" / "broken.html"
    broken.parent.mkdir()
    broken.write_bytes(b"<html><body><p>tiny</p></body></html>")
    inputs = [SAMPLES, broken.parent]
    local = articles_snapshot(build(tmp_path, "local", 2, inputs))

    settings = Settings()
    settings.store.path = tmp_path / "ray.sqlite"
    settings.tagger.model = "blank"
    settings.runner.workers = 2
    settings.runner.backend = "ray"
    with Store(settings.store.path) as store:
        add_inputs(store, inputs, settings)
        summary = process_pending(store, settings)
        assert summary.runs[0].runner == "ray"
        assert summary.runs[0].steps["extract"].seen == summary.runs[0].items  # counters came back from actors
        tagged = tag_store(store, settings)
        assert tagged.tagged == summary.accepted
    assert articles_snapshot(settings.store.path) == local
