"""Release modes: what of an article a public release may contain.

* ``full``: the records as stored (text included).
* ``pseudonymised``: text kept; every private person (an entity flagged ``private_person``) is replaced by a
  placeholder such as ``[PERSON-3]``, the same placeholder for the same person throughout one release, in the
  text, title, description, entity ``text``/``canonical``/``entity_id`` and event actor/object/evidence fields;
  every offset is recomputed so that ``text[start:end]`` is still exactly the span. The mapping from
  placeholders to names lives in memory only and is never written.
* ``standoff``: no article text (the GDELT and tweet-ID practice): URL, publisher, dates, the SHA-256 of the
  text, offsets into the original text, entities and events; private persons are placeholders there too and
  evidence sentences are left empty. ``survnews rehydrate`` fetches the pages again and checks the hash.

Every release record also carries ``text_sha256``: the SHA-256 of the original clean text (UTF-8).
"""

from __future__ import annotations

import bisect
import copy
import hashlib
import re
from collections.abc import Iterable
from typing import Any, Literal

import pyarrow as pa

from pipeline.export import ARROW_SCHEMA

ReleaseMode = Literal["full", "standoff", "pseudonymised"]
RELEASE_MODES: tuple[ReleaseMode, ...] = ("full", "standoff", "pseudonymised")
SAFE_MODES: frozenset[str] = frozenset({"standoff", "pseudonymised"})

# the release schema: the record schema plus the hash of the original text (text may be null in standoff)
RELEASE_SCHEMA = ARROW_SCHEMA.insert(ARROW_SCHEMA.get_field_index("text") + 1, pa.field("text_sha256", pa.string()))

PLACEHOLDER = "[PERSON-{}]"
# record fields that hold no names of private persons (ids, addresses, codes) or are handled span by span
NOT_SCRUBBED = frozenset({"id", "url", "source_path", "published", "language", "text", "text_sha256"})
_NAME_PART = re.compile(r"^[A-ZÀ-Ý][\w'’-]{2,}$")


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _key(name: str) -> str:
    return " ".join(name.split()).casefold()


def private_entities(record: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for e in record.get("entities", []) if e.get("private_person") is True]


def private_names(records: Iterable[dict[str, Any]]) -> list[str]:
    """Every surface form of every private person in ``records`` (entity text and canonical name)."""
    names: dict[str, None] = {}
    for record in records:
        for entity in private_entities(record):
            for name in (entity.get("text"), entity.get("canonical")):
                if name and name.strip():
                    names[" ".join(name.split())] = None
    return list(names)


