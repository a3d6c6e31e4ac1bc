"""The fetch layer's rules: URL normalisation, the private-address guard, bounded decoding, robots.txt, settings."""

from __future__ import annotations

import asyncio
import gzip
import threading
import zlib
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from pydantic import ValidationError

from pipeline.fetch import (
    AddressGuard,
    BoundedDecoder,
    CrawlSettings,
    Fetcher,
    FetchError,
    domain_allowed,
    html_only,
    normalize_url,
    origin_of,
    parse_retry_after,
    robots_from_response,
)

UA = "survnews-test/1.0 (+mailto:crawler-tests@example.org)"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("HTTP://Example.COM:80/a/b.html#comments", "http://example.com/a/b.html"),
        ("https://example.com:443", "https://example.com/"),
        ("https://example.com:8443/x?id=3&utm_source=rss&utm_medium=feed", "https://example.com:8443/x?id=3"),
        ("https://example.com/x?fbclid=abc", "https://example.com/x"),
        ("https://example.com/x?b=2&a=1", "https://example.com/x?b=2&a=1"),  # order kept: it may matter
        ("http://[::1]:8080/p", "http://[::1]:8080/p"),
    ],
)
def test_normalize_url(url: str, expected: str) -> None:
    assert normalize_url(url) == expected


def test_normalize_url_relative_and_refused() -> None:
    assert normalize_url("../b.html", base="https://example.com/news/a/x.html") == "https://example.com/news/b.html"
    for bad, code in [
        ("ftp://example.com/f", "bad-scheme"),
        ("file:///etc/passwd", "bad-scheme"),
        ("javascript:alert(1)", "bad-scheme"),
        ("/relative/only", "bad-scheme"),
        ("http:///nohost", "bad-url"),
        ("http://example.com:99999/", "bad-url"),
    ]:
        with pytest.raises(FetchError) as info:
            normalize_url(bad)
        assert info.value.code == code, bad


def test_domains_and_origins() -> None:
    assert domain_allowed("https://www.bbc.co.uk/news/x", ["bbc.co.uk"])
    assert domain_allowed("https://bbc.co.uk/news/x", ["bbc.co.uk"])
    assert not domain_allowed("https://evilbbc.co.uk/x", ["bbc.co.uk"])
    assert domain_allowed("https://anything.example/x", [])
    assert origin_of("https://example.com:8443/a?b") == "https://example.com:8443"


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.5.4",
        "192.168.0.10",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "::1",
        "fe80::1",
        "fc00::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "224.0.0.1",
        "240.0.0.1",
    ],
)
def test_guard_blocks_non_public_addresses(address: str) -> None:
    with pytest.raises(FetchError) as info:
        AddressGuard(allow_private=False).check(address, "host.example")
    assert info.value.code == "private-address"
    assert "--allow-private" in str(info.value)


def test_guard_allows_public_and_exempted_addresses() -> None:
    guard = AddressGuard(allow_private=False, allowed_networks=["127.0.0.1/32", "10.9.0.0/16"])
    for address in ["93.184.216.34", "2606:4700:4700::1111", "127.0.0.1", "10.9.3.4"]:
        guard.check(address, "h")
    with pytest.raises(FetchError):
        guard.check("127.0.0.2", "h")
    AddressGuard(allow_private=True).check("192.168.1.1", "h")


def test_decoder_stops_a_gzip_bomb_at_the_budget() -> None:
    bomb = gzip.compress(b"\0" * 50_000_000, compresslevel=9)
    decoder = BoundedDecoder("gzip")
    produced = 0
    for start in range(0, len(bomb), 65_536):
        out = decoder.feed(bomb[start : start + 65_536], 1_000_000 - produced)
        produced += len(out)
        assert len(out) <= 1_000_001  # never more than the budget plus one byte, whatever the ratio
        if produced > 1_000_000:
            break
    assert produced == 1_000_001


