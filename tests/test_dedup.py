"""Dedup: exact copies and syndicated near-copies become one record."""

from __future__ import annotations

from pathlib import Path

from pipeline.dedup import NearDuplicateIndex, normalized_text_hash, shingles
from pipeline.records import Article, Provenance
from pipeline.store import Store

STORY = (
    "The city council in Leeds voted on Tuesday to suspend a pilot of live facial recognition cameras in the "
    "city centre after campaigners said the system misidentified shoppers. The police force had installed six "
    "cameras on poles near the market and said the trial would help find wanted people. Councillors asked for "
    "an independent review of accuracy and of how long images are kept, and for public notices at every camera. "
    "A spokesperson for the force said it would cooperate with the review and publish its data protection "
    "impact assessment within a month."
)


def add(store: Store, article_id: str, text: str) -> None:
    article = Article(
        id=article_id,
        url=None,
        source_path=None,
        title=None,
        authors=[],
        published=None,
        publisher=None,
        original_publisher=None,
        language="en",
        text=text,
        relevance=1.0,
        relevant=True,
        entities=[],
        provenance=Provenance(retrieved_at="2024-01-01T00:00:00Z", sha256="0" * 64, pipeline_version="test"),
    )
    store.upsert_article(article, "0" * 64, normalized_text_hash(text))


def test_exact_hash_ignores_case_punctuation_and_spacing() -> None:
    assert normalized_text_hash("Hello,  World!\n") == normalized_text_hash("hello world")
    assert normalized_text_hash("hello world") != normalized_text_hash("hello there world")


def test_near_duplicate_found_and_survives_reopening(tmp_path: Path) -> None:
    with Store(tmp_path / "s.sqlite") as store:
        index = NearDuplicateIndex(store, threshold=0.8, num_perm=128)
        add(store, "a" * 16, STORY)
        index.add("a" * 16, STORY)
        reprint = "This story first appeared in the Yorkshire Courier. " + STORY.replace("Tuesday", "Tuesday,")
        assert index.query(reprint) == "a" * 16
        assert index.query("A recipe for lemon cake with flour, sugar, eggs and butter, baked for an hour.") is None
    with Store(tmp_path / "s.sqlite") as store:
        reopened = NearDuplicateIndex(store, threshold=0.8, num_perm=128)
        assert reopened.query(reprint) == "a" * 16
        assert reopened.query(reprint, exclude="a" * 16) is None


def test_signatures_bands_and_queries_equal_datasketch() -> None:
    """MinHash and LSH computed with numpy are datasketch's, value for value and match for match."""
    import random

    from datasketch import MinHash, MinHashLSH
    from datasketch.lsh import _optimal_param

    from pipeline.dedup import BandIndex, lsh_params, minhash_signature, signature_from_bytes

    long = " ".join(f"w{i % 4000}" for i in range(9000))  # more shingles than one chunk
    texts = [STORY, STORY.upper() + " and more", "", "one two", "x " * 5000, long, "naïve café – 監視 カメラ " * 50]
    for num_perm in (1, 64, 128, 256):
        for text in texts:
            reference = MinHash(num_perm=num_perm)
            reference.update_batch([s.encode("utf-8") for s in shingles(text)])
            blob, scheme = minhash_signature(text, num_perm)
            assert scheme == reference.scheme
            assert blob == reference.hashvalues.astype("uint64").tobytes(), (num_perm, text[:30])
    for num_perm in (32, 128):
        for threshold in (0.5, 0.7, 0.8, 0.9):
            assert lsh_params(threshold, num_perm) == _optimal_param(threshold, num_perm, 0.5, 0.5)
    # near copies of a few stories (words swapped at random): both indexes find the same ones
    rng = random.Random(7)
    words = STORY.split()
    stories = [" ".join(rng.sample(words, len(words))) for _ in range(8)]
    texts = [t if rng.random() < 0.5 else t.replace(rng.choice(words), "changed", 2) for t in stories * 4]
    ours, theirs = BandIndex(0.8, 128), MinHashLSH(threshold=0.8, num_perm=128)
    for n, text in enumerate(texts):
        blob, scheme = minhash_signature(text, 128)
        mine = signature_from_bytes(blob, 128, scheme)
        reference = MinHash(num_perm=128, hashvalues=mine.hashvalues, scheme=scheme)
        assert ours.query(mine) == set(theirs.query(reference))
        if n % 5 == 3 and f"t{n - 1}" in ours:
            ours.remove(f"t{n - 1}")
            theirs.remove(f"t{n - 1}")
        ours.insert(f"t{n}", mine)
        theirs.insert(f"t{n}", reference)
    found = [ours.query(signature_from_bytes(minhash_signature(t, 128)[0], 128, "affine32")) for t in texts]
    assert any(len(matches) > 1 for matches in found)  # the test did see near copies