class Pseudonymiser:
    """Placeholders for private persons, consistent across one release; the mapping is never written out.

    ``learn`` every record of the release first (so that a person flagged in one article is also hidden where
    another article names them untagged), then ``apply`` to each record.
    """

    def __init__(self) -> None:
        self._numbers: dict[str, int] = {}  # person key (canonical name, casefolded) → number
        self._surface: dict[str, str] = {}  # surface form, casefolded → person key
        self._forms: set[str] = set()  # surface forms as written
        self._global: list[re.Pattern[str]] = []
        self._compiled_for = -1

    def learn(self, record: dict[str, Any]) -> None:
        for entity in private_entities(record):
            person = _key(entity.get("canonical") or entity["text"])
            if person not in self._numbers:
                self._numbers[person] = len(self._numbers) + 1
            for name in (entity.get("text"), entity.get("canonical")):
                if name and name.strip():
                    self._surface.setdefault(_key(name), person)
                    self._forms.add(" ".join(name.split()))

    @property
    def persons(self) -> int:
        return len(self._numbers)

    def placeholder(self, person: str) -> str:
        return PLACEHOLDER.format(self._numbers[person])

    @staticmethod
    def _compile(forms: Iterable[str], *, ignore_case: bool) -> re.Pattern[str] | None:
        alternatives = sorted(set(forms), key=len, reverse=True)
        if not alternatives:
            return None
        body = "|".join(r"\s+".join(re.escape(w) for w in s.split()) for s in alternatives)
        return re.compile(rf"(?<!\w)(?:{body})(?!\w)", re.IGNORECASE if ignore_case else 0)

    @classmethod
    def _compile_names(cls, forms: Iterable[str]) -> list[re.Pattern[str]]:
        """Full names in any case ("MARA QUELL"); one-word names only as written or in capitals, so that a
        person called "Will" never hides the word "will"."""
        forms = list(forms)
        several = cls._compile((f for f in forms if len(f.split()) > 1), ignore_case=True)
        single = [f for f in forms if len(f.split()) == 1]
        one = cls._compile([*single, *(f.upper() for f in single)], ignore_case=False)
        return [p for p in (several, one) if p is not None]

    def _patterns(self, extra: dict[str, str]) -> tuple[list[re.Pattern[str]], dict[str, str]]:
        """The release-wide patterns (compiled once per set of names) and this record's name parts."""
        if self._compiled_for != len(self._forms):
            self._global = self._compile_names(self._forms)
            self._compiled_for = len(self._forms)
        local = self._compile_names(k for k in extra if _key(k) not in self._surface)
        return [*self._global, *local], {**{_key(k): v for k, v in extra.items()}, **self._surface}

    def apply(self, record: dict[str, Any], *, keep_offsets: bool = False) -> dict[str, Any]:
        """A copy of ``record`` with private persons replaced; offsets remapped unless ``keep_offsets``."""
        out = copy.deepcopy(record)
        text: str = out["text"]
        # name parts ("Zhang" of "Zhang Wei") are hidden within the article that names the person in full
        local: dict[str, str] = {}
        for entity in private_entities(out):
            person = _key(entity.get("canonical") or entity["text"])
            for part in (entity.get("canonical") or entity["text"]).split():
                if _NAME_PART.match(part):
                    local.setdefault(part, person)
        patterns, surfaces = self._patterns(local)

        def person_of(found: str) -> str:
            return surfaces[_key(found)]

        def scrub(value: str | None) -> str | None:
            if value is None:
                return value
            for pattern in patterns:
                value = pattern.sub(lambda m: self.placeholder(person_of(m.group(0))), value)
            return value

        # spans to replace in the text: private entity spans first, then other mentions of the names
        spans: list[tuple[int, int, str]] = []
        for entity in sorted(private_entities(out), key=lambda e: (e["start"], -e["end"])):
            person = _key(entity.get("canonical") or entity["text"])
            if spans and entity["start"] < spans[-1][1]:
                continue
            spans.append((entity["start"], entity["end"], self.placeholder(person)))
        for pattern in patterns:
            for match in pattern.finditer(text):
                start, end = match.span()
                i = bisect.bisect_left(spans, (start, -1, ""))
                clash = (i > 0 and spans[i - 1][1] > start) or (i < len(spans) and spans[i][0] < end)
                if not clash:
                    spans.insert(i, (start, end, self.placeholder(person_of(match.group(0)))))
        remap = _Remap(text, spans)
        private_ids = {
            e["entity_id"]: f"private:{self._numbers[_key(e.get('canonical') or e['text'])]}"
            for e in private_entities(out)
            if e.get("entity_id")
        }
        for entity in out["entities"]:
            private = entity.get("private_person") is True
            if private:
                holder = self.placeholder(_key(entity.get("canonical") or entity["text"]))
                entity["canonical"] = holder
                if entity.get("entity_id"):
                    entity["entity_id"] = private_ids[entity["entity_id"]]
            else:
                entity["canonical"] = scrub(entity.get("canonical"))
            if keep_offsets:
                entity["text"] = holder if private else scrub(entity["text"])
            else:
                entity["start"], entity["end"] = remap.start(entity["start"]), remap.end(entity["end"])
                entity["text"] = remap.text[entity["start"] : entity["end"]]
        for event in out.get("events", []):
            for id_field, name_field in (("actor_id", "actor"), ("object_id", "object"), ("location_id", "location")):
                if event.get(id_field) in private_ids:
                    event[id_field] = private_ids[event[id_field]]
                event[name_field] = scrub(event.get(name_field))
            if keep_offsets:
                event["evidence"] = scrub(event.get("evidence"))
            else:
                was_slice = event.get("evidence") == text[event["start"] : event["end"]]
                event["start"], event["end"] = remap.start(event["start"]), remap.end(event["end"])
                if was_slice:
                    event["evidence"] = remap.text[event["start"] : event["end"]]
                else:
                    event["evidence"] = scrub(event.get("evidence"))
        # title, description and any other free-text field of the record (a summary, say) are scrubbed too
        for field_name, value in list(out.items()):
            if isinstance(value, str) and field_name not in NOT_SCRUBBED:
                out[field_name] = scrub(value)
        out["text"] = text if keep_offsets else remap.text
        return out


class _Remap:
    """The text with ``spans`` replaced, and old → new offsets (a boundary inside a span snaps to its edge)."""

    def __init__(self, text: str, spans: list[tuple[int, int, str]]) -> None:
        pieces: list[str] = []
        self._old: list[tuple[int, int]] = []
        self._new: list[tuple[int, int]] = []
        last = 0
        length = 0
        for start, end, replacement in spans:
            pieces.append(text[last:start])
            length += start - last
            pieces.append(replacement)
            self._old.append((start, end))
            self._new.append((length, length + len(replacement)))
            length += len(replacement)
            last = end
        pieces.append(text[last:])
        self.text = "".join(pieces)
        self._starts = [s for s, _ in self._old]

    def _map(self, pos: int, *, is_end: bool) -> int:
        i = bisect.bisect_right(self._starts, pos) - 1
        if i < 0:
            return pos
        old_start, old_end = self._old[i]
        new_start, new_end = self._new[i]
        if pos == old_start:
            return new_start
        if pos < old_end:
            return new_end if is_end else new_start
        return new_end + (pos - old_end)

    def start(self, pos: int) -> int:
        return self._map(pos, is_end=False)

    def end(self, pos: int) -> int:
        # an end exactly at a span's start stays before the replacement
        i = bisect.bisect_left(self._starts, pos)
        if i < len(self._starts) and self._starts[i] == pos:
            return self._new[i][0]
        return self._map(pos, is_end=True)


def release_record(record: dict[str, Any], mode: ReleaseMode, pseudonymiser: Pseudonymiser) -> dict[str, Any]:
    """The form of ``record`` that a release in ``mode`` publishes (the input is not modified)."""
    digest = text_sha256(record["text"])
    if mode == "full":
        out = copy.deepcopy(record)
    elif mode == "pseudonymised":
        out = pseudonymiser.apply(record)
    else:
        out = pseudonymiser.apply(record, keep_offsets=True)
        out["text"] = None
        out["description"] = None
        for event in out.get("events", []):
            event["evidence"] = ""
    out["text_sha256"] = digest
    return {name: out.get(name) for name in RELEASE_SCHEMA.names}
