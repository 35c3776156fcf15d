"""The records of a bench run as the store keeps them (`store/bench.py` writes and reads them)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

RUN_STATUSES = ("running", "stopped", "done")
RESULT_STATUSES = ("complete", "error", "interrupted")


@dataclass(frozen=True)
class BenchRun:
    id: int
    suite_name: str
    suite_path: str | None
    suite_sha256: str
    models: tuple[str, ...]
    repeat: int  # each case runs this many times per model
    status: str  # one of RUN_STATUSES
    created_at: float
    finished_at: float | None = None
    estimated_cost_usd: float | None = None  # shown before the run
    max_cost_usd: float | None = None  # the run stops once this much is spent
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CheckOutcome:
    kind: str
    passed: bool | None  # None: undecided (a judge that gave no readable verdict, the reference itself…)
    detail: str  # why, in a few words ("found 'Paris'", "judge scored 8/10", …)


@dataclass(frozen=True)
class BenchResult:
    id: int
    run_id: int
    case_id: str
    category: str | None
    model: str
    attempt: int  # 0 .. repeat − 1
    status: str  # one of RESULT_STATUSES
    passed: bool | None  # every check passed; None when the answer did not complete
    checks: tuple[CheckOutcome, ...]
    answer_id: int | None  # the answer's message in the bench store
    text: str
    error: str | None
    ttft_ms: float | None
    latency_ms: float | None
    input_tokens: int
    output_tokens: int
    cost_usd: float | None
    created_at: float
