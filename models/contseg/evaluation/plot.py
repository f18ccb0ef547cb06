"""Dice per class across continual steps as one self-contained SVG (hand-written; no plotting dependency).

One panel per (sequence, method): x = steps in training order, y = Dice in [0, 1]; one line per class in its
catalogue colour (mean over seeds; whiskers = ± sample std when there are several seeds). A class's line starts at
the step that added it and breaks where its Dice is undefined. Classes that share a catalogue colour (left/right
kidney, ...) get different dash patterns. One legend for all panels.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Sequence
from xml.sax.saxutils import escape, quoteattr

from ..network.embeddings import CATALOGUE_PATH
from .run_results import RunResult, group_runs

PANEL_W, PANEL_H = 360, 240
PLOT_LEFT, PLOT_RIGHT, PLOT_TOP, PLOT_BOTTOM = 48, 16, 34, 46  # margins inside a panel
LEGEND_W, LEGEND_ROW = 230, 18
COLUMNS = 3
DASHES = ("", "6 3", "2 3", "8 3 2 3")
FALLBACK_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f")


def _class_styles(classes: Sequence[str]) -> dict[str, tuple[str, str]]:
    """class -> (colour "#rrggbb", dash pattern): the catalogue colour, a new dash each time a colour repeats."""
    colours = {e["name"]: "#%02x%02x%02x" % tuple(e["colour"]) for e in json.loads(CATALOGUE_PATH.read_text())["classes"]}
    used: dict[str, int] = {}
    styles = {}
    for i, name in enumerate(classes):
        colour = colours.get(name, FALLBACK_COLOURS[i % len(FALLBACK_COLOURS)])
        styles[name] = (colour, DASHES[used.get(colour, 0) % len(DASHES)])
        used[colour] = used.get(colour, 0) + 1
    return styles


def _series(members: Sequence[RunResult], name: str) -> list[tuple[float, float | None] | None]:
    """Per step: (mean Dice over seeds, std or None), or None where undefined or the class is not yet added."""
    out: list[tuple[float, float | None] | None] = []
    for t in range(len(members[0].steps)):
        values = [v for run in members if (v := run.steps[t].dice.get(name)) is not None]
        if not values:
            out.append(None)
        else:
            out.append((statistics.fmean(values), statistics.stdev(values) if len(values) > 1 else None))
    return out


def _panel(members: Sequence[RunResult], x0: float, y0: float, styles: dict[str, tuple[str, str]]) -> list[str]:
    steps = [s.name for s in members[0].steps]
    left, top = x0 + PLOT_LEFT, y0 + PLOT_TOP
    width, height = PANEL_W - PLOT_LEFT - PLOT_RIGHT, PANEL_H - PLOT_TOP - PLOT_BOTTOM

    def x(t: int) -> float:
        return left + (width * (t + 0.5) / len(steps))

    def y(v: float) -> float:
        return top + height * (1.0 - min(max(v, 0.0), 1.0))

    run = members[0]
    title = f"{run.sequence} · {run.method} ({len(members)} seed{'s' if len(members) > 1 else ''})"
    out = [f'<g class="panel" data-sequence={quoteattr(run.sequence)} data-method={quoteattr(run.method)}>',
           f'<text x="{x0 + PANEL_W / 2:.1f}" y="{y0 + 18}" text-anchor="middle" font-weight="bold">{escape(title)}</text>',
           f'<rect x="{left}" y="{top}" width="{width}" height="{height}" fill="none" stroke="#444"/>']
    for tick in (0.0, 0.25, 0.5, 0.75, 1.0):
        out.append(f'<line x1="{left}" x2="{left + width}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" stroke="#ddd"/>')
        out.append(f'<text x="{left - 6}" y="{y(tick) + 4:.1f}" text-anchor="end">{tick:.2f}</text>')
    out.append(f'<text transform="translate({x0 + 12},{top + height / 2:.1f}) rotate(-90)" text-anchor="middle">Dice</text>')
    for t, name in enumerate(steps):
        label = name if len(name) <= 14 else name[:13] + "…"
        out.append(f'<text x="{x(t):.1f}" y="{top + height + 16}" text-anchor="middle"><title>{escape(name)}</title>{escape(label)}</text>')
    for name in (c for s in run.steps for c in s.new_classes):
        colour, dash = styles[name]
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        points = _series(members, name)
        segment: list[str] = []
        for t, point in enumerate([*points, None]):
            if point is not None:
                segment.append(f"{x(t):.1f},{y(point[0]):.1f}")
                continue
            if len(segment) > 1:
                out.append(f'<polyline class="dice-line" data-class={quoteattr(name)} points="{" ".join(segment)}" fill="none" stroke="{colour}" stroke-width="2"{dash_attr}/>')
            segment = []
        for t, point in enumerate(points):
            if point is None:
                continue
            mean, std = point
            if std is not None:
                out.append(f'<line x1="{x(t):.1f}" x2="{x(t):.1f}" y1="{y(mean - std):.1f}" y2="{y(mean + std):.1f}" stroke="{colour}"/>')
            tip = f"{name} after {steps[t]}: {mean:.3f}" + (f" ± {std:.3f}" if std is not None else "")
            out.append(f'<circle class="dice-point" data-class={quoteattr(name)} data-step={quoteattr(steps[t])} data-dice="{mean:.4f}" '
                       f'cx="{x(t):.1f}" cy="{y(mean):.1f}" r="3" fill="{colour}" stroke="#333" stroke-width="0.5"><title>{escape(tip)}</title></circle>')
    return out + ["</g>"]


def dice_across_steps_svg(runs: Sequence[RunResult]) -> str:
    """A standalone SVG document (UTF-8 text): one panel per (sequence, method) of ``runs`` and a shared legend."""
    if not runs:
        raise ValueError("no run results to plot")
    groups = group_runs(runs)
    classes = list(dict.fromkeys(c for members in groups for s in members[0].steps for c in s.new_classes))
    styles = _class_styles(classes)
    columns = min(COLUMNS, len(groups))
    rows = -(-len(groups) // columns)
    width = columns * PANEL_W + LEGEND_W
    height = max(rows * PANEL_H, 40 + LEGEND_ROW * len(classes))
    body: list[str] = []
    for i, members in enumerate(groups):
        body += _panel(members, (i % columns) * PANEL_W, (i // columns) * PANEL_H, styles)
    legend_x = columns * PANEL_W + 10
    body.append(f'<g class="legend"><text x="{legend_x}" y="24" font-weight="bold">classes</text>')
    for j, name in enumerate(classes):
        colour, dash = styles[name]
        yy = 44 + j * LEGEND_ROW
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        body.append(f'<line x1="{legend_x}" x2="{legend_x + 28}" y1="{yy - 4}" y2="{yy - 4}" stroke="{colour}" stroke-width="2"{dash_attr}/>')
        body.append(f'<text x="{legend_x + 34}" y="{yy}">{escape(name)}</text>')
    body.append("</g>")
    return "\n".join(
        [
            '<?xml version="1.0" encoding="UTF-8"?>',
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
            'font-family="sans-serif" font-size="11">',
            "<title>Dice per class across continual steps</title>",
            f'<rect width="{width}" height="{height}" fill="white"/>',
            *body,
            "</svg>",
            "",
        ]
    )
