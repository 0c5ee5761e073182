"""Vietnamese boilerplate: the headings where article text ends and lines that are never text.

These guards run on every extraction path. On a profiled outlet they back up the pruning
selectors; on the generic path they are the only Vietnamese-specific rule, and they only
remove lines, so the generic path never keeps less article text than bare trafilatura
unless a line is one of these.
"""

from __future__ import annotations

import re

from crawler.extraction.text import fold

# Headings that open a block of other articles: the article text is over when one appears.
STOP_HEADINGS: frozenset[str] = frozenset(
    {
        "đọc thêm",
        "tin liên quan",
        "tin cùng chuyên mục",
        "tin mới",
        "tin mới nhất",
        "tin khác",
        "các tin khác",
        "xem thêm",
        "bài liên quan",
        "bài viết liên quan",
        "có thể bạn quan tâm",
        "tin nổi bật",
        "đọc nhiều",
        "đọc nhiều nhất",
        "sự kiện nổi bật",
        "cùng chuyên mục",
        "tin bài liên quan",
        "ý kiến bạn đọc",
        "bình luận",
        "ý kiến của bạn",
    }
)

# Lines that are page furniture wherever they appear (a line that is only a date stamp is
# the page's date printed where an extractor picks it up as text).
_FURNITURE = re.compile(
    r"""^(?:
        \d*\s*go\s*top
      | thống\s+kê\s+truy\s+cập.*
      | tổng\s+lượt\s+truy\s+cập.*
      | (?:khách|thành\s+viên|người\s+trực\s+tuyến|đang\s+truy\s+cập)\s*:?\s*\d*
      | hiện\s+tại\s+không\s+có\s+bình\s+chọn.*
      | viết\s+bình\s+luận.*
      | (?:gửi\s+)?bình\s+luận(?:\s+của\s+bạn)?
      | (?:ý\s+kiến|bình\s+luận)\s+của\s+bạn\s+(?:sẽ\s+)?được\s+.{0,60}
      | chia\s+sẻ(?:\s+bài\s+viết)?:?
      | in\s+bài(?:\s+viết)?
      | gửi\s+bài(?:\s+viết)?
      | lưu\s+bài(?:\s+viết)?
      | theo\s+dõi\s+.{0,40}\s+trên\s+google\s+news.*
      | thông\s+tin\s+cần\s+biết
      | chủ\s+đề\s*:.*
      | từ\s+khóa\s*:.*
      | tags?\s*:.*
      | tải\s+ứng\s+dụng\s*:?
      | (?:lượt\s+xem|số\s+lượt\s+xem|lượt\s+đọc)\s*:?\s*[\d.,]*
      | quảng\s+cáo | được\s+tài\s+trợ | nội\s+dung\s+tài\s+trợ | advertisement | sponsored
      | (?:cập\s+nhật\s*:?\s*|ngày\s+đăng\s*:?\s*)?
        (?:(?:thứ\s+\S+|chủ\s+nhật)\s*,?\s*)?(?:ngày\s+)?
        (?:\d{1,2}:\d{2}(?::\d{2})?\s*[-|,]?\s*)?
        \d{1,2}[/.-]\d{1,2}[/.-]\d{4}
        (?:\s*[-|,]?\s*\d{1,2}[:h]\d{2}(?::\d{2})?)?
        (?:\s*\(?(?:gmt|utc)\s*\+\s*7\)?)?
    )$""",
    re.IGNORECASE | re.VERBOSE,
)


def heading_key(text: str) -> str:
    """A block's text as compared with the stop headings: folded, lower-case, no colon."""
    return fold(text).lower().rstrip(" :.»>›").strip()


def is_stop_heading(text: str) -> bool:
    """Whether a line is the heading of a related-news (or similar) block."""
    return heading_key(text) in STOP_HEADINGS


def is_furniture(text: str, *, folded: bool = False) -> bool:
    """Whether a line is page furniture (counters, polls, share and comment prompts);
    ``folded``: the text is already folded (a :class:`~crawler.extraction.blocks.Block`'s)."""
    return bool(_FURNITURE.match(text if folded else fold(text)))
