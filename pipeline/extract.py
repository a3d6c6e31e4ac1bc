"""Article body and metadata from one HTML page.

Body: a cascade of trafilatura modes (fast precision first), recovery of articles split into same-class blocks,
then general boilerplate rules shared with the text-dump cleaner (``pipeline.clean.mark_boilerplate``); see
``choose_body`` and ``refine_paragraphs``. Metadata: trafilatura's metadata steps (meta tags, JSON-LD, page
heuristics), htmldate for the date, py3langid for the language.

Time limit: extraction runs in a persistent worker process (a fresh interpreter started with ``subprocess``).
When a page takes longer than ``timeout_s`` the worker is killed and replaced and the page is rejected with
code ``timeout``. A process is used rather than a ``SIGALRM`` alarm because an alarm only fires between Python
bytecodes (it cannot stop a long lxml parse or regex match, which run in C), works only in the main thread,
and would clash with any other alarm the caller sets. When no worker can be started the alarm is the fallback,
and outside the main thread the page then runs without a limit.
"""

from __future__ import annotations

import atexit
import codecs
import html
import logging
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from multiprocessing.connection import Connection
from typing import Any

from pipeline.clean import DumpMetadata, mark_boilerplate, parse_original_publisher, plausible_date
from pipeline.errors import RejectError
from pipeline.language import detect_language, normalise_language_tag
from pipeline.records import Extracted

LOG = logging.getLogger(__name__)

# Seconds the worker may take to start (import trafilatura) before the time limit of a page starts counting.
WORKER_START_TIMEOUT_S = 120.0
# Share of control / replacement characters above which decoded bytes are not text.
MAX_GARBAGE_SHARE = 0.02
# Longest time limit honoured: a day (callers' inf or 1e300 would overflow the pipe wait).
MAX_TIMEOUT_S = 86_400.0
# Shortest body (characters) accepted as an article.
MIN_BODY_CHARS = 80

# ---------------------------------------------------------------------------------------------------------------
# Decoding
# ---------------------------------------------------------------------------------------------------------------

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_DECLARED_CHARSET = re.compile(
    rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([a-zA-Z0-9_:.+-]{2,40})|"""
    rb"""<\?xml[^>]{0,100}?encoding\s*=\s*["']([a-zA-Z0-9_:.+-]{2,40})""",
    re.IGNORECASE,
)
# WHATWG encoding rules: these labels mean windows-1252 in a browser, which is what authors tested against.
_BROWSER_ALIASES = {"latin_1": "cp1252", "ascii": "cp1252", "iso8859_1": "cp1252", "iso8859_9": "cp1254",
                    "tis_620": "cp874", "gb2312": "gb18030", "gbk": "gb18030", "euc_kr": "cp949"}  # fmt: skip
_GARBAGE = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f\ufffd]")
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)


def _codec(label: str) -> str | None:
    try:
        name = codecs.lookup(label.strip().lower()).name
    except LookupError:
        return None
    name = name.replace("-", "_")
    return _BROWSER_ALIASES.get(name, name)


def _garbage_share(text: str) -> float:
    # Binary data shows everywhere; the head, middle and tail of a long text tell as much as all of it.
    if len(text) > 15000:
        middle = len(text) // 2
        text = text[:5000] + text[middle - 2500 : middle + 2500] + text[-5000:]
    return len(_GARBAGE.findall(text)) / max(len(text), 1)


def _looks_like_utf16(data: bytes) -> str | None:
    head = data[:400]
    if len(head) < 8:
        return None
    even_zeros = head[0::2].count(0) / len(head[0::2])
    odd_zeros = head[1::2].count(0) / len(head[1::2])
    if odd_zeros > 0.4 and even_zeros < 0.05:
        return "utf-16-le"
    if even_zeros > 0.4 and odd_zeros < 0.05:
        return "utf-16-be"
    return None


_LATIN_CODECS = ["cp1252", "cp1250", "cp1257", "cp1254", "iso8859_15", "iso8859_2"]
_HIGH_BYTE_RUN = re.compile(rb"[\x80-\xff]{2,}")
_HIGH_BYTE = re.compile(rb"[\x80-\xff]")


