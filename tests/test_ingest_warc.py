"""Common Crawl news at scale: WARC records prefiltered before extraction, bytes kept in the WARC file."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from pipeline.config import Settings
from pipeline.ingest import add_inputs, process_pending
from pipeline.store import Store
from tests.news_warc import write_news_warc


def ingest(tmp_path: Path, name: str, inputs: list[Path], **prefilter: object) -> tuple[Settings, object]:
    settings = Settings()
    settings.store.path = tmp_path / f"{name}.sqlite"
    settings.runner.workers = 1
    for key, value in prefilter.items():
        setattr(settings.prefilter, key, value)
    with Store(settings.store.path) as store:
        summary = add_inputs(store, inputs, settings)
        summary.merge(process_pending(store, settings))
    return settings, summary


def relevant_urls(path: Path) -> set[str]:
    with Store(path) as store:
        return {a.url or "" for a in store.articles(relevant_only=True)}


def test_prefilters_pass_over_records_before_they_are_stored_and_lose_no_relevant_one(tmp_path: Path) -> None:
    warc = tmp_path / "news.warc.gz"
    on_topic = write_news_warc(warc, 120, on_topic_every=10, german_every=9)
    assert on_topic >= 8
    everything, full = ingest(tmp_path, "all", [warc])
    assert full.accepted == 120  # type: ignore[attr-defined]
    settings, summary = ingest(
        tmp_path, "filtered", [warc], enabled=True, deny_domains=["tribune.example"], languages=["en"]
    )
    skipped = summary.prefiltered  # type: ignore[attr-defined]
    assert skipped["domain"] == 40 and skipped["language"] > 0 and skipped["keyword"] > 50
    assert summary.read == 120 and summary.new == 120 - sum(skipped.values())  # type: ignore[attr-defined]

    def declared_german(url: str) -> bool:
        return int(url.rsplit("-", 1)[1].split(".")[0]) % 9 == 1

    wanted = {u for u in relevant_urls(everything.store.path) if "tribune" not in u and not declared_german(u)}
    assert wanted == relevant_urls(settings.store.path)  # every relevant page in scope got through, only those
    assert len(relevant_urls(settings.store.path)) >= 5


def test_warc_records_stay_in_the_warc_file_and_are_read_from_there(tmp_path: Path) -> None:
    warc = tmp_path / "news.warc.gz"
    write_news_warc(warc, 12, on_topic_every=3)
    settings, summary = ingest(tmp_path, "s", [warc])
    assert summary.accepted == 12  # type: ignore[attr-defined]
    with Store(settings.store.path) as store:
        rows = store.db.execute("SELECT sha256, length(data), warc_path, warc_offset FROM raw").fetchall()
        assert rows and all(r[1] == 0 and r[2] == str(warc.resolve()) and r[3] >= 0 for r in rows)
        assert len({r[3] for r in rows}) == 12
        article = next(store.articles())
        assert "Story" in (article.title or "") and len(article.text) > 200
        provenance = store.raw_provenance(article.provenance.sha256)
        assert provenance is not None and provenance["warc_path"] == str(warc.resolve())
        assert article.url == provenance["url"]


def test_a_date_window_on_the_crawl_date(tmp_path: Path) -> None:
    warc = tmp_path / "news.warc.gz"
    write_news_warc(warc, 10, on_topic_every=2, date="2026-01-02T00:00:00Z")
    _, summary = ingest(tmp_path, "s", [warc], enabled=True, since=date(2026, 2, 1), keywords=False)
    assert summary.prefiltered == {"date": 10}  # type: ignore[attr-defined]
    assert summary.accepted == 0  # type: ignore[attr-defined]


def test_ingest_reads_a_list_of_warc_files(tmp_path: Path) -> None:
    import subprocess
    import sys

    from tests.conftest import PROJECT_ROOT

    for n in (1, 2):
        write_news_warc(tmp_path / f"part-{n}.warc.gz", 6, on_topic_every=3, seed=n)
    (tmp_path / "files.txt").write_text("# one WARC a line\npart-1.warc.gz\npart-2.warc.gz\n", encoding="utf-8")
    prefiltered = subprocess.run(
        [sys.executable, "-m", "pipeline.cli", "ingest", "--list", "files.txt", "--store", "p.sqlite", "--prefilter"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        env={"PYTHONPATH": str(PROJECT_ROOT), "PATH": "/usr/bin:/bin"},
    )
    assert prefiltered.returncode == 0, prefiltered.stderr
    assert "read 12, new 4, accepted 4" in prefiltered.stdout
    assert "prefiltered 8 (keyword 8)" in prefiltered.stdout


def test_the_prefilter_runs_on_the_workers_with_the_same_outcome_as_in_process(tmp_path: Path) -> None:
    """With the prefilter on, reading and prefiltering are map steps: on two workers the same raw inputs are
    stored (same order), the same records passed over, the same unreadable input rejected, as in this process."""
    from pipeline.steps.ingest import read_pipeline

    warc = tmp_path / "news.warc.gz"
    write_news_warc(warc, 60, on_topic_every=10, german_every=9)
    broken = tmp_path / "broken.warc.gz"
    broken.write_bytes(b"WARC/1.0\r\nnot a record at all" * 10)
    outcomes = []
    for workers in (0, 2):
        settings = Settings()
        settings.store.path = tmp_path / f"w{workers}.sqlite"
        settings.runner.workers = workers
        settings.prefilter.enabled = True
        settings.prefilter.languages = ["en"]
        with Store(settings.store.path) as store:
            assert [s.name for s in read_pipeline(store, settings).map_steps] == ["read", "prefilter"]
            summary = add_inputs(store, [warc, broken], settings)
            raw = store.db.execute("SELECT sha256, source, warc_offset FROM raw ORDER BY rowid").fetchall()
            rejects = store.db.execute("SELECT item, stage, reason FROM rejects ORDER BY item").fetchall()
        outcomes.append(([tuple(r) for r in raw], [tuple(r) for r in rejects], summary.read, summary.prefiltered))
    assert outcomes[0] == outcomes[1]
    raw, rejects, read, prefiltered = outcomes[0]
    assert prefiltered["keyword"] > 20 and prefiltered["language"] > 0 and len(raw) == 60 - sum(prefiltered.values())
    assert len(rejects) == 1 and "broken.warc.gz" in rejects[0][0] and read == 61
