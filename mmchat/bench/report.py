"""A bench run's report: figures per model and category, the cheapest model meeting the bar.

Pure: records in, records and text out (the command reads the store and writes the file).

    report = summarize(run, results, bar=0.9)
    report.models          # ModelSummary per model, in the run's order
    report.categories      # category → ModelSummary per model ('uncategorised' for none)
    report.cheapest        # None (overall) or a category → Verdict
    changes = compare_runs(baseline_results, results)   # for `--against`
    to_markdown(report, changes), to_csv(report), to_json(report, changes)

What counts:
- an *answer* is a result that completed or failed with an error: a failed request is a
  failed answer (a model that errors half the time does not meet a 90 % bar). A result
  interrupted by the user (Ctrl+C) is no answer: it says nothing about the model. Nor is
  an *undecided* one (complete, but a judge could not decide a check and none failed): it
  is counted apart. The pass rate and its interval are over answers; the cost per answer
  over answers and undecided ones, which cost as much;
- latency, TTFT and their percentiles are over completed answers. Percentiles are
  nearest-rank: p95 of n values is the ⌈0.95·n⌉-th smallest, always a measured value;
- costs: `cost_total` sums the known costs of every result (an error can cost too);
  `cost_unknown` counts the completed answers whose cost is unknown, and the per-answer
  and per-pass costs are None while any is, so a partly priced model never looks cheap.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from mmchat import format as fmt
from mmchat.bench.suite import ALL_CASES, UNCATEGORISED
from mmchat.store.bench_records import BenchResult, BenchRun

MIN_ANSWERS = 10  # fewer answers than this are too few to name a model
FORMAT = "mmchat.bench-report/1"


@dataclass(frozen=True)
class ModelSummary:
    """One model's figures over a run's results (all of them, or one category's)."""

    model: str
    cases: int  # distinct cases with a result
    answers: int  # completed or failed (see the module's docstring); the pass rate's denominator
    passes: int
    undecided: int  # completed, a check undecided and none failed: in no pass rate
    pass_rate: float | None  # passes / answers; None without answers
    interval: tuple[float, float]  # 95 % Wilson interval of the pass rate
    pass_all: float | None  # pass^N: the share of cases that passed every one of the run's N attempts; None when N = 1
    cost_total: float | None  # the sum of the known costs (errors' too); None when none is known
    cost_unknown: int  # completed answers whose cost is unknown
    cost_per_answer: float | None  # cost_total / (answers + undecided), when every cost is known
    cost_per_pass: float | None  # cost_total / passes, when every cost is known and something passed
    ttft_p50: float | None  # ms, nearest-rank over completed answers
    ttft_p95: float | None
    latency_p50: float | None
    latency_p95: float | None
    input_tokens: int
    output_tokens: int
    errors: int  # results whose status is not 'complete' (errors and interruptions)
    error_rate: float | None  # errors / results


@dataclass(frozen=True)
class Verdict:
    """The cheapest model meeting the bar, or why there is none; `thin` when the evidence
    is too thin to tell (then `model` is the best guess, or None)."""

    model: str | None
    thin: bool
    reason: str  # one line


@dataclass(frozen=True)
class Report:
    """A run's report: figures per model, overall and per category, and the verdicts."""

    run: BenchRun
    bar: float
    models: list[ModelSummary]
    categories: dict[str, list[ModelSummary]]
    cheapest: dict[str | None, Verdict]  # None: overall; else a category's


@dataclass(frozen=True)
class CaseChange:
    """A (case, model) that passed in one run and failed in the other, by majority of attempts."""

    case_id: str
    category: str | None
    model: str
    before: tuple[int, int]  # (passes, answers) in the baseline run
    after: tuple[int, int]  # (passes, answers) in the run reported

    @property
    def fixed(self) -> bool:
        """Failed before, passes now (else: a regression)."""
        return _majority(*self.after)


def wilson(passes: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """The Wilson score interval of `passes` out of `n` (95 % with z = 1.96); (0, 1) for n = 0."""
    if n == 0:
        return (0.0, 1.0)
    p = passes / n
    z2 = z * z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = z / (1 + z2 / n) * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    return (max(0.0, centre - half), min(1.0, centre + half))


def percentile(values: Sequence[float], p: float) -> float | None:
    """The nearest-rank `p`-th percentile (0 < p ≤ 100) of `values`, or None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(1, math.ceil(p / 100 * len(ordered))) - 1]


def _is_answer(r: BenchResult) -> bool:
    return r.status != "interrupted" and not _is_undecided(r)


def _is_undecided(r: BenchResult) -> bool:
    return r.status == "complete" and r.passed is None


def summarize_model(model: str, results: Sequence[BenchResult], repeat: int) -> ModelSummary:
    """`model`'s figures over `results` (its own only) of a run repeating each case `repeat` times."""
    answers = [r for r in results if _is_answer(r)]
    passes = sum(1 for r in answers if r.passed)
    undecided = sum(1 for r in results if _is_undecided(r))
    paid_for = len(answers) + undecided
    completed = [r for r in results if r.status == "complete"]
    known = [r.cost_usd for r in results if r.cost_usd is not None]
    cost_total = sum(known) if known else None
    cost_unknown = sum(1 for r in completed if r.cost_usd is None)
    priced = cost_total if cost_unknown == 0 else None
    ttfts = [r.ttft_ms for r in completed if r.ttft_ms is not None]
    latencies = [r.latency_ms for r in completed if r.latency_ms is not None]
    errors = sum(1 for r in results if r.status != "complete")
    return ModelSummary(
        model=model,
        cases=len({r.case_id for r in results}),
        answers=len(answers),
        passes=passes,
        undecided=undecided,
        pass_rate=passes / len(answers) if answers else None,
        interval=wilson(passes, len(answers)),
        pass_all=_pass_all(results, repeat),
        cost_total=cost_total,
        cost_unknown=cost_unknown,
        cost_per_answer=priced / paid_for if priced is not None and paid_for else None,
        cost_per_pass=priced / passes if priced is not None and passes else None,
        ttft_p50=percentile(ttfts, 50),
        ttft_p95=percentile(ttfts, 95),
        latency_p50=percentile(latencies, 50),
        latency_p95=percentile(latencies, 95),
        input_tokens=sum(r.input_tokens for r in results),
        output_tokens=sum(r.output_tokens for r in results),
        errors=errors,
        error_rate=errors / len(results) if results else None,
    )


def _pass_all(results: Sequence[BenchResult], repeat: int) -> float | None:
    """The share of the cases with an answer whose `repeat` attempts were all answered and
    passed; a case with an undecided attempt is left out (it may or may not have)."""
    if repeat == 1:
        return None
    unknown = {r.case_id for r in results if _is_undecided(r)}
    by_case: dict[str, list[BenchResult]] = {}
    for r in results:
        if _is_answer(r) and r.case_id not in unknown:
            by_case.setdefault(r.case_id, []).append(r)
    if not by_case:
        return None
    every_time = sum(1 for rs in by_case.values() if len(rs) >= repeat and all(r.passed for r in rs))
    return every_time / len(by_case)


def summarize(run: BenchRun, results: Sequence[BenchResult], *, bar: float = 0.9) -> Report:
    """The report of `run` over its `results`, with the cheapest model meeting `bar` (a pass
    rate from 0 to 1) overall and per category; see `cheapest` for the rule."""
    order = list(dict.fromkeys([*run.models, *(r.model for r in results)]))
    by_category: dict[str, dict[str, list[BenchResult]]] = {}
    overall: dict[str, list[BenchResult]] = {m: [] for m in order}
    for r in results:
        overall[r.model].append(r)
        by_category.setdefault(r.category or UNCATEGORISED, {}).setdefault(r.model, []).append(r)
    models = [summarize_model(m, overall[m], run.repeat) for m in order]
    categories = {
        name: [summarize_model(m, rows[m], run.repeat) for m in order if m in rows]
        for name, rows in sorted(by_category.items())
    }
    verdicts: dict[str | None, Verdict] = {None: cheapest(models, bar)}
    verdicts.update((name, cheapest(rows, bar)) for name, rows in categories.items())
    return Report(run=run, bar=bar, models=models, categories=categories, cheapest=verdicts)


def cheapest(summaries: Sequence[ModelSummary], bar: float) -> Verdict:
    """The cheapest model whose pass rate meets `bar`, and whether the evidence is too thin.

    Cheapest is by cost per answer, free models first (ties: the higher pass rate, then the
    name); a model whose cost is unknown (wholly or in part) is never the cheapest. Among the
    priced models with answers, the verdict names the cheapest whose pass rate is at least
    `bar`. It is *thin* (too thin to tell) when
    - that model has fewer than MIN_ANSWERS (10) answers; or
    - its Wilson lower bound is below the bar while a cheaper model that misses the bar has
      its upper bound at or above it: the cheaper one may well meet the bar, and this one
      may not;
    When no priced model meets the bar, the verdict names none, and is thin when one's upper
    bound reaches the bar (more cases could tell). A lower bound under the bar alone is not
    thin: with no cheaper contender, that model is still the answer to the question.
    """
    bar_text = f"{bar:g}"
    answered = [s for s in summaries if s.answers]
    if not answered:
        undecided = sum(s.undecided for s in summaries)
        if undecided:
            return Verdict(None, False, f"no answer decided: {fmt.counted(undecided, 'answer')} a judge could not decide")
        return Verdict(None, False, "no answers")
    priced = sorted(
        (s for s in answered if s.cost_per_answer is not None),
        key=lambda s: (s.cost_per_answer, -(s.pass_rate or 0.0), s.model),
    )
    meeting = [i for i, s in enumerate(priced) if _meets(s, bar)]
    if not meeting:
        hopeful = [s for s in priced if s.interval[1] >= bar]
        if hopeful:
            return Verdict(None, True, f"too thin to tell: no model meets {bar_text} yet, but "
                           f"{_evidence(hopeful[0])} could with more cases")
        unpriced = [s for s in answered if s.cost_per_answer is None and _meets(s, bar)]
        if unpriced:
            return Verdict(None, False, f"no model with a known cost meets {bar_text}; "
                           f"{_evidence(unpriced[0])} does, at an unknown cost")
        best = max(answered, key=lambda s: (s.pass_rate or 0.0, s.answers))
        return Verdict(None, False, f"no model meets {bar_text}: the best is {_evidence(best)}")
    chosen = priced[meeting[0]]
    if chosen.answers < MIN_ANSWERS:
        return Verdict(chosen.model, True, f"too thin to tell: {_evidence(chosen)} meets {bar_text} "
                       f"on only {fmt.counted(chosen.answers, 'answer')} (at least {MIN_ANSWERS} needed)")
    cheaper = [s for s in priced[: meeting[0]] if s.cost_per_answer < chosen.cost_per_answer]
    rival = next((s for s in cheaper if s.interval[1] >= bar), None)
    if rival is not None and chosen.interval[0] < bar:
        return Verdict(chosen.model, True, f"too thin to tell: {_evidence(chosen)}, "
                       f"{_per_answer(chosen)}, meets {bar_text}, but the cheaper {_evidence(rival)} may too")
    return Verdict(chosen.model, False, f"{_evidence(chosen)}, {_per_answer(chosen)} — the cheapest at {bar_text}")


def _meets(s: ModelSummary, bar: float) -> bool:
    return s.pass_rate is not None and s.pass_rate >= bar


def _evidence(s: ModelSummary) -> str:
    """'model: 19/20 passed (95 %, 76–99 %)'."""
    return f"{s.model}: {s.passes}/{s.answers} passed ({_pct(s.pass_rate)}, {_interval(s.interval)})"


def _per_answer(s: ModelSummary) -> str:
    return "free" if s.cost_per_answer == 0 else f"{fmt.cost(s.cost_per_answer)} per answer"


def _pct(rate: float | None) -> str:
    return "–" if rate is None else f"{rate * 100:.0f} %"


def _interval(interval: tuple[float, float]) -> str:
    return f"{interval[0] * 100:.0f}–{interval[1] * 100:.0f} %"


def _majority(passes: int, answers: int) -> bool:
    """Passed by majority of attempts (a tie is not a majority)."""
    return passes * 2 > answers


def _tally(results: Iterable[BenchResult]) -> dict[tuple[str, str], tuple[int, int, str | None]]:
    """(case, model) → (passes, answers, category)."""
    counts: dict[tuple[str, str], tuple[int, int, str | None]] = {}
    for r in results:
        if not _is_answer(r):
            continue
        passes, answers, _ = counts.get((r.case_id, r.model), (0, 0, None))
        counts[(r.case_id, r.model)] = (passes + bool(r.passed), answers + 1, r.category)
    return counts


def compare_runs(before: Iterable[BenchResult], after: Iterable[BenchResult]) -> list[CaseChange]:
    """The (case, model) pairs with answers in both runs whose majority verdict changed from
    `before` (the baseline, `--against`) to `after`; regressions first, then by case and model."""
    old, new = _tally(before), _tally(after)
    changes = []
    for (case, model), (p1, n1, category) in new.items():
        if (case, model) not in old:
            continue
        p0, n0, _ = old[(case, model)]
        if _majority(p0, n0) != _majority(p1, n1):
            changes.append(CaseChange(case_id=case, category=category, model=model, before=(p0, n0), after=(p1, n1)))
    return sorted(changes, key=lambda c: (c.fixed, c.case_id, c.model))


# ---- Markdown ----------------------------------------------------------------------------


def _md_cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _cost(value: float | None) -> str:
    return "–" if value is None else fmt.cost(value)


def _cost_total(s: ModelSummary) -> str:
    total = _cost(s.cost_total)
    return total if not s.cost_unknown else f"{total} + {s.cost_unknown} unknown"


def table_rows(summaries: Sequence[ModelSummary], repeat: int) -> tuple[list[str], list[list[str]]]:
    """The report's table as text cells (header, rows): the Markdown and HTML tables' shared content."""
    header = ["model", "pass rate", "95 % interval"]
    if repeat > 1:
        header.append(f"pass^{repeat}")
    header += ["cases", "answers", "cost", "per answer", "per pass", "TTFT p50 / p95",
               "latency p50 / p95", "tokens in / out", "errors"]
    rows = []
    for s in summaries:
        row = [s.model, f"{_pct(s.pass_rate)} ({s.passes}/{s.answers})", _interval(s.interval)]
        answers = str(s.answers) + (f" + {s.undecided} undecided" if s.undecided else "")
        if repeat > 1:
            row.append(_pct(s.pass_all))
        row += [
            str(s.cases), answers, _cost_total(s), _cost(s.cost_per_answer), _cost(s.cost_per_pass),
            f"{fmt.duration_ms(s.ttft_p50)} / {fmt.duration_ms(s.ttft_p95)}",
            f"{fmt.duration_ms(s.latency_p50)} / {fmt.duration_ms(s.latency_p95)}",
            f"{s.input_tokens:,} / {s.output_tokens:,}",
            f"{s.errors} ({_pct(s.error_rate)})" if s.errors else "0",
        ]
        rows.append(row)
    return header, rows


def change_rows(changes: Sequence[CaseChange]) -> tuple[list[str], list[list[str]]]:
    """The changed cases as text cells (header, rows)."""
    header = ["case", "category", "model", "before", "now", "change"]
    rows = [
        [c.case_id, c.category or UNCATEGORISED, c.model, f"{c.before[0]}/{c.before[1]}",
         f"{c.after[0]}/{c.after[1]}", "fixed" if c.fixed else "regressed"]
        for c in changes
    ]
    return header, rows


def run_line(report: Report) -> str:
    """'suite "x" · 3 models · repeat 2 · done · bar 0.9'."""
    run = report.run
    return (f'suite "{run.suite_name}" · {fmt.counted(len(report.models), "model")} · repeat {run.repeat} · '
            f"{run.status} · bar {report.bar:g}")


def _md_table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_md_cell(cell) for cell in row) + " |" for row in rows]
    return lines


