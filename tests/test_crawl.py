"""The crawler against real HTTP servers on 127.0.0.1: a polite news site, a site full of faults, resume after kill -9.

The servers are ``http.server`` servers in threads of the test process (the kill test runs the crawler in a
subprocess). They serve the sample corpus, our own pages under ``tests/data/site`` and, when ``../shared`` is
there, real pages of the extraction benchmark; feeds and sitemaps listing them are built from the files served.
"""

from __future__ import annotations

import gzip
import hashlib
import itertools
import json
import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from warcio.archiveiterator import ArchiveIterator

from pipeline.crawl import CrawlSummary, crawl
from pipeline.fetch import CrawlSettings
from pipeline.sources import AnySource, FeedSource, SitemapSource, UrlFileSource, UrlListSource
from pipeline.store import Store
from pipeline.warc import iter_warc_items

ROOT = Path(__file__).resolve().parents[1]
SITE = Path(__file__).resolve().parent / "data" / "site"
SAMPLES = sorted((ROOT / "corpus" / "samples" / "html").glob("*.html"))
SHARED_HTML = ROOT.parent / "shared" / "eval" / "extraction-benchmark" / "html"
USER_AGENT = "survnews-test/1.0 (+mailto:crawler-tests@example.org)"


def _can_ingest() -> bool:
    try:
        import pipeline.extract
        import pipeline.relevance  # noqa: F401
    except ImportError:
        return False
    return True


CAN_INGEST = _can_ingest()


# the test servers ---------------------------------------------------------------------------------------------------


@dataclass
class Hit:
    at: float
    path: str
    headers: dict[str, str]


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    # a generator of body pieces with pauses, for endless / slow responses (no Content-Length unless set)
    stream: Callable[[BaseHTTPRequestHandler], None] | None = None
    delay: float = 0.0


class QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # the crawler hangs up on bombs and endless bodies on purpose


