"""Dedup stage: exact (normalised text hash) and near-duplicate (MinHash LSH over word shingles).

A syndicated copy of a stored story is not stored again: the record kept is the original (the outlet a copy
names as its original publisher, else the earliest date), and every copy goes into its ``also_published_at``
with URL, publisher and date. Identity never loses a distinct story: pages that share a canonical URL (a
homepage canonical, a fixed og:url in a template) but not their text are separate records.
Signatures are kept in the store so the index survives across runs.

Signatures and the index are datasketch's (``MinHash`` with its default ``affine32`` scheme, ``MinHashLSH``)
computed with numpy alone: importing datasketch loads scipy (0.7-0.9 CPU-s per process, in every extraction
worker and again in the writer, more than the signatures of a thousand pages cost). ``tests/test_dedup.py``
checks the hash values, the bands chosen and the query results against datasketch itself.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal, Protocol

import numpy as np

from pipeline.records import Article, Copy
from pipeline.store import Store

Placement = Literal["accepted", "duplicate", "original"]

SHINGLE_WORDS = 5
_WORD = re.compile(r"\w+", re.UNICODE)


def normalized_text_hash(text: str) -> str:
    """Hash that ignores case, punctuation and white space, so trivially re-formatted copies match."""
    words = _WORD.findall(text.lower())
    return hashlib.sha256(" ".join(words).encode("utf-8")).hexdigest()


def shingles(text: str, size: int = SHINGLE_WORDS) -> set[str]:
    words = _WORD.findall(text.lower())
    if len(words) < size:
        return {" ".join(words)} if words else set()
    return {" ".join(words[i : i + size]) for i in range(len(words) - size + 1)}


# datasketch's default MinHash: SHA-1 (first 4 bytes, little-endian) of each shingle, pre-mixed with the 32-bit
# MurmurHash3 finalizer, then the affine permutations a * h + b mod 2^32 drawn from RandomState(seed 1).
MINHASH_SCHEME = "affine32"
MINHASH_SEED = 1
_SHINGLES_PER_CHUNK = 2048  # bounds the (shingles x permutations) array of a very long text
_U32 = np.uint32


@lru_cache(maxsize=8)
def _permutations(num_perm: int) -> tuple[np.ndarray, np.ndarray]:
    generator = np.random.RandomState(MINHASH_SEED)
    a = generator.randint(0, 1 << 31, num_perm, dtype=_U32) * _U32(2) + _U32(1)
    b = generator.randint(0, 1 << 32, num_perm, dtype=_U32)
    return a, b


def _fmix32(values: np.ndarray) -> np.ndarray:
    values = values ^ (values >> _U32(16))
    values = values * _U32(0x85EBCA6B)
    values = values ^ (values >> _U32(13))
    values = values * _U32(0xC2B2AE35)
    return values ^ (values >> _U32(16))


def minhash_values(text: str, num_perm: int) -> np.ndarray:
    """The MinHash hash values (uint32) of the text's word shingles, as datasketch's ``MinHash`` makes them."""
    a, b = _permutations(num_perm)
    result = np.full(num_perm, np.iinfo(_U32).max, dtype=_U32)
    items = [s.encode("utf-8") for s in shingles(text)]
    for start in range(0, len(items), _SHINGLES_PER_CHUNK):
        digests = b"".join(hashlib.sha1(item).digest()[:4] for item in items[start : start + _SHINGLES_PER_CHUNK])
        hashed = _fmix32(np.frombuffer(digests, dtype="<u4").astype(_U32)).reshape(-1, 1)
        np.minimum(result, (hashed * a + b).min(axis=0), out=result)
    return result


@dataclass(frozen=True)
class MinHash:
    """A MinHash signature: its hash values and the scheme that made them (datasketch's names)."""

    hashvalues: np.ndarray
    scheme: str = MINHASH_SCHEME


def minhash(text: str, num_perm: int) -> MinHash:
    return MinHash(minhash_values(text, num_perm))


def minhash_signature(text: str, num_perm: int) -> tuple[bytes, str]:
    """(hash values as stored, scheme) of the text: what the workers send."""
    return signature_bytes(minhash(text, num_perm)), MINHASH_SCHEME


def signature_bytes(signature: MinHash) -> bytes:
    """The hash values as stored (uint64), so a signature made in a worker travels as plain bytes."""
    return bytes(signature.hashvalues.astype(np.uint64).tobytes())


def signature_from_bytes(blob: bytes, num_perm: int, scheme: str) -> MinHash:
    hashvalues = np.frombuffer(blob, dtype=np.uint64)
    if len(hashvalues) != num_perm:
        raise ValueError(f"a signature of {len(hashvalues)} hash values, not {num_perm}")
    return MinHash(hashvalues, scheme)


@lru_cache(maxsize=8)
def lsh_params(threshold: float, num_perm: int) -> tuple[int, int]:
    """(bands, rows) minimising the false positive plus false negative probability (equal weights), the first
    such pair in datasketch's order, as ``MinHashLSH`` chooses them."""
    pairs = np.array([(b, r) for b in range(1, num_perm + 1) for r in range(1, num_perm // b + 1)], dtype=float)
    bands, rows = pairs[:, :1], pairs[:, 1:]
    # Gauss-Legendre on [0, t] and [t, 1]: exact for these polynomials (degree bands * rows <= num_perm)
    nodes, weights = np.polynomial.legendre.leggauss(num_perm // 2 + 2)
    low = (nodes + 1) * threshold / 2
    high = threshold + (nodes + 1) * (1 - threshold) / 2
    errors = np.empty(len(pairs))
    for start in range(0, len(pairs), 1024):  # bounded memory for a large num_perm
        b, r = bands[start : start + 1024], rows[start : start + 1024]
        false_positive = ((1 - (1 - low**r) ** b) @ weights) * threshold / 2
        false_negative = (((1 - high**r) ** b) @ weights) * (1 - threshold) / 2
        errors[start : start + 1024] = 0.5 * false_positive + 0.5 * false_negative
    best = int(np.argmin(errors))  # the first of equal minima
    return int(pairs[best, 0]), int(pairs[best, 1])


class BandIndex:
    """datasketch's ``MinHashLSH`` (in memory): the signature cut into bands of rows; a query finds every key
    that shares a whole band with it."""

    def __init__(self, threshold: float, num_perm: int) -> None:
        self.num_perm = num_perm
        self.bands, self.rows = lsh_params(threshold, num_perm)
        self.tables: list[dict[bytes, set[str]]] = [{} for _ in range(self.bands)]
        self.keys: dict[str, list[bytes]] = {}
        self.scheme: str | None = None

    def _bands(self, signature: MinHash) -> list[bytes]:
        if len(signature.hashvalues) != self.num_perm:
            raise ValueError(f"a signature of {len(signature.hashvalues)} hash values, not {self.num_perm}")
        if self.scheme is None:
            self.scheme = signature.scheme
        elif signature.scheme != self.scheme:  # values of two schemes cannot be compared
            raise ValueError(f"MinHash scheme {signature.scheme!r} does not match the index's {self.scheme!r}")
        values = signature.hashvalues.astype(np.uint64)
        return [values[i * self.rows : (i + 1) * self.rows].tobytes() for i in range(self.bands)]

    def __contains__(self, key: str) -> bool:
        return key in self.keys

    def insert(self, key: str, signature: MinHash) -> None:
        if key in self.keys:
            raise ValueError(f"{key} is in the index already")
        bands = self._bands(signature)
        self.keys[key] = bands
        for table, band in zip(self.tables, bands, strict=True):
            table.setdefault(band, set()).add(key)

    def query(self, signature: MinHash) -> set[str]:
        found: set[str] = set()
        for table, band in zip(self.tables, self._bands(signature), strict=True):
            found.update(table.get(band, ()))
        return found

    def remove(self, key: str) -> None:
        for table, band in zip(self.tables, self.keys.pop(key), strict=True):
            table[band].discard(key)
            if not table[band]:
                del table[band]


class NearDuplicateIndex:
    """MinHash LSH over the stored articles, loaded from and saved to the store."""

    def __init__(self, store: Store, threshold: float, num_perm: int) -> None:
        self.store = store
        self.threshold = threshold
        self.num_perm = num_perm
        self.lsh = BandIndex(threshold, num_perm)
        for article_id, scheme, blob in store.minhash_signatures(num_perm):
            self.lsh.insert(article_id, signature_from_bytes(blob, num_perm, scheme))

    def query(self, text: str, *, exclude: str | None = None) -> str | None:
        """Id of a stored article whose text is a near duplicate of ``text`` (smallest id wins), or None."""
        return self.query_signature(minhash(text, self.num_perm), exclude=exclude)

    def query_signature(self, signature: MinHash, *, exclude: str | None = None) -> str | None:
        matches = sorted(m for m in self.lsh.query(signature) if m != exclude)
        return matches[0] if matches else None

    def matches(self, text: str) -> set[str]:
        """Ids of every stored article whose text is a near duplicate of ``text``."""
        return self.matches_signature(minhash(text, self.num_perm))

    def matches_signature(self, signature: MinHash) -> set[str]:
        return set(self.lsh.query(signature))

    def add(self, article_id: str, text: str) -> None:
        self.add_signature(article_id, minhash(text, self.num_perm))

    def add_signature(self, article_id: str, signature: MinHash) -> None:
        if article_id in self.lsh:
            self.lsh.remove(article_id)
        self.lsh.insert(article_id, signature)
        self.store.put_minhash(article_id, self.num_perm, str(signature.scheme), signature_bytes(signature))

    def remove(self, article_id: str) -> None:
        if article_id in self.lsh:
            self.lsh.remove(article_id)
        self.store.delete_minhash(article_id)


def _outlet(name: str | None) -> str:
    words = _WORD.findall((name or "").casefold())
    return " ".join(w for w in words if w not in {"the", "www", "com", "org", "net"})


def _names_same_outlet(a: str | None, b: str | None) -> bool:
    x, y = _outlet(a), _outlet(b)
    return bool(x and y) and (x == y or f" {x} " in f" {y} " or f" {y} " in f" {x} ")


def is_original_of(candidate: Article, stored: Article) -> bool:
    """Whether ``candidate`` is the original story of which ``stored`` is a syndicated copy.

    The outlet a copy names as original publisher wins; else a record that names no original beats one that
    does; else the earlier publication date; on a tie (or no dates) the record seen first stays.
    """
    if _names_same_outlet(stored.original_publisher, candidate.publisher):
        return True
    if _names_same_outlet(candidate.original_publisher, stored.publisher):
        return False
    if bool(candidate.original_publisher) != bool(stored.original_publisher):
        return not candidate.original_publisher
    if candidate.published and stored.published:
        return candidate.published < stored.published
    return False


def copy_of(article: Article) -> Copy:
    return Copy(
        url=article.url or article.source_path or article.id, publisher=article.publisher, published=article.published
    )


class ReadFrom(Protocol):
    """Where a page was read: a raw input, or the runner's record of one."""

    @property
    def source(self) -> str: ...
    @property
    def url(self) -> str | None: ...
    @property
    def sha256(self) -> str: ...


def distinct_article_id(url: str, fetched_from: str) -> str:
    """Id of a story whose canonical URL is already another story's: from that URL and where it was read
    (the fetched URL or the local file), so an edit of the page keeps its id."""
    key = "url+source:" + url.strip() + "\n" + fetched_from
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


def place_article(
    store: Store,
    index: NearDuplicateIndex,
    article: Article,
    raw: ReadFrom,
    text_hash: str,
    signature: MinHash | None = None,
) -> Placement:
    """Store ``article`` as a new record, fold it into the original it copies, or make it the original.

    ``accepted``: stored as its own record (new, or an update of the same page); ``duplicate``: a copy, noted
    in the original's ``also_published_at``; ``original``: it replaced a stored copy of itself, which became one
    of its ``also_published_at``. ``signature``: the text's MinHash when a worker made it already.
    """
    if signature is None:
        signature = minhash(article.text, index.num_perm)
    existing = store.get_article(article.id)
    if existing is not None and article.url is not None:
        same_page = store.article_read_from(article.id) == raw.source
        near = article.id in index.matches_signature(signature) or store.article_by_text_hash(text_hash) == article.id
        if not same_page and not near:
            # another story under the same canonical URL: a distinct record, keyed by its fetched URL and text
            article.id = distinct_article_id(article.url, raw.source)
            article.url = raw.url or article.url
            existing = store.get_article(article.id)
    duplicate_of = store.article_by_text_hash(text_hash)
    if duplicate_of is None:
        duplicate_of = index.query_signature(signature, exclude=article.id)
    if duplicate_of is not None and duplicate_of != article.id and store.article_read_from(duplicate_of) == raw.source:
        # the same page read again under another id (its canonical URL changed): an update, not a copy of itself
        article.id = duplicate_of
        existing = store.get_article(duplicate_of)
    if duplicate_of is None or duplicate_of == article.id:
        if existing is not None:  # an update of the same story keeps the copies found before
            known = {c.url for c in article.also_published_at}
            article.also_published_at += [c for c in existing.also_published_at if c.url not in known]
        store.upsert_article(article, raw.sha256, text_hash)
        index.add_signature(article.id, signature)
        return "accepted"
    stored = store.get_article(duplicate_of)
    if stored is None or not is_original_of(article, stored):
        store.add_also_published_at(duplicate_of, copy_of(article))
        return "duplicate"
    # the new one is the original: it becomes the record, the stored copy and its copies go to also_published_at
    copies = [copy_of(stored), *stored.also_published_at]
    article.also_published_at = [c for c in copies if c.url != (article.url or article.source_path)]
    with store.transaction():
        old_raw = store.delete_article(duplicate_of)
        index.remove(duplicate_of)
        if old_raw is not None:
            store.set_raw_status(old_raw, "duplicate")
        store.upsert_article(article, raw.sha256, text_hash)
        index.add_signature(article.id, signature)
    return "original"