def _high_bytes_stand_alone(data: bytes) -> bool:
    high = len(_HIGH_BYTE.findall(data))
    in_runs = sum(len(run) for run in _HIGH_BYTE_RUN.findall(data))
    return high > 0 and in_runs <= 0.3 * high


def _detected_codec(data: bytes) -> str | None:
    try:
        from charset_normalizer import from_bytes

        sample = data[:20000] + data[-20000:] if len(data) > 40000 else data
        # Accented Latin letters stand alone between ASCII letters; Cyrillic, Greek or CJK bytes come in runs.
        # On short Latin texts the detector otherwise likes CJK codecs, so it is told what to choose from.
        isolation = _LATIN_CODECS if _high_bytes_stand_alone(sample) else None
        best = from_bytes(sample, cp_isolation=isolation).best()
    except Exception:  # detection is a best effort; the lenient fallbacks follow
        LOG.debug("charset detection failed", exc_info=True)
        return None
    return best.encoding if best is not None and best.encoding else None


def _decodings(data: bytes) -> Iterator[tuple[bytes, str | None, str]]:
    """(bytes, codec, errors) to try in order; the costly detection runs only if the cheap guesses fail."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            data = data[len(bom) :]
            yield data, name, "strict"
            break
    utf16 = _looks_like_utf16(data)
    if utf16:
        yield data, utf16, "strict"
    declared = _DECLARED_CHARSET.search(data[:8192])
    declared_codec = _codec((declared.group(1) or declared.group(2)).decode("ascii", "ignore")) if declared else None
    if declared_codec in ("utf_16", "utf_16_le", "utf_16_be", "utf_32"):
        declared_codec = None  # the bytes at hand are not UTF-16 (checked above): the declaration is stale
    # A page saved as UTF-8 but still declaring its old charset is common; UTF-8 is tried strictly first.
    yield data, "utf-8", "strict"
    if declared_codec and declared_codec != "utf_8":
        yield data, declared_codec, "strict"
    elif _high_bytes_stand_alone(data[:20000] + data[-20000:] if len(data) > 40000 else data):
        # Declared UTF-8 (or nothing) but not UTF-8, with accented letters standing alone: what browsers and
        # authors fall back to is windows-1252 (WHATWG); a detector reads such short Latin text as cp1250 as often.
        yield data, "cp1252", "strict"
    yield data, _detected_codec(data), "strict"
    if declared_codec:
        yield data, declared_codec, "replace"
    yield data, "utf-8", "replace"
    yield data, "cp1252", "replace"


def decode_html(data: bytes) -> str:
    """Unicode text of an HTML page: BOM, then UTF-8, then the declared charset, then detection.

    Raises ``RejectError("encoding", ...)`` when no decoding gives text (binary or compressed data).
    """
    for payload, codec, errors in _decodings(data):
        if not codec:
            continue
        try:
            text = payload.decode(codec, errors)
        except (UnicodeDecodeError, LookupError):
            continue
        if _garbage_share(text) <= MAX_GARBAGE_SHARE:
            return _XML_DECLARATION.sub("", text.replace("\x00", ""), count=1)
    raise RejectError("encoding", "bytes do not decode to text in any plausible encoding (binary or compressed?)")


# ---------------------------------------------------------------------------------------------------------------
# Extraction (runs inside the worker)
# ---------------------------------------------------------------------------------------------------------------


@dataclass
class BodyCandidate:
    mode: str
    text: str


# A precision-first extraction shorter than this may have missed the article; the next mode is tried.
SHORT_BODY_CHARS = 500
# A later mode replaces an earlier one only when it finds clearly more text (not a few more teasers).
REPLACE_RATIO = 2.0
# An article split into several same-class containers is re-read when they hold this much more text.
CHUNKS_GAIN_RATIO = 1.25
# Paragraphs of the extraction that must reappear in the same-class containers to trust them.
CHUNKS_MIN_OVERLAP = 0.8
MAX_LINK_DENSITY = 0.5
# Extraction modes, cheapest and most precise first: (name, trafilatura options).
CASCADE: tuple[tuple[str, dict[str, Any]], ...] = (
    ("fast-precision", {"fast": True, "favor_precision": True}),
    ("precision", {"favor_precision": True}),
    ("balanced", {}),
)
_WORDS = re.compile(r"\w+")
_SYNDICATION_HINT = re.compile(
    r"(?:originally|first)\s+(?:published|appeared|posted|ran)|republished|reprinted|syndicated", re.IGNORECASE
)


def _paragraphs(text: str) -> list[str]:
    return [" ".join(line.split()) for line in text.split("\n") if line.strip()]


def _word_key(text: str) -> str:
    return " ".join(_WORDS.findall(text.casefold()))


def _iso_date(value: str | None) -> str | None:
    if not value:
        return None
    match = re.match(r"(\d{4})-(\d{2})-(\d{2})", value)
    return plausible_date(match.group(0)) if match else None


_META_DATE = re.compile(
    r"""<meta[^>]{0,300}?(?:published|date|created|issued)[^>]{0,200}?content\s*=\s*["']\s*(\d{4})-(\d{1,2})-(\d{1,2})|"""
    r""""date(?:Published|Created|Modified)"\s*:\s*"\s*(\d{4})-(\d{1,2})-(\d{1,2})""",  # JSON-LD
    re.IGNORECASE,
)