class InFlight:
    """Requests being answered at once, across the sites that share this counter."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.now = 0
        self.max = 0

    def enter(self) -> None:
        with self.lock:
            self.now += 1
            self.max = max(self.max, self.now)

    def leave(self) -> None:
        with self.lock:
            self.now -= 1


class Site:
    """A tiny web site: a route table, a request log and an in-flight counter."""

    def __init__(self, robots: str | None = None, group: InFlight | None = None) -> None:
        self.group = group or InFlight()
        self.routes: dict[str, Callable[[Site], Response]] = {}
        self.hits: list[Hit] = []
        self.counts: dict[str, int] = {}
        self.lock = threading.Lock()
        self.in_flight = 0
        self.max_in_flight = 0
        self.robots = robots
        self.server = QuietServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def route(self, path: str, make: Callable[[Site], Response] | Response | bytes) -> None:
        if isinstance(make, bytes):
            body = make
            self.routes[path] = lambda site: Response(body=body, headers={"Content-Type": "text/html; charset=utf-8"})
        elif isinstance(make, Response):
            fixed = make
            self.routes[path] = lambda site: fixed
        else:
            self.routes[path] = make

    def count(self, path: str) -> int:
        return self.counts.get(path, 0)

    def paths(self) -> list[str]:
        return [h.path for h in self.hits]

    def start(self) -> Site:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                # headers and body are two writes: without this, Nagle + delayed ACK stall each answer ~40 ms
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

            def do_GET(self) -> None:
                with site.lock:
                    site.hits.append(Hit(time.monotonic(), self.path, dict(self.headers.items())))
                    site.counts[self.path] = site.counts.get(self.path, 0) + 1
                    site.in_flight += 1
                    site.max_in_flight = max(site.max_in_flight, site.in_flight)
                site.group.enter()
                try:
                    self._answer()
                except (BrokenPipeError, ConnectionResetError):
                    pass
                finally:
                    site.group.leave()
                    with site.lock:
                        site.in_flight -= 1

            def _answer(self) -> None:
                if self.path == "/robots.txt" and site.robots is not None and "/robots.txt" not in site.routes:
                    response = Response(body=site.robots.encode(), headers={"Content-Type": "text/plain"})
                elif self.path in site.routes:
                    response = site.routes[self.path](site)
                else:
                    response = Response(404, b"<html><body>not here</body></html>", {"Content-Type": "text/html"})
                if response.delay:
                    time.sleep(response.delay)
                etag = response.headers.get("ETag")
                if etag and self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(response.status)
                for name, value in response.headers.items():
                    self.send_header(name, value)
                if response.stream is not None:
                    self.send_header("Connection", "close")
                    self.end_headers()
                    self.close_connection = True
                    response.stream(self)
                    return
                if "Content-Length" not in response.headers:
                    self.send_header("Content-Length", str(len(response.body)))
                self.end_headers()
                self.wfile.write(response.body)

        return Handler


def page(body: bytes, *, etag: bool = True, status: int = 200) -> Response:
    headers = {"Content-Type": "text/html; charset=utf-8", "Last-Modified": formatdate(1_700_000_000, usegmt=True)}
    if etag:
        headers["ETag"] = '"' + hashlib.sha1(body).hexdigest() + '"'
    return Response(status, body, headers)


def xml(body: bytes, content_type: str = "application/xml") -> Response:
    return Response(200, body, {"Content-Type": content_type, "ETag": '"' + hashlib.sha1(body).hexdigest() + '"'})


def rss(base: str, paths: list[str]) -> bytes:
    items = "".join(
        f"<item><title>Item {i}</title><link>{base}{p}</link><guid>{base}{p}</guid>"
        f"<pubDate>Mon, 0{1 + i % 9} Jul 2024 10:00:00 GMT</pubDate></item>"
        for i, p in enumerate(paths)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Test news</title>'
        f"<link>{base}/</link><description>test</description>{items}</channel></rss>"
    ).encode()


def atom(base: str, paths: list[str]) -> bytes:
    entries = "".join(
        f'<entry><title>Entry {i}</title><id>tag:test,2024:{i}</id><link href="{p}"/>'
        f"<updated>2024-07-0{1 + i % 9}T10:00:00Z</updated></entry>"
        for i, p in enumerate(paths)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom" '
        f'xml:base="{base}/"><title>Test news</title><id>tag:test,2024:feed</id>'
        f"<updated>2024-07-09T10:00:00Z</updated>{entries}</feed>"
    ).encode()


def urlset(base: str, entries: list[tuple[str, str | None]]) -> bytes:
    """Entries are (path, publication date or None), written with the Google News extension."""
    urls = []
    for path, published in entries:
        news = (
            f"<news:news><news:publication><news:name>Test</news:name><news:language>en</news:language>"
            f"</news:publication><news:publication_date>{published}</news:publication_date>"
            f"<news:title>t</news:title></news:news>"
            if published
            else ""
        )
        urls.append(f"<url><loc>{base}{path}</loc>{news}</url>")
    return (
        '<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">' + "".join(urls) + "</urlset>"
    ).encode()


def sitemap_index(base: str, paths: list[str]) -> bytes:
    items = "".join(f"<sitemap><loc>{base}{p}</loc><lastmod>2024-07-09</lastmod></sitemap>" for p in paths)
    return (
        '<?xml version="1.0" encoding="UTF-8"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        + items
        + "</sitemapindex>"
    ).encode()


OWN = {p.name: p.read_bytes() for p in sorted((SITE / "own").glob("*.html"))}
CANAL = "canal-district-camera-audit.html"
LIBRARY = "library-wifi-logging.html"
PORT = "port-authority-drone-contract.html"


def news_site() -> Site:
    """The polite site: robots.txt with a Crawl-delay and a disallowed folder, feeds and sitemaps."""
    site = Site(robots=(SITE / "robots.txt").read_text())
    base = site.base
    listed = [f"/news/{p.name}" for p in SAMPLES[2:]]
    for p in SAMPLES[2:]:
        site.route(f"/news/{p.name}", page(p.read_bytes()))
    for name, body in OWN.items():
        site.route(f"/own/{name}", page(body))
    site.route("/private/staff-rota.html", page((SITE / "private" / "staff-rota.html").read_bytes()))
    half = len(listed) // 2
    site.route(
        "/feed.xml",
        xml(rss(base, [*listed[:half], "/private/staff-rota.html", f"/own/{CANAL}"]), "application/rss+xml"),
    )
    site.route("/atom.xml", xml(atom(base, listed[half - 1 :]), "application/atom+xml"))  # one overlap
    site.route("/sitemap.xml", xml(sitemap_index(base, ["/sitemap-news.xml", "/sitemap-more.xml.gz"])))
    site.route(
        "/sitemap-news.xml",
        xml(urlset(base, [(f"/own/{CANAL}", "2024-05-14"), (f"/own/{PORT}", "2024-09-02"), (f"/own/{LIBRARY}", None)])),
    )
    more = gzip.compress(urlset(base, [("/moved.html", None), (f"/own/{PORT}", None)]), mtime=0)
    site.route("/sitemap-more.xml.gz", xml(more, "application/x-gzip"))
    site.route("/moved.html", Response(301, b"", {"Location": f"/own/{PORT}"}))
    return site.start()


def fault_site(articles: tuple[bytes, bytes]) -> Site:
    """Every fault the crawler must turn into a clear reject without stopping."""
    site = Site(robots="User-agent: *\nAllow: /\n")
    flaky, busy = articles

    def first_then(status: int, body: bytes, path: str, headers: dict[str, str]) -> Callable[[Site], Response]:
        def make(s: Site) -> Response:
            if s.count(path) <= 1:
                busy_page = b"<html><body>try later</body></html>"
                return Response(status, busy_page, {"Content-Type": "text/html", **headers})
            return page(body)

        return make

    def endless(handler: BaseHTTPRequestHandler) -> None:
        chunk = b"<p>" + b"more " * 2000 + b"</p>\n"
        stop = time.monotonic() + 5  # bounded: the crawler cuts it off long before
        while time.monotonic() < stop:
            handler.wfile.write(chunk)

    def drip(handler: BaseHTTPRequestHandler) -> None:
        stop = time.monotonic() + 4
        while time.monotonic() < stop:
            handler.wfile.write(b"<")
            handler.wfile.flush()
            time.sleep(0.1)

    bomb = gzip.compress(b"<html><body>" + b"\0" * 30_000_000, compresslevel=9, mtime=0)
    site.route("/missing.html", Response(404, b"<html><body>gone</body></html>", {"Content-Type": "text/html"}))
    site.route("/flaky.html", first_then(500, flaky, "/flaky.html", {}))
    site.route("/busy.html", first_then(429, busy, "/busy.html", {"Retry-After": "1"}))
    site.route("/slow.html", Response(200, b"<html>late</html>", {"Content-Type": "text/html"}, delay=3.0))
    site.route("/loop-a.html", Response(302, b"", {"Location": "/loop-b.html"}))
    site.route("/loop-b.html", Response(302, b"", {"Location": "/loop-a.html"}))
    for n in range(8):
        site.route(f"/hop/{n}.html", Response(302, b"", {"Location": f"/hop/{n + 1}.html"}))
    site.route(
        "/huge.html",
        Response(200, b"", {"Content-Type": "text/html", "Content-Length": "5000000"}, stream=lambda h: None),
    )
    site.route("/endless.html", Response(200, headers={"Content-Type": "text/html"}, stream=endless))
    site.route("/drip.html", Response(200, headers={"Content-Type": "text/html"}, stream=drip))
    site.route("/image.html", Response(200, b"\x89PNG\r\n\x1a\n" + b"\0" * 100, {"Content-Type": "image/png"}))
    site.route("/bomb.html", Response(200, bomb, {"Content-Type": "text/html", "Content-Encoding": "gzip"}))
    site.route("/bad-feed.xml", xml((SITE / "bad-feed.xml").read_bytes()))
    site.route("/bad-sitemap.xml", xml((SITE / "bad-sitemap.xml").read_bytes()))
    site.route("/to-private.html", Response(302, b"", {"Location": f"http://127.0.0.2:{site.port}/own/x.html"}))
    return site.start()


def test_settings(**overrides: Any) -> CrawlSettings:
    values: dict[str, Any] = {
        "user_agent": USER_AGENT,
        "per_host_delay_s": 0.0,
        "per_host_concurrency": 3,
        "global_concurrency": 6,
        "connect_timeout_s": 1.0,
        "read_timeout_s": 1.0,  # the slow page answers after 3 s
        "max_fetch_s": 2.5,  # the drip page would take 4 s
        "max_bytes": 300_000,
        "max_redirects": 3,
        "retries": 2,
        "backoff_base_s": 0.05,
        "max_retry_after_s": 5.0,
        "allowed_private_networks": ["127.0.0.1/32"],
    }
    values.update(overrides)
    return CrawlSettings(**values)


test_settings.__test__ = False  # type: ignore[attr-defined]  # a helper, not a test


@pytest.fixture(scope="module")
def sites() -> Iterator[tuple[Site, Site]]:
    if len(SAMPLES) < 4:
        pytest.skip("corpus/samples/html holds fewer than 4 sample pages")
    news = news_site()
    faults = fault_site((SAMPLES[0].read_bytes(), SAMPLES[1].read_bytes()))
    yield news, faults
    news.stop()
    faults.stop()


@dataclass
class CrawlResult:
    store_path: Path
    summary: CrawlSummary
    rejects: dict[str, str]
    raw_urls: set[str]
    news_hits: list[Hit]  # the requests of this crawl only (later tests use the same servers)
    fault_hits: list[Hit]


def count(hits: list[Hit], path: str) -> int:
    return sum(1 for h in hits if h.path == path)


@pytest.fixture(scope="module")
def full_crawl(sites: tuple[Site, Site], tmp_path_factory: pytest.TempPathFactory) -> CrawlResult:
    """One crawl of everything: feeds, sitemaps and a URL list (with the faults), then ingest when available."""
    news, faults = sites
    folder = tmp_path_factory.mktemp("crawl")
    url_file = folder / "urls.txt"
    fault_paths = [
        "/missing.html",
        "/flaky.html",
        "/busy.html",
        "/slow.html",
        "/loop-a.html",
        "/hop/0.html",
        "/huge.html",
        "/endless.html",
        "/drip.html",
        "/image.html",
        "/bomb.html",
        "/to-private.html",
    ]
    url_file.write_text(
        "# faults\n"
        + "".join(f"{faults.base}{p}\n" for p in fault_paths)
        + f"http://127.0.0.2:{faults.port}/own/x.html\nftp://127.0.0.1/file.html\n\n"
        + f"{news.base}/news/{SAMPLES[2].name}#comments\n"  # same page as listed in a feed, fragment dropped
    )
    sources: list[AnySource] = [
        FeedSource(type="feed", url=f"{news.base}/feed.xml"),
        FeedSource(type="feed", url=f"{news.base}/atom.xml"),
        SitemapSource(type="sitemap", url=f"{news.base}/sitemap.xml"),
        UrlFileSource(type="url-file", path=url_file),
        FeedSource(type="feed", url=f"{faults.base}/bad-feed.xml"),
        SitemapSource(type="sitemap", url=f"{faults.base}/bad-sitemap.xml"),
    ]
    ingest_settings = None
    if CAN_INGEST:
        from pipeline.config import Settings

        ingest_settings = Settings()
    store_path = folder / "store.sqlite"
    news_start, faults_start = len(news.hits), len(faults.hits)
    with Store(store_path) as store:
        summary = crawl(store, sources, test_settings(), ingest_settings=ingest_settings)
        rejects = {r["item"]: r["reason"] for r in store.rejects() if r["stage"] == "fetch"}
        raw_urls = {row[0] for row in store.db.execute("SELECT url FROM raw")}
    return CrawlResult(store_path, summary, rejects, raw_urls, news.hits[news_start:], faults.hits[faults_start:])


def test_every_fault_ends_as_a_clear_reject(full_crawl: CrawlResult, sites: tuple[Site, Site]) -> None:
    news, faults = sites
    expected = {
        f"{faults.base}/missing.html": "HTTP 404",
        f"{faults.base}/slow.html": "read timeout",
        f"{faults.base}/loop-a.html": "redirect loop",
        f"{faults.base}/hop/0.html": "more than 3 redirects",
        f"{faults.base}/huge.html": "Content-Length 5,000,000 bytes is over the 300,000-byte limit",
        f"{faults.base}/endless.html": "over the 300,000-byte limit (cut off)",
        f"{faults.base}/drip.html": "not complete after 2.5 s",
        f"{faults.base}/image.html": "content type image/png is not HTML",
        f"{faults.base}/bomb.html": "decompresses to over the 300,000-byte limit",
        f"{faults.base}/bad-feed.xml": "RSS/Atom feed",
        f"{faults.base}/bad-sitemap.xml": "not well-formed XML",
        f"{faults.base}/to-private.html": "127.0.0.2 is a private, loopback or link-local address",
        f"http://127.0.0.2:{faults.port}/own/x.html": "private, loopback or link-local",
        "ftp://127.0.0.1/file.html": "only http(s)",
        f"{news.base}/private/staff-rota.html": "disallowed by robots.txt",
    }
    for url, fragment in expected.items():
        assert url in full_crawl.rejects, f"no reject for {url}"
        assert fragment in full_crawl.rejects[url], (url, full_crawl.rejects[url])
        assert "\n" not in full_crawl.rejects[url]
    assert "(after 3 attempts)" in full_crawl.rejects[f"{faults.base}/slow.html"]
    assert set(full_crawl.rejects) == set(expected), "unexpected rejects: " + str(
        {k: v for k, v in full_crawl.rejects.items() if k not in expected}
    )


def test_transient_errors_are_retried_and_stored(full_crawl: CrawlResult, sites: tuple[Site, Site]) -> None:
    _, faults = sites
    hits = full_crawl.fault_hits
    assert count(hits, "/flaky.html") == 2  # 500, then 200
    assert count(hits, "/busy.html") == 2  # 429, then 200
    busy = [h.at for h in hits if h.path == "/busy.html"]
    assert busy[1] - busy[0] >= 0.95, "Retry-After: 1 was not honoured"
    assert count(hits, "/slow.html") == 3  # retries = 2
    assert {f"{faults.base}/flaky.html", f"{faults.base}/busy.html"} <= full_crawl.raw_urls


def test_everything_listed_is_stored_once(full_crawl: CrawlResult, sites: tuple[Site, Site]) -> None:
    news, faults = sites
    expected = {f"{news.base}/news/{p.name}" for p in SAMPLES[2:]}
    expected |= {f"{news.base}/own/{name}" for name in OWN}
    expected |= {f"{faults.base}/flaky.html", f"{faults.base}/busy.html"}
    assert full_crawl.raw_urls == expected
    for path in [f"/news/{p.name}" for p in SAMPLES[2:]] + [f"/own/{n}" for n in OWN]:
        assert count(full_crawl.news_hits, path) == 1, f"{path} fetched {count(full_crawl.news_hits, path)} times"
    assert count(full_crawl.news_hits, "/moved.html") == 1
    assert full_crawl.summary.pages_stored == len(expected)
    assert full_crawl.summary.feeds_read == 2 and full_crawl.summary.sitemaps_read == 3


def test_robots_and_politeness(full_crawl: CrawlResult) -> None:
    news_hits, fault_hits = full_crawl.news_hits, full_crawl.fault_hits
    assert count(news_hits, "/robots.txt") == 1 and count(fault_hits, "/robots.txt") == 1
    assert not any(h.path.startswith("/private/") for h in news_hits)
    starts = [h.at for h in news_hits]
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert min(gaps) >= 0.15 - 0.02, f"Crawl-delay 0.15 not kept: smallest gap {min(gaps):.3f} s"
    assert all(h.headers.get("User-Agent") == USER_AGENT for h in news_hits + fault_hits)
    assert all("gzip" in h.headers.get("Accept-Encoding", "") for h in news_hits)


def test_every_response_is_kept_as_warc(full_crawl: CrawlResult, sites: tuple[Site, Site]) -> None:
    news, faults = sites
    files = [Path(p) for p in full_crawl.summary.warc_files]
    assert files and all(f.parent == full_crawl.store_path.parent / "warc" for f in files)
    responses: dict[str, int] = {}
    truncated: dict[str, str] = {}
    for path in files:
        with path.open("rb") as handle:
            for record in ArchiveIterator(handle):
                if record.rec_type == "response":
                    uri = record.rec_headers.get_header("WARC-Target-URI")
                    responses[uri] = int(record.http_headers.get_statuscode())
                    if record.rec_headers.get_header("WARC-Truncated"):
                        truncated[uri] = record.rec_headers.get_header("WARC-Truncated")
    assert responses[f"{faults.base}/missing.html"] == 404
    assert responses[f"{news.base}/moved.html"] == 301
    assert responses[f"{news.base}/robots.txt"] == 200
    assert truncated[f"{faults.base}/bomb.html"] == "length"
    assert truncated[f"{faults.base}/endless.html"] == "length"
    assert truncated[f"{faults.base}/drip.html"] == "time"
    # replayed offline, the archive gives back exactly the stored pages
    replayed = {i.url: i.sha256 for path in files for i in iter_warc_items(path) if not isinstance(i, tuple)}
    with Store(full_crawl.store_path) as store:
        stored = {row[0]: row[1] for row in store.db.execute("SELECT url, sha256 FROM raw")}
    assert {u: replayed[u] for u in stored} == stored


def test_every_stored_page_keeps_its_provenance(full_crawl: CrawlResult) -> None:
    """The URL asked for, the source that listed it, and the WARC record (file + offset) that holds it."""
    import hashlib

    from pipeline.warc import read_warc_record

    with Store(full_crawl.store_path) as store:
        rows = store.db.execute("SELECT sha256, url, fetched_url, found_by, warc_path, warc_offset FROM raw").fetchall()
    assert rows
    for row in rows:
        assert row["fetched_url"] and row["found_by"], dict(row)
        kept = read_warc_record(row["warc_path"], row["warc_offset"])
        assert hashlib.sha256(kept).hexdigest() == row["sha256"], row["url"]


def test_recrawl_uses_conditional_requests(full_crawl: CrawlResult, sites: tuple[Site, Site]) -> None:
    news, _ = sites
    before = len(news.hits)
    sources: list[AnySource] = [
        SitemapSource(type="sitemap", url=f"{news.base}/sitemap.xml"),
        FeedSource(type="feed", url=f"{news.base}/feed.xml"),
    ]
    with Store(full_crawl.store_path) as store:
        raw_before = store.db.execute("SELECT COUNT(*) FROM raw").fetchone()[0]
        summary = crawl(store, sources, test_settings(), recrawl=True)
        raw_after = store.db.execute("SELECT COUNT(*) FROM raw").fetchone()[0]
    again = news.hits[before:]
    conditional = [h for h in again if h.headers.get("If-None-Match")]
    assert summary.pages_stored == 0 and raw_after == raw_before
    assert summary.pages_unchanged >= len(OWN) + len(SAMPLES) - 2  # every stored page answered 304
    assert {h.path for h in conditional} >= {"/sitemap.xml", "/feed.xml", f"/own/{CANAL}"}
    assert all(h.headers.get("If-Modified-Since") for h in conditional if h.path.startswith("/own/"))
    assert "/private/staff-rota.html" not in [h.path for h in again]
    # an unchanged sitemap index still has its child sitemaps read (conditionally)
    assert {"/sitemap-news.xml", "/sitemap-more.xml.gz"} <= {h.path for h in conditional}


@pytest.mark.skipif(not CAN_INGEST, reason="extraction (pipeline.extract / pipeline.relevance) is not there yet")
def test_crawled_pages_become_articles(full_crawl: CrawlResult) -> None:
    assert full_crawl.summary.ingest is not None
    with Store(full_crawl.store_path) as store:
        titles = {a.title for a in store.articles()}
        statuses = dict(store.db.execute("SELECT status, COUNT(*) FROM raw GROUP BY status").fetchall())
    assert statuses.get("pending", 0) == 0
    assert full_crawl.summary.ingest["accepted"] >= len(OWN) + len(SAMPLES) - 2 - 1  # one sample is a reprint
    expected = json.loads((ROOT / "corpus" / "samples" / "expected.json").read_text())
    for sample in SAMPLES:
        info = expected.get(f"html/{sample.name}", {})
        if info.get("title") and not info.get("syndicated_copy_of"):
            assert info["title"] in titles, f"{sample.name}: no article titled {info['title']!r}"
    assert "Port authority signs drone patrol contract despite dockworkers' objections" in titles


# limits, filters, guard and robots edge cases (each on its own store) -----------------------------------------


def test_per_host_and_global_concurrency_limits(tmp_path: Path) -> None:
    group = InFlight()
    one, two = Site(robots="", group=group), Site(robots="", group=group)
    for offset, site in enumerate((one, two)):
        for n in range(8):
            body = generated_article(100 * offset + n)
            site.route(f"/p{n}.html", Response(200, body, {"Content-Type": "text/html"}, delay=0.25))
        site.start()
    try:
        urls = [f"{site.base}/p{n}.html" for site in (one, two) for n in range(8)]
        settings = test_settings(per_host_concurrency=3, global_concurrency=4)
        with Store(tmp_path / "s.sqlite") as store:
            summary = crawl(store, [UrlListSource(type="urls", urls=urls)], settings)
        assert summary.pages_stored == 16
        assert one.max_in_flight <= 3 and two.max_in_flight <= 3
        assert group.max == 4  # the global limit is reached and kept
        solo = Site(robots="")
        for n in range(9):
            solo.route(f"/p{n}.html", Response(200, generated_article(n), {"Content-Type": "text/html"}, delay=0.25))
        solo.start()
        try:
            with Store(tmp_path / "s2.sqlite") as store:
                crawl(
                    store,
                    [UrlListSource(type="urls", urls=[f"{solo.base}/p{n}.html" for n in range(9)])],
                    test_settings(per_host_concurrency=3, global_concurrency=8),
                )
            assert solo.max_in_flight == 3
        finally:
            solo.stop()
    finally:
        one.stop()
        two.stop()


def test_date_window_and_keywords(sites: tuple[Site, Site], tmp_path: Path) -> None:
    news, _ = sites
    before = len(news.hits)
    sources: list[AnySource] = [
        SitemapSource(type="sitemap", url=f"{news.base}/sitemap-news.xml"),
        UrlListSource(type="urls", urls=[f"{news.base}/news/{SAMPLES[2].name}"]),
    ]
    settings = test_settings(since=date(2024, 6, 1), keywords=["drone", "drones"])
    with Store(tmp_path / "s.sqlite") as store:
        summary = crawl(store, sources, settings)
        rejects = {r["item"]: r["reason"] for r in store.rejects()}
        raw_urls = {row[0] for row in store.db.execute("SELECT url FROM raw")}
    fetched = [h.path for h in news.hits[before:]]
    assert f"/own/{CANAL}" not in fetched  # listed as published 2024-05-14: never requested
    assert summary.outside_window == 1
    assert "published 2018-03-10, outside 2024-06-01" in rejects[f"{news.base}/own/{LIBRARY}"]  # date in the page
    assert raw_urls == {f"{news.base}/own/{PORT}"}
    sample_url = f"{news.base}/news/{SAMPLES[2].name}"
    assert sample_url in rejects or sample_url in raw_urls  # kept only if it mentions drones / is in the window


def test_private_addresses_are_refused_after_dns(tmp_path: Path) -> None:
    site = Site(robots="User-agent: *\nAllow: /\n").start()
    try:
        site.route("/a.html", page(OWN[PORT]))
        urls = [
            f"http://localhost:{site.port}/a.html",
            f"http://[::1]:{site.port}/a.html",
            f"http://169.254.169.254:{site.port}/latest/meta-data/",
        ]
        with Store(tmp_path / "s.sqlite") as store:
            crawl(store, [UrlListSource(type="urls", urls=urls)], test_settings(allowed_private_networks=[]))
            rejects = {r["item"]: r["reason"] for r in store.rejects()}
        assert site.hits == []  # nothing reached the server
        for url in urls:
            assert "private, loopback or link-local" in rejects[url] and "--allow-private" in rejects[url]
        with Store(tmp_path / "s2.sqlite") as store:
            summary = crawl(
                store,
                [UrlListSource(type="urls", urls=urls[:1])],
                test_settings(allowed_private_networks=[], allow_private=True),
            )
        assert summary.pages_stored == 1
    finally:
        site.stop()


def test_unreadable_robots_and_long_crawl_delay_skip_the_site(tmp_path: Path) -> None:
    down = Site()
    down.route("/robots.txt", Response(503, b"busy", {"Content-Type": "text/plain"}))
    down.route("/a.html", page(OWN[PORT]))
    slow = Site(robots="User-agent: *\nCrawl-delay: 600\n")
    slow.route("/a.html", page(OWN[PORT]))
    down.start()
    slow.start()
    try:
        urls = [f"{down.base}/a.html", f"{slow.base}/a.html"]
        with Store(tmp_path / "s.sqlite") as store:
            crawl(store, [UrlListSource(type="urls", urls=urls)], test_settings(retries=1))
            rejects = {r["item"]: r["reason"] for r in store.rejects()}
        assert "robots.txt unavailable (HTTP 503)" in rejects[urls[0]]
        assert "Crawl-delay of 600 s" in rejects[urls[1]]
        assert down.count("/a.html") == 0 and slow.count("/a.html") == 0
        assert down.count("/robots.txt") == 2  # tried again with the page's retry
    finally:
        down.stop()
        slow.stop()


def test_a_huge_robots_txt_is_read_up_to_its_limit(tmp_path: Path) -> None:
    site = Site(robots="User-agent: *\nDisallow: /secret/\n" + "# padding line\n" * 80_000).start()  # 1.2 MB
    site.route("/secret/a.html", page(OWN[PORT]))
    site.route("/open/b.html", page(OWN[CANAL]))
    try:
        with Store(tmp_path / "s.sqlite") as store:
            summary = crawl(
                store,
                [UrlListSource(type="urls", urls=[f"{site.base}/secret/a.html", f"{site.base}/open/b.html"])],
                test_settings(),
            )
            rejects = {r["item"]: r["reason"] for r in store.rejects()}
        assert rejects == {f"{site.base}/secret/a.html": "disallowed by robots.txt"}
        assert summary.pages_stored == 1 and site.count("/secret/a.html") == 0
    finally:
        site.stop()


@pytest.mark.skipif(not SHARED_HTML.is_dir(), reason="../shared/eval/extraction-benchmark is absent")
def test_real_pages_from_shared_round_trip(tmp_path: Path) -> None:
    files = sorted(SHARED_HTML.glob("*.html.gz"))[:6]
    site = Site(robots="User-agent: *\nDisallow: /admin/\n")
    bodies = {}
    for i, path in enumerate(files):
        bodies[f"/bench/{i}.html"] = gzip.decompress(path.read_bytes())
        site.route(f"/bench/{i}.html", page(bodies[f"/bench/{i}.html"]))
    site.route("/sitemap.xml", xml(urlset(site.base, [(p, None) for p in bodies])))
    site.start()
    try:
        with Store(tmp_path / "s.sqlite") as store:
            summary = crawl(
                store,
                [SitemapSource(type="sitemap", url=f"{site.base}/sitemap.xml")],
                test_settings(max_bytes=5_000_000),
            )
            stored = {row[0]: bytes(row[1]) for row in store.db.execute("SELECT url, data FROM raw")}
        assert summary.pages_stored == len(files)
        assert stored == {f"{site.base}{p}": body for p, body in bodies.items()}
        replayed = [i for f in summary.warc_files for i in iter_warc_items(Path(f)) if not isinstance(i, tuple)]
        assert {i.url: i.data for i in replayed} == stored
    finally:
        site.stop()


# kill -9 mid-crawl -----------------------------------------------------------------------------------------------


WORDS = [
    w
    for w in (SITE / "own" / CANAL).read_text().split() + (SITE / "own" / PORT).read_text().split()
    if w.isalpha() and len(w) > 3
]


def generated_article(n: int) -> bytes:
    """An article page whose text differs from every other one (so near-duplicate detection keeps them all)."""
    rng = random.Random(n)
    vocabulary = sorted(set(WORDS)) + [f"term{n}x{k}" for k in range(60)]
    paragraphs = "".join(
        "<p>" + " ".join(rng.choice(vocabulary) for _ in range(45)).capitalize() + ".</p>" for _ in range(5)
    )
    return (
        f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>Report number {n} on camera "
        f"surveillance</title><meta property='article:published_time' content='2024-07-{1 + n % 28:02d}'></head>"
        f"<body><nav><a href='/'>Home</a></nav><article><h1>Report number {n} on camera surveillance</h1>"
        f"{paragraphs}</article><footer>Test</footer></body></html>"
    ).encode()


def generated_site(pages: int) -> Site:
    site = Site(robots="User-agent: *\nDisallow: /nothing-here/\n")
    for n in range(pages):
        site.route(f"/gen/{n}.html", page(generated_article(n)))
    site.route("/gen-sitemap.xml", xml(urlset(site.base, [(f"/gen/{n}.html", None) for n in range(pages)])))
    return site.start()


def run_cli(store: Path, config: Path, sitemap: str, ingest: bool) -> subprocess.Popen[bytes]:
    args = [
        sys.executable,
        "-m",
        "pipeline.cli",
        "crawl",
        "--sitemap",
        sitemap,
        "--store",
        str(store),
        "--config",
        str(config),
        "--ingest" if ingest else "--no-ingest",
    ]
    return subprocess.Popen(
        args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, "PYTHONUNBUFFERED": "1"}
    )


def done_pages(store: Path) -> set[str]:
    if not store.exists():
        return set()
    try:
        with sqlite3.connect(f"file:{store}?mode=ro", uri=True, timeout=5) as db:
            rows = db.execute("SELECT url FROM frontier WHERE kind = 'page' AND status = 'done'").fetchall()
    except sqlite3.OperationalError:  # tables not created yet
        return set()
    return {r[0] for r in rows}


def snapshot(store: Path) -> dict[str, Any]:
    with sqlite3.connect(store) as db:
        return {
            "raw": sorted(db.execute("SELECT url, sha256, status FROM raw").fetchall()),
            "frontier": sorted(db.execute("SELECT url, status FROM frontier WHERE kind = 'page'").fetchall()),
            "articles": sorted(db.execute("SELECT id, url, text_hash, title FROM articles").fetchall()),
        }


def test_kill_minus_9_then_restart_gives_the_same_records(tmp_path: Path) -> None:
    pages = 24
    site = generated_site(pages)
    config = tmp_path / "survnews.toml"
    config.write_text(
        "[crawl]\n"
        f'user_agent = "{USER_AGENT}"\n'
        "per_host_delay_s = 0.04\nper_host_concurrency = 2\nglobal_concurrency = 4\n"
        'allowed_private_networks = ["127.0.0.1/32"]\n'
    )
    sitemap = f"{site.base}/gen-sitemap.xml"
    try:
        reference = tmp_path / "reference" / "store.sqlite"
        done = run_cli(reference, config, sitemap, CAN_INGEST)
        _, err = done.communicate(timeout=120)
        assert done.returncode == 0, err.decode()
        uninterrupted = snapshot(reference)
        assert len(uninterrupted["raw"]) == pages
        reference_fetches = len(site.hits)

        resumed = tmp_path / "resumed" / "store.sqlite"
        start = len(site.hits)
        stored_before: set[str] = set()
        # killed at two points of the crawl, then once every page is stored (while extracting, if it still runs),
        # then left to finish
        for kill_after in (5, 14, pages, None):
            mark = len(site.hits)
            proc = run_cli(resumed, config, sitemap, CAN_INGEST)
            if kill_after is None:
                _, err = proc.communicate(timeout=120)
                assert proc.returncode == 0, err.decode()
            else:
                deadline = time.monotonic() + 60
                while len(done_pages(resumed)) < kill_after and proc.poll() is None and time.monotonic() < deadline:
                    time.sleep(0.01)
                assert kill_after == pages or proc.poll() is None, "the crawl ended before it could be killed"
                proc.send_signal(signal.SIGKILL)
                proc.wait()
            fetched = {site.base + h.path for h in site.hits[mark:]}
            assert not fetched & stored_before, "a page stored before the kill was fetched again"
            stored_before = done_pages(resumed)
        resumed_state = snapshot(resumed)
        assert resumed_state == uninterrupted
        page_hits = [h.path for h in site.hits[start:] if h.path.startswith("/gen/")]
        assert len(page_hits) - pages <= 2 * 4  # only pages in flight at a kill are fetched again
        assert reference_fetches > 0
    finally:
        site.stop()


# the command line ------------------------------------------------------------------------------------------------


def _cli_app() -> Any:
    import typer

    from pipeline.cli._crawl import crawl_cli

    app = typer.Typer()
    app.command()(crawl_cli)
    return app


def test_cli_config_errors_exit_2(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    runner = CliRunner()
    config = tmp_path / "survnews.toml"
    config.write_text("[crawl]\nper_host_delay_s = 1\n")
    result = runner.invoke(_cli_app(), ["--config", str(config), "--store", str(tmp_path / "s.sqlite")])
    assert result.exit_code == 2 and "nothing to crawl" in result.output
    config.write_text('[crawl]\nuser_agent = "mybot/1.0"\n')
    result = runner.invoke(_cli_app(), ["https://n.example/a", "--config", str(config)])
    assert result.exit_code == 2 and "user_agent" in result.output and "contact" in result.output


def test_cli_crawls_a_url_list_from_the_config(sites: tuple[Site, Site], tmp_path: Path) -> None:
    from typer.testing import CliRunner

    news, _ = sites
    (tmp_path / "urls.txt").write_text(f"{news.base}/own/{PORT}\n")
    config = tmp_path / "survnews.toml"
    config.write_text(
        f'[store]\npath = "build/store.sqlite"\n[crawl]\nuser_agent = "{USER_AGENT}"\nper_host_delay_s = 0\n'
        'warc_dir = "archive"\n[[sources]]\ntype = "url-file"\npath = "urls.txt"\n'
    )
    result = CliRunner().invoke(_cli_app(), ["--config", str(config), "--no-ingest", "--allow-private"])
    assert result.exit_code == 0, result.output
    assert "1 pages stored" in result.output
    assert list((tmp_path / "archive").glob("*.warc.gz"))  # warc_dir is relative to the config file
    with Store(tmp_path / "build" / "store.sqlite") as store:
        assert [row[0] for row in store.db.execute("SELECT url FROM raw")] == [f"{news.base}/own/{PORT}"]
        (run,) = store.db.execute("SELECT command, summary FROM runs").fetchall()
    assert run[0] == "crawl" and json.loads(run[1])["pages_stored"] == 1
