"""Figures over stored answers: tokens and cost per model, spending, measured speeds
and answer lengths, each finished answer's figures, and the user's recent prompts."""

from __future__ import annotations

import contextlib
import json
import sqlite3
import statistics
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mmchat.store.records import ModelSpeed, ModelTotals, Spending, StoreError
from mmchat.store.schema import Database

SPENDING_SLACK_S = 24 * 3600  # how long before `since` an answer counted by spending(since=…) may have started

# Cost is unknown (NULL) as soon as one billable answer — one with recorded
# usage or cost — has no cost; answers that failed before any usage cost nothing.
BILLABLE = "(m.input_tokens IS NOT NULL OR m.cost_usd IS NOT NULL)"
COST_SUM = (
    f"CASE WHEN sum({BILLABLE} AND m.cost_usd IS NULL) > 0 THEN NULL "
    "ELSE total(m.cost_usd) END"
)


@dataclass(frozen=True)
class AnswerFigures:
    """One finished answer's measured figures and the signals its stored decision gives."""

    model: str
    status: str  # 'complete' | 'interrupted' | 'error'
    ttft_ms: float | None
    tokens_per_s: float | None
    cost_usd: float | None  # None = unknown
    intent: str | None  # the decision's signals.intent; None without a readable decision
    language: str | None  # the decision's signals.language


class Stats(Database):
    def totals_by_model(self, conversation_id: int) -> list[ModelTotals]:
        """Per-model totals over finished answers, in order of first use.

        Cost is None when any answer with recorded usage lacks a cost (a sum
        that silently skipped it would understate); answers that failed before
        any usage count as turns but cost nothing.
        """
        rows = self._conn.execute(
            f"""SELECT m.model, count(*),
                    total(coalesce(m.input_tokens, 0) + coalesce(m.cached_input_tokens, 0)
                          + coalesce(m.cache_write_tokens, 0)),
                    total(coalesce(m.output_tokens, 0) + coalesce(m.reasoning_tokens, 0)),
                    {COST_SUM},
                    max(coalesce(m.usage_estimated, 0))
                FROM messages m
                WHERE m.conversation_id = ? AND m.role = 'assistant'
                    AND m.status != 'pending' AND m.model IS NOT NULL
                GROUP BY m.model ORDER BY min(m.id)""",
            (conversation_id,),
        ).fetchall()
        ttfts: dict[str, list[float]] = {}
        for model, ttft in self._conn.execute(
            "SELECT model, ttft_ms FROM messages WHERE conversation_id = ? AND role = 'assistant' "
            "AND status != 'pending' AND model IS NOT NULL AND ttft_ms IS NOT NULL",
            (conversation_id,),
        ):
            ttfts.setdefault(model, []).append(ttft)
        return [
            ModelTotals(
                model=row[0],
                turns=row[1],
                input_tokens=int(row[2]),
                output_tokens=int(row[3]),
                cost_usd=row[4],
                median_ttft_ms=statistics.median(ttfts[row[0]]) if row[0] in ttfts else None,
                estimated=bool(row[5]),
            )
            for row in rows
        ]

    def spending(self, *, conversation_id: int | None = None, since: float | None = None) -> Spending:
        """What finished answers cost: those of `conversation_id` (alternatives included)
        and/or those finished at or after `since` (unix seconds), or all of them."""
        return _spending(self._conn, conversation_id, since)

    def read_measured(
        self, *, per_model: int = 50, per_kind: int = 50, window: int = 20_000
    ) -> tuple[dict[str, ModelSpeed], dict[tuple[str, bool, str], tuple[int, int]]]:
        """What past answers measured, among the latest `window` messages:

        - each model's median TTFT and tokens/s over its latest `per_model` complete answers;
        - by kind of turn — (complexity, has code, the length asked for), as a routed answer's
          stored decision says — (median visible output tokens, answers) over the latest
          `per_kind` complete answers.

        Read on a connection of the calling thread's own: safe from any thread, so the scans
        (tens of milliseconds on a large history) can run off the interface's thread."""
        with own_connection(self.db_path, "the measured figures") as conn:
            return _model_speeds(conn, per_model, window), _answer_lengths(conn, per_kind, window)

    def answer_figures(self, *, since: float | None = None) -> list[AnswerFigures]:
        """The figures of every finished answer with a model, oldest first; `since` keeps the
        answers started at or after it (unix seconds).

        Read on a connection of the calling thread's own, like `read_measured`: safe from any
        thread (a long history takes a while to read)."""
        with own_connection(self.db_path, "the answers' figures") as conn:
            rows = conn.execute(
                f"""SELECT model, status, ttft_ms, tokens_per_s, cost_usd, {SIGNALS.format(table="messages")}
                    FROM messages
                    WHERE role = 'assistant' AND status != 'pending' AND model IS NOT NULL
                        AND (? IS NULL OR created_at >= ?)
                    ORDER BY id""",
                (since, since),
            ).fetchall()
        return [AnswerFigures(*row[:5], *read_signals(row[5])) for row in rows]

    def recent_prompts(self, limit: int = 500) -> list[str]:
        """The user's latest `limit` non-blank messages over every conversation, oldest first."""
        rows = self._conn.execute(
            "SELECT content FROM messages WHERE role = 'user' AND trim(content) != '' ORDER BY id DESC LIMIT ?",
            (limit,),
        ).fetchall()
        return [row[0] for row in reversed(rows)]


