"""Per-page rendering options: the quirks one stored page has that its record does not say.

The source record is the ground truth of what a page *means*; :class:`PageOptions` says how
one particular page *looks* (an older markup variant, text stored decomposed, an inline
related box, a topic line). Everything defaults to the outlet's current markup.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ImageStyle = Literal["default", "legacy"]
Layout = Literal["desktop", "mobile", "legacy"]
LAYOUTS: tuple[Layout, ...] = ("desktop", "mobile", "legacy")
"""Every layout a template renders (each renderer's docstring says what its layouts are)."""


@dataclass(frozen=True)
class PageOptions:
    """How one page deviates from its template's default markup."""

    weekday: bool = False
    """Show the visible date with its weekday ("Thứ Năm, 02/07/2020 - 10:15")."""

    nfd_title: bool = False
    """Store the headline with combining diacritics (Unicode NFD) everywhere it appears."""

    nfd_blocks: tuple[int, ...] = ()
    """Indexes of body blocks whose text is stored in NFD."""

    og_description: str | None = None
    """``og:description`` / ``description`` text when it is not the printed lead."""

    inline_related_after: int | None = None
    """Insert an inline related-news box after this body block (EPI, OneCMS)."""

    inline_related_count: int = 1
    """How many of the record's related links the inline box shows."""

    topic: str | None = None
    """Topic line ("Chủ đề …") printed after the body (EPI)."""

    show_updated: bool = False
    """Print a visible ``time.updated`` modification date (tagDiv)."""

    spacers: bool = False
    """Separate body paragraphs with empty ``<p>&nbsp;</p>`` spacers (old WordPress posts)."""

    image_style: ImageStyle = "default"
    """``legacy``: old caption markup (tagDiv ``div.wp-caption``; Hậu Giang ``table.image``)."""

    headings_as_bold: bool = False
    """Print subheadings as bold-only paragraphs ``<p><strong>…</strong></p>``."""

    related_in_body: bool = False
    """Put the "Đọc thêm" block inside the body element, after the byline (Cần Thơ)."""

    captured_at: str | None = None
    """ISO date-time the page was captured; dates in the page chrome (header date, "Xem
    thêm" times) count back from it. Defaults to a day after publication."""

    subtitle: bool = False
    """Also print the sapo (without dateline) as the post subtitle (tagDiv
    ``p.td-post-sub-title``); the body still opens with the full lead paragraph."""

    ads: bool = True
    """Put advertisement slots between body paragraphs."""

    layout: Layout = "desktop"
    """The era or device of the page: the current desktop page, the mobile page, or the
    legacy page from before the outlet's last redesign. Each template renders all three;
    its module docstring says how they differ (class names, where the byline and related
    boxes sit, which dates are machine-readable)."""


DEFAULT_OPTIONS = PageOptions()
