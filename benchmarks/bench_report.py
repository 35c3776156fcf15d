"""The bench report's time for 10,000 results: summarize, then each format.

    .venv/bin/python -m benchmarks.bench_report            # ~10 s
    .venv/bin/python -m benchmarks.bench_report --quick

10,000 BenchResult records (5 models × 200 cases × repeat 10, 8 categories, a
fixed seed: passes, costs, TTFT, latency and tokens at random, about 1 % errors
and one model with no price) are summarized and rendered as Markdown, CSV, JSON
and HTML. Each step is timed over several rounds; the medians are printed with
the target — `summarize` and all four formats together under 1 s — and PASS/MISS
(exit status 1 on a MISS). The baseline, timed in the same rounds, is one plain
pass over the records summing each model's cost and tokens: a figure of the
machine's speed to read the others against (their ratio to it moves far less
than they do on a shared machine).
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import sys
import time
from collections.abc import Callable

from mmchat.bench.report import summarize, to_csv, to_json, to_markdown
from mmchat.bench.report_html import to_html
from mmchat.store.bench_records import BenchResult, BenchRun

MODELS = ("openai/gpt-4.1", "openai/gpt-4.1-mini", "anthropic/claude-haiku", "google/gemini-flash", "local/qwen")
CASES, REPEAT = 200, 10
CATEGORIES = ("code", "reasoning", "extraction", "facts", "writing", "translation", "math", None)
TARGET_S = 1.0
BASELINE = "baseline: one pass summing the records"


def records(seed: int = 13) -> tuple[BenchRun, list[BenchResult]]:
    """The run and its 10,000 results."""
    rng = random.Random(seed)
    run = BenchRun(id=1, suite_name="speed", suite_path=None, suite_sha256="", models=MODELS, repeat=REPEAT,
                   status="done", created_at=0.0)
    skill = {m: 0.6 + 0.08 * i for i, m in enumerate(MODELS)}
    price = {m: None if i == 4 else 0.0002 * 3**i for i, m in enumerate(MODELS)}
    results = []
    for model in MODELS:
        for case in range(CASES):
            for attempt in range(REPEAT):
                error = rng.random() < 0.01
                results.append(BenchResult(
                    id=len(results) + 1, run_id=1, case_id=f"case-{case:03d}", category=CATEGORIES[case % len(CATEGORIES)],
                    model=model, attempt=attempt, status="error" if error else "complete",
                    passed=None if error else rng.random() < skill[model], checks=(), answer_id=None, text="",
                    error="HTTP 500" if error else None, ttft_ms=None if error else rng.uniform(100, 2000),
                    latency_ms=None if error else rng.uniform(500, 20000), input_tokens=rng.randint(50, 2000),
                    output_tokens=0 if error else rng.randint(10, 1500),
                    cost_usd=None if error or price[model] is None else price[model] * rng.uniform(0.5, 1.5),
                    created_at=0.0,
                ))
    return run, results


def _one_pass(results: list[BenchResult]) -> dict[str, float]:
    """The least a report does: one pass over the records, summing each model's cost."""
    totals: dict[str, float] = {}
    for r in results:
        totals[r.model] = totals.get(r.model, 0.0) + (r.cost_usd or 0.0) + r.input_tokens + r.output_tokens
    return totals


def timed(step: Callable[[], object], rounds: int) -> list[float]:
    times = []
    for _ in range(rounds):
        gc.collect()
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 rounds instead of 9")
    rounds = 3 if parser.parse_args(argv).quick else 9
    run, results = records()
    report = summarize(run, results)
    steps: dict[str, Callable[[], object]] = {
        BASELINE: lambda: _one_pass(results),
        "summarize": lambda: summarize(run, results),
        "to_markdown": lambda: to_markdown(report),
        "to_csv": lambda: to_csv(report),
        "to_json": lambda: to_json(report),
        "to_html": lambda: to_html(report),
    }
    medians = {name: statistics.median(timed(step, rounds)) for name, step in steps.items()}
    baseline = medians.pop(BASELINE)
    print(f"{len(results):,} results ({len(MODELS)} models × {CASES} cases × repeat {REPEAT}), "
          f"{len(report.categories)} categories; medians of {rounds} rounds")
    print(f"  {BASELINE:<38} {baseline * 1000:8.1f} ms")
    for name, value in medians.items():
        print(f"  {name:<38} {value * 1000:8.1f} ms  ({value / baseline:.2f}× the baseline)")
    total = sum(medians.values())
    verdict = "PASS" if total < TARGET_S else "MISS"
    print(f"summarize + all four formats: {total * 1000:.1f} ms ({total / baseline:.1f}× the baseline), "
          f"target < {TARGET_S * 1000:.0f} ms: {verdict}")
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
