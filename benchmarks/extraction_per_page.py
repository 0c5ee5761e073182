"""Per-page extraction time on the real article pages, next to bare trafilatura, optionally
next to the extractor of an older commit, in one run.

    python -m benchmarks.extraction_per_page                     # the code here vs trafilatura
    python -m benchmarks.extraction_per_page --before 3b136c1^1  # also the code at that commit

For every real article page of ``tests/fixtures/real`` it measures the CPU time of one
extraction (best of 3 rounds of ``--repeat`` calls, after a warm-up call) of the project's
extractor and of ``trafilatura.bare_extraction`` with metadata, each system in the same
process; with ``--before REF`` the older code (checked out into a temporary git worktree) is
measured in its own process on the same pages. ``--passes`` fresh processes per code run in
turn (now, before, now, before...) and each figure is the best of them. Pages are grouped by
how the current code reads them (its outlet profile, a sniffed template, or the generic
path). This is the figure issue 9 asks about: "throughput on real pages at least today's
(about 5× bare trafilatura with a profile)"; ``benchmarks.extraction_quality`` gives the
quality and whole-set rates.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]

# Runs in a child process with the code to measure first on sys.path.
CHILD = r"""
import json, sys, time, warnings
warnings.filterwarnings("ignore")
code, repeat, pages_file = sys.argv[1], int(sys.argv[2]), sys.argv[3]
sys.path.insert(0, code)
import trafilatura
try:
    from crawler.extraction import extract_page

    def ours(body, url):
        return extract_page(body, url)

    def path(body, url):
        outcome = extract_page(body, url)
        return outcome.explanation.path if outcome.explanation else "?"
except ImportError:  # code from before extract_page
    from crawler.extraction import extract

    def ours(body, url):
        try:
            return extract(body, url)
        except Exception:
            return None

    def path(body, url):
        return "?"


def bare(body, url):
    return trafilatura.bare_extraction(
        body.decode("utf-8", "replace"), url=url, with_metadata=True
    )


out = {}
for page in json.load(open(pages_file)):
    body, url = open(page["file"], "rb").read(), page["url"]
    if page["gz"]:
        import gzip
        body = gzip.decompress(body)
    times = {}
    for label, function in (("ours", ours), ("trafilatura", bare)):
        function(body, url)
        rounds = []
        for _ in range(3):
            start = time.process_time()
            for _ in range(repeat):
                function(body, url)
            rounds.append((time.process_time() - start) / repeat)
        times[label] = min(rounds)
    times["path"] = path(body, url)
    out[page["id"]] = times
print(json.dumps(out))
"""


def real_article_pages() -> list[dict[str, Any]]:
    """The real article pages: id, file, URL, gzipped or not."""
    pages = []
    for expected in sorted((ROOT / "tests" / "fixtures" / "real").glob("*/*.expected.json")):
        data = json.loads(expected.read_text(encoding="utf-8"))
        if data.get("kind", "article") != "article":
            continue
        stem = expected.name.removesuffix(".expected.json")
        html = expected.with_name(stem + ".html")
        gz = not html.exists()
        file = expected.with_name(stem + ".html.gz") if gz else html
        pages.append(
            {
                "id": f"{expected.parent.name}/{stem}",
                "file": str(file),
                "url": data["url"],
                "gz": gz,
            }
        )
    return pages


def measure(code: Path, repeat: int, pages_file: Path) -> dict[str, dict[str, Any]]:
    """Per-page times of the code at ``code`` (and of trafilatura), in a fresh process."""
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(code), str(repeat), str(pages_file)],
        capture_output=True,
        text=True,
        check=True,
        cwd=code,
    )
    result: dict[str, dict[str, Any]] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def keep_best(best: dict[str, dict[str, Any]], new: dict[str, dict[str, Any]]) -> None:
    """Merge a pass into ``best``: each page's lowest time per system."""
    for page_id, times in new.items():
        known = best.setdefault(page_id, dict(times))
        for label in ("ours", "trafilatura"):
            known[label] = min(known[label], times[label])


def group(path: str) -> str:
    """How a page is read: profile, template or generic."""
    if path.startswith("profile"):
        return "profile"
    if path.startswith("sniffed"):
        return "template"
    return "generic"


def main(argv: list[str] | None = None) -> int:
    """Measure and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", help="a git ref whose extractor is measured too")
    parser.add_argument("--repeat", type=int, default=10, help="calls per round (default 10)")
    parser.add_argument(
        "--passes",
        type=int,
        default=3,
        help="fresh processes per code, alternating now/before; each time is the best of all "
        "(default 3: a shared machine's slow minutes then hit both codes, not one)",
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="per-page-") as tmp:
        pages_file = Path(tmp) / "pages.json"
        pages_file.write_text(json.dumps(real_article_pages()), encoding="utf-8")
        now: dict[str, dict[str, Any]] = {}
        before: dict[str, dict[str, Any]] = {}
        tree = Path(tmp) / "before"
        if args.before:
            subprocess.run(
                ["git", "worktree", "add", "--detach", str(tree), args.before],
                cwd=ROOT, check=True, capture_output=True,
            )  # fmt: skip
        try:
            for _ in range(max(args.passes, 1)):
                keep_best(now, measure(ROOT, args.repeat, pages_file))
                if args.before:
                    keep_best(before, measure(tree, args.repeat, pages_file))
        finally:
            if args.before:
                subprocess.run(
                    ["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT, check=False
                )
    print("| page | read through | before ms | now ms | trafilatura ms | before × | now × |")
    print("|---|---|---:|---:|---:|---:|---:|")
    totals: dict[str, list[float]] = {}
    for page_id, t in sorted(now.items(), key=lambda kv: (group(kv[1]["path"]), kv[0])):
        old = before.get(page_id)
        bare = t["trafilatura"]
        cells = [
            page_id,
            t["path"],
            f"{old['ours'] * 1e3:.1f}" if old else "-",
            f"{t['ours'] * 1e3:.1f}",
            f"{bare * 1e3:.1f}",
            f"{old['trafilatura'] / old['ours']:.2f}" if old else "-",
            f"{bare / t['ours']:.2f}",
        ]
        print("| " + " | ".join(cells) + " |")
        sums = totals.setdefault(group(t["path"]), [0.0, 0.0, 0.0])
        sums[0] += old["ours"] if old else 0.0
        sums[1] += t["ours"]
        sums[2] += bare
    print()
    totals["all real article pages"] = [sum(c) for c in zip(*totals.values(), strict=True)]
    for name, (old_sum, new_sum, bare_sum) in totals.items():
        line = f"{name}: now {bare_sum / new_sum:.2f}× trafilatura"
        if before:
            line += f", before {bare_sum / old_sum:.2f}× (now/before time {new_sum / old_sum:.2f})"
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
