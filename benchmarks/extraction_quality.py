"""Extraction quality: the project's extractor next to bare trafilatura, in one run.

Usage (from the repository root)::

    .venv/bin/python -m benchmarks.extraction_quality [--limit N] [--variants N] \\
        [--datasets real,fixtures,...] [--json PATH] [--check] [-v]

Data sets (each run by both systems; a missing one is reported and skipped):

``real``
    Real pages saved from the outlets by other people's scrapers (``tests/fixtures/real``,
    expected JSON written by reading each page; see ``benchmarks/real_pages.py``). Article
    pages are scored (body against the expected sapo + paragraphs, title, date, authors,
    captions, the page's own list of boilerplate strings as leaks); the other pages (listings,
    soft 404, video, gallery) count in the "refused" column: the share a system refuses as
    non-articles (bare trafilatura has no such notion: it returns text for every page).
``fixtures``
    The project's 24 generated outlet pages (``tests/fixtures/<outlet>/<case>.html.gz``) scored
    against their hand-written source records (``tests/fixtures/sources``).
``variants``
    Seeded variants of the fake outlets' templates (``tests/variants``: layouts, then the
    mutator's wrappers, renamed classes, in-body boxes, visible-only dates...), ``--variants``
    per template (default 200). The project gets each outlet's learned boilerplate, as in
    production; trafilatura has none.
``benchmark``
    scrapinghub's article-extraction-benchmark (181 pages, mostly English): body only.
``fundus``
    fundus-evaluation (80 pages of 16 US/UK outlets): body only; ``[bracketed]`` optional
    paragraphs are kept, without brackets.

Systems: ``crawler.extraction.extract_page`` (scored text: ``sapo`` then ``body``) and
``trafilatura.bare_extraction(html, url=url, with_metadata=True)`` (scored text: ``.text``).
Both get the same undecoded bytes.

Columns: body F1/P/R (the shingle metric of article-extraction-benchmark, see
``benchmarks/scoring.py``); leaks (occurrences of strings that must not be in the text, beyond
their count in the gold text) and pages with a leak; title (exact after folding), date (same
instant to the page's precision), author (same set of names), captions (expected captions
found, exact text); refused (non-article pages refused as such); pages/s (pages divided by the
summed CPU time of the extraction calls alone, after a warm-up call, each system on each data set
in its own fresh process: ``--in-process`` to skip that). The throughput ratio
project/trafilatura is printed per data set.

The run exits 0 (it is a report) unless ``--check`` is given: then 1 when a target is missed
or could not be measured.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import importlib
import json
import logging
import multiprocessing
import re
import sys
import time
import traceback
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if not __package__:  # run as a script: make ``benchmarks.scoring`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import real_pages, scoring

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_FIXTURES = ROOT / "tests" / "fixtures"
DEFAULT_REAL = real_pages.DEFAULT_REAL
VARIANTS_DIR = ROOT / "tests" / "variants"
# shared/ lies beside the checkout (here and on CI).
DEFAULT_BENCHMARK = ROOT.parent / "shared" / "benchmarks" / "article-extraction-benchmark"
DEFAULT_FUNDUS = ROOT.parent / "shared" / "benchmarks" / "fundus-evaluation"
PUBLISHED_TRAFILATURA_F1 = 0.958

PROJECT = "project"
TRAFILATURA = "trafilatura"
REAL = "real"
FIXTURES = "fixtures"
VARIANTS = "variants"
BENCHMARK = "benchmark"
FUNDUS = "fundus"
DATASETS = (REAL, FIXTURES, VARIANTS, BENCHMARK, FUNDUS)

TARGET_REAL_F1 = 0.98
TARGET_REAL_AUTHORS = 0.95
TARGET_REAL_CAPTIONS = 0.90
TARGET_FIXTURE_F1 = 0.98
TARGET_BENCHMARK_F1 = 0.965
TARGET_PROFILED_SPEEDUP = 5.0
"""Real article pages read through an outlet profile: the project at least this many times
as fast as bare trafilatura (issue 9: "throughput on real pages at least today's (about 5×
bare trafilatura with a profile)"). The generated fixtures' ratio is reported beside it: it
was the stand-in for this target while no real page of a profiled outlet was measured."""

TARGETS_LINE = (
    "Targets: real article pages F1 ≥ 0.98 with 0 leaks, title and date 100%, authors ≥ 95%, "
    "captions ≥ 90%, every non-article refused; variants 0 leaks; fixtures F1 ≥ 0.98, 0 leaks, "
    "100% title/date/author; benchmark F1 ≥ 0.965 and ≥ trafilatura's; fundus F1 ≥ "
    "trafilatura's; real pages read through a profile ≥ 5× trafilatura's speed"
)


@dataclass
class Page:
    """One page to extract, with what is known of its truth."""

    id: str
    url: str
    html: bytes
    gold_text: str
    kind: str = "text"
    """``"fixture"``, ``"real"`` (article), ``"real-other"`` (a non-article page),
    ``"variant"`` or ``"text"`` (body-only benchmarks)."""
    gold: dict[str, Any] | None = None
    """The truth of the fields: the fixture's source record, the real page's expected JSON,
    or the variant's record (title, published_at, authors)."""
    needles: list[str] = field(default_factory=list)
    """Strings that must not reach the extracted text."""
    learned: Any = None
    """The outlet's learned boilerplate (variants), handed to the project."""


