"""What the store hands out, and how a stored row becomes one."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from typing import Any

from mmchat.types import Usage

ROLES = frozenset({"system", "user", "assistant"})
STATUSES = frozenset({"pending", "complete", "interrupted", "error"})
ENDINGS = STATUSES - {"pending"}  # how an answer can end

MESSAGE_COLUMNS = (
    "id, conversation_id, parent_id, role, content, status, provider, model, params, error, "
    "input_tokens, cached_input_tokens, cache_write_tokens, output_tokens, reasoning_tokens, "
    "usage_estimated, ttft_ms, latency_ms, tokens_per_s, cost_usd, attempts, decision, "
    "created_at, finished_at"
)
M_COLUMNS = ", ".join(f"m.{c.strip()}" for c in MESSAGE_COLUMNS.split(","))  # the same, on `messages m`


class StoreError(Exception):
    """The database cannot be used as it is; the message says what to do."""


@dataclass(frozen=True)
class StoredMessage:
    id: int
    conversation_id: int
    parent_id: int | None
    role: str
    content: str
    status: str
    provider: str | None
    model: str | None  # the full address, provider/model-id
    params: dict[str, Any]
    error: str | None
    usage: Usage | None
    ttft_ms: float | None
    latency_ms: float | None
    tokens_per_s: float | None
    cost_usd: float | None  # None = unknown
    attempts: list[Any]
    decision: dict[str, Any] | None
    created_at: float  # unix seconds
    finished_at: float | None


@dataclass(frozen=True)
class ConversationSummary:
    id: int
    title: str | None  # None until set or derived from the first user message
    created_at: float
    updated_at: float
    message_count: int  # every stored message, alternatives included
    models: list[str]  # addresses in order of first use
    total_cost_usd: float | None  # over every answer, alternatives included; None = unknown
    preview: str  # the first user message, on one line and truncated


@dataclass(frozen=True)
class ModelTotals:
    """One model's figures over a conversation's finished answers (alternatives included)."""

    model: str
    turns: int
    input_tokens: int  # all input: full-price, cached and cache-write
    output_tokens: int  # all output: visible and reasoning
    cost_usd: float | None  # None when any billable answer has an unknown cost
    median_ttft_ms: float | None
    estimated: bool  # some usage was counted locally, not reported


@dataclass(frozen=True)
class Spending:
    """Known cost of finished answers; answers with usage but no price are counted apart."""

    cost_usd: float
    unpriced: int  # answers with recorded usage and an unknown cost (not in cost_usd)


@dataclass(frozen=True)
class ModelSpeed:
    """A model's medians over its latest complete answers (None: never measured)."""

    model: str
    answers: int
    median_ttft_ms: float | None
    median_tokens_per_s: float | None


@dataclass(frozen=True)
class NewAnswer:
    """A pending answer about to stream."""

    provider: str | None
    model: str | None  # the full address, provider/model-id
    params: dict[str, Any] = field(default_factory=dict)
    decision: dict[str, Any] | None = None


@dataclass(frozen=True)
class StartedTurn:
    conversation_id: int
    user_message_id: int
    answer_ids: tuple[int, ...]  # in the order of the NewAnswers


@dataclass(frozen=True)
class AnswerEnd:
    """How an answer ended, written in one committed transaction."""

    content: str
    status: str  # one of ENDINGS: 'complete' | 'interrupted' | 'error'
    error: str | None = None
    usage: Usage | None = None  # None leaves the usage columns NULL
    ttft_ms: float | None = None
    latency_ms: float | None = None
    tokens_per_s: float | None = None
    cost_usd: float | None = None
    attempts: list[dict[str, Any]] = field(default_factory=list)


def to_message(row: sqlite3.Row) -> StoredMessage:
    """A row of MESSAGE_COLUMNS (or M_COLUMNS) as a StoredMessage."""
    usage = None
    if row["input_tokens"] is not None:
        usage = Usage(
            input_tokens=row["input_tokens"],
            cached_input_tokens=row["cached_input_tokens"] or 0,
            cache_write_tokens=row["cache_write_tokens"] or 0,
            output_tokens=row["output_tokens"] or 0,
            reasoning_tokens=row["reasoning_tokens"] or 0,
            estimated=bool(row["usage_estimated"]),
        )
    return StoredMessage(
        id=row["id"],
        conversation_id=row["conversation_id"],
        parent_id=row["parent_id"],
        role=row["role"],
        content=row["content"],
        status=row["status"],
        provider=row["provider"],
        model=row["model"],
        params=json.loads(row["params"]),
        error=row["error"],
        usage=usage,
        ttft_ms=row["ttft_ms"],
        latency_ms=row["latency_ms"],
        tokens_per_s=row["tokens_per_s"],
        cost_usd=row["cost_usd"],
        attempts=json.loads(row["attempts"]),
        decision=_json_or_none(row["decision"]),
        created_at=row["created_at"],
        finished_at=row["finished_at"],
    )


def check_status(status: str, allowed: frozenset[str] = STATUSES) -> None:
    if status not in allowed:
        raise ValueError(f"unknown status {status!r}: use one of {', '.join(sorted(allowed))}")


def no_conversation(conversation_id: int) -> LookupError:
    return LookupError(f"no conversation {conversation_id}")


def no_message(message_id: int) -> LookupError:
    return LookupError(f"no message {message_id}")


def _json_or_none(text: str | None) -> Any:
    """A stored JSON column read back; None when it is empty or damaged (a reader that
    cannot show it shows nothing rather than fail the whole conversation)."""
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None
