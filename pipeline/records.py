"""Typed records that flow between the stages.

Every stage reads and writes these plain dataclasses; the store persists them and the exporters
serialise them to the shape fixed by ``schemas/article.schema.json``.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

EntityLabel = Literal["ACTOR", "TECHNOLOGY", "LOCATION"]
ENTITY_LABELS: tuple[EntityLabel, ...] = ("ACTOR", "TECHNOLOGY", "LOCATION")

InputKind = Literal["html", "text", "warc-record"]


@dataclass(frozen=True)
class RawInput:
    """One raw item as read from a source, before extraction."""

    source: str  # file path, or URL for fetched pages
    data: bytes
    kind: InputKind
    url: str | None = None
    retrieved_at: str = ""  # ISO 8601 UTC

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass
class Extracted:
    """What extraction/cleaning recovers from one raw input."""

    text: str
    title: str | None = None
    authors: list[str] = field(default_factory=list)
    published: str | None = None  # ISO date YYYY-MM-DD
    publisher: str | None = None
    original_publisher: str | None = None
    language: str | None = None
    url: str | None = None
    description: str | None = None


@dataclass
class Entity:
    start: int
    end: int
    text: str
    label: EntityLabel
    actor_type: str | None = None
    category: str | None = None
    country: str | None = None
    lat: float | None = None
    lon: float | None = None
    geonames_id: int | None = None
    admin1: str | None = None
    private_person: bool | None = None
    source: str | None = None  # which component produced it: "ner", "taxonomy", "gazetteer", ...

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Entity:
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in data.items() if k in known})


@dataclass
class Provenance:
    retrieved_at: str
    sha256: str
    pipeline_version: str
    spacy_pipeline: str | None = None
    spacy_pipeline_version: str | None = None


@dataclass
class Article:
    id: str
    url: str | None
    source_path: str | None
    title: str | None
    authors: list[str]
    published: str | None
    publisher: str | None
    original_publisher: str | None
    language: str | None
    text: str
    relevance: float
    relevant: bool
    entities: list[Entity]
    provenance: Provenance
    also_published_at: list[str] = field(default_factory=list)
    description: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["entities"] = [e.to_dict() for e in self.entities]
        return data


def article_id(url: str | None, text: str) -> str:
    """Stable id: from the canonical URL when there is one, else from the normalised text.

    The same story read twice (or from a moved file) keeps its id, so runs are idempotent.
    """
    key = "url:" + url.strip() if url else "text:" + " ".join(text.split()).lower()
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]
