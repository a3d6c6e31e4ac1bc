"""The two seed articles (raw copied-text dumps in ../shared/seeds) through the whole pipeline."""

from __future__ import annotations

import pytest

from pipeline.config import Settings
from pipeline.records import Article
from pipeline.run import run_all
from pipeline.store import Store
from tests.conftest import shared_or_skip


@pytest.fixture(scope="module")
def seed_articles(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Article]:
    seeds = shared_or_skip("seeds")
    tmp = tmp_path_factory.mktemp("seeds")
    settings = Settings()
    settings.store.path = tmp / "store.sqlite"
    settings.publish.out = tmp / "releases"
    settings.ingest.paths = [seeds]
    summary = run_all(settings, publish_release=False)
    assert summary.ingest.accepted == 2, summary.rejects
    with Store(settings.store.path) as store:
        by_title = {a.title or "": a for a in store.articles(relevant_only=True)}
    assert len(by_title) == 2
    return by_title


def one(articles: dict[str, Article], title_start: str) -> Article:
    matches = [a for t, a in articles.items() if t.startswith(title_start)]
    assert len(matches) == 1, list(articles)
    return matches[0]


def test_titles(seed_articles: dict[str, Article]) -> None:
    assert set(seed_articles) == {
        "Chinese authorities track people’s phones as some return to work",
        "Chinese police use cellphone data to track protesters",
    }


def test_boilerplate_is_gone(seed_articles: dict[str, Article]) -> None:
    for article in seed_articles.values():
        text = article.text
        assert "Telegram channel" not in text  # promo line
        assert "Leave a Comment" not in text and "Required fields are marked" not in text  # comment footer
        assert "#" not in text  # hashtag line
        assert "(Dreamstime)" not in text and "Miami-Dade" not in text  # photo caption from another story
        assert "originally published by" not in text
        assert "Police form a cordon during a protest" not in text  # photo caption
        assert not text.startswith(article.title or "\0")  # repeated title
        assert "| CNN" not in text


def test_first_seed_metadata(seed_articles: dict[str, Article]) -> None:
    article = one(seed_articles, "Chinese authorities track")
    assert article.published == "2020-03-04"
    assert article.original_publisher == "Radio Free Asia"
    assert article.text.startswith("Authorities in China are using big data")
    assert article.text.rstrip().endswith("in Qiaokou district yet.”")


def test_seed_entities(seed_articles: dict[str, Article]) -> None:
    found: dict[str, set[str]] = {"ACTOR": set(), "TECHNOLOGY": set(), "LOCATION": set()}
    countries: dict[str, str | None] = {}
    for article in seed_articles.values():
        for entity in article.entities:
            found[entity.label].add(entity.text.lower())
            if entity.label == "LOCATION":
                countries[entity.text] = entity.country
    for place in ("Beijing", "Shanghai", "Wuhan", "Jiangxi"):
        assert place.lower() in found["LOCATION"], found["LOCATION"]
        assert countries[place] == "CN"
    for tech in ("facial recognition", "qr code", "vpn"):
        assert any(tech in t for t in found["TECHNOLOGY"]), (tech, found["TECHNOLOGY"])
    for actor in ("Tencent", "China Mobile", "Human Rights Watch", "Beijing Municipal Public Security Bureau"):
        assert actor.lower() in found["ACTOR"], (actor, found["ACTOR"])
