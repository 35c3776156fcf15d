"""The bench report's figures on a hand-checked small run, the verdicts, the comparison and the renderers."""

from __future__ import annotations

import csv
import io
import json

import pytest

from mmchat.bench.report import (
    FORMAT,
    ModelSummary,
    compare_runs,
    percentile,
    summarize,
    to_csv,
    to_json,
    to_markdown,
    wilson,
)
from tests.bench.report_helpers import CHEAP, DEAR, bench_run, result, small_results


def by_model(summaries: list[ModelSummary]) -> dict[str, ModelSummary]:
    return {s.model: s for s in summaries}


@pytest.mark.parametrize(
    ("passes", "n", "low", "high"),
    [(8, 10, 0.490, 0.943), (0, 10, 0.0, 0.278), (10, 10, 0.722, 1.0), (19, 20, 0.764, 0.991), (7, 10, 0.397, 0.892)],
)
def test_wilson_matches_known_intervals(passes, n, low, high):
    got = wilson(passes, n)
    assert got == pytest.approx((low, high), abs=0.0006)


def test_wilson_without_answers_knows_nothing():
    assert wilson(0, 0) == (0.0, 1.0)


def test_percentiles_are_nearest_rank():
    values = [float(v) for v in range(10, 101, 10)]  # 10 … 100
    assert percentile(values, 50) == 50  # the 5th of 10
    assert percentile(values, 95) == 100  # ⌈9.5⌉ = the 10th
    assert percentile(values[:9], 95) == 90  # ⌈8.55⌉ = the 9th of 9
    assert percentile([7.0], 50) == 7.0
    assert percentile([], 50) is None


def test_the_small_run_overall():
    report = summarize(bench_run(), small_results(), bar=0.9)
    assert [s.model for s in report.models] == [CHEAP, DEAR]
    cheap, dear = report.models
    # lab/cheap: 7 of 10; c1, c3 and c5 passed both attempts: 3/5.
    assert (cheap.cases, cheap.answers, cheap.passes) == (5, 10, 7)
    assert cheap.pass_rate == pytest.approx(0.7)
    assert cheap.interval == pytest.approx((0.397, 0.892), abs=0.0006)
    assert cheap.pass_all == pytest.approx(0.6)
    # 10 × $0.001; per pass 0.01 / 7.
    assert cheap.cost_total == pytest.approx(0.01)
    assert cheap.cost_per_answer == pytest.approx(0.001)
    assert cheap.cost_per_pass == pytest.approx(0.01 / 7)
    # TTFT 100 … 1000: p50 the 5th, p95 the 10th; latency the same × 10.
    assert (cheap.ttft_p50, cheap.ttft_p95) == (500, 1000)
    assert (cheap.latency_p50, cheap.latency_p95) == (5000, 10000)
    assert (cheap.input_tokens, cheap.output_tokens) == (100, 200)
    assert (cheap.errors, cheap.error_rate) == (0, 0)
    # lab/dear: the error is a failed answer: 9 of 10; c2 did not pass both: pass^2 = 4/5.
    assert (dear.answers, dear.passes, dear.errors) == (10, 9, 1)
    assert dear.pass_rate == pytest.approx(0.9)
    assert dear.error_rate == pytest.approx(0.1)
    assert dear.pass_all == pytest.approx(0.8)
    # 9 × $0.01 spent; the error's cost is none, not unknown: per answer 0.09 / 10, per pass 0.09 / 9.
    assert dear.cost_total == pytest.approx(0.09)
    assert dear.cost_unknown == 0
    assert dear.cost_per_answer == pytest.approx(0.009)
    assert dear.cost_per_pass == pytest.approx(0.01)
    # Times over its 9 completed answers, 10 … 90: p50 the 5th (50), p95 the 9th (90).
    assert (dear.ttft_p50, dear.ttft_p95) == (50, 90)
    assert (dear.latency_p50, dear.latency_p95) == (500, 900)
    # 9 answers × 10 in and 5 out, the error 10 in.
    assert (dear.input_tokens, dear.output_tokens) == (100, 45)


def test_the_small_run_per_category():
    report = summarize(bench_run(), small_results(), bar=0.9)
    assert list(report.categories) == ["code", "uncategorised"]
    code, other = by_model(report.categories["code"]), by_model(report.categories["uncategorised"])
    # code (c1–c3): cheap passed 2 + 1 + 2 of 6, both attempts on c1 and c3; dear lost c2's error.
    assert (code[CHEAP].cases, code[CHEAP].passes, code[CHEAP].answers) == (3, 5, 6)
    assert code[CHEAP].pass_all == pytest.approx(2 / 3)
    assert (code[DEAR].passes, code[DEAR].answers, code[DEAR].errors) == (5, 6, 1)
    # c4–c5: cheap 0 + 2 of 4; dear 4 of 4.
    assert (other[CHEAP].passes, other[CHEAP].answers) == (2, 4)
    assert other[CHEAP].pass_all == pytest.approx(0.5)
    assert (other[DEAR].passes, other[DEAR].pass_all) == (4, 1.0)


