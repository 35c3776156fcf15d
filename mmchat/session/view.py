"""One answer as it is shown: the engine's events folded into its text and figures.

The interface, `mmchat ask`, the compare columns and the benchmarks read a
running answer through this one fold. Until the engine reports the answer's
exact figures (when it ends), tokens are estimated from the characters
received and the figures say so.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from mmchat.catalog import ModelInfo, cost_usd
from mmchat.engine.events import EngineEvent, FallingBack, Retrying, TurnFailed, TurnFinished, TurnStarted
from mmchat.engine.metering import Meter, tokens_from_chars
from mmchat.types import ReasoningDelta, TextDelta, TurnMetrics, Usage

SPEED_AFTER_S = 0.2  # a live speed over a shorter stretch is noise

# What an answer is doing: waiting (no token yet, retries and fallbacks included),
# streaming, or how it ended.
STATUSES = ("waiting", "streaming", "complete", "interrupted", "error")


@dataclass(frozen=True)
class Figures:
    """An answer's figures, live or final. `estimated`: the tokens (and the cost from them)
    are counted locally; `live`: the answer is still running."""

    ttft_ms: float | None
    elapsed_ms: float
    tokens_per_s: float | None
    input_tokens: int
    output_tokens: int
    cost_usd: float | None
    estimated: bool
    live: bool


class TurnView:
    """Feed it every event of one answer (`apply`); read `text`, `status` and `figures()`."""

    def __init__(self, model: ModelInfo | None = None, *, clock: Callable[[], float] = time.perf_counter) -> None:
        self.model = model  # the model answering now (a fallback replaces it)
        self.status = "waiting"
        self.conversation_id: int | None = None
        self.user_message_id: int | None = None
        self.answer_id: int | None = None
        self.pieces: list[str] = []
        self.chars = 0  # of text and reasoning received
        self.input_estimate = 0
        self.history_dropped = 0  # older messages left out to fit the context window
        self.retries = 0
        self.finish_reason: str | None = None
        self.error: str | None = None  # one line, when it failed or was cut short
        self.error_kind: str | None = None
        self.metrics: TurnMetrics | None = None  # the engine's own figures, once it ended
        self._clock = clock
        self.meter = Meter(clock)

    @property
    def text(self) -> str:
        return "".join(self.pieces)

    @property
    def done(self) -> bool:
        return self.status in ("complete", "interrupted", "error")

    def apply(self, event: EngineEvent) -> None:
        kind = type(event)
        if kind is TextDelta:
            if self.meter.first_token_at is None:
                self.meter.first_token()
                self.status = "streaming"
            self.pieces.append(event.text)  # type: ignore[union-attr]
            self.chars += len(event.text)  # type: ignore[union-attr]
        elif kind is ReasoningDelta:
            self.meter.first_token()
            self.status = "streaming"
            self.chars += len(event.text)  # type: ignore[union-attr]
        elif isinstance(event, TurnStarted):
            self.conversation_id = event.conversation_id
            self.user_message_id = event.user_message_id
            self.answer_id = event.assistant_message_id
            self._moved(event.model, event.input_tokens_estimate, event.history_dropped)
        elif isinstance(event, FallingBack):
            self._moved(event.model, event.input_tokens_estimate, event.history_dropped)
        elif isinstance(event, Retrying):
            self.retries += 1
        elif isinstance(event, TurnFinished):
            self.status = "complete"
            self.finish_reason = event.finish_reason
            self.metrics = event.metrics
        elif isinstance(event, TurnFailed):
            self.status = "interrupted" if event.partial else "error"
            self.error, self.error_kind = event.reason, event.kind
            self.metrics = event.metrics

    def interrupted(self, reason: str, metrics: TurnMetrics | None = None) -> None:
        """The answer was stopped from outside (cancelled): what was received is kept."""
        if not self.done:
            self.status = "interrupted"
            self.error = reason
            self.metrics = metrics

    def _moved(self, model: ModelInfo, input_estimate: int, dropped: int) -> None:
        """A model's first request is about to go out (no text yet): the clock starts again,
        so a load or a queue before it is not the model's TTFT. (A retry keeps this clock:
        the engine's restarts, and its figures replace these when the answer ends.)"""
        self.meter = Meter(self._clock)
        self.model = model
        self.input_estimate = input_estimate
        self.history_dropped = dropped

    def figures(self) -> Figures:
        if self.metrics is not None:
            return final_figures(self.metrics)
        output = tokens_from_chars(self.chars)
        since_first = None if self.meter.first_token_at is None else self._clock() - self.meter.first_token_at
        speed = output / since_first if since_first is not None and since_first > SPEED_AFTER_S else None
        cost = None
        if self.model is not None:
            cost = cost_usd(Usage(self.input_estimate, output_tokens=output, estimated=True), self.model.price)
        return Figures(
            self.meter.ttft_ms(), self.meter.elapsed_ms(), speed, self.input_estimate, output, cost,
            estimated=True, live=not self.done,
        )


def final_figures(metrics: TurnMetrics) -> Figures:
    """The figures the engine reported when an answer ended."""
    usage = metrics.usage
    return Figures(
        metrics.ttft_ms, metrics.latency_ms, metrics.tokens_per_s, usage.total_input, usage.total_output,
        metrics.cost_usd, usage.estimated, live=False,
    )
