"""Pulling annotations back as gold, and the progress summary (``annotate status``).

Everything is read from the server first (the annotators' project, then its review project, whose annotations
are kept as ground truth) and written to the store at the end, one transaction per project, so a server that
fails mid-pull leaves the stored gold exactly as it was.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from pipeline.annotate._client import LabelStudioClient
from pipeline.annotate.config import LabelStudioSettings
from pipeline.annotate.gold import (
    STATES,
    GoldRow,
    compared_articles,
    ensure_gold_schema,
    parse_result,
    replace_project_gold,
    text_sha256,
)
from pipeline.store import Store


@dataclass
class PullReport:
    project_id: int
    review_project_id: int | None = None
    tasks: int = 0
    reviews: int = 0  # annotations read from the review project
    queued_for_review: int = 0  # disputed articles sent to the review project after this pull
    annotations: int = 0
    cancelled: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    problems: list[str] = field(default_factory=list)  # one line per reported (not merged) item

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items()}


def _annotator(annotation: dict[str, Any], users: dict[int, str]) -> str:
    who = annotation.get("completed_by")
    if isinstance(who, dict):
        return str(who.get("email") or who.get("username") or who.get("id"))
    if who is None:
        return "unknown"
    return users.get(int(who), f"user-{who}")


def _read_project(
    store: Store,
    client: LabelStudioClient,
    settings: LabelStudioSettings,
    project_id: int,
    users: dict[int, str],
    report: PullReport,
    *,
    review: bool,
) -> tuple[list[GoldRow], set[int]]:
    rows: list[GoldRow] = []
    keep: set[int] = set()  # annotations of tasks whose article is missing now: neither merged nor deleted
    for task in client.iter_tasks(project_id, with_annotations=True):
        report.tasks += 0 if review else 1
        annotations = [a for a in task.get("annotations") or [] if isinstance(a, dict)]
        if not annotations:
            continue
        data = task.get("data") or {}
        article_id = str(data.get("article_id") or "")
        article = store.get_article(article_id) if article_id else None
        if article is None:
            report.problems.append(
                f"task {task['id']}: article {article_id or '(no article_id)'} is not in the store; "
                f"{len(annotations)} annotation(s) not merged"
            )
            keep.update(int(a["id"]) for a in annotations)
            continue
        for annotation in annotations:
            report.annotations += 1
            report.reviews += review
            cancelled = bool(annotation.get("was_cancelled"))
            report.cancelled += cancelled
            result = [r for r in annotation.get("result") or [] if isinstance(r, dict)]
            parsed = parse_result(result, article.text, settings.offset_unit)
            if not cancelled:
                report.problems.extend(
                    f"task {task['id']} annotation {annotation['id']} ({article_id}): {p}" for p in parsed.problems
                )
            rows.append(
                GoldRow(
                    project_id=project_id,
                    annotation_id=int(annotation["id"]),
                    task_id=int(task["id"]),
                    article_id=article_id,
                    annotator=_annotator(annotation, users),
                    created_at=annotation.get("created_at"),
                    updated_at=annotation.get("updated_at"),
                    lead_time=annotation.get("lead_time"),
                    cancelled=cancelled,
                    # a reviewer's decision is the article's gold on its own, like a ground-truth mark
                    ground_truth=review or bool(annotation.get("ground_truth")),
                    text_sha256=text_sha256(article.text),
                    result=result,
                    parsed=parsed,
                )
            )
    return rows, keep


def pull(store: Store, client: LabelStudioClient, settings: LabelStudioSettings) -> PullReport:
    """Pull the annotators' project and, when it exists, its review project."""
    client.check()
    project_id = client.require_project(settings.project_title)
    review_id = client.find_project(settings.review_title)
    users = client.users_by_id()
    report = PullReport(project_id=project_id, review_project_id=review_id)
    projects = [(project_id, *_read_project(store, client, settings, project_id, users, report, review=False))]
    if review_id is not None:
        projects.append((review_id, *_read_project(store, client, settings, review_id, users, report, review=True)))
    for pid, rows, keep in projects:
        counts = replace_project_gold(store, pid, rows, frozenset(keep))
        report.new += counts["new"]
        report.updated += counts["updated"]
        report.unchanged += counts["unchanged"]
        report.removed += counts["removed"]
    return report


@dataclass
class StatusReport:
    project_id: int
    tasks: int = 0
    annotated: int = 0  # tasks with at least one finished (not skipped) annotation
    skipped: int = 0  # tasks whose every annotation was a skip
    remaining: int = 0
    annotations: int = 0
    per_annotator: dict[str, dict[str, int]] = field(default_factory=dict)  # email → {annotated, skipped}
    predictions: dict[str, int] = field(default_factory=dict)  # model version → tasks with such a prediction
    gold_pulled: int = 0  # annotation rows in the local store (all projects)
    gold_articles: int = 0  # articles with gold (single, agreed, majority or reviewed)
    states: dict[str, int] = field(default_factory=dict)  # article state → count (see gold.compare)
    review_project_id: int | None = None
    review_tasks: int = 0
    review_done: int = 0  # review tasks with a reviewer's annotation
    disputed: list[dict[str, Any]] = field(default_factory=list)  # {article_id, disputes} waiting for review

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items()}


def status(store: Store, client: LabelStudioClient, settings: LabelStudioSettings) -> StatusReport:
    client.check()
    project_id = client.require_project(settings.project_title)
    users = client.users_by_id()
    report = StatusReport(project_id=project_id)
    per_annotator: dict[str, Counter[str]] = {}
    predictions: Counter[str] = Counter()
    for task in client.iter_tasks(project_id, with_annotations=True):
        report.tasks += 1
        annotations = [a for a in task.get("annotations") or [] if isinstance(a, dict)]
        done = [a for a in annotations if not a.get("was_cancelled")]
        if done:
            report.annotated += 1
        elif annotations:
            report.skipped += 1
        else:
            report.remaining += 1
        report.annotations += len(annotations)
        for annotation in annotations:
            key = "skipped" if annotation.get("was_cancelled") else "annotated"
            per_annotator.setdefault(_annotator(annotation, users), Counter())[key] += 1
        for version in {str(p.get("model_version")) for p in task.get("predictions") or [] if isinstance(p, dict)}:
            predictions[version] += 1
    report.per_annotator = {
        who: {"annotated": c["annotated"], "skipped": c["skipped"]} for who, c in sorted(per_annotator.items())
    }
    report.predictions = dict(sorted(predictions.items()))
    ensure_gold_schema(store)
    report.gold_pulled = store.count_gold()
    states: Counter[str] = Counter()
    for article_id, comparison in compared_articles(store, settings.agreement_policy):
        states[comparison.state] += 1
        if not comparison.accepted:
            report.disputed.append({"article_id": article_id, "disputes": comparison.disputes})
    report.states = {state: states[state] for state in STATES}
    report.gold_articles = sum(n for state, n in states.items() if state != "disputed")
    report.review_project_id = client.find_project(settings.review_title)
    if report.review_project_id is not None:
        for task in client.iter_tasks(report.review_project_id, with_annotations=True):
            report.review_tasks += 1
            report.review_done += any(
                isinstance(a, dict) and not a.get("was_cancelled") for a in task.get("annotations") or []
            )
    return report