def to_markdown(report: Report, changes: Sequence[CaseChange] | None = None) -> str:
    """The report as Markdown: the verdicts, the overall table, one per category, the changes."""
    lines = [f"# Bench run {report.run.id}", "", _md_cell(run_line(report)), "", "## The cheapest model meeting the bar", ""]
    for scope, verdict in report.cheapest.items():
        lines.append(f"- **{_md_cell(scope or 'overall')}**: {_md_cell(verdict.reason)}")
    lines += ["", "## All cases", "", *_md_table(*table_rows(report.models, report.run.repeat))]
    for name, summaries in report.categories.items():
        lines += ["", f"## {_md_cell(name)}", "", *_md_table(*table_rows(summaries, report.run.repeat))]
    if changes is not None:
        lines += ["", "## Changed cases", ""]
        lines += _md_table(*change_rows(changes)) if changes else ["No case changed."]
    return "\n".join(lines) + "\n"


# ---- CSV and JSON ------------------------------------------------------------------------

CSV_COLUMNS = (
    "category", "model", "cases", "answers", "passes", "pass_rate", "interval_low", "interval_high",
    "pass_all", "cost_total_usd", "cost_unknown", "cost_per_answer_usd", "cost_per_pass_usd",
    "ttft_p50_ms", "ttft_p95_ms", "latency_p50_ms", "latency_p95_ms", "input_tokens", "output_tokens",
    "errors", "error_rate", "undecided",
)


