"""Label Studio round trip against a real server the tests start (see tests/labelstudio_server.py).

setup → push (with predictions) → two annotators annotate through the API with their own accounts → pull →
gold matches; re-push adds nothing; a new model version adds predictions; emoji offsets survive; a server that
is down gives one clear line and exit code 3 with nothing written; a push cut off by a server restart is
completed by the next push without duplicates.
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
from pipeline.annotate.config import LabelStudioSettings
from pipeline.annotate.gold import ensure_gold_schema, iter_gold
from pipeline.annotate.pull import pull
from pipeline.annotate.push import push, setup_project
from pipeline.cli._annotate import annotate_app
from pipeline.errors import ServiceError
from pipeline.store import Store
from tests.labelstudio_server import LabelStudioServer, free_port, labelstudio, make_article, store_with

__all__ = ["labelstudio"]  # the session fixture, imported for pytest

pytestmark = [pytest.mark.labelstudio, pytest.mark.slow]

EMOJI = "Leaked files 📂 show the 🕵️ Interior Ministry bought Pegasus from NSO Group to watch 𝕁ournalists in Mexico."
PLAIN = "The city council of Springfield approved facial recognition cameras for the Springfield Police Department."
OTHER = "A quiet story about gardening tips for the spring season, with no surveillance in it."


def articles() -> list[Any]:
    return [
        make_article(
            "a-emoji",
            EMOJI,
            [
                ("Interior Ministry", "ACTOR", {"actor_type": "government"}),
                ("Pegasus", "TECHNOLOGY", {"category": "spyware"}),
                ("NSO Group", "ACTOR", {"actor_type": "company"}),
                ("Mexico", "LOCATION", {"country": "MX"}),
            ],
            relevance=0.9,
        ),
        make_article(
            "b-plain",
            PLAIN,
            [
                ("Springfield", "LOCATION", {"country": "US"}),
                ("facial recognition", "TECHNOLOGY", {"category": "face_recognition"}),
                ("Springfield Police Department", "ACTOR", {"actor_type": "law_enforcement"}),
            ],
            relevance=0.7,
        ),
        make_article("c-other", OTHER, [], relevance=0.05),
    ]


def settings_for(server: LabelStudioServer, **overrides: Any) -> LabelStudioSettings:
    values: dict[str, Any] = {
        "url": server.url,
        "api_key": server.token,
        "project_title": f"survnews-test-{uuid.uuid4().hex[:8]}",
    }
    values.update(overrides)
    return LabelStudioSettings.model_validate(values)


def cli_env(server: LabelStudioServer, url: str | None = None) -> dict[str, str]:
    return {"LABEL_STUDIO_URL": url or server.url, "LABEL_STUDIO_API_KEY": server.token}


def browser_offsets(text: str, surface: str) -> tuple[int, int]:
    """Where Label Studio 1.23's editor puts a selection of ``surface`` in the task text: code points, not
    UTF-16 units (checked with a real mouse selection by benchmarks/screenshot_labelstudio.py)."""
    start = len(text[: text.index(surface)])
    return start, start + len(surface)


def region(text: str, surface: str, label: str, rid: str, **attribute: str) -> list[dict[str, Any]]:
    start, end = browser_offsets(text, surface)
    value = {"start": start, "end": end, "text": surface}
    items: list[dict[str, Any]] = [
        {"id": rid, "from_name": "label", "to_name": "text", "type": "labels", "value": {**value, "labels": [label]}}
    ]
    for name, choice in attribute.items():
        items.append(
            {
                "id": rid,
                "from_name": name,
                "to_name": "text",
                "type": "choices",
                "value": {**value, "choices": [choice]},
            }
        )
    return items


def doc(relevant: str, category: str | None = None) -> list[dict[str, Any]]:
    items = [{"from_name": "relevant", "to_name": "text", "type": "choices", "value": {"choices": [relevant]}}]
    if category:
        items.append({"from_name": "category", "to_name": "text", "type": "choices", "value": {"choices": [category]}})
    return items


def tasks_by_article(client: LabelStudioClient, project_id: int) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for task in client.iter_tasks(project_id):
        article_id = task["data"]["article_id"]
        assert article_id not in found, f"duplicate task for {article_id}"
        found[article_id] = task
    return found


@pytest.fixture(scope="module")
def annotators(labelstudio: LabelStudioServer) -> dict[str, LabelStudio]:
    """Two people with their own accounts and tokens, signed up through the web form."""
    people = {}
    for name in ("ana", "ben"):
        email = f"{name}-{uuid.uuid4().hex[:6]}@survnews.test"
        people[email] = LabelStudio(base_url=labelstudio.url, api_key=labelstudio.add_annotator(email))
    return people


def test_round_trip_setup_push_annotate_pull(
    labelstudio: LabelStudioServer, annotators: dict[str, LabelStudio], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no stray survnews.toml
    store = store_with(tmp_path / "store.sqlite", articles())
    settings = settings_for(labelstudio)
    runner = CliRunner()
    env = cli_env(labelstudio)
    common = ["--store", str(tmp_path / "store.sqlite"), "--project", settings.project_title]

    created = runner.invoke(annotate_app, ["setup", "--project", settings.project_title], env=env)
    assert created.exit_code == 0, created.output
    assert "created project" in created.output
    again = runner.invoke(annotate_app, ["setup", "--project", settings.project_title], env=env)
    assert again.exit_code == 0 and "updated project" in again.output
    assert labelstudio.token not in created.output + again.output

    pushed = runner.invoke(annotate_app, ["push", "-n", "2", "--strategy", "uncertain", "--json", *common], env=env)
    assert pushed.exit_code == 0, pushed.output
    assert json.loads(pushed.output)["created"] == 2
    client = LabelStudioClient(settings)
    project_id = client.require_project(settings.project_title)
    project = client.sdk.projects.get(id=project_id)
    assert project.show_instruction and "Relations" in (project.expert_instruction or "")
    first_two = set(tasks_by_article(client, project_id))
    assert len(first_two) == 2
    pushed = runner.invoke(annotate_app, ["push", "--count", "5", "--json", *common], env=env)
    assert json.loads(pushed.output) | {"selected": 0} == {
        "project_id": project_id,
        "created": 1,
        "predictions_added": 0,
        "already_pushed": 2,
        "stale": [],
        "left_out": 0,
        "selected": 0,
    }
    tasks = tasks_by_article(client, project_id)
    assert set(tasks) == {"a-emoji", "b-plain", "c-other"}
    # uncertain first: the two picked first are those the tagger is least sure of, by the very score each task's
    # prediction carries (Label Studio sorts by it)
    uncertainty = {a: t["predictions"][0]["score"] for a, t in tasks.items()}
    (last,) = set(tasks) - first_two
    assert all(0.0 <= u <= 1.0 for u in uncertainty.values())
    assert uncertainty[last] <= min(uncertainty[a] for a in first_two)

    # the predictions carry the model version and score, and their offsets select the right text (code points,
    # which is what the editor draws; astral characters precede every span here)
    emoji_task = tasks["a-emoji"]
    assert emoji_task["data"]["text"] == EMOJI
    (prediction,) = emoji_task["predictions"]
    assert prediction["model_version"] == "survnews_base@0.1.0"
    predicted = {}
    for item in prediction["result"]:
        if item.get("from_name") == "label":
            assert 0.0 < item["score"] <= 1.0 and item["meta"]["text"][0].endswith(f"score {item['score']:.2f}")
            value = item["value"]
            assert EMOJI[value["start"] : value["end"]] == value["text"]
            predicted[value["text"]] = value["labels"][0]
    assert predicted == {
        "Interior Ministry": "ACTOR",
        "Pegasus": "TECHNOLOGY",
        "NSO Group": "ACTOR",
        "Mexico": "LOCATION",
    }

    # two annotators work on the emoji task, one on the plain task, one skips the off-topic task
    (ana_email, ana), (ben_email, ben) = annotators.items()
    ana.annotations.create(
        id=emoji_task["id"],
        lead_time=30.0,
        result=[
            *region(EMOJI, "Interior Ministry", "ACTOR", "m", actor_type="government"),
            *region(EMOJI, "Pegasus", "TECHNOLOGY", "p", technology_category="spyware"),
            *region(EMOJI, "NSO Group", "ACTOR", "n", actor_type="company"),
            *region(EMOJI, "𝕁ournalists", "ACTOR", "j", actor_type="media"),
            *region(EMOJI, "Mexico", "LOCATION", "x", country="MX"),
            {"from_id": "m", "to_id": "p", "type": "relation", "direction": "right", "labels": ["uses"]},
            {"from_id": "m", "to_id": "j", "type": "relation", "direction": "right", "labels": ["targets"]},
            *doc("yes", "spyware"),
        ],
    )
    ben.annotations.create(
        id=emoji_task["id"],
        lead_time=25.0,
        result=[
            *region(EMOJI, "Interior Ministry", "ACTOR", "m", actor_type="government"),
            *region(EMOJI, "Pegasus", "TECHNOLOGY", "p", technology_category="spyware"),
            *region(EMOJI, "Mexico", "LOCATION", "x", country="MX"),
            {"from_id": "m", "to_id": "p", "type": "relation", "direction": "right", "labels": ["uses"]},
            *doc("yes", "spyware"),
        ],
    )
    ana.annotations.create(
        id=tasks["b-plain"]["id"],
        result=[
            *region(PLAIN, "Springfield", "LOCATION", "s", country="US"),
            *region(PLAIN, "facial recognition", "TECHNOLOGY", "f", technology_category="face_recognition"),
            # a span whose text does not match where it points: must be reported, not merged
            {
                "id": "bad",
                "from_name": "label",
                "to_name": "text",
                "type": "labels",
                "value": {"start": 0, "end": 8, "text": "Springfield", "labels": ["LOCATION"]},
            },
            *doc("yes", "face_recognition"),
        ],
    )
    ben.annotations.create(id=tasks["c-other"]["id"], was_cancelled=True, result=[])

    pulled = runner.invoke(annotate_app, ["pull", "--json", *common], env=env)
    assert pulled.exit_code == 0, pulled.output
    report = json.loads(pulled.output.splitlines()[0])
    assert (report["annotations"], report["cancelled"], report["new"]) == (4, 1, 4)
    assert len(report["problems"]) == 1 and "does not match the stored text" in report["problems"][0]
    rows = store.db.execute("SELECT annotator, task_id, created_at, status FROM gold_annotations").fetchall()
    assert {r["annotator"] for r in rows} == {ana_email, ben_email}
    assert all(r["created_at"] for r in rows)
    assert sorted(r["status"] for r in rows) == ["cancelled", "ok", "ok", "partial"]
    assert [r["item"] for r in store.rejects() if r["stage"] == "annotate-pull"]

    gold = {g["id"]: g for g in iter_gold(store)}
    # ana and ben disagree on the emoji article (NSO Group, 𝕁ournalists, a relation): it waits for review, and
    # neither of them silently wins; the plain article had one annotator
    assert set(gold) == {"b-plain"} and gold["b-plain"]["resolution"] == "single"
    assert [e["text"] for e in gold["b-plain"]["entities"]] == ["Springfield", "facial recognition"]
    assert all(e["entity_id"] for e in gold["b-plain"]["entities"])

    again = runner.invoke(annotate_app, ["pull", "--json", *common], env=env)
    assert json.loads(again.output.splitlines()[0])["unchanged"] == 4

    status = runner.invoke(annotate_app, ["status", "--json", *common], env=env)
    assert status.exit_code == 0, status.output
    counts = json.loads(status.output)
    assert (counts["tasks"], counts["annotated"], counts["skipped"], counts["remaining"]) == (3, 2, 1, 0)
    assert counts["per_annotator"] == {
        ana_email: {"annotated": 2, "skipped": 0},
        ben_email: {"annotated": 1, "skipped": 1},
    }
    assert counts["predictions"] == {"survnews_base@0.1.0": 3} and counts["gold_articles"] == 1
    assert counts["states"] == {"single": 1, "agreed": 0, "majority": 0, "disputed": 1, "reviewed": 0}
    assert counts["disputed"][0]["article_id"] == "a-emoji"

    agreement = runner.invoke(annotate_app, ["agreement", "--json", "--store", str(tmp_path / "store.sqlite")], env=env)
    figures = json.loads(agreement.output)
    assert Path(figures["html"]).is_file() and Path(figures["html"]).parent == tmp_path
    (pair,) = figures["pairs"]
    assert pair["articles"] == 1
    assert pair["span_f1"]["ALL"] == pytest.approx(2 * 3 / (5 + 3))
    assert pair["span_f1"]["TECHNOLOGY"] == pytest.approx(1.0)
    assert pair["relation_f1"] == pytest.approx(2 * 1 / (2 + 1))
    table = runner.invoke(annotate_app, ["agreement", "--store", str(tmp_path / "store.sqlite")], env=env)
    assert table.exit_code == 0 and "0.750" in table.output


def test_repush_is_idempotent_and_a_new_model_version_adds_predictions(
    labelstudio: LabelStudioServer, tmp_path: Path
) -> None:
    store = store_with(tmp_path / "store.sqlite", articles())
    settings = settings_for(labelstudio, batch_size=2)
    client = LabelStudioClient(settings)
    setup_project(client, settings)
    first = push(store, client, settings, count=10)
    assert (first.created, first.predictions_added) == (3, 0)
    second = push(store, client, settings, count=10)
    assert (second.created, second.predictions_added, second.already_pushed) == (0, 0, 3)
    third = push(store, client, settings, count=10, model_version="survnews_base@0.2.0")
    assert (third.created, third.predictions_added) == (0, 3)
    assert push(store, client, settings, count=10, model_version="survnews_base@0.2.0").predictions_added == 0
    tasks = tasks_by_article(client, client.require_project(settings.project_title))
    assert len(tasks) == 3
    for task in tasks.values():
        assert sorted(p["model_version"] for p in task["predictions"]) == ["survnews_base@0.1.0", "survnews_base@0.2.0"]


def test_server_down_is_one_clear_line_and_nothing_is_written(labelstudio: LabelStudioServer, tmp_path: Path) -> None:
    db_path = tmp_path / "store.sqlite"
    store = store_with(db_path, articles())
    ensure_gold_schema(store)
    before = store.db.execute("SELECT COUNT(*) FROM gold_annotations").fetchone()[0]
    store.close()
    dead = f"http://127.0.0.1:{free_port()}"
    runner = CliRunner()
    for command in (
        ["setup"],
        ["push", "--store", str(db_path)],
        ["pull", "--store", str(db_path)],
        ["status", "--store", str(db_path)],
    ):
        result = runner.invoke(annotate_app, command, env=cli_env(labelstudio, url=dead))
        assert result.exit_code == 3, (command, result.output)
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: Label Studio at " + dead), result.output
        assert "cannot connect" in lines[0] and labelstudio.token not in result.output
    with Store(db_path) as store:
        assert store.db.execute("SELECT COUNT(*) FROM gold_annotations").fetchone()[0] == before
    wrong_key = runner.invoke(
        annotate_app, ["setup"], env={"LABEL_STUDIO_URL": labelstudio.url, "LABEL_STUDIO_API_KEY": "0" * 40}
    )
    assert wrong_key.exit_code == 3 and "API key was rejected" in wrong_key.output
    no_key = runner.invoke(
        annotate_app, ["setup"], env={"LABEL_STUDIO_URL": labelstudio.url, "LABEL_STUDIO_API_KEY": ""}
    )
    assert no_key.exit_code == 2 and "LABEL_STUDIO_API_KEY" in no_key.output


def test_server_restarted_during_a_push_then_the_next_push_completes_without_duplicates(
    labelstudio: LabelStudioServer, tmp_path: Path
) -> None:
    many = [
        make_article(
            f"r{i:02}",
            f"Story {i}: the agency bought spyware 📱 number {i}.",
            [("agency", "ACTOR", {"actor_type": "government"})],
        )
        for i in range(12)
    ]
    store = store_with(tmp_path / "store.sqlite", many)
    settings = settings_for(labelstudio, batch_size=3)
    client = LabelStudioClient(settings)
    setup_project(client, settings)

    def stop_after_first_batch(created: int) -> None:
        if created == 3:
            labelstudio.stop()

    try:
        with pytest.raises(ServiceError, match="import tasks: cannot connect"):
            push(store, client, settings, count=12, on_batch=stop_after_first_batch)
        with pytest.raises(ServiceError):  # while it is down, a pull fails and writes nothing
            pull(store, client, settings)
        ensure_gold_schema(store)
        assert store.db.execute("SELECT COUNT(*) FROM gold_annotations").fetchone()[0] == 0
    finally:
        labelstudio.start()
    report = push(store, LabelStudioClient(settings), settings, count=12)
    assert (report.already_pushed, report.created) == (3, 9)
    tasks = tasks_by_article(client, client.require_project(settings.project_title))  # asserts no duplicates
    assert sorted(tasks) == [a.id for a in many]
