"""The bench report's time for 10,000 stored results: read back, summarize, each format, the whole.

    .venv/bin/python -m benchmarks.bench_report            # ~5 s
    .venv/bin/python -m benchmarks.bench_report --quick

10,000 results (5 models × 200 cases × repeat 10, 8 categories, a fixed seed) are
stored in a temporary bench store (`mmchat.store.Store`, `create_bench_run` and
`add_bench_result`, as the runner stores them; not timed): each with an answer text
of 200–800 characters, 1–3 check outcomes (contains, regex, number, length, judge)
with their details, and at random passes, costs, TTFT, latency and tokens; about 1 %
are errors (no text, no checks), about 1 % undecided (a judge with no verdict), and
one model has no price. Then, over several rounds, each step is timed:

  read          `store.bench_run` + `store.bench_results` on the open store
  summarize     `report.summarize` of the records read
  to_markdown, to_csv, to_json, to_html   each renderer of that summary
  whole         what `mmchat bench report RUN --format html` does but print: open the
                store, read the run and its results, summarize, render HTML, close

The baselines, timed in the same rounds: the same rows fetched with sqlite3 and
nothing built from them (what any reader of the table pays), and one plain pass over
the records read summing each model's cost and tokens (the least a report does).
Medians are printed with each step's ratio to the bare pass, the target — the whole
under 1 s — and PASS/MISS (exit status 1 on a MISS).
"""

from __future__ import annotations

import argparse
import gc
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from mmchat.bench.report import summarize, to_csv, to_json, to_markdown
from mmchat.bench.report_html import to_html
from mmchat.store import CheckOutcome, Store
from mmchat.store.bench_records import BenchResult

MODELS = ("openai/gpt-4.1", "openai/gpt-4.1-mini", "anthropic/claude-haiku", "google/gemini-flash", "local/qwen")
CASES, REPEAT = 200, 10
CATEGORIES = ("code", "reasoning", "extraction", "facts", "writing", "translation", "math", None)
TARGET_S = 1.0
BARE_READ = "baseline: the rows fetched, nothing built"
BARE_PASS = "baseline: one pass summing the records"
WORDS = (
    "the function returns a list of values sorted by key and the caller checks each one before it is "
    "written to the file; a missing key raises an error with the name so the test can tell what went "
    "wrong. def parse(line): return [int(x) for x in line.split(',') if x.strip()] SELECT name, count(*) "
    "FROM orders GROUP BY name ORDER BY 2 DESC LIMIT 10; Paris is the capital of France and 17 × 23 = 391."
).split()
CHECK_KINDS = ("contains", "regex", "number", "length", "judge")


def answer_text(rng: random.Random) -> str:
    """An answer of 200–800 characters, words drawn from WORDS."""
    length = rng.randint(200, 800)
    words: list[str] = []
    size = 0
    while size <= length:
        word = rng.choice(WORDS)
        words.append(word)
        size += len(word) + 1
    return " ".join(words)[:length]


def check_outcomes(rng: random.Random, passes: bool, undecided: bool) -> list[CheckOutcome]:
    """1–3 outcomes: all passed when `passes`, one failed otherwise; a judge with no verdict when `undecided`."""
    kinds = rng.sample(CHECK_KINDS, rng.randint(1, 3))
    if undecided and "judge" not in kinds:
        kinds[-1] = "judge"
    failed = None if passes or undecided else rng.randrange(len(kinds))
    outcomes = []
    for i, kind in enumerate(kinds):
        if undecided and kind == "judge":
            outcomes.append(CheckOutcome(kind, None, "judge gave no readable verdict"))
        elif i == failed:
            outcomes.append(CheckOutcome(kind, False, {"judge": "judge scored 4/10", "number": "found 401, not 391",
                                                      "length": "612 words, over 300"}.get(kind, f"no match for {kind}")))
        else:
            outcomes.append(CheckOutcome(kind, True, {"judge": "judge scored 8/10", "number": "found 391",
                                                     "length": "142 words"}.get(kind, "found 'Paris'")))
    return outcomes


