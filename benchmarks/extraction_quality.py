"""Extraction quality: the project's extractor next to bare trafilatura, in one run.

Usage (from the repository root)::

    .venv/bin/python -m benchmarks.extraction_quality [--limit N] [--json PATH] [--check] [-v]

Two data sets:

(a) the project's fixtures, ``tests/fixtures/<outlet>/<case>.html.gz`` with the gold record in
    ``tests/fixtures/sources/<outlet>/<case>.json``;
(b) scrapinghub's article-extraction-benchmark (181 pages, mostly English) in
    ``/work/shared/benchmarks/article-extraction-benchmark``: body text only, no gold fields.

Systems: ``crawler.extraction.extract`` (scored text: ``sapo`` then ``body``, the non-empty
ones joined by a newline) and ``trafilatura.bare_extraction(html, url=url,
with_metadata=True)`` (scored text: ``.text``). Both get the same undecoded bytes.

Columns, per data set and system:

* body F1, P, R: the shingle metric of article-extraction-benchmark (see
  ``benchmarks/scoring.py``). The fixtures' gold text is the sapo followed by the text
  blocks in order: p/h2/h3/quote text, table rows as cells joined by " | " (one row a line),
  list items one a line; images contribute nothing.
* leaks (fixtures only): occurrences in the scored text of strings that must never be there:
  the outlets' chrome (``scoring.BOILERPLATE_STRINGS``) and, per page, the gold photo
  captions, related-article titles, dateline marker and byline. Matching is case-sensitive
  on NFC text, and a string counts only where the text has it more often than the gold text
  (a caption that is also a real sentence of the article is no leak). Reported as total
  occurrences and pages with at least one.
* title (fixtures only): exact match after NFC and whitespace folding.
* date (fixtures only): a date is right when it is the same instant as the page's own
  publication time, to the precision the page gives. The gold ``published_at`` is an ISO
  string; when it has a time of day (it has a "T"), the answer must have a time too and be
  the same instant (any offset; naive answers are read as +07:00), so a date-only answer
  such as trafilatura's "YYYY-MM-DD" is wrong even on the right day. When the gold is a
  bare date, an answer is right when its own calendar date is that date.
* author (fixtures only): the set of author names (NFC, whitespace folded, case-sensitive)
  equals the gold ``authors``; trafilatura's "; "-joined author string is split first.
* pages/s: pages divided by the summed wall time of the extraction calls alone (reading and
  decompressing excluded), after one untimed warm-up call on the set's first page. Each
  system runs on each data set in a fresh process (``--in-process`` to skip that), since a
  second pass over the same pages in one process runs faster on caches the first pass warmed
  (about 10-20% for trafilatura against itself). The ratio project/trafilatura is printed per
  data set and over all pages.

A page on which a system raises counts as an empty answer (and in the "errors" column); its
(usually short) time still counts, so throughput is only comparable when errors are 0.

The run always exits 0 (it is a report) unless ``--check`` is given; then it exits 1 when a
target is not met, including targets that could not be measured (no fixtures, no extractor).
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import importlib
import json
import logging
import multiprocessing
import sys
import time
import traceback
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if not __package__:  # run as a script: make ``benchmarks.scoring`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import scoring

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_FIXTURES = ROOT / "tests" / "fixtures"
# shared/ lies beside the checkout (here and on CI).
DEFAULT_BENCHMARK = ROOT.parent / "shared" / "benchmarks" / "article-extraction-benchmark"
PUBLISHED_TRAFILATURA_F1 = 0.958

PROJECT = "project"
TRAFILATURA = "trafilatura"
FIXTURES = "fixtures"
BENCHMARK = "benchmark"

TARGET_FIXTURE_F1 = 0.98
TARGET_THROUGHPUT_RATIO = 0.7
TARGETS_LINE = (
    "Targets: fixtures body F1 ≥ 0.98, zero leaks, 100% title/date/author; "
    "benchmark F1 ≥ trafilatura's in this run; throughput ≥ 0.7× trafilatura"
)


@dataclass
class Page:
    """One page to extract, with what is known of its truth."""

    id: str
    url: str
    html: bytes
    gold_text: str
    gold: dict[str, Any] | None = None
    """The fixture's gold record; None for benchmark pages."""