_FOUND_MONTH = re.compile(r"\d{4}-\d{2}-")
_DAY_DIGITS = re.compile(r"\s*(\d{1,2})")


def _impossible_day_follows(head: str, found: str) -> bool:
    """Whether ``found``'s year and month (as "2023-02-" or "2023-2-") precede an impossible day in ``head``:
    str.find over the page is many times cheaper than the meta-tag scan, which matches only where this does."""
    year, month = int(found[:4]), int(found[5:7])
    for prefix in {found[:8], f"{found[:4]}-{month}-"}:
        start = head.find(prefix)
        while start >= 0:
            digits = _DAY_DIGITS.match(head, start + len(prefix))
            if digits:
                try:
                    date(year, month, int(digits.group(1)))
                except ValueError:
                    return True
            start = head.find(prefix, start + 1)
    return False


def _impossible_meta_date(html_text: str, found: str | None) -> bool:
    """True when a date meta tag says an impossible day (2023-02-30) of the month ``found`` is in.

    htmldate then falls back to the first of that month: a date the page never said; better none at all.
    """
    if not found:
        return False
    head = html_text[:50_000]
    if _FOUND_MONTH.match(found) and not _impossible_day_follows(head, found):
        return False  # no "YYYY-MM-<impossible day>" anywhere in the head: the scan below could not match
    for match in _META_DATE.finditer(head):
        year, month, day = (int(g) for g in match.groups() if g is not None)
        try:
            date(year, month, day)
        except ValueError:
            if found.startswith(f"{year:04d}-{month:02d}"):
                return True
    return False


def _authors(value: str | None) -> list[str]:
    if not value:
        return []
    authors: list[str] = []
    for part in re.split(r"\s*;\s*", value):
        part = " ".join(part.split()).strip(" ,")
        if part and part not in authors and len(part) <= 80:
            authors.append(part)
    return authors


def _trafilatura_body(tree: Any, url: str | None, mode: str, options: dict[str, Any]) -> BodyCandidate | None:
    import trafilatura

    document = trafilatura.bare_extraction(
        tree, url=url, include_comments=False, include_tables=True, with_metadata=False, **options
    )
    text = getattr(document, "text", None)
    if not isinstance(text, str) or not text.strip():
        return None
    return BodyCandidate(mode, text)


def _link_density(element: Any) -> float:
    text_length = len(element.text_content())
    if not text_length:
        return 1.0
    return sum(len(a.text_content()) for a in element.iter("a")) / text_length


def _element_text(element: Any) -> str:
    return " ".join(element.text_content().split())


