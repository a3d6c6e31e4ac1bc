"""Span boundaries and kinds the tagger got wrong in error analysis (issue #10), on sentences written for these tests
(real spaCy, the shipped tagger)."""

from __future__ import annotations

import pytest
from spacy.language import Language

from pipeline.tag import load_tagger
from tests.test_tag_quality import tag, texts  # the span helpers of the first tag-quality tests


@pytest.fixture(scope="module")
def nlp() -> Language:
    return load_tagger("survnews_base")


# ---------------------------------------------------------------- ACTOR boundaries


def test_organisation_names_run_across_for_to_and_subject_words(nlp: Language) -> None:
    text = (
        "The Independent Office for Police Conduct opened an inquiry. The Special Service for National Security "
        "bought the tool, and the Right to Food Campaign objected. The Digital Economy and Society Ministry said "
        "nothing, while a unit of the Armed Forces of the Philippines ran the accounts."
    )
    actors = texts(tag(nlp, text), "ACTOR")
    for name in (
        "Independent Office for Police Conduct",
        "Special Service for National Security",
        "Right to Food Campaign",
        "Digital Economy and Society Ministry",
        "Armed Forces of the Philippines",
    ):
        assert name in actors, f"{name} not one actor: {sorted(actors)}"
    assert actors["Armed Forces of the Philippines"].actor_type == "military"
    assert "Independent Office for Police" not in actors


def test_a_role_s_office_is_one_name(nlp: Language) -> None:
    text = (
        "The Prosecutor General's Office and the Attorney-General's Department received the files; Kenya's "
        "Ministry of Interior did not."
    )
    actors = texts(tag(nlp, text), "ACTOR")
    assert "Prosecutor General's Office" in actors, sorted(actors)
    assert "Attorney-General's Department" in actors, sorted(actors)
    # A possessive place is not part of the name
    assert "Ministry of Interior" in actors and "Kenya's Ministry of Interior" not in actors


def test_national_chapters_are_one_organisation(nlp: Language) -> None:
    text = (
        "Amnesty International Kenya and Digital Security Lab Ukraine published the report, and the ACLU of Ohio "
        "sued. Airtel Uganda said it complied."
    )
    entities = tag(nlp, text)
    actors = texts(entities, "ACTOR")
    for name in ("Amnesty International Kenya", "Digital Security Lab Ukraine", "ACLU of Ohio", "Airtel Uganda"):
        assert name in actors, f"{name}: {sorted(actors)}"
    assert actors["Airtel Uganda"].actor_type == "company" and not actors["Airtel Uganda"].private_person
    assert not {"Kenya", "Ukraine", "Ohio", "Uganda"} & set(texts(entities, "LOCATION"))


def test_company_forms_of_other_languages_and_one_kind_per_name(nlp: Language) -> None:
    text = (
        "The vendor, Lærling Digital AS, said data is deleted. The firm Redmar Tecnologías supplied the splitter. "
        "Drivers' data came from the ride-hailing company Kovoja. Kovoja said it complies with the law."
    )
    entities = tag(nlp, text)
    actors = texts(entities, "ACTOR")
    assert actors["Lærling Digital AS"].actor_type == "company", sorted(actors)
    assert actors["Redmar Tecnologías"].actor_type == "company"
    kovoja = [e for e in entities if e.text == "Kovoja"]
    assert len(kovoja) == 2 and all(e.actor_type == "company" and not e.private_person for e in kovoja)


def test_the_context_makes_a_person_of_a_name_the_ner_calls_an_organisation(nlp: Language) -> None:
    text = "Parents were never asked, said Mariana Alves, whose 9-year-old son attends a school in Guarulhos."
    actors = texts(tag(nlp, text), "ACTOR")
    assert actors["Mariana Alves"].actor_type == "person"
    assert actors["Mariana Alves"].private_person is True


def test_places_after_prepositions_and_before_place_nouns_are_not_people(nlp: Language) -> None:
    text = (
        "Park Soo-min, a student who uses Gangnam station daily, said she saw no signs. Asylum seekers in the camp "
        "on Samos queue twice a day. A worker at the kiosk in Al Barsha said the screen asked for his ID."
    )
    entities = tag(nlp, text)
    people = {e.text for e in entities if e.actor_type == "person"}
    assert "Park Soo-min" in people
    assert not {"Gangnam", "Samos", "Al Barsha"} & people, people


def test_a_name_that_is_also_a_word_counts_at_a_sentence_start_when_it_speaks(nlp: Language) -> None:
    entities = tag(nlp, "Meta said it removes posts only when they break local law. Meta data was lost.")
    metas = [e for e in entities if e.text == "Meta" and e.label == "ACTOR"]
    assert len(metas) == 1 and metas[0].start == 0


# ---------------------------------------------------------------- TECHNOLOGY boundaries and kinds