def _figure(value: float | int | None) -> float | int | None:
    """A figure for CSV and JSON, without float noise (0.010000000000000002 → 0.01)."""
    return round(value, 12) if isinstance(value, float) else value


def _csv_row(scope: str, s: ModelSummary) -> list[Any]:
    figures = [
        s.cases, s.answers, s.passes, s.pass_rate, s.interval[0], s.interval[1], s.pass_all, s.cost_total,
        s.cost_unknown, s.cost_per_answer, s.cost_per_pass, s.ttft_p50, s.ttft_p95, s.latency_p50,
        s.latency_p95, s.input_tokens, s.output_tokens, s.errors, s.error_rate, s.undecided,
    ]
    return [scope, s.model, *("" if f is None else _figure(f) for f in figures)]


def to_csv(report: Report) -> str:
    """The figures as CSV: a header row, then one row per model for 'all' cases, then per category."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    writer.writerows(_csv_row(ALL_CASES, s) for s in report.models)
    for name, summaries in report.categories.items():
        writer.writerows(_csv_row(name, s) for s in summaries)
    return out.getvalue()


def _summary_json(s: ModelSummary) -> dict[str, Any]:
    f = _figure
    return {
        "model": s.model, "cases": s.cases, "answers": s.answers, "passes": s.passes, "undecided": s.undecided,
        "pass_rate": f(s.pass_rate), "interval": [f(s.interval[0]), f(s.interval[1])], "pass_all": f(s.pass_all),
        "cost_total_usd": f(s.cost_total), "cost_unknown": s.cost_unknown,
        "cost_per_answer_usd": f(s.cost_per_answer), "cost_per_pass_usd": f(s.cost_per_pass),
        "ttft_ms": {"p50": s.ttft_p50, "p95": s.ttft_p95},
        "latency_ms": {"p50": s.latency_p50, "p95": s.latency_p95},
        "input_tokens": s.input_tokens, "output_tokens": s.output_tokens,
        "errors": s.errors, "error_rate": f(s.error_rate),
    }


def _verdict_json(v: Verdict) -> dict[str, Any]:
    return {"model": v.model, "thin": v.thin, "reason": v.reason}


def to_json(report: Report, changes: Sequence[CaseChange] | None = None) -> str:
    """The report as JSON, this shape (figures as in ModelSummary; null when unknown):

        {"format": "mmchat.bench-report/1",
         "run": {"id", "suite", "suite_path", "suite_sha256", "models", "repeat", "status",
                 "created_at", "finished_at"},
         "bar": 0.9,
         "models": [summary, …],                   # every case
         "categories": {"code": [summary, …], …},
         "cheapest": {"overall": verdict, "categories": {"code": verdict, …}},
         "changes": null or [{"case", "category", "model", "before": [passes, answers],
                              "after": [passes, answers], "fixed"}, …]}
    summary: {"model", "cases", "answers", "passes", "undecided", "pass_rate", "interval": [low, high],
              "pass_all", "cost_total_usd", "cost_unknown", "cost_per_answer_usd",
              "cost_per_pass_usd", "ttft_ms": {"p50", "p95"}, "latency_ms": {"p50", "p95"},
              "input_tokens", "output_tokens", "errors", "error_rate"}
    verdict: {"model" (null when none), "thin", "reason"}"""
    run = report.run
    data = {
        "format": FORMAT,
        "run": {
            "id": run.id, "suite": run.suite_name, "suite_path": run.suite_path, "suite_sha256": run.suite_sha256,
            "models": list(run.models), "repeat": run.repeat, "status": run.status,
            "created_at": run.created_at, "finished_at": run.finished_at,
        },
        "bar": report.bar,
        "models": [_summary_json(s) for s in report.models],
        "categories": {name: [_summary_json(s) for s in rows] for name, rows in report.categories.items()},
        "cheapest": {
            "overall": _verdict_json(report.cheapest[None]),
            "categories": {k: _verdict_json(v) for k, v in report.cheapest.items() if k is not None},
        },
        "changes": None if changes is None else [
            {"case": c.case_id, "category": c.category, "model": c.model, "before": list(c.before),
             "after": list(c.after), "fixed": c.fixed}
            for c in changes
        ],
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
