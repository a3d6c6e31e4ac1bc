"""Event patterns added for issue 9's recall pass, each on sentences we wrote (none from any evaluation text).

Clauses of purpose and manner share the subject, a rights group that speaks opposes the article's technology, an
order to stop (or a bar from) using restricts, opposing a vendor opposes what it supplies, a technology that is
only imitated is no object, a 'by' phrase of an infinitive is no agent; and the evaluator's containment match of
technology names. The dependency tests use the shipped survnews_syntax parser (skipped when it is absent).
"""

from __future__ import annotations

import pytest
from spacy.language import Language

from pipeline.components.canonical import surface_name
from pipeline.components.common import RESULT_KEY
from pipeline.evaluate_events import AliasTable, EventGoldDoc, score_events
from pipeline.records import Event
from pipeline.tag import doc_events


@pytest.fixture(scope="module")
def nlp(parsed_nlp: Language) -> Language:
    return parsed_nlp


def events(nlp: Language, text: str) -> list[Event]:
    return [e for e in doc_events(nlp(text)) if not e.negated]


def triples(nlp: Language, text: str) -> set[tuple[str, str, str]]:
    return {(e.actor, e.relation, e.object) for e in events(nlp, text)}


def by_relation(nlp: Language, text: str, relation: str) -> set[tuple[str, str]]:
    return {(e.actor, e.object) for e in events(nlp, text) if e.relation == relation}


# ---------------------------------------------------------------- shared subjects


def test_a_clause_of_purpose_shares_the_subject(nlp: Language) -> None:
    text = "The Ministry of Interior voted on Tuesday to ban facial recognition cameras in schools."
    assert ("Ministry of Interior", "facial recognition cameras") in by_relation(nlp, text, "restricts")


def test_a_clause_of_manner_shares_the_subject(nlp: Language) -> None:
    text = "The Ministry of Interior hacked the phones of three journalists using Pegasus."
    assert ("Ministry of Interior", "Pegasus") in by_relation(nlp, text, "uses")


def test_a_clause_of_its_own_does_not_share_the_subject(nlp: Language) -> None:
    text = "The Ministry of Interior resigned after Europol deployed drones over the city."
    assert ("Ministry of Interior", "drones") not in by_relation(nlp, text, "uses")


def test_a_by_phrase_of_an_infinitive_is_no_agent(nlp: Language) -> None:
    text = "The Ministry of Interior voted to ban the use of facial recognition cameras by private shops."
    found = by_relation(nlp, text, "restricts")
    assert ("Ministry of Interior", "facial recognition cameras") in found
    assert all(e.source != "dep:passive" for e in events(nlp, text))


# ---------------------------------------------------------------- rights groups that speak


FR_EVENT = "The Metropolitan Police deployed facial recognition cameras in Camden last week. "


def test_a_rights_group_that_speaks_opposes_the_articles_technology(nlp: Language) -> None:
    text = FR_EVENT + "Privacy International, the London charity, said the cameras had never been approved."
    found = [e for e in events(nlp, text) if e.relation == "opposes"]
    assert [(e.actor, e.object, e.source) for e in found] == [
        ("Privacy International", "facial recognition cameras", "rule:spokesperson")
    ]


def test_a_rights_group_quoted_after_its_words_opposes(nlp: Language) -> None:
    text = FR_EVENT + '"Nobody asked the residents," said Privacy International.'
    assert ("Privacy International", "facial recognition cameras") in by_relation(nlp, text, "opposes")


def test_a_person_speaking_for_a_rights_group_opposes(nlp: Language) -> None:
    text = FR_EVENT + '"This is mass surveillance," said Maria Lopez, a researcher at Privacy International.'
    assert ("Maria Lopez", "facial recognition cameras") in by_relation(nlp, text, "opposes")


def test_a_company_or_agency_that_speaks_opposes_nothing(nlp: Language) -> None:
    text = FR_EVENT + "Palantir said the cameras were accurate. The Home Office said the trial would continue."
    assert by_relation(nlp, text, "opposes") == set()


