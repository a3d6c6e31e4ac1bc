"""Licences per source: ``[[licenses]]`` in survnews.toml names the licence of a domain's or a folder's articles.

A record's source is the host of its URL (``www.`` dropped), or ``local:<folder>`` for a local file. A source
with no ``[[licenses]]`` entry has the licence ``unknown``, which, like "all rights reserved", forbids
redistributing the text: ``full`` mode is refused for such records unless forced.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

UNKNOWN = "unknown"
NOT_REDISTRIBUTABLE = frozenset({"all rights reserved", "unknown", "proprietary", "none"})

# licence ids the Hugging Face Hub knows (https://huggingface.co/docs/hub/repositories-licenses), by SPDX id
HUB_LICENSES = {
    "cc0-1.0": "cc0-1.0",
    "cc-by-4.0": "cc-by-4.0",
    "cc-by-sa-4.0": "cc-by-sa-4.0",
    "cc-by-nc-4.0": "cc-by-nc-4.0",
    "cc-by-nc-sa-4.0": "cc-by-nc-sa-4.0",
    "cc-by-nd-4.0": "cc-by-nd-4.0",
    "cc-by-nc-nd-4.0": "cc-by-nc-nd-4.0",
    "cc-by-3.0": "cc-by-3.0",
    "cc-by-sa-3.0": "cc-by-sa-3.0",
    "cc-by-2.0": "cc-by-2.0",
    "mit": "mit",
    "apache-2.0": "apache-2.0",
    "odc-by": "odc-by",
    "odbl": "odbl",
    "pddl": "pddl",
    "gfdl": "gfdl",
    "unlicense": "unlicense",
}


class LicenseRule(Protocol):
    domain: str | None
    path: str | None
    license: str
    redistributable: bool | None


@dataclass(frozen=True)
class SourceLicense:
    source: str
    license: str
    redistributable: bool


def source_of(record: dict[str, Any]) -> str:
    url = record.get("url")
    if url:
        host = (urlsplit(url).hostname or "").lower()
        return host[4:] if host.startswith("www.") else host or url
    path = record.get("source_path")
    if path:
        return f"local:{Path(path).parent.name or Path(path).name}"
    return "unknown"


def _domain_matches(host: str, domain: str) -> bool:
    domain = domain.lower().lstrip(".")
    domain = domain[4:] if domain.startswith("www.") else domain
    return host == domain or host.endswith("." + domain)


def _path_matches(path: str, folder: str) -> bool:
    try:
        return Path(path).resolve().is_relative_to(Path(folder).resolve())
    except (OSError, ValueError):
        return False


def redistributable(license_id: str, explicit: bool | None = None) -> bool:
    if explicit is not None:
        return explicit
    return license_id.strip().casefold() not in NOT_REDISTRIBUTABLE


def license_of(record: dict[str, Any], rules: list[Any]) -> SourceLicense:
    """The first ``[[licenses]]`` rule that matches the record's URL host or local path."""
    source = source_of(record)
    url, path = record.get("url"), record.get("source_path")
    host = (urlsplit(url).hostname or "").lower() if url else ""
    host = host[4:] if host.startswith("www.") else host
    for rule in rules:
        if (rule.domain and host and _domain_matches(host, rule.domain)) or (
            rule.path and path and _path_matches(path, rule.path)
        ):
            return SourceLicense(source, rule.license, redistributable(rule.license, rule.redistributable))
    return SourceLicense(source, UNKNOWN, False)


def hub_license(licenses: set[str]) -> str | None:
    """The Hub licence id when every source shares one the Hub knows, else None (the card says ``other``)."""
    if len(licenses) != 1:
        return None
    return HUB_LICENSES.get(next(iter(licenses)).casefold())
