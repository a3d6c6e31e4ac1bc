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
    # Mentions of one thing share an entity_id and a canonical name: within an article ("Met" after
    # "Metropolitan Police"), and across the corpus for gazetteer entries (ids such as "gaz:...", "geo:<geonames id>").
    entity_id: str | None = None
    canonical: str | None = None
    score: float | None = None  # the pipeline's confidence in the span, 0..1 (rules get a fixed prior)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Entity:
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in data.items() if k in known})


EventRelation = Literal["uses", "acquires", "supplies", "targets", "restricts", "opposes"]
EVENT_RELATIONS: tuple[EventRelation, ...] = ("uses", "acquires", "supplies", "targets", "restricts", "opposes")


@dataclass
class Event:
    """One fact an article reports: ``actor`` ``relation`` ``object`` (optionally where), with its evidence.

    Entities are referred to by ``entity_id``; their canonical names are repeated so that a table of events
    answers "who uses what where" without a join. ``object`` is a TECHNOLOGY, or an ACTOR/LOCATION for ``targets``.
    """

    relation: EventRelation
    actor_id: str
    actor: str  # canonical name of the actor
    object_id: str
    object: str  # canonical name of the object
    object_label: EntityLabel
    start: int  # offsets of the evidence sentence in the article text
    end: int
    evidence: str
    source: str  # which rule or model found it ("dep:<pattern>", "gold:<annotator>", ...)
    actor_type: str | None = None
    object_category: str | None = None  # technology category when the object is a TECHNOLOGY
    location_id: str | None = None
    location: str | None = None
    country: str | None = None  # ISO 3166-1 alpha-2 of the event's place (or the actor's)
    negated: bool = False
    hedged: bool = False
    score: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Event:
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in data.items() if k in known})


@dataclass
class Copy:
    """Another place the same story was published (a syndicated copy), kept in the original's record."""

    url: str  # URL of the copy, or the local file it was read from
    publisher: str | None = None
    published: str | None = None  # ISO date YYYY-MM-DD

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_value(cls, value: str | dict[str, Any] | Copy) -> Copy:
        """Stores made before copies had a publisher and date hold plain URL strings."""
        if isinstance(value, Copy):
            return value
        if isinstance(value, str):
            return cls(url=value)
        return cls(url=value["url"], publisher=value.get("publisher"), published=value.get("published"))


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
    also_published_at: list[Copy] = field(default_factory=list)
    description: str | None = None
    events: list[Event] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["entities"] = [e.to_dict() for e in self.entities]
        data["events"] = [e.to_dict() for e in self.events]
        data.update(summarize(data["entities"], data["events"]))
        return data


SUMMARY_FIELDS = ("countries", "primary_country", "technology_categories", "actors", "events_count")


def summarize(entities: list[dict[str, Any]], events: list[dict[str, Any]]) -> dict[str, Any]:
    """GDELT-GKG-style article summary, derived from the entity and event dicts of a record.

    ``countries``: ISO codes of the places mentioned, with mention counts and weights (share of place mentions),
    heaviest first; ``primary_country`` the heaviest (None without places); ``technology_categories``: categories
    of the technologies mentioned, most mentioned first; ``actors``: one row per canonical actor (id, name, type,
    mentions), most mentioned first, private persons left out; ``events_count``. Recompute it whenever a record's
    entities or events change.
    """
    countries: dict[str, int] = {}
    categories: dict[str, int] = {}
    actors: dict[str, dict[str, Any]] = {}
    for entity in entities:
        label = entity.get("label")
        if label == "LOCATION" and entity.get("country"):
            countries[entity["country"]] = countries.get(entity["country"], 0) + 1
        elif label == "TECHNOLOGY" and entity.get("category"):
            categories[entity["category"]] = categories.get(entity["category"], 0) + 1
        elif label == "ACTOR" and not entity.get("private_person"):
            # Private persons stay out of the summary: their names are pseudonymised in releases.
            key = entity.get("entity_id") or f"actor:{entity.get('text', '')}"
            row = actors.setdefault(
                key,
                {
                    "entity_id": key,
                    "canonical": entity.get("canonical") or entity.get("text"),
                    "actor_type": entity.get("actor_type"),
                    "mentions": 0,
                },
            )
            row["mentions"] += 1
            row["actor_type"] = row["actor_type"] or entity.get("actor_type")
    total = sum(countries.values())
    ranked = sorted(countries.items(), key=lambda kv: (-kv[1], kv[0]))
    return {
        "countries": [{"code": c, "mentions": n, "weight": round(n / total, 4)} for c, n in ranked],
        "primary_country": ranked[0][0] if ranked else None,
        "technology_categories": [c for c, _n in sorted(categories.items(), key=lambda kv: (-kv[1], kv[0]))],
        "actors": sorted(actors.values(), key=lambda row: (-row["mentions"], str(row["canonical"]))),
        "events_count": len(events),
    }


def article_id(url: str | None, text: str) -> str:
    """Stable id: from the canonical URL when there is one, else from the normalised text.

    The same story read twice (or from a moved file) keeps its id, so runs are idempotent.
    """
    key = "url:" + url.strip() if url else "text:" + " ".join(text.split()).lower()
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]
