"""What the router is given: the turn, the conversation so far, per-conversation state, model statistics."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from mmchat.config import Budget


@dataclass(frozen=True)
class Attachment:
    name: str
    kind: str  # 'image', 'audio', 'pdf' or 'text'
    tokens: int = 0  # estimated tokens it adds to the prompt (text attachments)
    text: str = ""  # a text attachment's content: searched for credentials and personal data too


@dataclass(frozen=True)
class Turn:
    """The user's next message, as typed (tags such as #private still in it)."""

    prompt: str
    attachments: tuple[Attachment, ...] = ()
    tags: tuple[str, ...] = ()  # tags chosen outside the text (e.g. in the UI), without '#'


class HistoryMessage(Protocol):
    """Any message with these attributes (mmchat.store.StoredMessage fits)."""

    role: str
    content: str
    model: str | None


@dataclass(frozen=True)
class Conversation:
    messages: Sequence[HistoryMessage] = ()
    # Tokens of `messages` when the caller has counted them; else the router counts.
    tokens: int | None = None

    @property
    def model(self) -> str | None:
        """The model of the last answer that did not fail: the conversation's current model."""
        for message in reversed(self.messages):
            if message.role == "assistant" and message.model and getattr(message, "status", "complete") != "error":
                return message.model
        return None

    @property
    def turns(self) -> int:
        return sum(1 for m in self.messages if m.role == "user")


@dataclass(frozen=True)
class RouterState:
    """Per-conversation choices the router must respect."""

    locked: bool = False  # privacy lock: only local models until the user unlocks
    pin: str | None = None  # auto-route off: stay on this model
    override: str | None = None  # this turn only
    escalate_from: str | None = None  # "retry with a stronger model" of an answer by this model
    next_after: str | None = None  # "retry on the next model" of an answer by this model
    chain: tuple[str, ...] = ()  # that answer's routing order (its model, then its fallbacks)
    budget: Budget = field(default_factory=Budget)
    spent_conversation: float = 0.0  # USD
    spent_day: float = 0.0  # USD


@dataclass(frozen=True)
class ModelStats:
    """Measured figures of one model (medians over its latest answers)."""

    ttft_ms: float | None = None
    tokens_per_s: float | None = None
    samples: int = 0
