"""The tagging pipeline: real spaCy pipelines (rules only, and with NER spans in front) on texts we wrote."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import spacy
from spacy.language import Language

from pipeline.components.common import RESULT_KEY
from pipeline.errors import ConfigError
from pipeline.records import Entity
from pipeline.tag import (
    BASE_MODEL,
    base_model_path,
    doc_entities,
    load_tagger,
    pipeline_identity,
    tag_texts,
)


@pytest.fixture(scope="module")
def rules_nlp() -> Language:
    return load_tagger("blank")


def tag(nlp: Language, text: str) -> list[Entity]:
    entities = doc_entities(nlp(text))
    for e in entities:
        assert text[e.start : e.end] == e.text, e
    return entities


def by_text(entities: list[Entity], label: str) -> dict[str, Entity]:
    return {e.text: e for e in entities if e.label == label}


def test_rules_pipeline_has_the_registered_components_in_order(rules_nlp: Language) -> None:
    names = rules_nlp.pipe_names
    assert names[-6:] == [
        "survnews_technology",
        "survnews_locations",
        "survnews_actors",
        "survnews_resolve",
        "survnews_canonical",
        "survnews_events",
    ]
    assert "sentencizer" in names
    name, version = pipeline_identity(rules_nlp)
    assert name == "survnews_rules"
    assert "+rules." in version


def test_technology_terms_variants_and_categories(rules_nlp: Language) -> None:
    text = (
        "The council approved Facial-Recognition cameras, two licence plate readers and an IMSI catcher. "
        "Investigators found Pegasus spyware on a lawyer's phone, while officers wore body cameras. "
        "A pegasus statue stands in the square. Residents used VPNs and scanned a health code."
    )
    tech = by_text(tag(rules_nlp, text), "TECHNOLOGY")
    assert tech["Facial-Recognition cameras"].category == "face_recognition"
    assert tech["licence plate readers"].category == "automated_license_plate_readers"
    assert tech["IMSI catcher"].category == "cell_site_simulator"
    assert tech["Pegasus"].category == "spyware"  # the product's name alone, as gold marks it
    assert tech["spyware"].category == "spyware"
    assert tech["body cameras"].category == "body_worn_cameras"
    assert tech["VPNs"].category == "circumvention_and_encryption"
    assert tech["health code"].category == "health_surveillance"
    assert "pegasus" not in tech  # product names that are common words match only as written


def test_locations_countries_cities_subdivisions_and_demonyms(rules_nlp: Language) -> None:
    text = (
        "Police in Shenzhen and Chengdu tested the system before it reached Hunan province. "
        "Chinese officials said Kenya and Brazil had asked for it. In California, San Diego paused a pilot. "
        "March was busy. Reading the report, analysts in Mobile phone shops were unimpressed."
    )
    loc = by_text(tag(rules_nlp, text), "LOCATION")
    assert loc["Shenzhen"].country == "CN" and loc["Shenzhen"].lat is not None and loc["Shenzhen"].geonames_id
    assert loc["Hunan"].country == "CN" and loc["Hunan"].admin1 == "CN-HN"
    assert loc["Kenya"].country == "KE" and loc["Brazil"].country == "BR"
    assert loc["California"].admin1 == "US-CA"
    assert loc["San Diego"].country == "US" and loc["San Diego"].admin1 == "US-CA"
    for word in ("Police", "Chinese", "March", "Reading", "Mobile"):
        assert word not in loc


def test_common_word_city_needs_location_context(rules_nlp: Language) -> None:
    loc = by_text(tag(rules_nlp, "The depot in Reading, Pennsylvania bought drones."), "LOCATION")
    assert loc["Reading"].country == "US"
    assert loc["Pennsylvania"].admin1 == "US-PA"


def test_ambiguous_names_follow_the_article_countries(rules_nlp: Language) -> None:
    us = by_text(tag(rules_nlp, "Cameras went up in Atlanta and Savannah, Georgia, last year."), "LOCATION")
    assert us["Georgia"].country == "US"
    ge = by_text(tag(rules_nlp, "Protesters in Tbilisi and Batumi said Georgia had bought spyware."), "LOCATION")
    assert ge["Georgia"].country == "GE"
    portland = by_text(tag(rules_nlp, "Oregon lawmakers said Portland banned face recognition."), "LOCATION")
    assert portland["Portland"].admin1 == "US-OR"


def test_actor_gazetteer_and_patterns(rules_nlp: Language) -> None:
    text = (
        "The Shenzhen Municipal Public Security Bureau bought cameras from Hikvision and Acme Vision Holdings Ltd, "
        "according to Amnesty International. The Ministry of Public Security and the Department of Homeland Security "
        "declined to comment. Lagos police said the Kenyan government had not replied. "
        "Human Rights Defenders Network and Reuters reported it."
    )
    actors = by_text(tag(rules_nlp, text), "ACTOR")
    bureau = actors["Shenzhen Municipal Public Security Bureau"]
    assert (bureau.actor_type, bureau.country) == ("law_enforcement", "CN")
    assert actors["Hikvision"].actor_type == "company"
    assert actors["Acme Vision Holdings Ltd"].actor_type == "company"
    assert actors["Amnesty International"].actor_type == "civil_society"
    assert actors["Ministry of Public Security"].actor_type == "law_enforcement"
    assert actors["Department of Homeland Security"].actor_type == "government"
    assert (actors["Lagos police"].actor_type, actors["Lagos police"].country) == ("law_enforcement", "NG")
    assert (actors["Kenyan government"].actor_type, actors["Kenyan government"].country) == ("government", "KE")
    assert actors["Human Rights Defenders Network"].actor_type == "civil_society"
    assert actors["Reuters"].actor_type == "media"
    loc = by_text(tag(rules_nlp, text), "LOCATION")
    assert "Shenzhen" not in loc  # inside the longer actor name


def test_bare_head_words_are_not_actors(rules_nlp: Language) -> None:
    actors = by_text(tag(rules_nlp, "Police said the Ministry would reply. The Bureau did not."), "ACTOR")
    assert actors == {}


@pytest.fixture(scope="module")
def ner_nlp() -> Language:
    """Rules pipeline with an entity ruler in front standing in for a trained NER (real spaCy component)."""
    nlp = load_tagger("blank")
    ruler = nlp.add_pipe("entity_ruler", before="survnews_technology")
    ruler.add_patterns(  # type: ignore[attr-defined]
        [
            {"label": "PERSON", "pattern": "Zhou Lan"},
            {"label": "PERSON", "pattern": "Zhou"},
            {"label": "PERSON", "pattern": "Anna Berg"},
            {"label": "PERSON", "pattern": "Tomas Reyes"},
            {"label": "ORG", "pattern": "Northwind Analytics"},
            {"label": "ORG", "pattern": "Civic Lens Foundation"},
            {"label": "LOC", "pattern": "Lake Orrin"},
            {"label": "LOC", "pattern": "Xiamen"},
            {"label": "PERSON", "pattern": "Reading"},
        ]
    )
    return nlp


def test_ner_spans_are_typed_and_people_flagged(ner_nlp: Language) -> None:
    text = (
        "Zhou Lan, a resident of Xiamen, said her phone was searched. Zhou said officers took it. "
        "Interior minister Anna Berg defended the policy. Tomas Reyes, a senior researcher at the "
        "Civic Lens Foundation, criticised Northwind Analytics. Drones flew over Lake Orrin near Xiamen."
    )
    entities = tag(ner_nlp, text)
    actors = {(e.start, e.text): e for e in entities if e.label == "ACTOR"}
    people = {e.text: e for e in actors.values() if e.actor_type == "person"}
    assert people["Zhou Lan"].private_person is True
    assert people["Zhou"].private_person is True  # inherits from the full name
    assert people["Anna Berg"].private_person is False
    assert people["Tomas Reyes"].private_person is False
    orgs = {e.text: e for e in actors.values()}
    assert orgs["Civic Lens Foundation"].actor_type == "civil_society"
    assert orgs["Northwind Analytics"].actor_type == "company"  # typed by its head word
    loc = by_text(entities, "LOCATION")
    assert loc["Lake Orrin"].country == "CN"  # unknown place takes the article's dominant country
    assert loc["Lake Orrin"].source == "pattern"  # a landmark name: "Lake <Name>"


def test_person_named_like_a_city_is_not_a_location(ner_nlp: Language) -> None:
    loc = by_text(tag(ner_nlp, "Reading said the cameras in Xiamen were new."), "LOCATION")
    assert "Reading" not in loc


def test_final_spans_do_not_overlap_and_offsets_are_exact(rules_nlp: Language) -> None:
    text = "“China Mobile’s” QR-code app — used in Hong Kong-based firms — met the Cyberspace Administration of China."
    doc = rules_nlp(text)
    spans = list(doc.spans[RESULT_KEY])
    covered: set[int] = set()
    for span in spans:
        assert not covered & set(range(span.start, span.end))
        covered |= set(range(span.start, span.end))
    entities = tag(rules_nlp, text)
    labels = {(e.label, e.text) for e in entities}
    assert ("ACTOR", "China Mobile") in labels
    assert ("LOCATION", "Hong Kong") in labels
    assert ("ACTOR", "Cyberspace Administration of China") in labels


def test_tag_texts_streams_in_order(rules_nlp: Language) -> None:
    texts = (t for t in ["Drones over Paris.", "", "Nothing here.", "Spyware in Mexico."])
    results = list(tag_texts(rules_nlp, texts, batch_size=2))
    assert [sorted(e.text for e in r) for r in results] == [["Drones", "Paris"], [], [], ["Mexico", "Spyware"]]


def test_tag_texts_with_two_processes_matches_one(rules_nlp: Language) -> None:
    texts = ["Facial recognition in Lagos.", "The NSA and GCHQ ran bulk collection.", "A quiet day in Oslo."] * 3
    one = list(tag_texts(rules_nlp, texts, n_process=1))
    two = list(tag_texts(rules_nlp, texts, batch_size=2, n_process=2))
    assert one == two
    assert one[1][0].actor_type == "intelligence"


def test_pipeline_round_trips_through_disk(rules_nlp: Language, tmp_path: Path) -> None:
    text = "Tencent and the Beijing police use facial recognition in Beijing."
    rules_nlp.to_disk(tmp_path / "pipe")
    assert (tmp_path / "pipe" / "survnews_technology" / "taxonomy.json").exists()
    assert (tmp_path / "pipe" / "survnews_actors" / "gazetteer.jsonl").exists()
    reloaded = spacy.load(tmp_path / "pipe")
    assert doc_entities(reloaded(text)) == doc_entities(rules_nlp(text))


def test_installed_pipeline_labels_are_mapped(tmp_path: Path) -> None:
    # A pipeline on disk with OntoNotes labels, as an installed pipeline (en_core_web_sm, ...) would have.
    base = spacy.blank("en")
    ruler = base.add_pipe("entity_ruler")
    ruler.add_patterns(  # type: ignore[attr-defined]
        [
            {"label": "GPE", "pattern": "Valdoria"},
            {"label": "NORP", "pattern": "Chinese"},
            {"label": "ORG", "pattern": "Open Sky Institute"},
            {"label": "PERSON", "pattern": "Mara Quell"},
        ]
    )
    base.to_disk(tmp_path / "ontonotes_like")
    nlp = load_tagger(str(tmp_path / "ontonotes_like"))
    entities = tag(nlp, "Mara Quell of the Open Sky Institute met Chinese officials in Valdoria and Laos.")
    labels = {(e.label, e.text) for e in entities}
    assert ("LOCATION", "Valdoria") in labels
    assert ("LOCATION", "Chinese") not in labels
    assert {("ACTOR", "Open Sky Institute"), ("ACTOR", "Mara Quell"), ("LOCATION", "Laos")} <= labels
    assert pipeline_identity(nlp)[0] == "en_pipeline"


def test_unloadable_model_is_a_one_line_config_error() -> None:
    with pytest.raises(ConfigError) as info:
        load_tagger("no_such_pipeline_xyz")
    assert "no_such_pipeline_xyz" in str(info.value)
    assert "\n" not in str(info.value)


def test_base_model_loads_or_falls_back_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="pipeline.tag"):
        nlp = load_tagger(BASE_MODEL)
    name, _ = pipeline_identity(nlp)
    if (base_model_path() / "config.cfg").exists():
        assert name == BASE_MODEL
        assert "ner" in nlp.pipe_names
        entities = tag(nlp, "Maya Chen, a spokesperson for Microsoft, spoke in Berlin about facial recognition.")
        assert {e.label for e in entities} >= {"ACTOR", "LOCATION", "TECHNOLOGY"}
    else:
        assert name == "survnews_rules"
        assert "trained base pipeline not found" in caplog.text


@pytest.fixture(scope="module")
def noisy_ner_nlp() -> Language:
    """A NER in front that makes the mistakes a small trained model makes (entity ruler: a real component)."""
    nlp = load_tagger("blank")
    ruler = nlp.add_pipe("entity_ruler", before="survnews_technology")
    ruler.add_patterns(  # type: ignore[attr-defined]
        [
            {"label": "PERSON", "pattern": "Wuhan"},
            {"label": "PERSON", "pattern": "Harbin city"},
            {"label": "LOC", "pattern": "Omar Fadil"},
            {"label": "PERSON", "pattern": "Fadil"},
            {"label": "LOC", "pattern": "Moreton Bay"},
            {"label": "LOC", "pattern": "Quillby"},
            {"label": "ORG", "pattern": "Investigatory Powers Act"},
            {"label": "PERSON", "pattern": "Muslims"},
            {"label": "ORG", "pattern": "Metropolitan police"},
            {"label": "PERSON", "pattern": "COVID-19"},
        ]
    )
    return nlp


def test_known_places_and_rules_overrule_ner_mistakes(noisy_ner_nlp: Language) -> None:
    text = (
        "Cameras in Wuhan and across Harbin city watch Muslims during COVID-19. Omar Fadil, a lawyer, said the "
        "Investigatory Powers Act let the Metropolitan police do the same; Fadil added that drones flew over "
        "Moreton Bay. Quillby said Europe was next."
    )
    entities = tag(noisy_ner_nlp, text)
    loc = by_text(entities, "LOCATION")
    actors = by_text(entities, "ACTOR")
    assert loc["Wuhan"].country == "CN" and loc["Harbin"].country == "CN"
    assert "Harbin city" not in actors and "Wuhan" not in actors
    assert actors["Omar Fadil"].actor_type == "person" and "Omar Fadil" not in loc
    assert actors["Omar Fadil"].private_person is False  # "a lawyer"
    assert "Moreton Bay" in loc  # unknown to the gazetteer, but geographic
    assert "Quillby" not in loc  # unknown, no geographic cue
    assert loc["Europe"].country is None
    assert actors["Metropolitan police"].actor_type == "law_enforcement"
    for not_an_actor in ("Investigatory Powers Act", "Muslims", "COVID-19"):
        assert not_an_actor not in actors
