"""Stand-off release → ``survnews rehydrate`` against a real HTTP server on 127.0.0.1 started by the test.

The sample pages are served with their canonical URLs rewritten to the loopback server, crawled into a store,
tagged, published in stand-off mode; then some pages change, disappear or become disallowed by robots.txt, and
rehydration reports each record as reproduced / changed / gone / refused and rebuilds the reproduced ones exactly.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from pipeline.config import Settings
from pipeline.crawl import crawl
from pipeline.fetch import CrawlSettings
from pipeline.publish import publish, release_dir
from pipeline.release.rehydrate import rehydrate
from pipeline.run import tag_store
from pipeline.sources import UrlListSource
from pipeline.store import Store

SAMPLE_HTML = sorted((Path(__file__).resolve().parents[1] / "corpus" / "samples" / "html").glob("*.html"))
USER_AGENT = "survnews-test/1.0 (+mailto:rehydrate-tests@example.org)"


class Site:
    def __init__(self) -> None:
        self.pages: dict[str, bytes] = {}
        self.robots = "User-agent: *\nAllow: /\n"
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path == "/robots.txt":
                    body, status, kind = site.robots.encode(), 200, "text/plain"
                elif self.path in site.pages:
                    body, status, kind = site.pages[self.path], 200, "text/html; charset=utf-8"
                else:
                    body, status, kind = b"not here", 404, "text/plain"
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def site() -> Iterator[Site]:
    served = Site()
    for path in SAMPLE_HTML:
        html = path.read_text(encoding="utf-8")
        html = re.sub(r"https?://(?:www\.)?[a-z0-9.-]+\.[a-z]{2,}(?=/)", served.base, html)
        canonical = re.search(r'<link rel="canonical" href="([^"]+)"', html)
        assert canonical is not None
        served.pages[canonical.group(1)[len(served.base) :]] = html.encode("utf-8")
    yield served
    served.close()


def crawl_settings(tmp_path: Path) -> CrawlSettings:
    # loopback is a private address: allowed explicitly, as in the crawler's own tests
    return CrawlSettings(
        user_agent=USER_AGENT,
        per_host_delay_s=0.0,
        allow_private=True,
        retries=0,
        robots_ttl_s=0.0,
        warc_dir=tmp_path / "warc",
    )


def test_standoff_release_rehydrates_on_loopback(site: Site, settings: Settings, tmp_path: Path) -> None:
    urls = [site.base + path for path in site.pages]
    with Store(settings.store.path) as store:
        crawl(store, [UrlListSource(type="urls", urls=urls)], crawl_settings(tmp_path), ingest_settings=settings)
        tag_store(store, settings)
        articles = {a.id: a for a in store.articles(relevant_only=True)}
        assert len(articles) >= 5 and all(a.url and a.url.startswith(site.base) for a in articles.values())
        entry = publish(store, settings, mode="standoff")
    assert entry["mode"] == "standoff"
    folder = release_dir(settings)
    released = pq.read_table(next((folder / "data" / entry["version"]).glob("train-*.parquet"))).to_pylist()
    assert all(r["text"] is None and r["description"] is None for r in released)
    for record in released:  # offsets index into the original text, which only the hash stands for
        original = articles[record["id"]].text
        for entity in record["entities"]:
            if not entity["private_person"]:
                assert original[entity["start"] : entity["end"]] == entity["text"]

    by_url = {r["url"]: r for r in released}
    ordered = sorted(by_url)
    changed_url, gone_url, refused_url = ordered[0], ordered[1], ordered[2]
    path_of = {u: u[len(site.base) :] for u in ordered}
    page = site.pages[path_of[changed_url]].decode("utf-8")
    site.pages[path_of[changed_url]] = re.sub(r"(<p>)", r"\1Update: this story was corrected. ", page, count=3).encode()
    del site.pages[path_of[gone_url]]
    site.robots = f"User-agent: *\nDisallow: {path_of[refused_url]}\n"

    out = tmp_path / "rehydrated"
    report = rehydrate(folder, out, settings, crawl_settings(tmp_path / "again"))
    outcome = {item["url"]: item["outcome"] for item in report.items}
    assert outcome[changed_url] == "changed"
    assert outcome[gone_url] == "gone"
    assert outcome[refused_url] == "refused"
    still_served = [u for u in ordered[3:]]
    assert still_served and all(outcome[u] == "reproduced" for u in still_served)
    assert report.outcomes["reproduced"] == len(still_served)

    rebuilt = pq.read_table(out / "data" / "train-00000-of-00001.parquet").to_pylist()
    assert {r["url"] for r in rebuilt} == set(still_served)
    for record in rebuilt:
        article = articles[record["id"]]
        assert record["text"] == article.text  # every hash of a page still served is reproduced
        assert [(e["start"], e["end"], e["text"]) for e in record["entities"]] == [
            (e.start, e.end, e.text) for e in article.entities
        ]
    saved = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert saved["outcomes"] == {"reproduced": len(still_served), "changed": 1, "gone": 1, "refused": 1}


def test_rehydrate_refuses_a_release_that_is_not_standoff(settings: Settings, tmp_path: Path) -> None:
    from pipeline.release.rehydrate import RehydrateError
    from pipeline.run import run_all

    run_all(settings)
    with pytest.raises(RehydrateError, match="pseudonymised, not standoff"):
        rehydrate(release_dir(settings), tmp_path / "out", settings, crawl_settings(tmp_path))
