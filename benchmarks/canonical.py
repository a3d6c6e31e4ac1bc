"""Canonical grouping of mentions: pairwise precision / recall / F1 of ``entity_id`` against the sample gold.

    .venv/bin/python benchmarks/canonical.py [--model survnews_base]

Gold: ``corpus/gold/samples.gold.jsonl`` (every mention) with the short forms of ``corpus/gold/make_gold.py``
(``ALIASES``: "Met" is the Metropolitan Police); two gold mentions are one entity when their canonical names are
equal. Pairs are counted over the mentions the pipeline finds with exact offsets (grouping, not recognition).
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GOLD = ROOT / "corpus" / "gold" / "samples.gold.jsonl"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="survnews_base")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(GOLD.parent))
    from make_gold import ALIASES  # type: ignore[import-not-found]

    from pipeline.tag import doc_entities, load_tagger

    nlp = load_tagger(args.model)
    tp = fp = fn = 0
    for line in GOLD.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        short = {alias: name for name, aliases in ALIASES.get(row["id"], {}).items() for alias in aliases}
        spans = row.get("spans") or row.get("entities") or []
        gold = {(s["start"], s["end"]): (s["label"], short.get(s["text"], s["text"])) for s in spans}
        pred = {(e.start, e.end): e.entity_id for e in doc_entities(nlp(row["text"]))}
        for a, b in itertools.combinations(sorted(set(gold) & set(pred)), 2):
            same_gold, same_pred = gold[a] == gold[b], pred[a] == pred[b]
            tp += same_gold and same_pred
            fp += same_pred and not same_gold
            fn += same_gold and not same_pred
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    print(
        json.dumps(
            {
                "pairs_same_gold": tp + fn,
                "precision": round(precision, 3),
                "recall": round(recall, 3),
                "f1": round(f1, 3),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
