"""Build ``samples.gold.jsonl``: every mention of every annotated entity, with exact offsets.

The texts and the document-level entity lists come from ``corpus/samples/expected.json``; this script only
adds the short forms annotators use for later mentions ("the Met", "Orlov") and finds every occurrence.
Longer surface forms win, so "Kunming Public Security Bureau" is one ACTOR span, not an ACTOR around a LOCATION.

Run: ``python corpus/gold/make_gold.py`` (rewrites the gold file and checks it).
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
EXPECTED = HERE.parent / "samples" / "expected.json"
GOLD = HERE / "samples.gold.jsonl"

# Sample key (relative to corpus/samples) -> gold id.
GOLD_DOCS: dict[str, str] = {
    "text/kunming-health-code-petitioners.txt": "kunming-health-code-petitioners",
    "text/moscow-metro-face-recognition-memorial.txt": "moscow-metro-face-recognition-memorial",
    "text/victoria-police-location-data-broker.txt": "victoria-police-location-data-broker",
    "text/cleveland-gunshot-detection-expansion.txt": "cleveland-gunshot-detection-expansion",
    "html/met-police-facial-recognition-croydon.html": "met-police-facial-recognition-croydon",
    "html/nairobi-protests-imsi-catchers.html": "nairobi-protests-imsi-catchers",
}

# Gold id -> canonical entity text -> further surface forms that refer to the same entity.
ALIASES: dict[str, dict[str, list[str]]] = {
    "met-police-facial-recognition-croydon": {"Metropolitan Police": ["Met"], "Daniel Osei": ["Daniel"]},
    "kunming-health-code-petitioners": {"Li Fang": ["Li"]},
    "moscow-metro-face-recognition-memorial": {"Pavel Orlov": ["Orlov"]},
}

ATTRIBUTES = ("actor_type", "category", "country", "private_person")


def find_mentions(text: str, entities: list[dict[str, Any]], aliases: dict[str, list[str]]) -> list[dict[str, Any]]:
    """All non-overlapping whole-word mentions, longest surface form first."""
    forms: list[tuple[str, dict[str, Any]]] = []
    for entity in entities:
        forms.append((entity["text"], entity))
        forms.extend((alias, entity) for alias in aliases.get(entity["text"], []))
    forms.sort(key=lambda form: -len(form[0]))
    taken = [False] * len(text)
    spans: list[dict[str, Any]] = []
    for surface, entity in forms:
        for match in re.finditer(rf"(?<!\w){re.escape(surface)}(?!\w)", text):
            start, end = match.span()
            if any(taken[start:end]):
                continue
            taken[start:end] = [True] * (end - start)
            span: dict[str, Any] = {"start": start, "end": end, "text": surface, "label": entity["label"]}
            span.update({key: entity[key] for key in ATTRIBUTES if key in entity})
            spans.append(span)
    return sorted(spans, key=lambda span: span["start"])


def check(record: dict[str, Any], entities: list[dict[str, Any]]) -> list[str]:
    """Problems with one gold record: offsets that do not match, overlaps, entities never mentioned."""
    problems: list[str] = []
    text: str = record["text"]
    previous_end = -1
    for span in record["entities"]:
        if text[span["start"] : span["end"]] != span["text"]:
            problems.append(f"{record['id']}: span {span} does not match the text")
        if span["start"] < previous_end:
            problems.append(f"{record['id']}: span {span} overlaps the previous one")
        previous_end = span["end"]
    mentioned = {span["text"] for span in record["entities"]}
    problems.extend(f"{record['id']}: {e['text']!r} never found" for e in entities if e["text"] not in mentioned)
    return problems


def main() -> int:
    expected: dict[str, dict[str, Any]] = json.loads(EXPECTED.read_text(encoding="utf-8"))
    lines: list[str] = []
    problems: list[str] = []
    for key, doc_id in GOLD_DOCS.items():
        sample = expected[key]
        text: str = sample["clean_text"]
        record = {
            "id": doc_id,
            "text": text,
            "entities": find_mentions(text, sample["entities"], ALIASES.get(doc_id, {})),
        }
        problems.extend(check(record, sample["entities"]))
        lines.append(json.dumps(record, ensure_ascii=False))
    if problems:
        print("\n".join(problems), file=sys.stderr)
        return 1
    GOLD.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {len(lines)} documents to {GOLD}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
