"""What a release split holds, counted while its records are written: the figures of the card, plots and changelog.

Countries and technology categories are counted per article (an article naming Kenya ten times counts once);
entities per mention; the "who uses what where" table per event, from the records' events.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from pipeline.release.licenses import SourceLicense

WHO_RELATIONS = frozenset({"uses", "acquires"})
MAX_PLACES = 2000
EXAMPLE_TEXT_CHARS = 400


@dataclass
class SplitStats:
    records: int = 0
    nbytes: int = 0
    entities: Counter[str] = field(default_factory=Counter)  # mentions by label
    countries: Counter[str] = field(default_factory=Counter)  # articles naming the country
    categories: Counter[str] = field(default_factory=Counter)  # articles naming a technology of the category
    months: Counter[str] = field(default_factory=Counter)  # articles by YYYY-MM of publication
    places: Counter[tuple[float, float, str]] = field(default_factory=Counter)  # articles by (lat, lon) 0.1°, country
    who: Counter[tuple[str, str, str]] = field(default_factory=Counter)  # events by actor type × category × country
    sources: Counter[str] = field(default_factory=Counter)
    licenses: dict[str, SourceLicense] = field(default_factory=dict)
    taggers: Counter[str] = field(default_factory=Counter)
    ids: list[str] = field(default_factory=list)
    example: dict[str, Any] | None = None

    def add(self, record: dict[str, Any], license: SourceLicense) -> None:
        self.records += 1
        self.ids.append(record["id"])
        if self.example is None:
            self.example = _example(record)
        countries: set[str] = set()
        categories: set[str] = set()
        places: set[tuple[float, float, str]] = set()
        for entity in record["entities"]:
            self.entities[entity["label"]] += 1
            if entity.get("country"):
                countries.add(entity["country"])
            if entity.get("category"):
                categories.add(entity["category"])
            if entity.get("lat") is not None and entity.get("lon") is not None:
                lat, lon = round(float(entity["lat"]), 1), round(float(entity["lon"]), 1)
                places.add((lat, lon, entity.get("country") or ""))
        self.countries.update(countries)
        self.categories.update(categories)
        self.places.update(places)
        if record.get("published"):
            self.months[record["published"][:7]] += 1
        for event in record.get("events") or []:
            countable = event.get("relation") in WHO_RELATIONS and not event.get("negated")
            if countable and event.get("object_label") == "TECHNOLOGY":
                key = (
                    event.get("actor_type") or "unknown",
                    event.get("object_category") or "unknown",
                    event.get("country") or "unknown",
                )
                self.who[key] += 1
        self.sources[license.source] += 1
        self.licenses.setdefault(license.source, license)
        provenance = record.get("provenance") or {}
        if provenance.get("spacy_pipeline"):
            self.taggers[f"{provenance['spacy_pipeline']}@{provenance.get('spacy_pipeline_version')}"] += 1

    def manifest(self) -> dict[str, Any]:
        """The JSON-ready figures kept in ``versions.json`` (so the card and plots can be rebuilt from it)."""
        return {
            "records": self.records,
            "nbytes": self.nbytes,
            "entities": dict(sorted(self.entities.items())),
            "countries": dict(self.countries.most_common()),
            "categories": dict(self.categories.most_common()),
            "months": dict(sorted(self.months.items())),
            "places": [[lat, lon, n, country] for (lat, lon, country), n in self.places.most_common(MAX_PLACES)],
            "who": [[a, c, k, n] for (a, c, k), n in self.who.most_common()],
            "sources": {
                source: {
                    "records": n,
                    "license": self.licenses[source].license,
                    "redistributable": self.licenses[source].redistributable,
                }
                for source, n in self.sources.most_common()
            },
            "taggers": dict(self.taggers.most_common()),
        }


def _example(record: dict[str, Any]) -> dict[str, Any]:
    """The first record, shortened for the card: text cut, at most three entities and one event."""
    example = json.loads(json.dumps(record))
    if isinstance(example.get("text"), str) and len(example["text"]) > EXAMPLE_TEXT_CHARS:
        example["text"] = example["text"][:EXAMPLE_TEXT_CHARS] + "…"
    limit = EXAMPLE_TEXT_CHARS
    example["entities"] = [e for e in example["entities"] if e["end"] <= limit][:3]
    example["events"] = (example.get("events") or [])[:1]
    return example
