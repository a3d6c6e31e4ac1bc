"""Identity and syndication: a shared canonical URL never merges distinct stories; the original is the record
and every copy is listed in ``also_published_at`` with its URL, publisher and date, whatever the reading order."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from pipeline.config import Settings
from pipeline.run import ingest_paths
from pipeline.store import Store

HTML = Path(__file__).resolve().parents[1] / "corpus" / "samples" / "html"


def with_canonical(source: Path, target: Path, canonical: str) -> Path:
    html = source.read_text(encoding="utf-8")
    html = re.sub(r'(<link rel="canonical" href=")[^"]+', rf"\g<1>{canonical}", html)
    html = re.sub(r'(og:url" content=")[^"]+', rf"\g<1>{canonical}", html)
    html = re.sub(r'("@id": ")[^"]+', rf"\g<1>{canonical}", html)
    target.write_text(html, encoding="utf-8")
    return target


def test_pages_sharing_a_canonical_url_stay_distinct_records(settings: Settings, tmp_path: Path) -> None:
    pages = tmp_path / "pages"
    pages.mkdir()
    homepage = "https://news.example/"  # a template's fixed canonical / og:url
    with_canonical(HTML / "met-police-facial-recognition-croydon.html", pages / "a.html", homepage)
    with_canonical(HTML / "delhi-journalists-pegasus-forensics.html", pages / "b.html", homepage)
    with Store(settings.store.path) as store:
        summary = ingest_paths(store, [pages], settings)
        assert (summary.accepted, summary.duplicates) == (2, 0)
        records = list(store.articles())
        assert len(records) == 2 and len({r.id for r in records}) == 2
        assert {r.title is not None for r in records} == {True}
        # the same page read again (or edited in place) is still one record each, not a third
        ingest_paths(store, [pages], settings)
        assert store.count_articles() == 2
        edited = (pages / "a.html").read_text(encoding="utf-8").replace("Croydon", "Croydon town", 1)
        (pages / "a.html").write_text(edited, encoding="utf-8")
        ingest_paths(store, [pages / "a.html"], settings)
        assert store.count_articles() == 2
        # a true duplicate under another canonical URL is a copy, not a record
        copy = with_canonical(HTML / "delhi-journalists-pegasus-forensics.html", pages / "c.html", homepage + "c")
        html = copy.read_text(encoding="utf-8").replace("</title>", " (mirror)</title>")
        copy.write_text(html, encoding="utf-8")
        summary = ingest_paths(store, [copy], settings)
        assert summary.duplicates == 1 and store.count_articles() == 2
        copies = [c for r in store.articles() for c in r.also_published_at]
        assert [c.url for c in copies] == [homepage + "c"]
        # the original edited in place keeps its copies
        original = next(r for r in store.articles() if r.also_published_at)
        source = next(p for p in (pages / "a.html", pages / "b.html") if str(p) == original.source_path)
        source.write_text(source.read_text(encoding="utf-8").replace("</p>", " Updated.</p>", 1), encoding="utf-8")
        ingest_paths(store, [source], settings)
        assert [c.url for r in store.articles() for c in r.also_published_at] == [homepage + "c"]


def test_the_original_is_the_record_whatever_the_reading_order(settings: Settings, tmp_path: Path) -> None:
    reprint = tmp_path / "first" / "kenya-phone-tracking-reprint.html"
    reprint.parent.mkdir()
    shutil.copy(HTML / "kenya-phone-tracking-reprint.html", reprint)
    with Store(settings.store.path) as store:
        ingest_paths(store, [reprint], settings)  # the reprint is read first
        [only] = list(store.articles())
        assert only.publisher == "Pan-African Digest"
        summary = ingest_paths(store, [HTML / "nairobi-protests-imsi-catchers.html"], settings)
        assert summary.duplicates == 1
        [record] = list(store.articles())
    assert record.publisher == "The Savannah Herald" and record.published == "2024-07-03"
    assert [(c.url, c.publisher, c.published) for c in record.also_published_at] == [
        (
            "https://panafricandigest.com/east-africa/kenya-police-phone-tracking-devices-protests",
            "Pan-African Digest",
            "2024-07-04",
        )
    ]
    with Store(settings.store.path) as store:  # the replaced copy's raw input is now a duplicate
        statuses = sorted(r[0] for r in store.db.execute("SELECT status FROM raw"))
    assert statuses == ["duplicate", "extracted"]