@dataclass
class Answer:
    """What a system extracted from one page, reduced to the scored fields."""

    text: str = ""
    title: str | None = None
    published_at: str | None = None
    authors: list[str] = field(default_factory=list)
    captions: list[str | None] = field(default_factory=list)
    refused: bool = False
    """The system said the page is not an article."""
    path: str | None = None
    """How the project read the page ("profile ...", "sniffed template ...", "generic")."""


@dataclass
class Run:
    """A system's answers on a data set, with timing."""

    answers: list[Answer]
    seconds: float
    errors: list[str]
    per_page: list[float] = field(default_factory=list)
    """CPU seconds of each page's extraction call."""


# --- systems -------------------------------------------------------------------------------


def load_project_system() -> tuple[Callable[[Page], Answer] | None, str]:
    """The project's extractor wrapped to an :class:`Answer`, or None and the reason."""
    try:
        module = importlib.import_module("crawler.extraction")
        extract_page: Any = module.extract_page
    except Exception as exc:  # the extractor is optional while it is being written
        return None, f"{type(exc).__name__}: {exc}"

    def run(page: Page) -> Answer:
        outcome: Any = extract_page(page.html, page.url, learned=page.learned)
        article: Any = outcome.extracted
        if article is None:
            return Answer(refused=True)
        parts = [part for part in (article.sapo, article.body) if part]
        return Answer(
            text="\n".join(parts),
            title=article.title,
            published_at=article.published_at,
            authors=list(article.authors or []),
            captions=[image["caption"] for image in article.images],
            refused=outcome.article is None,
            path=outcome.explanation.path if outcome.explanation else None,
        )

    return run, "crawler.extraction.extract_page"


def trafilatura_system(page: Page) -> Answer:
    """Bare trafilatura with metadata."""
    import trafilatura

    doc: Any = trafilatura.bare_extraction(page.html, url=page.url, with_metadata=True)
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
    system: Callable[[Page], Answer], pages: Sequence[Page], verbose: bool = False
) -> Run:
    """Extract every page, timing the calls alone (CPU time of this process: on a shared
    machine, wall time measures the neighbours too), after one untimed warm-up call."""
    if pages:
        with contextlib.suppress(Exception):  # the timed call below records the error
            system(pages[0])
    answers: list[Answer] = []
    errors: list[str] = []
    per_page: list[float] = []
    for page in pages:
        start = time.process_time()
        try:
            answer = system(page)
        except Exception as exc:
            per_page.append(time.process_time() - start)
            errors.append(f"{page.id}: {type(exc).__name__}: {exc}")
            if verbose:
                print(traceback.format_exc(), file=sys.stderr)
            answer = Answer()
        else:
            per_page.append(time.process_time() - start)
        answers.append(answer)
    return Run(answers=answers, seconds=sum(per_page), errors=errors, per_page=per_page)


