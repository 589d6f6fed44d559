"""Charts drawn on the server as SVG: no chart library, no script, no CDN.

`line_chart` draws one or more series over time on shared axes: a light grid with round
y-axis ticks, dates under the x-axis, an area under the first series, and optional horizontal
bands (the temperature thresholds). Every figure is escaped; the result is safe markup.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from html import escape

from markupsafe import Markup

PALETTE = ("#5b5bd6", "#e5484d", "#30a46c", "#f76b15")


@dataclass(frozen=True)
class Series:
    label: str
    points: Sequence[tuple[datetime, float]]


@dataclass(frozen=True)
class Band:
    value: float
    label: str


def nice_max(value: float) -> float:
    """The smallest 1, 2, 2.5 or 5 × 10ⁿ at or above `value` (at least 1)."""
    if value <= 1:
        return 1.0
    exponent = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * exponent:
            return float(step * exponent)
    return float(10 * exponent)


def compact(value: float) -> str:
    """12,345 → 12.3k; 0.0421 → 0.042; whole numbers without decimals."""
    if abs(value) >= 1_000_000:
        return f"{value / 1_000_000:.1f}M".replace(".0M", "M")
    if abs(value) >= 10_000:
        return f"{value / 1000:.0f}k"
    if abs(value) >= 1000:
        return f"{value / 1000:.1f}k".replace(".0k", "k")
    if value == int(value):
        return f"{int(value)}"
    return f"{value:.3g}"


def line_chart(
    series: Sequence[Series],
    *,
    width: int = 720,
    height: int = 220,
    bands: Sequence[Band] = (),
    y_max: float | None = None,
    title: str = "",
) -> Markup:
    left, right, top, bottom = 48, 12, 12, 28
    plot_w, plot_h = width - left - right, height - top - bottom
    times = sorted({at for s in series for at, _ in s.points})
    if not times:
        return Markup(  # noqa: S704 (the only text, the title, is escaped)
            f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
            f'aria-label="{escape(title)}: no data yet"><text x="{width / 2}" y="{height / 2}" '
            'text-anchor="middle" class="chart-empty">No data yet</text></svg>'
        )
    start, end = times[0], times[-1]
    span = max((end - start).total_seconds(), 1.0)
    peak = max([v for s in series for _, v in s.points] + [b.value for b in bands] + [0.0])
    top_value = y_max if y_max is not None else nice_max(peak)

    def x(at: datetime) -> float:
        return left + plot_w * ((at - start).total_seconds() / span if len(times) > 1 else 0.5)

    def y(value: float) -> float:
        return top + plot_h * (1 - min(value, top_value) / top_value)

    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}" preserveAspectRatio="none">'
    ]
    for i in range(5):
        value = top_value * i / 4
        parts.append(
            f'<line class="grid" x1="{left}" x2="{width - right}" y1="{y(value):.1f}" '
            f'y2="{y(value):.1f}"/><text class="tick" x="{left - 6}" y="{y(value) + 4:.1f}" '
            f'text-anchor="end">{escape(compact(value))}</text>'
        )
    for band in bands:
        parts.append(
            f'<line class="band" x1="{left}" x2="{width - right}" y1="{y(band.value):.1f}" '
            f'y2="{y(band.value):.1f}"/><text class="band-label" x="{width - right - 4}" '
            f'y="{y(band.value) - 4:.1f}" text-anchor="end">{escape(band.label)}</text>'
        )
    for at in _x_ticks(times):
        parts.append(
            f'<text class="tick" x="{x(at):.1f}" y="{height - 8}" text-anchor="middle">'
            f"{escape(at.strftime('%b %-d'))}</text>"
        )
    for index, one in enumerate(series):
        color = PALETTE[index % len(PALETTE)]
        points = sorted(one.points)
        if not points:
            continue
        path = " ".join(f"{x(at):.1f},{y(value):.1f}" for at, value in points)
        if index == 0 and len(points) > 1:
            area = f"{x(points[0][0]):.1f},{y(0):.1f} {path} {x(points[-1][0]):.1f},{y(0):.1f}"
            parts.append(f'<polygon class="area" points="{area}" fill="{color}"/>')
        parts.append(
            f'<polyline class="line" points="{path}" stroke="{color}">'
            f"<title>{escape(one.label)}</title></polyline>"
        )
        if len(points) == 1:
            at, value = points[0]
            parts.append(f'<circle cx="{x(at):.1f}" cy="{y(value):.1f}" r="3" fill="{color}"/>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 (every text in `parts` is escaped)


def _x_ticks(times: Sequence[datetime]) -> list[datetime]:
    if len(times) <= 2:
        return list(times)
    return [times[0], times[len(times) // 2], times[-1]]
