"""Label Studio round trip, the parts that need no server: offsets, checking and resolving gold, agreement,
selection, predictions and settings."""

from __future__ import annotations

import json
import runpy
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.annotate.agreement import cohen_kappa, fleiss_kappa, pairwise_agreement
from pipeline.annotate.config import LabelStudioSettings, annotate_settings
from pipeline.annotate.gold import (
    POLICIES,
    GoldRow,
    StoredAnnotation,
    compare,
    compared_articles,
    iter_gold,
    parse_result,
    replace_project_gold,
    resolve,
    text_sha256,
)
from pipeline.annotate.labelconfig import country_options, load_label_config
from pipeline.annotate.offsets import OffsetMap
from pipeline.annotate.push import Candidate, prediction_result, select
from pipeline.errors import ConfigError
from pipeline.paths import SCHEMAS_DIR
from pipeline.records import Entity
from tests.labelstudio_server import make_article, store_with

PROJECT_ROOT = Path(__file__).resolve().parents[1]
EMOJI_TEXT = "Police 📷 bought Pegasus 🕵️ from NSO in 𝔉rance and Mexico."


def utf16(text: str, offset: int) -> int:
    """What the browser counts: UTF-16 code units before ``offset``."""
    return len(text[:offset].encode("utf-16-le")) // 2


def span(text: str, surface: str, label: str, region: str, unit: str = "codepoint") -> dict[str, object]:
    """A region as Label Studio 1.23's editor saves it: code-point offsets (or UTF-16 for older frontends)."""
    start, end = text.index(surface), text.index(surface) + len(surface)
    if unit == "utf16":
        start, end = utf16(text, start), utf16(text, end)
    return {
        "id": region,
        "from_name": "label",
        "to_name": "text",
        "type": "labels",
        "value": {"start": start, "end": end, "text": surface, "labels": [label]},
    }


def choice(name: str, value: str, region: str | None = None) -> dict[str, object]:
    item: dict[str, object] = {"from_name": name, "to_name": "text", "type": "choices", "value": {"choices": [value]}}
    if region:
        item["id"] = region
    return item


# offsets -----------------------------------------------------------------------------------------------
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40))
def test_offsets_match_the_browser_count_and_invert(text: str) -> None:
    offsets = OffsetMap(text)
    for i in range(len(text) + 1):
        assert offsets.to_utf16(i) == utf16(text, i)
        assert offsets.to_codepoint(utf16(text, i)) == i


def test_offset_inside_a_surrogate_pair_is_refused() -> None:
    offsets = OffsetMap("a😀b")
    assert offsets.to_utf16(2) == 3
    with pytest.raises(ValueError, match="surrogate"):
        offsets.to_codepoint(2)
    with pytest.raises(ValueError):
        offsets.to_codepoint(5)


def test_server_unit_is_code_points_by_default_and_utf16_on_request() -> None:
    text = "a😀b"
    assert OffsetMap(text, "codepoint").to_server(2) == 2 and OffsetMap(text, "codepoint").from_server(3) == 3
    assert OffsetMap(text, "utf16").to_server(2) == 3 and OffsetMap(text, "utf16").from_server(3) == 2
    with pytest.raises(ValueError):
        OffsetMap(text, "codepoint").from_server(4)


# checking annotations -------------------------------------------------------------------------------------
def test_parse_converts_astral_offsets_and_reads_attributes_relations_and_choices() -> None:
    text = EMOJI_TEXT
    result = [
        span(text, "Police", "ACTOR", "a"),
        choice("actor_type", "law_enforcement", "a"),
        span(text, "Pegasus", "TECHNOLOGY", "t"),
        choice("technology_category", "spyware", "t"),
        span(text, "𝔉rance", "LOCATION", "l"),
        choice("country", "FR", "l"),
        span(text, "Mexico", "LOCATION", "m"),
        {"from_id": "a", "to_id": "t", "type": "relation", "direction": "right", "labels": ["uses"]},
        {"from_id": "m", "to_id": "a", "type": "relation", "direction": "left", "labels": ["targets"]},
        choice("relevant", "yes"),
        choice("category", "spyware"),
        {"from_name": "notes", "to_name": "text", "type": "textarea", "value": {"text": ["check spelling"]}},
    ]
    parsed = parse_result(result, text)
    assert parsed.problems == []
    got = {(e.text, e.label, e.actor_type, e.category, e.country) for e in parsed.entities}
    assert got == {
        ("Police", "ACTOR", "law_enforcement", None, None),
        ("Pegasus", "TECHNOLOGY", None, "spyware", None),
        ("𝔉rance", "LOCATION", None, None, "FR"),
        ("Mexico", "LOCATION", None, None, None),
    }
    for entity in parsed.entities:
        assert text[entity.start : entity.end] == entity.text
        assert entity.source == "gold"
    police, pegasus, mexico = text.index("Police"), text.index("Pegasus"), text.index("Mexico")
    assert {"label": "uses", "from": [police, police + 6], "to": [pegasus, pegasus + 7]} in parsed.relations
    assert {"label": "targets", "from": [police, police + 6], "to": [mexico, mexico + 6]} in parsed.relations
    assert parsed.doc == {"relevant": True, "category": "spyware", "notes": "check spelling"}