def fill(store: Store, seed: int = 13) -> int:
    """Stores the run and its 10,000 results; the run's id."""
    rng = random.Random(seed)
    run_id = store.create_bench_run(
        suite_name="speed", suite_path=None, suite_sha256="ab" * 32, models=MODELS, repeat=REPEAT,
        estimated_cost_usd=None, max_cost_usd=None, params={"concurrency": 4},
    )
    skill = {m: 0.6 + 0.08 * i for i, m in enumerate(MODELS)}
    price = {m: None if i == 4 else 0.0002 * 3**i for i, m in enumerate(MODELS)}
    for model in MODELS:
        for case in range(CASES):
            for attempt in range(REPEAT):
                error = rng.random() < 0.01
                undecided = not error and rng.random() < 0.01
                passes = not error and not undecided and rng.random() < skill[model]
                store.add_bench_result(
                    run_id, case_id=f"case-{case:03d}", category=CATEGORIES[case % len(CATEGORIES)], model=model,
                    attempt=attempt, status="error" if error else "complete",
                    passed=None if error or undecided else passes,
                    checks=[] if error else check_outcomes(rng, passes, undecided), answer_id=None,
                    text="" if error else answer_text(rng), error="HTTP 500" if error else None,
                    ttft_ms=None if error else rng.uniform(100, 2000),
                    latency_ms=None if error else rng.uniform(500, 20000), input_tokens=rng.randint(50, 2000),
                    output_tokens=0 if error else rng.randint(10, 1500),
                    cost_usd=None if error or price[model] is None else price[model] * rng.uniform(0.5, 1.5),
                )
    store.set_bench_run_status(run_id, "done")
    return run_id


def _bare_read(conn: sqlite3.Connection, run_id: int) -> int:
    """The rows `bench_results` reads, fetched as tuples: no records, no JSON."""
    return len(conn.execute("SELECT * FROM bench_results WHERE run_id = ? ORDER BY id", (run_id,)).fetchall())


def _one_pass(results: list[BenchResult]) -> dict[str, float]:
    """The least a report does: one pass over the records, summing each model's cost."""
    totals: dict[str, float] = {}
    for r in results:
        totals[r.model] = totals.get(r.model, 0.0) + (r.cost_usd or 0.0) + r.input_tokens + r.output_tokens
    return totals


def _whole(path: Path, run_id: int) -> str:
    with Store(path) as store:
        run, results = store.bench_run(run_id), store.bench_results(run_id)
    return to_html(summarize(run, results))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 rounds instead of 9")
    rounds = 3 if parser.parse_args(argv).quick else 9
    with tempfile.TemporaryDirectory(prefix="mmchat-bench-report-") as tmp:
        path = Path(tmp) / "bench.db"
        started = time.perf_counter()
        with Store(path) as store:
            run_id = fill(store)
        stored_s = time.perf_counter() - started
        with Store(path) as store, sqlite3.connect(path) as conn:
            run, results = store.bench_run(run_id), store.bench_results(run_id)
            report = summarize(run, results)
            steps: dict[str, Callable[[], object]] = {
                BARE_READ: lambda: _bare_read(conn, run_id),
                BARE_PASS: lambda: _one_pass(results),
                "read (bench_run + bench_results)": lambda: (store.bench_run(run_id), store.bench_results(run_id)),
                "summarize": lambda: summarize(run, results),
                "to_markdown": lambda: to_markdown(report),
                "to_csv": lambda: to_csv(report),
                "to_json": lambda: to_json(report),
                "to_html": lambda: to_html(report),
                "whole (open + read + summarize + html)": lambda: _whole(path, run_id),
            }
            times: dict[str, list[float]] = {name: [] for name in steps}
            for _ in range(rounds):  # the steps interleaved, round by round: drifting load falls on all alike
                for name, step in steps.items():
                    gc.collect()
                    start = time.perf_counter()
                    step()
                    times[name].append(time.perf_counter() - start)
        size = path.stat().st_size + sum(p.stat().st_size for p in Path(tmp).glob("bench.db-*"))
    medians = {name: statistics.median(values) for name, values in times.items()}
    baseline = medians[BARE_PASS]
    texts = [r.text for r in results if r.text]
    checks = [len(r.checks) for r in results if r.checks]
    print(f"{len(results):,} results ({len(MODELS)} models × {CASES} cases × repeat {REPEAT}), "
          f"{len(report.categories)} categories, answers of {min(map(len, texts))}–{max(map(len, texts))} characters "
          f"(median {statistics.median(map(len, texts)):.0f}), {min(checks)}–{max(checks)} checks each; "
          f"stored in {stored_s:.1f} s, a {size / 1e6:.1f} MB bench store; medians of {rounds} rounds")
    for name, value in medians.items():
        ratio = "" if name == BARE_PASS else f"  ({value / baseline:.1f}× the bare pass)"
        if name.startswith("read"):
            ratio = f"  ({value / medians[BARE_READ]:.1f}× the rows fetched, {value / baseline:.1f}× the bare pass)"
        print(f"  {name:<42} {value * 1000:8.1f} ms{ratio}")
    rendered = sum(medians[name] for name in ("summarize", "to_markdown", "to_csv", "to_json", "to_html"))
    print(f"summarize + all four formats: {rendered * 1000:.1f} ms")
    whole = medians["whole (open + read + summarize + html)"]
    verdict = "PASS" if whole < TARGET_S else "MISS"
    print(f"the report of {len(results):,} stored results, open + read + summarize + html: {whole * 1000:.1f} ms, "
          f"target < {TARGET_S * 1000:.0f} ms: {verdict}")
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
