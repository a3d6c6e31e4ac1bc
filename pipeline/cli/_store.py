"""Commands that read the store: ``survnews export``, ``rejects`` and ``stats``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pipeline.cli._errors import handle_errors
from pipeline.cli._options import ConfigOption, JsonOption, StoreOption, open_store, settings_from
from pipeline.cli._output import counts_text, emit_json, out, print_rejects, safe


@handle_errors
def export_cli(
    out_path: Annotated[Path, typer.Option("--out", "-o", help="Output file (its folder is created).")],
    fmt: Annotated[str, typer.Option("--format", "-f", help="jsonl or parquet.")] = "jsonl",
    include_all: Annotated[bool, typer.Option("--all", help="Include off-topic records.")] = False,
    config: ConfigOption = None,
    store: StoreOption = None,
    json_output: JsonOption = False,
) -> None:
    """Write records (validated against schemas/article.schema.json) as JSON Lines or Parquet."""
    from pipeline.export import export

    settings = settings_from(config, store)
    if fmt not in ("jsonl", "parquet"):
        raise typer.BadParameter(f"unknown format {fmt!r}: use jsonl or parquet", param_hint="--format")
    with open_store(settings) as db:
        count = export(db, out_path, fmt, include_all=include_all)  # type: ignore[arg-type]
    if json_output:
        emit_json({"records": count, "out": str(out_path), "format": fmt})
    else:
        out.print(f"wrote {count} records to {safe(out_path)}")


@handle_errors
def rejects_cli(config: ConfigOption = None, store: StoreOption = None, json_output: JsonOption = False) -> None:
    """List rejected inputs with their reasons."""

    settings = settings_from(config, store)
    with open_store(settings) as db:
        rejects = db.rejects()
    if json_output:
        emit_json(rejects)
    else:
        print_rejects(rejects)


@handle_errors
def stats_cli(config: ConfigOption = None, store: StoreOption = None, json_output: JsonOption = False) -> None:
    """Counts of records, entities and rejects in the store."""
    from pipeline.run import RunSummary, store_totals

    settings = settings_from(config, store)
    summary = RunSummary()
    with open_store(settings) as db:
        store_totals(db, summary)
    if json_output:
        emit_json(
            {
                "records": summary.records,
                "relevant_records": summary.relevant,
                "entities": dict(summary.entities_in_store),
                "rejects": len(summary.rejects),
            }
        )
        return
    labels = counts_text(summary.entities_in_store) or "none"
    out.print(
        f"records {summary.records} ({summary.relevant} relevant); entities: {labels}; rejects {len(summary.rejects)}"
    )
