"""Small inline SVG charts, written by hand (the report must render offline, without JS)."""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

WIDTH = 420
HEIGHT = 120
PAD_LEFT = 34
PAD_BOTTOM = 20
PAD_TOP = 10


def _nice_top(value: float) -> float:
    if value <= 0:
        return 1.0
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000):
        if value <= step:
            return float(step)
    return float(value)


def bar_chart(
    values: Sequence[int],
    labels: Sequence[str],
    *,
    title: str,
    line: Sequence[int] | None = None,
    css_class: str = "per-day",
) -> str:
    """Bars of ``values`` (and an optional line series) with a y axis and first/last labels."""
    top = _nice_top(max([*values, *(line or [0]), 0]))
    n = max(1, len(values))
    plot_w = WIDTH - PAD_LEFT - 6
    plot_h = HEIGHT - PAD_BOTTOM - PAD_TOP
    slot = plot_w / n
    parts = [
        f'<svg class="chart {css_class}" xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" '
        f'height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{escape(title)}"><title>{escape(title)}</title>',
        _axes(top, plot_h),
    ]
    for i, value in enumerate(values):
        h = plot_h * value / top
        x = PAD_LEFT + i * slot + slot * 0.15
        y = PAD_TOP + plot_h - h
        label = labels[i] if i < len(labels) else ""
        parts.append(
            f'<rect class="bar" x="{x:.1f}" y="{y:.1f}" width="{slot * 0.7:.1f}" '
            f'height="{h:.1f}"><title>{escape(label)}: {value}</title></rect>'
        )
    if line:
        points = " ".join(
            f"{PAD_LEFT + i * slot + slot / 2:.1f},{PAD_TOP + plot_h - plot_h * v / top:.1f}"
            for i, v in enumerate(line)
        )
        parts.append(f'<polyline class="series2" points="{points}"/>')
    if labels:
        parts.append(
            f'<text class="tick" x="{PAD_LEFT}" y="{HEIGHT - 5}">{escape(labels[0])}</text>'
            f'<text class="tick" x="{WIDTH - 6}" y="{HEIGHT - 5}" text-anchor="end">'
            f"{escape(labels[-1])}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def _axes(top: float, plot_h: float) -> str:
    y0 = PAD_TOP + plot_h
    top_label = f"{top:g}" if top >= 1 else f"{top:.0%}"
    return (
        f'<line class="axis" x1="{PAD_LEFT}" y1="{PAD_TOP}" x2="{PAD_LEFT}" y2="{y0}"/>'
        f'<line class="axis" x1="{PAD_LEFT}" y1="{y0}" x2="{WIDTH - 6}" y2="{y0}"/>'
        f'<text class="tick" x="{PAD_LEFT - 4}" y="{PAD_TOP + 8}" text-anchor="end">'
        f"{top_label}</text>"
        f'<text class="tick" x="{PAD_LEFT - 4}" y="{y0}" text-anchor="end">0</text>'
    )


def share_chart(
    shares: Sequence[float | None],
    labels: Sequence[str],
    *,
    title: str,
    limit: float | None,
    flagged: bool,
    marks: Sequence[bool] | None = None,
    css_class: str = "health",
) -> str:
    """Share of bad pages per run (0-100 %), with the flag threshold as a dashed line.

    The last point is red when ``flagged``; with ``marks``, every marked point is."""
    plot_w = WIDTH - PAD_LEFT - 6
    plot_h = HEIGHT - PAD_BOTTOM - PAD_TOP
    n = max(1, len(shares))
    step = plot_w / n
    y0 = PAD_TOP + plot_h
    parts = [
        f'<svg class="chart {css_class}" xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" '
        f'height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{escape(title)}"><title>{escape(title)}</title>',
        f'<line class="axis" x1="{PAD_LEFT}" y1="{PAD_TOP}" x2="{PAD_LEFT}" y2="{y0}"/>'
        f'<line class="axis" x1="{PAD_LEFT}" y1="{y0}" x2="{WIDTH - 6}" y2="{y0}"/>'
        f'<text class="tick" x="{PAD_LEFT - 4}" y="{PAD_TOP + 8}" text-anchor="end">100%</text>'
        f'<text class="tick" x="{PAD_LEFT - 4}" y="{y0}" text-anchor="end">0%</text>',
    ]
    if limit is not None:
        y = y0 - plot_h * min(1.0, limit)
        parts.append(
            f'<line class="limit" x1="{PAD_LEFT}" y1="{y:.1f}" x2="{WIDTH - 6}" y2="{y:.1f}">'
            f"<title>flag threshold {limit:.0%}</title></line>"
        )
    points = []
    for i, share in enumerate(shares):
        if share is None:
            continue
        x = PAD_LEFT + i * step + step / 2
        y = y0 - plot_h * share
        marked = bool(marks[i]) if marks is not None and i < len(marks) else False
        points.append((x, y, share, labels[i] if i < len(labels) else "", marked))
    if len(points) > 1:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y, _, _, _ in points)
        parts.append(f'<polyline class="share" points="{path}"/>')
    for i, (x, y, share, label, marked) in enumerate(points):
        last = i == len(points) - 1
        cls = "point bad" if (last and flagged) or marked else "point"
        parts.append(
            f'<circle class="{cls}" cx="{x:.1f}" cy="{y:.1f}" r="{4 if last else 3}">'
            f"<title>{escape(label)}: {share:.0%}</title></circle>"
        )
    if not points:
        parts.append(
            f'<text class="tick" x="{WIDTH / 2}" y="{HEIGHT / 2}" text-anchor="middle">'
            "no runs with article pages</text>"
        )
    parts.append("</svg>")
    return "".join(parts)
