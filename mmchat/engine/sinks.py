"""Where the engine writes a turn: the user's store, or anywhere else the caller chooses.

`Store` is a sink as it is (the default: the chat history). `MemorySink` keeps a
turn in memory only, so a bench run or a trial leaves the history, the router's
measured figures and the spending totals untouched.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Sequence
from dataclasses import replace
from typing import Any, Protocol

from mmchat.store import AnswerEnd, NewAnswer, StartedTurn, StoredMessage


class Sink(Protocol):
    """What the engine needs of a place to write turns (the methods of `Store` it uses).

    A turn is written in this order: `start_turn` (the user's message and N pending
    answers, before any network I/O) or `add_answers` (answers to a stored prompt),
    `lineage` (the history to send), then per answer `save_text` while it streams,
    `set_attempts`/`set_answer_model` as it retries or falls back, and `finish_answer`.
    The caller picks the answer the conversation follows with `choose_answer`.
    """

    def message(self, message_id: int) -> StoredMessage: ...

    def start_turn(
        self, conversation_id: int | None, prompt: str, answers: Sequence[NewAnswer], *, head: int | None = 0
    ) -> StartedTurn: ...

    def add_answers(
        self, user_message_id: int, answers: Sequence[NewAnswer], *, head: int | None = 0
    ) -> tuple[int, ...]: ...

    def lineage(self, message_id: int) -> list[StoredMessage]: ...

    def save_text(self, answer_id: int, content: str) -> None: ...

    def set_attempts(self, answer_id: int, attempts: list[dict[str, Any]]) -> None: ...

    def set_answer_model(
        self, answer_id: int, *, provider: str, model: str, params: dict[str, Any], attempts: list[dict[str, Any]]
    ) -> None: ...

    def finish_answer(self, answer_id: int, end: AnswerEnd) -> None: ...

    def choose_answer(self, answer_id: int) -> None: ...


class MemorySink:
    """Turns kept in this object only: the same tree of messages as the store, no file."""

    def __init__(self) -> None:
        self.messages: dict[int, StoredMessage] = {}
        self.heads: dict[int, int] = {}  # conversation → its head message
        self._ids = itertools.count(1)
        self._conversations = itertools.count(1)

    def message(self, message_id: int) -> StoredMessage:
        try:
            return self.messages[message_id]
        except KeyError:
            raise LookupError(f"no message {message_id}") from None

    def start_turn(
        self, conversation_id: int | None, prompt: str, answers: Sequence[NewAnswer], *, head: int | None = 0
    ) -> StartedTurn:
        if conversation_id is None:
            conversation_id = next(self._conversations)
        user = self._add(conversation_id, self.heads.get(conversation_id), "user", prompt, "complete", None)
        self.heads[conversation_id] = user.id
        ids = self._answers(user, answers, head)
        return StartedTurn(conversation_id, user.id, ids)

    def add_answers(
        self, user_message_id: int, answers: Sequence[NewAnswer], *, head: int | None = 0
    ) -> tuple[int, ...]:
        user = self.message(user_message_id)
        if user.role != "user":
            raise ValueError(f"message {user_message_id} is not a user message: answers follow a prompt")
        return self._answers(user, answers, head)

    def lineage(self, message_id: int) -> list[StoredMessage]:
        chain: list[StoredMessage] = []
        at: int | None = message_id
        while at is not None:
            message = self.message(at)
            chain.append(message)
            at = message.parent_id
        return chain[::-1]

    def save_text(self, answer_id: int, content: str) -> None:
        self._update(answer_id, content=content)

    def set_attempts(self, answer_id: int, attempts: list[dict[str, Any]]) -> None:
        self._update(answer_id, attempts=list(attempts))

    def set_answer_model(
        self, answer_id: int, *, provider: str, model: str, params: dict[str, Any], attempts: list[dict[str, Any]]
    ) -> None:
        self._update(answer_id, provider=provider, model=model, params=dict(params), attempts=list(attempts))

    def finish_answer(self, answer_id: int, end: AnswerEnd) -> None:
        self._update(
            answer_id, content=end.content, status=end.status, error=end.error, usage=end.usage,
            ttft_ms=end.ttft_ms, latency_ms=end.latency_ms, tokens_per_s=end.tokens_per_s,
            cost_usd=end.cost_usd, attempts=list(end.attempts), finished_at=time.time(),
        )

    def choose_answer(self, answer_id: int) -> None:
        leaf = self.message(answer_id)
        while children := [m for m in self.messages.values() if m.parent_id == leaf.id]:
            leaf = children[-1]
        self.heads[leaf.conversation_id] = leaf.id

    def _answers(self, user: StoredMessage, answers: Sequence[NewAnswer], head: int | None) -> tuple[int, ...]:
        ids = tuple(
            self._add(user.conversation_id, user.id, "assistant", "", "pending", answer).id for answer in answers
        )
        if head is not None:
            self.heads[user.conversation_id] = ids[head]
        return ids

    def _add(
        self, conversation_id: int, parent_id: int | None, role: str, content: str, status: str,
        answer: NewAnswer | None,
    ) -> StoredMessage:
        message = StoredMessage(
            id=next(self._ids), conversation_id=conversation_id, parent_id=parent_id, role=role,
            content=content, status=status, provider=answer.provider if answer else None,
            model=answer.model if answer else None, params=dict(answer.params) if answer else {},
            error=None, usage=None, ttft_ms=None, latency_ms=None, tokens_per_s=None, cost_usd=None,
            attempts=[], decision=answer.decision if answer else None, created_at=time.time(),
            finished_at=None if status == "pending" else time.time(),
        )
        self.messages[message.id] = message
        return message

    def _update(self, message_id: int, **values: Any) -> None:
        self.messages[message_id] = replace(self.message(message_id), **values)
