"""The tagger on the kinds of misses issue #10 lists, each on sentences written for these tests (real spaCy)."""

from __future__ import annotations

import json
import math

import pytest
import spacy
from spacy.language import Language

from pipeline.components.actor_patterns import credit_regions
from pipeline.components.technology import TAXONOMY_PATH, canonical_category
from pipeline.evaluate import CharSpan, GoldDoc, score_attributes
from pipeline.paths import PROJECT_ROOT
from pipeline.records import Entity
from pipeline.tag import base_model_path, load_tagger, tag_texts
from pipeline.train_corpus import load_articles, parse_article, split_articles


@pytest.fixture(scope="module")
def nlp() -> Language:
    return load_tagger("survnews_base")


def tag(nlp: Language, text: str) -> list[Entity]:
    return next(iter(tag_texts(nlp, [text])))


def texts(entities: list[Entity], label: str) -> dict[str, Entity]:
    return {e.text: e for e in entities if e.label == label}


# ---------------------------------------------------------------- TECHNOLOGY


def test_named_products_in_no_list_are_found_by_context(nlp: Language) -> None:
    text = (
        "Investigators found a spyware tool called Zephyrine on the phones. Officers installed the Sentrio app, "
        "and the city bought software known as GlimmerTrace. The kits, sold as VaultBreaker Pro, copy messages. "
        "Forensic researchers said Quorvex spyware had infected the devices."
    )
    tech = texts(tag(nlp, text), "TECHNOLOGY")
    for name in ("Zephyrine", "Sentrio", "GlimmerTrace", "VaultBreaker Pro", "Quorvex"):
        assert name in tech, f"{name} not tagged: {sorted(tech)}"
    assert tech["Zephyrine"].category == "spyware"
    assert tech["Quorvex"].category == "spyware"
    assert tech["Sentrio"].category == "apps_and_platforms"


def test_apps_platforms_devices_and_techniques(nlp: Language) -> None:
    text = (
        "Protesters switched from WhatsApp to Signal and used a VPN. Engineers found cell towers, undersea cables "
        "and miniature cameras. The agency ran emotion detection software on position data, and the mass "
        "collection of call records continued, along with vehicle registration logs."
    )
    tech = texts(tag(nlp, text), "TECHNOLOGY")
    expected = {
        "WhatsApp": "apps_and_platforms",
        "Signal": "apps_and_platforms",
        "VPN": "circumvention_and_encryption",
        "cell towers": "telecom_infrastructure",
        "undersea cables": "telecom_infrastructure",
        "miniature cameras": "video_surveillance",
        "emotion detection software": "face_recognition",
        "position data": "location_tracking",
        "mass collection of call records": "communications_interception",
        "vehicle registration logs": "automated_license_plate_readers",
    }
    for name, category in expected.items():
        assert name in tech, f"{name} not tagged: {sorted(tech)}"
        assert tech[name].category == category, name


def test_generic_phrases_are_not_technologies(nlp: Language) -> None:
    text = (
        "Critics warned that surveillance technology and mass surveillance lead to censorship. "
        "The government denied any digital surveillance."
    )
    tech = texts(tag(nlp, text), "TECHNOLOGY")
    for phrase in ("surveillance technology", "mass surveillance", "censorship", "digital surveillance"):
        assert phrase not in tech


def test_a_platform_is_technology_when_used_and_actor_when_it_acts(nlp: Language) -> None:
    text = (
        "Diners must scan a code in WeChat before ordering, and apps such as Telegram were blocked. "
        "WeChat said it complied with local law. A spokesperson for Telegram declined to comment."
    )
    entities = tag(nlp, text)
    roles = [(e.text, e.label) for e in entities if e.text in {"WeChat", "Telegram"}]
    assert roles == [
        ("WeChat", "TECHNOLOGY"),
        ("Telegram", "TECHNOLOGY"),
        ("WeChat", "ACTOR"),
        ("Telegram", "ACTOR"),
    ]


def test_the_recogniser_shares_the_base_token_vectors(nlp: Language) -> None:
    assert "survnews_technology_model" in nlp.pipe_names
    recogniser = nlp.get_pipe("survnews_technology_model")
    assert recogniser.available  # type: ignore[attr-defined]
    assert recogniser.shared  # type: ignore[attr-defined]  # no second tok2vec pass with the shipped base
    assert nlp.pipe_names.index("survnews_technology_model") == nlp.pipe_names.index("tok2vec") + 1
    # It works on copies: the base NER's entities are the same with and without it.
    text = "Officials in Nairobi said Amani Mwangi of the Kenya Daily Sentinel used the Halvorix platform."
    base = spacy.load(base_model_path())
    assert [(e.start_char, e.label_) for e in nlp(text).ents] == [(e.start_char, e.label_) for e in base(text).ents]


