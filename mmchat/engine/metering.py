"""Per-turn figures: time to first token, latency, speed, tokens and cost."""

from __future__ import annotations

import time
from typing import Callable

from mmchat.types import TurnMetrics, Usage


CHARS_PER_TOKEN = 4  # the usual rule of thumb, for text that is not counted by a tokenizer


def tokens_from_chars(chars: int) -> int:
    """The estimated tokens of `chars` characters (rounded up: any text is at least a token)."""
    return -(-chars // CHARS_PER_TOKEN)


class Meter:
    """Times one request. Call `first_token()` on every token: only the first counts."""

    __slots__ = ("_clock", "started", "first_token_at", "ended")

    def __init__(self, clock: Callable[[], float] = time.perf_counter) -> None:
        self._clock = clock
        self.started = clock()
        self.first_token_at: float | None = None
        self.ended: float | None = None

    def first_token(self) -> None:
        if self.first_token_at is None:
            self.first_token_at = self._clock()

    def elapsed_ms(self) -> float:
        end = self.ended if self.ended is not None else self._clock()
        return (end - self.started) * 1000

    def ttft_ms(self) -> float | None:
        if self.first_token_at is None:
            return None
        return (self.first_token_at - self.started) * 1000

    def finish(self, usage: Usage, cost_usd: float | None) -> TurnMetrics:
        self.ended = self._clock()
        speed = None
        if self.first_token_at is not None and usage.total_output:
            # Tokens after the first over the time they took; a one-token answer has no speed.
            generating = self.ended - self.first_token_at
            if generating > 0 and usage.total_output > 1:
                speed = (usage.total_output - 1) / generating
        return TurnMetrics(
            ttft_ms=self.ttft_ms(),
            latency_ms=self.elapsed_ms(),
            tokens_per_s=speed,
            usage=usage,
            cost_usd=cost_usd,
        )
