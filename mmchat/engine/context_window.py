"""Fit a conversation's history into a model's context window, oldest turns first out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

from mmchat.types import ChatMessage

PER_MESSAGE_OVERHEAD = 4  # role and separators, as OpenAI documents for its chat format


class ContextTooSmall(Exception):
    """Even the newest message alone does not fit the model's context window."""


@dataclass(frozen=True)
class Fit:
    messages: list[ChatMessage]
    dropped: int  # messages left out, oldest first
    input_tokens: int  # estimated tokens of what is sent


def fit_to_context(
    messages: Sequence[ChatMessage],
    context: int | None,
    reserve: int,
    count: Callable[[str], int],
) -> Fit:
    """Drop the oldest non-system messages until the rest fits `context - reserve`.

    System messages and the newest message are always kept. An assistant answer
    is never kept without the user message before it: trimming removes whole turns.
    """
    sizes = [count(m.content) + PER_MESSAGE_OVERHEAD for m in messages]
    total = sum(sizes)
    if context is None or total <= context - reserve:
        return Fit(list(messages), 0, total)

    budget = context - reserve
    keep = [True] * len(messages)
    last = len(messages) - 1
    for i, message in enumerate(messages[:-1]):
        if total <= budget:
            break
        if message.role == "system":
            continue
        keep[i] = False
        total -= sizes[i]
    # A kept answer whose question was dropped would answer nothing: drop it too.
    for i in range(last):
        if not keep[i] or messages[i].role == "system":
            continue
        if messages[i].role == "user":
            break
        keep[i] = False
        total -= sizes[i]
    if total > budget:
        raise ContextTooSmall(
            f"this turn needs about {total:,} tokens even without older turns, but the "
            f"model's context window leaves {budget:,} after reserving {reserve:,} for the "
            "answer: shorten the message or pick a model with a larger context"
        )
    kept = [m for m, k in zip(messages, keep) if k]
    return Fit(kept, len(messages) - len(kept), total)
