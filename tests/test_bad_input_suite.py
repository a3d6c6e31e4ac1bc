"""The bad-input suite: every kind of hostile or unlucky input is either a record or a one-line reject.

All the input kinds are written into one folder and ingested once (module fixture), in process and through the
CLI; then one parametrised test per kind checks what became of its item. A property test (hypothesis) throws
random file names, bytes and config values at the same code.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import random
import subprocess
import sys
import tomllib
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from pipeline.config import Settings, load_settings
from pipeline.errors import ConfigError
from pipeline.ingest import printable_path
from pipeline.run import ingest_paths
from pipeline.store import Store, StoreError

MAX_BYTES = 200_000  # small, so the "too large" kinds stay small files
ANY = "<record or reject>"
WORDS_TEXT = """police ministry council army agency court company ministry regulator union cameras drones spyware
scanners trackers databases apps towers sensors readers market station airport campus harbour border stadium clinic
bridge village monday tuesday wednesday thursday friday quietly openly secretly briefly widely"""
WORDS = WORDS_TEXT.split()


def article(seed: str) -> str:
    """A surveillance story whose words depend on ``seed``: distinct kinds are never near duplicates."""
    rng = random.Random(seed)
    sentences = []
    for _ in range(14):
        words = rng.sample(WORDS, 9)
        sentences.append(
            f"The {words[0]} in {seed} {words[1]} used facial recognition {words[2]} near the {words[3]} and "
            f"{words[4]} {words[5]} {words[6]}, {words[7]} officials said {words[8]}."
        )
    return " ".join(sentences)


def html_page(seed: str, head: str = "") -> str:
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'>{head}<title>Cameras in {seed}</title></head><body>"
        f"<article><h1>Cameras in {seed}</h1><p>{article(seed)}</p><p>{article(seed + '2')}</p></article></body></html>"
    )


def text_dump(seed: str, published: str = "March 3, 2024") -> str:
    return f"Cameras in {seed}\n\nBy Ada Obi\n\nPublished {published}\n\n{article(seed)}\n\n{article(seed + '2')}\n"


ARTICLE = article("Lagos")
HTML_PAGE = html_page("Lagos")
TEXT_DUMP = text_dump("Lagos")


def survnews(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pipeline.cli", *args], cwd=cwd, capture_output=True, text=True, timeout=600
    )


def _warc(records: list[tuple[str, bytes, str]], *, gzipped: bool = True) -> bytes:
    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=gzipped)
    for url, body, content_type in records:
        headers = StatusAndHeaders("200 OK", [("Content-Type", content_type)], protocol="HTTP/1.1")
        writer.write_record(writer.create_warc_record(url, "response", payload=io.BytesIO(body), http_headers=headers))
    return buffer.getvalue()


def _damaged_warc() -> bytes:
    pages = [(f"https://n.example/{n}", html_page(f"Town{n}").encode(), "text/html") for n in "abc"]
    data = bytearray(_warc(pages, gzipped=False))
    middle = data.find(b"https://n.example/b")
    data[middle : middle + 60] = bytes(range(160, 220))
    return bytes(data)


def _gzip_bomb() -> bytes:
    return gzip.compress(b"<html><body><p>" + b"a" * (MAX_BYTES * 4) + b"</p></body></html>")


@dataclass
class Kind:
    """One kind of input: how to make it, and what must become of it."""

    name: str  # file name (str, or bytes for names that are not UTF-8)
    make: Callable[[Path], None]
    reject: str | None = None  # a word the one-line reason must contain; None: a record; ANY: either
    check: Callable[[dict[str, Any]], bool] | None = None  # for records: a property the record must have
    key: str | None = None  # the item its outcome is recorded under, when not the file (a record inside a WARC)


def write(data: bytes | str) -> Callable[[Path], None]:
    def make(path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)

    return make


def fifo(path: Path) -> None:
    os.mkfifo(path)


def symlink_to(target: str) -> Callable[[Path], None]:
    def make(path: Path) -> None:
        path.symlink_to(path.parent / target)

    return make


def empty_folder(path: Path) -> None:
    path.mkdir()
    (path / "notes.docx").write_bytes(b"PK\x03\x04")


def published_is(value: str | None) -> Callable[[dict[str, Any]], bool]:
    return lambda record: record["published"] == value


def text_has(part: str) -> Callable[[dict[str, Any]], bool]:
    return lambda record: part in record["text"] and "\ufffd" not in record["text"]


CP1252_PAGE = html_page("Malmö").replace("officials said", "officials said – “naïve” café")
NESTED = "<div>" * 5000 + f"<p>{ARTICLE}</p>" + "</div>" * 5000
KINDS = [
    Kind("empty.txt", write(b""), "empty"),
    Kind("whitespace.txt", write(b" \n\t\r\n  \n"), "empty"),
    Kind("bom-only.txt", write(b"\xef\xbb\xbf"), "no text"),
    Kind("controls-only.txt", write("\u200b\u200d\ufeff\u2060" * 50), "no text"),
    Kind("random-binary.html", write(bytes(range(256)) * 64), "binary"),
    Kind("nul-bytes.txt", write(b"abc\x00def\x00" * 100), "binary"),
    Kind("pdf-named.html", write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + bytes(range(256)) * 8), "binary"),
    Kind("png-named.html", write(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8), "binary"),
    Kind("latin1.txt", write(text_dump("München").encode("latin-1")), "UTF-8"),
    Kind("huge.txt", write(b"surveillance camera " * 20_000), "limit"),
    Kind("huge.html", write(b"<html><body>" + b"<p>x</p>" * 40_000 + b"</body></html>"), "limit"),
    Kind(
        "nav-only.html",
        write("<html><body><nav><a href='/'>Home</a></nav><footer>(c)</footer></body></html>"),
        "article",
    ),
    Kind("script-only.html", write("<html><head><script>" + "var a=1;" * 500 + "</script></head></html>"), "article"),
    Kind("tiny.html", write("<html><body><p>Hi.</p></body></html>"), "article"),
    Kind("deeply-nested.html", write(NESTED), ANY),
    Kind("truncated.html.gz", write(gzip.compress(html_page("Oyo").encode())[:200]), "cut off"),
    Kind("not-gzip.html.gz", write(b"this is not gzip at all, although it says so"), "gzip"),
    Kind("gzip-bomb.html.gz", write(_gzip_bomb()), "limit"),
    Kind("good.html.gz", write(gzip.compress(HTML_PAGE.encode()))),
    Kind("named-pipe.html", fifo, "pipe"),
    Kind("named-pipe.warc", fifo, "pipe"),
    Kind("broken-link.html", symlink_to("nowhere.html"), "no such file"),
    Kind("empty-folder", empty_folder, "folder"),
    Kind("missing.html", lambda path: None, "no such file"),
    Kind(b"not-utf8-\xff\xfe.txt", write(text_dump("Kano"))),
    Kind("markup-[b]x[/b]-[red].txt", write(text_dump("Jos"))),
    Kind("forged\nrejected [read] x: ok\x1b[31m.txt", write(b""), "empty"),
    Kind("bidi-\u202egnp.txt", write(b""), "empty"),
    Kind("utf16.html", write(html_page("Abuja").encode("utf-16")), check=text_has("Abuja")),
    Kind(
        "utf16-be.html",
        write(b"\xfe\xff" + html_page("Ibadan").encode("utf-16-be")),
        check=text_has("Ibadan"),
    ),
    Kind("utf16.txt", write(text_dump("Enugu").encode("utf-16")), check=text_has("Enugu")),
    Kind(
        "cr-only.txt",
        write(text_dump("Kaduna").replace("\n", "\r")),
        check=lambda r: r["title"] == "Cameras in Kaduna" and r["published"] == "2024-03-03",
    ),
    Kind(
        "crlf.txt",
        write(text_dump("Zaria").replace("\n", "\r\n")),
        check=lambda r: r["title"] == "Cameras in Zaria",
    ),
    Kind("cp1252-declared-utf8.html", write(CP1252_PAGE.encode("cp1252")), check=text_has("Malmö")),
    Kind(
        "impossible-date.html",
        write(
            html_page("Warri").replace(
                "<title>", "<meta property='article:published_time' content='2023-02-30T10:00:00Z'><title>"
            )
        ),
        check=published_is(None),
    ),
    Kind("future-date.txt", write(text_dump("Aba", published="March 3, 2091")), check=published_is(None)),
    Kind("one-huge-line.txt", write(("Police cameras in Yola watch the market. " * 3000).encode())),
    Kind(
        "xml-bomb.html",
        write(
            '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
            f"<html><body><p>&lol2; {ARTICLE}</p></body></html>"
        ),
        ANY,
    ),
    Kind("rss-as-html.html", write("<?xml version='1.0'?><rss><channel><title>x</title></channel></rss>"), "HTML"),
    Kind("empty.warc", write(b""), "empty"),
    Kind("not-a-warc.warc.gz", write(gzip.compress(b"hello, not a warc")), "not a WARC"),
    Kind("no-html.warc.gz", write(_warc([("https://n.example/x.png", b"\x89PNG", "image/png")])), "no HTML"),
    Kind("damaged.warc", write(_damaged_warc()), "damaged", key="{path}#2"),
    Kind(
        "cut-off.warc.gz",
        write(_warc([("https://n.example/cut", html_page("Ede").encode(), "text/html")])[:-120]),
        "cut off",
        key="https://n.example/cut",
    ),
]


def kind_path(folder: Path, kind: Kind) -> Path:
    name = os.fsdecode(kind.name) if isinstance(kind.name, bytes) else kind.name
    return folder / name


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("bad")
    for kind in KINDS:
        kind.make(kind_path(folder, kind))
    damaged_urls = ["https://n.example/a", "https://n.example/c"]
    settings = Settings()
    settings.store.path = folder.parent / "bad-store.sqlite"
    settings.ingest.max_bytes = MAX_BYTES
    settings.ingest.extract_timeout_s = 20
    paths = [kind_path(folder, kind) for kind in KINDS]
    with Store(settings.store.path) as store:
        summary = ingest_paths(store, paths, settings)
        rejects = {row["item"]: row for row in store.rejects()}
        records = {}
        for article in store.articles():
            record = article.to_dict()
            records[record["source_path"] or record["url"]] = record
    config = folder.parent / "survnews.toml"
    config.write_text(f'[store]\npath = "cli-store.sqlite"\n[ingest]\nmax_bytes = {MAX_BYTES}\n', encoding="utf-8")
    cli = survnews("ingest", "--config", str(config), "--json", *map(str, paths), cwd=folder.parent)
    listing = survnews("rejects", "--config", str(config), cwd=folder.parent)
    strict = survnews("ingest", "--config", str(config), "--strict", str(paths[0]), cwd=folder.parent)
    return {
        "folder": folder,
        "summary": summary,
        "rejects": rejects,
        "records": records,
        "cli": cli,
        "listing": listing,
        "strict": strict,
        "damaged_urls": damaged_urls,
    }


def test_there_are_at_least_forty_kinds() -> None:
    assert len(KINDS) >= 40
    assert len({kind.name for kind in KINDS}) == len(KINDS)


@pytest.mark.parametrize("kind", KINDS, ids=[printable_path(os.fsdecode(k.name)) for k in KINDS])
def test_each_kind_is_a_record_or_a_one_line_reject(ingested: dict[str, Any], kind: Kind) -> None:
    item = printable_path(kind_path(ingested["folder"], kind))
    if kind.key is not None:
        item = kind.key.replace("{path}", item)
    rejects, records = ingested["rejects"], ingested["records"]
    if kind.reject == ANY:
        assert (item in rejects) != (item in records), item
        if item in rejects:
            assert "\n" not in rejects[item]["reason"]
    elif kind.reject is not None:
        assert item in rejects, f"{item}: no reject; records: {item in records}"
        reason = rejects[item]["reason"]
        assert kind.reject.lower() in reason.lower(), reason
        assert reason.isprintable() and "\n" not in reason, repr(reason)
        assert item not in records
    else:
        assert item in records, f"{item}: no record; reject: {rejects.get(item)}"
        assert item not in rejects
        if kind.check is not None:
            record = records[item]
            assert kind.check(record), {k: record[k] for k in ("title", "published", "text")}


def test_good_records_after_damage_are_kept(ingested: dict[str, Any]) -> None:
    assert set(ingested["damaged_urls"]) <= set(ingested["records"])


def test_the_cli_goes_on_through_every_kind_and_scripts_can_read_it(ingested: dict[str, Any]) -> None:
    cli = ingested["cli"]
    assert cli.returncode == 0, cli.stderr
    assert "Traceback" not in cli.stderr
    summary = json.loads(cli.stdout)
    assert summary["read"] >= len(KINDS) and summary["accepted"] >= 10
    listing = ingested["listing"]
    assert listing.returncode == 0, listing.stderr
    lines = listing.stdout.splitlines()
    # every line is one reject with its [stage] label: markup and newlines in names forge nothing
    assert lines and all(
        line.startswith("rejected [read] ") or line.startswith("rejected [extract] ") for line in lines
    )
    assert "\x1b" not in listing.stdout and "\u202e" not in listing.stdout
    assert any("forged\\nrejected [read] x: ok\\x1b[31m.txt" in line for line in lines)
    strict = ingested["strict"]
    assert strict.returncode == 2 and "--strict" in strict.stderr and "Traceback" not in strict.stderr


# config and store kinds ------------------------------------------------------------------------------------------

CONFIG_KINDS = {
    "not-toml": "this is = = not toml",
    "binary": b"\x00\xff\xfe garbage \x00",
    "latin1": "[publish]\nname = 'M\xfcnchen'\n".encode("latin-1"),
    "unknown-section": "[nonsense]\nx = 1\n",
    "unknown-key": "[ingest]\nmax_bites = 3\n",
    "wrong-type": "[ingest]\nmax_bytes = 'ten'\n",
    "negative": "[tagger]\nbatch_size = -3\n",
    "zero-timeout": "[ingest]\nextract_timeout_s = 0\n",
    "inf-timeout": "[ingest]\nextract_timeout_s = inf\n",
    "nan-threshold": "[relevance]\nthreshold = nan\n",
    "huge-timeout": "[ingest]\nextract_timeout_s = 1e300\n",
    "huge-int": "[ingest]\nmax_bytes = 99999999999999999999\n",
    "inf-crawl-delay": "[crawl]\nper_host_delay_s = inf\n",
    "bad-network": "[crawl]\nallowed_private_networks = ['10.0.0.0/33']\n",
    "no-contact": "[crawl]\nuser_agent = 'bot'\n",
    "section-is-value": "ingest = 3\n",
    "paths-not-list": "[ingest]\npaths = 3\n",
}


@pytest.mark.parametrize("name", sorted(CONFIG_KINDS))
def test_bad_config_values_are_one_config_error(tmp_path: Path, name: str) -> None:
    path = tmp_path / "survnews.toml"
    content = CONFIG_KINDS[name]
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    message = str(info.value)
    assert info.value.exit_code == 2 and "\n" not in message and message.startswith(str(path))


def test_a_config_that_is_a_folder_or_unreadable_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "folder.toml").mkdir()
    with pytest.raises(ConfigError, match="folder"):
        load_settings(tmp_path / "folder.toml")
    os.mkfifo(tmp_path / "pipe.toml")
    with pytest.raises(ConfigError, match="not a regular file"):  # and it does not block on the pipe
        load_settings(tmp_path / "pipe.toml")
    if os.geteuid() != 0:  # root reads anything
        locked = tmp_path / "locked.toml"
        locked.write_text("[store]\n", encoding="utf-8")
        locked.chmod(0)
        with pytest.raises(ConfigError, match="cannot be read"):
            load_settings(locked)


def corrupt_store(folder: Path) -> Path:
    (folder / "s.sqlite").write_bytes(b"not a database, just bytes" * 100)
    return folder / "s.sqlite"


def folder_store(folder: Path) -> Path:
    (folder / "s.sqlite").mkdir()
    return folder / "s.sqlite"


def store_under_a_file(folder: Path) -> Path:
    (folder / "file").write_bytes(b"x")
    return folder / "file" / "s.sqlite"


def uncreatable_store(folder: Path) -> Path:
    return Path("/proc/survnews-cannot-be-here/s.sqlite")


STORE_KINDS: dict[str, Callable[[Path], Path]] = {
    "corrupt": corrupt_store,
    "folder": folder_store,
    "under-a-file": store_under_a_file,
    "uncreatable": uncreatable_store,
}


@pytest.mark.parametrize("name", sorted(STORE_KINDS))
def test_unusable_stores_are_one_store_error(tmp_path: Path, name: str) -> None:
    path = STORE_KINDS[name](tmp_path)
    with pytest.raises(StoreError) as info:
        Store(path)
    assert info.value.exit_code == 2 and "\n" not in str(info.value) and str(path) in str(info.value)


def test_a_store_from_a_newer_survnews_is_refused(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "new.sqlite"
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA user_version = 999")
    with pytest.raises(StoreError, match="newer"):
        Store(path)


def test_store_and_config_errors_through_the_cli(tmp_path: Path) -> None:
    (tmp_path / "corrupt.sqlite").write_bytes(b"garbage" * 100)
    (tmp_path / "cfg").mkdir()
    cases = [
        (["stats", "--store", "corrupt.sqlite"], "not a database"),
        (["stats", "--store", "typo.sqlite"], "does not exist"),
        (["rejects", "--json", "--store", "typo.sqlite"], "does not exist"),
        (["stats", "--config", "cfg"], "folder"),
    ]
    for args, part in cases:
        result = survnews(*args, cwd=tmp_path)
        assert result.returncode == 2, (args, result.stderr)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and part in lines[0], (args, result.stderr)
        if "--json" in args:
            assert json.loads(lines[0])["exit_code"] == 2
    assert not (tmp_path / "typo.sqlite").exists()  # a mistyped --store makes no new empty store


# property tests ---------------------------------------------------------------------------------------------------

NAME_CHARS = st.characters(blacklist_characters="/\x00", blacklist_categories=("Cs",))


@hypothesis_settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    name=st.text(NAME_CHARS, min_size=1, max_size=40).filter(lambda n: n not in (".", "..")),
    raw_name=st.binary(min_size=1, max_size=20).filter(lambda b: b"/" not in b and b"\x00" not in b),
    data=st.one_of(
        st.binary(max_size=3000),
        st.text(max_size=3000).map(lambda t: t.encode("utf-8", "surrogatepass")),
        st.sampled_from([HTML_PAGE.encode(), TEXT_DUMP.encode()]).map(lambda b: b[: len(b) // 2]),
    ),
    suffix=st.sampled_from([".txt", ".html", ".html.gz", ".warc", ".warc.gz", ""]),
)
def test_any_file_name_and_bytes_give_a_record_or_a_one_line_reject(
    tmp_path: Path, name: str, raw_name: bytes, data: bytes, suffix: str
) -> None:
    folder = tmp_path / uuid.uuid4().hex
    folder.mkdir()
    paths = []
    for n, base in enumerate((name, os.fsdecode(raw_name.strip(b".") or b"x"))):
        path = folder / (base[:60] + suffix)
        if path.name in (".", "..") or path.exists():
            continue
        try:
            # never the same text twice: each file is its own input (same-text identity is issue #11's bug 2)
            path.write_bytes(data + b" 2" * n)
        except OSError:  # a name the file system refuses (too long in bytes, ...) is not an input
            continue
        paths.append(path)
    settings = Settings()
    settings.store.path = folder / "store.sqlite"
    settings.ingest.max_bytes = MAX_BYTES
    with Store(settings.store.path) as store:
        ingest_paths(store, paths, settings)  # never raises
        rejects = {row["item"]: row["reason"] for row in store.rejects()}
        places = set()
        for article in store.articles():
            places |= {article.source_path or "", *(copy.url for copy in article.also_published_at)}
    for path in paths:
        item = printable_path(path)
        item.encode("utf-8")  # storable and printable: no lone surrogates
        warc_reject = any(key.startswith(item) for key in rejects)  # a WARC's records are named by their URI
        assert item in rejects or item in places or warc_reject, (item, rejects, places)
        if item in rejects:
            assert rejects[item] and "\n" not in rejects[item]


CONFIG_VALUES = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.booleans(),
    st.lists(st.integers(), max_size=3),
)
CONFIG_KEYS = [
    ("ingest", "max_bytes"),
    ("ingest", "extract_timeout_s"),
    ("ingest", "paths"),
    ("tagger", "batch_size"),
    ("tagger", "n_process"),
    ("tagger", "model"),
    ("relevance", "threshold"),
    ("dedup", "near_duplicate_threshold"),
    ("dedup", "num_perm"),
    ("publish", "shard_rows"),
    ("crawl", "per_host_delay_s"),
    ("crawl", "max_fetch_s"),
    ("crawl", "max_bytes"),
    ("crawl", "since"),
    ("annotate", "timeout_s"),
    ("store", "path"),
    ("nonsense", "key"),
]


@hypothesis_settings(
    max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(key=st.sampled_from(CONFIG_KEYS), value=CONFIG_VALUES)
def test_any_config_value_loads_or_is_one_config_error(tmp_path: Path, key: tuple[str, str], value: Any) -> None:
    section, name = key
    path = tmp_path / "survnews.toml"
    path.write_text(f"[{section}]\n{name} = {_toml_literal(value)}\n", encoding="utf-8")
    try:
        loaded = load_settings(path)
    except ConfigError as exc:
        assert "\n" not in str(exc) and exc.exit_code == 2
        return
    # what loads is usable: finite numbers within their bounds
    for number in (loaded.ingest.extract_timeout_s, loaded.crawl.per_host_delay_s, loaded.crawl.max_fetch_s):
        assert 0 <= number <= 86_400
    assert tomllib.loads(path.read_text(encoding="utf-8"))


def _toml_literal(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return {"inf": "inf", "-inf": "-inf", "nan": "nan"}.get(repr(value), repr(value))
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_literal(v) for v in value) + "]"
    return json.dumps(value)
