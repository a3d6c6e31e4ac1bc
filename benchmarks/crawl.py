"""Crawl throughput: pages per second and peak memory at concurrency 1, 4 and 16, side by side.

A local web site (a ThreadingHTTPServer in its own process, so it does not share the crawler's interpreter) serves
synthetic article pages listed in a sitemap, optionally after a fixed delay that stands in for network latency.
Each concurrency level then crawls the whole site in a fresh process, into a fresh store, with politeness off for
that host (no delay, per-host concurrency = global concurrency) and WARC writing on; extraction is not run, so
this measures the fetch layer: HTTP, frontier bookkeeping in SQLite, the store and the WARC file.

    .venv/bin/python benchmarks/crawl.py                  # 200 pages, latency 0 and 50 ms
    .venv/bin/python benchmarks/crawl.py --pages 500 --latency-ms 0 --latency-ms 20
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import socket
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

CONCURRENCY = (1, 4, 16)
WORDS = [
    "camera",
    "police",
    "data",
    "city",
    "council",
    "privacy",
    "network",
    "contract",
    "report",
    "audit",
    "court",
    "phone",
    "location",
    "drone",
    "border",
    "facial",
    "recognition",
    "license",
    "plate",
    "reader",
    "spyware",
    "warrant",
    "agency",
    "company",
    "protest",
    "journalist",
    "retention",
    "database",
    "biometric",
    "identity",
    "wifi",
    "tracking",
    "surveillance",
    "oversight",
]


def article(n: int, size: int) -> bytes:
    rng = random.Random(n)
    text = []
    length = 0
    while length < size:
        sentence = " ".join(rng.choice(WORDS) for _ in range(18)).capitalize() + "."
        text.append(f"<p>{sentence}</p>")
        length += len(sentence) + 7
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>Story {n}</title></head><body>"
        f"<nav><a href='/'>Home</a></nav><article><h1>Story {n}</h1>{''.join(text)}</article></body></html>"
    ).encode()


def serve(pages: int, size: int, latency_s: float) -> None:
    """Run the site until stdin closes; prints its port first."""
    bodies = {f"/story/{n}.html": article(n, size) for n in range(pages)}
    site: dict[str, bytes] = {}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self) -> None:
            super().setup()
            # headers and body go out as two writes: without this, Nagle + delayed ACK add ~40 ms to each page
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            if self.path == "/robots.txt":
                body, kind = b"User-agent: *\nAllow: /\n", "text/plain"
            elif self.path == "/sitemap.xml":
                body, kind = site["sitemap"], "application/xml"
            elif self.path in bodies:
                body, kind = bodies[self.path], "text/html; charset=utf-8"
                if latency_s:
                    time.sleep(latency_s)
            else:
                body, kind = b"not found", "text/plain"
            self.send_response(200 if body != b"not found" else 404)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    base = f"http://127.0.0.1:{server.server_port}"
    urls = "".join(f"<url><loc>{base}{p}</loc></url>" for p in bodies)
    site["sitemap"] = f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'.encode()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(server.server_port, flush=True)
    sys.stdin.read()  # the benchmark closes our stdin when it is done
    server.shutdown()


def run_once(base: str, concurrency: int, folder: Path) -> dict[str, Any]:
    """One crawl of the site in this process; the caller runs it in a fresh process per level."""
    from pipeline.crawl import crawl
    from pipeline.fetch import CrawlSettings
    from pipeline.sources import SitemapSource
    from pipeline.store import Store

    settings = CrawlSettings(
        user_agent="survnews-benchmark/1.0 (+mailto:crawler-benchmark@example.org)",
        per_host_delay_s=0.0,
        per_host_concurrency=concurrency,
        global_concurrency=concurrency,
        allowed_private_networks=["127.0.0.1/32"],
    )
    baseline_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with Store(folder / "store.sqlite") as store:
        summary = crawl(store, [SitemapSource(type="sitemap", url=f"{base}/sitemap.xml")], settings)
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    warc_bytes = sum(Path(f).stat().st_size for f in summary.warc_files)
    return {
        "concurrency": concurrency,
        "pages": summary.pages_stored,
        "seconds": summary.seconds,
        "pages_per_s": round(summary.pages_stored / summary.seconds, 1) if summary.seconds else 0.0,
        "peak_rss_mb": round(peak_kb / 1024, 1),
        "rss_growth_mb": round((peak_kb - baseline_kb) / 1024, 1),
        "warc_mb": round(warc_bytes / 1e6, 2),
        "rejected": dict(summary.rejected),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--page-bytes", type=int, default=20_000, help="text per page (the HTML is a bit more)")
    parser.add_argument("--latency-ms", type=float, action="append", help="server delay per page (repeatable)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--run", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--base", help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    latencies = args.latency_ms or [0.0, 50.0]

    if args.serve:
        serve(args.pages, args.page_bytes, latencies[0] / 1000)
        return
    if args.run is not None:
        print(json.dumps(run_once(args.base, args.run, args.folder)))
        return

    rows = []
    for latency in latencies:
        server = subprocess.Popen(
            [
                sys.executable,
                __file__,
                "--serve",
                "--pages",
                str(args.pages),
                "--page-bytes",
                str(args.page_bytes),
                "--latency-ms",
                str(latency),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert server.stdout is not None
            base = f"http://127.0.0.1:{server.stdout.readline().strip()}"
            for concurrency in CONCURRENCY:
                with tempfile.TemporaryDirectory() as folder:
                    out = subprocess.run(
                        [sys.executable, __file__, "--run", str(concurrency), "--base", base, "--folder", folder],
                        check=True,
                        capture_output=True,
                        text=True,
                    )
                row = json.loads(out.stdout.strip().splitlines()[-1])
                row["latency_ms"] = latency
                rows.append(row)
                print(
                    f"latency {latency:g} ms, concurrency {concurrency}: {row['pages_per_s']} pages/s", file=sys.stderr
                )
        finally:
            if server.stdin is not None:
                server.stdin.close()
            server.wait(timeout=10)

    print(f"\n{args.pages} pages of ~{args.page_bytes // 1000} kB, WARC on, no extraction\n")
    print("| server latency | concurrency | pages/s | seconds | peak RSS (MB) | RSS growth (MB) | WARC (MB) |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        print(
            f"| {row['latency_ms']:g} ms | {row['concurrency']} | {row['pages_per_s']} | {row['seconds']} | "
            f"{row['peak_rss_mb']} | {row['rss_growth_mb']} | {row['warc_mb']} |"
        )
        if row["pages"] != args.pages or row["rejected"]:
            print(f"  (!) stored {row['pages']} of {args.pages}; rejected: {row['rejected']}")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