def test_technique_terms_leave_out_generic_heads(nlp: Language) -> None:
    text = (
        "The city bought a gunshot detection system, a social media monitoring tool and a geolocation system. "
        "Police used data from the TraceTogether contact tracing app and footage from Sfera cameras. "
        "Officers wore body cameras and the council installed CCTV cameras."
    )
    tech = texts(tag(nlp, text), "TECHNOLOGY")
    for name in ("gunshot detection", "social media monitoring", "geolocation", "TraceTogether", "Sfera"):
        assert name in tech, f"{name}: {sorted(tech)}"
    for longer in ("gunshot detection system", "social media monitoring tool", "geolocation system", "Sfera cameras"):
        assert longer not in tech
    # Whole taxonomy terms and acronyms keep their heads
    assert "body cameras" in tech and "CCTV cameras" in tech


def test_people_and_laws_are_never_technologies(nlp: Language) -> None:
    text = (
        "At least ten Hungarians were targeted, and the system 'keeps Muscovites safe', the mayor said. Platforms "
        "must store Vietnamese users' data. The Criminal Procedure Code and the Privacy Act allow it."
    )
    tech = texts(tag(nlp, text), "TECHNOLOGY")
    assert not {"Hungarians", "Muscovites", "Vietnamese users", "Criminal Procedure", "Privacy Act"} & set(tech), tech


def test_x_is_a_platform_among_platforms_and_a_letter_alone(nlp: Language) -> None:
    text = (
        "The regulator ordered operators to block Facebook, X and YouTube. Posts on X, formerly Twitter, vanished. "
        "Suspect X was never named."
    )
    entities = tag(nlp, text)
    xs = [e for e in entities if e.text == "X" and e.label == "TECHNOLOGY"]
    assert len(xs) == 2, [(e.text, e.label, e.start) for e in entities]
    assert all(e.category == "apps_and_platforms" for e in xs)
    assert all(e.start < text.index("Suspect") for e in xs)


def test_monitoring_filtering_and_drone_techniques(nlp: Language) -> None:
    text = "The ministry runs a content monitoring centre, and the mast will carry radars for drone detection."
    tech = texts(tag(nlp, text), "TECHNOLOGY")
    assert "content monitoring" in tech, sorted(tech)
    assert tech["drone detection"].category == "drones"


def test_capitalised_plurals_at_a_sentence_start_are_not_products(nlp: Language) -> None:
    text = "Users moved to Bluesky and Threads. Residents said Telegram was blocked."
    tech = texts(tag(nlp, text), "TECHNOLOGY")
    assert "Users" not in tech and "Residents" not in tech
    assert "Bluesky" in tech and "Telegram" in tech


def test_names_glossed_or_listed_as_platforms_are_technologies(nlp: Language) -> None:
    text = (
        "The ministry launched an app, Civic Lantern, that lets citizens report posts. The court suspended "
        "Kipande Hai, the new digital ID. Most reports concerned posts on Facebook, LINE and TikTok."
    )
    tech = texts(tag(nlp, text), "TECHNOLOGY")
    assert tech["Civic Lantern"].category == "apps_and_platforms", sorted(tech)
    assert tech["Kipande Hai"].category == "digital_identity"
    assert tech["LINE"].category == "apps_and_platforms"
    assert "Civic Lantern" not in texts(tag(nlp, text), "ACTOR")


def test_holidays_and_names_cut_before_a_particle_are_not_technologies(nlp: Language) -> None:
    text = "Drones flew over parties on Labor Day weekend. Schools in the Complexo da Maré favelas closed again."
    tech = texts(tag(nlp, text), "TECHNOLOGY")
    assert "Labor Day" not in tech and "Complexo da" not in tech, sorted(tech)
    assert "Drones" in tech


def test_photo_credit_lines_name_no_entity(nlp: Language) -> None:
    text = (
        "Court hears hacking claim\nBy Youssef Amrani\nPhoto credit: Samira Bennani / Maghreb Daily\n\n"
        "A court in Rabat heard the complaint."
    )
    entities = tag(nlp, text)
    assert not [e for e in entities if e.start < text.index("A court")], entities
    assert "Rabat" in texts(entities, "LOCATION")


def test_an_upper_case_dateline_is_a_location(nlp: Language) -> None:
    text = "CARACAS — Families in Petare say they lost their food bonuses."
    places = texts(tag(nlp, text), "LOCATION")
    assert places["CARACAS"].country == "VE", sorted(places)
    assert "CARACAS" not in texts(tag(nlp, text), "ACTOR")


def test_foreign_and_general_offices_are_whole_names(nlp: Language) -> None:
    text = (
        "His lawyer said the Directorate General for Territorial Surveillance was the client. The Fiscalía "
        "General de Justicia de la Ciudad de México requested footage, and the Rio de Janeiro State Public "
        "Defender's Office went to court."
    )
    actors = texts(tag(nlp, text), "ACTOR")
    for name in (
        "Directorate General for Territorial Surveillance",
        "Fiscalía General de Justicia de la Ciudad de México",
        "Rio de Janeiro State Public Defender's Office",
    ):
        assert name in actors, f"{name}: {sorted(actors)}"