def test_one_category_vocabulary_everywhere() -> None:
    taxonomy = json.loads(TAXONOMY_PATH.read_text(encoding="utf-8"))
    keys = set(taxonomy["categories"])
    assert {"apps_and_platforms", "telecom_infrastructure"} <= keys
    assert canonical_category("facial_recognition") == "face_recognition"
    expected = json.loads((PROJECT_ROOT / "corpus" / "samples" / "expected.json").read_text(encoding="utf-8"))
    used = {e["category"] for v in expected.values() for e in v.get("entities", []) if e["label"] == "TECHNOLOGY"}
    gold = (PROJECT_ROOT / "corpus" / "gold" / "samples.gold.jsonl").read_text(encoding="utf-8").splitlines()
    used |= {e["category"] for line in gold for e in json.loads(line)["entities"] if e["label"] == "TECHNOLOGY"}
    used |= {e["category"] for a in load_articles() for e in a.entities if e["label"] == "TECHNOLOGY"}
    assert used <= keys, used - keys
    for spec in taxonomy["categories"].values():
        assert spec["label"] and isinstance(spec.get("cues", []), list)


# ---------------------------------------------------------------- ACTOR


def test_organisations_outside_the_gazetteer(nlp: Language) -> None:
    text = (
        "The digital rights group Velmora Watch Africa said the figures were wrong. The weekly Ríodoce Hoy first "
        "reported the deal, and the start-up Quintara Labs built the cameras. Brightwater District Council voted "
        "on Thursday; the Rapid Response Squad made the arrests. Researchers at the Laboratório de Estudos "
        "Urbanos criticised it, and the Constitutional Court will rule. The Sejm and Whitehall were silent."
    )
    actors = texts(tag(nlp, text), "ACTOR")
    expected = {
        "Velmora Watch Africa": "civil_society",
        "Ríodoce Hoy": "media",
        "Quintara Labs": "company",
        "Brightwater District Council": "government",
        "Rapid Response Squad": "law_enforcement",
        "Laboratório de Estudos Urbanos": "academic",
        "Constitutional Court": "government",
        "Sejm": "government",
        "Whitehall": "government",
    }
    for name, actor_type in expected.items():
        assert name in actors, f"{name} not tagged: {sorted(actors)}"
        assert actors[name].actor_type == actor_type, name


def test_names_with_diacritics_and_hyphens(nlp: Language) -> None:
    text = (
        "Łukasz Wiśniewski, a lawyer, filed the case. Folake Adeyemi-Bello, a resident of the estate, said "
        "she was never asked. Park Min-seo, a student, agreed, and Thiago Ferreira da Silva said he was stopped."
    )
    people = {e.text for e in tag(nlp, text) if e.label == "ACTOR" and e.actor_type == "person"}
    assert {"Łukasz Wiśniewski", "Folake Adeyemi-Bello", "Park Min-seo", "Thiago Ferreira da Silva"} <= people


def test_bylines_credits_and_role_words_are_not_entities(nlp: Language) -> None:
    text = (
        "Police drones over Glenrock\nBy Miriam Castellano, Staff Reporter\n\n"
        "The Prime Minister said drones would help. Bosses at the firm agreed.\n\n"
        "Photo: Teodor Lind / Harbour Gazette\nReporting by Ines Varga; editing by Paul Oduya"
    )
    names = {e.text for e in tag(nlp, text)}
    for credit in ("Miriam Castellano", "Teodor Lind", "Harbour Gazette", "Ines Varga", "Paul Oduya"):
        assert credit not in names
    assert "Prime Minister" not in names and "Bosses" not in names
    regions = credit_regions("By 2030 the city will add cameras.\nBy Ana Lima\n")
    assert [r for r in regions] == [(35, 46)]


def test_product_names_are_not_companies(nlp: Language) -> None:
    entities = tag(nlp, "Officers used a tool called NightKestrel to read the messages.")
    assert ("NightKestrel", "TECHNOLOGY") in [(e.text, e.label) for e in entities]
    assert "NightKestrel" not in texts(entities, "ACTOR")


# ---------------------------------------------------------------- private_person


def test_private_people_are_flagged_and_public_roles_are_not(nlp: Language) -> None:
    text = (
        "“They took my thumbprint,” said Adebayo Salami, a tyre seller. Salami said agents asked for his ID. "
        "His mother, Grace Aluko, filed a complaint. Tomás Ortega, 17, was followed by a drone. "
        "Yusra Khalil said she deleted the app. "
        "Councillor Derek Hamlyn defended the plan. Imogen Price, a spokesperson for the ministry, declined to "
        "comment. Stefan Brückner, a criminologist at the university, said the scores were biased. "
        "The Bronx Defenders and Lagos are not people."
    )
    entities = tag(nlp, text)
    people = {e.text: e.private_person for e in entities if e.label == "ACTOR" and e.actor_type == "person"}
    for private in ("Adebayo Salami", "Salami", "Grace Aluko", "Tomás Ortega", "Yusra Khalil"):
        assert people.get(private) is True, (private, people)
    for public in ("Derek Hamlyn", "Imogen Price", "Stefan Brückner"):
        assert people.get(public) is False, (public, people)
    assert all(e.private_person is None for e in entities if e.actor_type != "person")


