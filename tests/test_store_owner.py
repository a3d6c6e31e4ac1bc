"""The store owns its schema and its SQL: no other module of the package runs statements on a connection."""

from __future__ import annotations

import re

from tests.conftest import PROJECT_ROOT

RAW_SQL = re.compile(r"\.(execute|executemany|executescript)\(|\bsqlite3\.connect\(|\bstore\.db\b|\bself\.db\b")


def test_only_the_store_runs_sql() -> None:
    package = PROJECT_ROOT / "pipeline"
    offenders = [
        f"{path.relative_to(PROJECT_ROOT)}:{number}: {line.strip()}"
        for path in sorted(package.rglob("*.py"))
        if path != package / "store.py"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if RAW_SQL.search(line)
    ]
    assert offenders == [], "use (or add) a typed method of pipeline.store.Store:\n" + "\n".join(offenders)
