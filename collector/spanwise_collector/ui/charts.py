"""Charts as inline SVG drawn on the server: metric curves over steps (MLflow's run
charts) and bars per day. No JavaScript; every label is escaped; a point's exact value
is in its ``<title>`` (shown on hover)."""

from __future__ import annotations

import math
from collections.abc import Sequence

from .layout import esc

W, H = 560, 200  # the plot's viewBox
PAD_L, PAD_R, PAD_T, PAD_B = 58, 12, 12, 26
COLORS = ("#2457c5", "#d9822b", "#2a7d3f", "#c0322b", "#7b4fc4")
MAX_POINTS = 500  # per series: enough for the eye; the API has every point

Series = tuple[str, Sequence[tuple[float, float]]]  # (label, [(x, y), ...])


def _fmt(value: float) -> str:
    return f"{value:.4g}"


def _thin(points: Sequence[tuple[float, float]]) -> Sequence[tuple[float, float]]:
    """At most MAX_POINTS, evenly spaced, first and last kept."""
    if len(points) <= MAX_POINTS:
        return points
    step = (len(points) - 1) / (MAX_POINTS - 1)
    return [points[round(i * step)] for i in range(MAX_POINTS)]


def _span(values: Sequence[float]) -> tuple[float, float]:
    low, high = min(values), max(values)
    if low == high:  # a flat line: give it room
        pad = abs(low) * 0.1 or 1.0
        return low - pad, high + pad
    return low, high


def _axes(y_low: float, y_high: float, x_low: str, x_high: str) -> str:
    bottom = H - PAD_B
    return (
        f'<line x1="{PAD_L}" y1="{PAD_T}" x2="{PAD_L}" y2="{bottom}" stroke="#c5cad4"/>'
        f'<line x1="{PAD_L}" y1="{bottom}" x2="{W - PAD_R}" y2="{bottom}" stroke="#c5cad4"/>'
        f'<text x="{PAD_L - 4}" y="{PAD_T + 4}" text-anchor="end">{esc(_fmt(y_high))}</text>'
        f'<text x="{PAD_L - 4}" y="{bottom}" text-anchor="end">{esc(_fmt(y_low))}</text>'
        f'<text x="{PAD_L}" y="{H - 8}">{esc(x_low)}</text>'
        f'<text x="{W - PAD_R}" y="{H - 8}" text-anchor="end">{esc(x_high)}</text>'
    )


def _svg(title: str, inner: str, legend: str = "") -> str:
    return (
        f'<figure class="chart"><figcaption>{esc(title)}{legend}</figcaption>'
        f'<svg viewBox="0 0 {W} {H}" role="img" aria-label="{esc(title)}" '
        f'font-size="11" fill="#5b6474">{inner}</svg></figure>'
    )


def line_chart(title: str, series: Sequence[Series], x_label: str = "step") -> str:
    """One line per series over x; NaN/inf points are left out. Empty: ``""``."""
    clean = [
        (label, _thin([(x, y) for x, y in pts if math.isfinite(x) and math.isfinite(y)]))
        for label, pts in series
    ]
    clean = [(label, pts) for label, pts in clean if pts]
    if not clean:
        return ""
    xs = [x for _, pts in clean for x, _ in pts]
    ys = [y for _, pts in clean for _, y in pts]
    x_low, x_high = min(xs), max(xs)
    x_width = (x_high - x_low) or 1.0
    y_low, y_high = _span(ys)
    plot_w, plot_h = W - PAD_L - PAD_R, H - PAD_T - PAD_B

    def at(x: float, y: float) -> tuple[float, float]:
        px = PAD_L + (x - x_low) / x_width * plot_w if x_high > x_low else PAD_L + plot_w / 2
        return px, PAD_T + (y_high - y) / (y_high - y_low) * plot_h

    inner = _axes(y_low, y_high, f"{x_label} {_fmt(x_low)}", _fmt(x_high))
    legend = []
    for n, (label, pts) in enumerate(clean):
        color = COLORS[n % len(COLORS)]
        coords = [at(x, y) for x, y in pts]
        path = " ".join(f"{px:.1f},{py:.1f}" for px, py in coords)
        inner += f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="1.6"/>'
        for (x, y), (px, py) in zip(pts, coords):
            tip = (
                f"{label}: {x_label} {_fmt(x)} = {_fmt(y)}"
                if len(clean) > 1
                else (f"{x_label} {_fmt(x)} = {_fmt(y)}")
            )
            inner += (
                f'<circle cx="{px:.1f}" cy="{py:.1f}" r="2.2" fill="{color}">'
                f"<title>{esc(tip)}</title></circle>"
            )
        legend.append(f'<span style="color:{color}">■ {esc(label)}</span>')
    return _svg(title, inner, " " + " ".join(legend) if len(clean) > 1 else "")


def bar_chart(title: str, bars: Sequence[tuple[str, float]], unit: str = "") -> str:
    """One bar per (label, value ≥ 0), in the order given. Empty: ``""``."""
    bars = [(label, v) for label, v in bars if math.isfinite(v)]
    if not bars:
        return ""
    high = max(max(v for _, v in bars), 0.0) or 1.0
    plot_w, plot_h = W - PAD_L - PAD_R, H - PAD_T - PAD_B
    slot = plot_w / len(bars)
    inner = _axes(0.0, high, bars[0][0], bars[-1][0])
    for n, (label, value) in enumerate(bars):
        h = max(value, 0.0) / high * plot_h
        x = PAD_L + n * slot + slot * 0.15
        inner += (
            f'<rect x="{x:.1f}" y="{PAD_T + plot_h - h:.1f}" width="{slot * 0.7:.1f}" '
            f'height="{h:.1f}" fill="{COLORS[0]}"><title>{esc(label)}: {esc(unit)}'
            f"{esc(_fmt(value))}</title></rect>"
        )
    return _svg(title, inner)
