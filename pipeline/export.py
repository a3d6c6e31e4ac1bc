"""Export stage: article records as JSON Lines or Parquet, each validated against the record JSON Schema."""

from __future__ import annotations

import copy
import glob
import json
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import jsonschema
import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.errors import SurvnewsError
from pipeline.paths import ARTICLE_SCHEMA
from pipeline.records import EVENT_RELATIONS
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
        (
            "also_published_at",
            pa.list_(pa.struct([("url", pa.string()), ("publisher", pa.string()), ("published", pa.string())])),
        ),
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


# Closed vocabularies of the record (the JSON Schema's enums and the actor types of the gazetteer), by column path.
# The files keep them as strings, the way a researcher filters them in pandas ("relation == 'uses'"); ``datasets``
# users who want integer class ids cast to ``class_label_features``. Not the technology category: the taxonomy
# grows between versions and a ClassLabel's ids are positions in its names, so they would shift from version to
# version (strings do not).
ENTITY_LABELS = ("ACTOR", "TECHNOLOGY", "LOCATION")
ACTOR_TYPE_NAMES = (
    "government",
    "law_enforcement",
    "intelligence",
    "military",
    "company",
    "civil_society",
    "media",
    "academic",
    "international_org",
    "political_party",
    "person",
)  # == pipeline.components.actors.ACTOR_TYPES (tests check it; this module does not import spaCy)
EVENT_RELATION_NAMES: tuple[str, ...] = EVENT_RELATIONS
CLOSED_VOCABULARIES: dict[tuple[str, ...], tuple[str, ...]] = {
    ("entities", "label"): ENTITY_LABELS,
    ("entities", "actor_type"): ACTOR_TYPE_NAMES,
    ("events", "relation"): EVENT_RELATION_NAMES,
    ("events", "object_label"): ENTITY_LABELS,
    ("events", "actor_type"): ACTOR_TYPE_NAMES,
    ("actors", "actor_type"): ACTOR_TYPE_NAMES,
}


def class_label_features(features: Any | None = None) -> Any:
    """The Hugging Face features of a release with ``ClassLabel`` for the closed vocabularies (inside the lists of
    structs too): ``ds.cast(class_label_features(ds.features))`` turns their strings into class ids (a null stays
    null); ``features["events"].feature["relation"].int2str(i)`` reads one back. Without ``features``: those of
    the export schema."""
    import datasets

    out = copy.deepcopy(features) if features is not None else datasets.Features.from_arrow_schema(ARROW_SCHEMA)
    for (column, field), names in CLOSED_VOCABULARIES.items():
        if column not in out:
            continue
        inner = out[column].feature if isinstance(out[column], datasets.List) else out[column]
        if isinstance(inner, dict) and field in inner:
            inner[field] = datasets.ClassLabel(names=list(names))
    return out


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


class ExportPathError(SurvnewsError):
    """The output path cannot be written (a folder, a file where a folder is needed, no permission). Exit 2."""

    exit_code = 2


@contextmanager
def _atomic_output(out: Path) -> Iterator[Path]:
    """A temporary file beside ``out`` that replaces it when the block ends; removed on any failure.

    Never a half-written export and never a stray temporary file; an unusable ``out`` is one clear line.
    """
    if out.is_dir():
        raise ExportPathError(f"{out} is a folder: give the file to write, e.g. {out / 'records.jsonl'}")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ExportPathError(f"{out}: its folder cannot be made: {exc.strerror or exc}") from exc
    _remove_orphans(out)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")  # per process: two exports never share one
    try:
        yield tmp
        tmp.replace(out)
    except OSError as exc:
        raise ExportPathError(f"{out} cannot be written: {exc.strerror or exc}") from exc
    finally:
        tmp.unlink(missing_ok=True)


def _remove_orphans(out: Path) -> None:
    """Temporary files of exports to ``out`` whose process is gone (killed): removed, so none stays for good."""
    for tmp in out.parent.glob(f".{glob.escape(out.name)}.*.tmp"):
        pid = tmp.name[len(out.name) + 2 : -len(".tmp")]
        if pid.isdigit() and not _alive(int(pid)):
            tmp.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def write_jsonl(records: Iterable[dict[str, Any]], out: Path) -> int:
    count = 0
    with _atomic_output(out) as tmp, tmp.open("w", encoding="utf-8") as fh:
        for record in records:
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
            count += 1
    return count


def write_parquet(records: Iterable[dict[str, Any]], out: Path, *, batch_rows: int = 1000) -> int:
    """Stream records to one Parquet file in row groups of ``batch_rows``."""
    count = 0
    with _atomic_output(out) as tmp, pq.ParquetWriter(tmp, ARROW_SCHEMA) as writer:
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
    return count


def export(store: Store, out: Path, fmt: ExportFormat, *, include_all: bool = False) -> int:
    """Write the store's records to ``out``; returns how many."""
    records = record_dicts(store, include_all=include_all)
    if fmt == "jsonl":
        return write_jsonl(records, out)
    if fmt == "parquet":
        return write_parquet(records, out)
    raise SurvnewsError(f"unknown export format {fmt!r}: use jsonl or parquet")