# ---------------------------------------------------------------- LOCATION


def _km(a: Entity, lat: float, lon: float) -> float:
    assert a.lat is not None and a.lon is not None
    return math.dist((a.lat, a.lon), (lat, lon)) * 111


def test_places_near_the_article_city_countries_and_streets(nlp: Language) -> None:
    text = (
        "Cleveland police expanded the sensors in Cleveland this spring. Residents in Glenville complained that "
        "the alerts were false. In Paris, cameras line the Rue de Rivoli and Gare du Nord. France and Kenya "
        "signed the deal. Commuters at Grand Central Terminal in New York were filmed."
    )
    places = texts(tag(nlp, text), "LOCATION")
    assert _km(places["Glenville"], 41.5, -81.7) < 50  # the Cleveland neighbourhood, not Glenville, New York
    assert places["France"].lat is not None and _km(places["France"], 46.0, 2.0) < 100
    assert places["Kenya"].country == "KE" and places["Kenya"].lon is not None
    for street, country in (("Rue de Rivoli", "FR"), ("Gare du Nord", "FR"), ("Grand Central Terminal", "US")):
        assert street in places, f"{street} not tagged: {sorted(places)}"
        assert places[street].country == country


# ---------------------------------------------------------------- corpus and scores


def test_training_corpus_markup_offsets_and_split() -> None:
    article = parse_article(
        "t", "\n[Ana Lima]{A:private} met [Whitehall]{A:government} on [Rue X]{L:FR}. Whitehall left.\n"
    )
    spans = [(e["text"], e["label"], e.get("private_person"), e.get("country")) for e in article.entities]
    assert spans == [
        ("Ana Lima", "ACTOR", True, None),
        ("Whitehall", "ACTOR", None, None),
        ("Rue X", "LOCATION", None, "FR"),
        ("Whitehall", "ACTOR", None, None),  # a later mention, annotated like the marked one
    ]
    for e in article.entities:
        assert article.text[e["start"] : e["end"]] == e["text"]
    with pytest.raises(ValueError, match="broken markup"):
        parse_article("bad", "[Ana]{A:private] left")
    articles = load_articles()
    assert len(articles) >= 60
    train, held_out = split_articles(articles)
    assert len(held_out) == len(articles) // 5 and not {a.id for a in train} & {a.id for a in held_out}


def test_attribute_scores_count_private_people_and_types() -> None:
    text = "Ana Lima met the Lagos Council."
    gold = GoldDoc(
        text,
        [CharSpan(0, 8, "ACTOR"), CharSpan(17, 30, "ACTOR")],
        attributes={
            CharSpan(0, 8, "ACTOR"): {"actor_type": "person", "private_person": True},
            CharSpan(17, 30, "ACTOR"): {"actor_type": "government"},
        },
    )
    predicted = [
        Entity(start=0, end=8, text="Ana Lima", label="ACTOR", actor_type="person", private_person=True),
        Entity(start=17, end=30, text="Lagos Council", label="ACTOR", actor_type="company"),
    ]
    scores = score_attributes([gold], [predicted])
    assert scores.accuracy("actor_type") == 0.5
    assert (scores.private.tp, scores.private.fp, scores.private.fn) == (1, 0, 0)
    assert scores.documents["ACTOR"].tp == 2


def test_technology_training_docs_teach_names_with_swapped_products() -> None:
    import random

    from pipeline.train_corpus import swap_product_names, technology_training_docs

    articles, _held_out = split_articles(load_articles())
    train, dev, counts = technology_training_docs(None, articles=articles[:12], augment=1, dev_every=6)
    assert counts == {"corpus_train_docs": 20, "corpus_dev_docs": 2}
    labels = {e.label_ for doc in train + dev for e in doc.ents}
    assert labels == {"TECHNOLOGY"}
    assert all(e.text[:3] != e.text[:3].lower() or any(c.isdigit() for c in e.text) for d in train for e in d.ents)
    original = next(a for a in articles if any(e["text"] == "IdentiKey" for e in a.entities))
    swapped = swap_product_names(original, random.Random(1))
    assert "IdentiKey" not in swapped.text
    for entity in swapped.entities:
        assert swapped.text[entity["start"] : entity["end"]] == entity["text"]


def test_private_flag_from_anonymity_and_affiliation(nlp: Language) -> None:
    text = (
        "A protest organiser who asked to be identified only as Wairimu said officers followed her. "
        "“They should not buy that data,” said Ilse Brandt, a programme lead at the Open Data Trust."
    )
    people = {e.text: e.private_person for e in tag(nlp, text) if e.actor_type == "person"}
    assert people.get("Wairimu") is True
    assert people.get("Ilse Brandt") is False