def test_utf16_frontends_are_converted_and_a_unit_mismatch_is_caught() -> None:
    result = [span(EMOJI_TEXT, "Mexico", "LOCATION", "m", unit="utf16")]
    (mexico,) = parse_result(result, EMOJI_TEXT, "utf16").entities
    assert EMOJI_TEXT[mexico.start : mexico.end] == "Mexico"
    wrong_unit = parse_result(result, EMOJI_TEXT, "codepoint")  # past the end here, shifted text elsewhere
    assert wrong_unit.entities == [] and len(wrong_unit.problems) == 1
    shifted = parse_result([span(EMOJI_TEXT, "Pegasus", "TECHNOLOGY", "p", unit="utf16")], EMOJI_TEXT)
    assert shifted.entities == [] and "does not match the stored text" in shifted.problems[0]


def test_span_that_no_longer_matches_is_reported_not_merged() -> None:
    old = "The ministry bought Pegasus."
    new = "The new ministry bought Pegasus."  # the stored text changed after the task was made
    result = [
        span(old, "ministry", "ACTOR", "a"),
        span(old, "Pegasus", "TECHNOLOGY", "t"),
        {"from_id": "a", "to_id": "t", "type": "relation", "direction": "right", "labels": ["uses"]},
    ]
    parsed = parse_result(result, new)
    assert parsed.entities == []
    assert len(parsed.problems) == 3  # two spans, and the relation between them
    assert "does not match the stored text" in parsed.problems[0]


def test_bad_labels_relations_and_misplaced_attributes_are_reported() -> None:
    text = "Acme sold cameras to Ruritania."
    result = [
        span(text, "Acme", "ORG", "x"),
        span(text, "cameras", "TECHNOLOGY", "t"),
        choice("country", "FR", "t"),
        span(text, "Ruritania", "LOCATION", "l"),
        {"from_id": "l", "to_id": "t", "type": "relation", "direction": "right", "labels": ["uses"]},
        {"from_id": "t", "to_id": "l", "type": "relation", "direction": "right", "labels": []},
    ]
    parsed = parse_result(result, text)
    assert [e.text for e in parsed.entities] == ["cameras", "Ruritania"]
    assert parsed.entities[0].country is None
    assert parsed.relations == []
    assert len(parsed.problems) == 4
    assert any("not one of ACTOR" in p for p in parsed.problems)


# resolving ---------------------------------------------------------------------------------------------------
def annotation(
    annotator: str,
    updated: str,
    spans: list[tuple[int, int, str]],
    doc: dict[str, object] | None = None,
    *,
    ground_truth: bool = False,
    country: str | None = None,
) -> StoredAnnotation:
    entities = [
        Entity(
            start=s,
            end=e,
            text="x" * (e - s),
            label=label,
            source="gold",  # type: ignore[arg-type]
            country=country if label == "LOCATION" else None,
        )
        for s, e, label in spans
    ]
    return StoredAnnotation(
        annotation_id=hash((annotator, updated)) % 10_000,
        task_id=1,
        article_id="a",
        annotator=annotator,
        updated_at=updated,
        ground_truth=ground_truth,
        text_sha256="h",
        entities=entities,
        relations=[],
        doc=doc or {},
    )


