"""Bad input never stops a run: each item gets a one-line reason in the rejects table and the summary."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from pipeline.store import Store
from tests.conftest import SAMPLES


def survnews(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pipeline.cli", *args], cwd=cwd, capture_output=True, text=True, timeout=600
    )


def write_bad_inputs(folder: Path) -> dict[str, str]:
    """Files that must each be rejected, mapped to the reason code expected."""
    folder.mkdir()
    (folder / "empty.txt").write_bytes(b"")
    (folder / "binary.html").write_bytes(bytes(range(256)) * 64)
    (folder / "latin1.txt").write_bytes(
        "Überwachung in München: die Polizei nutzt Gesichtserkennung.".encode("latin-1")
    )
    (folder / "huge.txt").write_bytes(b"surveillance camera " * 1_100_000)  # about 22 MB
    (folder / "no-article.html").write_bytes(
        b"<html><head><title>Menu</title></head><body><nav><a href='/'>Home</a> <a href='/a'>About</a></nav>"
        b"<footer>(c) 2024</footer></body></html>"
    )
    return {
        "empty.txt": "empty",
        "binary.html": "binary",
        "latin1.txt": "UTF-8",
        "huge.txt": "limit",
        "no-article.html": "article",
        "missing.html": "no such file",
    }


def test_bad_inputs_are_rejected_with_reasons_and_the_run_goes_on(tmp_path: Path) -> None:
    bad = tmp_path / "bad"
    expected = write_bad_inputs(bad)
    good = SAMPLES / "text"
    config = tmp_path / "survnews.toml"
    config.write_text(
        f"""
[store]
path = "store.sqlite"
[ingest]
paths = ["{bad}", "{bad / "missing.html"}", "{good}"]
[publish]
out = "releases"
""",
        encoding="utf-8",
    )
    result = survnews("run", "--config", str(config), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    with Store(tmp_path / "store.sqlite") as store:
        rejects = {Path(r["item"]).name: r["reason"] for r in store.rejects()}
        assert store.count_articles() >= 1  # the good files still made it
    for name, reason_part in expected.items():
        assert name in rejects, f"{name} not in rejects: {rejects}"
        assert reason_part.lower() in rejects[name].lower(), (name, rejects[name])
        assert "\n" not in rejects[name]
        # the summary names each rejected item with its reason
        assert name in result.stdout, result.stdout


def test_bad_config_is_one_clear_error_with_exit_code_2(tmp_path: Path) -> None:
    config = tmp_path / "survnews.toml"
    config.write_text("[tagger]\nbatch_size = -3\n", encoding="utf-8")
    result = survnews("run", "--config", str(config), cwd=tmp_path)
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "tagger.batch_size" in lines[0]

    config.write_text("[ingest]\npaths = ['x']\nunknown_key = 1\n", encoding="utf-8")
    result = survnews("run", "--config", str(config), cwd=tmp_path)
    assert result.returncode == 2
    assert "unknown_key" in result.stderr

    config.write_text("this is = = not toml", encoding="utf-8")
    result = survnews("run", "--config", str(config), cwd=tmp_path)
    assert result.returncode == 2
    assert "not valid TOML" in result.stderr


def test_missing_config_file_is_a_config_error(tmp_path: Path) -> None:
    result = survnews("stats", "--config", str(tmp_path / "nope.toml"), cwd=tmp_path)
    assert result.returncode == 2
    assert "config file not found" in result.stderr


def test_run_summary_json_counts_rejects_by_reason(tmp_path: Path) -> None:
    missing = tmp_path / "missing-folder"
    config = tmp_path / "survnews.toml"
    config.write_text(f'[ingest]\npaths = ["{missing}", "{SAMPLES / "text"}"]\n', encoding="utf-8")
    result = survnews(
        "run", "--json", "--no-publish", "--config", str(config), "--store", str(tmp_path / "s.sqlite"), cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["rejected"] == {"missing": 1} and summary["accepted"] >= 3
    store = str(tmp_path / "s.sqlite")  # the same store: nothing is done again, the missing folder still counts
    strict = survnews(
        "run", "--json", "--no-publish", "--strict", "--config", str(config), "--store", store, cwd=tmp_path
    )
    assert strict.returncode == 2 and "--strict" in strict.stderr


def test_run_in_an_empty_folder_reads_the_sample_corpus_that_comes_with_the_package(tmp_path: Path) -> None:
    result = survnews("run", "--json", "--no-publish", "--store", str(tmp_path / "s.sqlite"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "sample corpus" in result.stderr
    summary = json.loads(result.stdout)
    assert summary["rejected"] == {} and summary["accepted"] >= 10
