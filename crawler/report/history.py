"""The whole-history sections of the report: articles per month, coverage gaps, extraction
health over time with template changes, storage size and growth (:mod:`crawler.history`)."""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

from crawler.health import LOCAL
from crawler.report.svg import bar_chart, share_chart

if TYPE_CHECKING:
    from crawler.history import ArchiveHistory, OutletHistory

CSS = """
table.gaps td.dates{white-space:normal;text-align:left;max-width:640px}
table.years td.zero{color:#bbb} tr.gap-outlet td{background:#fff4e5}
.note{color:#666;font-size:12px}
"""


def _size(n: int | None) -> str:
    if n is None:
        return "–"
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{n} B"  # pragma: no cover


def _months(h: ArchiveHistory) -> str:
    years = sorted({m[:4] for o in h.outlets for m in o.months})
    head = "".join(f"<th>{y}</th>" for y in years)
    rows = []
    for o in h.outlets:
        if not o.months:
            continue
        per_year = dict.fromkeys(years, 0)
        for month, n in zip(o.months, o.per_month, strict=True):
            per_year[month[:4]] += n
        cells = "".join(
            f'<td class="{"zero" if n == 0 else ""}">{n}</td>' for n in per_year.values()
        )
        rows.append(
            f'<tr data-outlet="{escape(o.name)}"><td>{escape(o.name)}</td>{cells}'
            f"<td>{sum(o.per_month)}</td></tr>"
        )
    cards = "".join(
        f'<div class="outlet-card" data-outlet="{escape(o.name)}"><h3>{escape(o.name)} '
        f'<span class="note">{escape(o.months[0])} – {escape(o.months[-1])}</span></h3>'
        + bar_chart(
            o.per_month, o.months, title=f"{o.name}: articles per month", css_class="per-month"
        )
        + "</div>"
        for o in h.outlets
        if o.months
    )
    table = (
        '<div class="scroll"><table class="years" id="per-year"><thead><tr><th>outlet</th>'
        f"{head}<th>total</th></tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
    )
    return table + f'<div id="per-month">{cards}</div>'


def _gaps(h: ArchiveHistory) -> str:
    rows = []
    for o in h.outlets:
        for g in o.gaps:
            dates = ", ".join(d.isoformat() for d in g.days)
            rows.append(
                f'<tr class="gap-outlet" data-outlet="{escape(o.name)}">'
                f"<td>{escape(o.name)}</td><td>{g.start.isoformat()}</td>"
                f"<td>{g.end.isoformat()}</td><td>{len(g.days)}</td>"
                f"<td>{g.context_share:.0%}</td>"
                f'<td class="dates">{escape(dates)}</td></tr>'
            )
    if not rows:
        return '<p class="ok" id="gaps">No coverage gap found.</p>'
    return (
        '<div class="scroll"><table class="gaps" id="gaps"><thead><tr><th>outlet</th>'
        "<th>from</th><th>to</th><th>days</th><th>days with articles around</th>"
        f"<th>dates</th></tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
    )


def _health_card(o: OutletHistory) -> str:
    labels = [
        f"{m.month}: {m.bad}/{m.pages} pages in {m.runs} runs, {m.flagged_runs} flagged"
        for m in o.health
    ]
    chart = share_chart(
        [m.share for m in o.health],
        labels,
        title=f"{o.name}: share of pages without body, date or title per month",
        limit=None,
        flagged=False,
        marks=[m.flagged_runs > 0 for m in o.health],
        css_class="health-history",
    )
    changes = "".join(
        f'<li class="template-change">run {t.run_id} on '
        f"{t.started_at.astimezone(LOCAL):%Y-%m-%d %H:%M}: {t.bad}/{t.pages} pages bad "
        f"({t.share:.0%}, usual {'–' if t.usual_share is None else f'{t.usual_share:.0%}'})"
        "</li>"
        for t in o.template_changes
    )
    profiles = "".join(
        f'<li class="profile-change">{escape(p.extractor_version)} from '
        f"{p.first_used.astimezone(LOCAL):%Y-%m-%d %H:%M}</li>"
        for p in o.profile_changes
    )
    flagged = ' <span class="badge">template change</span>' if o.template_changes else ""
    return (
        f'<div class="outlet-card" data-outlet="{escape(o.name)}"><h3>{escape(o.name)}'
        f"{flagged}</h3>{chart}"
        + (f"<p>Probable template changes:</p><ul>{changes}</ul>" if changes else "")
        + (f'<p class="note">Extractor/profile versions:</p><ul class="note">{profiles}</ul>')
        + "</div>"
    )


def _storage(h: ArchiveHistory) -> str:
    s = h.storage
    tables = "".join(
        f"<tr><td>{escape(name)}</td><td>{_size(size)}</td></tr>" for name, size in s.tables.items()
    )
    months = [g.month for g in s.growth]
    cumulative: list[int] = []
    total = 0
    for g in s.growth:
        total += g.articles
        cumulative.append(total)
    growth_rows = "".join(
        f"<tr><td>{g.month}</td><td>{g.articles}</td><td>{g.pages}</td>"
        f"<td>{_size(g.warc_bytes)}</td></tr>"
        for g in s.growth
    )
    chart = (
        bar_chart(
            [g.articles for g in s.growth],
            months,
            line=None,
            title="articles first stored per month",
            css_class="growth",
        )
        if s.growth
        else ""
    )
    return f"""
<table id="storage"><tbody>
<tr><td>database ({escape(s.backend)})</td><td>{_size(s.database_bytes)}</td></tr>
<tr><td>WARC files ({s.warc_files})</td><td>{_size(s.warc_bytes)}</td></tr>
</tbody></table>
<div class="outlet-card"><h3>Growth</h3>{chart}
<div class="scroll"><table id="growth"><thead><tr><th>month</th><th>articles stored</th>
<th>pages fetched</th><th>WARC written</th></tr></thead><tbody>{growth_rows}</tbody></table></div>
</div>
<div class="outlet-card"><h3>Database by table</h3><table id="tables"><tbody>{tables}</tbody>
</table></div>
"""


def render_history(h: ArchiveHistory) -> str:
    """The history sections (HTML)."""
    health_cards = "".join(_health_card(o) for o in h.outlets if o.health)
    return f"""
<h2>Articles per month, whole history</h2>
<p class="meta">{escape(h.rules["month"])}.</p>
{_months(h)}
<h2>Coverage gaps</h2>
<p class="meta">{escape(h.rules["gap"])}.</p>
{_gaps(h)}
<h2>Extraction health per month, whole history</h2>
<p class="meta">Share of the month's article pages that failed or lack a body, date or title;
red points are months with a run flagged as a probable template change
({escape(h.rules["template_change"])}).</p>
<div id="health-history">{health_cards}</div>
<h2>Storage</h2>
{_storage(h)}
"""