def test_disagreement_is_disputed_never_latest_wins() -> None:
    first = annotation("ann", "2024-01-01", [(0, 4, "ACTOR"), (10, 15, "LOCATION")], {"relevant": True}, country="FR")
    second = annotation("bob", "2024-01-02", [(0, 4, "ACTOR"), (20, 25, "TECHNOLOGY")], {"relevant": False})
    for policy in POLICIES:  # a 1-1 split is a tie under either policy
        result = compare([first, second], policy)
        assert result.state == "disputed" and not result.accepted
    disputes = compare([first, second]).disputes
    assert "span 'xxxxx' (LOCATION): marked by ann; not by bob" in disputes
    assert "span 'xxxxx' (TECHNOLOGY): marked by bob; not by ann" in disputes
    assert "relevant: no (bob) vs yes (ann)" in disputes
    assert len(disputes) == 3  # the shared ACTOR span is agreed
    same = annotation("cyd", "2024-01-03", [(0, 4, "ACTOR"), (10, 15, "LOCATION")], {"relevant": True}, country="FR")
    agreed = compare([first, same])
    assert (agreed.state, agreed.disputes) == ("agreed", [])
    assert [(e.start, e.end, e.label, e.country) for e in agreed.entities] == [
        (0, 4, "ACTOR", None),
        (10, 15, "LOCATION", "FR"),
    ]


def test_majority_policy_keeps_what_most_chose_and_disputes_attribute_ties() -> None:
    ann = annotation("ann", "2024-01-01", [(0, 4, "ACTOR"), (10, 15, "LOCATION")], {"relevant": True}, country="FR")
    bob = annotation("bob", "2024-01-02", [(0, 4, "ACTOR"), (10, 15, "LOCATION")], {"relevant": True}, country="FR")
    cyd = annotation("cyd", "2024-01-03", [(10, 15, "LOCATION")], {"relevant": False}, country="DE")
    assert compare([ann, bob, cyd]).state == "disputed"  # unanimous: cyd differs
    result = compare([ann, bob, cyd], "majority")
    assert (result.state, result.disputes) == ("majority", [])
    assert [(e.start, e.end, e.label, e.country) for e in result.entities] == [
        (0, 4, "ACTOR", None),
        (10, 15, "LOCATION", "FR"),
    ]
    assert result.doc == {"relevant": True}
    # the latest annotator does not decide: cyd is the most recent, and loses
    two = compare([ann, cyd], "majority")
    assert two.state == "disputed" and any(d.startswith("country of") for d in two.disputes)


def test_resolution_prefers_ground_truth_and_passes_a_single_annotation_through() -> None:
    truth = annotation("lead", "2024-01-01", [(5, 9, "ACTOR")], ground_truth=True)
    others = [annotation("ann", "2024-01-02", [(0, 4, "ACTOR")]), annotation("bob", "2024-01-03", [(0, 4, "ACTOR")])]
    entities, _, _, rule = resolve([truth, *others])
    assert rule == "reviewed"
    assert [(e.start, e.end) for e in entities] == [(5, 9)]
    assert resolve(others[:1])[3] == "single"


# storing, iter_gold and agreement ----------------------------------------------------------------------------
def test_gold_is_stored_resolved_and_compared(tmp_path: Path) -> None:
    text = "The agency bought Pegasus to watch journalists in Ruritania."
    store = store_with(tmp_path / "s.sqlite", [make_article("a1", text), make_article("a2", "Another one. " * 3)])
    agency, pegasus = span(text, "agency", "ACTOR", "a"), span(text, "Pegasus", "TECHNOLOGY", "t")
    journalists = span(text, "journalists", "ACTOR", "j")
    results = {
        1: ("ann@x", "2024-01-01T00:00:00Z", [agency, pegasus, choice("relevant", "yes")]),
        2: ("bob@x", "2024-01-02T00:00:00Z", [agency, journalists, choice("relevant", "yes")]),
        3: ("bob@x", "2024-01-03T00:00:00Z", [span(text, "agency", "ACTOR", "z")]),  # on the other article: bad
    }
    rows = [
        GoldRow(
            project_id=7,
            annotation_id=aid,
            task_id=10 + aid,
            article_id="a1" if aid < 3 else "a2",
            annotator=who,
            created_at=at,
            updated_at=at,
            lead_time=3.0,
            cancelled=False,
            ground_truth=False,
            text_sha256=text_sha256(text if aid < 3 else "Another one. " * 3),
            result=result,
            parsed=parse_result(result, text if aid < 3 else "Another one. " * 3),
        )
        for aid, (who, at, result) in results.items()
    ]
    counts = replace_project_gold(store, 7, rows)
    assert counts == {"new": 3, "updated": 0, "unchanged": 0, "removed": 0}
    assert [r["item"] for r in store.rejects()] == ["labelstudio:7:3"]
    assert replace_project_gold(store, 7, rows[:2])["removed"] == 1  # deleted on the server → deleted here
    assert store.rejects() == []

    # ann marked Pegasus, bob journalists: the article is disputed and gives no gold until reviewed
    assert list(iter_gold(store)) == []
    assert [(i, c.state) for i, c in compared_articles(store)] == [("a1", "disputed")]

    (pair,) = pairwise_agreement(store)
    assert (pair.first, pair.second, pair.articles) == ("ann@x", "bob@x", 1)
    assert pair.spans["ALL"].f1 == pytest.approx(0.5)  # 1 common of 2 + 2
    assert pair.spans["ACTOR"].f1 == pytest.approx(2 / 3)
    assert pair.spans["LOCATION"].f1 is None
    assert pair.kappa["relevant"] is None  # both said yes: chance agreement is 1, kappa undefined

    # the article text changes: its old gold no longer counts
    store.upsert_article(make_article("a1", text.replace("agency", "ministry")), raw_sha256="0" * 64, text_hash="b")
    assert list(iter_gold(store)) == []


