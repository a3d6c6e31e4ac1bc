"""Dedup stage: exact (normalised text hash) and near-duplicate (MinHash LSH over word shingles).

A syndicated copy of a stored story is not stored again: its URL goes into the first record's
``also_published_at``. Signatures are kept in the store so the index survives across runs.
"""

from __future__ import annotations

import hashlib
import re

import numpy as np
from datasketch import MinHash, MinHashLSH

from pipeline.store import Store

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


def minhash(text: str, num_perm: int) -> MinHash:
    signature = MinHash(num_perm=num_perm)
    signature.update_batch([s.encode("utf-8") for s in shingles(text)])
    return signature


def signature_bytes(signature: MinHash) -> bytes:
    """The hash values as stored (uint64), so a signature made in a worker travels as plain bytes."""
    return bytes(signature.hashvalues.astype(np.uint64).tobytes())


def signature_from_bytes(blob: bytes, num_perm: int, scheme: str) -> MinHash:
    hashvalues = np.frombuffer(blob, dtype=np.uint64)
    return MinHash(num_perm=num_perm, hashvalues=hashvalues, scheme=scheme)


class NearDuplicateIndex:
    """MinHash LSH over the stored articles, loaded from and saved to the store."""

    def __init__(self, store: Store, threshold: float, num_perm: int) -> None:
        self.store = store
        self.threshold = threshold
        self.num_perm = num_perm
        self.lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
        for article_id, scheme, blob in store.minhash_signatures(num_perm):
            self.lsh.insert(article_id, signature_from_bytes(blob, num_perm, scheme))

    def query(self, text: str, *, exclude: str | None = None) -> str | None:
        """Id of a stored article whose text is a near duplicate of ``text`` (smallest id wins), or None."""
        return self.query_signature(minhash(text, self.num_perm), exclude=exclude)

    def query_signature(self, signature: MinHash, *, exclude: str | None = None) -> str | None:
        matches = sorted(m for m in self.lsh.query(signature) if m != exclude)
        return matches[0] if matches else None

    def add(self, article_id: str, text: str) -> None:
        self.add_signature(article_id, minhash(text, self.num_perm))

    def add_signature(self, article_id: str, signature: MinHash) -> None:
        if article_id in self.lsh:
            self.lsh.remove(article_id)
        self.lsh.insert(article_id, signature)
        self.store.put_minhash(article_id, self.num_perm, str(signature.scheme), signature_bytes(signature))
