"""``crawler report``: one self-contained HTML page with the numbers of ``crawler stats``.

Inline CSS and inline SVG charts only (no script, no external resource), so the file opens
offline and can be mailed or archived. Per outlet: the table row of ``crawler stats``, the
articles per day (bars by publication date, line by the day stored) and the extraction
health of its recent runs (share of article pages without body, date or title, with the
flag threshold). Then the whole history (:mod:`crawler.report.history`): articles per month,
coverage gaps, extraction health per month with the template changes, storage and growth.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

from crawler.health import LOCAL, threshold
from crawler.report.history import CSS as HISTORY_CSS
from crawler.report.history import render_history
from crawler.report.svg import bar_chart, share_chart

if TYPE_CHECKING:
    from datetime import datetime

    from crawler.health import ArchiveHealth, OutletHealth

CSS = """
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px;color:#222}
h1{font-size:22px;margin:0 0 4px} h2{font-size:17px;margin:28px 0 8px}
.meta{color:#666;margin-bottom:16px}
table{border-collapse:collapse;margin:8px 0} .scroll{overflow-x:auto}
th,td{padding:4px 8px;border-bottom:1px solid #ddd;text-align:right;white-space:nowrap}
th:first-child,td:first-child{text-align:left}
tr.flagged td{background:#fde8e8} .badge{color:#fff;background:#c62828;border-radius:3px;
padding:1px 5px;font-size:12px} .ok{color:#2e7d32}
.alert{border-left:4px solid #c62828;background:#fdf1f1;padding:8px 12px;margin:12px 0}
.outlet-card{display:inline-block;vertical-align:top;margin:6px 18px 12px 0}
.outlet-card h3{font-size:14px;margin:4px 0}
svg.chart{background:#fafafa;border:1px solid #e4e4e4}
svg .bar{fill:#4a78b5} svg .series2{fill:none;stroke:#e08a1e;stroke-width:1.5}
svg .axis{stroke:#999} svg .tick{font-size:10px;fill:#666}
svg .share{fill:none;stroke:#555;stroke-width:1.5} svg .point{fill:#555}
svg .point.bad{fill:#c62828} svg .limit{stroke:#c62828;stroke-dasharray:4 3}
.legend span{display:inline-block;width:10px;height:10px;margin:0 4px 0 12px}
"""


def _t(value: datetime | None) -> str:
    return value.astimezone(LOCAL).strftime("%Y-%m-%d %H:%M") if value else "–"


def _pct(value: float | None) -> str:
    return f"{value:.0%}" if value is not None else "–"


def _row(o: OutletHealth) -> str:
    r = o.last_run
    cells = [
        escape(o.name) + (' <span class="badge">flagged</span>' if o.flagged else ""),
        escape(o.domain),
        str(o.articles),
        str(o.duplicates),
        _t(o.newest_published),
        _t(r.started_at) if r else "never",
        escape(r.status) if r else "–",
        str(r.fetched) if r else "0",
        str(r.new) if r else "0",
        str(r.updated) if r else "0",
        str(r.duplicates) if r else "0",
        str(r.fetch_failures) if r else "0",
        str(r.failed) if r else "0",
        _pct(r.share) if r else "–",
        _pct(o.usual_share),
    ]
    cls = "outlet flagged" if o.flagged else "outlet"
    return (
        f'<tr class="{cls}" data-outlet="{escape(o.name)}">'
        + "".join(f"<td>{c}</td>" for c in cells)
        + "</tr>"
    )


HEADERS = (
    "outlet",
    "domain",
    "articles",
    "duplicates",
    "newest article",
    "last run",
    "outcome",
    "fetched",
    "new",
    "updated",
    "dups",
    "fetch failures",
    "extraction failures",
    "health (bad share)",
    "usual share",
)


def _consumers(health: ArchiveHealth) -> str:
    """The export consumers (``crawler export --consumer``), when there are any."""
    if not health.consumers:
        return ""
    rows = "".join(
        f"<tr><td>{escape(c['name'])}</td><td>{c['pulls']}</td><td>{c['rows']}</td>"
        f"<td>{_t(c['pulled_at'])}</td><td>{c['pending_changes']}</td></tr>"
        for c in health.consumers
    )
    return (
        '<h2>Export consumers</h2><table id="consumers"><thead><tr><th>consumer</th>'
        "<th>pulls</th><th>rows</th><th>last pull</th><th>changes waiting</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>"
    )


def render_report(health: ArchiveHealth) -> str:
    """The HTML page."""
    day_labels = [d.isoformat() for d in health.days]
    alerts = (
        "".join(
            f'<div class="alert"><strong>{escape(o.name)}</strong>: {escape(o.reason)}</div>'
            for o in health.flagged
        )
        or '<p class="ok">No outlet flagged.</p>'
    )
    per_day = []
    runs = []
    for o in health.outlets:
        per_day.append(
            f'<div class="outlet-card" data-outlet="{escape(o.name)}"><h3>{escape(o.name)}</h3>'
            + bar_chart(
                o.per_day_published,
                day_labels,
                line=o.per_day_stored,
                title=f"{o.name}: articles per day",
            )
            + "</div>"
        )
        labels = [f"run {r.run_id} {_t(r.started_at)} ({r.bad}/{r.pages})" for r in o.runs]
        runs.append(
            f'<div class="outlet-card" data-outlet="{escape(o.name)}"><h3>{escape(o.name)}'
            + (' <span class="badge">flagged</span>' if o.flagged else "")
            + "</h3>"
            + share_chart(
                [r.share for r in o.runs],
                labels,
                title=f"{o.name}: share of pages without body, date or title per run",
                limit=threshold(o.usual_share) if o.runs else None,
                flagged=o.flagged,
            )
            + "</div>"
        )
    table = (
        '<table id="outlets"><thead><tr>'
        + "".join(f"<th>{escape(h)}</th>" for h in HEADERS)
        + "</tr></thead><tbody>"
        + "".join(_row(o) for o in health.outlets)
        + "</tbody></table>"
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Archive report {escape(_t(health.generated_at))}</title>
<style>{CSS}{HISTORY_CSS}</style></head>
<body>
<h1>News archive report</h1>
<div class="meta">Generated {escape(_t(health.generated_at))} (Asia/Ho_Chi_Minh) ·
{len(health.outlets)} outlets · last {len(health.days)} days</div>
<h2>Alerts</h2>
{alerts}
<h2>Outlets</h2>
<div class="scroll">{table}</div>
<p class="meta">Health rule: {escape(health.rule)}.</p>
{_consumers(health)}
<h2>Articles per day</h2>
<p class="legend"><span style="background:#4a78b5"></span>by publication date
<span style="background:#e08a1e"></span>by day stored</p>
<div id="per-day">{"".join(per_day)}</div>
<h2>Extraction health over time</h2>
<p class="meta">Share of each run's article pages that failed or lack a body, date or title;
the dashed line is the flag threshold.</p>
<div id="health">{"".join(runs)}</div>
{render_history(health.history) if health.history is not None else ""}
</body></html>
"""
