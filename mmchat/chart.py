"""A scatter chart in plain characters: a few labelled points, y up and x across.

    lines = scatter([Point("openai/gpt-4o", 0.012, 1034.0, marked=True), ...], width=72, height=16)

Each point is drawn as its label (1–9, then A–Z) with a '*' beside it when it is marked
(`marked`: on the frontier, say); a legend under the axes gives each label's name and
figures. x is drawn on a log scale when its positive values span more than a factor of
ten (linear from 0 otherwise); points at x = 0 (free) go at the left edge, labelled
'free' (on a log scale, in a column of their own). Two points in one cell are drawn
side by side, the later one moved along its row to the nearest free cell: the chart
is for seeing which is where, the legend and the tables for the figures.

Written here rather than taken from a plotting library (plotext, textual-plot): a
chart of at most 35 points in plain characters is a page of code, not a dependency.

Pure text: no colours, no escapes; what it is given to show must already be printable.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

LABELS = "123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
MARK = "*"
FREE = "free"
LOG_SPAN = 10.0  # x goes on a log scale when max / min of its positive values is above this
MIN_WIDTH, MIN_HEIGHT = 24, 5


@dataclass(frozen=True)
class Point:
    name: str  # shown in the legend
    x: float  # >= 0; 0 is drawn at the left edge (free)
    y: float
    marked: bool = False


def scatter(
    points: Sequence[Point],
    *,
    width: int,
    height: int,
    x_title: str = "x",
    y_title: str = "y",
    x_text: Callable[[float], str] = lambda v: f"{v:g}",
    y_text: Callable[[float], str] = lambda v: f"{v:.0f}",
    marked_means: str = "marked",
) -> list[str]:
    """The chart as lines of at most `width` characters: `height` lines of plot and axes,
    a line naming the axes, then the legend (one line per point drawn). Points past the
    35th are left out, and the legend says how many."""
    if width < MIN_WIDTH or height < MIN_HEIGHT:
        raise ValueError(f"a chart needs at least {MIN_WIDTH}×{MIN_HEIGHT} characters, got {width}×{height}")
    if any(p.x < 0 or not math.isfinite(p.x) or not math.isfinite(p.y) for p in points):
        raise ValueError("a point's x must be a finite number >= 0 and its y finite")
    drawn = list(points[: len(LABELS)])
    if not drawn:
        return []
    rows = height - 2  # the x axis and its ticks below
    ys = [p.y for p in drawn]
    low, high = min(ys), max(ys)
    if high - low < 1e-9:  # one level: centre it
        low, high = low - 1.0, high + 1.0
    ticks = {0: high, rows - 1: low}
    if rows >= 5:
        ticks[(rows - 1) // 2] = high - (high - low) * ((rows - 1) // 2) / (rows - 1)
    margin = max(len(y_text(v)) for v in ticks.values())
    columns = width - margin - 2  # ' |' between the ticks and the plot
    place = _x_scale(drawn, columns)

    grid = [[" "] * columns for _ in range(rows)]
    for label, point in zip(LABELS, drawn):
        row = round((high - point.y) / (high - low) * (rows - 1))
        col = _free_cell(grid[row], place(point.x))
        grid[row][col] = label
        if point.marked:  # right beside it, or not at all (a '*' by another label would mislead)
            beside = next((c for c in (col + 1, col - 1) if 0 <= c < columns and grid[row][c] == " "), None)
            if beside is not None:
                grid[row][beside] = MARK
    lines = [f"{y_text(ticks[r]) if r in ticks else '':>{margin}} |{''.join(cells)}".rstrip()
             for r, cells in enumerate(grid)]
    lines.append(" " * margin + " +" + "-" * columns)
    lines.append((" " * (margin + 2) + _x_ticks(drawn, columns, place, x_text)).rstrip())
    log = " (log scale)" if _is_log(drawn) else ""
    lines.append(f"{y_title} up, {x_title} across{log}")
    legend = _legend(drawn, len(points) - len(drawn), width, x_text, y_text, marked_means)
    return [line[:width] for line in lines] + legend


def _is_log(points: Sequence[Point]) -> bool:
    positive = [p.x for p in points if p.x > 0]
    return bool(positive) and max(positive) / min(positive) > LOG_SPAN


def _x_scale(points: Sequence[Point], columns: int) -> Callable[[float], int]:
    """The column of an x value. Linear: from 0 (free ones there too) to the highest. Log: from
    the lowest positive value to the highest, two columns in when free points take the edge."""
    positive = [p.x for p in points if p.x > 0]
    log = _is_log(points)
    start = 2 if log and len(positive) < len(points) else 0
    t: Callable[[float], float] = math.log if log else float
    low = t(min(positive)) if log else 0.0
    high = t(max(positive)) if positive else 0.0
    last = columns - 2  # room for a mark after the rightmost label

    def place(x: float) -> int:
        if x <= 0:
            return 0
        if high - low < 1e-12:
            return (start + last) // 2
        return start + round((t(x) - low) / (high - low) * (last - start))

    return place


def _free_cell(cells: list[str], col: int) -> int:
    """`col`, or the nearest free cell along the row (right first)."""
    for step in range(len(cells)):
        for c in (col + step, col - step):
            if 0 <= c < len(cells) and cells[c] == " ":
                return c
    return col  # a full row: overwrite (more points than a row has cells cannot happen)


def _x_ticks(points: Sequence[Point], columns: int, place: Callable[[float], int], x_text: Callable[[float], str]) -> str:
    """The tick labels under the axis: at the left edge 'free' (or 0 on a linear scale), then
    the lowest and highest positive values from their columns (moved right past the label
    before, or left out when there is no room)."""
    positive = [p.x for p in points if p.x > 0]
    wanted = []
    if len(positive) < len(points) or not _is_log(points):
        wanted.append((0, FREE if len(positive) < len(points) else x_text(0.0)))
    if positive:
        wanted.append((place(min(positive)), x_text(min(positive))))
        if max(positive) != min(positive):
            text = x_text(max(positive))
            wanted.append((columns - len(text), text))  # ends under the right edge
    line = ""
    for col, text in wanted:
        col = max(col, len(line) + 1 if line else 0)
        if col + len(text) <= columns:
            line = line.ljust(col) + text
    return line


def _legend(
    points: Sequence[Point], left_out: int, width: int,
    x_text: Callable[[float], str], y_text: Callable[[float], str], marked_means: str,
) -> list[str]:
    """A line per point: its label, mark, name (cut with '…' to fit `width`), y and x."""
    figures = [f"  {y_text(p.y):>6}  {FREE if p.x == 0 else x_text(p.x)}" for p in points]
    room = max(4, width - 3 - max(len(f) for f in figures))
    names = [p.name if len(p.name) <= room else p.name[: room - 1] + "…" for p in points]
    name_width = max(len(n) for n in names)
    lines = [f"{label}{MARK if p.marked else ' '} {name:<{name_width}}{shown}"
             for label, p, name, shown in zip(LABELS, points, names, figures)]
    if any(p.marked for p in points):
        lines.append(f"{MARK} {marked_means}")
    if left_out:
        lines.append(f"{left_out} more not drawn")
    return lines