def sibling_chunks(tree: Any, paragraphs: list[str]) -> list[str] | None:
    """Paragraphs of all containers like the one holding the body, when the article is split into several.

    Pages break long stories into sibling blocks of one class (between ads or newsletter boxes); extractors
    keep the first. Returns None when the page has a single such container or re-reading gains little.
    """
    probes = {_word_key(p) for p in paragraphs[:6] if len(p) >= 60}
    if not probes:
        return None
    container = None
    for element in tree.iter("p"):
        if _word_key(element.text_content()) in probes:
            container = element.getparent()
            break
    if container is None or not container.get("class") or not isinstance(container.tag, str):
        return None
    same_class = tree.xpath(f"//{container.tag}[@class=$name]", name=container.get("class"))
    if len(same_class) < 2:
        return None
    found: list[str] = []
    for chunk in same_class:
        for element in chunk.iter("p", "h2", "h3", "h4", "li", "blockquote"):
            if element.tag in ("li", "blockquote") and element.find(".//p") is not None:
                continue  # its paragraphs come on their own
            text = _element_text(element)
            if text and _link_density(element) <= MAX_LINK_DENSITY:
                found.append(text)
    known = {_word_key(p) for p in found}
    words_before = sum(len(_WORDS.findall(p)) for p in paragraphs)
    words_after = sum(len(_WORDS.findall(p)) for p in found)
    overlap = sum(len(_WORDS.findall(p)) for p in paragraphs if _word_key(p) in known)
    if words_after < CHUNKS_GAIN_RATIO * words_before or overlap < CHUNKS_MIN_OVERLAP * words_before:
        return None
    return found


def choose_body(tree: Any, url: str | None) -> BodyCandidate | None:
    """survnews' body: a cascade of trafilatura modes, then split-article recovery.

    Precision mode without the external fallbacks is fast and clean on most pages; when it returns little
    (a layout it does not recognise), the slower full precision mode and then the balanced mode get their turn,
    and a later result is taken only if it is clearly longer.
    """
    best: BodyCandidate | None = None
    for mode, options in CASCADE:
        candidate = _trafilatura_body(tree, url, mode, options)
        if candidate is not None and (best is None or len(candidate.text) > REPLACE_RATIO * len(best.text)):
            best = candidate
        if best is not None and len(best.text) >= SHORT_BODY_CHARS:
            break
    if best is None:
        return None
    chunks = sibling_chunks(tree, _paragraphs(best.text))
    if chunks:
        return BodyCandidate(best.mode + "+chunks", "\n".join(chunks))
    return best


def refine_paragraphs(paragraphs: list[str], titles: list[str], meta: DumpMetadata) -> list[str]:
    """Drop what trafilatura leaves in: the headline, boilerplate and metadata lines (noted in ``meta``)."""
    keep = mark_boilerplate(paragraphs, meta, captions=True)
    # The headline (and a kicker above it) repeated at the top of the body.
    title_keys = {_word_key(t) for t in titles if t}
    for index, paragraph in enumerate(paragraphs[:3]):
        if _word_key(paragraph) in title_keys:
            keep[index] = False
    return [p for p, k in zip(paragraphs, keep, strict=True) if k]


_BLOCK_TAG = re.compile(r"<\s*/?\s*(?:p|div|br|li|h[1-6]|section|article|aside|footer|header|td|blockquote)\b[^>]*>",
                        re.IGNORECASE)  # fmt: skip
_ANY_TAG = re.compile(r"<[^>]*>")
MAX_SYNDICATION_HINTS = 20
_SYNDICATION_KEYWORDS = ("riginally", "irst published", "irst appeared", "irst posted", "irst ran", "epublished",
                         "eprinted", "yndicated")  # fmt: skip


def find_original_publisher(html_text: str) -> str | None:
    """The outlet named in a "This story first appeared in X" note anywhere on the page.

    Works on the markup around each hint rather than the tree: the note is often outside the extracted body
    (a footer, an aside), and looking at a few windows is far cheaper than walking every element.
    """
    positions: list[int] = []
    # str.find is far faster than a case-blind regex over the page; the stems skip the first letter's case.
    for keyword in _SYNDICATION_KEYWORDS:
        start = html_text.find(keyword)
        while start >= 0 and len(positions) < MAX_SYNDICATION_HINTS:
            positions.append(start)
            start = html_text.find(keyword, start + 1)
    for position in sorted(positions):
        window = html_text[max(0, position - 400) : position + 400]
        lines = _ANY_TAG.sub("", _BLOCK_TAG.sub("\n", window)).split("\n")
        for line in lines:
            line = " ".join(html.unescape(line).split())
            if _SYNDICATION_HINT.search(line):
                publisher = parse_original_publisher(line)
                if publisher:
                    return publisher
    return None


