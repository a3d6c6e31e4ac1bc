"""Extraction benchmark: survnews ``extract_html`` against bare trafilatura, side by side in one run.

    .venv/bin/python benchmarks/extraction.py                # 181 pages + surveillance pages + metadata
    .venv/bin/python benchmarks/extraction.py --subset ci    # the fixed 31-page subset the CI test uses
    .venv/bin/python benchmarks/extraction.py --json out.json

Data: ``../shared/eval/extraction-benchmark`` (scrapinghub article-extraction-benchmark: html/*.html.gz and
ground-truth.json articleBody) and ``../shared/eval/surveillance-news/html`` (readability expected output;
trafilatura must / must-not snippets). Metric: per page token precision / recall / F1 over the multiset of
lowercase word tokens (``\\w+``), averaged over pages; an empty output scores 0. Speed: pages per second of
wall time and per CPU second (this process plus the survnews worker) per system; systems take turns page by page
so that load from other processes hits all alike.
survnews is timed through its public ``extract_html`` (worker process, metadata, language included).
"""

from __future__ import annotations

import argparse
import gzip
import json
import logging
import re
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
BENCHMARK = SHARED / "eval" / "extraction-benchmark"
SURVEILLANCE = SHARED / "eval" / "surveillance-news"
SAMPLES = ROOT / "corpus" / "samples"
CI_SUBSET_STEP = 6  # every 6th page of the sorted page ids: 31 pages

_TOKEN = re.compile(r"\w+")


def tokens(text: str) -> Counter[str]:
    return Counter(_TOKEN.findall(text.lower()))


def token_prf(predicted: str, truth: str) -> tuple[float, float, float]:
    """Precision, recall, F1 over the multisets of lowercase word tokens."""
    p, t = tokens(predicted), tokens(truth)
    overlap = sum((p & t).values())
    if not overlap:
        return 0.0, 0.0, 0.0
    precision, recall = overlap / sum(p.values()), overlap / sum(t.values())
    return precision, recall, 2 * precision * recall / (precision + recall)


def load_benchmark(subset: str = "all", limit: int | None = None) -> list[tuple[str, bytes, str]]:
    """(page id, html bytes, ground-truth body) for the benchmark pages, sorted by id."""
    truth = json.loads((BENCHMARK / "ground-truth.json").read_text(encoding="utf-8"))
    ids = sorted(truth)
    if subset == "ci":
        ids = ids[::CI_SUBSET_STEP]
    if limit:
        ids = ids[:limit]
    return [
        (key, gzip.decompress((BENCHMARK / "html" / f"{key}.html.gz").read_bytes()), truth[key]["articleBody"])
        for key in ids
    ]


def trafilatura_system(**options: Any) -> Callable[[bytes], str]:
    import trafilatura

    def run(data: bytes) -> str:
        return trafilatura.extract(data, **options) or ""

    return run


def survnews_system(data: bytes) -> str:
    from pipeline.errors import RejectError
    from pipeline.extract import extract_html

    try:
        return extract_html(data).text
    except RejectError:
        return ""


SYSTEMS: dict[str, Callable[[bytes], str]] = {}


def systems() -> dict[str, Callable[[bytes], str]]:
    if not SYSTEMS:
        SYSTEMS.update(
            {
                "trafilatura default": trafilatura_system(),
                "trafilatura default, comments off": trafilatura_system(include_comments=False),
                "trafilatura favor_precision": trafilatura_system(favor_precision=True),
                "trafilatura favor_precision, comments off": trafilatura_system(
                    favor_precision=True, include_comments=False
                ),
                "survnews extract_html": survnews_system,
            }
        )
    return SYSTEMS


@dataclass
class Score:
    precision: list[float] = field(default_factory=list)
    recall: list[float] = field(default_factory=list)
    f1: list[float] = field(default_factory=list)
    seconds: float = 0.0
    cpu_seconds: float = 0.0

    def add(self, prf: tuple[float, float, float]) -> None:
        self.precision.append(prf[0])
        self.recall.append(prf[1])
        self.f1.append(prf[2])

    def summary(self) -> dict[str, float]:
        n = max(len(self.f1), 1)
        return {
            "pages": len(self.f1),
            "precision": sum(self.precision) / n,
            "recall": sum(self.recall) / n,
            "f1": sum(self.f1) / n,
            "pages_per_second": len(self.f1) / self.seconds if self.seconds else 0.0,
            "pages_per_cpu_second": len(self.f1) / self.cpu_seconds if self.cpu_seconds else 0.0,
        }


def run_benchmark(pages: list[tuple[str, bytes, str]], names: list[str] | None = None) -> dict[str, dict[str, float]]:
    chosen = {k: v for k, v in systems().items() if names is None or k in names}
    # Warm up: imports, the survnews worker, py3langid and dateparser models load once, outside the timing.
    for run in chosen.values():
        run(pages[0][1])
    scores = {name: Score() for name in chosen}
    from pipeline.extract import worker_cpu_seconds

    for _, data, truth in pages:
        for name, run in chosen.items():
            start, cpu_start, worker_start = time.perf_counter(), time.process_time(), worker_cpu_seconds()
            text = run(data)
            scores[name].seconds += time.perf_counter() - start
            # CPU time (this process plus the survnews worker) is steadier than wall time on a shared machine.
            scores[name].cpu_seconds += time.process_time() - cpu_start + worker_cpu_seconds() - worker_start
            scores[name].add(token_prf(text, truth))
    return {name: score.summary() for name, score in scores.items()}


