"""A per-provider circuit breaker (the engine owns one; the router reads `open_providers()`).

closed     requests go through; `failures` failures in a row open the circuit
open       the provider is skipped until its cooldown ends
half-open  after the cooldown one probe request goes through: success closes
           the circuit, failure opens it again with a doubled cooldown (capped)

Works per provider name, so a provider with a single endpoint is covered too.
The clock is injected, so the state machine is tested without waiting.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

CLOSED, OPEN, HALF_OPEN = "closed", "open", "half-open"


@dataclass
class _Circuit:
    failures: int = 0  # in a row
    opened_at: float | None = None
    cooldown: float = 0.0
    probe_at: float | None = None  # when the half-open probe was let through


class CircuitBreaker:
    def __init__(
        self,
        failures: int = 3,
        cooldown_s: float = 30.0,
        max_cooldown_s: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.threshold = failures
        self.cooldown_s = cooldown_s
        self.max_cooldown_s = max_cooldown_s
        self._clock = clock
        self._circuits: dict[str, _Circuit] = {}

    def state(self, provider: str) -> str:
        c = self._circuits.get(provider)
        if c is None or c.opened_at is None:
            return CLOSED
        return OPEN if self._clock() - c.opened_at < c.cooldown else HALF_OPEN

    def allows(self, provider: str) -> bool:
        """May a request go to `provider` now? In half-open, only one probe at a time is let through."""
        state = self.state(provider)
        if state == CLOSED:
            return True
        if state == OPEN:
            return False
        c = self._circuits[provider]
        now = self._clock()
        # A probe that never reported back (cancelled) stops blocking after another cooldown.
        if c.probe_at is not None and now - c.probe_at < c.cooldown:
            return False
        c.probe_at = now
        return True

    def succeeded(self, provider: str) -> None:
        self._circuits.pop(provider, None)

    def failed(self, provider: str) -> None:
        c = self._circuits.setdefault(provider, _Circuit())
        now = self._clock()
        c.failures += 1
        if self.state(provider) == HALF_OPEN:  # the probe failed
            c.cooldown = min(self.max_cooldown_s, c.cooldown * 2)
            c.opened_at, c.probe_at = now, None
            return
        if c.opened_at is None and c.failures >= self.threshold:
            c.opened_at, c.cooldown = now, self.cooldown_s

    def why(self, provider: str) -> str:
        c = self._circuits.get(provider)
        state = self.state(provider)
        if c is None or state == CLOSED:
            return "healthy" if c is None or not c.failures else f"{c.failures} failure(s) in a row"
        if state == OPEN:
            left = c.cooldown - (self._clock() - (c.opened_at or 0.0))
            return f"{c.failures} failures in a row; retried in {max(1, round(left))} s"
        return f"{c.failures} failures in a row; probing with one request"

    def open_providers(self) -> dict[str, str]:
        """Providers to skip now -> why: open circuits, and half-open ones whose probe is under way.
        (The router's `health` input; a half-open provider without a probe stays routable so one gets sent.)"""
        result = {}
        now = self._clock()
        for provider, c in sorted(self._circuits.items()):
            state = self.state(provider)
            probing = c.probe_at is not None and now - c.probe_at < c.cooldown
            if state == OPEN or (state == HALF_OPEN and probing):
                result[provider] = self.why(provider)
        return result
