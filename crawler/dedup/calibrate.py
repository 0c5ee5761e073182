"""Measure shingle size, signature accuracy and threshold on the synthetic corpus.

``python -m crawler.dedup.calibrate`` prints, for each shingle size, the true Jaccard
similarity of edited variants (by edit) and of unrelated pairs, then, for the chosen
parameters of :mod:`crawler.dedup.minhash`, the recall and false-positive rate of candidate
thresholds using the MinHash estimate. The numbers quoted in :mod:`crawler.dedup.minhash`
come from this script.
"""

from __future__ import annotations

import argparse
import itertools
import statistics

from crawler.dedup import minhash
from crawler.dedup.synthetic import EDITS, Generator, SyntheticArticle
from crawler.dedup.text import shingles


def _parts(a: SyntheticArticle) -> tuple[str, str, str]:
    return (a.title, a.sapo, a.body)


def main(argv: list[str] | None = None) -> int:
    """Print the calibration tables."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--originals", type=int, default=300)
    parser.add_argument("--variants", type=int, default=3000)
    args = parser.parse_args(argv)
    if not minhash.matches_datasketch():
        print("error: minhash.signature differs from datasketch's affine32 MinHash")
        return 1
    gen = Generator(seed=42)
    originals = [gen.original() for _ in range(args.originals)]
    variants = [gen.variant(gen.rng.choice(originals)) for _ in range(args.variants)]
    combos = [(e,) for e in EDITS] + list(itertools.combinations(EDITS, 2))
    forced = [gen.variant(gen.rng.choice(originals), c) for c in combos for _ in range(50)]
    by_url = {a.url: a for a in originals}
    for k in (2, 3, 4, 5):
        sh = {a.url: shingles(_parts(a), k) for a in originals}
        unrelated = [
            minhash.true_jaccard(sh[a.url], sh[b.url])
            for a, b in itertools.combinations(originals, 2)
        ]
        var_j: dict[tuple[str, ...], list[float]] = {}
        for v in forced:
            assert v.original_url is not None
            j = minhash.true_jaccard(shingles(_parts(v), k), sh[v.original_url])
            var_j.setdefault(v.edits, []).append(j)
        print(
            f"k={k}: unrelated max {max(unrelated):.3f} p99.9 "
            f"{sorted(unrelated)[int(len(unrelated) * 0.999)]:.3f}"
        )
        for edits, js in var_j.items():
            print(f"   {'+'.join(edits):28s} min {min(js):.3f} median {statistics.median(js):.3f}")
    # Estimated similarity with the chosen parameters.
    sigs = {a.url: minhash.signature(_parts(a)) for a in originals}
    est_var: list[float] = []
    err: list[float] = []
    for v in variants + forced:
        assert v.original_url is not None
        s_v = minhash.signature(_parts(v))
        s_o = sigs[v.original_url]
        assert s_v is not None and s_o is not None
        est = minhash.similarity(s_v, s_o)
        est_var.append(est)
        tj = minhash.true_jaccard(shingles(_parts(v)), shingles(_parts(by_url[v.original_url])))
        err.append(est - tj)
    est_unrel = []
    for a, b in itertools.combinations(originals[:200], 2):
        sa, sb = sigs[a.url], sigs[b.url]
        assert sa is not None and sb is not None
        est_unrel.append(minhash.similarity(sa, sb))
    print(f"estimate error: mean {statistics.mean(err):+.4f} sd {statistics.pstdev(err):.4f}")
    print("threshold  recall(variants)  false-pos rate(unrelated pairs)  P(candidate @J=t)")
    for t in (0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8):
        recall = sum(e >= t for e in est_var) / len(est_var)
        fp = sum(e >= t for e in est_unrel) / len(est_unrel)
        p_cand = 1 - (1 - t**minhash.ROWS) ** minhash.BANDS
        print(f"  {t:.2f}      {recall:.4f}            {fp:.6f}                      {p_cand:.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
