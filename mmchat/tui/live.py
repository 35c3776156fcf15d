"""The figures the sidebar shows while a turn runs, counted on the interface's side.

The engine reports exact figures when the turn ends; until then tokens are
estimated from the characters received (about four a token) and marked '~'.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from mmchat import format as fmt
from mmchat.catalog import ModelInfo, cost_usd
from mmchat.types import TurnMetrics
from mmchat.types import Usage

CHARS_PER_TOKEN = 4


@dataclass
class LiveTurn:
    model: ModelInfo
    input_estimate: int = 0
    chars: int = 0
    started: float = 0.0
    first_token_at: float | None = None
    clock: Callable[[], float] = time.perf_counter

    def __post_init__(self) -> None:
        self.started = self.clock()

    def received(self, text: str) -> None:
        if self.first_token_at is None:
            self.first_token_at = self.clock()
        self.chars += len(text)

    @property
    def output_estimate(self) -> int:
        return -(-self.chars // CHARS_PER_TOKEN)

    def cost(self) -> float | None:
        """The estimated cost so far (None when the model's price is unknown)."""
        usage = Usage(input_tokens=self.input_estimate, output_tokens=self.output_estimate, estimated=True)
        return cost_usd(usage, self.model.price)

    def lines(self) -> list[tuple[str, str]]:
        """(label, value) rows for the sidebar."""
        now = self.clock()
        ttft = None if self.first_token_at is None else (self.first_token_at - self.started) * 1000
        speed = "–"
        if self.first_token_at is not None and now - self.first_token_at > 0.2:
            speed = f"~{self.output_estimate / (now - self.first_token_at):.0f} tok/s"
        cost = self.cost()
        return [
            ("model", self.model.address),
            ("TTFT", fmt.duration_ms(ttft)),
            ("elapsed", fmt.duration_ms((now - self.started) * 1000)),
            ("speed", speed),
            ("tokens", f"~{self.input_estimate:,} in / ~{self.output_estimate:,} out"),
            ("cost", fmt.cost(cost) if cost is None else "~" + fmt.cost(cost)),
        ]


def finished_rows(model: str, metrics: TurnMetrics) -> list[tuple[str, str]]:
    """The sidebar rows once the engine has reported a turn's figures ('~' marks estimates)."""
    usage = metrics.usage
    approx = "~" if usage.estimated else ""
    speed = "–" if metrics.tokens_per_s is None else f"{metrics.tokens_per_s:.0f} tok/s"
    cost = fmt.cost(metrics.cost_usd)
    return [
        ("model", model),
        ("TTFT", fmt.duration_ms(metrics.ttft_ms)),
        ("elapsed", fmt.duration_ms(metrics.latency_ms)),
        ("speed", speed),
        ("tokens", f"{approx}{usage.total_input:,} in / {approx}{usage.total_output:,} out"),
        ("cost", cost if metrics.cost_usd is None else approx + cost),
    ]
