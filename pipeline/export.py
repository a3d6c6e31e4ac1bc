"""Export stage: article records as JSON Lines or Parquet, each validated against the record JSON Schema."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import jsonschema
import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.errors import SurvnewsError
from pipeline.paths import ARTICLE_SCHEMA
from pipeline.store import Store

ExportFormat = Literal["jsonl", "parquet"]

ENTITY_TYPE = pa.struct(
    [
        ("start", pa.int32()),
        ("end", pa.int32()),
        ("text", pa.string()),
        ("label", pa.string()),
        ("actor_type", pa.string()),
        ("category", pa.string()),
        ("country", pa.string()),
        ("lat", pa.float64()),
        ("lon", pa.float64()),
        ("geonames_id", pa.int64()),
        ("admin1", pa.string()),
        ("private_person", pa.bool_()),
        ("source", pa.string()),
        ("entity_id", pa.string()),
        ("canonical", pa.string()),
        ("score", pa.float64()),
    ]
)

EVENT_TYPE = pa.struct(
    [
        ("relation", pa.string()),
        ("actor_id", pa.string()),
        ("actor", pa.string()),
        ("object_id", pa.string()),
        ("object", pa.string()),
        ("object_label", pa.string()),
        ("start", pa.int32()),
        ("end", pa.int32()),
        ("evidence", pa.string()),
        ("source", pa.string()),
        ("actor_type", pa.string()),
        ("object_category", pa.string()),
        ("location_id", pa.string()),
        ("location", pa.string()),
        ("country", pa.string()),
        ("negated", pa.bool_()),
        ("hedged", pa.bool_()),
        ("score", pa.float64()),
    ]
)

# Column order and types of every Parquet file we write; `datasets` turns it into typed features.
ARROW_SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("url", pa.string()),
        ("source_path", pa.string()),
        ("title", pa.string()),
        ("authors", pa.list_(pa.string())),
        ("published", pa.string()),
        ("publisher", pa.string()),
        ("original_publisher", pa.string()),
        ("language", pa.string()),
        ("description", pa.string()),
        ("text", pa.string()),
        ("relevance", pa.float64()),
        ("relevant", pa.bool_()),
        ("also_published_at", pa.list_(pa.string())),
        ("entities", pa.list_(ENTITY_TYPE)),
        ("events", pa.list_(EVENT_TYPE)),
        # Article summary (pipeline.records.summarize), derived from entities and events.
        ("countries", pa.list_(pa.struct([("code", pa.string()), ("mentions", pa.int32()), ("weight", pa.float64())]))),
        ("primary_country", pa.string()),
        ("technology_categories", pa.list_(pa.string())),
        (
            "actors",
            pa.list_(
                pa.struct(
                    [
                        ("entity_id", pa.string()),
                        ("canonical", pa.string()),
                        ("actor_type", pa.string()),
                        ("mentions", pa.int32()),
                    ]
                )
            ),
        ),
        ("events_count", pa.int32()),
        (
            "provenance",
            pa.struct(
                [
                    ("retrieved_at", pa.string()),
                    ("sha256", pa.string()),
                    ("pipeline_version", pa.string()),
                    ("spacy_pipeline", pa.string()),
                    ("spacy_pipeline_version", pa.string()),
                ]
            ),
        ),
    ]
)


class InvalidRecordError(SurvnewsError):
    pass


@lru_cache(maxsize=1)
def _validator() -> jsonschema.protocols.Validator:
    schema = json.loads(Path(ARTICLE_SCHEMA).read_text(encoding="utf-8"))
    validator_cls = jsonschema.validators.validator_for(schema)
    validator_cls.check_schema(schema)
    return validator_cls(schema)


def validate_record(record: dict[str, Any]) -> None:
    """Raise InvalidRecordError naming the record and the first schema violation."""
    error = jsonschema.exceptions.best_match(_validator().iter_errors(record))
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "(record)"
        raise InvalidRecordError(f"record {record.get('id')}: {where}: {error.message}")


def record_dicts(store: Store, *, include_all: bool = False) -> Iterator[dict[str, Any]]:
    """Validated records in id order; off-topic ones only with ``include_all``."""
    for article in store.articles(relevant_only=not include_all):
        record = article.to_dict()
        validate_record(record)
        yield record


def write_jsonl(records: Iterable[dict[str, Any]], out: Path) -> int:
    out.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    tmp = out.with_name(out.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        for record in records:
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
            count += 1
    tmp.replace(out)  # never leave a half-written export behind
    return count


def write_parquet(records: Iterable[dict[str, Any]], out: Path, *, batch_rows: int = 1000) -> int:
    """Stream records to one Parquet file in row groups of ``batch_rows``."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    count = 0
    with pq.ParquetWriter(tmp, ARROW_SCHEMA) as writer:
        batch: list[dict[str, Any]] = []
        for record in records:
            batch.append(record)
            if len(batch) >= batch_rows:
                writer.write_table(pa.Table.from_pylist(batch, schema=ARROW_SCHEMA))
                count += len(batch)
                batch = []
        if batch or count == 0:
            writer.write_table(pa.Table.from_pylist(batch, schema=ARROW_SCHEMA))
            count += len(batch)
    tmp.replace(out)
    return count


def export(store: Store, out: Path, fmt: ExportFormat, *, include_all: bool = False) -> int:
    """Write the store's records to ``out``; returns how many."""
    records = record_dicts(store, include_all=include_all)
    if fmt == "jsonl":
        return write_jsonl(records, out)
    if fmt == "parquet":
        return write_parquet(records, out)
    raise SurvnewsError(f"unknown export format {fmt!r}: use jsonl or parquet")