def test_a_rights_group_speaking_with_no_technology_opposes_nothing(nlp: Language) -> None:
    assert by_relation(nlp, "Privacy International said the weather was fine.", "opposes") == set()


# ---------------------------------------------------------------- orders, bars, vendors


def test_an_order_to_stop_using_restricts_and_keeps_the_institutions_name(nlp: Language) -> None:
    text = "The Information Commissioner's Office ordered Serco to stop using facial recognition cameras."
    found = events(nlp, text)
    assert ("Information Commissioner's Office", "restricts", "facial recognition cameras") in {
        (e.actor, e.relation, e.object) for e in found
    }
    assert not any(e.relation == "acquires" for e in found)  # "ordered ... to" is a command, not a purchase
    assert surface_name("Information Commissioner's Office") == "Information Commissioner's Office"
    assert surface_name("Tencent's WeChat") == "WeChat"


def test_a_bar_from_using_restricts(nlp: Language) -> None:
    text = "The European Commission barred Frontex from using the drones."
    assert by_relation(nlp, text, "restricts") == {("European Commission", "drones")}
    assert by_relation(nlp, text, "uses") == set()


def test_suing_a_vendor_opposes_what_it_supplies(nlp: Language) -> None:
    text = "Clearview AI sells facial recognition software to police forces. Privacy International sued Clearview AI."
    assert ("Privacy International", "facial recognition software") in by_relation(nlp, text, "opposes")
    alone = "Privacy International sued Clearview AI."  # nothing says what it supplies
    assert by_relation(nlp, alone, "opposes") == set()


# ---------------------------------------------------------------- objects and actors


def test_a_technology_that_is_only_imitated_is_no_object(nlp: Language) -> None:
    text = "Kenyan police deployed devices that mimic mobile phone towers during the protests in Nairobi."
    doc = nlp(text)
    if not any(s.label_ == "TECHNOLOGY" and "towers" in s.text for s in doc.spans[RESULT_KEY]):
        pytest.skip("the tagger does not tag 'mobile phone towers' as a technology: nothing to guard against")
    assert not any("towers" in e.object for e in doc_events(doc))


def test_a_generic_actor_takes_the_place_it_belongs_to_not_where_it_acts(nlp: Language) -> None:
    assert ("Manchester police", "drones") in by_relation(nlp, "Police in Manchester deployed drones.", "uses")
    over = by_relation(nlp, "The drones were flown by police over Manchester at night.", "uses")
    assert not any(actor == "Manchester police" for actor, _ in over)


# ---------------------------------------------------------------- the evaluator's containment match


def test_technology_names_match_gold_by_whole_word_containment() -> None:
    table = AliasTable({"facial recognition": [], "VPN": [], "mobile phone": []}, [])
    assert table("live facial recognition", technology=True) == "facial recognition"
    assert table("facial recognition vans", technology=True) == "facial recognition"
    assert table("VPN services", technology=True) == "vpn"  # an acronym is specific enough
    assert table("recognition", technology=True) == "recognition"  # one plain word is not
    assert table("facial recognition", technology=False) == "facial recognition"
    assert table("live facial recognition") == "live facial recognition"  # actors: exact names only
    # the longest contained gold name wins; a tie between two gold entities matches neither
    assert table("mobile phone facial recognition", technology=True) == "mobile phone facial recognition"
    longer = AliasTable({"facial recognition": [], "live facial recognition van": []}, [])
    assert longer("live facial recognition vans", technology=True) == "live facial recognition van"


def test_containment_scores_a_longer_predicted_span_as_the_gold_technology() -> None:
    gold = EventGoldDoc(
        "d", "text", {}, [{"actor": "Metropolitan Police", "relation": "uses", "object": "facial recognition"}]
    )

    def event(obj: str) -> Event:
        return Event(
            relation="uses",
            actor_id="a",
            actor="Metropolitan Police",
            object_id="t",
            object=obj,
            object_label="TECHNOLOGY",
            start=0,
            end=4,
            evidence="text",
            source="test",
        )

    hit = score_events([gold], [[event("live facial recognition")]]).relations["ALL"]
    assert (hit.tp, hit.fp, hit.fn) == (1, 0, 0)
    miss = score_events([gold], [[event("mobile phone towers")]]).relations["ALL"]
    assert (miss.tp, miss.fp, miss.fn) == (0, 1, 1)