def _html_to_text(html: str) -> str:
    from lxml import html as lxml_html

    tree = lxml_html.fromstring(html)
    return "\n".join(" ".join(e.text_content().split()) for e in tree.iter("p", "h1", "h2", "h3", "li", "pre"))


def run_surveillance_pages() -> list[dict[str, Any]]:
    """Per page: token F1 against readability's expected output, or must / must-not snippet counts."""
    folder = SURVEILLANCE / "html"
    rows = []
    for source in sorted(folder.glob("readability-*.source.html")):
        expected = _html_to_text(source.with_name(source.name.replace(".source.", ".expected.")).read_text("utf-8"))
        row: dict[str, Any] = {"page": source.name.removesuffix(".source.html"), "kind": "readability"}
        for name, run in systems().items():
            row[name] = round(token_prf(run(source.read_bytes()), expected)[2], 3)
        rows.append(row)
    for spec_path in sorted(folder.glob("trafilatura-*.expected.json")):
        spec = json.loads(spec_path.read_text(encoding="utf-8"))
        page = spec_path.with_name(spec_path.name.replace(".expected.json", ".html"))
        row = {"page": page.name.removesuffix(".html"), "kind": "snippets"}
        for name, run in systems().items():
            text = " ".join(run(page.read_bytes()).split())
            found = sum(" ".join(s.split()) in text for s in spec.get("with", []))
            leaked = sum(" ".join(s.split()) in text for s in spec.get("without", []))
            row[name] = f"{found}/{len(spec.get('with', []))} in, {leaked}/{len(spec.get('without', []))} leaked"
        rows.append(row)
    return rows


def run_metadata() -> dict[str, dict[str, Any]]:
    """survnews metadata against known values: surveillance-news manifest dates and the sample pages."""
    import csv

    from pipeline.extract import extract_html

    checks: dict[str, list[bool]] = {}

    def check(field_name: str, got: Any, want: Any) -> None:
        checks.setdefault(field_name, []).append(got == want)

    manifest = SURVEILLANCE / "manifest.csv"
    if manifest.exists():
        with manifest.open(encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                if row["format"] != "html":
                    continue
                result = extract_html((SURVEILLANCE / row["local_file"]).read_bytes())
                if row["date"]:
                    check("published (surveillance-news)", result.published, row["date"][:10])
                check("title (surveillance-news)", result.title, row["title"])
                check("language (surveillance-news)", result.language, row["language"])
    expected_file = SAMPLES / "expected.json"
    if expected_file.exists():
        for name, spec in json.loads(expected_file.read_text(encoding="utf-8")).items():
            if not name.endswith(".html"):
                continue
            result = extract_html((SAMPLES / name).read_bytes())
            for field_name in ("published", "title", "authors", "publisher", "original_publisher", "url", "language"):
                check(f"{field_name} (samples)", getattr(result, field_name), spec.get(field_name))
    return {k: {"correct": sum(v), "total": len(v)} for k, v in checks.items()}


def print_table(results: dict[str, dict[str, float]], baseline: str = "trafilatura default") -> None:
    base = results.get(baseline, {})
    print(f"| system | pages | precision | recall | F1 | pages/s (wall) | vs {baseline} | pages/CPU-s | ratio |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, r in results.items():
        wall = r["pages_per_second"] / base["pages_per_second"] if base.get("pages_per_second") else float("nan")
        cpu = r["pages_per_cpu_second"] / base["pages_per_cpu_second"] if base.get("pages_per_cpu_second") else 0.0
        print(
            f"| {name} | {r['pages']} | {r['precision']:.4f} | {r['recall']:.4f} | {r['f1']:.4f} "
            f"| {r['pages_per_second']:.1f} | {wall:.2f}x | {r['pages_per_cpu_second']:.1f} | {cpu:.2f}x |"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--subset", choices=["all", "ci"], default="all")
    parser.add_argument("--limit", type=int, default=None, help="only the first N pages")
    parser.add_argument("--skip-extra", action="store_true", help="benchmark pages only")
    parser.add_argument("--json", type=Path, default=None, help="write all figures to this file")
    args = parser.parse_args(argv)
    if not BENCHMARK.exists():
        print(f"benchmark data not found: {BENCHMARK}", file=sys.stderr)
        return 2
    logging.disable(logging.CRITICAL)
    sys.path.insert(0, str(ROOT))

    pages = load_benchmark(args.subset, args.limit)
    results = run_benchmark(pages)
    print(f"## Extraction benchmark: {len(pages)} pages of {BENCHMARK}\n")
    print_table(results)
    report: dict[str, Any] = {"benchmark": results}
    if not args.skip_extra and SURVEILLANCE.exists():
        rows = run_surveillance_pages()
        names = list(systems())
        print(f"\n## Surveillance-news pages ({SURVEILLANCE / 'html'}): F1 vs readability / snippets\n")
        print("| page | kind | " + " | ".join(names) + " |")
        print("|---|---|" + "---|" * len(names))
        for row in rows:
            print(f"| {row['page']} | {row['kind']} | " + " | ".join(str(row[n]) for n in names) + " |")
        metadata = run_metadata()
        print("\n## survnews metadata against known values\n")
        print("| field (source) | correct | total |")
        print("|---|---|---|")
        for name, counts in metadata.items():
            print(f"| {name} | {counts['correct']} | {counts['total']} |")
        report.update({"surveillance_pages": rows, "metadata": metadata})
    if args.json:
        args.json.write_text(json.dumps(report, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
