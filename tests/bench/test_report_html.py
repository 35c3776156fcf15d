"""The HTML report: one page that parses, escapes what runs hold, draws the chart and fetches nothing."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from mmchat.bench.report import compare_runs, summarize
from mmchat.bench.report_html import to_html
from tests.bench.report_helpers import CHEAP, DEAR, bench_run, result, small_results

HOSTILE = "evil/<script>alert(1)</script>"
VOID = {"meta", "link", "br", "hr", "img", "input"}


class Page(HTMLParser):
    """Collects the elements (checking every one is closed in order), their attributes and the text."""

    def __init__(self) -> None:
        super().__init__()
        self.open: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag not in VOID:
            self.open.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_endtag(self, tag):
        if not self.open or self.open.pop() != tag:
            self.errors.append(f"</{tag}> closes nothing open")

    def handle_data(self, data):
        self.text.append(data)


def parse(html: str) -> Page:
    page = Page()
    page.feed(html)
    page.close()
    assert page.errors == [] and page.open == [], (page.errors, page.open)
    return page


def hostile_report():
    run = bench_run(models=(HOSTILE, "lab/ok"), repeat=1)
    results = [result(HOSTILE, f"case<{i}>", 0, True, category="<b>code</b>", cost=0.01) for i in range(12)]
    results += [result("lab/ok", f"case<{i}>", 0, i < 6, category="<b>code</b>", cost=0.001) for i in range(12)]
    return summarize(run, results)


def test_the_page_parses_and_holds_the_tables_and_verdicts():
    report = summarize(bench_run(), small_results(), bar=0.9)
    changes = compare_runs([result(DEAR, "c1", 0, False)], small_results())
    html = to_html(report, changes)
    assert html.startswith("<!DOCTYPE html>")
    page = parse(html)
    text = "".join(page.text)
    assert report.cheapest[None].reason in text
    assert [tag for tag, _ in page.tags].count("table") == 4  # all cases, code, uncategorised, changes
    assert "Changed cases" in text and "fixed" in text
    assert "<style>" in html and not any(tag in {"script", "link", "img", "iframe"} for tag, _ in page.tags)


def test_run_text_is_escaped():
    html = to_html(hostile_report())
    page = parse(html)
    assert "<script>" not in html and "<b>" not in html
    assert "evil/&lt;script&gt;alert(1)&lt;/script&gt;" in html
    text = "".join(page.text)
    assert HOSTILE in text
    assert "<b>code</b>" in text


def test_nothing_is_fetched():
    html = to_html(summarize(bench_run(), small_results()), [])
    assert "http://" not in html and "https://" not in html
    page = parse(html)
    assert not any(key in {"src", "href"} for _, attrs in page.tags for key in attrs)


def test_a_url_the_user_wrote_is_only_text():
    run = bench_run(models=("https://example.test/model",), repeat=1)
    page = parse(to_html(summarize(run, [result("https://example.test/model", "c", 0, True)])))
    assert not any(key in {"src", "href"} for _, attrs in page.tags for key in attrs)


def chart_points(html: str) -> dict[str, tuple[float, float, bool]]:
    """Model → (cx, cy, on the frontier) of the chart's dots (each dot's tooltip names its model)."""
    points = {}
    for cls, cx, cy, tip in re.findall(r'<circle class="(dot[^"]*)" cx="([\d.]+)" cy="([\d.]+)" r="5"><title>([^<]*)', html):
        points[tip.split(":")[0]] = (float(cx), float(cy), "best" in cls)
    return points


def test_the_chart_marks_the_frontier():
    run = bench_run(models=("local/free", "lab/cheap", "lab/worse", "lab/dear", "lab/unpriced"), repeat=1)
    results = [result("local/free", f"c{i}", 0, i < 10, cost=0.0) for i in range(20)]  # 50 %, free
    results += [result("lab/cheap", f"c{i}", 0, i < 15, cost=0.0001) for i in range(20)]  # 75 %
    results += [result("lab/worse", f"c{i}", 0, i < 12, cost=0.001) for i in range(20)]  # 60 %, dearer than cheap
    results += [result("lab/dear", f"c{i}", 0, i < 19, cost=0.01) for i in range(20)]  # 95 %, 100× cheap: log
    results += [result("lab/unpriced", f"c{i}", 0, True, cost=None) for i in range(20)]
    html = to_html(summarize(run, results))
    parse(html)
    assert "<svg" in html and "cost per answer (log scale)" in html
    points = chart_points(html)
    assert set(points) == {"local/free", "lab/cheap", "lab/worse", "lab/dear"}  # no cost, no dot
    assert {m for m, (_, _, best) in points.items() if best} == {"local/free", "lab/cheap", "lab/dear"}
    assert "Not on the chart (cost unknown): lab/unpriced." in html
    xs = {m: x for m, (x, _, _) in points.items()}
    assert xs["local/free"] < xs["lab/cheap"] < xs["lab/worse"] < xs["lab/dear"]
    assert points["lab/dear"][1] < points["lab/cheap"][1] < points["lab/worse"][1]  # higher pass rate, higher up
    line = re.search(r'<polyline class="frontier" points="([^"]+)"', html).group(1).split()
    assert len(line) == 3
    assert [float(p.split(",")[0]) for p in line] == [round(xs[m], 1) for m in ("local/free", "lab/cheap", "lab/dear")]
    # 100× between the dearest and the cheapest paid: the first tick is 10⁻⁴ dollars, at the left of the paid ones.
    assert "$0.0001" in html


def test_close_costs_use_a_linear_scale_with_free_at_the_left_edge():
    run = bench_run(models=("local/free", CHEAP, DEAR), repeat=1)
    results = [result("local/free", f"c{i}", 0, i < 5, cost=0.0) for i in range(10)]
    results += [result(CHEAP, f"c{i}", 0, i < 7, cost=0.002) for i in range(10)]
    results += [result(DEAR, f"c{i}", 0, i < 9, cost=0.004) for i in range(10)]
    html = to_html(summarize(run, results))
    assert "cost per answer (linear)" in html
    points = chart_points(html)
    assert points["local/free"][0] == 64.0  # the plot's left edge
    # Linear from 0: twice the cost, twice the distance from the edge.
    assert points[DEAR][0] - 64 == pytest.approx(2 * (points[CHEAP][0] - 64), abs=0.2)


def test_no_chart_without_a_priced_answer():
    run = bench_run(models=("lab/unpriced",), repeat=1)
    html = to_html(summarize(run, [result("lab/unpriced", "c", 0, True, cost=None)]))
    parse(html)
    assert "<svg" not in html
    assert "No model has both answers and a known cost to chart." in html
    assert "Not on the chart (cost unknown): lab/unpriced." in html
