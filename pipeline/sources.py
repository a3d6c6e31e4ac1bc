"""Crawl sources: ``[[sources]]`` entries (feeds, sitemaps, URL lists) and the parsers of feeds and sitemaps.

A source only says where article URLs are found. Parsing never reaches the network: feeds are parsed from bytes
by feedparser, sitemaps by lxml with entities and network access switched off.
"""

from __future__ import annotations

import calendar
import tomllib
import zlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any, Literal
from xml.sax import SAXException

import feedparser
from lxml import etree
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from pipeline.errors import ConfigError, RejectError, first_validation_error

MAX_DISCOVERY_BYTES = 50_000_000  # the sitemap protocol's own limit for one (uncompressed) sitemap


class _Source(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, description="a label shown in summaries")


class FeedSource(_Source):
    type: Literal["feed"]
    url: str


class SitemapSource(_Source):
    type: Literal["sitemap"]
    url: str


class UrlListSource(_Source):
    type: Literal["urls"]
    urls: list[str]


class UrlFileSource(_Source):
    type: Literal["url-file"]
    path: Path


AnySource = FeedSource | SitemapSource | UrlListSource | UrlFileSource
Source = Annotated[AnySource, Field(discriminator="type")]
_SOURCE_LIST: TypeAdapter[list[Source]] = TypeAdapter(list[Source])


def source_label(source: AnySource) -> str:
    if source.name:
        return source.name
    if isinstance(source, FeedSource | SitemapSource):
        return f"{source.type}:{source.url}"
    if isinstance(source, UrlFileSource):
        return f"url-file:{source.path}"
    return "urls"


def parse_sources(
    entries: Sequence[Mapping[str, Any] | BaseModel], base_dir: Path | None = None, where: str = "sources"
) -> list[AnySource]:
    """Validate ``[[sources]]`` entries; relative url-file paths are taken from ``base_dir``. ConfigError if bad."""
    raw = [e.model_dump() if isinstance(e, BaseModel) else dict(e) for e in entries]
    try:
        sources = _SOURCE_LIST.validate_python(raw)
    except ValidationError as exc:
        raise ConfigError(f"{where}.{first_validation_error(exc)}") from exc
    if base_dir is not None:
        for source in sources:
            if isinstance(source, UrlFileSource) and not source.path.is_absolute():
                source.path = base_dir / source.path
    return sources