@dataclass
class Answer:
    """What a system extracted from one page, reduced to the scored fields."""

    text: str = ""
    title: str | None = None
    published_at: str | None = None
    authors: list[str] = field(default_factory=list)


@dataclass
class Run:
    """A system's answers on a data set, with timing."""

    answers: list[Answer]
    seconds: float
    errors: list[str]


# --- systems -------------------------------------------------------------------------------


def load_project_system() -> tuple[Callable[[bytes, str], Answer] | None, str]:
    """The project's extractor wrapped to an :class:`Answer`, or None and the reason."""
    try:
        module = importlib.import_module("crawler.extraction")
        extract: Any = module.extract
    except Exception as exc:  # the extractor is optional while it is being written
        return None, f"{type(exc).__name__}: {exc}"

    def run(html: bytes, url: str) -> Answer:
        article: Any = extract(html, url)
        parts = [part for part in (article.sapo, article.body) if part]
        return Answer(
            text="\n".join(parts),
            title=article.title,
            published_at=article.published_at,
            authors=list(article.authors or []),
        )

    return run, "crawler.extraction.extract"


def trafilatura_system(html: bytes, url: str) -> Answer:
    """Bare trafilatura with metadata."""
    import trafilatura

    doc: Any = trafilatura.bare_extraction(html, url=url, with_metadata=True)
    if doc is None:
        return Answer()
    author: str | None = doc.author
    return Answer(
        text=doc.text or "",
        title=doc.title,
        published_at=doc.date,
        authors=[name.strip() for name in author.split(";")] if author else [],
    )


def run_system(
    system: Callable[[bytes, str], Answer], pages: Sequence[Page], verbose: bool = False
) -> Run:
    """Extract every page, timing the calls alone, after one untimed warm-up call."""
    if pages:
        with contextlib.suppress(Exception):  # the timed call below records the error
            system(pages[0].html, pages[0].url)
    answers: list[Answer] = []
    errors: list[str] = []
    seconds = 0.0
    for page in pages:
        start = time.perf_counter()
        try:
            answer = system(page.html, page.url)
        except Exception as exc:
            seconds += time.perf_counter() - start
            errors.append(f"{page.id}: {type(exc).__name__}: {exc}")
            if verbose:
                print(traceback.format_exc(), file=sys.stderr)
            answer = Answer()
        else:
            seconds += time.perf_counter() - start
        answers.append(answer)
    return Run(answers=answers, seconds=seconds, errors=errors)


# --- data sets -----------------------------------------------------------------------------


def fixture_gold_text(gold: dict[str, Any]) -> str:
    """Sapo then the text blocks in order (see the module docstring)."""
    lines: list[str] = []
    if gold.get("sapo"):
        lines.append(str(gold["sapo"]))
    for block in gold.get("blocks") or []:
        kind = block.get("type")
        if kind == "image":
            continue
        if kind == "table":
            for row in block.get("rows") or []:
                lines.append(" | ".join(str(cell) for cell in row))
        elif kind == "ul":
            lines.extend(str(item) for item in block.get("items") or [])
        elif block.get("text"):
            lines.append(str(block["text"]))
    return "\n".join(line for line in lines if line)


def fixture_leak_needles(gold: dict[str, Any]) -> list[str]:
    """The chrome strings plus this page's captions, related titles, dateline and byline."""
    needles = list(scoring.BOILERPLATE_STRINGS)
    for block in gold.get("blocks") or []:
        if block.get("type") == "image" and block.get("caption"):
            needles.append(str(block["caption"]))
    for related in gold.get("related") or []:
        if isinstance(related, dict) and related.get("title"):
            needles.append(str(related["title"]))
    for key in ("dateline", "byline"):
        if gold.get(key):
            needles.append(str(gold[key]))
    return needles


