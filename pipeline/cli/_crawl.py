"""``survnews crawl``: feeds, sitemaps and URL lists, fetched politely into the store (registered lazily)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from pipeline.cli._errors import check_strict, handle_errors
from pipeline.cli._options import (
    ConfigOption,
    JsonOption,
    NewStoreOption,
    RunnerOption,
    StrictOption,
    WorkersOption,
    settings_from,
)
from pipeline.cli._output import emit_json, err, out, safe
from pipeline.errors import ConfigError

if TYPE_CHECKING:
    from pipeline.crawl import CrawlSummary, ProgressCallback


@handle_errors
def crawl_cli(
    urls: Annotated[list[str] | None, typer.Argument(help="Article URLs to fetch.", show_default=False)] = None,
    feed: Annotated[list[str] | None, typer.Option("--feed", help="RSS/Atom feed URL (repeatable).")] = None,
    sitemap: Annotated[
        list[str] | None, typer.Option("--sitemap", help="Sitemap or sitemap index URL (repeatable).")
    ] = None,
    url_file: Annotated[
        list[Path] | None, typer.Option("--url-file", help="File with one URL a line (repeatable).")
    ] = None,
    config: ConfigOption = None,
    store: NewStoreOption = None,
    allow_private: Annotated[
        bool, typer.Option("--allow-private", help="Allow private, loopback and link-local addresses.")
    ] = False,
    recrawl: Annotated[bool, typer.Option("--recrawl", help="Fetch stored pages again (conditionally).")] = False,
    retry_rejected: Annotated[bool, typer.Option("--retry-rejected", help="Try rejected pages again.")] = False,
    max_pages: Annotated[int | None, typer.Option("--max-pages", min=1, help="Stop after this many pages.")] = None,
    ingest: Annotated[bool, typer.Option("--ingest/--no-ingest", help="Extract articles from new pages.")] = True,
    json_output: JsonOption = False,
    strict: StrictOption = False,
    workers: WorkersOption = None,
    runner: RunnerOption = None,
) -> None:
    """Crawl feeds, sitemaps and URL lists politely into the store, then extract the articles.

    Sources given on the command line replace the sources of the config file.
    """
    from pipeline.crawl import crawl, crawl_settings_from, sources_from
    from pipeline.sources import parse_sources
    from pipeline.store import Store

    settings = settings_from(config, store, workers, runner)
    base_dir = config.resolve().parent if config is not None else Path.cwd()
    crawl_settings = crawl_settings_from(settings)
    if allow_private:
        crawl_settings = crawl_settings.model_copy(update={"allow_private": True})
    if crawl_settings.warc_dir is not None and not crawl_settings.warc_dir.is_absolute():
        crawl_settings = crawl_settings.model_copy(update={"warc_dir": base_dir / crawl_settings.warc_dir})
    given: list[dict[str, Any]] = [{"type": "feed", "url": u} for u in feed or []]
    given += [{"type": "sitemap", "url": u} for u in sitemap or []]
    given += [{"type": "url-file", "path": p} for p in url_file or []]
    if urls:
        given.append({"type": "urls", "urls": list(urls), "name": "command line"})
    sources = parse_sources(given, Path.cwd()) if given else sources_from(settings, crawl_settings, base_dir)
    if not sources:
        raise ConfigError("nothing to crawl: give URLs, --feed, --sitemap, --url-file or [[sources]] in the config")
    if "example.org" in crawl_settings.user_agent:
        err.print("note: set crawl.user_agent to name your own contact before crawling real sites")
    with Store(settings.store.path) as db:
        run_id = db.start_run("crawl")
        summary = crawl(
            db,
            sources,
            crawl_settings,
            ingest_settings=settings if ingest else None,
            recrawl=recrawl,
            retry_rejected=retry_rejected,
            max_pages=max_pages,
            progress=_progress_printer(),
        )
        db.finish_run(run_id, summary.as_dict())
    if json_output:
        emit_json(summary.as_dict())
    else:
        _print_summary(summary)
    rejected = sum(summary.rejected.values()) + (sum(summary.ingest["rejected"].values()) if summary.ingest else 0)
    check_strict(strict, rejected, "pages or inputs")


def _progress_printer() -> ProgressCallback:
    """A line every few seconds on stderr: enough to see a long crawl move, quiet in logs."""
    last = [0.0]

    def show(summary: CrawlSummary, queued: int) -> None:
        now = time.monotonic()
        if now - last[0] >= 5.0:
            last[0] = now
            err.print(
                f"crawl: {summary.pages_stored} stored, {sum(summary.rejected.values())} rejected, {queued} queued"
            )

    return show


def _print_summary(summary: CrawlSummary) -> None:
    out.print(
        f"crawl: {summary.requests} requests in {summary.seconds:.1f} s; {summary.feeds_read} feeds and "
        f"{summary.sitemaps_read} sitemaps read; {summary.discovered} new URLs; {summary.pages_stored} pages "
        f"stored, {summary.pages_unchanged} unchanged, {summary.retries} retries"
    )
    if summary.outside_window or summary.off_domain:
        out.print(
            f"  not fetched: {summary.outside_window} outside the date window, "
            f"{summary.off_domain} outside the allowed domains"
        )
    for code, n in sorted(summary.rejected.items()):
        out.print(f"  rejected ({safe(code)}): {n}")
    if summary.warc_files:
        out.print(f"  WARC: {', '.join(safe(name) for name in summary.warc_files)}")
    if summary.ingest is not None:
        ing = summary.ingest
        out.print(
            f"ingest: {ing['accepted']} articles, {ing['duplicates']} duplicates, {ing['off_topic']} off-topic, "
            f"{sum(ing['rejected'].values())} rejected"
        )
