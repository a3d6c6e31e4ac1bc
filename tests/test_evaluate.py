"""Scoring arithmetic, gold loading (Label Studio JSON / JSON_MIN, JSONL, IOB) and the evaluate command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import spacy
import typer
from spacy.pipeline import EntityRuler
from typer.testing import CliRunner

from pipeline.cli._evaluate import evaluate_cli
from pipeline.errors import RejectError
from pipeline.evaluate import (
    ALL,
    CharSpan,
    GoldDoc,
    evaluate_pipeline,
    load_any_gold,
    load_gold,
    load_ner_gold,
    score_ner_file,
    score_spans,
)

TEXT_A = "Police in Leeds bought facial recognition cameras from Acme Ltd."
TEXT_B = "The council of Bristol tested drones."


def spans(*items: tuple[int, int, str]) -> list[CharSpan]:
    return [CharSpan(*item) for item in items]


def test_exact_scores_per_label_and_micro_average() -> None:
    gold = [spans((0, 6, "ACTOR"), (10, 15, "LOCATION"), (23, 49, "TECHNOLOGY")), spans((15, 22, "LOCATION"))]
    predicted = [
        spans((0, 6, "ACTOR"), (10, 15, "LOCATION"), (30, 49, "TECHNOLOGY"), (55, 63, "ACTOR")),
        spans((4, 11, "ACTOR")),
    ]
    scores = score_spans(gold, predicted)
    actor, location, technology = (scores.exact[k] for k in ("ACTOR", "LOCATION", "TECHNOLOGY"))
    assert (actor.tp, actor.fp, actor.fn) == (1, 2, 0)
    assert actor.precision == pytest.approx(1 / 3) and actor.recall == 1.0 and actor.f1 == pytest.approx(0.5)
    assert (location.tp, location.fp, location.fn) == (1, 0, 1)
    assert location.f1 == pytest.approx(2 / 3)
    assert (technology.tp, technology.fp, technology.fn) == (0, 1, 1) and technology.f1 == 0.0
    total = scores.exact[ALL]
    assert (total.tp, total.fp, total.fn) == (2, 3, 2)
    assert total.precision == pytest.approx(0.4) and total.recall == pytest.approx(0.5)
    assert total.f1 == pytest.approx(2 * 0.4 * 0.5 / 0.9)
    # overlap: the shortened TECHNOLOGY span now counts
    assert scores.overlap["TECHNOLOGY"].tp == 1 and scores.overlap[ALL].tp == 3
    assert scores.docs == 2 and scores.labels == ["ACTOR", "LOCATION", "TECHNOLOGY"]


def test_overlap_matching_is_one_to_one() -> None:
    gold = [spans((0, 5, "LOC"), (6, 12, "LOC"))]
    one_long_prediction = [spans((0, 12, "LOC"))]
    scores = score_spans(gold, one_long_prediction)
    assert (scores.overlap["LOC"].tp, scores.overlap["LOC"].fp, scores.overlap["LOC"].fn) == (1, 0, 1)
    assert scores.exact["LOC"].tp == 0


def test_label_mismatch_is_an_error_on_both_sides_and_labels_filter() -> None:
    scores = score_spans([spans((0, 5, "PERSON"))], [spans((0, 5, "ORG"))], labels=["PERSON", "ORG", "LOC"])
    assert scores.exact["PERSON"].fn == 1 and scores.exact["ORG"].fp == 1
    assert scores.exact["LOC"].f1 == 0.0 and scores.exact["LOC"].tp + scores.exact["LOC"].fn == 0
    with pytest.raises(ValueError):
        score_spans([[]], [])


def write_label_studio_export(path: Path) -> None:
    emoji_text = "😀 Thanks Met Police for the ANPR cameras"
    tasks = [
        {
            "id": 1,
            "data": {"text": TEXT_A},
            "annotations": [
                {"id": 10, "was_cancelled": True, "result": []},
                {
                    "id": 11,
                    "was_cancelled": False,
                    "updated_at": "2025-01-02T00:00:00Z",
                    "result": [
                        {
                            "id": "a",
                            "from_name": "label",
                            "to_name": "text",
                            "type": "labels",
                            "value": {"start": 0, "end": 6, "text": "Police", "labels": ["ACTOR"]},
                        },
                        {
                            "id": "b",
                            "from_name": "label",
                            "to_name": "text",
                            "type": "labels",
                            "value": {"start": 10, "end": 15, "text": "Leeds", "labels": ["LOCATION"]},
                        },
                        {
                            "id": "c",
                            "from_name": "label",
                            "to_name": "text",
                            "type": "labels",
                            "value": {
                                "start": 23,
                                "end": 49,
                                "text": "facial recognition cameras",
                                "labels": ["TECHNOLOGY"],
                            },
                        },
                        {"from_id": "a", "to_id": "b", "type": "relation", "direction": "right"},
                    ],
                },
            ],
        },
        {"id": 2, "data": {"text": TEXT_B}, "annotations": []},  # not annotated: left out
        # Label Studio counts UTF-16 units: the emoji shifts every offset by one.
        {
            "id": 3,
            "data": {"text": emoji_text},
            "annotations": [
                {
                    "id": 12,
                    "result": [
                        {
                            "type": "labels",
                            "value": {"start": 10, "end": 20, "text": "Met Police", "labels": ["ACTOR"]},
                        },
                    ],
                }
            ],
        },
    ]
    path.write_text(json.dumps(tasks), encoding="utf-8")


def test_load_label_studio_json_export(tmp_path: Path) -> None:
    export = tmp_path / "export.json"
    write_label_studio_export(export)
    docs = load_gold(export)
    assert [d.id for d in docs] == ["1", "3"]
    assert docs[0].spans == spans((0, 6, "ACTOR"), (10, 15, "LOCATION"), (23, 49, "TECHNOLOGY"))
    met = docs[1].spans[0]
    assert docs[1].text[met.start : met.end] == "Met Police" and met.label == "ACTOR"


def test_load_json_min_and_jsonl(tmp_path: Path) -> None:
    json_min = tmp_path / "min.json"
    json_min.write_text(
        json.dumps(
            [
                {
                    "id": 7,
                    "text": TEXT_B,
                    "annotator": 1,
                    "label": [
                        {"start": 15, "end": 22, "text": "Bristol", "labels": ["LOCATION"]},
                        {"start": 30, "end": 36, "text": "drones", "labels": ["TECHNOLOGY"]},
                    ],
                }
            ]
        ),
        encoding="utf-8",
    )
    assert load_gold(json_min)[0].spans == spans((15, 22, "LOCATION"), (30, 36, "TECHNOLOGY"))
    jsonl = tmp_path / "gold.jsonl"
    jsonl.write_text(
        json.dumps({"text": TEXT_B, "entities": [{"start": 4, "end": 11, "label": "ACTOR"}]}) + "\n\n", encoding="utf-8"
    )
    assert load_any_gold(jsonl) == [GoldDoc(TEXT_B, spans((4, 11, "ACTOR")))]


@pytest.mark.parametrize(
    "content, reason",
    [
        ("", "empty"),
        ("[{]", "not valid JSON"),
        ('{"text": "abc", "entities": [{"start": 0, "end": 9, "label": "ACTOR"}]}', "outside the text"),
        ('{"entities": []}', "no text"),
        ('[{"id": 1, "data": {}, "annotations": [{"result": []}]}]', "no data.text"),
    ],
)
def test_bad_gold_is_a_one_line_reject(tmp_path: Path, content: str, reason: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(RejectError) as info:
        load_gold(path)
    assert reason in str(info.value) and "\n" not in str(info.value)


def test_evaluate_pipeline_with_a_plain_predictor() -> None:
    gold = [GoldDoc(TEXT_A, spans((10, 15, "LOCATION"))), GoldDoc(TEXT_B, spans((15, 22, "LOCATION")))]

    def capitalised_after_in(texts: list[str]) -> list[list[CharSpan]]:
        return [[CharSpan(10, 15, "LOCATION")] if " in " in t else [] for t in texts]

    scores = evaluate_pipeline(capitalised_after_in, gold, mode="entities")
    assert scores.exact["LOCATION"].precision == 1.0 and scores.exact["LOCATION"].recall == 0.5


def ruler_pipeline(path: Path) -> Path:
    """A real spaCy pipeline on disk that knows two names (one with an OntoNotes label, mapped to LOC)."""
    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("entity_ruler")
    assert isinstance(ruler, EntityRuler)
    ruler.add_patterns([{"label": "PERSON", "pattern": "Ada Lovelace"}, {"label": "GPE", "pattern": "Leeds"}])
    nlp.to_disk(path)
    return path


def test_score_ner_file_on_iob2_with_a_real_pipeline(tmp_path: Path) -> None:
    iob = tmp_path / "gold.iob2"
    iob.write_text(
        "# sent_id = d1-1\n# text = Ada Lovelace lived in Leeds.\n"
        "1\tAda\tB-PER\n2\tLovelace\tI-PER\n3\tlived\tO\n4\tin\tO\n5\tLeeds\tB-LOC\n6\t.\tO\n\n"
        "# sent_id = d2-1\n# text = Grace worked at Acme.\n"
        "1\tGrace\tB-PER\n2\tworked\tO\n3\tat\tO\n4\tAcme\tB-ORG\n5\t.\tO\n",
        encoding="utf-8",
    )
    gold = load_ner_gold(iob)
    assert gold[0].text == "Ada Lovelace lived in Leeds."
    scores = score_ner_file(spacy.load(ruler_pipeline(tmp_path / "ruler")), iob)
    assert scores.exact["PERSON"].tp == 1 and scores.exact["PERSON"].fn == 1
    assert scores.exact["LOC"].f1 == 1.0
    assert scores.exact["ORG"].fn == 1 and scores.exact["ORG"].recall == 0.0


def test_evaluate_cli_table_and_json(tmp_path: Path) -> None:
    model = ruler_pipeline(tmp_path / "ruler")
    gold = tmp_path / "gold.jsonl"
    text = "Ada Lovelace met Charles Babbage in Leeds."
    gold.write_text(
        json.dumps(
            {
                "text": text,
                "entities": [
                    {"start": 0, "end": 12, "label": "PERSON"},
                    {"start": 17, "end": 32, "label": "PERSON"},
                    {"start": 36, "end": 41, "label": "LOC"},
                ],
            }
        )
        + "\n",
        encoding="utf-8",
    )
    app = typer.Typer()
    app.command()(evaluate_cli)
    runner = CliRunner()
    result = runner.invoke(app, [str(gold), "--model", str(model), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["exact"]["PERSON"]["recall"] == 0.5 and data["exact"]["LOC"]["f1"] == 1.0
    assert data["exact"]["ALL"]["precision"] == 1.0
    table = runner.invoke(app, [str(gold), "--model", str(model)])
    assert table.exit_code == 0 and "PERSON" in table.stdout and "0.667" in table.stdout
    bad = runner.invoke(app, [str(tmp_path / "missing.jsonl"), "--model", str(model)])
    assert bad.exit_code != 0 and "cannot read gold file" in bad.output
