"""Server-rendered SVG charts (no JavaScript library, nothing from a CDN).

Pure functions: values in, SVG markup out. Every label is escaped.
"""
from __future__ import annotations

import math

from markupsafe import Markup, escape

_W, _H = 640, 220
_PAD_L, _PAD_R, _PAD_T, _PAD_B = 44, 12, 14, 36


def _fmt(value: float, percent: bool) -> str:
    if percent:
        return f"{value * 100:.0f}%"
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


def _nice_max(value: float) -> float:
    """The smallest 1/2/2.5/4/5/6/8 x 10^k at or above `value` (quarters stay readable)."""
    if value <= 0:
        return 1.0
    magnitude = 10 ** math.floor(math.log10(value))
    for m in (1, 2, 2.5, 4, 5, 6, 8, 10):
        if m * magnitude >= value:
            return float(m * magnitude)
    return float(10 * magnitude)


def bar_chart(labels: list[str], values: list[float | None], title: str, *, percent: bool = False,
              max_value: float | None = None, label_every: int = 1) -> Markup:
    """A vertical bar chart; None values leave a gap. `percent` plots 0..1 as 0..100%."""
    top = max_value if max_value is not None else (1.0 if percent else _nice_max(max([v or 0 for v in values] + [0])))
    inner_w = _W - _PAD_L - _PAD_R
    inner_h = _H - _PAD_T - _PAD_B
    n = max(len(values), 1)
    slot = inner_w / n
    bar_w = max(slot * 0.7, 1.0)
    parts = [f'<svg class="chart" viewBox="0 0 {_W} {_H}" role="img" aria-label="{escape(title)}" '
             f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>']
    for i in range(5):
        y = _PAD_T + inner_h - inner_h * i / 4
        parts.append(f'<line x1="{_PAD_L}" x2="{_W - _PAD_R}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>')
        parts.append(f'<text x="{_PAD_L - 4}" y="{y + 4:.1f}" class="axis" text-anchor="end">'
                     f'{escape(_fmt(top * i / 4, percent))}</text>')
    for i, (label, value) in enumerate(zip(labels, values)):
        x = _PAD_L + slot * i + (slot - bar_w) / 2
        if value is not None:
            h = inner_h * min(value, top) / top if top else 0
            parts.append(f'<rect x="{x:.1f}" y="{_PAD_T + inner_h - h:.1f}" width="{bar_w:.1f}" '
                         f'height="{h:.1f}" class="bar"><title>{escape(label)}: '
                         f'{escape(_fmt(value, percent))}</title></rect>')
        if i % label_every == 0:
            parts.append(f'<text x="{x + bar_w / 2:.1f}" y="{_H - _PAD_B + 14}" class="axis" '
                         f'text-anchor="middle">{escape(label)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def line_chart(labels: list[str], series: dict[str, list[float | None]], title: str, *,
               percent: bool = True, label_every: int = 1) -> Markup:
    """One polyline per series (0..1 when `percent`), with a legend; None breaks the line."""
    all_values = [v for vals in series.values() for v in vals if v is not None]
    top = 1.0 if percent else _nice_max(max(all_values + [0]))
    inner_w = _W - _PAD_L - _PAD_R
    inner_h = _H - _PAD_T - _PAD_B
    n = max(len(labels), 1)
    step = inner_w / max(n - 1, 1)
    parts = [f'<svg class="chart" viewBox="0 0 {_W} {_H}" role="img" aria-label="{escape(title)}" '
             f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>']
    for i in range(5):
        y = _PAD_T + inner_h - inner_h * i / 4
        parts.append(f'<line x1="{_PAD_L}" x2="{_W - _PAD_R}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>')
        parts.append(f'<text x="{_PAD_L - 4}" y="{y + 4:.1f}" class="axis" text-anchor="end">'
                     f'{escape(_fmt(top * i / 4, percent))}</text>')
    for i, label in enumerate(labels):
        if i % label_every == 0:
            parts.append(f'<text x="{_PAD_L + step * i:.1f}" y="{_H - _PAD_B + 14}" class="axis" '
                         f'text-anchor="middle">{escape(label)}</text>')
    for k, (name, values) in enumerate(series.items()):
        runs: list[list[str]] = [[]]
        for i, v in enumerate(values):
            if v is None:
                runs.append([])
                continue
            y = _PAD_T + inner_h - inner_h * min(v, top) / top
            runs[-1].append(f"{_PAD_L + step * i:.1f},{y:.1f}")
        for run in runs:
            if run:
                parts.append(f'<polyline points="{" ".join(run)}" class="line s{k}"/>')
        parts.append(f'<text x="{_PAD_L + 8 + 120 * k}" y="{_H - 6}" class="legend s{k}">'
                     f'■ {escape(name)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