def extract_page_metadata(tree: Any, url: str | None, *, with_author_search: bool = True) -> dict[str, Any]:
    """Title, author, url, site name, description and date of the page.

    The steps of ``trafilatura.metadata.extract_metadata`` (meta tags, then JSON-LD, then heuristics on the
    page; htmldate for the date) without categories, tags and licence, which survnews does not use and which
    cost a third of the time.
    """
    from htmldate import find_date
    from trafilatura.metadata import (
        META_URL,
        examine_meta,
        extract_author,
        extract_meta_json,
        extract_sitename,
        extract_title,
        extract_url,
    )
    from trafilatura.settings import set_date_params

    metadata = examine_meta(tree)
    if metadata.author and " " not in metadata.author:
        metadata.author = None  # a handle or a single word is not a person's name
    try:
        metadata = extract_meta_json(tree, metadata)
    except Exception:  # malformed JSON-LD: the meta tags stand
        LOG.debug("JSON-LD metadata failed", exc_info=True)
    title = metadata.title or extract_title(tree)
    author = metadata.author or (extract_author(tree) if with_author_search else None)
    page_url = metadata.url or extract_url(tree, url)
    # htmldate's quick pass (URL, meta tags, JSON-LD, time elements) finds the date on nearly every news page;
    # its extensive text search costs thirty times more, so it runs only when the quick pass finds nothing.
    date = None
    for extensive in (False, True):
        date_config = set_date_params(extensive)
        date_config["url"] = page_url
        date = find_date(tree, **date_config)
        if date:
            break
    sitename = metadata.sitename or extract_sitename(tree)
    if sitename:
        sitename = sitename.lstrip("@")
        if sitename and "." not in sitename and not sitename[0].isupper():
            sitename = sitename.title()
    elif page_url and (match := META_URL.match(page_url)):
        sitename = match[1]

    def clean(value: Any) -> str | None:
        return " ".join(value.split()) or None if isinstance(value, str) else None

    return {
        "title": clean(title),
        "author": clean(author),
        "url": clean(page_url),
        "sitename": clean(sitename),
        "description": clean(metadata.description),
        "date": date if isinstance(date, str) else None,
    }


def _search_author(tree: Any) -> str | None:
    """trafilatura's search of the page for author elements: the slowest metadata step, so run last."""
    from trafilatura.metadata import extract_author

    author = extract_author(tree)
    return author if isinstance(author, str) else None


# A small page that takes every path of the extractor (a short body sends the cascade through all its modes and
# trafilatura's justext fallback; metadata, date and language run too).
_WARM_UP_PAGE = b"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Warm-up</title>
<meta name="author" content="Survnews Warmup"><meta property="article:published_time" content="2024-01-02">
</head><body><article><h1>Warm-up</h1><p>Police cameras read the number plates of every car that drives into
the city centre, and the records are kept for a year.</p><p>Originally published by The Example Times.</p>
</article></body></html>"""


def warm_up() -> None:
    """Pay the extractor's one-time costs (lazy imports, trafilatura's justext stop list of all languages,
    compiled patterns, the language model) now, not on the first page: a worker calls it before it is forked for
    the others and before its first page's time limit starts. Never raises: a warm-up is no reason to stop."""
    try:
        extract_html_unlimited(_WARM_UP_PAGE, "https://example.org/warm-up")
    except RejectError as exc:
        LOG.debug("extractor warm-up page rejected: %s", exc)