def test_cli_and_push_agree_on_strategies() -> None:
    from pipeline.annotate import push
    from pipeline.cli import _annotate as cli

    assert cli.STRATEGIES == push.STRATEGIES


def test_cohen_kappa_known_values() -> None:
    assert cohen_kappa([1, 1, 0, 0], [1, 0, 0, 0]) == pytest.approx(0.5)
    assert cohen_kappa(["a", "b", "c"], ["a", "b", "c"]) == pytest.approx(1.0)
    assert cohen_kappa([1, 0], [0, 1]) == pytest.approx(-1.0)
    assert cohen_kappa([], []) is None


def test_fleiss_kappa_known_values() -> None:
    # Fleiss (1971)-style hand computation: 3 items, 3 raters, 2 categories
    # P_i = 1, (4+1-3)/6 = 1/3, 1 → P̄ = 7/9; p_yes = 5/9, p_no = 4/9 → P_e = 41/81; kappa = (63-41)/(81-41)
    items = [["y", "y", "y"], ["y", "y", "n"], ["n", "n", "n"]]
    assert fleiss_kappa(items) == pytest.approx((63 - 41) / (81 - 41))
    assert fleiss_kappa([["y", "y", "n"], ["y", "y", "y"], ["n", "n", "y"]]) == pytest.approx(0.0)
    assert fleiss_kappa([["a", "a"], ["b", "b"]]) == pytest.approx(1.0)
    assert fleiss_kappa([["a"]]) is None and fleiss_kappa([["a", "a"]]) is None
    # two raters: Fleiss' kappa is Scott's pi, close to but not Cohen's kappa
    assert fleiss_kappa([[1, 1], [1, 0], [0, 0], [0, 0]]) == pytest.approx(0.4667, abs=1e-4)


# selection and predictions -----------------------------------------------------------------------------------
def test_selection_strategies() -> None:
    candidates = [
        Candidate(
            f"id{i:02}",
            relevance=i / 20,
            country="FR" if i < 15 else "MX",
            category="spyware" if i % 2 else "biometrics",
        )
        for i in range(20)
    ]
    assert select(candidates, 3, "uncertain", threshold=0.3) == ["id06", "id05", "id07"]
    random_pick = select(candidates, 5, "random", seed=1)
    assert len(set(random_pick)) == 5 and random_pick == select(candidates, 5, "random", seed=1)
    stratified = select(candidates, 4, "stratified")
    strata = {(c.country, c.category) for c in candidates if c.id in stratified}
    assert len(strata) == 4  # one from each of the four (country, category) strata
    assert len(select(candidates, 100, "stratified")) == 20
    with pytest.raises(ConfigError):
        select(candidates, 1, "best")  # type: ignore[arg-type]


def test_uncertain_picks_by_tagger_uncertainty_and_diverse_covers_countries_and_categories() -> None:
    candidates = [
        Candidate("a", 0.9, "FR", "spyware", uncertainty=0.1, countries=frozenset({"FR"}), categories=frozenset()),
        Candidate("b", 0.9, "FR", "spyware", uncertainty=0.9, countries=frozenset({"FR"}), categories=frozenset()),
        Candidate(
            "c",
            0.5,
            "MX",
            "spyware",
            uncertainty=0.4,
            countries=frozenset({"MX", "US"}),
            categories=frozenset({"spyware"}),
        ),
        Candidate(
            "d",
            0.9,
            "DE",
            "biometrics",
            uncertainty=0.2,
            countries=frozenset({"DE"}),
            categories=frozenset({"biometrics", "spyware"}),
        ),
    ]
    # relevance would pick c first (nearest the threshold); the tagger's uncertainty picks b
    assert select(candidates, 2, "uncertain", threshold=0.5) == ["b", "c"]
    # c adds MX, US, spyware (3 new); then d adds DE, biometrics (2); then b (FR; more uncertain than a)
    assert select(candidates, 3, "diverse") == ["c", "d", "b"]