def load_fixtures(root: Path, limit: int | None) -> list[Page]:
    """Fixture pages that have a gold record, in path order."""
    pages: list[Page] = []
    sources = root / "sources"
    for html_path in sorted(root.glob("*/*.html.gz")):
        outlet = html_path.parent.name
        if outlet == "sources":
            continue
        case = html_path.name.removesuffix(".html.gz")
        gold_path = sources / outlet / f"{case}.json"
        if not gold_path.is_file():
            print(f"warning: {html_path} has no gold record {gold_path}", file=sys.stderr)
            continue
        gold: dict[str, Any] = json.loads(gold_path.read_text(encoding="utf-8"))
        pages.append(
            Page(
                id=f"{outlet}/{case}",
                url=str(gold.get("url") or ""),
                html=gzip.decompress(html_path.read_bytes()),
                gold_text=fixture_gold_text(gold),
                gold=gold,
            )
        )
        if limit is not None and len(pages) >= limit:
            break
    return pages


def load_benchmark(root: Path, limit: int | None) -> list[Page]:
    """article-extraction-benchmark pages, in id order."""
    truth: dict[str, Any] = json.loads((root / "ground-truth.json").read_text(encoding="utf-8"))
    pages: list[Page] = []
    for key in sorted(truth):
        pages.append(
            Page(
                id=key,
                url=str(truth[key].get("url") or ""),
                html=gzip.decompress((root / "html" / f"{key}.html.gz").read_bytes()),
                gold_text=str(truth[key].get("articleBody") or ""),
            )
        )
        if limit is not None and len(pages) >= limit:
            break
    return pages


# --- scoring -------------------------------------------------------------------------------


def score_run(pages: Sequence[Page], run: Run, verbose: bool, label: str) -> dict[str, Any]:
    """The numbers of one table row."""
    body = scoring.aggregate(
        [
            scoring.match(page.gold_text, answer.text)
            for page, answer in zip(pages, run.answers, strict=True)
        ]
    )
    row: dict[str, Any] = {
        "pages": len(pages),
        "f1": body.f1,
        "precision": body.precision,
        "recall": body.recall,
        "leaks": None,
        "leak_pages": None,
        "title": None,
        "date": None,
        "author": None,
        "seconds": run.seconds,
        "pages_per_second": len(pages) / run.seconds if run.seconds > 0 else None,
        "errors": len(run.errors),
    }
    for error in run.errors:
        print(f"  {label}: error on {error}", file=sys.stderr)
    golds = [(page, answer, page.gold) for page, answer in zip(pages, run.answers, strict=True)]
    if not pages or any(gold is None for _, _, gold in golds):
        return row
    leaks = leak_pages = titles = dates = authors = 0
    for page, answer, gold in golds:
        assert gold is not None
        found = scoring.count_leaks(answer.text, fixture_leak_needles(gold), page.gold_text)
        leaks += sum(found.values())
        leak_pages += bool(found)
        title_ok = scoring.title_matches(gold.get("title"), answer.title)
        date_ok = scoring.date_matches(gold.get("published_at"), answer.published_at)
        author_ok = scoring.authors_match(gold.get("authors") or [], answer.authors)
        titles += title_ok
        dates += date_ok
        authors += author_ok
        if verbose:
            if found:
                print(f"  {label} {page.id}: leaks {found}", file=sys.stderr)
            if not title_ok:
                print(
                    f"  {label} {page.id}: title {answer.title!r} != {gold.get('title')!r}",
                    file=sys.stderr,
                )
            if not date_ok:
                print(
                    f"  {label} {page.id}: date {answer.published_at!r} != "
                    f"{gold.get('published_at')!r}",
                    file=sys.stderr,
                )
            if not author_ok:
                print(
                    f"  {label} {page.id}: authors {answer.authors!r} != {gold.get('authors')!r}",
                    file=sys.stderr,
                )
            f1 = scoring.aggregate([scoring.match(page.gold_text, answer.text)]).f1
            if f1 < 1:
                print(f"  {label} {page.id}: body F1 {f1:.3f}", file=sys.stderr)
    n = len(pages)
    row.update(
        leaks=leaks,
        leak_pages=leak_pages,
        title=titles / n,
        date=dates / n,
        author=authors / n,
    )
    return row


