"""The one vocabulary every provider speaks: requests in, stream events out."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Union

Role = Literal["system", "user", "assistant"]


@dataclass(frozen=True, slots=True)
class ChatMessage:
    role: Role
    content: str


@dataclass(frozen=True, slots=True)
class ChatRequest:
    """One streaming chat request, already addressed to a provider's model id."""

    model: str  # the provider's own model id (the second half of `provider/model-id`)
    messages: tuple[ChatMessage, ...]
    # Generation parameters in mmchat's names: temperature, top_p, max_tokens, stop, seed.
    # Each protocol maps them to its own field names.
    params: dict[str, Any] = field(default_factory=dict)


# The deltas are not frozen: a frozen dataclass's __init__ costs twice as much,
# and one is made for every streamed token.
@dataclass(slots=True)
class TextDelta:
    text: str


@dataclass(slots=True)
class ReasoningDelta:
    text: str


@dataclass(frozen=True, slots=True)
class Usage:
    """Token counts normalised across protocols so that cost is a plain sum.

    input_tokens        input billed at the full input price (cache hits and writes excluded)
    cached_input_tokens input read from the provider's prompt cache
    cache_write_tokens  input written to the prompt cache (Anthropic)
    output_tokens       visible output (reasoning excluded)
    reasoning_tokens    hidden reasoning/thinking output
    estimated           True when counted locally rather than reported by the provider
    """

    input_tokens: int = 0
    cached_input_tokens: int = 0
    cache_write_tokens: int = 0
    output_tokens: int = 0
    reasoning_tokens: int = 0
    estimated: bool = False

    @property
    def total_input(self) -> int:
        return self.input_tokens + self.cached_input_tokens + self.cache_write_tokens

    @property
    def total_output(self) -> int:
        return self.output_tokens + self.reasoning_tokens


# Normalised finish reasons; a protocol's unknown reason is passed through as-is.
FinishReason = str  # "stop" | "length" | "content_filter" | "tool_calls" | other


@dataclass(frozen=True, slots=True)
class Finish:
    reason: FinishReason


StreamEvent = Union[TextDelta, ReasoningDelta, Usage, Finish]


@dataclass(frozen=True)
class TurnMetrics:
    """One answer's figures: time to first token, latency, speed, tokens and cost."""

    ttft_ms: float | None  # None when no token ever arrived
    latency_ms: float  # request sent → stream ended
    tokens_per_s: float | None  # output (visible + reasoning) tokens over the generation time
    usage: Usage
    cost_usd: float | None  # None when the model's price is unknown