def test_the_cheapest_meeting_the_bar_on_the_small_run():
    verdicts = summarize(bench_run(), small_results(), bar=0.9).cheapest
    # lab/dear meets 0.9 on 10 answers; lab/cheap, cheaper, reaches only 89 % at best (7/10).
    overall = verdicts[None]
    assert (overall.model, overall.thin) == (DEAR, False)
    assert overall.reason == "lab/dear: 9/10 passed (90 %, 60–98 %), $0.0090 per answer — the cheapest at 0.9"
    # code: neither meets 0.9 (5/6 each), but 5/6 could: its interval reaches 97 %.
    assert verdicts["code"].model is None and verdicts["code"].thin
    assert verdicts["code"].reason.startswith("too thin to tell: no model meets 0.9 yet")
    # uncategorised: lab/dear passed 4/4, too few answers to name it surely.
    assert (verdicts["uncategorised"].model, verdicts["uncategorised"].thin) == (DEAR, True)
    assert "only 4 answers" in verdicts["uncategorised"].reason


def test_a_cheaper_model_that_may_meet_the_bar_makes_it_thin():
    # At 0.85, lab/cheap (7/10, up to 89 %) may meet it, and lab/dear's lower bound (60 %) is under it.
    verdict = summarize(bench_run(), small_results(), bar=0.85).cheapest[None]
    assert (verdict.model, verdict.thin) == (DEAR, True)
    assert verdict.reason.startswith("too thin to tell: lab/dear: 9/10 passed")
    assert "the cheaper lab/cheap: 7/10 passed (70 %, 40–89 %) may too" in verdict.reason


def test_a_bar_no_one_can_reach_is_not_thin():
    verdict = summarize(bench_run(), small_results(), bar=0.99).cheapest[None]
    assert (verdict.model, verdict.thin) == (None, False)
    assert verdict.reason == "no model meets 0.99: the best is lab/dear: 9/10 passed (90 %, 60–98 %)"


def many(model: str, passes: int, n: int, cost: float | None) -> list:
    return [result(model, f"c{i}", 0, i < passes, cost=cost) for i in range(n)]


def test_an_unknown_cost_is_never_the_cheapest():
    run = bench_run(models=("lab/unpriced", "lab/priced"), repeat=1)
    results = many("lab/unpriced", 20, 20, None) + many("lab/priced", 19, 20, 0.002)
    report = summarize(run, results, bar=0.9)
    unpriced = by_model(report.models)["lab/unpriced"]
    assert (unpriced.cost_total, unpriced.cost_unknown, unpriced.cost_per_answer) == (None, 20, None)
    assert unpriced.pass_all is None  # repeat 1: no pass^N
    verdict = report.cheapest[None]
    assert (verdict.model, verdict.thin) == ("lab/priced", False)
    alone = summarize(run, many("lab/unpriced", 20, 20, None) + many("lab/priced", 10, 20, 0.002), bar=0.9)
    assert alone.cheapest[None].model is None
    assert alone.cheapest[None].reason.startswith("no model with a known cost meets 0.9; lab/unpriced: 20/20")


def test_a_partly_priced_model_has_no_cost_per_answer():
    results = many("lab/m", 10, 10, 0.001) + [result("lab/m", "c10", 0, True, cost=None)]
    summary = summarize(bench_run(models=("lab/m",), repeat=1), results).models[0]
    assert summary.cost_total == pytest.approx(0.01)
    assert summary.cost_unknown == 1
    assert summary.cost_per_answer is None and summary.cost_per_pass is None


def test_a_free_model_comes_first():
    run = bench_run(models=("lab/paid", "local/free"), repeat=1)
    report = summarize(run, many("lab/paid", 20, 20, 0.001) + many("local/free", 19, 20, 0.0), bar=0.9)
    verdict = report.cheapest[None]
    assert (verdict.model, verdict.thin) == ("local/free", False)
    assert verdict.reason == "local/free: 19/20 passed (95 %, 76–99 %), free — the cheapest at 0.9"


def test_interrupted_results_are_no_answers():
    results = many("lab/m", 10, 10, 0.001) + [result("lab/m", "c10", 0, None, status="interrupted", cost=None)]
    summary = summarize(bench_run(models=("lab/m",), repeat=1), results).models[0]
    assert (summary.answers, summary.passes, summary.errors, summary.cost_unknown) == (10, 10, 1, 0)
    assert summary.pass_rate == 1.0


