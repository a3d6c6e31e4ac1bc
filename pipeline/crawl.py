"""Polite, resumable crawling: sources → frontier (in the SQLite store) → fetched pages → raw inputs → articles.

The frontier, the HTTP validators (ETag / Last-Modified) and robots.txt copies live in tables of the store's own
SQLite file, and every state change is committed before the next step, so a crawl killed at any moment (kill -9)
and started again finishes with the same records as one that ran through:

* a page is marked ``storing`` (with the SHA-256 of its body) before it is stored and ``done`` after, so a restart
  knows whether a page cut off in between reached the store, and never fetches a stored page again;
* the links of a feed or sitemap are added in the same transaction that marks it read;
* retry counts and back-off times are in the frontier, so a restart neither forgets nor repeats attempts.

Feeds and sitemaps are read again by every crawl (with conditional requests), pages once (``recrawl`` asks
for them again, conditionally). Politeness is per origin (scheme, host, port): robots.txt rules and Crawl-delay,
a minimum delay between requests, a concurrency limit; plus a global concurrency limit.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import heapq
import itertools
import json
import random
import re
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, cast

from pipeline.errors import ConfigError, RejectError
from pipeline.fetch import (
    REDIRECT_STATUS,
    RETRYABLE_STATUS,
    ROBOTS_MAX_BYTES,
    CrawlSettings,
    Exchange,
    Fetcher,
    FetchError,
    RobotsRules,
    document_like,
    domain_allowed,
    host_of,
    html_only,
    normalize_url,
    origin_of,
    parse_retry_after,
    robots_from_response,
)
from pipeline.records import RawInput
from pipeline.sources import (
    AnySource,
    FeedSource,
    Link,
    SitemapSource,
    in_date_window,
    iter_source_urls,
    load_sources_file,
    parse_feed,
    parse_sitemap,
    parse_sources,
    source_label,
)
from pipeline.store import FrontierEntry, RawLocation, Store, utc_now
from pipeline.warc import WarcArchive

if TYPE_CHECKING:
    from pipeline.config import Settings

__all__ = ["CrawlSettings", "CrawlSummary", "Crawler", "crawl", "crawl_settings_from", "sources_from"]

ItemKind = Literal["page", "feed", "sitemap"]
STAGE = "fetch"

# The frontier, http_cache and robots tables are declared in pipeline.store (MIGRATIONS).


# the frontier -----------------------------------------------------------------------------------------------------


@dataclass
class Item:
    url: str
    kind: ItemKind
    source: str | None = None
    published: str | None = None
    modified: str | None = None
    attempts: int = 0
    not_before: float = 0.0

    @property
    def origin(self) -> str:
        return origin_of(self.url)


def _item(entry: FrontierEntry) -> Item:
    kind = cast(ItemKind, entry.kind)
    return Item(entry.url, kind, entry.source, entry.published, entry.modified, entry.attempts, entry.not_before)


class Frontier:
    """Crawl state in the store's SQLite file, through the store's typed methods (one writer, one schema owner).

    Each method is one step of the crawl's state machine; those that change several rows run them in one
    transaction, so a kill at any moment leaves the frontier in a state ``recover`` settles.
    """

    def __init__(self, store: Store) -> None:
        self.store = store

    def recover(self) -> int:
        """Settle pages a killed crawl left between fetch and store: stored → done, else queued again."""
        rows = self.store.frontier_storing()
        with self.store.transaction():
            for url, sha256, final_url in rows:
                stored = self.store.has_raw(sha256)
                self.store.set_frontier_status(url, "done" if stored else "queued")
                if stored and final_url and final_url != url:
                    self._mark_target_done(final_url, None, sha256, None, utc_now())
        return len(rows)

    def requeue_pages(self, status: str) -> int:
        return self.store.requeue_frontier_pages(status)

    def seed_discovery(self, url: str, kind: ItemKind, source: str, run: str) -> None:
        """Feeds and sitemaps named as sources are read again in every crawl run."""
        self.store.seed_frontier_discovery(url, origin_of(url), kind, source, run)

    def seed_page(self, url: str, source: str) -> None:
        self.store.add_frontier_page(url, origin_of(url), source)

    def queued(self) -> list[Item]:
        return [_item(entry) for entry in self.store.queued_frontier()]

    def status(self, url: str) -> str | None:
        return self.store.frontier_status(url)

    def add_links(self, parent: Item, links: Sequence[Link], run: str, exchange: Exchange, filters: str) -> list[Item]:
        """Record what a feed/sitemap lists and mark it read, in one transaction; returns the items to queue."""
        queued: list[Item] = []
        with self.store.transaction():
            for link in links:
                if link.kind == "sitemap":
                    new = self.store.add_frontier_sitemap(
                        link.url, origin_of(link.url), parent.source, parent.url, link.modified, run
                    )
                else:
                    new = self.store.add_frontier_page(
                        link.url,
                        origin_of(link.url),
                        parent.source,
                        parent=parent.url,
                        published=link.published,
                        modified=link.modified,
                    )
                if new:
                    kind: ItemKind = "sitemap" if link.kind == "sitemap" else "page"
                    queued.append(Item(link.url, kind, parent.source, link.published, link.modified))
            self._finish(parent.url, exchange, "done", None, None)
            self._remember_validators(parent.url, exchange, filters)
        return queued

    def requeue_children(self, parent: str, run: str) -> list[Item]:
        """An unchanged sitemap index (304): its child sitemaps may still have changed, so read them again."""
        return [_item(entry) for entry in self.store.requeue_child_sitemaps(parent, run)]

    def mark_storing(self, url: str, sha256: str, final_url: str) -> None:
        self.store.mark_frontier_storing(url, sha256, final_url)

    def mark_done(self, item: Item, exchange: Exchange, final_url: str, sha256: str | None) -> None:
        with self.store.transaction():
            self._finish(item.url, exchange, "done", None, sha256, final_url)
            self._remember_validators(item.url, exchange, None)
            if final_url != item.url:  # the redirect target is stored too: never fetch it on its own
                self._mark_target_done(final_url, item.source, sha256, exchange.status, exchange.fetched_at)

    def _mark_target_done(
        self, url: str, source: str | None, sha256: str | None, http_status: int | None, fetched_at: str
    ) -> None:
        self.store.mark_frontier_target_done(url, origin_of(url), source, sha256, http_status, fetched_at)

    def mark_alias(self, item: Item, final_url: str) -> None:
        """A page that redirects to a page stored before: done, nothing fetched or stored again."""
        self.store.mark_frontier_alias(item.url, final_url)

    def mark_unchanged(self, item: Item, exchange: Exchange) -> None:
        self.store.mark_frontier_unchanged(item.url, exchange.status, exchange.fetched_at)

    def mark_retry(self, item: Item, reason: str) -> None:
        self.store.mark_frontier_retry(item.url, item.attempts, item.not_before, reason)

    def mark_rejected(self, item: Item, reason: str, http_status: int | None) -> None:
        self.store.mark_frontier_rejected(item.url, reason, http_status)

    def _finish(
        self,
        url: str,
        exchange: Exchange,
        status: str,
        reason: str | None,
        sha256: str | None,
        final_url: str | None = None,
    ) -> None:
        self.store.finish_frontier(
            url,
            status,
            http_status=exchange.status,
            fetched_at=exchange.fetched_at,
            final_url=final_url or exchange.url,
            reason=reason,
            sha256=sha256,
        )

    def _remember_validators(self, url: str, exchange: Exchange, filters: str | None) -> None:
        etag = exchange.headers.get("etag")
        last_modified = exchange.headers.get("last-modified")
        self.store.set_http_validators(url, etag, last_modified, filters, exchange.fetched_at)

    def validators(self, url: str, filters: str | None) -> dict[str, str]:
        """If-None-Match / If-Modified-Since for a URL fetched before (discovery docs: only with the same filters)."""
        kept = self.store.http_validators(url)
        if kept is None or kept[2] != filters:
            return {}
        etag, last_modified, _ = kept
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        return headers

    def cached_robots(self, origin: str, ttl_s: float) -> tuple[int, bytes] | None:
        kept = self.store.robots_copy(origin)
        if kept is None or time.time() - kept[2] > ttl_s:
            return None
        return kept[0], kept[1]

    def keep_robots(self, origin: str, status: int, body: bytes) -> None:
        self.store.keep_robots(origin, status, body, time.time())

    def counts(self) -> dict[str, int]:
        return self.store.frontier_counts()


# politeness -----------------------------------------------------------------------------------------------------


@dataclass
class Host:
    """Per-origin state: robots rules, pacing, concurrency and the queue of its URLs."""

    origin: str
    delay: float
    concurrency: int
    next_at: float = 0.0  # event-loop time before which no request may start
    active: int = 0
    queue: list[tuple[float, int, Item]] = field(default_factory=list)  # heap by (not_before, seq)
    robots: RobotsRules | None = None
    robots_read_at: float = 0.0  # event-loop time robots.txt was last asked for
    refused: str | None = None  # the whole origin is skipped (e.g. Crawl-delay over the limit)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


# the crawl ------------------------------------------------------------------------------------------------------


@dataclass
class CrawlSummary:
    requests: int = 0
    pages_stored: int = 0  # new raw inputs in the store
    pages_unchanged: int = 0  # 304 Not Modified, or the same bytes as a page stored before
    feeds_read: int = 0
    sitemaps_read: int = 0
    discovered: int = 0  # new URLs in the frontier
    outside_window: int = 0  # listed with a date outside since/until: not fetched
    off_domain: int = 0  # listed on a host outside allowed_domains: not fetched
    retries: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    warc_files: list[str] = field(default_factory=list)
    seconds: float = 0.0
    frontier: dict[str, int] = field(default_factory=dict)
    ingest: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["rejected"] = dict(self.rejected)
        return data


ProgressCallback = Callable[[CrawlSummary, int], None]  # (summary so far, URLs still queued)


class Crawler:
    """One crawl run over a store. Use :func:`crawl` unless you are already inside an event loop."""

    def __init__(
        self,
        store: Store,
        settings: CrawlSettings,
        *,
        warc_dir: Path | None = None,
        max_pages: int | None = None,
        progress: ProgressCallback | None = None,
    ) -> None:
        self.store = store
        self.settings = settings
        self.frontier = Frontier(store)
        self.max_pages = max_pages
        self.progress = progress
        self.summary = CrawlSummary()
        self.run_id = f"{utc_now()}-{random.getrandbits(32):08x}"
        self.hosts: dict[str, Host] = {}
        self._seq = itertools.count()
        self._pages_dispatched = 0
        self._wake = asyncio.Event()
        self._filters = json.dumps(
            {
                "since": str(settings.since),
                "until": str(settings.until),
                "domains": sorted(settings.allowed_domains),
            }
        )
        self._keywords = (
            re.compile(
                r"\b(?:" + "|".join(re.escape(k.strip()) for k in settings.keywords if k.strip()) + r")\b",
                re.IGNORECASE,
            )
            if any(k.strip() for k in settings.keywords)
            else None
        )
        folder = warc_dir or settings.warc_dir or store.path.parent / "warc"
        self.archive = WarcArchive(folder, settings.warc_max_file_bytes) if settings.warc else None
        self.fetcher: Fetcher | None = None
        self._kept_at: dict[int, RawLocation] = {}  # WARC location of each kept exchange, by id, until stored

    # setup ----------------------------------------------------------------------------------------------------
    def seed(self, sources: Sequence[AnySource], *, recrawl: bool = False, retry_rejected: bool = False) -> None:
        self.frontier.recover()
        if recrawl:
            self.frontier.requeue_pages("done")
        if retry_rejected:
            self.frontier.requeue_pages("rejected")
        for source in sources:
            label = source_label(source)
            if isinstance(source, FeedSource | SitemapSource):
                try:
                    url = normalize_url(source.url)
                except FetchError as exc:
                    self._reject_seed(source.url, exc)
                    continue
                self.frontier.seed_discovery(url, source.type, label, self.run_id)
                continue
            try:
                urls = list(iter_source_urls(source))
            except RejectError as exc:
                self._reject_seed(str(getattr(source, "path", label)), exc)
                continue
            for raw_url in urls:
                try:
                    url = normalize_url(raw_url)
                except FetchError as exc:
                    self._reject_seed(raw_url, exc)
                    continue
                if not domain_allowed(url, self.settings.allowed_domains):
                    self._reject_seed(url, FetchError("off-domain", f"{host_of(url)} is outside the allowed domains"))
                    continue
                self.frontier.seed_page(url, label)

    def _reject_seed(self, item: str, exc: RejectError) -> None:
        self.store.add_reject(item, STAGE, str(exc))
        self.summary.rejected[exc.code] += 1

    def _host(self, origin: str) -> Host:
        host = self.hosts.get(origin)
        if host is None:
            host = Host(origin, self.settings.per_host_delay_s, self.settings.per_host_concurrency)
            self.hosts[origin] = host
        return host

    def _enqueue(self, item: Item) -> None:
        heapq.heappush(self._host(item.origin).queue, (item.not_before, next(self._seq), item))
        self._wake.set()

    # the run --------------------------------------------------------------------------------------------------
    async def run(self) -> CrawlSummary:
        """Crawl until the frontier has nothing queued (or max_pages pages were fetched)."""
        started = time.perf_counter()
        for item in self.frontier.queued():
            self._enqueue(item)
        self.fetcher = Fetcher(self.settings)
        try:
            await self._dispatch()
        finally:
            await self.fetcher.aclose()
            if self.archive is not None:
                self.archive.close()
                self.summary.warc_files = [str(p) for p in self.archive.files]
            self.summary.requests = self.fetcher.requests
            self.summary.seconds = round(time.perf_counter() - started, 3)
            self.summary.frontier = self.frontier.counts()
        return self.summary

    async def _dispatch(self) -> None:
        loop = asyncio.get_running_loop()
        tasks: set[asyncio.Task[None]] = set()
        turn = 0
        while True:
            self._wake.clear()
            now, wall = loop.time(), time.time()
            wait: float | None = None
            origins = list(self.hosts)
            turn += 1
            start = turn % len(origins) if origins else 0
            for origin in origins[start:] + origins[:start]:  # rotate so no host starves the others
                host = self.hosts[origin]
                while host.queue and len(tasks) < self.settings.global_concurrency and host.active < host.concurrency:
                    not_before, _, item = host.queue[0]
                    ready_in = max(not_before - wall, host.next_at - now)
                    if ready_in > 0:
                        wait = ready_in if wait is None else min(wait, ready_in)
                        break
                    if item.kind == "page" and self.max_pages is not None and self._pages_dispatched >= self.max_pages:
                        break
                    heapq.heappop(host.queue)
                    if item.kind == "page":
                        self._pages_dispatched += 1
                    host.active += 1
                    task = asyncio.create_task(self._process(host, item))
                    tasks.add(task)
                    task.add_done_callback(functools.partial(self._task_done, tasks))
            if not tasks and wait is None:
                return  # nothing running, nothing waiting for its time: done (or max_pages reached)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=wait)

    def _task_done(self, tasks: set[asyncio.Task[None]], task: asyncio.Task[None]) -> None:
        # wake the dispatcher only once the task has left the running set, or it could wait forever
        tasks.discard(task)
        self._wake.set()

    async def _process(self, host: Host, item: Item) -> None:
        try:
            if self.frontier.status(item.url) in ("done", "rejected"):
                return  # stored meanwhile as the target of a redirect
            if item.kind == "page":
                await self._fetch_page(item)
            else:
                await self._fetch_discovery(item)
        except FetchError as exc:
            self._failed(host, item, exc)
        except RejectError as exc:
            self._failed(host, item, FetchError(exc.code, str(exc)))
        except Exception as exc:  # a bug with one URL must not end the crawl
            self._failed(host, item, FetchError("internal-error", f"{type(exc).__name__}: {exc}"))
        finally:
            host.active -= 1
            self._wake.set()
            if self.progress is not None:
                self.progress(self.summary, sum(len(h.queue) for h in self.hosts.values()))

    def _failed(self, host: Host, item: Item, exc: FetchError) -> None:
        settings = self.settings
        if exc.retryable and item.attempts < settings.retries:
            wait = min(settings.backoff_max_s, settings.backoff_base_s * 2**item.attempts) * random.uniform(0.8, 1.2)
            if exc.retry_after is not None:
                if exc.retry_after > settings.max_retry_after_s:
                    self._reject(
                        item,
                        FetchError(
                            exc.code,
                            f"{exc}; Retry-After {exc.retry_after:g} s is over the "
                            f"{settings.max_retry_after_s:g} s limit",
                        ),
                    )
                    return
                wait = max(wait, exc.retry_after)
                # the server asked the whole host to slow down
                host.next_at = max(host.next_at, asyncio.get_running_loop().time() + exc.retry_after)
            item.attempts += 1
            item.not_before = time.time() + wait
            self.frontier.mark_retry(item, str(exc))
            self.summary.retries += 1
            self._enqueue(item)
            return
        if item.attempts:
            exc = FetchError(exc.code, f"{exc} (after {item.attempts + 1} attempts)")
        self._reject(item, exc)

    def _reject(self, item: Item, exc: FetchError) -> None:
        status = int(exc.code[5:]) if exc.code.startswith("http-") and exc.code[5:].isdigit() else None
        self.frontier.mark_rejected(item, str(exc), status)
        self.store.add_reject(item.url, STAGE, str(exc))
        self.summary.rejected[exc.code] += 1

    # requests -------------------------------------------------------------------------------------------------
    async def _pace(self, host: Host) -> None:
        """Wait for the host's turn; the delay counts from the start of the previous request..."""
        loop = asyncio.get_running_loop()
        while (wait := host.next_at - loop.time()) > 0:
            await asyncio.sleep(wait)
        host.next_at = loop.time() + host.delay

    @staticmethod
    def _paced_end(host: Host) -> None:
        """...and from its end: a slow server gets the full delay between one answer and the next request."""
        host.next_at = max(host.next_at, asyncio.get_running_loop().time() + host.delay)

    def _keep(self, exchange: Exchange) -> None:
        if self.archive is not None:
            path, offset = self.archive.write(exchange)
            self._kept_at[id(exchange)] = RawLocation(str(path), offset)

    async def _rules(self, host: Host) -> RobotsRules:
        async with host.lock:
            loop = asyncio.get_running_loop()
            # an unreadable robots.txt is asked for again, but not by every queued page of a site that is down
            stale = (
                host.robots is not None
                and host.robots.unavailable is not None
                and (loop.time() - host.robots_read_at > self.settings.backoff_base_s / 2)
            )
            if host.robots is None or stale:
                host.robots_read_at = loop.time()
                host.robots = await self._load_robots(host)
                delay = host.robots.crawl_delay(self.settings.robots_agent)
                if delay is not None:
                    if delay > self.settings.max_crawl_delay_s:
                        host.refused = (
                            f"robots.txt asks a Crawl-delay of {delay:g} s, over the "
                            f"{self.settings.max_crawl_delay_s:g} s limit; host skipped"
                        )
                    host.delay = max(self.settings.per_host_delay_s, delay)
                    self._paced_end(host)
            return host.robots

    async def _load_robots(self, host: Host) -> RobotsRules:
        assert self.fetcher is not None
        cached = self.frontier.cached_robots(host.origin, self.settings.robots_ttl_s)
        if cached is not None:
            return robots_from_response(*cached)
        url = host.origin + "/robots.txt"
        status: int | None = 404  # RFC 9309: too many redirects counts as "unavailable" (crawl allowed)
        body = b""
        for _ in range(6):
            robots_host = self._host(origin_of(url))
            await self._pace(robots_host)
            try:
                exchange = await self.fetcher.get(url, max_bytes=ROBOTS_MAX_BYTES, keep_head=True)
            except FetchError as exc:
                self._paced_end(robots_host)
                if not exc.retryable:  # e.g. a private address: say so rather than "robots.txt unavailable"
                    raise
                status = None
                break
            self._paced_end(robots_host)
            self._keep(exchange)
            location = exchange.headers.get("location")
            if exchange.status in REDIRECT_STATUS and location:
                try:
                    url = normalize_url(location, base=url)
                except FetchError:
                    break
                continue
            status, body = exchange.status, exchange.body
            break
        if status is not None and status < 500:
            self.frontier.keep_robots(host.origin, status, body)
        return robots_from_response(status, body)

    async def _get(
        self, item: Item, check: Callable[[Exchange], FetchError | None], validators: dict[str, str]
    ) -> tuple[str, Exchange | None]:
        """GET with redirects followed by hand: every hop is checked against the allowed domains and robots.txt,
        paced for its host, and (in the transport) for its address. No exchange: a page redirected to one that
        is stored already (not fetched again)."""
        assert self.fetcher is not None
        url = item.url
        chain = [url]
        for hop in range(self.settings.max_redirects + 1):
            if hop and item.kind == "page" and self.frontier.status(url) == "done":
                return url, None
            host = self._host(origin_of(url))
            rules = await self._rules(host)
            if rules.unavailable is not None:
                raise FetchError("robots-unavailable", rules.unavailable, retryable=True)
            if host.refused is not None:
                raise FetchError("crawl-delay", host.refused)
            if not rules.allows(url, self.settings.robots_agent):
                where = f" (redirected to {url})" if hop else ""
                raise FetchError("robots", f"disallowed by robots.txt{where}")
            await self._pace(host)
            try:
                exchange = await self.fetcher.get(url, headers=validators if hop == 0 else None, check=check)
            finally:
                self._paced_end(host)
            self._keep(exchange)
            if exchange.status not in REDIRECT_STATUS:
                return url, exchange
            location = exchange.headers.get("location")
            if not location:
                raise FetchError("bad-redirect", f"HTTP {exchange.status} without a Location header")
            try:
                target = normalize_url(location, base=url)
            except FetchError as exc:
                raise FetchError(exc.code, f"redirected to {location[:200]!r}: {exc}") from exc
            if not domain_allowed(target, self.settings.allowed_domains):
                raise FetchError("off-domain", f"redirected to {host_of(target)}, outside the allowed domains")
            if target in chain:
                raise FetchError("redirect-loop", f"redirect loop: {url} leads back to {target}")
            chain.append(target)
            url = target
        raise FetchError("too-many-redirects", f"more than {self.settings.max_redirects} redirects")

    @staticmethod
    def _raise_for_status(exchange: Exchange) -> None:
        status = exchange.status
        if status in RETRYABLE_STATUS:
            raise FetchError(
                f"http-{status}",
                f"HTTP {status} {exchange.reason}".strip(),
                retryable=True,
                retry_after=parse_retry_after(exchange.headers.get("retry-after")),
            )
        if not 200 <= status < 300 and status != 304:
            raise FetchError(f"http-{status}", f"HTTP {status} {exchange.reason}".strip())
        if exchange.error is not None:
            raise exchange.error

    async def _fetch_page(self, item: Item) -> None:
        final_url, exchange = await self._get(item, html_only, self.frontier.validators(item.url, None))
        if exchange is None:
            self.frontier.mark_alias(item, final_url)
            self.summary.pages_unchanged += 1
            return
        self._raise_for_status(exchange)
        if exchange.status == 304:
            self.frontier.mark_unchanged(item, exchange)
            self.summary.pages_unchanged += 1
            return
        body = exchange.body
        if not body.strip():
            raise FetchError("empty", "empty response body")
        if not exchange.content_type and not _looks_like_html(body):
            raise FetchError("not-html", "no content type and the body is not HTML")
        self._filter_page(item, body)
        raw = RawInput(source=final_url, data=body, kind="html", url=final_url, retrieved_at=exchange.fetched_at)
        self.frontier.mark_storing(item.url, raw.sha256, final_url)
        # provenance: the URL asked for, the source that listed it, and the WARC record the page is kept in
        where = self._kept_at.pop(id(exchange), None)
        if self.store.add_raw(raw, warc=where, fetched_url=item.url, found_by=item.source):
            self.summary.pages_stored += 1
        else:
            self.summary.pages_unchanged += 1
        self.frontier.mark_done(item, exchange, final_url, raw.sha256)
        self.store.clear_reject(item.url, STAGE)

    def _filter_page(self, item: Item, body: bytes) -> None:
        settings = self.settings
        if (settings.since or settings.until) and not item.published:
            published = _find_date(body)
            if published and not in_date_window(Link(item.url, published=published), settings.since, settings.until):
                window = f"{settings.since or '…'} to {settings.until or '…'}"
                raise FetchError("date-window", f"published {published}, outside {window}")
        if self._keywords is not None and not self._keywords.search(_visible_text(body)):
            raise FetchError("keyword", "none of the crawl keywords appears in the page")

    async def _fetch_discovery(self, item: Item) -> None:
        final_url, exchange = await self._get(item, document_like, self.frontier.validators(item.url, self._filters))
        assert exchange is not None  # only pages stop at a stored redirect target
        self._raise_for_status(exchange)
        if exchange.status == 304:
            self.frontier.mark_unchanged(item, exchange)
            for child in self.frontier.requeue_children(item.url, self.run_id):
                self._enqueue(child)
            return
        if item.kind == "feed":
            links = parse_feed(exchange.body, final_url)
            self.summary.feeds_read += 1
        else:
            links = parse_sitemap(exchange.body, final_url)
            self.summary.sitemaps_read += 1
        accepted: list[Link] = []
        for link in links:
            try:
                url = normalize_url(link.url, base=final_url)
            except FetchError:
                continue
            if not domain_allowed(url, self.settings.allowed_domains):
                self.summary.off_domain += 1
                continue
            if not in_date_window(link, self.settings.since, self.settings.until):
                self.summary.outside_window += 1
                continue
            accepted.append(Link(url, link.kind, link.published, link.modified, link.title))
        new_items = self.frontier.add_links(item, accepted, self.run_id, exchange, self._filters)
        self.summary.discovered += sum(1 for i in new_items if i.kind == "page")
        for new in new_items:
            self._enqueue(new)
        self.store.clear_reject(item.url, STAGE)


