"""Captions and photo credits found by where they stand, on every extraction path.

Template selectors find the captions a CMS marks up (``figcaption``, ``td.caption``...).
What is left is found by position in the block sequence (:mod:`crawler.extraction.blocks`
marks where each picture stands):

* the block right after a picture that has no caption yet, when it is set apart the way
  captions are: all italic, or centred and not bold (Cần Thơ's ``<p align=center><em>``, old
  WordPress posts, hand-made layouts), and short;
* an "Ảnh: …" credit line right after a picture or its caption: it belongs to that picture
  (appended to its caption, or the caption itself when it has none);
* an "Ảnh: …" credit line anywhere else credits the pictures in general: it is not article
  text and is dropped (a combined "Bài và ảnh: …" credit is a byline, handled with those).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from crawler.extraction.bylines import has_credit_prefix

if TYPE_CHECKING:
    from crawler.extraction.blocks import Block, BodyContent
    from crawler.extraction.explain import Explanation

GENERIC_CAPTIONS: tuple[str, ...] = (
    "figcaption",
    "td.caption",
    "td.image-caption",
    "[class*=caption]",
    "[class*=Caption]",
    ".image-desc",
    ".img-desc",
)
"""Caption markup common to most CMSes, used after the template's own selectors."""

PHOTO_CREDIT = re.compile(
    r"^[(\[]?\s*(?:ảnh|hình|hình\s+ảnh|nguồn\s+ảnh|ảnh\s+minh\s+họa|ảnh\s+minh\s+hoạ|ảnh\s+tư\s+liệu"
    r"|photo|photos|image|video|clip|đồ\s+họa|đồ\s+hoạ|infographic)"
    r"(?:\s*\([^)]{0,40}\))?\s*[:：]",
    re.IGNORECASE,
)
"""A line that credits a picture ("Ảnh: Minh Hòa", "(Ảnh minh họa: TTXVN)")."""

CAPTION_MAX = 400
"""Longer blocks are paragraphs, not captions."""

CREDIT_MAX = 120


def is_photo_credit(text: str) -> bool:
    """Whether a short line credits a picture rather than being article text."""
    return len(text) <= CREDIT_MAX and bool(PHOTO_CREDIT.match(text))


def _looks_like_caption(block: Block) -> bool:
    if block.kind not in ("p", "quote") or not block.text or len(block.text) > CAPTION_MAX:
        return False
    if block.link_share > 0.5:
        return False
    if block.italic_share >= 0.9:
        return True
    return block.centred and block.bold_share < 0.5


def attach_captions(content: BodyContent, explain: Explanation | None = None) -> None:
    """Apply the positional rules of the module docstring to ``content`` in place."""
    kept: list[Block] = []
    picture: int | None = None  # the picture the next caption-like line would belong to
    captioned_here = False  # the line before was that picture's caption
    for block in content.blocks:
        if block.kind == "image":
            kept.append(block)
            picture = block.image
            captioned_here = False
            continue
        image = content.images[picture] if picture is not None else None
        credit = is_photo_credit(block.text) and not _is_byline_credit(block.text)
        if image is not None and credit:
            caption = image["caption"]
            image["caption"] = block.text if not caption else f"{caption} {block.text}"
            content.captions.append(block.text)
            picture = None
            continue
        free = image is not None and not captioned_here and image["caption"] is None
        hinted = _hinted(block.text, content.hints)
        if image is not None and hinted and (free or captioned_here):
            # The page's hidden copy says so; a caption of several paragraphs is joined.
            caption = image["caption"]
            if caption is None or hinted_whole(caption, block.text, content.hints):
                image["caption"] = block.text if caption is None else f"{caption} {block.text}"
                content.captions.append(block.text)
                captioned_here = True
                continue
        if free and image is not None and _looks_like_caption(block):
            image["caption"] = block.text
            content.captions.append(block.text)
            captioned_here = True
            continue
        if credit:
            if explain is not None:
                explain.prune("photo credit line", block.text)
            continue
        picture = None
        captioned_here = False
        kept.append(block)
    content.blocks = kept


def _hinted(text: str, hints: frozenset[str]) -> bool:
    return bool(hints) and any(text in hint for hint in hints)


def hinted_whole(caption: str, more: str, hints: frozenset[str]) -> bool:
    """Whether a caption continued by ``more`` is still (part of) one hidden copy."""
    joined = f"{caption} {more}"
    return any(joined in hint for hint in hints)


def _is_byline_credit(text: str) -> bool:
    """ "Bài và ảnh: X" credits the author too: a byline, not a photo credit."""
    lowered = text.lower()
    return has_credit_prefix(text) and any(w in lowered for w in ("bài", "tin", "thực hiện"))
