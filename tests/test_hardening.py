"""Hardening: each class of hostile or unlucky input found in issue #14 gets a test of its own."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import spacy
import typer
from spacy.language import Language
from spacy.tokens import Doc
from typer.testing import CliRunner
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from pipeline.cli import app, report_failure, safe
from pipeline.config import Settings, load_settings
from pipeline.crawl import crawl
from pipeline.errors import ConfigError, RejectError, ServiceError
from pipeline.fetch import AddressGuard, FetchError, normalize_url
from pipeline.records import Article, Provenance, RawInput
from pipeline.run import tag_store
from pipeline.sources import parse_sources
from pipeline.store import Store, StoreError
from pipeline.tag import TagFailure, load_tagger, split_for_tagging, tag_texts_with_events
from pipeline.warc import iter_warc_items
from tests.conftest import PROJECT_ROOT, SAMPLES


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


@Language.component("survnews_test_explodes")
def explodes(doc: Doc) -> Doc:
    if "EXPLODE" in doc.text:
        raise RuntimeError("component failed on this text")
    return doc


def test_one_failing_text_never_stops_the_others(rules_nlp: Language) -> None:
    nlp = load_tagger("blank")
    nlp.add_pipe("survnews_test_explodes", first=True)
    texts = ["Spyware in Mexico.", "EXPLODE here", "Drones over Paris.", "EXPLODE again", "CCTV in Oslo."]
    results = list(tag_texts_with_events(nlp, texts, batch_size=2))
    assert len(results) == len(texts)
    assert [isinstance(r, TagFailure) for r in results] == [False, True, False, True, False]
    failure = results[1]
    assert isinstance(failure, TagFailure) and "component failed on this text" in failure.reason
    found = [sorted(e.text for e in r[0]) for r in results if not isinstance(r, TagFailure)]
    assert found == [["Mexico", "Spyware"], ["Drones", "Paris"], ["CCTV", "Oslo"]]


# bug 10: damaged and empty WARC files -------------------------------------------------------------------------------


def _three_page_warc(folder: Path, *, gzipped: bool) -> Path:
    path = folder / ("three.warc.gz" if gzipped else "three.warc")
    with path.open("wb") as handle:
        writer = WARCWriter(handle, gzip=gzipped)
        for name in ("a", "b", "c"):
            body = b"<html><body><p>" + name.encode() * 400 + b"</p></body></html>"
            headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1")
            record = writer.create_warc_record(
                f"https://n.example/{name}", "response", payload=io.BytesIO(body), http_headers=headers
            )
            writer.write_record(record)
    return path


@pytest.mark.parametrize("gzipped", [True, False], ids=["warc.gz", "warc"])
def test_damage_in_a_warc_costs_one_record_and_says_so(tmp_path: Path, gzipped: bool) -> None:
    path = _three_page_warc(tmp_path, gzipped=gzipped)
    data = bytearray(path.read_bytes())
    # damage the middle record: its bytes (compressed or not) are overwritten with binary junk
    middle = data.find(b"https://n.example/b") if not gzipped else len(data) // 2
    data[middle : middle + 40] = bytes(range(200, 240))
    path.write_bytes(bytes(data))
    items = list(iter_warc_items(path))
    urls = [i.url for i in items if isinstance(i, RawInput)]
    rejects = [error for _, error in (i for i in items if isinstance(i, tuple))]
    assert urls[0] == "https://n.example/a" and urls[-1] == "https://n.example/c"  # the good record after damage
    assert "https://n.example/b" not in urls
    assert rejects, "damage must leave a reject"
    for error in rejects:
        assert error.code in ("bad-warc", "bad-record", "truncated")
        assert str(error).isprintable(), str(error)  # no raw binary in a reason


def test_empty_and_html_less_warcs_leave_a_reject(tmp_path: Path) -> None:
    (tmp_path / "empty.warc").write_bytes(b"")
    with pytest.raises(RejectError) as info:
        list(iter_warc_items(tmp_path / "empty.warc"))
    assert info.value.code == "not-warc" and "empty" in str(info.value)
    only_info = tmp_path / "info.warc.gz"
    with only_info.open("wb") as handle:
        writer = WARCWriter(handle, gzip=True)
        writer.write_record(writer.create_warcinfo_record("info.warc.gz", {"software": "test"}))
    [(item, error)] = list(iter_warc_items(only_info))
    assert error.code == "no-records" and item == str(only_info)


# bug 1 through the store: a failing article is a "tag" reject and the others are tagged ------------------------------


def test_an_untaggable_article_is_a_tag_reject_and_the_others_are_tagged(tmp_path: Path, settings: Settings) -> None:
    nlp = spacy.blank("en")
    nlp.add_pipe("survnews_test_explodes")
    nlp.to_disk(tmp_path / "exploding-model")
    settings.tagger.model = str(tmp_path / "exploding-model")
    settings.runner.workers = 0  # in this process, where the test's exploding component is registered
    with Store(settings.store.path) as store:
        for n, text in enumerate(["Spyware in Mexico. " * 10, "EXPLODE " * 20, "Drones over Paris. " * 10]):
            store.upsert_article(_article(f"a{n}", text), f"sha{n}", f"hash{n}")
        summary = tag_store(store, settings)
        assert (summary.tagged, summary.failed) == (2, 1)
        [reject] = store.rejects()
        assert reject["item"] == "a1" and reject["stage"] == "tag" and "component failed" in reject["reason"]
        again = tag_store(store, settings)  # the tagged ones are not tagged again; the failing one fails again
        assert (again.tagged, again.failed) == (0, 1)


def _article(article_id: str, text: str) -> Article:
    return Article(
        id=article_id,
        url=None,
        source_path=f"{article_id}.txt",
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
        provenance=Provenance(retrieved_at="2024-01-01T00:00:00Z", sha256="x", pipeline_version="0"),
    )


# bug 3 and the CLI contract: escaping, --json, -h, exit codes, config show -------------------------------------------


def test_safe_makes_user_text_one_inert_line() -> None:
    assert safe("a\nb\x1b[31mc\u202ed[/b]") == "a\\nb\\x1b[31mc\\u202ed[/b]"
    assert safe(os.fsdecode(b"name-\xff.txt")) == "name-\\xff.txt"
    assert safe("\ud800 lone") == "\\ud800 lone"


def _commands() -> dict[str, Any]:
    root = typer.main.get_command(app)
    ctx = root.context_class(root, info_name="survnews")
    found = {}
    for name in ["ingest", "tag", "export", "publish", "run", "rejects", "stats", "crawl"]:
        found[name] = root.get_command(ctx, name)
    config = root.get_command(ctx, "config")
    found["config show"] = config.get_command(ctx, "show")
    return found


def _leaf_commands(command: Any, path: str) -> dict[str, Any]:
    ctx = command.context_class(command, info_name=path)
    if not hasattr(command, "list_commands"):
        return {path: command}
    found: dict[str, Any] = {}
    for name in command.list_commands(ctx):
        found |= _leaf_commands(command.get_command(ctx, name), f"{path} {name}".strip())
    return found


def test_every_command_of_the_whole_cli_takes_json() -> None:
    leaves = _leaf_commands(typer.main.get_command(app), "")
    assert len(leaves) >= 17
    lacking = [name for name, cmd in leaves.items() if "--json" not in {o for p in cmd.params for o in p.opts}]
    assert not lacking, lacking


@pytest.mark.parametrize(
    "name", ["ingest", "tag", "export", "publish", "run", "rejects", "stats", "crawl", "config show"]
)
def test_every_command_takes_json(name: str) -> None:
    options = {opt for param in _commands()[name].params for opt in getattr(param, "opts", [])}
    assert "--json" in options
    if name in ("ingest", "run", "tag", "crawl"):
        assert "--strict" in options


def test_help_works_with_h_and_documents_exit_codes(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["-h"])
    assert result.exit_code == 0 and "Exit codes: 0" in result.output and "130 interrupted" in result.output
    assert runner.invoke(app, ["stats", "-h"]).exit_code == 0
    assert runner.invoke(app, ["annotate", "-h"]).exit_code == 0


@pytest.mark.parametrize(
    ("exc", "code"),
    [
        (ConfigError("bad"), 2),
        (StoreError("bad"), 2),
        (ServiceError("down"), 3),
        (KeyboardInterrupt(), 130),
        (IsADirectoryError(21, "Is a directory", "out"), 2),
        (ZeroDivisionError("a bug"), 1),
    ],
)
def test_exit_codes_are_the_documented_ones(exc: BaseException, code: int, capsys: pytest.CaptureFixture[str]) -> None:
    assert report_failure(exc) == code
    assert len(capsys.readouterr().err.strip().splitlines()) == 1
    assert json.loads(_json_failure(exc, capsys))["exit_code"] == code


def _json_failure(exc: BaseException, capsys: pytest.CaptureFixture[str]) -> str:
    report_failure(exc, as_json=True)
    return capsys.readouterr().err


def test_json_output_of_the_store_commands(tmp_path: Path) -> None:
    runner = CliRunner()
    store = str(tmp_path / "s.sqlite")
    ingest = runner.invoke(app, ["ingest", str(SAMPLES / "text"), "--store", store, "--json"])
    assert ingest.exit_code == 0, ingest.output
    assert json.loads(ingest.stdout)["accepted"] >= 3
    tag = runner.invoke(app, ["tag", "--store", store, "--model", "blank", "--json"])
    assert json.loads(tag.stdout)["entities"]["TECHNOLOGY"] > 0
    stats = json.loads(runner.invoke(app, ["stats", "--store", store, "--json"]).stdout)
    assert stats["records"] == json.loads(ingest.stdout)["accepted"]
    assert json.loads(runner.invoke(app, ["rejects", "--store", store, "--json"]).stdout) == []
    out = tmp_path / "x" / "records.jsonl"
    export = json.loads(runner.invoke(app, ["export", "--out", str(out), "--all", "--store", store, "--json"]).stdout)
    assert export["records"] == stats["records"] == len(out.read_text(encoding="utf-8").splitlines())
    config = tmp_path / "survnews.toml"
    config.write_text(f'[store]\npath = "{store}"\n[publish]\nout = "{tmp_path / "rel"}"\n', encoding="utf-8")
    published = json.loads(runner.invoke(app, ["publish", "--config", str(config), "--json"]).stdout)
    assert published["version"] and Path(published["folder"]).is_dir()


def test_lines_are_not_wrapped_in_a_pipe(tmp_path: Path) -> None:
    long_name = tmp_path / ("a-very-long-file-name-" * 6 + ".txt")
    long_name.write_bytes(b"")
    runner = CliRunner()
    store = str(tmp_path / "s.sqlite")
    runner.invoke(app, ["ingest", str(long_name), "--store", store])
    listing = runner.invoke(app, ["rejects", "--store", store]).stdout
    assert listing.count("\n") == 1 and len(listing) > 150 and str(long_name) in listing


def test_config_show_prints_the_effective_config_and_reads_back(tmp_path: Path) -> None:
    config = tmp_path / "survnews.toml"
    config.write_text(
        '[ingest]\npaths = ["in"]\nmax_bytes = 1234\n[crawl]\nkeywords = ["spyware", "CCTV"]\nsince = 2023-01-01\n'
        '[annotate]\napi_key = "secret-token"\n[[sources]]\ntype = "feed"\nurl = "https://n.example/rss"\n',
        encoding="utf-8",
    )
    result = CliRunner().invoke(app, ["config", "show", "--config", str(config)])
    assert result.exit_code == 0, result.output
    assert "secret-token" not in result.stdout  # secrets are never printed
    assert f'paths = ["{tmp_path / "in"}"]' in result.stdout and "max_bytes = 1234" in result.stdout
    shown = tmp_path / "shown.toml"
    shown.write_text(result.stdout.replace('api_key = "**********"\n', ""), encoding="utf-8")
    again = load_settings(shown)
    original = load_settings(config)
    original.annotate.api_key = None
    assert again.model_dump() == original.model_dump()


# bug 12: settings must be finite and bounded ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["[ingest]\nextract_timeout_s = inf", "[crawl]\nmax_fetch_s = nan", "[annotate]\ntimeout_s = inf",
     "[ingest]\nextract_timeout_s = 1e12", "[crawl]\nglobal_concurrency = 100000000"],
)  # fmt: skip
def test_infinite_or_absurd_numbers_are_config_errors(tmp_path: Path, text: str) -> None:
    (tmp_path / "c.toml").write_text(text + "\n", encoding="utf-8")
    with pytest.raises(ConfigError):
        load_settings(tmp_path / "c.toml")


# bug 14: export to a folder ----------------------------------------------------------------------------------------


def test_export_to_a_folder_is_one_line_and_leaves_nothing(tmp_path: Path) -> None:
    store = tmp_path / "s.sqlite"
    Store(store).close()
    target = tmp_path / "out"
    target.mkdir()
    result = CliRunner().invoke(app, ["export", "--out", str(target), "--store", str(store)])
    assert result.exit_code == 2
    assert "is a folder" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "s.sqlite", "s.sqlite-shm", "s.sqlite-wal"] or (
        not list(tmp_path.glob("*.tmp")) and not list(tmp_path.glob(".*.tmp"))
    )


# bug 15: IPv6 forms of private IPv4 addresses ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "address",
    ["64:ff9b::7f00:1", "64:ff9b::a00:1", "64:ff9b:1::c0a8:1", "2002:7f00:1::", "2002:c0a8:101::1", "::127.0.0.1",
     "::10.0.0.1", "::ffff:192.168.0.1", "2001:0:4136:e378:8000:63bf:3fff:fdd2"],
)  # fmt: skip
def test_ipv6_forms_of_private_ipv4_are_refused(address: str) -> None:
    with pytest.raises(FetchError) as info:
        AddressGuard(allow_private=False).check(address, "evil.example")
    assert info.value.code == "private-address"


@pytest.mark.parametrize("address", ["64:ff9b::808:808", "2002:808:808::", "2606:4700::1111", "8.8.8.8"])
def test_ipv6_forms_of_public_ipv4_are_allowed(address: str) -> None:
    AddressGuard(allow_private=False).check(address, "public.example")


# bug 16: a redirect to javascript:, concurrent ingests -----------------------------------------------------------


@pytest.mark.parametrize(
    ("location", "code"),
    [("javascript:alert(1)", "bad-scheme"), ("JaVaScRiPt:x", "bad-scheme"), ("data:text/html,x", "bad-scheme"),
     ("http://[::1", "bad-url"), ("http://exa\udcffmple.org/", "bad-url")],
)  # fmt: skip
def test_unfetchable_redirect_targets_are_clear_rejects(location: str, code: str) -> None:
    with pytest.raises(FetchError) as info:
        normalize_url(location, base="https://n.example/a")
    assert info.value.code == code


def test_a_redirect_to_javascript_is_a_bad_scheme_reject_in_a_real_crawl(tmp_path: Path) -> None:
    from tests.test_crawl import Response, Site, test_settings

    site = Site().start()
    try:
        site.route("/r", Response(status=302, headers={"Location": "javascript:alert(document.cookie)"}))
        with Store(tmp_path / "s.sqlite") as store:
            summary = crawl(store, parse_sources([{"type": "urls", "urls": [f"{site.base}/r"]}]), test_settings())
    finally:
        site.stop()
    assert summary.rejected == {"bad-redirect": 1}  # not an "internal-error"


def test_two_concurrent_ingests_count_each_article_once(tmp_path: Path) -> None:
    from tests.test_bad_input_suite import text_dump

    folder = tmp_path / "in"
    folder.mkdir()
    for n in range(40):
        (folder / f"story-{n}.txt").write_text(text_dump(f"Town{n}"), encoding="utf-8")
    command = [sys.executable, "-m", "pipeline.cli", "ingest", str(folder), "--store", str(tmp_path / "s.sqlite")]
    Store(tmp_path / "s.sqlite").close()
    runs = [subprocess.Popen([*command, "--json"], stdout=subprocess.PIPE, text=True) for _ in range(2)]
    summaries = [json.loads(run.communicate(timeout=300)[0]) for run in runs]
    assert all(run.returncode == 0 for run in runs)
    assert sum(s["accepted"] + s["duplicates"] for s in summaries) == 40
    with Store(tmp_path / "s.sqlite") as store:
        assert store.count_articles() == sum(s["accepted"] for s in summaries)


# the embedded default travels with the package ------------------------------------------------------------------


def test_an_installed_layout_finds_its_schemas_and_samples(tmp_path: Path) -> None:
    """The wheel's layout (package in site-packages, data files under <prefix>/share), built from pyproject."""
    prefix = tmp_path / "prefix"
    site_packages = prefix / "lib" / "python3.11" / "site-packages"
    shutil.copytree(PROJECT_ROOT / "pipeline", site_packages / "pipeline", ignore=shutil.ignore_patterns("__pycache__"))
    data_files = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"][
        "data-files"
    ]
    for target, patterns in data_files.items():
        (prefix / target).mkdir(parents=True, exist_ok=True)
        for pattern in patterns:
            for source in PROJECT_ROOT.glob(pattern):
                shutil.copy(source, prefix / target / source.name)
    empty = tmp_path / "empty"
    empty.mkdir()
    code = (
        "from pipeline.paths import SCHEMAS_DIR, SAMPLES_DIR, ARTICLE_SCHEMA; from pipeline.config import Settings;"
        "from pipeline.components.technology import TAXONOMY_PATH; import json;"
        "print(json.dumps([str(SCHEMAS_DIR), str(SAMPLES_DIR), ARTICLE_SCHEMA.exists(), TAXONOMY_PATH.exists(),"
        " [str(p) for p in Settings().ingest.paths]]))"
    )
    env = {**os.environ, "PYTHONPATH": str(site_packages)}
    env.pop("SURVNEWS_SCHEMAS", None)
    result = subprocess.run([sys.executable, "-c", code], cwd=empty, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    schemas, samples, schema_found, taxonomy_found, default_paths = json.loads(result.stdout)
    assert schemas == str(prefix / "share" / "survnews" / "schemas") and schema_found and taxonomy_found
    assert samples == str(prefix / "share" / "survnews" / "corpus" / "samples")
    assert default_paths == [samples] and len(list(Path(samples).rglob("*.html"))) >= 5


def test_run_in_an_empty_folder_without_samples_says_where_to_point_it(tmp_path: Path) -> None:
    prefix = tmp_path / "prefix" / "lib" / "python3.11" / "site-packages"
    shutil.copytree(PROJECT_ROOT / "pipeline", prefix / "pipeline", ignore=shutil.ignore_patterns("__pycache__"))
    empty = tmp_path / "empty"
    empty.mkdir()
    env = {**os.environ, "PYTHONPATH": str(prefix), "SURVNEWS_SCHEMAS": str(PROJECT_ROOT / "schemas")}
    result = subprocess.run(
        [sys.executable, "-m", "pipeline.cli", "run"], cwd=empty, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "nothing to read" in lines[0] and "survnews.toml" in lines[0]
    assert not (empty / "corpus").exists()


def test_extraction_with_an_infinite_time_limit_still_extracts() -> None:
    from pipeline.extract import extract_html
    from tests.test_bad_input_suite import html_page

    for limit in (float("inf"), float("nan"), 1e300):
        assert "Cameras in Tema" in extract_html(html_page("Tema").encode(), timeout_s=limit).title  # type: ignore[operator]


def test_an_impossible_json_ld_date_gives_no_date() -> None:
    from pipeline.extract import extract_html_unlimited
    from tests.test_bad_input_suite import html_page

    head = '<script type="application/ld+json">{"@type": "NewsArticle", "datePublished": "2023-02-30"}</script>'
    assert extract_html_unlimited(html_page("Ho", head=head).encode()).published is None
    good = head.replace("2023-02-30", "2023-02-28")
    assert extract_html_unlimited(html_page("Ho", head=good).encode()).published == "2023-02-28"


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes read-only files")
def test_a_read_only_store_is_one_store_error(tmp_path: Path) -> None:
    path = tmp_path / "ro" / "s.sqlite"
    Store(path).close()
    path.chmod(0o444)
    path.parent.chmod(0o555)
    try:
        with pytest.raises(StoreError, match="read-only"):
            Store(path)
    finally:
        path.parent.chmod(0o755)
