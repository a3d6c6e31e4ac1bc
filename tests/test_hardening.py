"""Hardening: each class of hostile or unlucky input found in issue #14 gets a test of its own."""

from __future__ import annotations

import pytest
from spacy.language import Language
from spacy.tokens import Doc

from pipeline.tag import TagFailure, load_tagger, split_for_tagging, tag_texts_with_events


@pytest.fixture(scope="module")
def rules_nlp() -> Language:
    return load_tagger("blank")


# bug 1: long texts ------------------------------------------------------------------------------------------------


def test_split_for_tagging_covers_the_text_exactly_at_paragraph_boundaries() -> None:
    text = "\n\n".join(f"Paragraph {i} about facial recognition." for i in range(500))
    pieces = split_for_tagging(text, limit=1_000)
    assert "".join(piece for _, piece in pieces) == text
    assert all(len(piece) <= 1_000 for _, piece in pieces)
    assert all(text[offset : offset + len(piece)] == piece for offset, piece in pieces)
    assert all(piece.endswith("\n\n") for _, piece in pieces[:-1])
    assert split_for_tagging("x" * 2_500, limit=1_000)[-1] == (2_000, "x" * 500)  # no boundary: a hard cut


def test_a_text_over_max_length_is_tagged_in_pieces_with_exact_offsets(rules_nlp: Language) -> None:
    text = "Headline\n\n" + "\n\n".join(f"Police used facial recognition in case {i}." for i in range(3_000))
    old = rules_nlp.max_length
    rules_nlp.max_length = 20_000  # the text is seven times longer: spaCy alone would raise E088
    try:
        [result] = list(tag_texts_with_events(rules_nlp, [text]))
    finally:
        rules_nlp.max_length = old
    assert not isinstance(result, TagFailure)
    entities, _events = result
    technologies = [e for e in entities if e.label == "TECHNOLOGY"]
    assert len(technologies) == 3_000
    assert all(text[e.start : e.end] == e.text for e in entities)


def test_one_failing_text_never_stops_the_others(rules_nlp: Language) -> None:
    nlp = load_tagger("blank")

    @Language.component("survnews_test_explodes")
    def explodes(doc: Doc) -> Doc:
        if "EXPLODE" in doc.text:
            raise RuntimeError("component failed on this text")
        return doc

    nlp.add_pipe("survnews_test_explodes", first=True)
    texts = ["Spyware in Mexico.", "EXPLODE here", "Drones over Paris.", "EXPLODE again", "CCTV in Oslo."]
    results = list(tag_texts_with_events(nlp, texts, batch_size=2))
    assert len(results) == len(texts)
    assert [isinstance(r, TagFailure) for r in results] == [False, True, False, True, False]
    failure = results[1]
    assert isinstance(failure, TagFailure) and "component failed on this text" in failure.reason
    found = [sorted(e.text for e in r[0]) for r in results if not isinstance(r, TagFailure)]
    assert found == [["Mexico", "Spyware"], ["Drones", "Paris"], ["CCTV", "Oslo"]]
