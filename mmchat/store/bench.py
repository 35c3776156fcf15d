"""Bench runs: a suite run over models, and each case's result per model and attempt.

A run is written to the bench's own store file (`bench.db` beside the chat history),
whose messages hold the answers themselves; a result points at its answer and keeps
what the report reads (status, checks, text, figures). The result of one case, model
and attempt is stored once: what `bench_done` lists is what a resumed run skips.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from mmchat.store.answers import Answers
from mmchat.store.bench_records import RESULT_STATUSES, RUN_STATUSES, BenchResult, BenchRun, CheckOutcome
from mmchat.store.stats import SIGNALS, own_connection, read_signals

_RUN_COLUMNS = (
    "id, suite_name, suite_path, suite_sha256, models, repeat, status, created_at, finished_at, "
    "estimated_cost_usd, max_cost_usd, params"
)
_RESULT_COLUMNS = (
    "id, run_id, case_id, category, model, attempt, status, passed, checks, answer_id, text, error, "
    "ttft_ms, latency_ms, input_tokens, output_tokens, cost_usd, created_at"
)


class Bench(Answers):
    def create_bench_run(
        self,
        *,
        suite_name: str,
        suite_path: str | None,
        suite_sha256: str,
        models: Sequence[str],
        repeat: int,
        estimated_cost_usd: float | None,
        max_cost_usd: float | None,
        params: dict[str, Any],
    ) -> int:
        """Stores a new run, status 'running'; its id."""
        if repeat < 1:
            raise ValueError(f"a run repeats each case at least once, not {repeat} times")
        with self._write():
            cur = self._conn.execute(
                f"INSERT INTO bench_runs ({_RUN_COLUMNS.removeprefix('id, ')}) "
                "VALUES (?, ?, ?, ?, ?, 'running', ?, NULL, ?, ?, ?)",
                (
                    suite_name, suite_path, suite_sha256, json.dumps(list(models)), repeat, time.time(),
                    estimated_cost_usd, max_cost_usd, json.dumps(self._redacted(params)),
                ),
            )
        return int(cur.lastrowid)

    def bench_run(self, run_id: int) -> BenchRun:
        """The run `run_id`; LookupError when there is none."""
        row = self._conn.execute(f"SELECT {_RUN_COLUMNS} FROM bench_runs WHERE id = ?", (run_id,)).fetchone()
        if row is None:
            raise LookupError(f"no bench run {run_id}")
        return _run(row)

    def bench_runs(self, limit: int = 50) -> list[BenchRun]:
        """The latest `limit` runs, newest first."""
        rows = self._conn.execute(
            f"SELECT {_RUN_COLUMNS} FROM bench_runs ORDER BY created_at DESC, id DESC LIMIT ?", (limit,)
        ).fetchall()
        return [_run(row) for row in rows]

    def set_bench_run_status(self, run_id: int, status: str) -> None:
        """Sets the run's status; 'stopped' and 'done' also set when it finished ('running' clears it)."""
        if status not in RUN_STATUSES:
            raise ValueError(f"unknown run status {status!r}: use one of {', '.join(RUN_STATUSES)}")
        finished = None if status == "running" else time.time()
        with self._write():
            cur = self._conn.execute(
                "UPDATE bench_runs SET status = ?, finished_at = ? WHERE id = ?", (status, finished, run_id)
            )
            if cur.rowcount == 0:
                raise LookupError(f"no bench run {run_id}")

    def set_bench_run_params(self, run_id: int, params: dict[str, Any]) -> None:
        """Replaces the run's params (what the runner learnt as it went: cases left out, …)."""
        with self._write():
            cur = self._conn.execute(
                "UPDATE bench_runs SET params = ? WHERE id = ?", (json.dumps(self._redacted(params)), run_id)
            )
            if cur.rowcount == 0:
                raise LookupError(f"no bench run {run_id}")

    def add_bench_result(
        self,
        run_id: int,
        *,
        case_id: str,
        category: str | None,
        model: str,
        attempt: int,
        status: str,
        passed: bool | None,
        checks: Sequence[CheckOutcome],
        answer_id: int | None,
        text: str,
        error: str | None,
        ttft_ms: float | None,
        latency_ms: float | None,
        input_tokens: int,
        output_tokens: int,
        cost_usd: float | None,
    ) -> int:
        """Stores one case's result for `model` and `attempt`; its id. The error and the
        checks' details go through the redaction hook. ValueError: a bad status, or this
        case, model and attempt already stored in the run."""
        if status not in RESULT_STATUSES:
            raise ValueError(f"unknown result status {status!r}: use one of {', '.join(RESULT_STATUSES)}")
        outcomes = [asdict(c) for c in checks]
        with self._write():
            try:
                cur = self._conn.execute(
                    f"INSERT INTO bench_results ({_RESULT_COLUMNS.removeprefix('id, ')}) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        run_id, case_id, category, model, attempt, status,
                        None if passed is None else int(passed), json.dumps(self._redacted(outcomes)),
                        answer_id, text, self._redacted(error), ttft_ms, latency_ms, input_tokens,
                        output_tokens, cost_usd, time.time(),
                    ),
                )
            except sqlite3.IntegrityError as exc:
                if "UNIQUE" in str(exc):
                    raise ValueError(
                        f"run {run_id} already has a result for case {case_id!r}, {model}, attempt {attempt}"
                    ) from None
                raise LookupError(f"no bench run {run_id}") from None
        return int(cur.lastrowid)

    def bench_results(self, run_id: int) -> list[BenchResult]:
        """The run's results in the order they were stored."""
        rows = self._conn.execute(
            f"SELECT {_RESULT_COLUMNS} FROM bench_results WHERE run_id = ? ORDER BY id", (run_id,)
        ).fetchall()
        return [_result(row) for row in rows]

    def bench_done(self, run_id: int) -> set[tuple[str, str, int]]:
        """(case_id, model, attempt) of every result stored in the run: what a resumed run skips."""
        rows = self._conn.execute(
            "SELECT case_id, model, attempt FROM bench_results WHERE run_id = ?", (run_id,)
        ).fetchall()
        return {(row[0], row[1], row[2]) for row in rows}

    def bench_costs(self) -> dict[int, float]:
        """Run id → what its results cost (an unknown cost counts as 0; judges not included),
        for each run that has results."""
        rows = self._conn.execute("SELECT run_id, TOTAL(cost_usd) FROM bench_results GROUP BY run_id").fetchall()
        return {run_id: cost for run_id, cost in rows}

    def bench_intents(self, run_id: int) -> dict[int, str]:
        """Result id → the intent the router read in its case's prompt (from its answer's stored
        decision), for each result of the run that has one."""
        rows = self._conn.execute(
            f"""SELECT r.id, {SIGNALS.format(table="m")}
                FROM bench_results r JOIN messages m ON m.id = r.answer_id WHERE r.run_id = ?""",
            (run_id,),
        ).fetchall()
        read = ((result_id, read_signals(signals)[0]) for result_id, signals in rows)
        return {result_id: intent for result_id, intent in read if intent}