# A decision's intent and language (a JSON array, or NULL when the decision is missing or
# is not JSON: json_extract would fail the whole query on one damaged row).
SIGNALS = (
    "CASE WHEN json_valid({table}.decision) "
    "THEN json_extract({table}.decision, '$.signals.intent', '$.signals.language') END"
)


def read_signals(extracted: str | None) -> tuple[str | None, str | None]:
    """(intent, language) from a SIGNALS column; None for a value that is missing or not a string."""
    if extracted is None:
        return None, None
    intent, language = json.loads(extracted)
    return (intent if isinstance(intent, str) else None, language if isinstance(language, str) else None)


def read_spending(db_path: Path, *, since: float) -> Spending:
    """What the answers of the store at `db_path` (another file: the bench's) finished at or
    after `since` cost; nothing when there is no such file (it is never created)."""
    if not db_path.exists():
        return Spending(0.0, 0)
    with own_connection(db_path, "what was spent") as conn:
        return _spending(conn, None, since)


def _spending(conn: sqlite3.Connection, conversation_id: int | None, since: float | None) -> Spending:
    where = ["m.role = 'assistant'", "m.status != 'pending'"]
    args: list[Any] = []
    if conversation_id is not None:
        where.append("m.conversation_id = ?")
        args.append(conversation_id)
    if since is not None:
        # The id floor keeps this to the latest rows (ids grow with time): an answer
        # created a day before `since` and still streaming at `since` is not expected.
        where.append(
            "m.id > coalesce((SELECT id FROM messages WHERE created_at < ? ORDER BY id DESC LIMIT 1), 0)"
        )
        where.append("m.finished_at >= ?")
        args += [since - SPENDING_SLACK_S, since]
    cost, unpriced = conn.execute(
        f"SELECT total(m.cost_usd), total({BILLABLE} AND m.cost_usd IS NULL) FROM messages m "
        f"WHERE {' AND '.join(where)}",
        args,
    ).fetchone()
    return Spending(cost_usd=cost, unpriced=int(unpriced))


@contextlib.contextmanager
def own_connection(db_path: Path, what: str) -> Iterator[sqlite3.Connection]:
    """A read connection of the calling thread's own, closed after; a StoreError names `what`
    could not be read."""
    try:
        conn = sqlite3.connect(db_path, isolation_level=None)
        try:
            conn.execute("PRAGMA busy_timeout = 5000")
            yield conn
        finally:
            conn.close()
    except sqlite3.Error as e:
        raise StoreError(f"cannot read {what} from {db_path}: {e}") from e


def _model_speeds(conn: sqlite3.Connection, per_model: int, window: int) -> dict[str, ModelSpeed]:
    rows = conn.execute(
        """SELECT model, ttft_ms, tokens_per_s FROM (
                SELECT model, ttft_ms, tokens_per_s,
                    row_number() OVER (PARTITION BY model ORDER BY id DESC) AS n
                FROM messages
                WHERE id > (SELECT coalesce(max(id), 0) FROM messages) - ?
                    AND role = 'assistant' AND status = 'complete' AND model IS NOT NULL
                    AND (ttft_ms IS NOT NULL OR tokens_per_s IS NOT NULL)
            ) WHERE n <= ?""",
        (window, per_model),
    ).fetchall()
    answers: dict[str, int] = {}
    ttfts: dict[str, list[float]] = {}
    speeds: dict[str, list[float]] = {}
    for model, ttft, speed in rows:
        answers[model] = answers.get(model, 0) + 1
        if ttft is not None:
            ttfts.setdefault(model, []).append(ttft)
        if speed is not None:
            speeds.setdefault(model, []).append(speed)
    return {
        model: ModelSpeed(
            model=model,
            answers=count,
            median_ttft_ms=statistics.median(ttfts[model]) if model in ttfts else None,
            median_tokens_per_s=statistics.median(speeds[model]) if model in speeds else None,
        )
        for model, count in answers.items()
    }


def _answer_lengths(
    conn: sqlite3.Connection, per_kind: int, window: int
) -> dict[tuple[str, bool, str], tuple[int, int]]:
    rows = conn.execute(
        """SELECT kind, output_tokens FROM (
                SELECT *, row_number() OVER (PARTITION BY kind ORDER BY id DESC) AS n
                FROM (
                    SELECT id, output_tokens,
                        -- one parse of the decision for the three (a JSON array back)
                        json_extract(decision, '$.signals.complexity', '$.signals.has_code',
                            '$.signals.answer_length') AS kind
                    FROM messages
                    WHERE id > (SELECT coalesce(max(id), 0) FROM messages) - ?
                        AND role = 'assistant' AND status = 'complete'
                        AND output_tokens IS NOT NULL AND decision IS NOT NULL
                )
            ) WHERE n <= ?""",
        (window, per_kind),
    ).fetchall()
    lengths: dict[tuple[str, bool, str], list[int]] = {}
    for kind, output in rows:
        complexity, has_code, length = json.loads(kind)
        if complexity is not None and length is not None:  # a decision without these signals
            lengths.setdefault((complexity, bool(has_code), length), []).append(output)
    return {kind: (round(statistics.median(values)), len(values)) for kind, values in lengths.items()}