def _extract_in_process(data: bytes, url: str | None) -> Extracted:
    from trafilatura.utils import load_html

    html_text = decode_html(data)
    try:
        tree = load_html(html_text)
    except Exception as exc:  # lxml refuses some inputs outright
        raise RejectError("no-article", f"HTML could not be parsed: {type(exc).__name__}") from exc
    if tree is None:
        raise RejectError("no-article", "not an HTML document (no parsable tree)")

    metadata = extract_page_metadata(tree, url, with_author_search=False)
    title = metadata["title"]
    body = choose_body(tree, url)
    if body is None:
        raise RejectError("no-article", "no article body found on the page")
    headings = [_element_text(h) for h in tree.iter("h1")][:3]
    found = DumpMetadata()
    paragraphs = refine_paragraphs(_paragraphs(body.text), [title or "", *headings], found)
    text = "\n\n".join(paragraphs)
    if len(text) < MIN_BODY_CHARS:
        raise RejectError("no-article", "no article body found on the page")

    language = detect_language(text)
    if language is None:
        html_lang = tree.get("lang") or tree.get("{http://www.w3.org/XML/1998/namespace}lang")
        language = normalise_language_tag(html_lang)
    return Extracted(
        text=text,
        title=title,
        authors=_authors(metadata["author"]) or found.authors or _authors(_search_author(tree)),
        published=(None if _impossible_meta_date(html_text, metadata["date"]) else _iso_date(metadata["date"]))
        or found.published
        or found.updated,
        publisher=metadata["sitename"],
        original_publisher=found.original_publisher or find_original_publisher(html_text),
        language=language,
        url=metadata["url"] or url,
        description=metadata["description"],
    )


def extract_html_unlimited(data: bytes, url: str | None = None) -> Extracted:
    """``extract_html`` without the time limit, in this process (used by the worker and the benchmark)."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise RejectError("encoding", f"page content is {type(data).__name__}, not bytes")
    data = bytes(data)
    if not data.strip():
        raise RejectError("no-article", "empty page")
    try:
        return _extract_in_process(data, url)
    except (RejectError, TimeoutError):
        raise  # TimeoutError: the alarm fallback's time limit, turned into a "timeout" reject by the caller
    except RecursionError as exc:
        raise RejectError("no-article", "page nesting too deep to parse") from exc
    except Exception as exc:  # a library bug on odd input must reject the page, not stop the run
        LOG.debug("extraction failed", exc_info=True)
        raise RejectError("no-article", f"extraction failed: {type(exc).__name__}: {str(exc)[:200]}") from exc


# ---------------------------------------------------------------------------------------------------------------
# Time limit: the worker process
# ---------------------------------------------------------------------------------------------------------------


def _worker_main(read_fd: int, write_fd: int) -> None:
    """Serve extraction requests from the parent until it closes the pipe (entry point of the worker)."""
    # The parent handles Ctrl-C and kills the worker; the worker must not die first with a traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    logging.getLogger("trafilatura").setLevel(logging.CRITICAL)
    logging.getLogger("htmldate").setLevel(logging.CRITICAL)
    conn = Connection(read_fd, writable=False)
    reply = Connection(write_fd, readable=False)
    import trafilatura  # noqa: F401  (warm import before signalling readiness)

    reply.send(("ready", None))
    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError):
            return
        if request is None:
            return
        data, url = request
        started = time.process_time()
        try:
            result: Any = ("ok", extract_html_unlimited(data, url))
        except RejectError as exc:
            result = ("reject", (exc.code, str(exc)))
        except BaseException as exc:  # never leave the parent waiting
            result = ("reject", ("no-article", f"extraction failed: {type(exc).__name__}"))
        reply.send((*result, time.process_time() - started))


class ExtractionWorker:
    """One extraction process, restarted after a timeout or crash; calls from threads are serialised.

    The worker is a fresh interpreter (``subprocess``), not a ``multiprocessing`` child: spawn and forkserver
    re-import the caller's ``__main__`` (unsafe for unguarded scripts), and fork from a threaded process can
    deadlock.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._send: Connection | None = None
        self._receive: Connection | None = None
        self.cpu_seconds = 0.0  # CPU time the worker spent extracting (benchmarks read it)
        self._owner_pid = os.getpid()

    def _start(self) -> None:
        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
        code = f"from pipeline.extract import _worker_main; _worker_main({to_child_r}, {from_child_w})"
        try:
            process = subprocess.Popen(
                [sys.executable, "-c", code],
                pass_fds=(to_child_r, from_child_w),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                env=env,
                close_fds=True,
            )
        finally:
            os.close(to_child_r)
            os.close(from_child_w)
        send, receive = Connection(to_child_w, readable=False), Connection(from_child_r, writable=False)
        if not receive.poll(WORKER_START_TIMEOUT_S):
            process.kill()
            process.wait()
            send.close()
            receive.close()
            raise RuntimeError("extraction worker did not start")
        try:
            receive.recv()
        except (EOFError, OSError) as exc:
            process.wait()
            send.close()
            receive.close()
            raise RuntimeError("extraction worker failed to start") from exc
        self._process, self._send, self._receive = process, send, receive

    def _stop(self) -> None:
        if self._process is not None:
            self._process.kill()
            self._process.wait(5)
        for conn in (self._send, self._receive):
            if conn is not None:
                conn.close()
        self._process, self._send, self._receive = None, None, None

    def close(self) -> None:
        with self._lock:
            if self._owner_pid == os.getpid():
                self._stop()

    def extract(self, data: bytes, url: str | None, timeout_s: float) -> Extracted:
        with self._lock:
            if self._owner_pid != os.getpid():
                # A forked child inherited the parent's worker pipes: it must not talk to (or kill) that worker.
                self._process, self._send, self._receive = None, None, None
                self._owner_pid = os.getpid()
            if self._process is None or self._process.poll() is not None:
                self._stop()
                self._start()
            assert self._send is not None and self._receive is not None
            try:
                self._send.send((data, url))
                ready = self._receive.poll(timeout_s)
            except (OSError, EOFError, ValueError):
                self._stop()
                raise RejectError("no-article", "extraction worker failed") from None
            if not ready:
                self._stop()
                raise RejectError("timeout", f"extraction took longer than {timeout_s:g} s; page abandoned")
            try:
                status, payload, cpu_seconds = self._receive.recv()
                self.cpu_seconds += cpu_seconds
            except (EOFError, OSError):
                self._stop()  # the worker died (out of memory, a crash in C): next page gets a new one
                raise RejectError("no-article", "extraction worker died on this page") from None
        if status == "ok":
            result: Extracted = payload
            return result
        code, message = payload
        raise RejectError(code, message)