def _run(row: Any) -> BenchRun:
    return BenchRun(
        id=row["id"], suite_name=row["suite_name"], suite_path=row["suite_path"], suite_sha256=row["suite_sha256"],
        models=tuple(json.loads(row["models"])), repeat=row["repeat"], status=row["status"],
        created_at=row["created_at"], finished_at=row["finished_at"], estimated_cost_usd=row["estimated_cost_usd"],
        max_cost_usd=row["max_cost_usd"], params=json.loads(row["params"]),
    )


def _result(row: Any) -> BenchResult:
    passed = row["passed"]
    return BenchResult(
        id=row["id"], run_id=row["run_id"], case_id=row["case_id"], category=row["category"], model=row["model"],
        attempt=row["attempt"], status=row["status"], passed=None if passed is None else bool(passed),
        checks=tuple(CheckOutcome(**c) for c in json.loads(row["checks"])), answer_id=row["answer_id"],
        text=row["text"], error=row["error"], ttft_ms=row["ttft_ms"], latency_ms=row["latency_ms"],
        input_tokens=row["input_tokens"], output_tokens=row["output_tokens"], cost_usd=row["cost_usd"],
        created_at=row["created_at"],
    )


def read_bench_outcomes(db_path: Path) -> list[tuple[str, str | None, str | None, str | None, bool]]:
    """(model, the case's category, the prompt's intent and language as the router read them
    — from the answer's stored decision, None without one —, passed) of every decided answer
    of every bench run in the bench store at `db_path` (an error counts as failed, an
    interrupted answer not at all), for the router's learning; [] when there is no bench
    store yet. Read on a connection of the calling thread's own; never creates the file."""
    if not db_path.exists():
        return []
    with own_connection(db_path, "the bench results") as conn:
        rows = conn.execute(
            f"""SELECT r.model, r.category, {SIGNALS.format(table="m")}, r.status = 'complete' AND r.passed = 1
                FROM bench_results r LEFT JOIN messages m ON m.id = r.answer_id
                WHERE r.status = 'error' OR (r.status = 'complete' AND r.passed IS NOT NULL)"""
        ).fetchall()
    return [(model, category, *read_signals(signals), bool(passed)) for model, category, signals, passed in rows]
