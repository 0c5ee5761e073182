"""Word and shingle hashing of the near-duplicate signature agree with the text functions."""

from __future__ import annotations

import numpy as np

from crawler.dedup import minhash
from crawler.dedup.synthetic import Generator
from crawler.dedup.text import shingles, words

ODD_TEXT = (
    "Hà\u00a0Tĩnh:\tmưa “lớn” – ngập\u2003sâu…\nĐường_số 1A, km12+300!\r\n"
    "Ho\u0300a Bi\u0300nh (NFD) \u3000 hết."
)


def test_word_hashes_follow_the_words_of_the_text() -> None:
    for text in (ODD_TEXT, "", "   ", "một", "!!! ???"):
        hashes = minhash.word_hashes(text).tolist()
        tokens = words(text)
        assert len(hashes) == len(tokens)
        # Same word, same hash; different words, different hashes.
        assert len(set(zip(tokens, hashes, strict=True))) == len(set(tokens)) == len(set(hashes))


def test_equal_words_hash_equal_wherever_they_stand() -> None:
    first = minhash.word_hashes("lúa xuân Hà Tĩnh").tolist()
    second = minhash.word_hashes("Hà Tĩnh, mùa LÚA xuân").tolist()
    assert first[0] == second[3] and first[1] == second[4] and first[2:] == second[:2]


def test_shingle_hashes_count_the_distinct_shingles() -> None:
    for article in Generator(seed=3).stream(200, near_dup_ratio=0.2):
        parts = (article.title, article.sapo, article.body)
        assert len(np.unique(minhash.shingle_hashes(parts))) == len(shingles(parts))


def test_short_or_repetitive_texts_get_no_signature() -> None:
    assert minhash.signature(["một hai"]) is None
    repeated = " ".join(["mưa lớn kéo dài"] * 300)  # 1,200 words, 4 distinct shingles
    assert minhash.signature([repeated]) is None
    varied = " ".join(f"từ{i}" for i in range(minhash.MIN_SHINGLES + 2))
    assert minhash.signature([varied]) is not None
    assert minhash.distinct_at_least(np.array([1, 2, 2, 3] * 50, dtype=np.uint32), 3)
    assert not minhash.distinct_at_least(np.array([1, 2, 2, 3] * 50, dtype=np.uint32), 4)


def test_signature_similarity_tracks_shingle_jaccard() -> None:
    gen = Generator(seed=9)
    original = gen.original()
    variant = gen.variant(original)
    a = (original.title, original.sapo, original.body)
    b = (variant.title, variant.sapo, variant.body)
    sig_a, sig_b = minhash.signature(a), minhash.signature(b)
    assert sig_a is not None and sig_b is not None
    true = minhash.true_jaccard(shingles(a), shingles(b))
    assert abs(minhash.similarity(sig_a, sig_b) - true) < 0.15