def test_prediction_offsets_and_unknown_values_are_left_out() -> None:
    config = load_label_config(SCHEMAS_DIR / "labelstudio.xml")
    article = make_article(
        "p1",
        EMOJI_TEXT,
        [
            ("Police", "ACTOR", {"actor_type": "law_enforcement"}),
            ("Pegasus", "TECHNOLOGY", {"category": "spyware"}),
            ("NSO", "ACTOR", {"actor_type": "not-a-type"}),
            ("𝔉rance", "LOCATION", {"country": "FR"}),
        ],
    )
    result, left_out = prediction_result(article, config)
    assert left_out == 1  # the unknown actor type
    spans = [r for r in result if r.get("from_name") == "label"]
    assert len(spans) == 4
    attributes = {
        r["value"]["text"]: (r["from_name"], r["type"])
        for r in result
        if "text" in r.get("value", {}) and r["from_name"] != "label"
    }
    # actor type and category are second labels on the region (shown in the region list), country a choice
    assert attributes["Police"] == ("actor_type", "labels") and attributes["Pegasus"] == (
        "technology_category",
        "labels",
    )
    for item in spans:
        value = item["value"]
        assert EMOJI_TEXT[value["start"] : value["end"]] == value["text"]
    france = next(r for r in result if r["from_name"] == "country")
    assert france["value"]["choices"] == ["FR"] and france["value"]["start"] == EMOJI_TEXT.index("𝔉")

    utf16_result, _ = prediction_result(article, config, "utf16")
    browser_text = EMOJI_TEXT.encode("utf-16-le")
    for item in (r for r in utf16_result if r.get("from_name") == "label"):
        value = item["value"]
        assert browser_text[2 * value["start"] : 2 * value["end"]].decode("utf-16-le") == value["text"]
        shift = sum(ord(c) > 0xFFFF for c in EMOJI_TEXT[: EMOJI_TEXT.index(value["text"])])
        assert value["start"] == EMOJI_TEXT.index(value["text"]) + shift
    docs = {r["from_name"]: r["value"]["choices"] for r in result if "value" in r and "start" not in r["value"]}
    assert docs == {"relevant": ["yes"], "category": ["spyware"]}


