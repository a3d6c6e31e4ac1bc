"""The review stage: disputed articles become tasks for a reviewer, whose decision is the gold.

Label Studio's community edition has no review queue, so survnews keeps one beside the annotators' project: a
second project titled ``<project> · review`` with the same labeling config plus a panel that lists what the
annotators disagree on. Each disputed article (see :func:`pipeline.annotate.gold.compare`) becomes one task
there, carrying every annotator's version as a prediction (one tab each, named after the annotator) and the
agreed items as a first, "merged" prediction to start from. The reviewer corrects and submits; ``annotate
pull`` reads the review project too and keeps a reviewer's annotation as ground truth, so the article's gold is
exactly the reviewed version (and the annotators' versions stay in the store for agreement figures).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from pipeline.annotate._client import ONCE, LabelStudioClient
from pipeline.annotate.config import LabelStudioSettings
from pipeline.annotate.gold import Comparison, compared_articles, ensure_gold_schema
from pipeline.annotate.labelconfig import (
    ATTRIBUTES,
    CATEGORY,
    PRIVATE_PERSON,
    RELEVANT,
    SPANS,
    TEXT,
    LabelConfig,
    load_label_config,
    parse_label_config,
    review_config_xml,
)
from pipeline.annotate.offsets import OffsetMap
from pipeline.annotate.push import instructions_html, task_data
from pipeline.records import Article
from pipeline.store import Store

MERGED_VERSION = "merged: the items all annotators agree on"


def review_config(settings: LabelStudioSettings) -> LabelConfig:
    return parse_label_config(review_config_xml(load_label_config(settings.label_config).xml), "review config")


def setup_review_project(client: LabelStudioClient, settings: LabelStudioSettings) -> int:
    """Create (or update) the review project; returns its id."""
    config = review_config(settings)
    options: dict[str, Any] = {
        "label_config": config.xml,
        "expert_instruction": instructions_html(settings),
        "show_instruction": True,
        "show_skip_button": False,
        "maximum_annotations": 1,
        "show_collab_predictions": True,
        "description": f"survnews review: articles the annotators of {settings.project_title!r} disagree on",
    }
    project_id = client.find_project(settings.review_title)
    if project_id is None:
        project = client.call(
            "create review project", client.sdk.projects.create, title=settings.review_title, **options, **ONCE
        )
        assert project.id is not None
        return int(project.id)
    client.call("update review project", client.sdk.projects.update, id=project_id, **options)
    return project_id


def merged_result(article: Article, comparison: Comparison, config: LabelConfig, unit: str) -> list[dict[str, Any]]:
    """The items the annotators agree on, as a Label Studio result (the reviewer's starting point)."""
    offsets = OffsetMap(article.text, unit)  # type: ignore[arg-type]
    result: list[dict[str, Any]] = []
    ids: dict[tuple[int, int], str] = {}
    for n, entity in enumerate(comparison.entities):
        region = {"start": offsets.to_server(entity.start), "end": offsets.to_server(entity.end), "text": entity.text}
        rid = f"m{n}"
        ids[(entity.start, entity.end)] = rid
        result.append(
            {
                "id": rid,
                "from_name": SPANS,
                "to_name": TEXT,
                "type": "labels",
                "value": {**region, "labels": [entity.label]},
            }
        )
        for control, (label, attribute) in ATTRIBUTES.items():
            value = getattr(entity, attribute)
            if label != entity.label or value is None:
                continue
            if control == PRIVATE_PERSON:
                if value is not True:
                    continue
                value = "yes"
            kind = config.kind(control)
            key = "labels" if kind == "labels" else "choices"
            result.append(
                {"id": rid, "from_name": control, "to_name": TEXT, "type": kind, "value": {**region, key: [value]}}
            )
    for relation in comparison.relations:
        head, child = ids.get(tuple(relation["from"])), ids.get(tuple(relation["to"]))
        if head and child:
            result.append(
                {
                    "from_id": head,
                    "to_id": child,
                    "type": "relation",
                    "direction": "right",
                    "labels": [relation["label"]],
                }
            )
    if comparison.doc.get("relevant") is not None:
        result.append(
            {
                "from_name": RELEVANT,
                "to_name": TEXT,
                "type": "choices",
                "value": {"choices": ["yes" if comparison.doc["relevant"] else "no"]},
            }
        )
    if comparison.doc.get("category"):
        result.append(
            {
                "from_name": CATEGORY,
                "to_name": TEXT,
                "type": "choices",
                "value": {"choices": [comparison.doc["category"]]},
            }
        )
    return result


@dataclass
class ReviewReport:
    project_id: int | None  # None while nothing was ever disputed (no review project made)
    disputed: int = 0
    created: int = 0
    already_queued: int = 0
    articles: list[str] = field(default_factory=list)  # article ids queued by this call

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def queued_reviews(client: LabelStudioClient, project_id: int) -> dict[str, dict[str, Any]]:
    """Article id → its review task (the first one, if several)."""
    found: dict[str, dict[str, Any]] = {}
    for task in client.iter_tasks(project_id, with_annotations=True):
        article_id = str((task.get("data") or {}).get("article_id") or "")
        if article_id and article_id not in found:
            found[article_id] = task
    return found


def push_reviews(store: Store, client: LabelStudioClient, settings: LabelStudioSettings) -> ReviewReport:
    """Queue every disputed article that has no review task yet (idempotent by article id)."""
    config = review_config(settings)
    client.check()
    client.require_project(settings.project_title)
    ensure_gold_schema(store)
    disputed = [(i, c) for i, c in compared_articles(store, settings.agreement_policy) if not c.accepted]
    project_id = client.find_project(settings.review_title)
    if project_id is None and not disputed:
        return ReviewReport(project_id=None)
    project_id = setup_review_project(client, settings)
    report = ReviewReport(project_id=project_id, disputed=len(disputed))
    queued = queued_reviews(client, project_id)
    batch: list[dict[str, Any]] = []
    for article_id, comparison in disputed:
        if article_id in queued:
            report.already_queued += 1
            continue
        article = store.get_article(article_id)
        assert article is not None
        rows = store.kept_gold(article_id=article_id, ground_truth=False)
        latest = {r["annotator"]: r for r in rows}  # each annotator's most recent version
        data = task_data(article)
        data["dispute"] = "\n".join(f"• {line}" for line in comparison.disputes)
        data["annotation_ids"] = [int(r["annotation_id"]) for r in latest.values()]
        predictions = [
            {
                "model_version": MERGED_VERSION,
                "result": merged_result(article, comparison, config, settings.offset_unit),
            }
        ]
        for who, row in sorted(latest.items()):
            predictions.append({"model_version": f"annotator: {who}", "result": json.loads(row["result"])})
        batch.append({"data": data, "predictions": predictions})
        report.articles.append(article_id)
    for start in range(0, len(batch), settings.batch_size):
        chunk = batch[start : start + settings.batch_size]
        client.call(
            "import review tasks",
            client.sdk.projects.import_tasks,
            id=project_id,
            request=chunk,
            return_task_ids=True,
            **ONCE,
        )
        report.created += len(chunk)
    if report.created:
        # new annotations start from the merged version (the server accepts a version only once it has one)
        client.call("update review project", client.sdk.projects.update, id=project_id, model_version=MERGED_VERSION)
    return report
