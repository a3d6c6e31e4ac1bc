"""Are the span scores we pre-annotate with meaningful? Tag the sample corpus' gold articles, score every span as
``annotate push`` does, and measure how well the score separates right spans from wrong ones.

A span is right when the gold has the same (start, end, label). Reported: spans, share right, mean score of
right and wrong spans, and the ROC AUC of the score (the chance that a right span scores above a wrong one;
0.5 = no better than a coin, which is what the relevance score used before gave every span of an article),
overall and per source. Uses only corpus/gold (written by us), never ../shared/eval.

    .venv/bin/python benchmarks/annotate_confidence.py [--model survnews_base] [--gold corpus/gold/samples.gold.jsonl]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.annotate.confidence import Scorer, source_name  # noqa: E402
from pipeline.tag import load_tagger, tag_texts  # noqa: E402
from tests.labelstudio_server import make_article  # noqa: E402


def roc_auc(right: list[float], wrong: list[float]) -> float | None:
    """Mann–Whitney: P(score of a right span > score of a wrong one), ties counting half."""
    if not right or not wrong:
        return None
    wins = sum((r > w) + 0.5 * (r == w) for r in right for w in wrong)
    return wins / (len(right) * len(wrong))


def measure(model: str, gold_path: Path) -> dict[str, Any]:
    records = [json.loads(line) for line in gold_path.read_text(encoding="utf-8").splitlines() if line.strip()]
    nlp = load_tagger(model)
    scorer = Scorer(nlp)
    by_source: dict[str, dict[str, list[float]]] = defaultdict(lambda: {"right": [], "wrong": []})
    for record, entities in zip(records, tag_texts(nlp, [r["text"] for r in records]), strict=True):
        gold = {(e["start"], e["end"], e["label"]) for e in record["entities"]}
        article = make_article(record["id"], record["text"])
        article.entities = entities
        (confidence,) = scorer.score([article])
        for entity, score in zip(entities, confidence.scores, strict=True):
            key = "right" if (entity.start, entity.end, entity.label) in gold else "wrong"
            by_source[source_name(entity.source)][key].append(score)
            by_source["all"][key].append(score)

    def summary(scores: dict[str, list[float]]) -> dict[str, Any]:
        right, wrong = scores["right"], scores["wrong"]
        auc = roc_auc(right, wrong)
        return {
            "spans": len(right) + len(wrong),
            "right": round(len(right) / max(1, len(right) + len(wrong)), 3),
            "mean_score_right": round(sum(right) / len(right), 3) if right else None,
            "mean_score_wrong": round(sum(wrong) / len(wrong), 3) if wrong else None,
            "auc": round(auc, 3) if auc is not None else None,
        }

    return {"pipeline": model, "articles": len(records), **{k: summary(v) for k, v in sorted(by_source.items())}}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--model", default="survnews_base")
    parser.add_argument("--gold", type=Path, default=ROOT / "corpus" / "gold" / "samples.gold.jsonl")
    args = parser.parse_args()
    print(json.dumps(measure(args.model, args.gold), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
