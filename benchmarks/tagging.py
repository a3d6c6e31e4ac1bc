"""Tagging benchmark: ``survnews tag`` (``pipeline.run.tag_store``) against bare ``nlp.pipe`` of the same pipeline.

    .venv/bin/python benchmarks/tagging.py                          # throughput, n_process 1 and 2, 2000 docs
    .venv/bin/python benchmarks/tagging.py --memory 5000 50000      # + peak memory of tagging 5k and 50k docs
    .venv/bin/python benchmarks/tagging.py --model blank --docs 500 --json out.json
    .venv/bin/python benchmarks/tagging.py --peer en_core_web_sm --skip-throughput   # full vs today's vs peer

Documents are generated from the sample articles in ``corpus/samples/text`` (paragraphs drawn with a fixed seed,
``--paragraphs`` per document). Throughput: words per second of wall time; ``survnews tag`` is timed end to end over
a SQLite store holding the same texts (read texts, tag, convert to ``Entity``, write back in batches); bare is
``load_tagger`` + ``for doc in nlp.pipe(texts)`` on the texts in memory (both load the pipeline inside the timing,
as the command does). The two alternate, best of ``--repeats``, so that load from
other processes hits both alike. Memory: each size runs ``tag_store`` in a fresh process on a store built beforehand,
and reports that process's peak resident set size (``ru_maxrss``): streaming keeps it flat as the corpus grows.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "corpus" / "samples" / "text"


def sample_paragraphs() -> list[str]:
    paragraphs: list[str] = []
    for path in sorted(SAMPLES.glob("*.txt")):
        for block in path.read_text(encoding="utf-8").split("\n\n"):
            block = " ".join(block.split())
            if len(block.split()) >= 12:  # skip titles, bylines, hashtag lines
                paragraphs.append(block)
    if not paragraphs:
        raise SystemExit(f"no sample texts in {SAMPLES}")
    return paragraphs


def generate_texts(n: int, paragraphs_per_doc: int, seed: int = 13) -> Iterator[str]:
    pool = sample_paragraphs()
    rng = random.Random(seed)
    for i in range(n):
        picked = [pool[rng.randrange(len(pool))] for _ in range(paragraphs_per_doc)]
        yield f"Report {i}. " + "\n\n".join(picked)


def build_store(path: Path, n: int, paragraphs_per_doc: int) -> int:
    """A store with ``n`` generated articles (streamed in); returns the number of words."""
    from pipeline.records import Article, Provenance
    from pipeline.store import Store

    words = 0
    with Store(path) as store:
        for i, text in enumerate(generate_texts(n, paragraphs_per_doc)):
            words += len(text.split())
            digest = hashlib.sha256(text.encode()).hexdigest()
            article = Article(
                id=f"bench{i:08d}",
                url=None,
                source_path=f"bench/{i}.txt",
                title=f"Report {i}",
                authors=[],
                published=None,
                publisher=None,
                original_publisher=None,
                language="en",
                text=text,
                relevance=1.0,
                relevant=True,
                entities=[],
                provenance=Provenance(retrieved_at="", sha256=digest, pipeline_version=""),
            )
            store.upsert_article(article, digest, digest)
    return words


def settings_for(store_path: Path, model: str, n_process: int, batch_size: int) -> Any:
    from pipeline.config import Settings

    settings = Settings()
    settings.store.path = store_path
    settings.tagger.model = model
    settings.runner.workers = n_process  # [tagger] n_process is gone: the runner's workers tag
    settings.tagger.batch_size = batch_size
    return settings


def time_survnews_tag(store_path: Path, model: str, n_process: int, batch_size: int) -> float:
    from pipeline.run import tag_store
    from pipeline.store import Store

    settings = settings_for(store_path, model, n_process, batch_size)
    with Store(store_path) as store:
        started = time.perf_counter()
        tag_store(store, settings, retag=True)
        return time.perf_counter() - started


def throughput(args: argparse.Namespace) -> dict[str, Any]:
    from pipeline.tag import load_tagger, pipeline_identity

    nlp = load_tagger(args.model)
    texts = list(generate_texts(args.docs, args.paragraphs))
    words = sum(len(t.split()) for t in texts)
    results: dict[str, Any] = {"pipeline": "@".join(pipeline_identity(nlp)), "docs": len(texts), "words": words}
    with tempfile.TemporaryDirectory() as tmp:
        store_path = Path(tmp) / "bench.sqlite"
        build_store(store_path, args.docs, args.paragraphs)
        time_survnews_tag(store_path, args.model, 1, args.batch_size)  # warm-up: model files in the page cache
        for n_process in args.n_process:
            bare_best = tag_best = float("inf")
            for _ in range(args.repeats):
                # Both sides load the pipeline inside the timing, as `survnews tag` does.
                started = time.perf_counter()
                bare_nlp = load_tagger(args.model)
                for _doc in bare_nlp.pipe(texts, batch_size=args.batch_size, n_process=n_process):
                    pass
                bare_best = min(bare_best, time.perf_counter() - started)
                tag_best = min(tag_best, time_survnews_tag(store_path, args.model, n_process, args.batch_size))
            bare_wps, tag_wps = words / bare_best, words / tag_best
            results[f"n_process={n_process}"] = {
                "bare_nlp_pipe_words_per_s": round(bare_wps),
                "survnews_tag_words_per_s": round(tag_wps),
                "ratio": round(tag_wps / bare_wps, 3),
            }
            print(
                f"n_process={n_process}: bare nlp.pipe {bare_wps:,.0f} words/s, survnews tag {tag_wps:,.0f} "
                f"words/s, ratio {tag_wps / bare_wps:.2f}",
                flush=True,
            )
    return results


def _todays_pipeline() -> Any:
    """survnews_base as it was before the facts: NER + domain components, no syntax, canonical or events."""
    from pipeline.tag import FACT_COMPONENTS, SYNTAX_COMPONENT, load_tagger

    nlp = load_tagger("survnews_base")
    for name in (SYNTAX_COMPONENT, *FACT_COMPONENTS):
        if name in nlp.pipe_names:
            nlp.remove_pipe(name)
    return nlp


def peer_comparison(args: argparse.Namespace) -> dict[str, Any]:
    """Words/s of bare ``nlp.pipe`` (one process): the full survnews tagger (NER + parser + rules + events),
    today's tagger (NER + rules) and the peer's full pipeline (e.g. en_core_web_sm), alternating, best of repeats."""
    import spacy

    from pipeline.tag import load_tagger, pipeline_identity

    texts = list(generate_texts(args.docs, args.paragraphs))
    words = sum(len(t.split()) for t in texts)
    loaders = {
        "survnews_full": lambda: load_tagger("survnews_base"),
        "survnews_today": _todays_pipeline,
        f"peer:{args.peer}": lambda: spacy.load(args.peer),
    }
    pipelines = {name: load() for name, load in loaders.items()}
    for nlp in pipelines.values():  # warm-up
        for _doc in nlp.pipe(texts[:20], batch_size=args.batch_size):
            pass
    # Wall time and CPU time of this process (one process, one thread): on a shared machine the CPU time is the
    # steadier measure, so the ratios are given for both.
    best = dict.fromkeys(pipelines, float("inf"))
    best_cpu = dict.fromkeys(pipelines, float("inf"))
    for _ in range(args.repeats):
        for name, nlp in pipelines.items():
            started, started_cpu = time.perf_counter(), time.process_time()
            for _doc in nlp.pipe(texts, batch_size=args.batch_size):
                pass
            best[name] = min(best[name], time.perf_counter() - started)
            best_cpu[name] = min(best_cpu[name], time.process_time() - started_cpu)
    peer = f"peer:{args.peer}"
    results: dict[str, Any] = {"docs": len(texts), "words": words}
    for name, seconds in best.items():
        nlp = pipelines[name]
        cpu = best_cpu[name]
        results[name] = {
            "pipeline": "@".join(pipeline_identity(nlp)) if name.startswith("survnews") else args.peer,
            "components": nlp.pipe_names,
            "words_per_s": round(words / seconds),
            "ratio_to_peer": round(best[peer] / seconds, 3),
            "words_per_cpu_s": round(words / cpu),
            "cpu_ratio_to_peer": round(best_cpu[peer] / cpu, 3),
        }
        print(
            f"{name}: {words / seconds:,.0f} words/s ({best[peer] / seconds:.2f}x the peer); "
            f"{words / cpu:,.0f} words/CPU-s ({best_cpu[peer] / cpu:.2f}x the peer)",
            flush=True,
        )
    full, today = best_cpu["survnews_full"], best_cpu["survnews_today"]
    results["full_over_today_cpu"] = round(today / full, 3)
    print(f"full pipeline / today's: {today / full:.2f}x the words/CPU-s", flush=True)
    return results


def memory_child(store_path: str, model: str, batch_size: int) -> None:
    """Runs in a fresh process: tag the store, print peak RSS in MiB as JSON."""
    seconds = time_survnews_tag(Path(store_path), model, 1, batch_size)
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"peak_rss_mib": round(peak_kib / 1024, 1), "seconds": round(seconds, 1)}))


def memory(args: argparse.Namespace) -> dict[str, Any]:
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.memory:
            store_path = Path(tmp) / f"mem{size}.sqlite"
            words = build_store(store_path, size, args.paragraphs)
            out = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--memory-child",
                    str(store_path),
                    "--model",
                    args.model,
                    "--batch-size",
                    str(args.batch_size),
                ],
                check=True,
                capture_output=True,
                text=True,
            )
            row = json.loads(out.stdout.strip().splitlines()[-1])
            row["words"] = words
            results[f"docs={size}"] = row
            print(f"{size} docs ({words:,} words): peak RSS {row['peak_rss_mib']} MiB, {row['seconds']} s", flush=True)
            store_path.unlink()
    peaks = [r["peak_rss_mib"] for r in results.values()]
    if len(peaks) > 1:
        results["largest_over_smallest"] = round(max(peaks) / min(peaks), 3)
        print(f"peak RSS, largest / smallest corpus: {results['largest_over_smallest']:.3f}")
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="survnews_base", help="survnews_base | blank | installed pipeline")
    parser.add_argument("--docs", type=int, default=2000, help="documents for the throughput runs")
    parser.add_argument("--paragraphs", type=int, default=3, help="sample paragraphs per generated document")
    parser.add_argument("--n-process", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--memory", type=int, nargs="*", default=[], help="corpus sizes for the peak-memory runs")
    parser.add_argument("--skip-throughput", action="store_true")
    parser.add_argument("--peer", help="also compare bare nlp.pipe words/s with this installed spaCy pipeline")
    parser.add_argument("--json", type=Path, help="write the figures here")
    parser.add_argument("--memory-child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.memory_child:
        memory_child(args.memory_child, args.model, args.batch_size)
        return 0
    report: dict[str, Any] = {"model": args.model}
    if not args.skip_throughput:
        report["throughput"] = throughput(args)
    if args.peer:
        report["peer_comparison"] = peer_comparison(args)
    if args.memory:
        report["memory"] = memory(args)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