def test_undecided_answers_are_counted_apart_from_the_pass_rate_but_not_from_the_cost():
    # c1 passed twice; c2 once, then undecided (a judge that could not say); c3 undecided, then failed.
    results = [result("lab/m", "c1", 0, True), result("lab/m", "c1", 1, True),
               result("lab/m", "c2", 0, True), result("lab/m", "c2", 1, None),
               result("lab/m", "c3", 0, None), result("lab/m", "c3", 1, False)]
    report = summarize(bench_run(models=("lab/m",), repeat=2), results)
    summary = report.models[0]
    assert (summary.answers, summary.passes, summary.undecided, summary.errors) == (4, 3, 2, 0)
    assert summary.pass_rate == 0.75
    assert summary.cost_per_answer == pytest.approx(0.001)  # 6 answers paid for, $0.006
    assert summary.cost_per_pass == pytest.approx(0.002)
    assert summary.pass_all == 1.0  # c1 passed every time; c2 and c3 may or may not have
    only_undecided = summarize(bench_run(models=("lab/m",), repeat=1), [result("lab/m", "c2", 0, None)])
    assert only_undecided.cheapest[None].reason == "no answer decided: 1 answer a judge could not decide"
    assert "| lab/m | 75 % (3/4) |" in to_markdown(report) and "| 4 + 2 undecided |" in to_markdown(report)
    [row] = [r for r in csv.DictReader(io.StringIO(to_csv(report))) if r["category"] == "all"]
    assert row["undecided"] == "2"
    assert json.loads(to_json(report))["models"][0]["undecided"] == 2
    before = [result("lab/m", "c2", 0, False, run_id=2), result("lab/m", "c2", 1, False, run_id=2)]
    assert [(c.case_id, c.before, c.after) for c in compare_runs(before, results)] == [("c2", (0, 2), (1, 1))]


def test_no_answers_at_all():
    report = summarize(bench_run(), [], bar=0.9)
    assert [s.answers for s in report.models] == [0, 0]
    assert report.models[0].pass_rate is None
    assert report.categories == {}
    assert report.cheapest[None].model is None and report.cheapest[None].reason == "no answers"


def test_compare_runs_by_majority_of_attempts():
    def two(case, model, first, second, run_id):
        return [result(model, case, 0, first, run_id=run_id), result(model, case, 1, second, run_id=run_id)]

    before = [*two("x", "m", True, True, 1), *two("y", "m", False, False, 1), *two("z", "m", True, False, 1),
              *two("t", "m", True, False, 1), *two("gone", "m", True, True, 1)]
    after = [*two("x", "m", False, False, 2), *two("y", "m", True, True, 2), *two("z", "m", False, True, 2),
             *two("t", "m", True, True, 2), *two("new", "m", False, False, 2),
             result("m", "w", 0, None, status="interrupted", run_id=2)]
    before.append(result("m", "w", 0, True))
    changes = compare_runs(before, after)
    # x regressed; y fixed; z stays a tie (not a majority); t went from a tie to passing; w has no answer now.
    assert [(c.case_id, c.fixed) for c in changes] == [("x", False), ("t", True), ("y", True)]
    assert (changes[0].before, changes[0].after) == ((2, 2), (0, 2))


def test_markdown_has_the_verdicts_tables_and_changes():
    report = summarize(bench_run(), small_results(), bar=0.9)
    text = to_markdown(report, changes=[])
    assert "lab/dear: 9/10 passed (90 %, 60–98 %), $0.0090 per answer — the cheapest at 0.9" in text
    assert "| model | pass rate | 95 % interval | pass^2 |" in text
    assert "| lab/cheap | 70 % (7/10) | 40–89 % | 60 % |" in text
    assert "## code" in text and "## uncategorised" in text
    assert "No case changed." in text


def test_markdown_escapes_table_breakers():
    run = bench_run(models=("lab/a|b",), repeat=1)
    text = to_markdown(summarize(run, many("lab/a|b", 1, 1, 0.0)))
    assert "| lab/a\\|b |" in text


def test_csv_has_a_row_per_scope_and_model():
    rows = list(csv.DictReader(io.StringIO(to_csv(summarize(bench_run(), small_results())))))
    assert [(r["category"], r["model"]) for r in rows] == [
        ("all", CHEAP), ("all", DEAR), ("code", CHEAP), ("code", DEAR), ("uncategorised", CHEAP), ("uncategorised", DEAR),
    ]
    assert float(rows[1]["pass_rate"]) == pytest.approx(0.9)
    assert float(rows[1]["cost_per_answer_usd"]) == pytest.approx(0.009)
    assert rows[1]["errors"] == "1" and rows[0]["ttft_p95_ms"] == "1000.0"


def test_json_has_its_documented_shape():
    report = summarize(bench_run(), small_results(), bar=0.9)
    data = json.loads(to_json(report))
    assert data["format"] == FORMAT == "mmchat.bench-report/1"
    assert data["run"]["id"] == 1 and data["run"]["repeat"] == 2 and data["bar"] == 0.9
    dear = data["models"][1]
    assert dear["model"] == DEAR and dear["passes"] == 9 and dear["ttft_ms"] == {"p50": 50, "p95": 90}
    assert dear["interval"] == pytest.approx([0.596, 0.982], abs=0.0006)
    assert data["cheapest"]["overall"] == {"model": DEAR, "thin": False, "reason": report.cheapest[None].reason}
    assert data["cheapest"]["categories"]["code"]["thin"] is True
    assert data["changes"] is None
    changes = compare_runs([result(DEAR, "c1", 0, False)], small_results())
    data = json.loads(to_json(report, changes))
    assert data["changes"] == [
        {"case": "c1", "category": "code", "model": DEAR, "before": [0, 1], "after": [2, 2], "fixed": True}
    ]
