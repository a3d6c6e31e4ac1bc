"""Learning from gold: the held-out split, gold → NER labels, and a short real fine-tuning run (`train domain`)
on a tiny base pipeline built from the project's own training config."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import spacy
import typer
from spacy.tokens import DocBin
from spacy.training import Example
from typer.testing import CliRunner

from pipeline.annotate.domain import export_gold, gold_ner_docs, split_gold, train_domain
from pipeline.annotate.gold import GoldRow, iter_gold, parse_result, replace_project_gold, text_sha256
from pipeline.cli._annotate import annotate_app, train_domain_cli
from pipeline.errors import ConfigError
from pipeline.store import Store
from pipeline.train import BASE_CONFIG
from tests.labelstudio_server import make_article, store_with

pytestmark = pytest.mark.slow

PEOPLE = ["Maria Lopez", "John Smith", "Aiko Tanaka", "Omar Haddad", "Lena Fischer", "Pavel Novak"]
AGENCIES = ["Interior Ministry", "Federal Police", "Acme Vision", "Signal Watch", "City Council", "Data Shield"]
PLACES = ["Mexico", "Berlin", "Tokyo", "Nairobi", "Lima", "Oslo"]


def story(i: int) -> tuple[str, list[tuple[str, str, dict[str, str]]]]:
    person, agency, place = PEOPLE[i % 6], AGENCIES[(i + 1) % 6], PLACES[(i + 2) % 6]
    text = f"{person} said the {agency} in {place} bought facial recognition cameras in {2000 + i}."
    return text, [
        (person, "ACTOR", {"actor_type": "person"}),
        (agency, "ACTOR", {"actor_type": "government"}),
        (place, "LOCATION", {"country": "MX"}),
        ("facial recognition cameras", "TECHNOLOGY", {}),
    ]


def gold_store(path: Path, n: int = 12) -> Store:
    stories = [story(i) for i in range(n)]
    store = store_with(path, [make_article(f"g{i:02}", text, spans) for i, (text, spans) in enumerate(stories)])
    rows = []
    for i, (text, spans) in enumerate(stories):
        result: list[dict[str, Any]] = []
        for n_span, (surface, label, attributes) in enumerate(spans):
            start = text.index(surface)
            region = {"start": start, "end": start + len(surface), "text": surface}
            result.append(
                {
                    "id": f"r{n_span}",
                    "from_name": "label",
                    "to_name": "text",
                    "type": "labels",
                    "value": {**region, "labels": [label]},
                }
            )
            control = {"actor_type": "actor_type", "country": "country"}
            for key, value in attributes.items():
                result.append(
                    {
                        "id": f"r{n_span}",
                        "from_name": control[key],
                        "to_name": "text",
                        "type": "choices",
                        "value": {**region, "choices": [value]},
                    }
                )
        rows.append(
            GoldRow(
                project_id=1,
                annotation_id=i,
                task_id=100 + i,
                article_id=f"g{i:02}",
                annotator="ann@x",
                created_at="2024-01-01",
                updated_at="2024-01-01",
                lead_time=None,
                cancelled=False,
                ground_truth=False,
                text_sha256=text_sha256(text),
                result=result,
                parsed=parse_result(result, text),
            )
        )
    replace_project_gold(store, 1, rows)
    return store


def tiny_base(root: Path) -> tuple[Path, Path]:
    """A small PERSON/ORG/LOC pipeline with the base architecture, and a DocBin of 'base' data to rehearse."""
    nlp = spacy.util.load_model_from_config(spacy.util.load_config(BASE_CONFIG), auto_fill=True, validate=True)
    base_texts = [(f"{p} visited {c} with the {o}.", p, o, c) for p, o, c in zip(PEOPLE, AGENCIES, PLACES, strict=True)]
    examples = []
    for text, person, org, place in base_texts:
        entities = [
            (text.index(x), text.index(x) + len(x), label)
            for x, label in ((person, "PERSON"), (org, "ORG"), (place, "LOC"))
        ]
        examples.append(Example.from_dict(nlp.make_doc(text), {"entities": entities}))
    nlp.initialize(lambda: examples)
    for _ in range(3):
        nlp.update(examples)
    nlp.meta.update({"name": "tiny_base", "version": "0.0.1"})
    nlp.to_disk(root / "base")
    DocBin(docs=[e.reference for e in examples]).to_disk(root / "base.spacy")
    return root / "base", root / "base.spacy"


def test_split_is_stable_and_gold_maps_to_ner_labels(tmp_path: Path) -> None:
    store = gold_store(tmp_path / "s.sqlite")
    records = list(iter_gold(store))
    train, held_out = split_gold(records, 0.3)
    assert len(train) + len(held_out) == 12 and held_out and train
    again_train, _ = split_gold(records[:5], 0.3)  # fewer records never move one across
    assert {r["id"] for r in again_train} <= {r["id"] for r in train}
    docs, skipped = gold_ner_docs(spacy.blank("en"), records[:1])
    assert skipped == 0
    assert [(e.text, e.label_) for e in docs[0].ents] == [
        ("Maria Lopez", "PERSON"),
        ("Federal Police", "ORG"),
        ("Tokyo", "LOC"),
    ]
    with pytest.raises(ConfigError):
        split_gold(records, 1.0)
    assert export_gold(store, tmp_path / "test.jsonl", split="test", test_fraction=0.3) == len(held_out)
    lines = [json.loads(line) for line in (tmp_path / "test.jsonl").read_text(encoding="utf-8").splitlines()]
    assert {line["id"] for line in lines} == {r["id"] for r in held_out}
    result = CliRunner().invoke(
        annotate_app, ["export-gold", "--out", str(tmp_path / "all.jsonl"), "--store", str(tmp_path / "s.sqlite")]
    )
    assert result.exit_code == 0 and "wrote 12 gold article(s)" in result.output


def test_train_domain_fine_tunes_on_training_gold_and_scores_held_out(tmp_path: Path) -> None:
    store = gold_store(tmp_path / "s.sqlite")
    base, base_data = tiny_base(tmp_path)
    result = train_domain(
        store,
        base=str(base),
        output=tmp_path / "domain",
        base_data=base_data,
        test_fraction=0.3,
        rehearsal=1.0,
        max_steps=8,
        work_dir=tmp_path / "work",
    )
    assert result.gold_train + result.gold_held_out == 12 and result.gold_held_out > 0
    assert result.rehearsal_docs == min(6, result.gold_train)
    meta = json.loads((tmp_path / "domain" / "meta.json").read_text(encoding="utf-8"))
    assert meta["name"] == "survnews_domain" and meta["version"] == f"0.0.1+gold{result.gold_train}"
    trained_texts = {
        d.text for d in DocBin().from_disk(tmp_path / "work" / "train.spacy").get_docs(spacy.blank("en").vocab)
    }
    _, held_out = split_gold(iter_gold(store), 0.3)
    assert not trained_texts & {r["text"] for r in held_out}  # held-out gold never trains
    for scores in (result.before, result.after):
        assert scores["docs"] == result.gold_held_out
        assert {"ACTOR", "LOCATION", "TECHNOLOGY", "ALL"} <= set(scores["exact"])
    assert result.after["exact"]["TECHNOLOGY"]["f1"] == pytest.approx(1.0)  # the taxonomy rules, untouched

    app = typer.Typer()
    app.command()(train_domain_cli)
    shown = CliRunner().invoke(
        app,
        [
            "--base",
            str(base),
            "--output",
            str(tmp_path / "domain2"),
            "--base-data",
            str(base_data),
            "--rehearsal",
            "1",
            "--max-steps",
            "4",
            "--test-fraction",
            "0.3",
            "--store",
            str(tmp_path / "s.sqlite"),
            "--work-dir",
            str(tmp_path / "work2"),
        ],
    )
    assert shown.exit_code == 0, shown.output
    assert "F1 before" in shown.output and "ALL" in shown.output
    Store(tmp_path / "empty.sqlite").close()  # a store without gold (a mistyped --store is another error)
    empty = CliRunner().invoke(
        app, ["--base", str(base), "--store", str(tmp_path / "empty.sqlite"), "--work-dir", str(tmp_path / "work3")]
    )
    assert empty.exit_code == 2 and "no gold to train on" in empty.output
