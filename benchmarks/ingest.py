"""Ingest at the speed of its parts: whole commands timed as processes, side by side in one run, as ratios.

    .venv/bin/python benchmarks/ingest.py                 # everything below (about 10 minutes on 2 cores)
    .venv/bin/python benchmarks/ingest.py --warc-records 2000 --skip-ray --json out.json

1. ``survnews ingest`` of the 181 pages of ``../shared/eval/extraction-benchmark`` into a new store, with
   ``--workers 1`` and ``--workers 2``, against a bare ``trafilatura.extract`` loop (a process: import included)
   and the ``trafilatura`` CLI with ``--parallel 2`` on the same folder, ``--repeats`` rounds (fastest run of
   each counts). The stored texts are checked to be exactly what ``extract_html`` gives (so extraction F1 is
   unchanged).
2. ``survnews tag --retag`` of those articles with ``--workers 1`` and ``2``: words per second.
3. A generated CC-NEWS-like WARC (``--warc-records``, 1% on topic): records per second with ``--prefilter``
   and without, local backend with 2 workers; and the Ray backend with 2 workers on the same input.
4. ``survnews --help``: median wall time of 5 starts.

The machine is shared: the 1-minute load average before and after each command is reported with it, and so is
the CPU time of the command's whole process tree (forked workers included), the steadier measure under load.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PAGES = ROOT.parent / "shared" / "eval" / "extraction-benchmark" / "html"
PYTHON = sys.executable
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


def _become_subreaper() -> bool:
    """Orphaned descendants (survnews's forked workers) become this process's children, so their CPU time is
    counted with the command's (Linux ``prctl(PR_SET_CHILD_SUBREAPER)``); False where that is not available."""
    try:
        import ctypes

        return ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


SUBREAPER = _become_subreaper()


def _reap_all() -> None:
    while True:
        try:
            os.wait()
        except ChildProcessError:
            return


def timed(args: list[str], cwd: Path) -> dict[str, Any]:
    """Wall time and CPU time (the command's whole process tree) of one command; the load around it."""
    load = os.getloadavg()[0]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(args, cwd=cwd, env=ENV, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    _reap_all()  # the workers end once the command has gone
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{done.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {
        "seconds": round(seconds, 2),
        "cpu_seconds": round(cpu, 2) if SUBREAPER else None,
        "load_before": round(load, 2),
        "load_after": round(os.getloadavg()[0], 2),
        "stdout": done.stdout.strip()[-300:],
    }


def survnews(*args: str) -> list[str]:
    return [PYTHON, "-m", "pipeline.cli", *args]


BARE_LOOP = """
import sys, pathlib, trafilatura
for p in sorted(pathlib.Path(sys.argv[1]).iterdir()):
    trafilatura.extract(p.read_bytes())
"""


def ingest_benchmark(work: Path, repeats: int) -> dict[str, Any]:
    """The four commands ``repeats`` times, round-robin (so a burst of load elsewhere hits every command alike);
    each command's fastest run counts (timeit's rule: slower runs measure the machine's other work)."""
    pages = work / "pages"
    pages.mkdir()
    for path in sorted(PAGES.glob("*.html.gz")):
        (pages / path.name[: -len(".gz")]).write_bytes(gzip.decompress(path.read_bytes()))
    out: dict[str, Any] = {"pages": len(list(pages.iterdir())), "repeats": repeats}
    trafilatura_cli = shutil.which("trafilatura", path=str(Path(PYTHON).parent)) or "trafilatura"

    def runs(round_: int) -> dict[str, list[str]]:
        w1, w2 = str(work / f"w1-{round_}.sqlite"), str(work / f"w2-{round_}.sqlite")
        return {
            "bare_loop": [PYTHON, "-c", BARE_LOOP, str(pages)],
            "survnews_w1": survnews("ingest", str(pages), "--store", w1, "--workers", "1"),
            "trafilatura_cli_p2": [
                trafilatura_cli, "--input-dir", str(pages), "--output-dir", str(work / f"cli-out-{round_}"),
                "--parallel", "2",
            ],
            "survnews_w2": survnews("ingest", str(pages), "--store", w2, "--workers", "2"),
        }  # fmt: skip

    every: dict[str, list[dict[str, Any]]] = {name: [] for name in runs(0)}
    for round_ in range(repeats):
        for name, args in runs(round_).items():
            every[name].append(timed(args, work))
            print(name, every[name][-1]["seconds"], "s", every[name][-1]["cpu_seconds"], "CPU-s", file=sys.stderr)
    for name, results in every.items():
        out[name] = {**min(results, key=lambda r: r["seconds"]), "all_seconds": [r["seconds"] for r in results]}
        out[name]["median_seconds"] = statistics.median(out[name]["all_seconds"])
    s = {k: out[k]["seconds"] for k in every}
    out["ratios"] = {
        "w1_speed_vs_bare_loop": round(s["bare_loop"] / s["survnews_w1"], 3),
        "w2_speed_vs_trafilatura_cli_parallel_2": round(s["trafilatura_cli_p2"] / s["survnews_w2"], 3),
        "w2_speed_vs_w1": round(s["survnews_w1"] / s["survnews_w2"], 3),
    }
    if SUBREAPER:
        cpu = {k: out[k]["cpu_seconds"] for k in every}
        out["cpu_ratios"] = {  # CPU time of the bare loop (or the CLI) over survnews's: above 1, survnews needs less
            "bare_loop_vs_w1": round(cpu["bare_loop"] / cpu["survnews_w1"], 3),
            "trafilatura_cli_parallel_2_vs_w2": round(cpu["trafilatura_cli_p2"] / cpu["survnews_w2"], 3),
        }
    out["texts_identical_to_extract_html"] = _texts_identical(work / "w2-0.sqlite", pages)
    return out


def _texts_identical(store: Path, pages: Path) -> bool:
    sys.path.insert(0, str(ROOT))
    from pipeline.extract import extract_html_unlimited

    with sqlite3.connect(store) as db:
        stored = {Path(r[0]).name: r[1] for r in db.execute("SELECT source_path, text FROM articles")}
    for path in sorted(pages.iterdir())[::10]:
        if path.name in stored and extract_html_unlimited(path.read_bytes()).text != stored[path.name]:
            return False
    return bool(stored)


def tag_benchmark(work: Path) -> dict[str, Any]:
    store = work / "w2-0.sqlite"
    with sqlite3.connect(store) as db:
        words = sum(len(t.split()) for (t,) in db.execute("SELECT text FROM articles"))
    out: dict[str, Any] = {"words": words}
    for workers in ("1", "2"):
        run = timed(survnews("tag", "--store", str(store), "--retag", "--workers", workers), work)
        run["words_per_s"] = round(words / run["seconds"], 1)
        out[f"w{workers}"] = run
        print("tag", workers, run["seconds"], "s", file=sys.stderr)
    out["ratio_w2_vs_w1"] = round(out["w2"]["words_per_s"] / out["w1"]["words_per_s"], 3)
    return out


def warc_benchmark(work: Path, records: int, ray: bool, script_kb: int = 0) -> dict[str, Any]:
    sys.path.insert(0, str(ROOT))
    from tests.news_warc import write_news_warc

    warc = work / "news.warc.gz"
    on_topic = write_news_warc(warc, records, on_topic_every=100, script_kb=script_kb)
    out: dict[str, Any] = {"records": records, "on_topic": on_topic, "bytes": warc.stat().st_size}
    out["script_kb"] = script_kb
    runs = {
        "local_w2_prefilter": ["--prefilter", "--workers", "2"],
        "local_w2_no_prefilter": ["--no-prefilter", "--workers", "2"],
    }
    if ray:
        runs["ray_w2_no_prefilter"] = ["--no-prefilter", "--workers", "2", "--runner", "ray"]
    for name, extra in runs.items():
        run = timed(survnews("ingest", str(warc), "--store", str(work / f"{name}.sqlite"), *extra), work)
        run["records_per_s"] = round(records / run["seconds"], 1)
        out[name] = run
        print(name, run["seconds"], "s", file=sys.stderr)
    out["ratio_prefilter_on_vs_off"] = round(
        out["local_w2_prefilter"]["records_per_s"] / out["local_w2_no_prefilter"]["records_per_s"], 3
    )
    if ray:
        out["ratio_ray_vs_local_w2"] = round(
            out["ray_w2_no_prefilter"]["records_per_s"] / out["local_w2_no_prefilter"]["records_per_s"], 3
        )
    return out


def help_benchmark(work: Path) -> dict[str, Any]:
    times = [timed(survnews("--help"), work)["seconds"] for _ in range(5)]
    return {"median_s": statistics.median(times), "runs": times}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--warc-records", type=int, default=10_000)
    parser.add_argument("--warc-script-kb", type=int, default=0, help="script in each generated page's head (KiB)")
    parser.add_argument("--repeats", type=int, default=3, help="rounds of the ingest commands (fastest run counts)")
    parser.add_argument("--skip-ray", action="store_true")
    parser.add_argument("--skip", nargs="*", default=[], choices=["ingest", "tag", "warc", "help"])
    parser.add_argument("--json", type=Path, default=ROOT / "benchmarks" / "results" / "ingest.json")
    args = parser.parse_args()
    results: dict[str, Any] = {"cores": os.cpu_count(), "load_at_start": os.getloadavg()}
    with tempfile.TemporaryDirectory(prefix="survnews-bench-") as tmp:
        work = Path(tmp)
        if "help" not in args.skip:
            results["help"] = help_benchmark(work)
        if "ingest" not in args.skip and PAGES.exists():
            results["ingest"] = ingest_benchmark(work, max(1, args.repeats))
            if "tag" not in args.skip:
                results["tag"] = tag_benchmark(work)
        if "warc" not in args.skip:
            ray = not args.skip_ray
            results["warc"] = warc_benchmark(work, args.warc_records, ray=ray, script_kb=args.warc_script_kb)
    results["load_at_end"] = os.getloadavg()
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