# --- data sets -----------------------------------------------------------------------------


def fixture_gold_text(gold: dict[str, Any]) -> str:
    """Sapo then the text blocks in order: p/h2/h3/quote text, table rows as cells joined
    by " | ", list items one a line; images contribute nothing."""
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
        if outlet in ("sources", "real"):
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
                kind="fixture",
                gold=gold,
                needles=fixture_leak_needles(gold),
            )
        )
        if limit is not None and len(pages) >= limit:
            break
    return pages


def load_real(root: Path, limit: int | None) -> list[Page]:
    """Real pages: articles, then the others (listings, soft 404s...)."""
    pages: list[Page] = []
    for page in real_pages.load_real_pages(root):
        article = page.kind == real_pages.ARTICLE
        pages.append(
            Page(
                id=page.id,
                url=page.url,
                html=page.html,
                gold_text=page.gold_text if article else "",
                kind="real" if article else "real-other",
                gold=page.expected,
                needles=page.boilerplate,
            )
        )
        if limit is not None and len(pages) >= limit:
            break
    return pages


def load_variants(count: int) -> list[Page]:
    """``count`` seeded variants per template (``tests/variants/variant_sets.py``)."""
    if str(VARIANTS_DIR) not in sys.path:
        sys.path.insert(0, str(VARIANTS_DIR))
    sets = importlib.import_module("variant_sets")
    pages: list[Page] = []
    for template in sets.TEMPLATES:
        for item, learned in sets.variant_set(template, count):
            source = item.source
            pages.append(
                Page(
                    id=item.label,
                    url=item.url,
                    html=item.html.encode("utf-8"),
                    gold_text=item.gold_text,
                    kind="variant",
                    gold={
                        "title": source.title,
                        "published_at": source.published_at,
                        "authors": list(source.authors),
                    },
                    needles=list(item.needles),
                    learned=learned,
                )
            )
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


_OPTIONAL = re.compile(r"^\[(.*)\]$", re.S)


def load_fundus(root: Path, limit: int | None) -> list[Page]:
    """fundus-evaluation pages (optional ``[paragraphs]`` kept without their brackets)."""
    dataset = root / "dataset"
    truth: dict[str, Any] = json.loads((dataset / "ground_truth.json").read_text(encoding="utf-8"))
    pages: list[Page] = []
    for name in sorted(truth):
        body = [_OPTIONAL.sub(r"\1", str(p)) for p in truth[name].get("body") or []]
        pages.append(
            Page(
                id=name.removesuffix(".html.gz"),
                url=str(truth[name].get("url") or ""),
                html=gzip.decompress((dataset / "html" / name).read_bytes()),
                gold_text="\n".join(body),
            )
        )
        if limit is not None and len(pages) >= limit:
            break
    return pages


# --- scoring -------------------------------------------------------------------------------


def _verbose_fields(label: str, page: Page, answer: Answer, checks: dict[str, bool]) -> None:
    gold = page.gold or {}
    for name, ok in checks.items():
        if not ok:
            wanted = {"title": "title", "date": "published_at", "author": "authors"}[name]
            got = {"title": answer.title, "date": answer.published_at, "author": answer.authors}
            print(f"  {label} {page.id}: {name} {got[name]!r} != {gold.get(wanted)!r}",
                  file=sys.stderr)  # fmt: skip


