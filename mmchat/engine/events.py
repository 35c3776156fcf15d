"""What the engine tells its user interface while a turn runs (the engine knows no UI)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Union

from mmchat.types import TurnMetrics
from mmchat.types import ReasoningDelta, TextDelta

if TYPE_CHECKING:
    from mmchat.catalog import ModelInfo


@dataclass(frozen=True)
class TurnStarted:
    conversation_id: int
    user_message_id: int
    assistant_message_id: int
    model: ModelInfo
    input_tokens_estimate: int
    history_dropped: int  # older messages left out to fit the context window (0: none)


@dataclass(frozen=True)
class Retrying:
    attempt: int  # the try about to be made (2 = first retry)
    delay_s: float
    reason: str  # one line: which provider failed and why
    kind: str = "error"  # the failure's kind (ProviderError.kind): 'rate_limit' for a 429


@dataclass(frozen=True)
class FallingBack:
    """The turn moves to the next model of its fallback chain (no text had arrived yet)."""

    model: ModelInfo  # the model tried now
    previous: str  # the address that failed or was skipped
    reason: str  # one line: why it was left
    input_tokens_estimate: int
    history_dropped: int


@dataclass(frozen=True)
class TurnFinished:
    assistant_message_id: int
    finish_reason: str
    metrics: TurnMetrics


@dataclass(frozen=True)
class TurnFailed:
    assistant_message_id: int
    kind: str  # the error's kind: auth, rate_limit, timeout, … or 'setup'
    reason: str  # one line, says which provider and why; never a key
    partial: bool  # some text arrived before the failure and was kept
    metrics: TurnMetrics | None  # None: nothing came back, so nothing was used


EngineEvent = Union[TurnStarted, Retrying, FallingBack, TextDelta, ReasoningDelta, TurnFinished, TurnFailed]
