"""``survnews annotate ...``: the Label Studio round trip as a typer sub-app.

Registered by the main CLI with ``app.add_typer(annotate_app, name="annotate")``. Every command turns a
``SurvnewsError`` into one line on stderr and the error's exit code (ServiceError → 3, ConfigError → 2).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, cast

import typer
from rich.console import Console
from rich.table import Table

from pipeline.annotate.config import LabelStudioSettings, annotate_settings
from pipeline.annotate.domain import DEFAULT_WORK_DIR, DOMAIN_MODEL_DIR
from pipeline.config import Settings, load_settings
from pipeline.errors import ConfigError, SurvnewsError
from pipeline.store import Store

if TYPE_CHECKING:
    from pipeline.annotate._client import LabelStudioClient
    from pipeline.annotate.push import Strategy

# label_studio_sdk takes seconds to import: the command modules are imported inside the commands, so
# registering this sub-app costs the main CLI nothing.
STRATEGIES = ("random", "stratified", "uncertain")

annotate_app = typer.Typer(
    name="annotate",
    help="Label Studio round trip: set up the project, push tasks, pull gold, progress and agreement.",
    no_args_is_help=True,
)
console = Console()

ConfigOption = Annotated[Path | None, typer.Option("--config", "-c", help="survnews.toml (default: ./survnews.toml)")]
StoreOption = Annotated[Path | None, typer.Option("--store", help="SQLite store (default: from the config)")]
ProjectOption = Annotated[str | None, typer.Option("--project", help="Label Studio project title")]
JsonOption = Annotated[bool, typer.Option("--json", help="print the report as JSON")]


def _settings(config: Path | None, project: str | None) -> tuple[Settings, LabelStudioSettings]:
    settings = load_settings(config)
    ls_settings = annotate_settings(settings.annotate)
    if project:
        ls_settings = ls_settings.model_copy(update={"project_title": project})
    return settings, ls_settings


@contextmanager
def _errors() -> Iterator[None]:
    try:
        yield
    except SurvnewsError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(exc.exit_code) from None


def _run(
    config: Path | None,
    store_path: Path | None,
    project: str | None,
    action: Callable[[Settings, LabelStudioSettings, Store, LabelStudioClient], Any],
) -> Any:
    from pipeline.annotate._client import LabelStudioClient

    with _errors():
        settings, ls_settings = _settings(config, project)
        client = LabelStudioClient(ls_settings)
        with Store.existing(store_path or settings.store.path) as store:
            return action(settings, ls_settings, store, client)


@annotate_app.command("setup")
def setup_cli(config: ConfigOption = None, project: ProjectOption = None, as_json: JsonOption = False) -> None:
    """Create the Label Studio project from schemas/labelstudio.xml, or update its config and instructions."""
    from pipeline.annotate._client import LabelStudioClient
    from pipeline.annotate.push import setup_project

    with _errors():
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
    config: ConfigOption = None,
    store: StoreOption = None,
    project: ProjectOption = None,
    as_json: JsonOption = False,
) -> None:
    """Send articles as tasks with the tagger's spans as predictions (idempotent by article id)."""
    if strategy not in STRATEGIES:
        with _errors():
            raise ConfigError(f"--strategy must be one of {', '.join(STRATEGIES)}, not {strategy!r}")

    from pipeline.annotate.push import push

    def action(settings: Settings, ls: LabelStudioSettings, db: Store, client: LabelStudioClient) -> Any:
        return push(
            db,
            client,
            ls,
            count=count,
            strategy=cast("Strategy", strategy),
            seed=seed,
            threshold=settings.relevance.threshold,
            relevant_only=relevant_only,
            model_version=model_version,
        )

    report = _run(config, store, project, action)
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
    config: ConfigOption = None, store: StoreOption = None, project: ProjectOption = None, as_json: JsonOption = False
) -> None:
    """Fetch annotations, check each span against the stored text, and keep them as gold."""
    from pipeline.annotate.pull import pull

    report = _run(config, store, project, lambda _s, ls, db, client: pull(db, client, ls))
    if as_json:
        typer.echo(json.dumps(report.to_dict(), ensure_ascii=False))
        return
    typer.echo(
        f"project {report.project_id}: {report.annotations} annotation(s) on {report.tasks} task(s) "
        f"({report.cancelled} skipped): {report.new} new, {report.updated} updated, {report.unchanged} unchanged, "
        f"{report.removed} removed; {len(report.problems)} item(s) reported, not merged"
    )
    for problem in report.problems[:50]:
        typer.echo(f"  not merged: {problem}", err=True)


@annotate_app.command("status")
def status_cli(
    config: ConfigOption = None, store: StoreOption = None, project: ProjectOption = None, as_json: JsonOption = False
) -> None:
    """Progress: tasks, annotated, skipped, per annotator."""
    from pipeline.annotate.pull import status

    report = _run(config, store, project, lambda _s, ls, db, client: status(db, client, ls))
    if as_json:
        typer.echo(json.dumps(report.to_dict(), ensure_ascii=False))
        return
    typer.echo(
        f"project {report.project_id}: {report.tasks} tasks, {report.annotated} annotated, {report.skipped} skipped, "
        f"{report.remaining} to do; gold pulled: {report.gold_pulled} annotation(s), {report.gold_articles} article(s)"
    )
    table = Table("annotator", "annotated", "skipped")
    for who, counts in report.per_annotator.items():
        table.add_row(who, str(counts["annotated"]), str(counts["skipped"]))
    console.print(table)
    if report.predictions:
        console.print("predictions: " + ", ".join(f"{v} on {n} task(s)" for v, n in report.predictions.items()))


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


@annotate_app.command("agreement")
def agreement_cli(config: ConfigOption = None, store: StoreOption = None, as_json: JsonOption = False) -> None:
    """Pairwise span F1 per label and Cohen's kappa on document choices, from pulled gold."""
    from pipeline.annotate.agreement import pairwise_agreement

    with _errors():
        settings, _ = _settings(config, None)
        with Store.existing(store or settings.store.path) as db:
            pairs = pairwise_agreement(db)
    if as_json:
        typer.echo(json.dumps([p.to_dict() for p in pairs], ensure_ascii=False))
        return
    if not pairs:
        typer.echo("no article was annotated by two people yet: nothing to compare (pull first?)")
        return
    for p in pairs:
        typer.echo(f"{p.first} / {p.second}: {p.articles} article(s) annotated by both")
        typer.echo(
            "  span F1 (exact start, end, label): "
            + ", ".join(
                f"{label if label != 'ALL' else 'all'} {_fmt(p.spans[label].f1)}"
                f" ({p.spans[label].common} shared of {p.spans[label].first}/{p.spans[label].second})"
                for label in ("ACTOR", "TECHNOLOGY", "LOCATION", "ALL")
            )
        )
        typer.echo(
            "  Cohen's kappa: "
            + ", ".join(
                f"{choice} {_fmt(p.kappa[choice])} (n={p.kappa_items[choice]})" for choice in ("relevant", "category")
            )
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

    with _errors():
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

    with _errors():
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