_WORKER = ExtractionWorker()
atexit.register(_WORKER.close)
_worker_unavailable = False


@contextmanager
def _alarm(timeout_s: float) -> Iterator[None]:
    """SIGALRM-based limit: the fallback when no worker process can be started (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def on_alarm(signum: int, frame: Any) -> None:
        raise TimeoutError

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, timeout_s)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _extract_with_alarm(data: bytes, url: str | None, timeout_s: float) -> Extracted:
    try:
        with _alarm(timeout_s):
            return extract_html_unlimited(data, url)
    except TimeoutError:
        raise RejectError("timeout", f"extraction took longer than {timeout_s:g} s; page abandoned") from None


def extract_html(data: bytes, *, url: str | None = None, timeout_s: float = 20.0) -> Extracted:
    """Article text and metadata from one HTML page.

    Raises ``RejectError`` with code ``no-article`` (no body found), ``timeout`` (over ``timeout_s``) or
    ``encoding`` (undecodable bytes); never anything else.
    """
    global _worker_unavailable
    try:
        if not isinstance(data, bytes | bytearray | memoryview):
            raise RejectError("encoding", f"page content is {type(data).__name__}, not bytes")
        if not timeout_s or timeout_s <= 0 or timeout_s != timeout_s:  # nan
            timeout_s = 20.0
        timeout_s = min(timeout_s, MAX_TIMEOUT_S)  # inf or 1e300 would overflow the wait below
        if not _worker_unavailable:
            try:
                return _WORKER.extract(bytes(data), url, timeout_s)
            except (AssertionError, RuntimeError, OSError) as exc:
                # "daemonic processes are not allowed to have children" and the like
                LOG.warning("no extraction worker (%s); using an in-process alarm", exc)
                _worker_unavailable = True
        return _extract_with_alarm(bytes(data), url, timeout_s)
    except RejectError:
        raise
    except Exception as exc:
        raise RejectError("no-article", f"extraction failed: {type(exc).__name__}: {str(exc)[:200]}") from exc


def worker_cpu_seconds() -> float:
    """CPU time the extraction worker has spent on pages so far (for benchmarks; wall time hides it)."""
    return _WORKER.cpu_seconds