def _looks_like_html(body: bytes) -> bool:
    head = body[:4096].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith(b"<") and any(m in head for m in (b"<html", b"<!doctype html", b"<head", b"<body"))


def _visible_text(body: bytes) -> str:
    import lxml.html
    from lxml import etree

    try:
        document = lxml.html.document_fromstring(body)
    except (etree.ParserError, ValueError):
        return body.decode("utf-8", errors="replace")
    etree.strip_elements(document, "script", "style", "noscript", with_tail=False)
    return str(document.text_content())


def _find_date(body: bytes) -> str | None:
    from htmldate import find_date

    try:
        found = find_date(body.decode("utf-8", errors="replace"), original_date=True, extensive_search=False)
    except Exception:  # htmldate is best effort: an odd page just has no known date
        return None
    return str(found) if found else None


# entry points ---------------------------------------------------------------------------------------------------


def crawl(
    store: Store,
    sources: Sequence[AnySource],
    settings: CrawlSettings,
    *,
    ingest_settings: Settings | None = None,
    recrawl: bool = False,
    retry_rejected: bool = False,
    max_pages: int | None = None,
    progress: ProgressCallback | None = None,
) -> CrawlSummary:
    """Crawl ``sources`` into ``store``; then, given ``ingest_settings``, turn the new pages into articles."""

    async def _run() -> CrawlSummary:
        crawler = Crawler(store, settings, max_pages=max_pages, progress=progress)
        crawler.seed(sources, recrawl=recrawl, retry_rejected=retry_rejected)
        return await crawler.run()

    summary = asyncio.run(_run())
    if ingest_settings is not None:
        from pipeline.ingest import process_pending

        ingested = process_pending(store, ingest_settings)
        summary.ingest = {
            "accepted": ingested.accepted,
            "duplicates": ingested.duplicates,
            "off_topic": ingested.off_topic,
            "rejected": dict(ingested.rejected),
        }
    return summary


def crawl_settings_from(settings: Settings) -> CrawlSettings:
    """The ``[crawl]`` section as :class:`CrawlSettings` (whether or not config.py uses the class yet)."""
    section: Any = settings.crawl
    if isinstance(section, CrawlSettings):
        return section
    try:
        return CrawlSettings.model_validate(section.model_dump())
    except ValueError as exc:
        errors = getattr(exc, "errors", None)
        if callable(errors):
            first = errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise ConfigError(f"crawl.{where}: {first['msg']}") from exc
        raise ConfigError(f"crawl: {exc}") from exc


def sources_from(settings: Settings, crawl_settings: CrawlSettings, base_dir: Path) -> list[AnySource]:
    """``[[sources]]`` of the config plus those of ``crawl.sources_file``; relative paths from ``base_dir``."""
    sources = parse_sources(settings.sources, base_dir=base_dir)
    if crawl_settings.sources_file is not None:
        path = crawl_settings.sources_file
        sources += load_sources_file(path if path.is_absolute() else base_dir / path)
    return sources
