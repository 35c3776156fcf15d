"""The scatter chart in plain characters: where points land, the scales, the marks, the legend."""

from __future__ import annotations

import pytest

from mmchat.chart import LABELS, Point, scatter


def plot(lines: list[str], height: int) -> list[str]:
    """The plot area of a chart: its rows after the ' |' (the axes and the legend left out)."""
    return [line.split("|", 1)[1] if "|" in line else "" for line in lines[: height - 2]]


def where(lines: list[str], height: int, label: str) -> tuple[int, int]:
    """(row, column) of `label` in the plot area."""
    for r, row in enumerate(plot(lines, height)):
        if label in row:
            return r, row.index(label)
    raise AssertionError(f"{label} is not drawn")


def test_the_highest_point_is_on_the_top_row_and_the_dearest_on_the_right():
    points = [Point("low-cheap", 1.0, 900.0), Point("high-dear", 5.0, 1100.0), Point("mid", 3.0, 1000.0)]
    lines = scatter(points, width=40, height=12)

    # 40 columns: 4 for the ticks, 2 for ' |', 34 for the plot (the last kept for a mark).
    assert where(lines, 12, "2") == (0, 32)  # top row, right
    assert where(lines, 12, "1") == (9, 6)  # bottom row, a fifth across (linear from 0)
    row, col = where(lines, 12, "3")
    assert row == 4 or row == 5  # half way up
    assert col == 19  # three fifths across: a linear scale (5 / 1 is under 10×)
    assert all(len(line) <= 40 for line in lines[:12])
    assert lines[10].strip().startswith("+---") and lines[12] == "y up, x across"


def test_costs_spanning_more_than_ten_times_go_on_a_log_scale():
    points = [Point("a", 0.001, 1.0), Point("b", 0.01, 2.0), Point("c", 0.1, 3.0)]
    lines = scatter(points, width=40, height=10)

    # b is the geometric middle: half way across on a log scale (a linear one puts it at a tenth).
    assert where(lines, 10, "2")[1] == 18
    assert "(log scale)" in lines[10]


def test_free_points_sit_at_the_left_edge_under_free():
    points = [Point("local", 0.0, 950.0), Point("cloud", 0.002, 1000.0), Point("big", 0.05, 1100.0)]
    lines = scatter(points, width=40, height=10, x_text=lambda v: f"${v}")

    assert where(lines, 10, "1")[1] == 0
    assert where(lines, 10, "2")[1] == 2  # on a log scale the paid ones start two columns in
    ticks = lines[9]
    assert ticks.split() == ["free", "$0.002", "$0.05"]
    assert ticks.index("free") == lines[0].index("|") + 1
    assert lines[11] == "1  local     950  free"


def test_on_a_linear_scale_free_is_zero():
    points = [Point("local", 0.0, 950.0), Point("cloud", 0.01, 1000.0), Point("big", 0.02, 1100.0)]
    lines = scatter(points, width=40, height=10)

    assert [where(lines, 10, label)[1] for label in "123"] == [0, 16, 32]
    assert lines[9].split() == ["free", "0.01", "0.02"] and "log" not in lines[10]


def test_marked_points_carry_a_star_and_the_legend_says_what_it_means():
    points = [Point("best", 0.01, 1100.0, marked=True), Point("other", 0.02, 1000.0)]
    lines = scatter(points, width=30, height=6, marked_means="on the frontier")

    row, col = where(lines, 6, "1")
    assert plot(lines, 6)[row][col + 1] == "*"
    assert "*" not in plot(lines, 6)[where(lines, 6, "2")[0]]
    assert lines[-3:] == ["1* best     1100  0.01", "2  other    1000  0.02", "* on the frontier"]


def test_points_in_one_cell_are_drawn_side_by_side():
    points = [Point("a", 0.01, 1000.0), Point("b", 0.01, 1000.0), Point("c", 0.01, 1000.0)]
    lines = scatter(points, width=30, height=6)

    (row,) = [r for r in plot(lines, 6) if r.strip()]
    assert sorted(row.strip()) == ["1", "2", "3"]  # three adjacent cells


def test_past_35_points_the_rest_are_counted_not_drawn():
    points = [Point(f"m{i}", 0.001 * (i + 1), 900.0 + i) for i in range(40)]
    lines = scatter(points, width=80, height=20)

    drawn = "".join(plot(lines, 20))
    assert all(label in drawn for label in LABELS) and len(LABELS) == 35
    assert lines[-1] == "5 more not drawn"


def test_a_long_name_is_cut_in_the_legend_to_fit_the_width():
    lines = scatter([Point("provider/" + "x" * 60, 0.5, 1000.0)], width=30, height=5)

    assert lines[-1].endswith("  1000  0.5") and len(lines[-1]) == 30 and "…" in lines[-1]


def test_nothing_to_draw_and_bad_input():
    assert scatter([], width=40, height=10) == []
    with pytest.raises(ValueError, match="at least"):
        scatter([Point("a", 1.0, 1.0)], width=10, height=10)
    with pytest.raises(ValueError, match=">= 0"):
        scatter([Point("a", -1.0, 1.0)], width=40, height=10)
