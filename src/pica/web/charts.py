"""Server-side SVG charts for the dashboard: plain markup, no script, every label escaped."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence

from markupsafe import Markup, escape

# The report's verdict colours (render/html.py's stylesheet), in its order.
VERDICT_COLOURS = {
    "violation": "#b42318",
    "inconclusive": "#b54708",
    "manual": "#175cd3",
    "compliant": "#067647",
    "not_applicable": "#98a2b3",
}


def _svg(width: int, height: int, title: str, body: str) -> Markup:
    """An SVG that scales down to its box (viewBox) and keeps its proportions."""
    return Markup(
        f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" preserveAspectRatio="xMinYMin meet" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>{body}</svg>'
    )


def _short(label: str, limit: int) -> str:
    """A label cut to about ``limit`` half-width columns (a Chinese character is two), so it
    fits left of its bar; the full text stays in the tooltip."""
    used = 0
    for index, char in enumerate(label):
        used += 2 if unicodedata.east_asian_width(char) in "WF" else 1
        if used > limit:
            return label[: max(index - 1, 1)] + "…"
    return label


def hbars(rows: Sequence[tuple[str, int]], title: str, colour: str = "#1849a9") -> Markup:
    """Horizontal bars, one per (label, value), longest value full width."""
    label_w, bar_w, row_h = 220, 320, 24
    height = max(1, len(rows)) * row_h + 8
    top = max((v for _l, v in rows), default=0) or 1
    parts = []
    for i, (label, value) in enumerate(rows):
        y = 4 + i * row_h
        w = round(bar_w * value / top)
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 16}" text-anchor="end" font-size="12">'
            f"{escape(_short(label, 34))}</text>"
            f'<rect class="bar" x="{label_w}" y="{y + 3}" width="{max(w, 1)}" height="{row_h - 8}" '
            f'fill="{colour}"><title>{escape(label)}: {value}</title></rect>'
            f'<text x="{label_w + w + 4}" y="{y + 16}" font-size="12">{value}</text>'
        )
    if not rows:
        parts.append('<text x="10" y="20" font-size="12">无数据 No data</text>')
    return _svg(label_w + bar_w + 50, height, title, "".join(parts))


def stacked(
    rows: Sequence[tuple[str, Mapping[str, int]]], title: str, order: Sequence[str]
) -> Markup:
    """One horizontal bar per row, split by key (verdicts) in ``order``, with a legend."""
    label_w, bar_w, row_h = 200, 330, 26
    height = len(rows) * row_h + 34
    top = max((sum(c.values()) for _l, c in rows), default=0) or 1
    parts = []
    for i, (label, counts) in enumerate(rows):
        y = 4 + i * row_h
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 17}" text-anchor="end" font-size="12">'
            f"{escape(_short(label, 30))}<title>{escape(label)}</title></text>"
        )
        x = float(label_w)
        for key in order:
            n = counts.get(key, 0)
            if not n:
                continue
            w = bar_w * n / top
            parts.append(
                f'<rect class="bar" x="{x:.1f}" y="{y + 3}" width="{w:.1f}" height="{row_h - 8}" '
                f'fill="{VERDICT_COLOURS.get(key, "#667085")}">'
                f"<title>{escape(label)} {escape(key)}: {n}</title></rect>"
            )
            x += w
    y = len(rows) * row_h + 12
    for i, key in enumerate(order):
        x = 10 + i * 105
        parts.append(
            f'<rect x="{x}" y="{y}" width="10" height="10" '
            f'fill="{VERDICT_COLOURS.get(key, "#667085")}"/>'
            f'<text x="{x + 14}" y="{y + 10}" font-size="11">{escape(key)}</text>'
        )
    return _svg(max(label_w + bar_w + 20, 10 + len(order) * 105), height, title, "".join(parts))


def columns(rows: Sequence[tuple[str, int]], title: str, colour: str = "#067647") -> Markup:
    """Vertical columns over time (label under each; the last 30 shown)."""
    rows = list(rows)[-30:]
    col_w, plot_h, left = 22, 130, 30
    base = plot_h + 18  # the axis: room above the tallest column for its number
    width = max(320, left + len(rows) * col_w + 10)
    top = max((v for _l, v in rows), default=0) or 1
    parts = [f'<line x1="{left}" y1="{base}" x2="{width}" y2="{base}" stroke="#98a2b3"/>']
    for i, (label, value) in enumerate(rows):
        h = round(plot_h * value / top)
        x = left + i * col_w
        parts.append(
            f'<rect class="bar" x="{x + 3}" y="{base - h}" width="{col_w - 6}" '
            f'height="{max(h, 1)}" fill="{colour}"><title>{escape(label)}: {value}</title></rect>'
            f'<text x="{x + col_w / 2}" y="{base - h - 4}" font-size="10" text-anchor="middle">'
            f"{value}</text>"
            f'<text x="{x + col_w / 2}" y="{base + 14}" font-size="9" text-anchor="end" '
            f'transform="rotate(-45 {x + col_w / 2} {base + 14})">{escape(label[5:])}</text>'
        )
    if not rows:
        parts.append('<text x="10" y="20" font-size="12">无数据 No data</text>')
    return _svg(width, base + 46, title, "".join(parts))
