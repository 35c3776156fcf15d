"""A bench report as one self-contained HTML page: inline CSS and SVG, no script, nothing fetched.

The page holds the verdicts, a chart of cost per answer against pass rate (Wilson
intervals as bars, the frontier marked and joined), the table of every case, one per
category, and the changed cases when compared with another run. Every text that comes
from a run (suite, models, cases, categories, reasons) is HTML-escaped.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from mmchat import format as fmt
from mmchat.bench.report import CaseChange, ModelSummary, Report, change_rows, run_line, table_rows
from mmchat.session.leaderboard import frontier

WIDTH, HEIGHT = 760, 380
LEFT, RIGHT, TOP, BOTTOM = 64, 24, 20, 52  # the plot's margins inside the SVG
FREE_GAP = 36  # on a log scale, how far right of the free models the first paid one may be
LOG_SPAN = 10  # costs spanning more than this factor go on a log scale
LABEL_ROOM = 160  # a model's name fits in this many pixels right of its dot

STYLE = """
:root { color-scheme: light dark; --fg: #1d1d1f; --bg: #fff; --muted: #6e6e73; --line: #d2d2d7;
        --accent: #0a66c2; --thin: #b25000; --stripe: #f5f5f7; }
@media (prefers-color-scheme: dark) {
  :root { --fg: #e8e8ed; --bg: #161617; --muted: #a1a1a6; --line: #424245; --accent: #4da3ff;
          --thin: #ff9f40; --stripe: #1f1f21; } }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg);
       background: var(--bg); margin: 2rem auto; max-width: 72rem; padding: 0 1rem; }
h1 { font-size: 1.5rem; margin-bottom: .2rem; } h2 { font-size: 1.15rem; margin-top: 2rem; }
h3 { font-size: 1rem; margin-top: 1.4rem; } .meta, figcaption, .note { color: var(--muted); }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; margin: .4rem 0; }
th, td { padding: .3rem .6rem; border-bottom: 1px solid var(--line); text-align: right; white-space: nowrap; }
th:first-child, td:first-child { text-align: left; white-space: normal; }
thead th { border-bottom: 2px solid var(--line); } tbody tr:nth-child(even) { background: var(--stripe); }
.scroll { overflow-x: auto; } ul.verdicts { padding-left: 1.2rem; }
.thin { color: var(--thin); } .none { color: var(--muted); }
svg { max-width: 100%; height: auto; font: 11px system-ui, sans-serif; }
svg .axis, svg .grid { stroke: var(--line); } svg .grid { stroke-dasharray: 2 3; }
svg .bar { stroke: var(--thin); stroke-dasharray: 6 4; } svg .ci { stroke: var(--muted); }
svg .dot { fill: var(--bg); stroke: var(--accent); stroke-width: 2; } svg .dot.best { fill: var(--accent); }
svg .frontier { fill: none; stroke: var(--accent); stroke-width: 1.5; opacity: .6; }
svg text { fill: var(--fg); } svg .tick { fill: var(--muted); }
"""


@dataclass(frozen=True)
class _Point:
    model: str
    cost: float  # per answer, ≥ 0
    rate: float
    interval: tuple[float, float]
    frontier: bool


def _points(summaries: Sequence[ModelSummary]) -> list[_Point]:
    plotted = [s for s in summaries if s.cost_per_answer is not None and s.pass_rate is not None]
    best = frontier({s.model: (s.pass_rate, s.cost_per_answer) for s in plotted})
    return [_Point(s.model, s.cost_per_answer, s.pass_rate, s.interval, s.model in best) for s in plotted]


class _XScale:
    """Cost per answer → x: linear from 0, or log10 when the paid costs span more than LOG_SPAN×;
    free models sit at the left edge either way."""

    def __init__(self, costs: Sequence[float]) -> None:
        paid = [c for c in costs if c > 0]
        self.left, self.right = LEFT, WIDTH - RIGHT
        self.log = bool(paid) and max(paid) / min(paid) > LOG_SPAN
        if self.log:
            self.low, self.high = math.floor(math.log10(min(paid))), math.ceil(math.log10(max(paid)))
            self.start = self.left + (FREE_GAP if len(paid) < len(costs) else 0)
        else:
            self.low, self.high = 0.0, (max(paid) * 1.1 if paid else 1.0)
            self.start = self.left

    def __call__(self, cost: float) -> float:
        if cost <= 0:
            return self.left
        if self.log:
            share = (math.log10(cost) - self.low) / (self.high - self.low)
        else:
            share = cost / self.high
        return self.start + share * (self.right - self.start)

    def ticks(self) -> list[float]:
        if self.log:
            return [10.0**e for e in range(int(self.low), int(self.high) + 1)]
        return [self.high * i / 4 for i in range(5)]


def _y(rate: float) -> float:
    return TOP + (1 - rate) * (HEIGHT - TOP - BOTTOM)


def chart(summaries: Sequence[ModelSummary], bar: float) -> str:
    """The SVG chart of cost per answer against pass rate; models of unknown cost are left out
    ("" when no model is left)."""
    points = _points(summaries)
    if not points:
        return ""
    x = _XScale([p.cost for p in points])
    bottom = HEIGHT - BOTTOM
    parts = [f'<svg viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" role="img" '
             f'aria-label="cost per answer against pass rate">']
    for share in (0, 0.25, 0.5, 0.75, 1):
        y = _y(share)
        parts.append(f'<line class="grid" x1="{LEFT}" x2="{x.right}" y1="{y:.1f}" y2="{y:.1f}"/>')
        parts.append(f'<text class="tick" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{share * 100:.0f} %</text>')
    for tick in x.ticks():
        tx = x(tick)
        parts.append(f'<line class="axis" x1="{tx:.1f}" x2="{tx:.1f}" y1="{bottom}" y2="{bottom + 4}"/>')
        label = "free" if tick == 0 else fmt.cost(tick)
        parts.append(f'<text class="tick" x="{tx:.1f}" y="{bottom + 16}" text-anchor="middle">{escape(label)}</text>')
    if x.log and any(p.cost == 0 for p in points):
        parts.append(f'<text class="tick" x="{LEFT:.1f}" y="{bottom + 16}" text-anchor="middle">free</text>')
    parts.append(f'<line class="axis" x1="{LEFT}" x2="{x.right}" y1="{bottom}" y2="{bottom}"/>')
    parts.append(f'<line class="axis" x1="{LEFT}" x2="{LEFT}" y1="{TOP}" y2="{bottom}"/>')
    parts.append(f'<line class="bar" x1="{LEFT}" x2="{x.right}" y1="{_y(bar):.1f}" y2="{_y(bar):.1f}"/>')
    parts.append(f'<text class="tick" x="{x.right}" y="{_y(bar) - 4:.1f}" text-anchor="end">bar {bar:g}</text>')
    scale = "log scale" if x.log else "linear"
    parts.append(f'<text class="tick" x="{(LEFT + x.right) / 2:.0f}" y="{HEIGHT - 8}" text-anchor="middle">'
                 f"cost per answer ({scale})</text>")
    best = sorted((p for p in points if p.frontier), key=lambda p: (p.cost, p.rate))
    if len(best) > 1:
        line = " ".join(f"{x(p.cost):.1f},{_y(p.rate):.1f}" for p in best)
        parts.append(f'<polyline class="frontier" points="{line}"/>')
    for p in points:
        px, low, high = x(p.cost), _y(p.interval[0]), _y(p.interval[1])
        parts.append(f'<line class="ci" x1="{px:.1f}" x2="{px:.1f}" y1="{low:.1f}" y2="{high:.1f}"/>')
        for end in (low, high):
            parts.append(f'<line class="ci" x1="{px - 4:.1f}" x2="{px + 4:.1f}" y1="{end:.1f}" y2="{end:.1f}"/>')
    for p in points:
        px, py = x(p.cost), _y(p.rate)
        tip = (f"{p.model}: {p.rate * 100:.0f} % ({p.interval[0] * 100:.0f}–{p.interval[1] * 100:.0f} %), "
               f"{'free' if p.cost == 0 else fmt.cost(p.cost) + ' per answer'}"
               f"{' — on the frontier' if p.frontier else ''}")
        parts.append(f'<circle class="dot{" best" if p.frontier else ""}" cx="{px:.1f}" cy="{py:.1f}" r="5">'
                     f"<title>{escape(tip)}</title></circle>")
        if px > x.right - LABEL_ROOM:  # near the right edge: the name goes to the dot's left
            parts.append(f'<text x="{px - 8:.1f}" y="{py - 6:.1f}" text-anchor="end">{escape(p.model)}</text>')
        else:
            parts.append(f'<text x="{px + 8:.1f}" y="{py - 6:.1f}">{escape(p.model)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _table(header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{escape(cell)}</td>" for cell in row) + "</tr>" for row in rows)
    return f'<div class="scroll"><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'


def _figure(svg: str) -> str:
    if not svg:
        return '<p class="note">No model has both answers and a known cost to chart.</p>'
    return (
        f"<figure>{svg}<figcaption>Each model's pass rate over every case, with its 95 % Wilson interval; "
        "filled and joined: the frontier (no other model both cheaper and better). Free models sit at the "
        "left edge.</figcaption></figure>"
    )


def to_html(report: Report, changes: Sequence[CaseChange] | None = None) -> str:
    """The report as one self-contained HTML page (see the module's docstring)."""
    run = report.run
    repeat = run.repeat
    verdicts = "".join(
        f'<li class="{"thin" if v.thin else "none" if v.model is None else ""}">'
        f"<strong>{escape(scope or 'overall')}</strong>: {escape(v.reason)}</li>"
        for scope, v in report.cheapest.items()
    )
    unplotted = [s.model for s in report.models if s.answers and s.cost_per_answer is None]
    left_out = (f'<p class="note">Not on the chart (cost unknown): {escape(", ".join(unplotted))}.</p>'
                if unplotted else "")
    body = [
        f"<h1>Bench run {run.id}</h1>",
        f'<p class="meta">{escape(run_line(report))}</p>',
        "<h2>The cheapest model meeting the bar</h2>",
        f'<ul class="verdicts">{verdicts}</ul>',
        "<h2>Cost against pass rate</h2>",
        _figure(chart(report.models, report.bar)),
        left_out,
        "<h2>All cases</h2>",
        _table(*table_rows(report.models, repeat)),
    ]
    if report.categories:
        body.append("<h2>Per category</h2>")
        for name, summaries in report.categories.items():
            body += [f"<h3>{escape(name)}</h3>", _table(*table_rows(summaries, repeat))]
    if changes is not None:
        body.append("<h2>Changed cases</h2>")
        body.append(_table(*change_rows(changes)) if changes else '<p class="note">No case changed.</p>')
    title = escape(f"Bench run {run.id}: {run.suite_name}")
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{title}</title><style>{STYLE}</style></head>\n<body>\n"
        + "\n".join(part for part in body if part)
        + "\n</body></html>\n"
    )