def metric_check(benchmark: Path) -> float | None:
    """F1 of the benchmark's shipped trafilatura output under our metric (published 0.958)."""
    shipped = benchmark / "output" / "trafilatura.json"
    if not shipped.is_file():
        return None
    gold = scoring.load_article_bodies(benchmark / "ground-truth.json")
    return scoring.score_texts(gold, scoring.load_article_bodies(shipped)).f1


# --- report --------------------------------------------------------------------------------


def _fmt(value: Any, kind: str) -> str:
    if value is None:
        return "n/a"
    if kind == "score":
        return f"{value:.3f}"
    if kind == "percent":
        return f"{100 * value:.1f}%"
    if kind == "ratio":
        return f"{value:.2f}"
    if kind == "rate":
        return f"{value:.1f}"
    return str(value)


COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("body F1", "f1", "score"),
    ("P", "precision", "score"),
    ("R", "recall", "score"),
    ("leaks", "leaks", "int"),
    ("pages w/ leak", "leak_pages", "int"),
    ("title", "title", "percent"),
    ("date", "date", "percent"),
    ("author", "author", "percent"),
    ("pages/s", "pages_per_second", "rate"),
    ("errors", "errors", "int"),
)


def markdown_table(results: dict[str, dict[str, dict[str, Any] | None]]) -> str:
    """Fixed-width Markdown table: one row per data set and system."""
    header = ["data set", "system", "pages", *(title for title, _, _ in COLUMNS)]
    rows: list[list[str]] = []
    for dataset, systems in results.items():
        for system, row in systems.items():
            if row is None:
                rows.append(
                    [
                        dataset,
                        system,
                        "-",
                        *("not run" if i == 0 else "" for i in range(len(COLUMNS))),
                    ]
                )
                continue
            cells = [dataset, system, str(row["pages"])]
            cells.extend(_fmt(row[key], kind) for _, key, kind in COLUMNS)
            rows.append(cells)
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    numeric = [False, False, *([True] * (len(header) - 2))]

    def line(cells: Sequence[str]) -> str:
        padded = [
            cell.rjust(w) if num else cell.ljust(w)
            for cell, w, num in zip(cells, widths, numeric, strict=True)
        ]
        return "| " + " | ".join(padded) + " |"

    rule = (
        "|"
        + "|".join(
            ("-" * (w + 1) + ":") if num else ("-" * (w + 2))
            for w, num in zip(widths, numeric, strict=True)
        )
        + "|"
    )
    return "\n".join([line(header), rule, *(line(r) for r in rows)])


def throughput_ratio(
    results: dict[str, dict[str, dict[str, Any] | None]], datasets: Sequence[str]
) -> float | None:
    """Project pages/s divided by trafilatura pages/s over the given data sets' pages."""
    project_seconds = trafilatura_seconds = 0.0
    pages = 0
    for dataset in datasets:
        project = results.get(dataset, {}).get(PROJECT)
        baseline = results.get(dataset, {}).get(TRAFILATURA)
        if project is None or baseline is None or not project["pages"]:
            continue
        project_seconds += project["seconds"]
        trafilatura_seconds += baseline["seconds"]
        pages += project["pages"]
    if not pages or project_seconds <= 0:
        return None
    return trafilatura_seconds / project_seconds


