"""Why the extractor chose what it chose: the record behind ``crawler extract --explain``.

Every extraction fills one :class:`Explanation` (it is cheap: a few small objects per page):
for each field the winning source and the candidates it beat, every block pruned from the
body with the rule that pruned it, and the blocks left in the body that still look like
boilerplate. It is what an operator reads when an outlet changes its template.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from crawler.extraction.structure import PrunedBlock

if TYPE_CHECKING:
    from crawler.extraction import PageOutcome


@dataclass
class Candidate:
    """One value a source proposed for a field."""

    source: str
    """Where it came from: ``"selector h1.article__title"``, ``"og:title"``, ``"json-ld
    headline"``, ``"<title> minus site name"``, ``"visible text near the headline"``..."""

    value: str
    """The value as the source gave it."""

    votes: float = 0
    """How many other sources agreed with it (titles; a reworded match counts half), or 0
    where votes do not apply."""

    rejected: str | None = None
    """Why it could not win (a breadcrumb, an organisation...), or None."""


@dataclass
class FieldChoice:
    """The decision for one field."""

    value: Any
    """The value stored."""

    source: str | None
    """The winning candidate's source, or None when no source gave a value."""

    reason: str
    """Why that candidate won."""

    candidates: list[Candidate] = field(default_factory=list)
    """Every candidate considered, the winner included."""


@dataclass
class Explanation:
    """How one page was extracted."""

    path: str = ""
    """``"profile <name> (template <t>)"``, ``"sniffed template <t>"`` or ``"generic"``."""

    decoding: str = ""
    """How the bytes were decoded: the codec and why (BOM, HTTP header, meta...)."""

    body_source: str = ""
    """Which element or method gave the body (a selector, or trafilatura)."""

    fields: dict[str, FieldChoice] = field(default_factory=dict)
    """Decisions by field name (title, published_at, authors, sapo...)."""

    pruned: list[PrunedBlock] = field(default_factory=list)
    """Blocks removed from the body, with the rule that removed each."""

    suspicious: list[tuple[str, str]] = field(default_factory=list)
    """Blocks kept in the body that look like boilerplate: (why, text)."""

    kind: str = "article"
    """What the page is: ``"article"`` or a non-article kind (``"soft404"``, ``"video"``...)."""

    kind_reason: str | None = None
    """Why the page is not an article, when it is not."""

    thorough: bool = False
    """Evaluate every source, also those that cannot change the result (an operator asked
    for the explanation); otherwise sources after a sure winner are skipped, for speed."""

    def choose(self, name: str, choice: FieldChoice) -> None:
        """Record the decision for one field."""
        self.fields[name] = choice

    def prune(self, rule: str, text: str) -> None:
        """Record one block removed from the body."""
        self.pruned.append(PrunedBlock(rule, text if len(text) <= 160 else text[:157] + "..."))

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dictionary."""
        return {
            "path": self.path,
            "decoding": self.decoding,
            "body_source": self.body_source,
            "kind": self.kind,
            "kind_reason": self.kind_reason,
            "fields": {name: asdict(choice) for name, choice in self.fields.items()},
            "pruned": [{"rule": p.rule, "text": p.text} for p in self.pruned],
            "suspicious": [{"reason": r, "text": t} for r, t in self.suspicious],
        }


_WIDTH = 110


def _cut(text: Any, width: int = _WIDTH) -> str:
    value = text if isinstance(text, str) else repr(text)
    return value if len(value) <= width else value[: width - 3] + "..."


def format_explanation(outcome: PageOutcome) -> str:
    """What an operator reads: page verdict, field decisions, pruned and suspicious blocks."""
    article, explanation = outcome.extracted, outcome.explanation
    assert article is not None and explanation is not None
    lines = [f"page:      {article.url}"]
    if outcome.article is None:
        lines.append(f"verdict:   NOT STORED: {outcome.failure}")
    else:
        lines.append("verdict:   an article")
    lines += [
        f"read as:   {explanation.path}",
        f"decoded:   {explanation.decoding}",
        f"body from: {explanation.body_source}",
        "",
        "fields",
    ]
    for name, choice in explanation.fields.items():
        lines.append(f"  {name} = {_cut(choice.value, 90)}")
        if choice.source:
            lines.append(f"    won:  {choice.source}: {choice.reason}")
        else:
            lines.append(f"    {choice.reason}")
        for candidate in choice.candidates:
            if candidate.source == choice.source and candidate.rejected is None:
                continue
            note = f" - {candidate.rejected}" if candidate.rejected else ""
            votes = f" ({candidate.votes:g} votes)" if candidate.votes else ""
            lines.append(f"    beat: {candidate.source}{votes}: {_cut(candidate.value, 70)}{note}")
    lines += ["", f"pruned from the body ({len(explanation.pruned)})"]
    for pruned in explanation.pruned:
        lines.append(f"  [{pruned.rule}] {_cut(pruned.text, 90)}")
    lines += ["", f"left in the body but suspicious ({len(explanation.suspicious)})"]
    for reason, text in explanation.suspicious:
        lines.append(f"  [{reason}] {_cut(text, 90)}")
    return "\n".join(lines)
