"""The relevance score: surveillance stories high, other news low, on texts we wrote."""

from __future__ import annotations

import time

from pipeline.relevance import relevance_score
from tests.conftest import SAMPLES

SURVEILLANCE = (
    "City officials in Valdoria confirmed that police have installed 400 facial recognition cameras along the "
    "waterfront, linked to a licence plate reader network and a new real-time crime center. Privacy groups said "
    "the surveillance system was bought without public consultation, and that footage is kept for two years. "
    "A spokesperson said the data would only be used to track suspects."
)
SPORTS = (
    "The home side scored twice in the last ten minutes to win the derby. The striker, who joined in the summer, "
    "curled a free kick over the wall before a late header sealed the points. The coach praised the fans and said "
    "the squad would rest before the cup tie on Sunday."
)
PASSING_MENTION = (
    "The festival drew record crowds this year, with food stalls, three stages and fireworks over the river. "
    "Organisers said a drone show closed the night. Tickets for next year go on sale in March, and the line-up "
    "will be announced in the spring. Local hotels reported full bookings for the whole weekend. " * 3
)


def test_surveillance_story_scores_high_and_sports_low() -> None:
    assert relevance_score(SURVEILLANCE) >= 0.8
    assert relevance_score(SPORTS) <= 0.05


def test_a_passing_mention_in_a_long_text_stays_below_the_default_threshold() -> None:
    assert 0.0 < relevance_score(PASSING_MENTION) < 0.3


def test_title_counts() -> None:
    body = "The council met on Tuesday and discussed the budget for next year."
    assert relevance_score(body, title="Council approves spyware contract and phone tracking") > relevance_score(body)


def test_empty_and_whitespace_texts_score_zero() -> None:
    assert relevance_score("") == 0.0
    assert relevance_score("   \n ") == 0.0


def test_score_is_bounded_and_fast() -> None:
    text = SURVEILLANCE * 50
    started = time.perf_counter()
    scores = [relevance_score(text) for _ in range(20)]
    assert all(0.0 <= s <= 1.0 for s in scores)
    assert time.perf_counter() - started < 5.0


def test_trie_pattern_matches_exactly_what_the_flat_alternation_matched() -> None:
    """The speed-up changes no match: same spans as the longest-first flat list it replaced."""
    import re

    from pipeline.relevance import _alternation

    terms = ["facial recognition", "facial recognition technology", "face-id", "face", "CCTV", "cctv camera", "ALPR"]
    flat_body = "|".join(re.escape(t).replace(r"\ ", r"[\s-]+") for t in sorted(set(terms), key=len, reverse=True))
    texts = [
        "Facial  recognition technology and facial-recognition; face-id, FACE ID, faces, face. cctv-camera CCTV",
        "non-facial recognition, xCCTV, CCTV-cameras, alpr ALPR, facial\nrecognition\ttechnology-x",
        *[p.read_text(encoding="utf-8") for p in sorted((SAMPLES / "text").glob("*.txt"))],
    ]
    for flags in (0, re.IGNORECASE):
        flat = re.compile(rf"(?<![\w-])(?:{flat_body})(?![\w-])", flags)
        trie = _alternation(terms, flags)
        for text in texts:
            assert [m.span() for m in trie.finditer(text)] == [m.span() for m in flat.finditer(text)]


def test_topic_prefilter_finds_what_can_make_a_page_relevant() -> None:
    from pipeline.relevance import topic_prefilter

    banner = "We use cookies for tracking. Read our privacy policy."
    assert topic_prefilter().search(banner)  # strong context words count by default
    assert not topic_prefilter(with_context=False).search(banner)
    assert topic_prefilter(with_context=False).search("<p>Police bought FACIAL RECOGNITION cameras</p>")
    assert not topic_prefilter().search(SPORTS)
    assert relevance_score(SURVEILLANCE) >= 0.3 and topic_prefilter().search(SURVEILLANCE)
