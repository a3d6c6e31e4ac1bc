"""Peak memory per tag worker, from 5k to 50k documents: streaming keeps it flat as the corpus grows.

    .venv/bin/python benchmarks/tag_memory.py                       # 5,000 and 50,000 documents, rules-only tagger
    .venv/bin/python benchmarks/tag_memory.py --sizes 2000 20000 --model survnews_base --workers 2

For each size a store of generated documents (sample paragraphs drawn with a fixed seed, as in
``benchmarks/tagging.py``) is built, then ``survnews tag --workers N`` runs on it as a process. While it runs,
the peak resident set size (``VmHWM``) of the command and of each of its worker processes is read from ``/proc``;
the processes are told apart from other people's by a marker in their environment. The result is the peak per
worker at each size and the ratio of the largest size to the smallest (1.0: flat). The rules-only tagger
(``blank``) is the default so that 50,000 documents take minutes, not hours; the memory that could grow with the
corpus (the store reader, the batches in flight, spaCy's string store, the writer's buffer) is the same code
whatever the model.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.tagging import build_store  # noqa: E402

MARKER = "SURVNEWS_TAG_MEMORY_RUN"


def _marked_processes(marker: str) -> dict[int, str]:
    """pid -> role ("command" or "worker") of the processes carrying ``marker`` in their environment."""
    found: dict[int, str] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            environ = Path(f"/proc/{entry}/environ").read_bytes()
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
        except OSError:
            continue
        if f"{MARKER}={marker}".encode() in environ.split(b"\0"):
            found[int(entry)] = "worker" if b"pipeline.runner.worker" in cmdline else "command"
    return found


def _peak_kib(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def measure(store: Path, model: str, workers: int) -> dict[str, Any]:
    marker = uuid.uuid4().hex
    env = {**os.environ, "PYTHONPATH": str(ROOT), MARKER: marker, "OMP_NUM_THREADS": "1"}
    args = [sys.executable, "-m", "pipeline.cli", "tag", "--store", str(store), "--workers", str(workers)]
    settings = store.with_suffix(".toml")
    settings.write_text(f'[tagger]\nmodel = "{model}"\n', encoding="utf-8")
    args += ["--config", str(settings)]
    peaks: dict[int, tuple[str, int]] = {}
    started = time.perf_counter()
    process = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    while process.poll() is None:
        for pid, role in _marked_processes(marker).items():
            peak = _peak_kib(pid)
            if peak is not None:
                peaks[pid] = (role, max(peak, peaks.get(pid, (role, 0))[1]))
        time.sleep(0.2)
    seconds = time.perf_counter() - started
    if process.returncode != 0:
        raise SystemExit(f"survnews tag failed:\n{(process.stderr.read() if process.stderr else '')[-2000:]}")
    worker_mib = sorted(round(kib / 1024, 1) for role, kib in peaks.values() if role == "worker")
    command_mib = [round(kib / 1024, 1) for role, kib in peaks.values() if role == "command"]
    return {
        "seconds": round(seconds, 1),
        "load_before_after": [round(os.getloadavg()[0], 2)],
        "command_peak_mib": max(command_mib, default=None),
        "worker_peaks_mib": worker_mib,
        "max_worker_peak_mib": max(worker_mib, default=None),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[5_000, 50_000])
    parser.add_argument("--model", default="blank")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--paragraphs", type=int, default=1, help="sample paragraphs per generated document")
    parser.add_argument("--json", type=Path, default=ROOT / "benchmarks" / "results" / "tag_memory.json")
    args = parser.parse_args()
    results: dict[str, Any] = {"model": args.model, "workers": args.workers, "load_at_start": os.getloadavg()}
    with tempfile.TemporaryDirectory(prefix="survnews-tag-memory-") as tmp:
        for size in args.sizes:
            store = Path(tmp) / f"docs{size}.sqlite"
            words = build_store(store, size, args.paragraphs)
            load = os.getloadavg()[0]
            run = measure(store, args.model, args.workers)
            run["load_before_after"].insert(0, round(load, 2))
            run["words"] = words
            results[str(size)] = run
            print(size, "documents:", json.dumps(run), file=sys.stderr, flush=True)
    smallest, largest = (results[str(s)]["max_worker_peak_mib"] for s in (min(args.sizes), max(args.sizes)))
    if smallest and largest:
        results["worker_peak_ratio_largest_vs_smallest"] = round(largest / smallest, 3)
    results["load_at_end"] = os.getloadavg()
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