def evaluate_targets(
    results: dict[str, dict[str, dict[str, Any] | None]], ratio: float | None
) -> list[tuple[str, str, str]]:
    """(target, PASS|FAIL|n/a, measured) for each target of the targets line."""
    fixtures = results.get(FIXTURES, {}).get(PROJECT)
    bench_project = results.get(BENCHMARK, {}).get(PROJECT)
    bench_baseline = results.get(BENCHMARK, {}).get(TRAFILATURA)
    targets: list[tuple[str, str, str]] = []

    def add(name: str, ok: bool | None, measured: str) -> None:
        targets.append((name, "n/a" if ok is None else "PASS" if ok else "FAIL", measured))

    have_fixtures = fixtures is not None and fixtures["pages"] > 0 and fixtures["title"] is not None
    if have_fixtures:
        assert fixtures is not None
        add("fixtures body F1 ≥ 0.98", fixtures["f1"] >= TARGET_FIXTURE_F1, f"{fixtures['f1']:.3f}")
        add("fixtures zero leaks", fixtures["leaks"] == 0, f"{fixtures['leaks']} leaks")
        for key in ("title", "date", "author"):
            add(f"fixtures 100% {key}", fixtures[key] == 1.0, _fmt(fixtures[key], "percent"))
    else:
        for name in (
            "fixtures body F1 ≥ 0.98",
            "fixtures zero leaks",
            "fixtures 100% title",
            "fixtures 100% date",
            "fixtures 100% author",
        ):
            add(name, None, "not measured")
    if bench_project is not None and bench_baseline is not None and bench_project["pages"]:
        add(
            "benchmark F1 ≥ trafilatura's",
            bench_project["f1"] >= bench_baseline["f1"],
            f"{bench_project['f1']:.4f} vs {bench_baseline['f1']:.4f}, "
            f"difference {bench_project['f1'] - bench_baseline['f1']:+.2g}",
        )
    else:
        add("benchmark F1 ≥ trafilatura's", None, "not measured")
    if ratio is not None:
        add("throughput ≥ 0.7× trafilatura", ratio >= TARGET_THROUGHPUT_RATIO, f"{ratio:.2f}×")
    else:
        add("throughput ≥ 0.7× trafilatura", None, "not measured")
    return targets


def load_dataset(name: str, fixtures: Path, benchmark: Path, limit: int | None) -> list[Page]:
    """The pages of a data set, or none when its folder is missing."""
    if name == FIXTURES:
        return load_fixtures(fixtures, limit) if fixtures.is_dir() else []
    if (benchmark / "ground-truth.json").is_file():
        return load_benchmark(benchmark, limit)
    return []


def load_system(name: str) -> Callable[[bytes, str], Answer] | None:
    """A system by name (None when the project's extractor cannot be imported)."""
    if name == TRAFILATURA:
        return trafilatura_system
    return load_project_system()[0]


def _quiet_logs() -> None:
    for logger in ("trafilatura", "htmldate", "courlan", "justext"):
        logging.getLogger(logger).setLevel(logging.ERROR)


def _run_in_child(
    system_name: str,
    dataset: str,
    fixtures: Path,
    benchmark: Path,
    limit: int | None,
    verbose: bool,
) -> Run:
    _quiet_logs()
    system = load_system(system_name)
    if system is None:
        raise RuntimeError(f"system {system_name} is not available in the child process")
    return run_system(system, load_dataset(dataset, fixtures, benchmark, limit), verbose)


