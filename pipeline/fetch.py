"""HTTP fetching for the crawler: settings, URL rules, the private-address guard, bounded bodies, robots.txt.

One request at a time, no redirects followed here (the crawler follows them so it can check robots.txt, the
allowed domains and the address of every hop). Every failure is a :class:`FetchError` with a stable code and a
one-line reason; ``retryable`` tells the crawler whether backing off and trying again can help.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
import time
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import anyio
import httpcore
import httpx
from protego import Protego

from pipeline.crawl_settings import CrawlSettings
from pipeline.errors import RejectError

HTML_TYPES = ("text/html", "application/xhtml+xml")
# Feeds and sitemaps are served under many types (including text/html and octet-stream for .xml.gz files);
# the parser decides, but images, video, audio and PDFs are refused before their body is read.
NON_DOCUMENT_PREFIXES = ("image/", "video/", "audio/", "font/", "application/pdf", "application/zip")
RETRYABLE_STATUS = frozenset({408, 429, 500, 502, 503, 504})
REDIRECT_STATUS = frozenset({301, 302, 303, 307, 308})
ERROR_BODY_BYTES = 65_536  # how much of an error page is kept for the WARC record
ROBOTS_MAX_BYTES = 512_000  # RFC 9309 asks crawlers to parse at least 500 KiB
TRACKING_PARAMS = frozenset({"fbclid", "gclid", "dclid", "msclkid", "mc_cid", "mc_eid", "igshid", "ocid"})


class FetchError(RejectError):
    """A page (or feed, sitemap, robots.txt) could not be fetched; ``retryable`` when trying later may help."""

    def __init__(self, code: str, message: str, *, retryable: bool = False, retry_after: float | None = None) -> None:
        super().__init__(code, message)
        self.retryable = retryable
        self.retry_after = retry_after


# URLs ---------------------------------------------------------------------------------------------------------


def normalize_url(url: str, base: str | None = None) -> str:
    """The frontier key: absolute, lower-case scheme and host, no default port, no fragment, no tracking params.

    Raises FetchError(bad-url / bad-scheme) for what the crawler must not fetch.
    """
    text = url.strip()
    scheme_given = text.split(":", 1)[0].lower() if ":" in text else ""
    # javascript:, data:, mailto:, file: ... are never joined or fetched, whatever follows the colon
    if re.fullmatch(r"[a-z][a-z0-9+.-]*", scheme_given) and scheme_given not in ("http", "https"):
        raise FetchError("bad-scheme", f"only http(s) URLs are fetched, not {scheme_given!r}")
    try:
        if base is not None:
            text = str(httpx.URL(base).join(text))
        parts = urlsplit(text)
        port = parts.port
    except Exception as exc:  # httpx.InvalidURL, ValueError, UnicodeError: all mean the same to the crawler
        raise FetchError("bad-url", f"not a valid URL: {' '.join(str(exc).split())[:200]}") from exc
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise FetchError("bad-scheme", f"only http(s) URLs are fetched, not {scheme or 'a relative URL'!r}")
    host = (parts.hostname or "").lower().rstrip(".")
    if not host:
        raise FetchError("bad-url", "URL has no host")
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    netloc = host if port is None or port == {"http": 80, "https": 443}[scheme] else f"{host}:{port}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        kept = [(k, v) for k, v in pairs if not k.lower().startswith("utm_") and k.lower() not in TRACKING_PARAMS]
        if len(kept) != len(pairs):
            query = urlencode(kept)
    return urlunsplit((scheme, netloc, parts.path or "/", query, ""))


def origin_of(url: str) -> str:
    """``scheme://host[:port]``: the unit of robots.txt, rate limits and per-host concurrency."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def domain_allowed(url: str, allowed_domains: Iterable[str]) -> bool:
    """True when no domains are configured, or the host is one of them or a subdomain of one."""
    domains = list(allowed_domains)
    if not domains:
        return True
    host = host_of(url)
    return any(host == d or host.endswith("." + d) for d in domains)


# the private-address guard --------------------------------------------------------------------------------------


# IPv6 forms that carry an IPv4 address a gateway will connect to: each is judged by the address it carries.
_NAT64 = (ipaddress.IPv6Network("64:ff9b::/96"), ipaddress.IPv6Network("64:ff9b:1::/48"))  # RFC 6052, RFC 8215
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")  # deprecated (RFC 4291), still routed by some stacks


def embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address inside an IPv4-mapped, IPv4-compatible, NAT64, 6to4 or Teredo address; else None."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if any(ip in net for net in _NAT64):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip in _IPV4_COMPATIBLE and int(ip) > 1:  # not :: or ::1, which are IPv6's own
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


class AddressGuard:
    """Decides which resolved IP addresses may be connected to."""

    def __init__(self, allow_private: bool, allowed_networks: Iterable[str] = ()) -> None:
        self.allow_private = allow_private
        self.allowed_networks = [ipaddress.ip_network(n, strict=False) for n in allowed_networks]

    def check(self, address: str, host: str) -> None:
        ip: ipaddress.IPv4Address | ipaddress.IPv6Address = ipaddress.ip_address(address.split("%", 1)[0])
        if isinstance(ip, ipaddress.IPv6Address):
            ip = embedded_ipv4(ip) or ip
        if self.allow_private or (ip.is_global and not ip.is_multicast):
            return
        if any(ip.version == net.version and ip in net for net in self.allowed_networks):
            return
        shown = host if host == str(ip) else f"{host} ({ip})"
        raise FetchError(
            "private-address",
            f"{shown} is a private, loopback or link-local address (use --allow-private for local testing)",
        )


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """Resolves the host itself, checks every address, then connects to a checked address.

    Connecting to the very address that was checked (not resolving again) leaves no gap for DNS rebinding; TLS
    still verifies the certificate against the host name. Runs for every connection, so for every redirect hop.
    """

    def __init__(self, guard: AddressGuard) -> None:
        self._guard = guard
        self._backend = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            with anyio.fail_after(timeout):
                infos = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except TimeoutError as exc:
            raise httpcore.ConnectTimeout(f"DNS lookup of {host} timed out") from exc
        except OSError as exc:
            raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from exc
        addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
        for address in addresses:
            self._guard.check(address, host)
        last_error: Exception = httpcore.ConnectError(f"no address for {host}")
        for address in addresses:
            try:
                return await self._backend.connect_tcp(
                    address, port, timeout=timeout, local_address=local_address, socket_options=socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last_error = exc
        raise last_error

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("unix sockets are not used by the crawler")

    async def sleep(self, seconds: float) -> None:
        await self._backend.sleep(seconds)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport with its connection pool built on :class:`GuardedBackend`."""

    def __init__(self, guard: AddressGuard, limits: httpx.Limits) -> None:
        super().__init__(trust_env=False, limits=limits)
        # httpx takes no network backend argument, so the pool it built is replaced by an equal one that has ours.
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=GuardedBackend(guard),
        )


# bounded bodies ---------------------------------------------------------------------------------------------


class BoundedDecoder:
    """Decodes a Content-Encoding chunk by chunk, never producing more than a byte budget (decompression bombs)."""

    def __init__(self, encoding: str) -> None:
        codings = [c.strip().lower() for c in encoding.split(",") if c.strip() and c.strip().lower() != "identity"]
        if len(codings) > 1 or (codings and codings[0] not in ("gzip", "x-gzip", "deflate")):
            raise FetchError("content-encoding", f"unsupported Content-Encoding {encoding!r}")
        self.coding = codings[0] if codings else ""
        self._inflater: Any = None
        if self.coding in ("gzip", "x-gzip"):
            self._inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif self.coding == "deflate":
            self._inflater = zlib.decompressobj(zlib.MAX_WBITS)
        self._first = True

    def feed(self, chunk: bytes, budget: int) -> bytes:
        """Up to ``budget + 1`` decoded bytes for this chunk; more than ``budget`` means the limit is passed."""
        if self._inflater is None:
            return chunk
        try:
            out: bytes = self._inflater.decompress(chunk, budget + 1)
        except zlib.error as exc:
            if self.coding == "deflate" and self._first:  # some servers send raw deflate without the zlib header
                self._inflater = zlib.decompressobj(-zlib.MAX_WBITS)
                self._first = False
                return self.feed(chunk, budget)
            raise FetchError("bad-encoding", f"body is not valid {self.coding}: {exc}") from exc
        self._first = False
        return out


@dataclass
class Exchange:
    """One HTTP request and its response, as kept in the WARC file."""

    url: str
    method: str
    request_headers: list[tuple[str, str]]
    status: int
    reason: str
    http_version: str
    headers: httpx.Headers
    raw_body: bytes = b""
    body: bytes = b""  # Content-Encoding removed
    ip: str | None = None
    truncated: str | None = None  # WARC-Truncated reason: length | time | disconnect | unspecified
    error: FetchError | None = None  # set when the body was cut off or refused
    fetched_at: str = field(default_factory=lambda: datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";", 1)[0].strip().lower()


ContentCheck = Callable[[Exchange], FetchError | None]


def html_only(exchange: Exchange) -> FetchError | None:
    """Pages must be HTML; a missing type is let through (the body is sniffed by ingest)."""
    kind = exchange.content_type
    if kind and kind not in HTML_TYPES:
        return FetchError("not-html", f"content type {kind} is not HTML")
    return None


def document_like(exchange: Exchange) -> FetchError | None:
    kind = exchange.content_type
    if kind.startswith(NON_DOCUMENT_PREFIXES):
        return FetchError("not-a-document", f"content type {kind} cannot be a feed or sitemap")
    return None


class Fetcher:
    """Single GET requests with timeouts, a body limit and a whole-response deadline."""

    def __init__(self, settings: CrawlSettings) -> None:
        self.settings = settings
        limits = httpx.Limits(
            max_connections=settings.global_concurrency + 4,  # one per task, plus robots.txt lookups
            max_keepalive_connections=settings.global_concurrency + 4,
            keepalive_expiry=30.0,
        )
        guard = AddressGuard(settings.allow_private, settings.allowed_private_networks)
        self.client = httpx.AsyncClient(
            transport=GuardedTransport(guard, limits),
            timeout=httpx.Timeout(
                connect=settings.connect_timeout_s,
                read=settings.read_timeout_s,
                write=settings.read_timeout_s,
                pool=settings.max_fetch_s,
            ),
            follow_redirects=False,
            trust_env=False,
            headers={
                "User-Agent": settings.user_agent,
                "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.5",
                "Accept-Encoding": "gzip, deflate",
            },
        )
        self.requests = 0

    async def aclose(self) -> None:
        await self.client.aclose()

    async def get(
        self,
        url: str,
        *,
        headers: dict[str, str] | None = None,
        check: ContentCheck | None = None,
        max_bytes: int | None = None,
        keep_head: bool = False,
    ) -> Exchange:
        """One GET. Returns the exchange for any HTTP status; raises FetchError when no response came.

        A body that is refused (``check``) or cut off (size, deadline) is returned with ``error`` set, so the
        caller can still keep what arrived in the WARC file before rejecting the page. ``keep_head``: a body over
        the limit is cut there without an error (robots.txt: the first 500 KiB are what counts).
        """
        limit = max_bytes if max_bytes is not None else self.settings.max_bytes
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.settings.max_fetch_s
        request = self.client.build_request("GET", url, headers=headers)
        self.requests += 1
        try:
            async with asyncio.timeout_at(deadline):
                response = await self.client.send(request, stream=True)
        except TimeoutError as exc:
            raise FetchError("timeout", f"no response within {self.settings.max_fetch_s:g} s", retryable=True) from exc
        except httpx.ConnectTimeout as exc:
            raise FetchError(
                "timeout", f"connect timeout after {self.settings.connect_timeout_s:g} s", retryable=True
            ) from exc
        except httpx.ReadTimeout as exc:
            raise FetchError(
                "timeout", f"read timeout: no response within {self.settings.read_timeout_s:g} s", retryable=True
            ) from exc
        except httpx.TimeoutException as exc:
            raise FetchError("timeout", f"timeout: {type(exc).__name__}", retryable=True) from exc
        except httpx.ConnectError as exc:
            raise FetchError("connect-error", f"cannot connect: {_one_line(exc)}", retryable=True) from exc
        except httpx.UnsupportedProtocol as exc:
            raise FetchError("bad-scheme", _one_line(exc)) from exc
        except httpx.TransportError as exc:
            raise FetchError("transport-error", f"{type(exc).__name__}: {_one_line(exc)}", retryable=True) from exc
        except (httpx.InvalidURL, ValueError) as exc:
            # httpx builds the next request of a redirect even when it does not follow it: a Location such as
            # "javascript:..." fails there, before the response is handed over
            raise FetchError("bad-redirect", f"redirect to a URL that cannot be fetched: {_one_line(exc)}") from exc
        try:
            exchange = await self._read(request, response, deadline, limit, check, keep_head)
        finally:
            await response.aclose()
        if keep_head and exchange.error is not None and exchange.error.code in ("too-large", "decompression-bomb"):
            exchange.error = None
        return exchange

    async def _read(
        self,
        request: httpx.Request,
        response: httpx.Response,
        deadline: float,
        limit: int,
        check: ContentCheck | None,
        keep_head: bool = False,
    ) -> Exchange:
        stream = response.extensions.get("network_stream")
        server_addr = stream.get_extra_info("server_addr") if stream is not None else None
        exchange = Exchange(
            url=str(request.url),
            method=request.method,
            request_headers=[(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.headers.raw],
            status=response.status_code,
            reason=response.reason_phrase,
            http_version=response.http_version,
            headers=response.headers,
            ip=str(server_addr[0]) if server_addr else None,
        )
        ok = 200 <= response.status_code < 300
        if ok and check is not None:
            exchange.error = check(exchange)
            if exchange.error is not None:
                exchange.truncated = "unspecified"  # refused by type: the body is not read at all
                return exchange
        budget = limit if ok else min(limit, ERROR_BODY_BYTES)
        declared = response.headers.get("content-length", "")
        if ok and not keep_head and declared.isdigit() and int(declared) > budget:
            exchange.truncated = "length"
            exchange.error = FetchError(
                "too-large", f"Content-Length {int(declared):,} bytes is over the {budget:,}-byte limit"
            )
            return exchange
        try:
            decoder = BoundedDecoder(response.headers.get("content-encoding", ""))
        except FetchError as exc:
            exchange.error = exc
            exchange.truncated = "unspecified"
            return exchange
        raw: list[bytes] = []
        decoded: list[bytes] = []
        raw_size = decoded_size = 0
        try:
            async with asyncio.timeout_at(deadline):
                async for chunk in response.aiter_raw():
                    raw_size += len(chunk)
                    if raw_size > budget:
                        raw.append(chunk[: len(chunk) - (raw_size - budget)])
                        exchange.truncated = "length"
                        if ok:
                            exchange.error = FetchError(
                                "too-large", f"body is over the {budget:,}-byte limit (cut off)"
                            )
                        break
                    raw.append(chunk)
                    part = decoder.feed(chunk, budget - decoded_size)
                    decoded_size += len(part)
                    if decoded_size > budget:
                        exchange.truncated = "length"
                        if ok:
                            exchange.error = FetchError(
                                "decompression-bomb",
                                f"body decompresses to over the {budget:,}-byte limit (cut off)",
                            )
                        break
                    decoded.append(part)
        except TimeoutError:
            exchange.truncated = "time"
            exchange.error = FetchError(
                "endless-response", f"body not complete after {self.settings.max_fetch_s:g} s (cut off)"
            )
        except httpx.ReadTimeout:
            exchange.truncated = "time"
            exchange.error = FetchError(
                "timeout", f"read timeout: body stalled for {self.settings.read_timeout_s:g} s", retryable=True
            )
        except httpx.TransportError as exc:
            exchange.truncated = "disconnect"
            exchange.error = FetchError(
                "transport-error", f"connection broke while reading: {_one_line(exc)}", retryable=True
            )
        except FetchError as exc:
            exchange.error = exc
        exchange.raw_body = b"".join(raw)
        exchange.body = b"".join(decoded)
        return exchange


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date); None when absent or invalid."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text or type(exc).__name__


# robots.txt -----------------------------------------------------------------------------------------------------


@dataclass
class RobotsRules:
    """The robots.txt of one origin, as RFC 9309 says to read it."""

    parser: Protego | None = None  # None: everything allowed (no robots.txt)
    unavailable: str | None = None  # set when robots.txt could not be read: then nothing is crawled

    def allows(self, url: str, agent: str) -> bool:
        if self.unavailable is not None:
            return False
        return self.parser is None or bool(self.parser.can_fetch(url, agent))

    def crawl_delay(self, agent: str) -> float | None:
        if self.parser is None:
            return None
        delay = self.parser.crawl_delay(agent)
        rate = self.parser.request_rate(agent)
        if rate is not None and rate.requests:
            per_request = rate.seconds / rate.requests
            delay = per_request if delay is None else max(float(delay), per_request)
        return None if delay is None else float(delay)


def robots_from_response(status: int | None, body: bytes) -> RobotsRules:
    """4xx: no rules (crawl all); 5xx or no response: crawl nothing; 2xx: the parsed rules."""
    if status is None or status >= 500:
        shown = "no response" if status is None else f"HTTP {status}"
        return RobotsRules(unavailable=f"robots.txt unavailable ({shown}); the site is not crawled")
    if status >= 400:
        return RobotsRules()
    text = body[:ROBOTS_MAX_BYTES].decode("utf-8", errors="replace")
    return RobotsRules(parser=Protego.parse(text))
