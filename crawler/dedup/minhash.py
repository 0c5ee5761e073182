"""MinHash signatures and LSH band keys for near-duplicate detection.

How it works
------------
An article's *text* for near-dup purposes is its title, sapo and body. It is cut into word
3-shingles (:func:`crawler.dedup.text.shingles`), and a MinHash of :data:`NUM_PERM`
permutations summarises that set: exactly datasketch's ``MinHash`` with scheme ``affine32``
(:func:`matches_datasketch`), computed directly in numpy without importing datasketch
(and SciPy with it) or building a sketch object per article. Shingles are hashed by
:func:`shingle_hashes` (a polynomial hash per word over the UTF-8 bytes, combined per
shingle, all in numpy) rather than datasketch's default SHA-1 per shingle string, which
alone took 2.4 ms an article (0.15 ms now). The
signature is split into :data:`BANDS` bands of :data:`ROWS` values; each band gives one
64-bit *bucket key*. The database keeps a ``(bucket, article_id)`` table whose primary key
starts with ``bucket``: looking up a new article is **one indexed ``IN`` query with BANDS
keys** plus one primary-key fetch of the few candidates' signatures, whatever the size of
the archive. Candidates are then verified with the signature's estimated Jaccard similarity
(fraction of equal MinHash values); the best one at or above the threshold
(``ARCHIVE_NEAR_DUP_THRESHOLD``) is the match.

How the parameters were chosen
-------------------------------
Measured with ``python -m crawler.dedup.calibrate`` on the synthetic corpus of
:mod:`crawler.dedup.synthetic` (Vietnamese-like articles, 400–1,200 words, with a shared pool
of stock phrases so that unrelated articles overlap a little, and edited variants: another
sapo with a source line, a dropped paragraph, a changed headline, 2 % of words changed, and
every pair of these):

* true shingle Jaccard of variants (k = 3): one edit 0.78–0.97 (medians 0.87–0.95), two
  edits 0.69–0.93 (medians 0.79–0.88); unrelated pairs at most 0.028;
* ``k = 3`` words per shingle: ``k = 2`` lifts unrelated pairs to 0.11 (Vietnamese words are
  syllables and 2-syllable phrases repeat everywhere) for no gain on variants; ``k = 4, 5``
  lower the "2 % words changed" variants (min 0.66, 0.63) without separating better;
* ``NUM_PERM = 128``: measured estimate error mean +0.0005, standard deviation 0.028;
* ``BANDS x ROWS = 32 x 4``: probability that a pair becomes a candidate is
  ``1 - (1 - J^4)^32`` — 0.988 at J = 0.6, 0.9998 at J = 0.7 — so LSH loses almost no true pair
  and the threshold decides; at J = 0.1 it is 0.003 (few useless candidates to verify);
* threshold **0.7** (the ``ARCHIVE_NEAR_DUP_THRESHOLD`` default, kept): recall of variants
  0.992 at 0.7, 0.9997 at 0.65, 1.0 at 0.6, and no unrelated pair above 0.5 at all. Synthetic
  text has no real hard negatives (same-template daily bulletins, follow-up stories), which
  are what a lower threshold would wrongly merge, so the measured margin is spent on
  precision rather than on the last 0.8 % of two-edit variants.
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np

from crawler.dedup.text import SHINGLE_SIZE, nfc

if TYPE_CHECKING:
    from collections.abc import Iterable

NUM_PERM = 128
"""MinHash permutations (signature length)."""

BANDS = 32
"""LSH bands; each gives one bucket key."""

ROWS = 4
"""MinHash values per band (``BANDS * ROWS <= NUM_PERM``)."""

SEED = 1
"""Seed of the MinHash permutations; changing it invalidates stored signatures."""

MIN_SHINGLES = 20
"""Texts with fewer distinct shingles are not near-dup matched nor indexed: a headline-only
page would otherwise collide with every page of the same headline template."""

MAX_CANDIDATES = 64
"""At most this many candidates are verified per lookup (keeps the cost bounded even when
one story is syndicated hundreds of times: only roots are indexed, see the repository)."""

SKETCH_ID = f"mh-a32-poly-k3-p{NUM_PERM}-s{SEED}-b{BANDS}x{ROWS}"
"""Identifies the sketch parameters; stored with each signature and mixed into bucket keys,
so a change of parameters never compares incompatible sketches."""

DEFAULT_THRESHOLD = 0.7
"""The measured threshold (the ``ARCHIVE_NEAR_DUP_THRESHOLD`` setting overrides it)."""


@lru_cache(maxsize=1)
def _permutations() -> np.ndarray[Any, np.dtype[np.uint32]]:
    """The ``(2, NUM_PERM)`` affine parameters ``a`` (odd) and ``b`` of datasketch's
    ``MinHash(num_perm=NUM_PERM, seed=SEED, scheme="affine32")``, drawn the same way."""
    gen = np.random.RandomState(SEED)
    a = gen.randint(0, 1 << 31, NUM_PERM, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, NUM_PERM, dtype=np.uint32)
    return np.array([a, b])


_NOT_WORD = re.compile(r"[^\w \n]+")
"""Runs of characters that are neither word characters nor the usual separators (space,
newline): punctuation and every other white space. Replacing them with a space leaves the
words of :func:`crawler.dedup.text.words` (runs of word characters) separated by spaces and
newlines only; ``\\W+`` would also rewrite every single space, which is twice as slow."""

_SPACE, _NEWLINE = np.uint8(ord(" ")), np.uint8(ord("\n"))
_BASE = 0x100000001B3  # odd, so invertible modulo 2^64
_BASE_INVERSE = pow(_BASE, -1, 1 << 64)
_powers = np.ones(1, dtype=np.uint64)
_inverse_powers = np.ones(1, dtype=np.uint64)

_C1, _C2, _C3 = np.uint32(0x9E3779B1), np.uint32(0x85EBCA77), np.uint32(0xC2B2AE3D)


def _power_tables(
    n: int,
) -> tuple[np.ndarray[Any, np.dtype[np.uint64]], np.ndarray[Any, np.dtype[np.uint64]]]:
    """``BASE**i`` and ``BASE**-i`` modulo 2^64 for ``i < n`` (grown on demand, kept)."""
    global _powers, _inverse_powers
    if len(_powers) < n:
        size = max(n, 2 * len(_powers))
        one = np.ones(1, dtype=np.uint64)
        # cumprod of uint64 wraps modulo 2^64, which is the arithmetic wanted here.
        _powers = np.concatenate((one, np.cumprod(np.full(size - 1, _BASE, dtype=np.uint64))))
        _inverse_powers = np.concatenate(
            (one, np.cumprod(np.full(size - 1, _BASE_INVERSE, dtype=np.uint64)))
        )
    return _powers, _inverse_powers


def word_hashes(text: str) -> np.ndarray[Any, np.dtype[np.uint32]]:
    """One 32-bit hash per word of :func:`crawler.dedup.text.words` (same words, same order),
    computed in numpy over the UTF-8 bytes instead of building a Python string per word.

    Each word's hash is the polynomial ``sum(byte_j * BASE**j)`` modulo 2^64, read off a
    running sum of ``byte_i * BASE**i`` (the difference at the word's ends, shifted back by
    ``BASE**-start``), then mixed with the MurmurHash3 64-bit finaliser down to 32 bits.
    Equal words give equal hashes whatever their position.
    """
    folded = _NOT_WORD.sub(" ", nfc(text).lower())
    # UTF-8 continuation and lead bytes are >= 0x80: a space or newline byte is a separator.
    data = np.frombuffer(folded.encode("utf-8"), dtype=np.uint8)
    if not len(data):
        return np.zeros(0, dtype=np.uint32)
    is_word = ((data != _SPACE) & (data != _NEWLINE)).astype(np.int8)
    edges = np.diff(is_word, prepend=np.int8(0), append=np.int8(0))
    starts = np.flatnonzero(edges == 1)
    ends = np.flatnonzero(edges == -1)
    powers, inverse = _power_tables(len(data))
    running = np.zeros(len(data) + 1, dtype=np.uint64)
    np.cumsum(data.astype(np.uint64) * powers[: len(data)], out=running[1:])
    hashes = (running[ends] - running[starts]) * inverse[starts]
    mixed = _fmix64(hashes)
    return (mixed >> np.uint64(32)).astype(np.uint32)


def _rotl(x: np.ndarray[Any, np.dtype[np.uint32]], r: int) -> np.ndarray[Any, np.dtype[np.uint32]]:
    return (x << np.uint32(r)) | (x >> np.uint32(32 - r))


def shingle_hashes(parts: Iterable[str | None]) -> np.ndarray[Any, np.dtype[np.uint32]]:
    """32-bit hashes of the word 3-shingles of the texts, in text order (repeats included:
    a MinHash is the same with or without them, so they are not removed).

    Words are hashed by :func:`word_hashes` and the three word hashes of a shingle are
    combined position-dependently with odd multipliers in vectorised uint32 arithmetic;
    datasketch then pre-mixes every value with the MurmurHash3 finaliser before permuting.
    Equal shingles give equal hashes, so the MinHash estimates the Jaccard similarity of the
    shingle sets of :func:`crawler.dedup.text.shingles` (``python -m crawler.dedup.calibrate``
    checks the estimate's error). Hashing each shingle string instead took 4x longer, and
    the signature is the largest part of storing an article.
    """
    h = word_hashes(" ".join(part for part in parts if part))
    if len(h) < SHINGLE_SIZE:
        if not len(h):
            return h
        return np.array([_short_text_hash(h)], dtype=np.uint32)
    combined: np.ndarray[Any, np.dtype[np.uint32]] = (
        h[:-2] * _C1 + _rotl(h[1:-1], 11) * _C2 + _rotl(h[2:], 22) * _C3
    )
    return combined


def _short_text_hash(h: np.ndarray[Any, np.dtype[np.uint32]]) -> int:
    """One hash (FNV-style over the word hashes) for a text of fewer than SHINGLE_SIZE
    words: its only shingle."""
    value = 0
    for part in h.tolist():
        value = (value * 0x01000193 ^ part) & 0xFFFFFFFF
    return value


def distinct_at_least(hashes: np.ndarray[Any, np.dtype[np.uint32]], count: int) -> bool:
    """Whether ``hashes`` holds at least ``count`` distinct values (a short prefix usually
    decides, without sorting the whole array)."""
    if len(hashes) < count:
        return False
    if len(np.unique(hashes[: 4 * count])) >= count:
        return True
    return len(np.unique(hashes)) >= count


def _identity(value: Any) -> Any:
    return value


def _datasketch_signature(
    hashes: np.ndarray[Any, np.dtype[np.uint32]],
) -> np.ndarray[Any, np.dtype[np.uint32]]:
    """The reference: datasketch's ``MinHash.update_batch`` over the pre-hashed values.

    Imported here only: datasketch pulls in SciPy (hundreds of modules, most of a second
    at start-up), which the crawl does not need for signatures.
    """
    try:
        from datasketch import MinHash
    except ImportError as exc:  # a development tool, not a dependency of the product
        raise RuntimeError(
            "comparing with datasketch needs the dev extra: pip install -e '.[dev]'"
        ) from exc

    sketch = MinHash(num_perm=NUM_PERM, seed=SEED, hashfunc=_identity, scheme="affine32")
    if not np.array_equal(np.asarray(sketch.permutations, dtype=np.uint32), _permutations()):
        raise RuntimeError("datasketch draws its affine32 permutations differently")
    sketch.update_batch(hashes.tolist())
    values: np.ndarray[Any, np.dtype[np.uint32]] = np.asarray(sketch.hashvalues, dtype=np.uint32)
    return values


_FM1, _FM2 = np.uint32(0x85EBCA6B), np.uint32(0xC2B2AE35)
_S16, _S13 = np.uint32(16), np.uint32(13)


@lru_cache(maxsize=1)
def _affine() -> tuple[np.ndarray[Any, np.dtype[np.uint32]], np.ndarray[Any, np.dtype[np.uint32]]]:
    perms = np.asarray(_permutations(), dtype=np.uint32)
    return perms[0].reshape(-1, 1).copy(), perms[1].reshape(-1, 1).copy()


def _numpy_signature(
    hashes: np.ndarray[Any, np.dtype[np.uint32]],
) -> np.ndarray[Any, np.dtype[np.uint32]]:
    """datasketch's ``affine32`` MinHash computed directly (same values, about 3x faster).

    Each value is pre-mixed with the 32-bit MurmurHash3 finaliser, then permuted as
    ``a_k * h + b_k`` modulo 2^32 (uint32 wraparound) for every permutation ``k``; the
    signature is the minimum per permutation. The permutations lie along the first axis so
    that the minimum reduces contiguous rows, and the work array is updated in place.
    """
    h = hashes.astype(np.uint32, copy=True)
    h ^= h >> _S16
    h *= _FM1
    h ^= h >> _S13
    h *= _FM2
    h ^= h >> _S16
    a, b = _affine()
    work = a * h  # (NUM_PERM, n), wraps modulo 2^32
    work += b
    values: np.ndarray[Any, np.dtype[np.uint32]] = work.min(axis=1)
    return values


def matches_datasketch() -> bool:
    """Whether :func:`signature` gives datasketch's ``affine32`` MinHash values (tests and
    ``python -m crawler.dedup.calibrate`` check it; the crawl itself never imports datasketch,
    and stored signatures depend only on this module)."""
    rng = np.random.default_rng(SEED)
    sample = rng.integers(0, 2**32, size=257, dtype=np.uint64).astype(np.uint32)
    return bool(np.array_equal(_numpy_signature(sample), _datasketch_signature(sample)))


def signature(parts: Iterable[str | None]) -> np.ndarray[Any, np.dtype[np.uint32]] | None:
    """The MinHash signature (uint32 array of NUM_PERM) of the texts, or None when they have
    fewer than :data:`MIN_SHINGLES` distinct shingles."""
    hashes = shingle_hashes(parts)
    if not distinct_at_least(hashes, MIN_SHINGLES):
        return None
    return _numpy_signature(hashes)


_BAND_MULT = np.array(
    [0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0x27D4EB2F165667C5],
    dtype=np.uint64,
)
_SALT = np.uint64(int.from_bytes(hashlib.blake2b(SKETCH_ID.encode(), digest_size=8).digest()))


def _fmix64(x: np.ndarray[Any, np.dtype[np.uint64]]) -> np.ndarray[Any, np.dtype[np.uint64]]:
    x = x ^ (x >> np.uint64(33))
    x = x * np.uint64(0xFF51AFD7ED558CCD)
    x = x ^ (x >> np.uint64(33))
    x = x * np.uint64(0xC4CEB9FE1A85EC53)
    return x ^ (x >> np.uint64(33))


def band_keys(sig: np.ndarray[Any, np.dtype[np.uint32]]) -> list[int]:
    """The BANDS bucket keys (signed 64-bit integers, to fit a BIGINT) of a signature.

    Each band's ROWS values are combined with odd 64-bit multipliers, salted with the band
    number and :data:`SKETCH_ID`, and mixed with the MurmurHash3 64-bit finaliser (vectorised;
    a rare key collision only adds a candidate, which verification then rejects).
    """
    bands = sig[: BANDS * ROWS].astype(np.uint64).reshape(BANDS, ROWS)
    mixed = _fmix64(bands * _BAND_MULT[:ROWS])
    combined = np.bitwise_xor.reduce(mixed * np.arange(1, 2 * ROWS, 2, dtype=np.uint64), axis=1)
    salted = combined + _SALT + np.arange(BANDS, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    keys: list[int] = _fmix64(salted).view(np.int64).tolist()
    return keys


def similarity(
    a: np.ndarray[Any, np.dtype[np.uint32]], b: np.ndarray[Any, np.dtype[np.uint32]]
) -> float:
    """Estimated Jaccard similarity of two signatures (fraction of equal values)."""
    return float(np.count_nonzero(a == b)) / float(len(a))


def to_bytes(sig: np.ndarray[Any, np.dtype[np.uint32]]) -> bytes:
    """The signature as little-endian bytes for storage."""
    return sig.astype("<u4").tobytes()


def from_bytes(data: bytes) -> np.ndarray[Any, np.dtype[np.uint32]]:
    """A signature read back from :func:`to_bytes`."""
    return np.frombuffer(data, dtype="<u4").astype(np.uint32)


def true_jaccard(a: set[bytes], b: set[bytes]) -> float:
    """Exact Jaccard similarity of two shingle sets (calibration and tests)."""
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)