# ---------------------------------------------------------------- instruments, spending, contracts


def test_a_targeting_verbs_instrument_is_used(nlp: Language) -> None:
    found = triples(nlp, "The Ministry of Interior tracked Amnesty International with spyware.")
    assert ("Ministry of Interior", "targets", "Amnesty International") in found
    assert ("Ministry of Interior", "uses", "spyware") in found
    helped = by_relation(nlp, "Police in Nairobi tracked protesters with the help of IMSI catchers.", "uses")
    assert helped == {("Nairobi police", "IMSI catchers")}


def test_spending_on_a_technology_acquires_it_even_when_on_hangs_on_the_amount(nlp: Language) -> None:
    text = "The Australian Federal Police spent $2 million on phone extraction tools."
    # the tagger names the technique without its generic head ("tools"): the relation is the point here
    acquired = by_relation(nlp, text, "acquires")
    assert any(a == "Australian Federal Police" and o.startswith("phone extraction") for a, o in acquired), acquired


@pytest.mark.parametrize(
    "text",
    [
        "The Home Office signed a contract with Palantir for facial recognition software.",
        "The Home Office awarded a contract to Palantir for facial recognition software.",
    ],
)
def test_a_contract_makes_a_buyer_and_a_supplier(nlp: Language, text: str) -> None:
    found = triples(nlp, text)
    assert ("Home Office", "acquires", "facial recognition software") in found
    assert ("Palantir", "supplies", "facial recognition software") in found


def test_a_contract_without_a_technology_or_one_denied_makes_no_fact(nlp: Language) -> None:
    assert triples(nlp, "The Home Office signed a contract with Palantir last year.") == set()
    denied = "The Home Office did not sign a contract with Palantir for facial recognition software."
    assert not any(e.relation == "acquires" for e in events(nlp, denied))


# ---------------------------------------------------------------- companies named by what they make


@pytest.mark.parametrize(
    "text",
    [
        "The Israeli spyware maker NSO Group denied the claims.",
        "NSO Group, an Israeli spyware vendor, denied the claims.",
    ],
)
def test_a_company_described_by_a_technology_supplies_it(nlp: Language, text: str) -> None:
    found = [e for e in events(nlp, text) if e.relation == "supplies"]
    assert [(e.actor, e.object, e.source) for e in found] == [("NSO Group", "spyware", "rule:descriptor")]


def test_a_rights_group_described_by_a_technology_supplies_nothing(nlp: Language) -> None:
    text = "Amnesty International, a spyware research group, published the findings."
    assert by_relation(nlp, text, "supplies") == set()


# ---------------------------------------------------------------- rulings


def test_an_authority_ruling_a_technology_unlawful_restricts_it(nlp: Language) -> None:
    text = "The Court of Appeal ruled that the use of facial recognition by South Wales Police was unlawful."
    assert ("Court of Appeal", "facial recognition") in by_relation(nlp, text, "restricts")
    cleared = "The Court of Appeal ruled that the use of facial recognition by South Wales Police was not unlawful."
    assert by_relation(nlp, cleared, "restricts") == set()  # negated


def test_a_rights_group_finding_a_technology_illegal_restricts_nothing(nlp: Language) -> None:
    assert by_relation(nlp, "Amnesty International found that the spyware was illegal.", "restricts") == set()


def test_criticism_from_a_group_opposes_what_drew_it(nlp: Language) -> None:
    text = "The facial recognition cameras have faced criticism from Privacy International."
    assert by_relation(nlp, text, "opposes") == {("Privacy International", "facial recognition cameras")}
    topic = FR_EVENT + "The rollout drew criticism from Privacy International."
    assert ("Privacy International", "facial recognition cameras") in by_relation(nlp, topic, "opposes")
    agency = "The Home Office received complaints from Privacy International."  # no technology drew them
    assert by_relation(nlp, agency, "opposes") == set()