# settings and config -----------------------------------------------------------------------------------------
def test_environment_wins_and_the_key_never_shows(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LABEL_STUDIO_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", "s3cret-token-value")
    settings = annotate_settings({"url": "http://elsewhere:8080", "batch_size": 5})
    assert settings.url == "http://127.0.0.1:9" and settings.batch_size == 5
    assert settings.token() == "s3cret-token-value"
    assert "s3cret" not in repr(settings) and "s3cret" not in json.dumps(settings.model_dump(mode="json"))
    with pytest.raises(ConfigError, match="batch_size"):
        annotate_settings({"batch_size": 0})
    monkeypatch.delenv("LABEL_STUDIO_API_KEY")
    with pytest.raises(ConfigError, match="LABEL_STUDIO_API_KEY"):
        LabelStudioSettings().with_env().token()


def test_labeling_config_offers_what_the_tagger_produces() -> None:
    config = load_label_config(SCHEMAS_DIR / "labelstudio.xml")
    assert {"ACTOR", "TECHNOLOGY", "LOCATION"} <= config.choices["label"]
    assert {"yes", "no"} == config.choices["relevant"]
    assert config.choices["country"] == frozenset() and config.allows("country", "FR")  # options come per task
    options = country_options(["MX", "FR", "XX"])
    assert [o["alias"] for o in options[:3]] == ["MX", "FR", "AF"] and len(options) == 249
    assert options[0]["value"] == "Mexico (in this article)" and config.kind("actor_type") == "labels"
    from pipeline.components.actors import ACTOR_TYPES

    taxonomy = json.loads((SCHEMAS_DIR / "technology_taxonomy.json").read_text(encoding="utf-8"))["categories"]
    assert set(taxonomy) == config.choices["technology_category"] == config.choices["category"]
    assert set(ACTOR_TYPES) == config.choices["actor_type"]
    generator = runpy.run_path(str(PROJECT_ROOT / "scripts" / "make_label_studio_config.py"))
    assert generator["render"]() == (SCHEMAS_DIR / "labelstudio.xml").read_text(encoding="utf-8"), (
        "schemas/labelstudio.xml is out of date: run scripts/make_label_studio_config.py"
    )


def test_bad_labeling_config_is_a_config_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.xml"
    bad.write_text('<View><Text name="text" value="$text"/></View>', encoding="utf-8")
    with pytest.raises(ConfigError, match="lacks control"):
        load_label_config(bad)
    with pytest.raises(ConfigError, match="cannot read"):
        load_label_config(tmp_path / "missing.xml")


# confidence and relations in predictions -------------------------------------------------------------------
def test_predictions_carry_span_scores_sources_and_events_as_relations() -> None:
    from pipeline.annotate.confidence import SOURCE_PRIORS, Scorer
    from pipeline.records import Event

    config = load_label_config(SCHEMAS_DIR / "labelstudio.xml")
    text = "The Interior Ministry bought Pegasus. Maria Lopez said the ministry did not buy drones."
    article = make_article(
        "ev",
        text,
        [
            ("Interior Ministry", "ACTOR", {"actor_type": "government", "entity_id": "m", "source": "pattern"}),
            ("Pegasus", "TECHNOLOGY", {"category": "spyware", "entity_id": "p", "source": "taxonomy"}),
            (
                "Maria Lopez",
                "ACTOR",
                {"actor_type": "person", "entity_id": "l", "source": "ner", "private_person": True},
            ),
            ("ministry", "ACTOR", {"actor_type": "government", "entity_id": "m", "source": "pattern"}),
            ("drones", "TECHNOLOGY", {"category": "drones", "entity_id": "d", "source": "taxonomy"}),
        ],
    )
    article.events = [
        Event("acquires", "m", "Interior Ministry", "p", "Pegasus", "TECHNOLOGY", 0, 37, text[:37], "dep:test"),
        Event(
            "acquires",
            "m",
            "Interior Ministry",
            "d",
            "drones",
            "TECHNOLOGY",
            38,
            len(text),
            text[38:],
            "dep:test",
            negated=True,
        ),
    ]
    (priors,) = Scorer(None).score([article])
    assert priors.scores[0] == SOURCE_PRIORS["pattern"] and priors.scores[1] == SOURCE_PRIORS["taxonomy"]
    result, left_out = prediction_result(article, config, confidence=priors)
    assert left_out == 0
    (relation,) = [r for r in result if r["type"] == "relation"]  # the negated event is not drawn
    regions = {r["id"]: r["value"]["text"] for r in result if r.get("from_name") == "label"}
    assert (regions[relation["from_id"]], relation["labels"], regions[relation["to_id"]]) == (
        "Interior Ministry",
        ["acquires"],
        "Pegasus",  # the mention inside the evidence sentence, not "ministry"
    )
    # a tagger without entity ids: the event's names find the regions
    for entity in article.entities:
        entity.entity_id = None
    article.events[0].actor_id = article.events[0].object_id = ""
    unnamed, _ = prediction_result(article, config, confidence=priors)
    assert [(r["from_id"], r["to_id"]) for r in unnamed if r["type"] == "relation"] == [
        (relation["from_id"], relation["to_id"])
    ]
    spans = {r["value"]["text"]: r for r in result if r.get("from_name") == "label"}
    assert spans["Pegasus"]["score"] == 0.7 and spans["Pegasus"]["meta"] == {"text": ["pattern · score 0.70"]}
    assert spans["Interior Ministry"]["meta"]["text"] == ["pattern · score 0.55"]
    assert spans["Maria Lopez"]["meta"]["text"][0].startswith("model · ")
    private = [r for r in result if r.get("from_name") == "private_person"]
    assert [r["value"]["choices"] for r in private] == [["yes"]]

    # with the shipped NER: a model span gets the NER's own probability; rule spans at least their prior
    scorer = Scorer.for_model("survnews_base")
    if scorer.nlp is None:
        pytest.skip("no trained base pipeline (run `survnews train base`)")
    (scored,) = scorer.score([article])
    proposals = scorer._ner_scores([text])[0]
    lopez = text.index("Maria Lopez")
    assert scored.scores[2] == proposals[(lopez, lopez + 11, "ACTOR")] and 0.5 < scored.scores[2] <= 1.0
    assert all(s >= SOURCE_PRIORS["pattern"] for s in scored.scores[:2])
    assert 0.0 <= scored.uncertainty <= 1.0
