"""``survnews annotate ...``: the Label Studio round trip as a typer sub-app.

Registered lazily by the main CLI (``_lazy.py``). Failures go through the CLI's one error handler
(``_errors.reported_errors``): one line on stderr (a JSON object with ``--json``) and the error's exit code
(ServiceError → 3, ConfigError → 2).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, cast

import typer
from rich.console import Console
from rich.table import Table

from pipeline.annotate.config import LabelStudioSettings, annotate_settings
from pipeline.annotate.domain import DEFAULT_WORK_DIR, DOMAIN_MODEL_DIR
from pipeline.cli._errors import reported_errors
from pipeline.cli._options import ConfigOption, JsonOption, StoreOption
from pipeline.config import Settings, load_settings
from pipeline.errors import ConfigError
from pipeline.store import Store

if TYPE_CHECKING:
    from pipeline.annotate._client import LabelStudioClient
    from pipeline.annotate.push import Strategy

# label_studio_sdk takes seconds to import: the command modules are imported inside the commands, so
# registering this sub-app costs the main CLI nothing.
STRATEGIES = ("random", "stratified", "uncertain", "diverse")

annotate_app = typer.Typer(
    name="annotate",
    help="Label Studio round trip: set up the project, push tasks, pull gold, review disputes, agreement, cycle.",
    no_args_is_help=True,
)
console = Console()

ProjectOption = Annotated[str | None, typer.Option("--project", help="Label Studio project title")]


def _settings(config: Path | None, project: str | None) -> tuple[Settings, LabelStudioSettings]:
    settings = load_settings(config)
    ls_settings = annotate_settings(settings.annotate)
    if project:
        ls_settings = ls_settings.model_copy(update={"project_title": project})
    return settings, ls_settings


def _run(
    config: Path | None,
    store_path: Path | None,
    project: str | None,
    action: Callable[[Settings, LabelStudioSettings, Store, LabelStudioClient], Any],
    *,
    as_json: bool = False,
) -> Any:
    from pipeline.annotate._client import LabelStudioClient

    with reported_errors(as_json=as_json):
        settings, ls_settings = _settings(config, project)
        client = LabelStudioClient(ls_settings)
        with Store.existing(store_path or settings.store.path) as store:
            return action(settings, ls_settings, store, client)


@annotate_app.command("setup")
def setup_cli(config: ConfigOption = None, project: ProjectOption = None, as_json: JsonOption = False) -> None:
    """Create the Label Studio project from schemas/labelstudio.xml, or update its config and instructions."""
    from pipeline.annotate._client import LabelStudioClient
    from pipeline.annotate.push import setup_project

    with reported_errors(as_json=as_json):
        _, ls_settings = _settings(config, project)
        report = setup_project(LabelStudioClient(ls_settings), ls_settings)
    verb = "created" if report.created else "updated"
    if as_json:
        typer.echo(json.dumps({"created": report.created, "title": report.title, "project_id": report.project_id}))
        return
    typer.echo(f"{verb} project {report.title!r} (id {report.project_id}) at {ls_settings.url}")


@annotate_app.command("push")
def push_cli(
    count: Annotated[int, typer.Option("--count", "-n", help="new articles to send as tasks")] = 20,
    strategy: Annotated[str, typer.Option(help=f"selection: {', '.join(STRATEGIES)}")] = "random",
    seed: Annotated[int, typer.Option(help="seed for random and stratified selection")] = 0,
    relevant_only: Annotated[bool, typer.Option("--relevant-only", help="only articles judged relevant")] = False,
    model_version: Annotated[str | None, typer.Option(help="override the predictions' model version")] = None,
    scoring_model: Annotated[
        str | None, typer.Option(help="NER pipeline that scores the spans (default: the configured tagger model)")
    ] = None,
    config: ConfigOption = None,
    store: StoreOption = None,
    project: ProjectOption = None,
    as_json: JsonOption = False,
) -> None:
    """Send articles as tasks with the tagger's spans (each with its score and source) and events as predictions.

    The prediction score is the tagger's uncertainty about the article: in Label Studio, sort by prediction
    score, descending, to see the hardest tasks first. Idempotent by article id."""
    if strategy not in STRATEGIES:
        with reported_errors(as_json=as_json):
            raise ConfigError(f"--strategy must be one of {', '.join(STRATEGIES)}, not {strategy!r}")

    from pipeline.annotate.confidence import Scorer
    from pipeline.annotate.push import push

    def action(settings: Settings, ls: LabelStudioSettings, db: Store, client: LabelStudioClient) -> Any:
        threshold = settings.relevance.threshold
        return push(
            db,
            client,
            ls,
            count=count,
            strategy=cast("Strategy", strategy),
            seed=seed,
            threshold=threshold,
            relevant_only=relevant_only,
            model_version=model_version,
            scorer=Scorer.for_model(scoring_model or settings.tagger.model, threshold=threshold),
        )

    report = _run(config, store, project, action, as_json=as_json)
    if as_json:
        typer.echo(json.dumps(report.to_dict()))
        return
    typer.echo(
        f"project {report.project_id}: {report.created} task(s) created, {report.predictions_added} prediction(s) "
        f"added to existing tasks, {report.already_pushed} already pushed"
        + (f", {report.left_out} span/attribute value(s) not sent" if report.left_out else "")
    )
    if report.stale:
        typer.echo(
            f"warning: {len(report.stale)} task(s) show an older text than the store: " + ", ".join(report.stale[:10]),
            err=True,
        )


@annotate_app.command("pull")
def pull_cli(
    review: Annotated[
        bool, typer.Option("--review/--no-review", help="queue the disputed articles for review after the pull")
    ] = True,
    config: ConfigOption = None,
    store: StoreOption = None,
    project: ProjectOption = None,
    as_json: JsonOption = False,
) -> None:
    """Fetch annotations (and reviewers' decisions), check each span against the stored text, keep them as gold,
    and queue the articles whose annotators disagree in the review project."""
    from pipeline.annotate.pull import pull
    from pipeline.annotate.review import push_reviews

    def action(_s: Settings, ls: LabelStudioSettings, db: Store, client: LabelStudioClient) -> Any:
        report = pull(db, client, ls)
        if review:
            queued = push_reviews(db, client, ls)
            report.queued_for_review = queued.created
            report.review_project_id = queued.project_id
        return report

    report = _run(config, store, project, action, as_json=as_json)
    if as_json:
        typer.echo(json.dumps(report.to_dict(), ensure_ascii=False))
        return
    typer.echo(
        f"project {report.project_id}: {report.annotations} annotation(s) on {report.tasks} task(s) "
        f"({report.cancelled} skipped): {report.new} new, {report.updated} updated, {report.unchanged} unchanged, "
        f"{report.removed} removed; {len(report.problems)} item(s) reported, not merged"
        + (f"; {report.queued_for_review} disputed article(s) queued for review" if report.queued_for_review else "")
    )
    for problem in report.problems[:50]:
        typer.echo(f"  not merged: {problem}", err=True)


@annotate_app.command("status")
def status_cli(
    config: ConfigOption = None, store: StoreOption = None, project: ProjectOption = None, as_json: JsonOption = False
) -> None:
    """Progress: tasks, annotated, skipped, per annotator; agreed / disputed / reviewed articles."""
    from pipeline.annotate.pull import status

    report = _run(config, store, project, lambda _s, ls, db, client: status(db, client, ls), as_json=as_json)
    if as_json:
        typer.echo(json.dumps(report.to_dict(), ensure_ascii=False))
        return
    typer.echo(
        f"project {report.project_id}: {report.tasks} tasks, {report.annotated} annotated, {report.skipped} skipped, "
        f"{report.remaining} to do; gold pulled: {report.gold_pulled} annotation(s), {report.gold_articles} article(s)"
    )
    states = report.states
    typer.echo(
        f"articles: {states['agreed']} agreed, {states['majority']} by majority, {states['single']} single, "
        f"{states['disputed']} disputed, {states['reviewed']} reviewed"
        + (
            f"; review project {report.review_project_id}: {report.review_done} of {report.review_tasks} done"
            if report.review_project_id is not None
            else ""
        )
    )
    for item in report.disputed[:20]:
        typer.echo(f"  disputed {item['article_id']}: " + "; ".join(item["disputes"][:5]))
    table = Table("annotator", "annotated", "skipped")
    for who, counts in report.per_annotator.items():
        table.add_row(who, str(counts["annotated"]), str(counts["skipped"]))
    console.print(table)
    if report.predictions:
        console.print("predictions: " + ", ".join(f"{v} on {n} task(s)" for v, n in report.predictions.items()))


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


@annotate_app.command("agreement")
def agreement_cli(
    html_out: Annotated[
        Path | None, typer.Option("--html", help="HTML report path (default: agreement.html next to the store)")
    ] = None,
    config: ConfigOption = None,
    store: StoreOption = None,
    as_json: JsonOption = False,
) -> None:
    """Agreement from pulled gold: span F1 per label, attributes, relations, kappa, model corrections, time."""
    from pipeline.annotate.agreement import agreement_report
    from pipeline.annotate.report import REPORT_NAME, write_html

    with reported_errors(as_json=as_json):
        settings, _ = _settings(config, None)
        store_path = store or settings.store.path
        with Store.existing(store_path) as db:
            report = agreement_report(db)
        written = write_html(report, html_out or Path(store_path).parent / REPORT_NAME)
    if as_json:
        typer.echo(json.dumps({**report.to_dict(), "html": str(written)}, ensure_ascii=False))
        return
    if not report.pairs:
        typer.echo("no article was annotated by two people yet: no agreement to compare (pull first?)")
    table = Table("label", "span F1", "shared / first / second", "model correction rate", "kept/removed/added")
    for label in ("ACTOR", "TECHNOLOGY", "LOCATION", "ALL"):
        s, c = report.spans[label], report.corrections[label]
        table.add_row(
            label if label != "ALL" else "all",
            _fmt(s.f1),
            f"{s.common} / {s.first} / {s.second}",
            _fmt(c.rate),
            f"{c.kept}/{c.removed}/{c.added}",
        )
    console.print(table)
    typer.echo(
        "attribute agreement: "
        + ", ".join(f"{k} {_fmt(v.rate)} (n={v.compared})" for k, v in report.attributes.items())
    )
    typer.echo(
        f"relation F1: {_fmt(report.relations.f1)} ({report.relations.common} shared of "
        f"{report.relations.first}/{report.relations.second})"
    )
    typer.echo(
        "Fleiss' kappa: " + ", ".join(f"{k} {_fmt(v)} (n={report.fleiss_items[k]})" for k, v in report.fleiss.items())
    )
    for p in report.pairs:
        typer.echo(
            f"  {p.first} / {p.second}: {p.articles} article(s), span F1 {_fmt(p.spans['ALL'].f1)}, relation F1 "
            f"{_fmt(p.relations.f1)}, Cohen's kappa relevant {_fmt(p.kappa['relevant'])} "
            f"(n={p.kappa_items['relevant']}), category {_fmt(p.kappa['category'])} (n={p.kappa_items['category']})"
        )
    if report.lead_time:
        typer.echo(
            "seconds per task: "
            + ", ".join(f"{who} median {_fmt(t['median'])} (n={t['tasks']})" for who, t in report.lead_time.items())
        )
    typer.echo(f"report: {written}")


@annotate_app.command("review")
def review_cli(
    config: ConfigOption = None, store: StoreOption = None, project: ProjectOption = None, as_json: JsonOption = False
) -> None:
    """Queue disputed articles (pull first) in the review project, each with every annotator's version."""
    from pipeline.annotate.review import push_reviews

    report = _run(config, store, project, lambda _s, ls, db, client: push_reviews(db, client, ls), as_json=as_json)
    if as_json:
        typer.echo(json.dumps(report.to_dict(), ensure_ascii=False))
        return
    if report.project_id is None:
        typer.echo("no disputed article: nothing to review")
        return
    typer.echo(
        f"review project {report.project_id}: {report.disputed} disputed article(s), {report.created} queued now, "
        f"{report.already_queued} already queued"
    )


@annotate_app.command("export-gold")
def export_gold_cli(
    out: Annotated[Path, typer.Option("--out", "-o", help="JSONL file to write")],
    split: Annotated[str, typer.Option(help="all, train or test (the held-out part `train domain` scores on)")] = "all",
    test_fraction: Annotated[float, typer.Option(help="share of articles held out (by a hash of the id)")] = 0.2,
    config: ConfigOption = None,
    store: StoreOption = None,
    as_json: JsonOption = False,
) -> None:
    """Write resolved gold as JSONL, e.g. for `survnews evaluate held_out.jsonl --model ...`."""
    from pipeline.annotate.domain import export_gold

    with reported_errors(as_json=as_json):
        settings, _ = _settings(config, None)
        with Store.existing(store or settings.store.path) as db:
            written = export_gold(db, out, split=split, test_fraction=test_fraction)
    if as_json:
        typer.echo(json.dumps({"gold_articles": written, "out": str(out)}))
        return
    typer.echo(f"wrote {written} gold article(s) to {out}")


def train_domain_cli(
    base: Annotated[
        str | None, typer.Option(help="pipeline to fine-tune (default: the configured tagger model)")
    ] = None,
    output: Annotated[
        Path,
        typer.Option(help="where to write the fine-tuned pipeline", show_default="pipeline/models/survnews_domain"),
    ] = DOMAIN_MODEL_DIR,
    base_data: Annotated[
        Path | None,
        typer.Option(help="DocBin of base training data to rehearse (default: what `train base` converted)"),
    ] = None,
    rehearsal: Annotated[float, typer.Option(help="base documents mixed in per gold document (0: none)")] = 3.0,
    test_fraction: Annotated[float, typer.Option(help="share of gold articles held out for before/after")] = 0.2,
    max_steps: Annotated[int, typer.Option(help="training steps")] = 600,
    seed: Annotated[int, typer.Option()] = 0,
    work_dir: Annotated[
        Path, typer.Option(help="scratch folder for the training data and run", show_default="corpus/build/domain")
    ] = DEFAULT_WORK_DIR,
    config: ConfigOption = None,
    store: StoreOption = None,
    as_json: JsonOption = False,
) -> None:
    """Fine-tune the NER on pulled gold (plus rehearsed base data) and print before/after on held-out gold."""
    from pipeline.annotate.domain import train_domain

    with reported_errors(as_json=as_json):
        settings, _ = _settings(config, None)
        with Store.existing(store or settings.store.path) as db:
            result = train_domain(
                db,
                base=base or settings.tagger.model,
                output=output,
                base_data=base_data,
                rehearsal=rehearsal,
                test_fraction=test_fraction,
                max_steps=max_steps,
                seed=seed,
                work_dir=work_dir,
            )
    if as_json:
        typer.echo(json.dumps(result.to_dict()))
        return
    typer.echo(
        f"wrote {result.output} in {result.seconds:.0f} s: {result.gold_train} gold article(s) trained on, "
        f"{result.rehearsal_docs} base document(s) rehearsed, {result.skipped_spans} span(s) not on token "
        f"boundaries left out"
    )
    if not result.before:
        typer.echo("no held-out gold: before/after not measured (annotate more, or raise --test-fraction)")
        return
    table = Table(
        f"held-out gold ({result.gold_held_out} articles)",
        "F1 before",
        "F1 after",
        "change",
        "overlap F1 before",
        "overlap F1 after",
    )
    for label in result.after["exact"]:
        before, after = result.before["exact"][label]["f1"], result.after["exact"][label]["f1"]
        table.add_row(
            label,
            f"{before:.3f}",
            f"{after:.3f}",
            f"{after - before:+.3f}",
            f"{result.before['overlap'][label]['f1']:.3f}",
            f"{result.after['overlap'][label]['f1']:.3f}",
        )
    console.print(table)


@annotate_app.command("cycle")
def cycle_cli(
    base: Annotated[
        str | None, typer.Option(help="model to start from while none is shipped (default: the configured tagger)")
    ] = None,
    shipped: Annotated[
        Path, typer.Option(help="the shipped domain model", show_default="pipeline/models/survnews_domain")
    ] = DOMAIN_MODEL_DIR,
    base_data: Annotated[Path | None, typer.Option(help="DocBin of base training data to rehearse")] = None,
    rehearsal: Annotated[float, typer.Option(help="base documents mixed in per gold document (0: none)")] = 3.0,
    test_fraction: Annotated[float, typer.Option(help="share of gold articles held out for before/after")] = 0.2,
    max_steps: Annotated[int, typer.Option(help="training steps")] = 600,
    push_count: Annotated[int, typer.Option("--push", help="new tasks to push with the new model")] = 0,
    seed: Annotated[int, typer.Option()] = 0,
    work_dir: Annotated[
        Path, typer.Option(help="scratch folder for the training data and run", show_default="corpus/build/domain")
    ] = DEFAULT_WORK_DIR,
    config: ConfigOption = None,
    store: StoreOption = None,
    project: ProjectOption = None,
    as_json: JsonOption = False,
) -> None:
    """Pull → train domain → before/after on held-out gold → push the new model's predictions.

    The shipped model is replaced only when the held-out F1 does not drop (exit code 1 when it is kept)."""
    from pipeline.annotate.cycle import cycle

    def action(settings: Settings, ls: LabelStudioSettings, db: Store, client: LabelStudioClient) -> Any:
        return cycle(
            db,
            client,
            ls,
            base=base or settings.tagger.model,
            shipped=shipped,
            base_data=base_data,
            rehearsal=rehearsal,
            test_fraction=test_fraction,
            max_steps=max_steps,
            seed=seed,
            work_dir=work_dir,
            push_count=push_count,
            threshold=settings.relevance.threshold,
        )

    result = _run(config, store, project, action, as_json=as_json)
    if as_json:
        typer.echo(json.dumps(result.to_dict(), ensure_ascii=False))
    else:
        typer.echo(
            f"pulled {result.pulled.annotations} annotation(s); trained on {result.trained.gold_train} gold "
            f"article(s), held out {result.trained.gold_held_out}"
        )
        typer.echo(result.reason)
        if result.pushed is not None:
            typer.echo(
                f"pushed {result.model_version}: {result.pushed.predictions_added} prediction(s) on existing tasks, "
                f"{result.pushed.created} new task(s)"
            )
    if not result.replaced:
        raise typer.Exit(1)