def run_isolated(system_name: str, dataset: str, args: argparse.Namespace) -> Run:
    """:func:`run_system` in a fresh process, so no system profits from caches (lxml,
    htmldate, courlan...) warmed by the other one on the same pages."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        future = pool.submit(
            _run_in_child,
            system_name,
            dataset,
            args.fixtures,
            args.benchmark,
            args.limit,
            args.verbose,
        )
        return future.result()


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "--fixtures",
        type=Path,
        default=DEFAULT_FIXTURES,
        help="fixtures folder (default: tests/fixtures)",
    )
    parser.add_argument(
        "--benchmark",
        type=Path,
        default=DEFAULT_BENCHMARK,
        help="article-extraction-benchmark folder",
    )
    parser.add_argument(
        "--limit",
        type=int,
        default=None,
        help="use only the first N pages of each data set (quick runs)",
    )
    parser.add_argument(
        "--in-process",
        action="store_true",
        help="time the systems in this process, one after the other, instead of one fresh "
        "process per system and data set (the second system then profits from caches)",
    )
    parser.add_argument("--json", type=Path, default=None, help="also write the numbers here")
    parser.add_argument(
        "--check",
        action="store_true",
        help="exit 1 when a target is not met (or cannot be measured)",
    )
    parser.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="list per-page errors, leaks and field mismatches on stderr",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    _quiet_logs()

    project, project_note = load_project_system()
    systems: dict[str, Callable[[bytes, str], Answer] | None] = {
        PROJECT: project,
        TRAFILATURA: trafilatura_system,
    }
    notes: list[str] = []
    if project is None:
        notes.append(f"project extractor not available ({project_note}); its rows are not run")

    datasets: dict[str, list[Page]] = {}
    fixtures = load_dataset(FIXTURES, args.fixtures, args.benchmark, args.limit)
    if fixtures:
        datasets[FIXTURES] = fixtures
    else:
        notes.append(f"no fixtures found under {args.fixtures}")
    benchmark = load_dataset(BENCHMARK, args.fixtures, args.benchmark, args.limit)
    if benchmark:
        datasets[BENCHMARK] = benchmark
    else:
        notes.append(f"benchmark not found at {args.benchmark}")

    results: dict[str, dict[str, dict[str, Any] | None]] = {}
    for dataset, pages in datasets.items():
        results[dataset] = {}
        for name, system in systems.items():
            if system is None:
                results[dataset][name] = None
                continue
            print(f"running {name} on {dataset} ({len(pages)} pages)...", file=sys.stderr)
            if args.in_process:
                run = run_system(system, pages, args.verbose)
            else:
                run = run_isolated(name, dataset, args)
            row = score_run(pages, run, args.verbose, f"{name}/{dataset}")
            if dataset == BENCHMARK:  # no gold fields there
                row.update(leaks=None, leak_pages=None, title=None, date=None, author=None)
            results[dataset][name] = row

    check = metric_check(args.benchmark)
    ratios = {dataset: throughput_ratio(results, [dataset]) for dataset in results}
    overall = throughput_ratio(results, list(results))
    targets = evaluate_targets(results, overall)

    for note in notes:
        print(f"note: {note}")
    if check is None:
        print("metric check: skipped (no shipped output/trafilatura.json)")
    else:
        verdict = "OK" if round(check, 3) == PUBLISHED_TRAFILATURA_F1 else "MISMATCH"
        print(
            f"metric check: shipped trafilatura output F1 = {check:.3f} "
            f"(published {PUBLISHED_TRAFILATURA_F1:.3f}: {verdict})"
        )
    print()
    if results:
        print(markdown_table(results))
    else:
        print("(nothing to run)")
    print()
    parts = [f"{dataset} {_fmt(ratio, 'ratio')}×" for dataset, ratio in ratios.items()]
    parts.append(f"all pages {_fmt(overall, 'ratio')}×")
    print("Throughput project/trafilatura: " + ", ".join(parts))
    print()
    print(TARGETS_LINE)
    for name, status, measured in targets:
        print(f"- {status}: {name} ({measured})")

    if args.json is not None:
        payload = {
            "metric_check": {
                "shipped_trafilatura_f1": check,
                "published": PUBLISHED_TRAFILATURA_F1,
            },
            "project_extractor": project_note if project is not None else None,
            "notes": notes,
            "results": results,
            "throughput_ratio": {**ratios, "all": overall},
            "targets": [
                {"target": name, "status": status, "measured": measured}
                for name, status, measured in targets
            ],
        }
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(
            json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )

    if args.check and any(status != "PASS" for _, status, _ in targets):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