def test_decoder_handles_deflate_variants_and_refuses_unknown_codings() -> None:
    text = b"<html><body>hello</body></html>"
    assert BoundedDecoder("deflate").feed(zlib.compress(text), 1000) == text
    raw = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    assert BoundedDecoder("deflate").feed(raw.compress(text) + raw.flush(), 1000) == text
    assert BoundedDecoder("identity").feed(text, 1000) == text
    for coding in ("br", "zstd", "gzip, gzip"):
        with pytest.raises(FetchError) as info:
            BoundedDecoder(coding)
        assert info.value.code == "content-encoding"
    with pytest.raises(FetchError) as info:
        BoundedDecoder("gzip").feed(b"not gzip at all", 1000)
    assert info.value.code == "bad-encoding"


def test_retry_after() -> None:
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after(formatdate(1_000_060, usegmt=True), now=1_000_000) == pytest.approx(60.0)
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


def test_robots_rules() -> None:
    rules = robots_from_response(
        200,
        b"User-agent: *\nDisallow: /private/\nDisallow: /*?print=\nCrawl-delay: 2\n\n"
        b"User-agent: survnews\nDisallow: /no-survnews/\nRequest-rate: 1/10s\n",
    )
    assert rules.allows("https://x.org/news/a", "survnews")
    assert not rules.allows("https://x.org/no-survnews/a", "survnews")
    assert rules.allows("https://x.org/private/a", "survnews")  # its own group replaces the * group
    assert not rules.allows("https://x.org/private/a", "otherbot")
    assert not rules.allows("https://x.org/a?print=1", "otherbot")  # wildcards, as RFC 9309 has them
    assert rules.crawl_delay("survnews") == 10.0  # from Request-rate 1/10s
    assert rules.crawl_delay("otherbot") == 2.0
    assert robots_from_response(404, b"").allows("https://x.org/anything", "survnews")
    assert robots_from_response(403, b"").allows("https://x.org/anything", "survnews")
    unavailable = robots_from_response(503, b"")
    assert not unavailable.allows("https://x.org/", "survnews") and "HTTP 503" in str(unavailable.unavailable)
    assert robots_from_response(None, b"").unavailable is not None


def test_settings_validation() -> None:
    with pytest.raises(ValidationError, match="contact"):
        CrawlSettings(user_agent="mybot/1.0")
    with pytest.raises(ValidationError):
        CrawlSettings(allowed_private_networks=["not-a-network"])
    with pytest.raises(ValidationError):
        CrawlSettings.model_validate({"user_agnet": UA})  # a typo is an error, not a silent default
    settings = CrawlSettings(user_agent=UA, allowed_domains=[" .BBC.co.uk ", ""])
    assert settings.allowed_domains == ["bbc.co.uk"]


class _GzipHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    body = b"<html><head><title>t</title></head><body><p>" + "caf\u00e9 ".encode() * 500 + b"</p></body></html>"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        if self.path == "/doc.pdf":
            payload, headers = b"%PDF-1.4" + b"\0" * 10_000, {"Content-Type": "application/pdf"}
        else:
            payload = gzip.compress(self.body)
            headers = {"Content-Type": "text/html; charset=utf-8", "Content-Encoding": "gzip", "ETag": '"v1"'}
        self.send_response(200)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


def test_fetcher_decodes_gzip_and_refuses_other_types_unread() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _GzipHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"

    async def run() -> tuple[Any, Any]:
        fetcher = Fetcher(CrawlSettings(user_agent=UA, allowed_private_networks=["127.0.0.1/32"]))
        try:
            page = await fetcher.get(f"{base}/page.html", check=html_only)
            pdf = await fetcher.get(f"{base}/doc.pdf", check=html_only)
        finally:
            await fetcher.aclose()
        return page, pdf

    try:
        page, pdf = asyncio.run(run())
    finally:
        server.shutdown()
        server.server_close()
    assert page.status == 200 and page.error is None
    assert page.body == _GzipHandler.body
    assert gzip.decompress(page.raw_body) == _GzipHandler.body  # the WARC keeps the bytes as sent
    assert page.ip == "127.0.0.1"
    assert pdf.error is not None and pdf.error.code == "not-html" and pdf.raw_body == b""


def test_fetcher_refuses_loopback_without_permission() -> None:
    async def run() -> None:
        fetcher = Fetcher(CrawlSettings(user_agent=UA, connect_timeout_s=1))
        try:
            await fetcher.get("http://127.0.0.1:9/never")
        finally:
            await fetcher.aclose()

    with pytest.raises(FetchError) as info:
        asyncio.run(run())
    assert info.value.code == "private-address"