def load_sources_file(path: Path) -> list[AnySource]:
    """``[[sources]]`` from a TOML file of its own (e.g. ``corpus/sources.toml``)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: sources file not found") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    unknown = set(data) - {"sources"}
    if unknown:
        raise ConfigError(f"{path}: only [[sources]] belongs here, not {sorted(unknown)}")
    return parse_sources(data.get("sources", []), base_dir=path.resolve().parent, where=str(path))


def read_url_file(path: Path) -> list[str]:
    """One URL a line; blank lines and ``#`` comments skipped. RejectError when the file cannot be read."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise RejectError("missing", "URL list file not found") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise RejectError("unreadable", f"cannot read URL list: {exc}") from exc
    return [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


# discovered links ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Link:
    """A URL found in a feed or sitemap, with the dates it came with (ISO ``YYYY-MM-DD`` or None)."""

    url: str
    kind: Literal["page", "sitemap"] = "page"
    published: str | None = None  # the publication date (feed pubDate, news:publication_date)
    modified: str | None = None  # last change (sitemap lastmod, Atom updated): bounds the publication from above
    title: str | None = None


def in_date_window(link: Link, since: date | None, until: date | None) -> bool:
    """False only when the link's dates prove it lies outside the window; unknown dates pass."""
    published = _as_date(link.published)
    modified = _as_date(link.modified)
    if since is not None:
        latest = published or modified  # never published later than it was last modified
        if latest is not None and latest < since:
            return False
    return until is None or published is None or published <= until


def _as_date(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def parse_feed(data: bytes, base_url: str) -> list[Link]:
    """Entries of an RSS or Atom feed. RejectError(malformed-feed) when it is neither."""
    if not data.strip():
        raise RejectError("malformed-feed", "feed is empty")
    parsed = feedparser.parse(data, response_headers={"content-location": base_url})
    if not parsed.entries:  # a valid feed may be empty: then it is well-formed and has a version
        problem = parsed.get("bozo_exception")
        if isinstance(problem, SAXException):
            raise RejectError("malformed-feed", f"not a readable RSS/Atom feed: {' '.join(str(problem).split())}")
        if not parsed.version:
            raise RejectError("malformed-feed", "not an RSS or Atom feed")
    links = []
    for entry in parsed.entries:
        url = entry.get("link") or _first_alternate(entry)
        if not url:
            continue
        links.append(
            Link(
                url=url,
                # dict.get: feedparser's own get() maps a missing updated_parsed to published_parsed, with a warning
                published=_struct_date(dict.get(entry, "published_parsed")),
                modified=_struct_date(dict.get(entry, "updated_parsed")),
                title=entry.get("title"),
            )
        )
    return links


def _first_alternate(entry: Any) -> str | None:
    for link in entry.get("links", []):
        if link.get("rel", "alternate") == "alternate" and link.get("href"):
            return str(link["href"])
    return None


def _struct_date(value: Any) -> str | None:
    if not value:
        return None
    return datetime.fromtimestamp(calendar.timegm(value), tz=UTC).date().isoformat()


_SITEMAP_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, huge_tree=False, remove_comments=True, remove_pis=True
)


def parse_sitemap(data: bytes, base_url: str) -> list[Link]:
    """URLs of a sitemap (``urlset``, incl. Google News tags), child sitemaps of a ``sitemapindex``, or a plain
    text sitemap (one URL a line). Gzipped sitemaps are unpacked. RejectError(malformed-sitemap) otherwise."""
    if data[:2] == b"\x1f\x8b":
        data = _gunzip(data)
    stripped = data.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not stripped:
        raise RejectError("malformed-sitemap", "sitemap is empty")
    if not stripped.startswith(b"<"):
        return _text_sitemap(stripped)
    try:
        root = etree.fromstring(stripped, parser=_SITEMAP_PARSER)
    except etree.XMLSyntaxError as exc:
        raise RejectError("malformed-sitemap", f"sitemap is not well-formed XML: {exc}") from exc
    kind = etree.QName(root).localname
    if kind not in ("urlset", "sitemapindex"):
        raise RejectError("malformed-sitemap", f"root element <{kind}> is neither <urlset> nor <sitemapindex>")
    child_kind: Literal["page", "sitemap"] = "page" if kind == "urlset" else "sitemap"
    links = []
    for item in root:
        if not isinstance(item.tag, str) or etree.QName(item).localname not in ("url", "sitemap"):
            continue
        fields = _child_texts(item)
        loc = fields.get("loc")
        if not loc:
            continue
        links.append(
            Link(
                url=loc,
                kind=child_kind,
                published=_iso_day(fields.get("publication_date")),
                modified=_iso_day(fields.get("lastmod")),
                title=fields.get("title"),
            )
        )
    if not links and len(root):
        raise RejectError("malformed-sitemap", f"<{kind}> has entries but none with a <loc>")
    return links


def _child_texts(element: Any) -> dict[str, str]:
    """Local name → text of all descendants (so news:news/news:publication_date is found too)."""
    found: dict[str, str] = {}
    for node in element.iter():
        if node is element or not isinstance(node.tag, str):
            continue
        name = etree.QName(node).localname
        text = (node.text or "").strip()
        if text and name not in found:
            found[name] = text
    return found


def _iso_day(value: str | None) -> str | None:
    if not value:
        return None
    day = value.strip()[:10]
    try:
        return date.fromisoformat(day).isoformat()
    except ValueError:
        return None


def _text_sitemap(data: bytes) -> list[Link]:
    lines = [line.strip() for line in data.decode("utf-8", errors="replace").splitlines() if line.strip()]
    if not lines or not all(line.startswith(("http://", "https://")) for line in lines):
        raise RejectError("malformed-sitemap", "neither an XML sitemap nor a list of http(s) URLs")
    return [Link(url=line) for line in lines]


def _gunzip(data: bytes) -> bytes:
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(data, MAX_DISCOVERY_BYTES + 1)
    except zlib.error as exc:
        raise RejectError("malformed-sitemap", f"gzipped sitemap is corrupt: {exc}") from exc
    if len(out) > MAX_DISCOVERY_BYTES:
        raise RejectError("too-large", f"sitemap decompresses to over {MAX_DISCOVERY_BYTES:,} bytes")
    if not inflater.eof:
        raise RejectError("malformed-sitemap", "gzipped sitemap is corrupt or cut off")
    return out


def iter_source_urls(source: UrlListSource | UrlFileSource) -> Iterator[str]:
    if isinstance(source, UrlListSource):
        yield from source.urls
    else:
        yield from read_url_file(source.path)
