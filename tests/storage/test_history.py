"""The whole-history numbers: the gap rule on day series, and the SQL on both backends."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

from crawler.health import compute_health
from crawler.history import find_gaps

from .conftest import OTHER_BODY, make_article, store

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from crawler.storage.repository import Repository

START = date(2025, 1, 1)


def _series(days: int, missing: set[int], per_day: int = 2) -> dict[date, int]:
    return {START + timedelta(days=i): per_day for i in range(days) if i not in missing}


def test_a_run_of_empty_days_in_a_daily_outlet_is_a_gap() -> None:
    counts = _series(90, missing={40, 41, 42})
    gaps = find_gaps(counts, START, START + timedelta(days=89))
    assert [(g.start, g.end, len(g.days)) for g in gaps] == [
        (START + timedelta(days=40), START + timedelta(days=42), 3)
    ]
    assert gaps[0].context_share == 1.0


def test_a_single_missing_day_is_a_gap_too() -> None:
    gaps = find_gaps(_series(60, missing={30}), START, START + timedelta(days=59))
    assert [g.days for g in gaps] == [[START + timedelta(days=30)]]


def test_an_outlet_that_stopped_is_flagged_up_to_the_last_day() -> None:
    counts = _series(50, missing=set(range(45, 50)))
    gaps = find_gaps(counts, START, START + timedelta(days=49))
    assert [(g.start, g.end) for g in gaps] == [
        (START + timedelta(days=45), START + timedelta(days=49))
    ]


def test_weekly_days_off_are_not_gaps() -> None:
    sundays = {i for i in range(120) if (START + timedelta(days=i)).weekday() == 6}
    counts = _series(120, missing=sundays | {50, 51})  # Sundays off, plus a real gap
    gaps = find_gaps(counts, START, START + timedelta(days=119))
    gap_days = [d for g in gaps for d in g.days]
    assert gap_days == [START + timedelta(days=50), START + timedelta(days=51)]
    assert all(d.weekday() != 6 for d in gap_days)


def test_outlets_that_do_not_publish_daily_have_no_gaps() -> None:
    sparse = {START + timedelta(days=i): 1 for i in range(0, 200, 3)}  # every third day
    assert find_gaps(sparse, START, START + timedelta(days=199)) == []
    # A daily outlet that only starts publishing: the quiet days before are not gaps.
    starting = {START + timedelta(days=i): 1 for i in range(100, 160)}
    starting[START] = 1
    assert find_gaps(starting, START, START + timedelta(days=159)) == []


def test_history_on_the_database(engine: Engine, repo: Repository) -> None:
    import random

    items = []
    words = OTHER_BODY.split()
    # Ten days of Hà Tĩnh articles at 23:30 local time: the UTC date is the day before, so
    # the local-day arithmetic is what puts them on the right day and month.
    for i in range(10):
        day = date(2025, 1, 26) + timedelta(days=i)
        random.Random(i).shuffle(words)
        items.append(
            make_article(
                f"https://baohatinh.vn/tin-{i}-post{i}.html",
                body=" ".join(words),
                published_at=f"{day.isoformat()}T23:30:00+07:00",
            )
        )
    store(engine, repo, *items)
    now = datetime(2025, 2, 10, 12, tzinfo=UTC)
    health = compute_health(engine, now=now, history=True)
    assert health.history is not None
    by_name = {o.name: o for o in health.history.outlets}
    ht = by_name["baohatinh"]
    assert ht.first_published == date(2025, 1, 26)
    assert ht.last_published == date(2025, 2, 4)
    assert dict(zip(ht.months, ht.per_month, strict=True)) == {"2025-01": 6, "2025-02": 4}
    assert ht.days_with_articles == 10
    assert ht.profile_changes == [] or ht.profile_changes[0].extractor_version
    storage = health.history.storage
    assert storage.backend == engine.dialect.name
    assert storage.tables["articles"] > 0 and storage.database_bytes
    assert sum(g.articles for g in storage.growth) == 10
    data = health.to_json()["history"]
    assert data["outlets"][[o["name"] for o in data["outlets"]].index("baohatinh")]["months"] == [
        "2025-01",
        "2025-02",
    ]
