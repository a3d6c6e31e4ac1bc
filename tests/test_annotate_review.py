"""Annotation for a team, against the real Label Studio server (tests/labelstudio_server.py).

Three annotators with their own accounts annotate two articles; on one they agree, on the other a disagreement
is planted (an actor type, a span, a relation and the document category). The disputed article goes to the
review project with every version; a reviewer resolves it; the gold holds exactly the reviewed version; the
agreement figures match the hand computation written out below.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from label_studio_sdk import LabelStudio
from typer.testing import CliRunner

from pipeline.annotate._client import LabelStudioClient
from pipeline.annotate.gold import iter_gold
from pipeline.annotate.review import MERGED_VERSION
from pipeline.cli._annotate import annotate_app
from pipeline.records import Event
from tests.labelstudio_server import LabelStudioServer, labelstudio, make_article, store_with
from tests.test_annotate_labelstudio import cli_env, settings_for, tasks_by_article

__all__ = ["labelstudio"]

pytestmark = [pytest.mark.labelstudio, pytest.mark.slow]

X = "The Interior Ministry bought Pegasus from NSO Group to watch journalists in Mexico."
Y = "Police in Hamburg use facial recognition cameras."


def articles() -> list[Any]:
    x = make_article(
        "x-disputed",
        X,
        [
            (
                "Interior Ministry",
                "ACTOR",
                {"actor_type": "government", "entity_id": "gaz:ministry", "source": "pattern"},
            ),
            ("Pegasus", "TECHNOLOGY", {"category": "spyware", "entity_id": "tech:pegasus", "source": "taxonomy"}),
            ("Mexico", "LOCATION", {"country": "MX", "entity_id": "geo:mexico", "source": "geonames"}),
        ],
    )
    x.events = [
        Event(
            "acquires", "gaz:ministry", "Interior Ministry", "tech:pegasus", "Pegasus", "TECHNOLOGY", 0, len(X), X, "t"
        )
    ]
    y = make_article(
        "y-agreed",
        Y,
        [
            ("Police", "ACTOR", {"actor_type": "law_enforcement", "source": "pattern"}),
            ("Hamburg", "LOCATION", {"country": "DE", "source": "geonames"}),
            ("facial recognition cameras", "TECHNOLOGY", {"category": "face_recognition", "source": "taxonomy"}),
        ],
    )
    return [x, y]


def region(text: str, surface: str, label: str, rid: str, attribute: tuple[str, str] | None = None) -> list[Any]:
    """A region as the editor saves it: actor type / category as a second label, country as a per-region choice."""
    start = text.index(surface)
    value = {"start": start, "end": start + len(surface), "text": surface}
    items: list[dict[str, Any]] = [
        {"id": rid, "from_name": "label", "to_name": "text", "type": "labels", "value": {**value, "labels": [label]}}
    ]
    if attribute is not None:
        name, code = attribute
        kind, key = ("choices", "choices") if name == "country" else ("labels", "labels")
        items.append({"id": rid, "from_name": name, "to_name": "text", "type": kind, "value": {**value, key: [code]}})
    return items


def relation(head: str, label: str, child: str) -> dict[str, Any]:
    return {"from_id": head, "to_id": child, "type": "relation", "direction": "right", "labels": [label]}


def doc(category: str) -> list[dict[str, Any]]:
    return [
        {"from_name": "relevant", "to_name": "text", "type": "choices", "value": {"choices": ["yes"]}},
        {"from_name": "category", "to_name": "text", "type": "choices", "value": {"choices": [category]}},
    ]


Y_RESULT = [
    *region(Y, "Police", "ACTOR", "p", ("actor_type", "law_enforcement")),
    *region(Y, "Hamburg", "LOCATION", "h", ("country", "DE")),
    *region(Y, "facial recognition", "TECHNOLOGY", "f", ("technology_category", "face_recognition")),
    relation("p", "uses", "f"),
    *doc("face_recognition"),
]
X_FULL = [
    *region(X, "Interior Ministry", "ACTOR", "m", ("actor_type", "government")),
    *region(X, "Pegasus", "TECHNOLOGY", "g", ("technology_category", "spyware")),
    *region(X, "NSO Group", "ACTOR", "n", ("actor_type", "company")),
    *region(X, "Mexico", "LOCATION", "x", ("country", "MX")),
    relation("m", "acquires", "g"),
    relation("n", "supplies", "g"),
    *doc("spyware"),
]
X_PLANTED = [  # cyd: another actor type, no NSO Group, "uses" for "acquires", another category
    *region(X, "Interior Ministry", "ACTOR", "m", ("actor_type", "intelligence")),
    *region(X, "Pegasus", "TECHNOLOGY", "g", ("technology_category", "spyware")),
    *region(X, "Mexico", "LOCATION", "x", ("country", "MX")),
    relation("m", "uses", "g"),
    *doc("communications_interception"),
]
X_REVIEWED = [  # the reviewer's decision: unlike every annotator's (journalists added, no "supplies")
    *region(X, "Interior Ministry", "ACTOR", "m", ("actor_type", "government")),
    *region(X, "Pegasus", "TECHNOLOGY", "g", ("technology_category", "spyware")),
    *region(X, "NSO Group", "ACTOR", "n", ("actor_type", "company")),
    *region(X, "journalists", "ACTOR", "j", ("actor_type", "media")),
    *region(X, "Mexico", "LOCATION", "x", ("country", "MX")),
    relation("m", "acquires", "g"),
    relation("m", "targets", "j"),
    *doc("spyware"),
]


@pytest.fixture(scope="module")
def team(labelstudio: LabelStudioServer) -> dict[str, tuple[str, LabelStudio]]:
    """Three annotators and a reviewer, each signed up through the web form with their own token."""
    people = {}
    for name in ("ana", "ben", "cyd", "rev"):
        email = f"{name}-{uuid.uuid4().hex[:6]}@survnews.test"
        people[name] = (email, LabelStudio(base_url=labelstudio.url, api_key=labelstudio.add_annotator(email)))
    return people


def test_three_annotators_dispute_review_and_gold(
    labelstudio: LabelStudioServer, team: dict[str, tuple[str, LabelStudio]], tmp_path: Path, monkeypatch: Any
) -> None:
    monkeypatch.chdir(tmp_path)
    db = tmp_path / "store.sqlite"
    store = store_with(db, articles())
    settings = settings_for(labelstudio, annotations_per_task=3)
    runner = CliRunner()
    env = cli_env(labelstudio)
    common = ["--store", str(db), "--project", settings.project_title]

    def cli(*args: str) -> Any:
        result = runner.invoke(annotate_app, [*args, *common], env=env)
        assert result.exit_code == 0, result.output
        return json.loads(result.output.splitlines()[0]) if "--json" in args else result.output

    assert runner.invoke(annotate_app, ["setup", "--project", settings.project_title], env=env).exit_code == 0
    cli("push", "-n", "5", "--json")
    client = LabelStudioClient(settings)
    tasks = tasks_by_article(client, client.require_project(settings.project_title))
    # the predicted event goes out as a pre-drawn relation between the predicted spans
    (predicted,) = tasks["x-disputed"]["predictions"]
    drawn = [r for r in predicted["result"] if r["type"] == "relation"]
    assert [r["labels"] for r in drawn] == [["acquires"]]
    regions = {r["id"]: r["value"]["text"] for r in predicted["result"] if r.get("from_name") == "label"}
    assert (regions[drawn[0]["from_id"]], regions[drawn[0]["to_id"]]) == ("Interior Ministry", "Pegasus")
    # the article's own country first in the country choices, the full list after it
    countries = tasks["x-disputed"]["data"]["countries"]
    assert countries[0] == {"value": "Mexico (in this article)", "alias": "MX"} and len(countries) == 249

    times = {"ana": (10.0, 40.0), "ben": (20.0, 60.0), "cyd": (30.0, 30.0)}
    for name, x_result in (("ana", X_FULL), ("ben", X_FULL), ("cyd", X_PLANTED)):
        _, sdk = team[name]
        sdk.annotations.create(id=tasks["y-agreed"]["id"], result=Y_RESULT, lead_time=times[name][0])
        sdk.annotations.create(id=tasks["x-disputed"]["id"], result=x_result, lead_time=times[name][1])

    pulled = cli("pull", "--json", "--no-review")
    assert pulled["annotations"] == 6 and pulled["problems"] == [] and pulled["queued_for_review"] == 0
    status = cli("status", "--json")
    assert status["states"] == {"single": 0, "agreed": 1, "majority": 0, "disputed": 1, "reviewed": 0}
    (disputed,) = status["disputed"]
    assert disputed["article_id"] == "x-disputed"
    ana, ben, cyd = (team[n][0] for n in ("ana", "ben", "cyd"))
    assert (
        f"actor_type of 'Interior Ministry': government ({', '.join(sorted([ana, ben]))}) vs intelligence ({cyd})"
        in (disputed["disputes"])
    )
    assert any(d.startswith("span 'NSO Group' (ACTOR)") for d in disputed["disputes"])
    assert any(d.startswith("relation 'Interior Ministry' uses 'Pegasus'") for d in disputed["disputes"])
    # gold holds only the agreed article: no latest-wins on the disputed one
    assert [g["id"] for g in iter_gold(store)] == ["y-agreed"]

    pulled = cli("pull", "--json")  # a pull queues the disputed articles for review
    assert pulled["queued_for_review"] == 1
    queued = cli("review", "--json")
    assert (queued["disputed"], queued["created"], queued["already_queued"]) == (1, 0, 1)  # idempotent
    review_id = queued["project_id"]
    assert review_id == pulled["review_project_id"]
    (review_task,) = list(client.iter_tasks(review_id))
    assert review_task["data"]["article_id"] == "x-disputed"
    assert "NSO Group" in review_task["data"]["dispute"]
    versions = sorted(p["model_version"] for p in review_task["predictions"])
    assert versions == sorted([MERGED_VERSION, f"annotator: {ana}", f"annotator: {ben}", f"annotator: {cyd}"])
    merged = next(p for p in review_task["predictions"] if p["model_version"] == MERGED_VERSION)
    merged_spans = {r["value"]["text"] for r in merged["result"] if r.get("from_name") == "label"}
    assert merged_spans == {"Interior Ministry", "Pegasus", "Mexico"}  # what all three marked
    project = client.sdk.projects.get(id=review_id)
    assert "dispute" in (project.label_config or "") and project.model_version == MERGED_VERSION

    rev_email, reviewer = team["rev"]
    reviewer.annotations.create(id=review_task["id"], result=X_REVIEWED, lead_time=99.0)
    pulled = cli("pull", "--json")
    assert pulled["reviews"] == 1 and pulled["review_project_id"] == review_id
    status = cli("status", "--json")
    assert status["states"] == {"single": 0, "agreed": 1, "majority": 0, "disputed": 0, "reviewed": 1}
    assert (status["review_tasks"], status["review_done"]) == (1, 1)

    gold = {g["id"]: g for g in iter_gold(store)}
    assert gold["x-disputed"]["resolution"] == "reviewed" and gold["y-agreed"]["resolution"] == "agreed"
    reviewed = gold["x-disputed"]
    got = {(e["text"], e["label"], e["actor_type"] or e["category"] or e["country"]) for e in reviewed["entities"]}
    assert got == {
        ("Interior Ministry", "ACTOR", "government"),
        ("Pegasus", "TECHNOLOGY", "spyware"),
        ("NSO Group", "ACTOR", "company"),
        ("journalists", "ACTOR", "media"),
        ("Mexico", "LOCATION", "MX"),
    }
    assert sorted(r["label"] for r in reviewed["relations"]) == ["acquires", "targets"]
    assert reviewed["category"] == "spyware"
    # relations come back as gold events, with the predicted entity ids where the spans match
    events = {(e["actor"], e["relation"], e["object"], e["object_label"]) for e in reviewed["events"]}
    assert events == {
        ("Interior Ministry", "acquires", "Pegasus", "TECHNOLOGY"),
        ("Interior Ministry", "targets", "journalists", "ACTOR"),
    }
    acquires = next(e for e in reviewed["events"] if e["relation"] == "acquires")
    assert (acquires["actor_id"], acquires["object_id"], acquires["evidence"]) == ("gaz:ministry", "tech:pegasus", X)
    assert acquires["source"] == "gold:reviewed" and acquires["object_category"] == "spyware"

    # agreement, by hand (the reviewer is the reference, not a rater). Spans per annotation: Y 3 each; X ana 4,
    # ben 4, cyd 3 (no NSO Group). Pairs: ana/ben share 7 of 7/7; ana/cyd and ben/cyd share 6 of 7/6 → 19 of 21/19.
    result = runner.invoke(annotate_app, ["agreement", "--json", "--store", str(db)], env=env)
    figures = json.loads(result.output)
    assert figures["articles_compared"] == 2
    assert figures["span_f1"]["ALL"]["f1"] == pytest.approx(2 * 19 / (21 + 19))
    # ACTOR: ana/ben 3 of 3/3; ana/cyd, ben/cyd 2 of 3/2 → 7 of 9/7
    assert figures["span_f1"]["ACTOR"]["f1"] == pytest.approx(2 * 7 / (9 + 7))
    # actor type on shared ACTOR spans: ana/ben 3 of 3; with cyd 1 of 2 each (Interior Ministry differs)
    assert figures["attributes"]["actor_type"] == {"agreement": pytest.approx(5 / 7), "agree": 5, "compared": 7}
    assert figures["attributes"]["country"]["agreement"] == pytest.approx(1.0)
    assert figures["attributes"]["category"]["compared"] == 6
    # relations: Y 1 each; X ana 2, ben 2, cyd 1 ("uses"): ana/ben 3 of 3/3, with cyd 1 of 3/2 each
    assert figures["relation_f1"]["f1"] == pytest.approx(2 * 5 / (9 + 7))
    # category: Y face×3, X spyware, spyware, interception: P̄ = (1 + 1/3)/2, P_e = (9 + 4 + 1)/36
    assert figures["fleiss_kappa"]["category"] == pytest.approx((2 / 3 - 14 / 36) / (1 - 14 / 36))
    assert figures["fleiss_kappa"]["relevant"] is None  # everyone said yes: chance agreement 1
    pairs = {tuple(p["annotators"]): p for p in figures["pairs"]}
    assert pairs[tuple(sorted([ana, cyd]))]["kappa"]["category"] == pytest.approx(1 / 3)
    assert pairs[tuple(sorted([ana, ben]))]["span_f1"]["ALL"] == pytest.approx(1.0)
    # the tagger against each annotation: Y keeps Police, Hamburg, loses "facial recognition cameras" and gains
    # "facial recognition" (×3); X keeps its 3 spans (×3) and gains NSO Group (ana, ben)
    corrections = figures["model_corrections"]
    assert (corrections["ALL"]["kept"], corrections["ALL"]["removed"], corrections["ALL"]["added"]) == (15, 3, 5)
    assert corrections["ALL"]["correction_rate"] == pytest.approx(8 / 23)
    assert corrections["TECHNOLOGY"]["correction_rate"] == pytest.approx(6 / 9)
    assert corrections["ACTOR"]["correction_rate"] == pytest.approx(2 / 8)
    assert (corrections["ACTOR"]["attribute_changed"], corrections["ACTOR"]["attribute_compared"]) == (1, 6)
    assert corrections["LOCATION"]["correction_rate"] == pytest.approx(0.0)
    assert figures["lead_time_s"] == {
        ana: {"tasks": 2, "mean": 25.0, "median": 25.0},
        ben: {"tasks": 2, "mean": 40.0, "median": 40.0},
        cyd: {"tasks": 2, "mean": 30.0, "median": 30.0},
    }
    assert rev_email not in figures["lead_time_s"]
    page = Path(figures["html"]).read_text(encoding="utf-8")
    assert page.count("data:image/png;base64,") == 4 and "Fleiss" in page
    table = runner.invoke(annotate_app, ["agreement", "--store", str(db)], env=env)
    assert table.exit_code == 0 and f"{2 * 19 / 40:.3f}" in table.output and "0.455" in table.output


# the model in the loop ---------------------------------------------------------------------------------------
def _annotate_stories(client: LabelStudioClient, sdk: LabelStudio, project_id: int, *, sabotage: bool) -> None:
    """One annotator gives each story its true spans; with ``sabotage``, the articles that train (not the held-out
    ones) get every word marked as an ACTOR instead, which no model should learn."""
    import re

    from pipeline.annotate.domain import is_held_out
    from tests.test_annotate_domain import story

    tasks = tasks_by_article(client, project_id)
    for article_id, task in tasks.items():
        text, spans = story(int(article_id[1:]))
        result: list[dict[str, Any]] = []
        if sabotage and not is_held_out(article_id, 0.3):
            for n, word in enumerate(re.finditer(r"\w+", text)):
                value = {"start": word.start(), "end": word.end(), "text": word.group(), "labels": ["ACTOR"]}
                result.append(
                    {"id": f"w{n}", "from_name": "label", "to_name": "text", "type": "labels", "value": value}
                )
        else:
            for n, (surface, label, attrs) in enumerate(spans):
                attribute = ("actor_type", attrs["actor_type"]) if "actor_type" in attrs else None
                result += region(text, surface, label, f"r{n}", attribute)
        sdk.annotations.create(id=task["id"], result=result, lead_time=5.0)


@pytest.mark.parametrize("sabotage", [False, True], ids=["true-gold", "sabotaged-gold"])
def test_annotate_cycle_end_to_end_on_a_small_model(
    labelstudio: LabelStudioServer,
    team: dict[str, tuple[str, LabelStudio]],
    tmp_path: Path,
    monkeypatch: Any,
    sabotage: bool,
) -> None:
    from tests.test_annotate_domain import story, tiny_base

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    db = tmp_path / "store.sqlite"
    stories = [story(i) for i in range(12)]
    store_with(db, [make_article(f"g{i:02}", text, spans) for i, (text, spans) in enumerate(stories)]).close()
    settings = settings_for(labelstudio, annotations_per_task=1)
    env = cli_env(labelstudio)
    runner = CliRunner()
    assert runner.invoke(annotate_app, ["setup", "--project", settings.project_title], env=env).exit_code == 0
    pushed = runner.invoke(
        annotate_app, ["push", "-n", "12", "--store", str(db), "--project", settings.project_title], env=env
    )
    assert pushed.exit_code == 0, pushed.output
    client = LabelStudioClient(settings)
    project_id = client.require_project(settings.project_title)
    _annotate_stories(client, team["ana"][1], project_id, sabotage=sabotage)

    base, base_data = tiny_base(tmp_path)
    shipped = tmp_path / "shipped"
    args = ["cycle", "--base", str(base), "--shipped", str(shipped), "--base-data", str(base_data)]
    steps = "40" if sabotage else "8"  # enough steps for the rubbish to be learnt
    args += ["--rehearsal", "1", "--max-steps", steps, "--test-fraction", "0.3", "--work-dir", str(tmp_path / "work")]
    args += ["--store", str(db), "--project", settings.project_title, "--json"]
    result = runner.invoke(annotate_app, args, env=env)
    report = json.loads(result.output.splitlines()[0])
    assert report["pulled"]["annotations"] == 12
    assert report["trained"]["gold_train"] + report["trained"]["gold_held_out"] == 12
    before, after = report["before_f1"], report["after_f1"]
    print(f"annotate cycle ({'sabotaged' if sabotage else 'true'} gold): held-out F1 {before} -> {after}")
    assert isinstance(before, float) and isinstance(after, float)
    assert report["replaced"] == (after >= before)
    assert result.exit_code == (0 if report["replaced"] else 1)
    tasks = tasks_by_article(client, project_id)
    versions = {p["model_version"] for t in tasks.values() for p in t["predictions"]}
    if sabotage and after < before:
        # trained on every word as an actor, the candidate tags rubbish in the (true) held-out gold: refused.
        # (The rule components may still find every held-out span, so the drop is not certain on this fixture.)
        assert not report["replaced"] and "dropped" in report["reason"], (before, after)
        assert not shipped.exists() and versions == {"survnews_base@0.1.0"}
    if report["replaced"]:
        meta = json.loads((shipped / "meta.json").read_text(encoding="utf-8"))
        assert meta["name"] == "survnews_domain"
        assert report["pushed"]["predictions_added"] == 12 and report["model_version"] in versions
        fresh = [p for t in tasks.values() for p in t["predictions"] if p["model_version"] == report["model_version"]]
        spans = [r for p in fresh for r in p["result"] if r.get("from_name") == "label"]
        assert spans and all(0.0 <= r["score"] <= 1.0 for r in spans)
