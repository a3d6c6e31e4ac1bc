"""Lint, format and type checks run with the tests, so CI keeps the code ruff- and mypy-clean."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import PROJECT_ROOT

CHECKED = ["pipeline", "tests", "benchmarks", "scripts", "corpus"]


def tool(name: str) -> str:
    path = Path(sys.executable).parent / name
    if path.exists():
        return str(path)
    found = shutil.which(name)
    if found is None:
        pytest.skip(f"{name} is not installed (pip install -e '.[dev]')")
    return found


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=600)


def test_ruff_lint() -> None:
    result = run(tool("ruff"), "check", *CHECKED)
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format() -> None:
    result = run(tool("ruff"), "format", "--check", *CHECKED)
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy() -> None:
    result = run(tool("mypy"))
    assert result.returncode == 0, result.stdout + result.stderr
