"""Sources config and the feed / sitemap parsers (no network: bytes in, links out)."""

from __future__ import annotations

import gzip
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from pipeline.errors import ConfigError, RejectError
from pipeline.sources import (
    FeedSource,
    Link,
    UrlFileSource,
    in_date_window,
    load_sources_file,
    parse_feed,
    parse_sitemap,
    parse_sources,
    read_url_file,
)

RSS = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><link>https://n.example/</link>
<description>d</description>
<item><title>One</title><link>https://n.example/2024/one</link><pubDate>Tue, 02 Jul 2024 08:00:00 +0200</pubDate></item>
<item><title>No link</title><description>skipped</description></item>
</channel></rss>"""

ATOM = b"""<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://a.example/news/">
<title>A</title><id>tag:a</id><updated>2024-07-03T00:00:00Z</updated>
<entry><title>Two</title><id>tag:a:2</id><link rel="alternate" href="two.html"/><updated>2024-07-03T10:00:00Z</updated>
<published>2024-07-01T10:00:00Z</published></entry></feed>"""


def test_feeds_rss_and_atom() -> None:
    assert parse_feed(RSS, "https://n.example/feed") == [
        Link("https://n.example/2024/one", published="2024-07-02", modified=None, title="One")
    ]
    (entry,) = parse_feed(ATOM, "https://a.example/feed.atom")
    assert entry.url == "https://a.example/news/two.html"
    assert (entry.published, entry.modified) == ("2024-07-01", "2024-07-03")


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b"", "empty"),
        (b"<<< not xml & not a feed", "not a readable RSS/Atom feed"),
        (b"<html><body><p>a web page</p></body></html>", "not an RSS or Atom feed"),
    ],
)
def test_malformed_feeds(data: bytes, fragment: str) -> None:
    with pytest.raises(RejectError) as info:
        parse_feed(data, "https://n.example/feed")
    assert info.value.code == "malformed-feed" and fragment in str(info.value)


URLSET = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
<url><loc>https://n.example/a</loc><lastmod>2024-07-05T12:00:00+00:00</lastmod></url>
<url><loc>https://n.example/b</loc><news:news><news:publication><news:name>N</news:name><news:language>en</news:language>
</news:publication><news:publication_date>2024-07-04</news:publication_date><news:title>B</news:title></news:news></url>
</urlset>"""


def test_sitemaps_urlset_index_gzip_and_text() -> None:
    links = parse_sitemap(URLSET, "https://n.example/sitemap.xml")
    assert links == [
        Link("https://n.example/a", "page", None, "2024-07-05", None),
        Link("https://n.example/b", "page", "2024-07-04", None, "B"),
    ]
    assert parse_sitemap(gzip.compress(URLSET), "https://n.example/sitemap.xml.gz") == links
    index = (
        b'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><sitemap>'
        b"<loc>https://n.example/s1.xml</loc><lastmod>2023-01-01</lastmod></sitemap></sitemapindex>"
    )
    assert parse_sitemap(index, "https://n.example/i.xml") == [
        Link("https://n.example/s1.xml", "sitemap", None, "2023-01-01", None)
    ]
    assert [link.url for link in parse_sitemap(b"https://n.example/x\nhttps://n.example/y\n", "u")] == [
        "https://n.example/x",
        "https://n.example/y",
    ]


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b"<urlset><url><loc>x</loc></url", "not well-formed XML"),
        (b"<rss><channel/></rss>", "neither <urlset> nor <sitemapindex>"),
        (b"just some words\nnot urls", "neither an XML sitemap nor a list"),
        (b"\x1f\x8b\x08\x00garbage", "gzipped sitemap is corrupt"),
        (
            b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><lastmod>2024-01-01</lastmod></url></urlset>',
            "none with a <loc>",
        ),
    ],
)
def test_malformed_sitemaps(data: bytes, fragment: str) -> None:
    with pytest.raises(RejectError) as info:
        parse_sitemap(data, "https://n.example/sitemap.xml")
    assert info.value.code == "malformed-sitemap" and fragment in str(info.value)


def test_sitemap_entities_are_not_expanded() -> None:
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE u [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">'
        b'<!ENTITY c SYSTEM "file:///etc/hostname">]>'
        b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>https://n.example/&b;&c;</loc>'
        b"</url></urlset>"
    )
    links = parse_sitemap(laughs, "u")
    assert all("aaaa" not in link.url for link in links)  # neither expanded nor read from the file system


def test_date_window() -> None:
    since, until = date(2024, 1, 1), date(2024, 6, 30)
    assert not in_date_window(Link("u", published="2023-12-31"), since, until)
    assert not in_date_window(Link("u", published="2024-07-01"), since, until)
    assert in_date_window(Link("u", published="2024-03-01"), since, until)
    assert not in_date_window(Link("u", modified="2023-05-01"), since, until)  # last changed before the window
    assert in_date_window(Link("u", modified="2024-09-01"), since, until)  # may have been published earlier
    assert in_date_window(Link("u"), since, until)  # unknown dates are fetched, then judged by the page


def test_sources_config(tmp_path: Path) -> None:
    entries: list[dict[str, Any]] = [
        {"type": "feed", "url": "https://n.example/rss"},
        {"type": "url-file", "path": "urls.txt"},
        {"type": "urls", "urls": ["https://n.example/a"], "name": "hand-picked"},
    ]
    sources = parse_sources(entries, base_dir=tmp_path)
    assert isinstance(sources[0], FeedSource)
    assert isinstance(sources[1], UrlFileSource) and sources[1].path == tmp_path / "urls.txt"
    with pytest.raises(ConfigError, match=r"sources\.0"):
        parse_sources([{"type": "podcast", "url": "x"}])
    with pytest.raises(ConfigError, match=r"sources\.0\.feed\.url: Field required"):
        parse_sources([{"type": "feed", "urls": ["x"]}])
    file = tmp_path / "sources.toml"
    file.write_text(
        '[[sources]]\ntype = "sitemap"\nurl = "https://n.example/news-sitemap.xml"\n'
        '[[sources]]\ntype = "url-file"\npath = "lists/urls.txt"\n'
    )
    loaded = load_sources_file(file)
    assert loaded[1].path == tmp_path / "lists" / "urls.txt"  # type: ignore[union-attr]
    file.write_text("[crawl]\nx = 1\n")
    with pytest.raises(ConfigError, match="only"):
        load_sources_file(file)
    with pytest.raises(ConfigError, match="not found"):
        load_sources_file(tmp_path / "none.toml")


def test_url_file(tmp_path: Path) -> None:
    path = tmp_path / "urls.txt"
    path.write_text("# comment\nhttps://n.example/a\n\n  https://n.example/b  \n")
    assert read_url_file(path) == ["https://n.example/a", "https://n.example/b"]
    with pytest.raises(RejectError, match="not found"):
        read_url_file(tmp_path / "missing.txt")
