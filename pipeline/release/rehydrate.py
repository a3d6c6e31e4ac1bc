"""Rehydration of a stand-off release: fetch every URL again through the polite crawler, re-extract, check the hash.

For each record of the chosen version: ``reproduced`` (the page is still served and its clean text has the
SHA-256 the release recorded: a full record is written, with the text, entity texts and evidence sentences),
``changed`` (served, but the text differs: the offsets would point at the wrong characters, so no record),
``gone`` (404/410, unreachable, timeouts) or ``refused`` (robots.txt, the private-address guard, allowed
domains, no URL to fetch). The report lists every record with its outcome and reason.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.config import Settings
from pipeline.errors import SurvnewsError
from pipeline.fetch import CrawlSettings, FetchError, normalize_url
from pipeline.records import RawInput
from pipeline.release.modes import RELEASE_SCHEMA, text_sha256

OUTCOMES = ("reproduced", "changed", "gone", "refused")
REFUSAL_MARKS = ("robots.txt", "private", "allowed domains", "crawl-delay", "crawl delay", "not allowed", "scheme")


class RehydrateError(SurvnewsError):
    pass


@dataclass
class RehydrateReport:
    version: str
    outcomes: Counter[str] = field(default_factory=Counter)
    items: list[dict[str, Any]] = field(default_factory=list)
    out: str = ""

    def add(self, record_id: str, url: str | None, outcome: str, reason: str) -> None:
        self.outcomes[outcome] += 1
        self.items.append({"id": record_id, "url": url, "outcome": outcome, "reason": reason})

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "out": self.out,
            "outcomes": {k: self.outcomes.get(k, 0) for k in OUTCOMES},
            "records": self.items,
        }


def _version_entry(folder: Path, version: str | None) -> dict[str, Any]:
    from pipeline.publish import parse_version, published_versions

    versions = published_versions(folder)
    if not versions:
        raise RehydrateError(f"{folder}: not a survnews release (no versions.json)")
    if version is None:
        entry = max(versions, key=lambda v: parse_version(v["version"]))
    else:
        found = [v for v in versions if v["version"] == version.lstrip("v")]
        if not found:
            raise RehydrateError(f"{folder}: no version {version}")
        entry = found[0]
    if entry.get("mode") != "standoff":
        raise RehydrateError(
            f"version {entry['version']} of {folder} is {entry.get('mode')}, not standoff: it has its text already"
        )
    return entry


def _classify(status: str | None, http_status: int | None, reason: str | None) -> tuple[str, str]:
    text = (reason or "").lower()
    if status is None:
        return "gone", "not fetched"
    if http_status in (401, 403, 451) or any(mark in text for mark in REFUSAL_MARKS):
        return "refused", reason or f"HTTP {http_status}"
    return "gone", reason or f"HTTP {http_status}"


def rehydrate(
    folder: Path,
    out: Path,
    settings: Settings,
    crawl_settings: CrawlSettings,
    *,
    version: str | None = None,
) -> RehydrateReport:
    """Rehydrate ``version`` (default: the newest) of the stand-off release in ``folder`` into ``out``."""
    from pipeline.crawl import crawl
    from pipeline.ingest import extract
    from pipeline.sources import UrlListSource
    from pipeline.store import Store

    entry = _version_entry(folder, version)
    report = RehydrateReport(version=entry["version"], out=str(out))
    out.mkdir(parents=True, exist_ok=True)
    splits: dict[str, list[dict[str, Any]]] = {}
    for split in entry["stats"]:
        rows: list[dict[str, Any]] = []
        for shard in sorted((folder / "data" / entry["version"]).glob(f"{split}-*.parquet")):
            rows += pq.read_table(shard).to_pylist()
        splits[split] = rows
    urls: dict[str, str] = {}
    for rows in splits.values():
        for record in rows:
            if record.get("url"):
                try:
                    urls[record["url"]] = normalize_url(record["url"])
                except FetchError:
                    continue
    with Store(out / "rehydrate.sqlite") as store:
        if urls:
            source = UrlListSource(type="urls", urls=sorted(set(urls.values())), name="rehydrate")
            crawl(store, [source], crawl_settings)
        for split, rows in splits.items():
            written: list[dict[str, Any]] = []
            for record in rows:
                full = _rehydrate_one(store, record, urls, settings, report, extract)
                if full is not None:
                    written.append(full)
            if written:
                data = out / "data"
                data.mkdir(exist_ok=True)
                tmp = data / f"{split}-00000-of-00001.parquet.tmp"
                pq.write_table(pa.Table.from_pylist(written, schema=RELEASE_SCHEMA), tmp)
                tmp.replace(data / f"{split}-00000-of-00001.parquet")
    (out / "report.json").write_text(json.dumps(report.to_dict(), indent=1), encoding="utf-8")
    return report


def _rehydrate_one(
    store: Any,
    record: dict[str, Any],
    urls: dict[str, str],
    settings: Settings,
    report: RehydrateReport,
    extract: Any,
) -> dict[str, Any] | None:
    url = record.get("url")
    if not url or url not in urls:
        report.add(record["id"], url, "refused", "no URL to fetch (a local file)")
        return None
    row = store.frontier_entry(urls[url])
    if row is None or row["status"] != "done" or not row["sha256"]:
        outcome, reason = _classify(
            None if row is None else row["status"], row and row["http_status"], row and row["reason"]
        )
        report.add(record["id"], url, outcome, reason)
        return None
    raw = RawInput(
        source=row["final_url"] or url,
        data=store.raw_data(row["sha256"]) or b"",
        kind="html",
        url=row["final_url"] or url,
    )
    try:
        extracted = extract(raw, settings)
    except Exception as exc:  # a page that no longer yields an article has changed
        report.add(record["id"], url, "changed", f"served, but no article extracted: {exc}")
        return None
    if text_sha256(extracted.text) != record["text_sha256"]:
        report.add(record["id"], url, "changed", "served, but the text differs from the released hash")
        return None
    text = extracted.text
    full = json.loads(json.dumps(record))
    full["text"] = text
    full["description"] = extracted.description
    for entity in full["entities"]:
        entity["text"] = text[entity["start"] : entity["end"]]
    for event in full.get("events") or []:
        event["evidence"] = text[event["start"] : event["end"]]
    report.add(record["id"], url, "reproduced", "text hash matches")
    return full
