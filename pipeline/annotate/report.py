"""The agreement report as one self-contained HTML page with plots (matplotlib), written next to the store."""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path
from typing import Any

from pipeline.annotate.agreement import AgreementReport

REPORT_NAME = "agreement.html"


def _png(figure: Any) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _bars(title: str, values: dict[str, float | None], ylabel: str) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [k for k, v in values.items() if v is not None]
    figure, axes = plt.subplots(figsize=(5.5, 3))
    axes.bar(names, [float(values[k] or 0.0) for k in names], color="#2A9D8F")
    axes.set_ylim(0, 1)
    axes.set_title(title)
    axes.set_ylabel(ylabel)
    for n, name in enumerate(names):
        axes.text(n, float(values[name] or 0.0) + 0.02, f"{values[name]:.2f}", ha="center", fontsize=8)
    axes.tick_params(axis="x", labelrotation=20)
    encoded = _png(figure)
    plt.close(figure)
    return encoded


def _fmt(value: Any) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.3f}"
    return html.escape(str(value))


def _table(header: list[str], rows: list[list[Any]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{_fmt(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def write_html(report: AgreementReport, out: Path) -> Path:
    """Write the report to ``out`` (one file, plots embedded); returns the path."""
    plots = [
        _bars("Span F1 between annotators", {k: v.f1 for k, v in report.spans.items()}, "F1"),
        _bars("Attribute agreement", {k: v.rate for k, v in report.attributes.items()}, "share equal"),
        _bars("Model corrected by annotators", {k: v.rate for k, v in report.corrections.items()}, "correction rate"),
        _bars(
            "Median seconds per task (÷ slowest)",
            _relative({k: v["median"] for k, v in report.lead_time.items()}),
            "relative time",
        ),
    ]
    sections = [
        "<h2>Spans (exact start, end, label)</h2>",
        _table(
            ["label", "F1", "shared", "spans (first)", "spans (second)"],
            [[k, v.f1, v.common, v.first, v.second] for k, v in report.spans.items()],
        ),
        "<h2>Attributes of spans both annotators marked</h2>",
        _table(
            ["attribute", "agreement", "equal", "compared"],
            [[k, v.rate, v.agree, v.compared] for k, v in report.attributes.items()],
        ),
        "<h2>Relations</h2>",
        _table(
            ["F1", "shared", "first", "second"],
            [[report.relations.f1, report.relations.common, report.relations.first, report.relations.second]],
        ),
        "<h2>Document choices: Fleiss' kappa (all annotators) and Cohen's kappa (pairs)</h2>",
        _table(
            ["choice", "Fleiss' kappa", "articles"], [[k, v, report.fleiss_items[k]] for k, v in report.fleiss.items()]
        ),
        _table(
            ["annotators", "articles", "span F1", "relation F1", "kappa relevant", "kappa category"],
            [
                [
                    f"{p.first} / {p.second}",
                    p.articles,
                    p.spans["ALL"].f1,
                    p.relations.f1,
                    p.kappa.get("relevant"),
                    p.kappa.get("category"),
                ]
                for p in report.pairs
            ],
        ),
        "<h2>Model against annotators (how much the tagger gets changed)</h2>",
        _table(
            ["label", "predicted", "kept", "removed", "added", "correction rate", "attribute changed / compared"],
            [
                [k, c.predicted, c.kept, c.removed, c.added, c.rate, f"{c.attribute_changed} / {c.attribute_compared}"]
                for k, c in report.corrections.items()
            ],
        ),
        "<h2>Time per task (Label Studio lead_time, seconds)</h2>",
        _table(
            ["annotator", "tasks", "mean", "median"],
            [[who, t["tasks"], t["mean"], t["median"]] for who, t in report.lead_time.items()],
        ),
    ]
    images = "".join(f'<img alt="plot" src="data:image/png;base64,{p}">' for p in plots)
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>survnews annotation agreement</title>
<style>body {{ font-family: sans-serif; margin: 2em; }} table {{ border-collapse: collapse; margin: 0.5em 0 1.5em; }}
td, th {{ border: 1px solid #ccc; padding: 3px 8px; text-align: right; }} img {{ margin: 0.5em; }}</style></head>
<body><h1>Annotation agreement</h1>
<p>{report.articles} article(s) annotated by two or more people; {len(report.pairs)} pair(s) of annotators.</p>
<div>{images}</div>
{"".join(sections)}
</body></html>
"""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".part")
    tmp.write_text(page, encoding="utf-8")
    tmp.replace(out)
    return out


def _relative(values: dict[str, Any]) -> dict[str, float | None]:
    known = [float(v) for v in values.values() if v is not None]
    top = max(known) if known else 0.0
    return {k: (float(v) / top if v is not None and top else None) for k, v in values.items()}
