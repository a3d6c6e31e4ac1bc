"""The CLI: thin verbs over the library, a documented reference, clean errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import PROJECT_ROOT, SAMPLES


def survnews(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pipeline.cli", *args], cwd=cwd, capture_output=True, text=True, timeout=600
    )


def test_cli_reference_is_current() -> None:
    sys.path.insert(0, str(PROJECT_ROOT / "scripts"))
    try:
        from gen_cli_docs import DOC, render
    finally:
        sys.path.pop(0)
    assert DOC.read_text(encoding="utf-8") == render(), "run: .venv/bin/python scripts/gen_cli_docs.py"


def test_verbs_one_by_one(tmp_path: Path) -> None:
    store = str(tmp_path / "s.sqlite")
    ingest = survnews("ingest", str(SAMPLES / "text"), "--store", store, cwd=tmp_path)
    assert ingest.returncode == 0, ingest.stderr
    assert "accepted" in ingest.stdout
    tag = survnews("tag", "--store", store, "--model", "blank", cwd=tmp_path)
    assert tag.returncode == 0, tag.stderr
    assert "TECHNOLOGY" in tag.stdout
    out = tmp_path / "records.jsonl"
    export = survnews("export", "--format", "jsonl", "--out", str(out), "--all", "--store", store, cwd=tmp_path)
    assert export.returncode == 0, export.stderr
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert records and all(r["entities"] for r in records if r["relevant"])
    config = tmp_path / "survnews.toml"
    config.write_text(f'[store]\npath = "{store}"\n[publish]\nout = "rel"\n', encoding="utf-8")
    publish = survnews("publish", "--version", "0.1.0", cwd=tmp_path)
    assert publish.returncode == 0, publish.stderr
    assert (tmp_path / "rel" / "survnews" / "data" / "0.1.0").is_dir()
    again = survnews("publish", "--version", "0.1.0", cwd=tmp_path)
    assert again.returncode == 1
    assert "already published" in again.stderr and "Traceback" not in again.stderr


def test_export_rejects_unknown_format(tmp_path: Path) -> None:
    result = survnews(
        "export", "--format", "xml", "--out", str(tmp_path / "x"), "--store", str(tmp_path / "s"), cwd=tmp_path
    )
    assert result.returncode == 2
    assert "unknown format" in result.stderr


def test_help_starts_without_the_heavy_libraries() -> None:
    code = (
        "import sys\n"
        "from pipeline.cli import app\n"
        "try:\n"
        "    app(['--help'], prog_name='survnews')\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = [m for m in ('spacy', 'datasets', 'pandas', 'trafilatura', 'pyarrow') if m in sys.modules]\n"
        "print('HEAVY', heavy)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=60)
    assert "HEAVY []" in done.stdout, done.stdout + done.stderr
    assert "crawl" in done.stdout and "annotate" in done.stdout  # the lazy commands are listed


def test_lazy_command_list_says_what_the_commands_say() -> None:
    from typer._click.utils import make_default_short_help

    from pipeline.cli._lazy import LAZY_COMMANDS, load_lazy_command

    for name, (_, short) in LAZY_COMMANDS.items():
        command = load_lazy_command(name)
        for limit in (40, 70, 200):
            assert make_default_short_help(short, limit) == command.get_short_help_str(limit), name


def test_a_config_key_no_longer_read_is_a_warning_naming_it_and_its_replacement(tmp_path: Path) -> None:
    config = tmp_path / "old.toml"
    config.write_text("[tagger]\nn_process = 4\nbatch_size = 8\n", encoding="utf-8")
    shown = survnews("config", "show", "--config", str(config), cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert "batch_size = 8" in shown.stdout and "n_process" not in shown.stdout
    warning = shown.stderr.strip()
    assert "\n" not in warning and "[tagger] n_process" in warning and "--workers" in warning
    config.write_text("[tagger]\nn_processes = 4\n", encoding="utf-8")  # a typo is still an error
    typo = survnews("config", "show", "--config", str(config), cwd=tmp_path)
    assert typo.returncode == 2 and "n_processes" in typo.stderr
