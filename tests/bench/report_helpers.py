"""Bench records for the report's tests: a result with defaults, and a small hand-checked run."""

from __future__ import annotations

from mmchat.store.bench_records import BenchResult, BenchRun

CHEAP, DEAR = "lab/cheap", "lab/dear"


def bench_run(models: tuple[str, ...] = (CHEAP, DEAR), repeat: int = 2, run_id: int = 1) -> BenchRun:
    return BenchRun(id=run_id, suite_name="small", suite_path="small.yaml", suite_sha256="0" * 64, models=models,
                    repeat=repeat, status="done", created_at=1_700_000_000.0, finished_at=1_700_000_100.0)


def result(model: str, case_id: str, attempt: int = 0, passed: bool | None = True, *, category: str | None = None,
           status: str = "complete", cost: float | None = 0.001, ttft: float | None = 100.0,
           latency: float | None = 1000.0, tokens: tuple[int, int] = (10, 20), run_id: int = 1) -> BenchResult:
    return BenchResult(
        id=0, run_id=run_id, case_id=case_id, category=category, model=model, attempt=attempt, status=status,
        passed=passed, checks=(), answer_id=None, text="", error=None if status == "complete" else "boom",
        ttft_ms=ttft, latency_ms=latency, input_tokens=tokens[0], output_tokens=tokens[1], cost_usd=cost,
        created_at=1_700_000_000.0,
    )


# Cases c1–c3 are 'code', c4–c5 have no category. Repeat 2.
CATEGORY = {"c1": "code", "c2": "code", "c3": "code", "c4": None, "c5": None}
# lab/cheap: $0.001 an answer, 7 of 10 passed; every attempt passed on c1, c3, c5.
CHEAP_PASSES = {"c1": (True, True), "c2": (True, False), "c3": (True, True), "c4": (False, False), "c5": (True, True)}


def small_results() -> list[BenchResult]:
    """lab/cheap as CHEAP_PASSES, TTFT 100, 200, … 1000 ms and latency 1000 … 10000 ms in order;
    lab/dear: $0.01 an answer, passes everything but c2's second attempt, an error (no cost,
    no times, 10 input tokens); TTFT 10 … 90 ms and latency 100 … 900 ms over its 9 answers."""
    rows = []
    for i, (case, passes) in enumerate(CHEAP_PASSES.items()):
        for attempt, passed in enumerate(passes):
            k = 2 * i + attempt + 1
            rows.append(result(CHEAP, case, attempt, passed, category=CATEGORY[case], cost=0.001,
                               ttft=100.0 * k, latency=1000.0 * k))
    k = 0
    for case in CHEAP_PASSES:
        for attempt in (0, 1):
            if case == "c2" and attempt == 1:
                rows.append(result(DEAR, case, attempt, None, category="code", status="error", cost=None,
                                   ttft=None, latency=None, tokens=(10, 0)))
                continue
            k += 1
            rows.append(result(DEAR, case, attempt, True, category=CATEGORY[case], cost=0.01,
                               ttft=10.0 * k, latency=100.0 * k, tokens=(10, 5)))
    return rows
