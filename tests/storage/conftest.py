"""Fixtures of the storage tests: every test runs on SQLite *and* PostgreSQL.

PostgreSQL is ``ARCHIVE_TEST_POSTGRES_URL`` (default
``postgresql+psycopg://postgres@127.0.0.1:5432/test``). Each test gets its own freshly
created schema (through ``options=-csearch_path=...`` in the URL, so subprocesses reach it
too) that is dropped afterwards, so parallel runs never collide. A missing server is an
error, not a skip: CI has one.
"""

from __future__ import annotations

import os
import uuid
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import Engine, create_engine, text

from crawler.items import Article
from crawler.storage import db
from crawler.storage.repository import Repository
from crawler.storage.tables import utcnow

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

    from crawler.storage.articles import StoreResult

PG_URL = os.environ.get(
    "ARCHIVE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)

BODY = (
    "Sáng 12/3, Ủy ban nhân dân tỉnh Hà Tĩnh tổ chức hội nghị triển khai kế hoạch phát triển "
    "kinh tế xã hội năm 2025 với sự tham dự của lãnh đạo các sở ban ngành và địa phương.\n"
    "Theo báo cáo, tổng sản phẩm trên địa bàn tỉnh tăng 6,8% so với cùng kỳ năm trước, thu "
    "ngân sách đạt hơn 12 nghìn tỷ đồng, vượt dự toán được giao.\n"
    "Phát biểu chỉ đạo, đồng chí Chủ tịch Ủy ban nhân dân tỉnh yêu cầu các đơn vị tập trung "
    "tháo gỡ khó khăn cho doanh nghiệp, đẩy nhanh giải ngân vốn đầu tư công.\n"
    "Hội nghị cũng thống nhất các giải pháp phòng chống thiên tai, bảo đảm an sinh xã hội "
    "và chăm lo đời sống người dân vùng lũ trong mùa mưa bão sắp tới.\n"
    "Các địa phương được đề nghị rà soát quy hoạch, tăng cường kiểm tra giám sát và công khai "
    "thông tin để người dân và doanh nghiệp cùng theo dõi tiến độ thực hiện."
)

OTHER_BODY = (
    "Chiều 5/4, đội tuyển bóng đá tỉnh Nghệ An giành chiến thắng 2-1 trước đối thủ trong "
    "trận đấu thuộc vòng 10 giải hạng Nhất quốc gia diễn ra trên sân vận động Vinh.\n"
    "Ngay từ đầu trận, đội chủ nhà chủ động tấn công và sớm có bàn mở tỷ số ở phút 15 nhờ "
    "pha đánh đầu của tiền đạo số 9 sau quả phạt góc bên cánh trái.\n"
    "Sang hiệp hai, đội khách gỡ hòa nhưng chỉ mười phút sau, một cú sút xa đẹp mắt đã mang "
    "lại chiến thắng xứng đáng cho đội bóng xứ Nghệ trước sự cổ vũ của hàng nghìn khán giả.\n"
    "Với kết quả này, đội bóng vươn lên vị trí thứ ba trên bảng xếp hạng và nuôi hy vọng "
    "cạnh tranh suất thăng hạng vào cuối mùa giải năm nay."
)


@pytest.fixture(params=["sqlite", "postgresql"])
def new_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[], str]]:
    """A factory of empty databases of the test's backend (URLs); all dropped afterwards."""
    created: list[str] = []
    admin = create_engine(PG_URL) if request.param == "postgresql" else None

    def make() -> str:
        if admin is None:
            path = tmp_path / f"archive{len(created)}.sqlite3"
            created.append(str(path))
            return f"sqlite:///{path}"
        schema = f"t_{uuid.uuid4().hex[:16]}"
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        created.append(schema)
        sep = "&" if "?" in PG_URL else "?"
        return f"{PG_URL}{sep}options=-csearch_path%3D{schema}"

    try:
        yield make
    finally:
        if admin is not None:
            with admin.begin() as conn:
                for schema in created:
                    conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()


@pytest.fixture
def db_url(new_db: Callable[[], str]) -> str:
    """An empty database of each backend (its URL)."""
    return new_db()


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """A migrated engine on the test database."""
    eng = db.make_engine(db_url)
    try:
        yield eng
    finally:
        eng.dispose()


@pytest.fixture
def repo() -> Repository:
    """A repository with the default threshold."""
    return Repository()


def make_article(url: str, **fields: Any) -> Article:
    """An article item with the shared Vietnamese body unless given."""
    fields.setdefault("title", "Hà Tĩnh triển khai kế hoạch phát triển kinh tế xã hội năm 2025")
    fields.setdefault(
        "sapo", "Ủy ban nhân dân tỉnh Hà Tĩnh vừa tổ chức hội nghị triển khai nhiệm vụ năm 2025."
    )
    fields.setdefault("body", BODY)
    fields.setdefault("published_at", "2025-03-12T08:30:00+07:00")
    fields.setdefault("language", "vi")
    return Article(url=url, **fields)


def store(engine: Engine, repo: Repository, *items: Any, run_id: int | None = None) -> list[Any]:
    """Store items (articles, failures, page records) in one batch; their results."""
    kinds = {"Article": "article", "ExtractionFailure": "failure", "PageRecord": "page"}
    ops = [(kinds[type(i).__name__], i, utcnow()) for i in items]
    with engine.begin() as conn:
        results = repo.store_batch(conn, ops, run_id)
    repo.commit_caches()
    return results


def store_one(engine: Engine, repo: Repository, item: Any) -> StoreResult:
    """Store one item with the per-item path."""
    with engine.begin() as conn:
        result = repo.store_article(conn, item, None, utcnow())
    repo.commit_caches()
    return result


def rows(engine: Engine, sql: str, **params: Any) -> list[Any]:
    """The rows of a query."""
    with engine.connect() as conn:
        return list(conn.execute(text(sql), params))


def scalar(engine: Engine, sql: str, **params: Any) -> Any:
    """The single value of a query."""
    with engine.connect() as conn:
        return conn.execute(text(sql), params).scalar()
