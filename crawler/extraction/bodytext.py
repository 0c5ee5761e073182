"""From the blocks of a body to the article's text: the rules every extraction path shares.

In order: captions and photo credits by position (:mod:`crawler.extraction.captions`);
blocks learned as the outlet's boilerplate, titles of the outlet's other articles, furniture
lines, captions and the headline repeated; a related-news block that survived pruning, cut
from its heading on; the byline paragraph at the end (its names go to ``authors``); the lead
paragraph opening the body (with its dateline marker, or bold) as the sapo.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from crawler.extraction import fields
from crawler.extraction.boilerplate import is_furniture, is_stop_heading
from crawler.extraction.bylines import has_credit_prefix, looks_like_byline, parse_byline
from crawler.extraction.captions import attach_captions
from crawler.extraction.structure import is_box_label, suspicious_blocks

if TYPE_CHECKING:
    from crawler.extraction.blocks import Block, BodyContent
    from crawler.extraction.context import PageContext

# "Theo TTXVN", "(Theo Báo Chính phủ)", "Nguồn: VnExpress": capitalised words only (checked
# by is_source_credit), so a sentence such as "Theo ông A, dự án..." never counts.
_SOURCE_CREDIT = re.compile(r"^[(\[]?\s*(?i:theo|nguồn)\s*:?\s+(.{1,60}?)\s*[)\]]?\.?$")


def is_source_credit(text: str) -> bool:
    """Whether a line credits a source ("Theo TTXVN") rather than saying something."""
    match = _SOURCE_CREDIT.match(text)
    if match is None:
        return False
    words = match.group(1).split()
    return 1 <= len(words) <= 6 and all(w[0].isupper() or w[0].isdigit() for w in words)


MAX_BYLINE_LINES = 4
"""At most this many names are taken from byline lines at the end of a body."""


@dataclass
class BodyText:
    """The article text once the shared rules ran."""

    blocks: list[Block] = field(default_factory=list)
    """The text blocks kept, in order."""

    sapo: str | None = None
    """The lead, when it opened the body."""

    byline_authors: list[str] = field(default_factory=list)
    """Names from a byline paragraph found at the end of the body."""

    source_credit: str | None = None
    """A "Theo TTXVN" / "Nguồn: …" line found at the end of the body (not an author)."""


def same_text(a: str, b: str) -> bool:
    """Equal once case is folded."""
    return a.casefold() == b.casefold()


def cut_related(blocks: list[Block], ctx: PageContext) -> list[Block]:
    """Drop a related-news block that survived pruning, from its heading on."""
    for index, block in enumerate(blocks):
        if not (len(block.text) <= 40 and (is_stop_heading(block.text) or _label(block))):
            continue
        before = sum(len(b.text) for b in blocks[:index])
        after = sum(len(b.text) for b in blocks[index + 1 :])
        if after <= before:
            for dropped in blocks[index:]:
                ctx.explain.prune(f"after related-news heading {block.text!r}", dropped.text)
            return blocks[:index]
        # A box near the top: drop the heading and the links listed under it.
        ctx.explain.prune("related-news heading", block.text)
        rest = blocks[index + 1 :]
        while rest and rest[0].link_share > 0.5:
            ctx.explain.prune(f"link under related-news heading {block.text!r}", rest[0].text)
            rest = rest[1:]
        return cut_related(blocks[:index] + rest, ctx)
    return blocks


def _take_byline(kept: list[Block], result: BodyText, ctx: PageContext) -> list[Block]:
    """Source credit and byline lines at the end of ``kept`` (names go to ``result``)."""
    explain = ctx.explain
    kept = list(kept)
    while kept and kept[-1].kind == "p" and is_source_credit(kept[-1].text):
        result.source_credit = kept[-1].text
        explain.prune("source credit line", kept.pop().text)
    if not (kept and kept[-1].kind == "p" and looks_like_byline(kept[-1].text)):
        return kept
    byline = kept.pop()
    names = parse_byline(byline.text)
    explain.prune("byline paragraph (names go to authors)", byline.text)
    # Co-authors printed one per line ("<a>A</a> <a>B</a>" as two blocks).
    style = _style(byline)
    while (
        kept
        and len(names) < MAX_BYLINE_LINES
        and kept[-1].kind == "p"
        and len(kept[-1].text) <= 40
        and style != "plain"
        and _style(kept[-1]) == style
        and not has_credit_prefix(kept[-1].text)
        and looks_like_byline(kept[-1].text)
    ):
        line = kept.pop().text
        names = parse_byline(line) + names
        explain.prune("byline paragraph (names go to authors)", line)
    result.byline_authors = names
    return kept


def _style(block: Block) -> str:
    """How a line is set apart: co-author lines share it (links, bold), text lines do not."""
    if block.link_share >= 0.9:
        return "link"
    if block.bold_share >= 0.9:
        return "bold"
    return "plain"


def _label(block: Block) -> bool:
    return block.kind in ("h", "p") and block.bold_share > 0.5 and is_box_label(block.text)


def finish_body(
    content: BodyContent,
    ctx: PageContext,
    *,
    title: str | None,
    byline_last: bool = True,
    lead_may_open: bool = True,
    bold_lead: bool = False,
) -> BodyText:
    """Apply the shared rules (module docstring) to a body that has been read."""
    explain = ctx.explain
    attach_captions(content, explain)
    captions = {c.casefold() for c in content.captions}
    learned = ctx.learned
    kept: list[Block] = []
    for block in content.text_blocks():
        text = block.text
        rule: str | None = None
        if learned is not None and learned.is_boilerplate(text):
            rule = "learned boilerplate (recurs on many pages of this outlet)"
        elif learned is not None and learned.is_other_title(text, title):
            rule = "title of another stored article"
        elif is_furniture(text, folded=True):
            rule = "furniture line"
        elif text.strip("| ").casefold() in captions:
            rule = "caption repeated as text"
        elif title and same_text(text, title):
            rule = "headline repeated"
        if rule is not None:
            explain.prune(rule, text)
            continue
        kept.append(block)

    result = BodyText()
    # The byline ends the article; it may come after a box (comments heading, related list)
    # that the related-news cut below removes: look at the very end first, then again once
    # the boxes are gone.
    if byline_last:
        kept = _take_byline(kept, result, ctx)
    kept = cut_related(kept, ctx)
    if byline_last and not result.byline_authors:
        kept = _take_byline(kept, result, ctx)
    if lead_may_open and kept:
        lead, marked = fields.strip_dateline(kept[0].text, ctx.profile)
        if marked or (bold_lead and kept[0].bold_share > 0.9 and kept[0].kind == "p"):
            result.sapo = lead
            kept = kept[1:]
    result.blocks = kept
    explain.suspicious.extend(
        suspicious_blocks([(b.text, b.link_share, len(b.links)) for b in kept])
    )
    return result
