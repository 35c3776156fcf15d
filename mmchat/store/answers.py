"""Answers: starting a turn with one or many of them, streaming into them, ending them.

Answers to one prompt are siblings written in one transaction; the caller
says which of them becomes the conversation's head, so concurrent answers
never race for it.
"""

from __future__ import annotations

import json
import time
from typing import Any, Callable, Sequence, TypeVar

from mmchat.store.records import ENDINGS, AnswerEnd, NewAnswer, StartedTurn, check_status, no_message
from mmchat.store.tree import Tree
from mmchat.types import Usage

_T = TypeVar("_T")

_USAGE_COLUMNS = (
    "input_tokens", "cached_input_tokens", "cache_write_tokens",
    "output_tokens", "reasoning_tokens", "usage_estimated",
)


class Answers(Tree):
    def start_turn(
        self, conversation_id: int | None, prompt: str, answers: Sequence[NewAnswer], *, head: int | None = 0
    ) -> StartedTurn:
        """One transaction: the conversation (created when None), the user's message (child of
        the current head), and len(answers) >= 1 pending answers as its children (siblings, in
        order). The conversation's head becomes answers[head]'s id; head=None leaves it on the
        user message."""
        _check_answers(answers, head)
        with self._write():
            if conversation_id is None:
                conversation_id = self.create_conversation()
            user_message_id = self._insert_message(conversation_id, "user", prompt)
            answer_ids = self._insert_answers(conversation_id, user_message_id, answers, head)
        return StartedTurn(conversation_id, user_message_id, answer_ids)

    def add_answers(
        self, user_message_id: int, answers: Sequence[NewAnswer], *, head: int | None = 0
    ) -> tuple[int, ...]:
        """One transaction: pending answers added beside any existing answers of a stored user
        message. The conversation's head becomes answers[head]'s id; None leaves it where it is."""
        _check_answers(answers, head)
        with self._write():
            prompt = self.message(user_message_id)
            if prompt.role != "user":
                raise ValueError(f"message {user_message_id} is not a user message: only a prompt has answers")
            return self._insert_answers(prompt.conversation_id, user_message_id, answers, head)

    def _insert_answers(
        self, conversation_id: int, user_message_id: int, answers: Sequence[NewAnswer], head: int | None
    ) -> tuple[int, ...]:
        return tuple(
            self._insert_message(
                conversation_id, "assistant", "", parent_id=user_message_id, status="pending",
                provider=answer.provider, model=answer.model, params=answer.params,
                decision=answer.decision, head=place == head,
            )
            for place, answer in enumerate(answers)
        )

    def choose_answer(self, answer_id: int) -> None:
        """The conversation follows `answer_id` from now on: its head becomes answer_id's
        latest leaf (latest_leaf)."""
        self.set_head(self.message(answer_id).conversation_id, self.latest_leaf(answer_id))

    def save_text(self, answer_id: int, content: str) -> None:
        """A streaming answer's text so far: one plain UPDATE, no transaction (the hot path)."""
        self._update(answer_id, {"content": content})

    def set_attempts(self, answer_id: int, attempts: list[dict[str, Any]]) -> None:
        self._update(answer_id, {"attempts": self._attempts_json(attempts)})

    def set_answer_model(
        self, answer_id: int, *, provider: str, model: str, params: dict[str, Any], attempts: list[dict[str, Any]]
    ) -> None:
        """A fallback moved the answer to another model."""
        self._update(answer_id, {
            "provider": provider,
            "model": model,
            "params": json.dumps(params, ensure_ascii=False),
            "attempts": self._attempts_json(attempts),
        })

    def finish_answer(self, answer_id: int, end: AnswerEnd) -> None:
        """Writes how the answer ended, stamps its `finished_at` and the conversation's
        `updated_at`, in one committed transaction."""
        check_status(end.status, ENDINGS)
        now = time.time()
        with self._write():
            self._update(answer_id, {
                "content": end.content,
                "status": end.status,
                "error": self._redacted(end.error),
                **_usage_values(end.usage),
                "ttft_ms": end.ttft_ms,
                "latency_ms": end.latency_ms,
                "tokens_per_s": end.tokens_per_s,
                "cost_usd": end.cost_usd,
                "attempts": self._attempts_json(end.attempts),
                "finished_at": now,
            })
            self._conn.execute(
                "UPDATE conversations SET updated_at = ? WHERE id = "
                "(SELECT conversation_id FROM messages WHERE id = ?)",
                (now, answer_id),
            )

    def _update(self, message_id: int, values: dict[str, Any]) -> None:
        """Sets the columns in `values` on one message in a single UPDATE."""
        assignments = ", ".join(f"{name} = ?" for name in values)
        cur = self._conn.execute(
            f"UPDATE messages SET {assignments} WHERE id = ?", (*values.values(), message_id)
        )
        if cur.rowcount == 0:
            raise no_message(message_id)

    def _attempts_json(self, attempts: list[dict[str, Any]]) -> str:
        return json.dumps(self._redacted(attempts), ensure_ascii=False)

    def _redacted(self, value: _T) -> _T:
        """`value` with the redact hook applied to every string in it (error texts and
        attempts can quote a key back)."""
        return _redact_strings(value, self._redact) if self._redact else value


def _check_answers(answers: Sequence[NewAnswer], head: int | None) -> None:
    if not answers:
        raise ValueError("a turn needs at least one answer")
    if head is not None and not 0 <= head < len(answers):
        raise ValueError(f"head {head} is not the place of one of the {len(answers)} answers")


def _usage_values(usage: Usage | None) -> dict[str, Any]:
    if usage is None:
        return dict.fromkeys(_USAGE_COLUMNS)
    return dict(zip(_USAGE_COLUMNS, (
        usage.input_tokens, usage.cached_input_tokens, usage.cache_write_tokens,
        usage.output_tokens, usage.reasoning_tokens, int(usage.estimated),
    )))


def _redact_strings(value: Any, redact: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: _redact_strings(v, redact) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_redact_strings(v, redact) for v in value]
    return value