def score_run(pages: Sequence[Page], run: Run, verbose: bool, label: str) -> dict[str, Any]:
    """The numbers of one table row."""
    scored = [
        (page, answer)
        for page, answer in zip(pages, run.answers, strict=True)
        if page.kind != "real-other"
    ]
    body = scoring.aggregate([scoring.match(p.gold_text, a.text) for p, a in scored])
    others = [
        answer for page, answer in zip(pages, run.answers, strict=True) if page.kind == "real-other"
    ]
    row: dict[str, Any] = {
        "pages": len(scored),
        "f1": body.f1,
        "precision": body.precision,
        "recall": body.recall,
        "leaks": None,
        "leak_pages": None,
        "title": None,
        "date": None,
        "author": None,
        "captions": None,
        "refused": (sum(a.refused for a in others) / len(others)) if others else None,
        "others": len(others),
        "seconds": run.seconds,
        "pages_per_second": len(pages) / run.seconds if run.seconds > 0 else None,
        "errors": len(run.errors),
        "per_page": run.per_page,
        "paths": [answer.path for answer in run.answers],
        "kinds": [page.kind for page in pages],
    }
    for error in run.errors:
        print(f"  {label}: error on {error}", file=sys.stderr)
    fielded = [(p, a) for p, a in scored if p.gold is not None]
    if not fielded:
        return row
    leaks = leak_pages = titles = dates = authors = 0
    captions_expected = captions_found = 0
    for page, answer in fielded:
        gold = page.gold or {}
        found = scoring.count_leaks(answer.text, page.needles, page.gold_text)
        leaks += sum(found.values())
        leak_pages += bool(found)
        checks = {
            "title": scoring.title_matches(gold.get("title"), answer.title),
            "date": scoring.date_matches(gold.get("published_at"), answer.published_at),
            "author": scoring.authors_match(gold.get("authors") or [], answer.authors),
        }
        titles += checks["title"]
        dates += checks["date"]
        authors += checks["author"]
        if page.kind == "real":
            wanted = real_pages.distinct_captions(list(gold.get("captions") or []))
            got = {scoring.fold(c) for c in real_pages.distinct_captions(answer.captions)}
            captions_expected += len(wanted)
            captions_found += sum(scoring.fold(c) in got for c in wanted)
        if verbose:
            if found:
                print(f"  {label} {page.id}: leaks {found}", file=sys.stderr)
            _verbose_fields(label, page, answer, checks)
            f1 = scoring.aggregate([scoring.match(page.gold_text, answer.text)]).f1
            if f1 < 1:
                print(f"  {label} {page.id}: body F1 {f1:.3f}", file=sys.stderr)
    n = len(fielded)
    row.update(
        leaks=leaks,
        leak_pages=leak_pages,
        title=titles / n,
        date=dates / n,
        author=authors / n,
        captions=captions_found / captions_expected if captions_expected else None,
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
    ("captions", "captions", "percent"),
    ("refused", "refused", "percent"),
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
            pages = str(row["pages"]) + (f"+{row['others']}" if row.get("others") else "")
            cells = [dataset, system, pages]
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


def path_ratio(results: dict[str, dict[str, dict[str, Any] | None]], prefix: str) -> float | None:
    """Project speed over trafilatura's on the real article pages the project read through
    a path starting with ``prefix`` ("profile", "sniffed", "generic"), from the per-page
    times of both runs."""
    project = results.get(REAL, {}).get(PROJECT)
    baseline = results.get(REAL, {}).get(TRAFILATURA)
    if project is None or baseline is None:
        return None
    chosen = [
        index
        for index, (path, kind) in enumerate(zip(project["paths"], project["kinds"], strict=True))
        if kind == "real" and path is not None and path.startswith(prefix)
    ]
    ours = sum(project["per_page"][index] for index in chosen)
    theirs = sum(baseline["per_page"][index] for index in chosen)
    return theirs / ours if chosen and ours > 0 else None


def evaluate_targets(
    results: dict[str, dict[str, dict[str, Any] | None]],
) -> list[tuple[str, str, str]]:
    """(target, PASS|FAIL|n/a, measured) for each target of the targets line."""
    targets: list[tuple[str, str, str]] = []

    def add(name: str, ok: bool | None, measured: str) -> None:
        targets.append((name, "n/a" if ok is None else "PASS" if ok else "FAIL", measured))

    def row(dataset: str, system: str = PROJECT) -> dict[str, Any] | None:
        found = results.get(dataset, {}).get(system)
        return found if found is not None and found["pages"] else None

    real = row(REAL)
    checks: list[tuple[str, str, Callable[[Any], bool], str]] = [
        ("real articles body F1 ≥ 0.98", "f1", lambda v: v >= TARGET_REAL_F1, "score"),
        ("real articles zero leaks", "leaks", lambda v: v == 0, "int"),
        ("real articles 100% title", "title", lambda v: v == 1.0, "percent"),
        ("real articles 100% date", "date", lambda v: v == 1.0, "percent"),
        ("real articles authors ≥ 95%", "author", lambda v: v >= TARGET_REAL_AUTHORS, "percent"),
        (
            "real articles captions ≥ 90%",
            "captions",
            lambda v: v >= TARGET_REAL_CAPTIONS,
            "percent",
        ),
        ("real non-articles all refused", "refused", lambda v: v == 1.0, "percent"),
    ]
    for name, key, test, kind in checks:
        value = real.get(key) if real else None
        add(name, None if value is None else test(value), _fmt(value, kind))
    variants = row(VARIANTS)
    add(
        "variants zero leaks",
        None if variants is None else variants["leaks"] == 0,
        _fmt(variants["leaks"] if variants else None, "int"),
    )
    fixtures = row(FIXTURES)
    if fixtures is not None:
        add(
            "fixtures body F1 ≥ 0.98",
            fixtures["f1"] >= TARGET_FIXTURE_F1,
            _fmt(fixtures["f1"], "score"),
        )
        add("fixtures zero leaks", fixtures["leaks"] == 0, f"{fixtures['leaks']} leaks")
        for key in ("title", "date", "author"):
            add(f"fixtures 100% {key}", fixtures[key] == 1.0, _fmt(fixtures[key], "percent"))
    else:
        add("fixtures", None, "not measured")
    bench, bench_base = row(BENCHMARK), row(BENCHMARK, TRAFILATURA)
    if bench is not None:
        add("benchmark F1 ≥ 0.965", bench["f1"] >= TARGET_BENCHMARK_F1, f"{bench['f1']:.4f}")
    else:
        add("benchmark F1 ≥ 0.965", None, "not measured")
    for name, project, baseline in (
        ("benchmark F1 ≥ trafilatura's", bench, bench_base),
        ("fundus F1 ≥ trafilatura's", row(FUNDUS), row(FUNDUS, TRAFILATURA)),
    ):
        if project is None or baseline is None:
            add(name, None, "not measured")
            continue
        add(
            name,
            project["f1"] >= baseline["f1"],
            f"{project['f1']:.4f} vs {baseline['f1']:.4f}",
        )
    ratio = path_ratio(results, "profile")
    add(
        "real pages read through a profile ≥ 5× trafilatura's speed",
        None if ratio is None else ratio >= TARGET_PROFILED_SPEEDUP,
        _fmt(ratio, "ratio") + "×" if ratio is not None else "not measured",
    )
    return targets


@dataclass(frozen=True)
class Sources:
    """Where the data sets are, and how much of them to use."""

    real: Path
    fixtures: Path
    benchmark: Path
    fundus: Path
    limit: int | None
    variants: int


def load_dataset(name: str, sources: Sources) -> list[Page]:
    """The pages of a data set, or none when its files are missing."""
    if name == REAL:
        return load_real(sources.real, sources.limit) if sources.real.is_dir() else []
    if name == FIXTURES:
        return load_fixtures(sources.fixtures, sources.limit) if sources.fixtures.is_dir() else []
    if name == VARIANTS:
        return load_variants(sources.variants) if VARIANTS_DIR.is_dir() else []
    if name == BENCHMARK:
        ok = (sources.benchmark / "ground-truth.json").is_file()
        return load_benchmark(sources.benchmark, sources.limit) if ok else []
    ok = (sources.fundus / "dataset" / "ground_truth.json").is_file()
    return load_fundus(sources.fundus, sources.limit) if ok else []


def load_system(name: str) -> Callable[[Page], Answer] | None:
    """A system by name (None when the project's extractor cannot be imported)."""
    if name == TRAFILATURA:
        return trafilatura_system
    return load_project_system()[0]


def _quiet_logs() -> None:
    for logger in ("trafilatura", "htmldate", "courlan", "justext"):
        logging.getLogger(logger).setLevel(logging.ERROR)


def _run_in_child(system_name: str, dataset: str, sources: Sources, verbose: bool) -> Run:
    _quiet_logs()
    system = load_system(system_name)
    if system is None:
        raise RuntimeError(f"system {system_name} is not available in the child process")
    return run_system(system, load_dataset(dataset, sources), verbose)


def run_isolated(system_name: str, dataset: str, sources: Sources, verbose: bool) -> Run:
    """:func:`run_system` in a fresh process, so no system profits from caches (lxml,
    htmldate, courlan...) warmed by the other one on the same pages."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        return pool.submit(_run_in_child, system_name, dataset, sources, verbose).result()


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--real", type=Path, default=DEFAULT_REAL, help="real pages folder")
    parser.add_argument("--fixtures", type=Path, default=DEFAULT_FIXTURES, help="fixtures folder")
    parser.add_argument(
        "--benchmark", type=Path, default=DEFAULT_BENCHMARK, help="article-extraction-benchmark"
    )
    parser.add_argument("--fundus", type=Path, default=DEFAULT_FUNDUS, help="fundus-evaluation")
    parser.add_argument(
        "--datasets",
        default=",".join(DATASETS),
        help=f"comma-separated data sets to run (default: {','.join(DATASETS)})",
    )
    parser.add_argument(
        "--variants", type=int, default=200, help="variants per template (default 200)"
    )
    parser.add_argument(
        "--limit", type=int, default=None, help="only the first N pages of each file data set"
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
    sources = Sources(
        args.real, args.fixtures, args.benchmark, args.fundus, args.limit, args.variants
    )
    project, project_note = load_project_system()
    systems: dict[str, Callable[[Page], Answer] | None] = {
        PROJECT: project,
        TRAFILATURA: trafilatura_system,
    }
    notes: list[str] = []
    if project is None:
        notes.append(f"project extractor not available ({project_note}); its rows are not run")

    wanted = [d.strip() for d in args.datasets.split(",") if d.strip()]
    unknown = sorted(set(wanted) - set(DATASETS))
    if unknown:
        print(f"unknown data sets: {', '.join(unknown)}", file=sys.stderr)
        return 2
    datasets: dict[str, list[Page]] = {}
    for name in wanted:
        pages = load_dataset(name, sources)
        if pages:
            datasets[name] = pages
        else:
            notes.append(f"data set {name} not found; not run")

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
                run = run_isolated(name, dataset, sources, args.verbose)
            results[dataset][name] = score_run(pages, run, args.verbose, f"{name}/{dataset}")

    check = metric_check(args.benchmark) if BENCHMARK in datasets else None
    ratios = {dataset: throughput_ratio(results, [dataset]) for dataset in results}
    targets = evaluate_targets(results)

    for note in notes:
        print(f"note: {note}")
    if check is not None:
        verdict = "OK" if round(check, 3) == PUBLISHED_TRAFILATURA_F1 else "MISMATCH"
        print(
            f"metric check: shipped trafilatura output F1 = {check:.3f} "
            f"(published {PUBLISHED_TRAFILATURA_F1:.3f}: {verdict})"
        )
    print()
    print(markdown_table(results) if results else "(nothing to run)")
    print()
    parts = [f"{dataset} {_fmt(ratio, 'ratio')}×" for dataset, ratio in ratios.items()]
    print("Throughput project/trafilatura: " + ", ".join(parts))
    if REAL in results:
        by_path = [
            f"{name} {_fmt(path_ratio(results, prefix), 'ratio')}×"
            for name, prefix in (
                ("through a profile", "profile"),
                ("through a sniffed template", "sniffed"),
                ("generic path", "generic"),
            )
        ]
        print("Real article pages, project/trafilatura: " + ", ".join(by_path))
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
            "throughput_ratio": ratios,
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
