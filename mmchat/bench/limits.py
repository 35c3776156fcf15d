"""How many requests a bench run sends at once and how fast: overall, and per provider.

Each request takes a slot of its provider (`ProviderGate`: the config's `concurrency:`,
2 unless set; 1 for a model run in this process, which answers one at a time), then one of the run's (`--concurrency`), then a token of its provider's
bucket (`RateBucket`: the config's `rpm:`, none unless set) just before it goes out.
A retry of the same answer keeps its slots but takes a token again (`pace`, which the
engine awaits before each request of an answer after the first).

`CostLimit` is the run's `--max-cost`: it keeps answers from starting rather than
requests from going out.

A 429 lowers its provider's bound by one (never below 1); after `RAISE_AFTER`
successes in a row the bound goes up by one again, up to the configured one. The
engine has already honoured the server's Retry-After before retrying; the lowered bound
keeps the run from knocking again at the same rate.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable, Hashable, Mapping

DEFAULT_AT_ONCE = 2
RAISE_AFTER = 10  # successes in a row before a lowered bound goes up by one


class RateBucket:
    """At most `rpm` requests a minute, spread evenly: a token every 60/rpm seconds, one
    held at most (a burst would break the limit over a shorter window)."""

    def __init__(self, rpm: int, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = 60.0 / rpm
        self._clock = clock
        self._next = clock()  # when the next token may be taken
        self._lock = asyncio.Lock()

    async def take(self) -> None:
        async with self._lock:  # one waiter at a time: tokens go out in arrival order
            now = self._clock()
            wait = self._next - now
            if wait > 0:
                await asyncio.sleep(wait)
            self._next = max(now, self._next) + self.interval


class ProviderGate:
    """A provider's bound on requests at once, lowered by a 429 and raised again slowly."""

    def __init__(self, limit: int) -> None:
        self.configured = limit
        self.limit = limit
        self.running = 0
        self.lowered = 0  # how many times a 429 lowered it (for the run's record)
        self._streak = 0
        self._waiters: list[asyncio.Future[None]] = []

    async def acquire(self) -> None:
        while self.running >= self.limit:
            waiter = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            try:
                await waiter
            except asyncio.CancelledError:
                if waiter.done() and not waiter.cancelled():
                    self._wake()  # woken, then cancelled: the slot goes to the next waiter
                raise
            finally:
                if waiter in self._waiters:
                    self._waiters.remove(waiter)
        self.running += 1

    def lower(self) -> None:
        """A request met a 429: one request fewer at once from now on (never below 1)."""
        self._streak = 0
        if self.limit > 1:
            self.limit -= 1
            self.lowered += 1

    def release(self, *, succeeded: bool) -> None:
        """Frees a slot; `succeeded`: its request completed without meeting a 429."""
        self.running -= 1
        if succeeded:
            self._streak += 1
            if self._streak >= RAISE_AFTER and self.limit < self.configured:
                self.limit += 1
                self._streak = 0
        self._wake()

    def _wake(self) -> None:
        """Wakes as many waiters as there are free slots; each checks again when it runs."""
        for waiter in [w for w in self._waiters if not w.done()][: max(0, self.limit - self.running)]:
            waiter.set_result(None)


class Outcome:
    """What a request met, told by its holder: a 429 lowers its provider's bound at once."""

    def __init__(self, gate: ProviderGate) -> None:
        self._gate = gate
        self.limited = False
        self.succeeded = False

    def rate_limited(self) -> None:
        if not self.limited:  # once per request, however many times it is retried
            self.limited = True
            self._gate.lower()


class Limits:
    """The run's bound and each provider's: `async with limits.slot(provider) as outcome`."""

    def __init__(self, concurrency: int, providers: Mapping[str, tuple[int, int | None]]) -> None:
        """`providers`: name → (requests at once, requests a minute or None)."""
        if concurrency < 1:
            raise ValueError(f"a run needs at least 1 request at once, not {concurrency}")
        self._overall = asyncio.Semaphore(concurrency)
        self.gates = {name: ProviderGate(at_once) for name, (at_once, _) in providers.items()}
        self._buckets = {name: RateBucket(rpm) for name, (_, rpm) in providers.items() if rpm}

    async def pace(self, provider: str) -> None:
        """Before a request of an answer after its first (the engine's retry): a token of the
        provider's rate, so retries count in its `rpm:` too. The answer keeps its slots."""
        if bucket := self._buckets.get(provider):
            await bucket.take()

    @contextlib.asynccontextmanager
    async def slot(self, provider: str) -> AsyncIterator[Outcome]:
        # The provider's slot first: a request waiting for its provider holds none of the run's.
        gate = self.gates.get(provider)
        if gate is None:  # a provider the config does not name: the default bound
            gate = self.gates[provider] = ProviderGate(DEFAULT_AT_ONCE)
        await gate.acquire()
        outcome = Outcome(gate)
        try:
            async with self._overall:
                if bucket := self._buckets.get(provider):
                    await bucket.take()
                yield outcome
        finally:
            gate.release(succeeded=outcome.succeeded and not outcome.limited)


class CostLimit:
    """A run's cost limit (`--max-cost`; None: none): no answer starts when what the run has
    spent, what its running answers are expected to cost and its own expected cost would
    pass it, and once one may not start, none may. An answer is expected to cost what its
    model's answers have cost on average in the run, before any the router's estimate."""

    def __init__(self, limit: float | None) -> None:
        self.limit = limit
        self.reached = False
        self._costs: dict[str, tuple[float, int]] = {}  # model → (cost, answers) of its priced answers
        self._running: dict[Hashable, float] = {}  # a running answer → what it is expected to cost

    def observe(self, model: str, cost: float) -> None:
        """A priced answer of `model` ended (or was stored before a resume) costing `cost`."""
        total, answers = self._costs.get(model, (0.0, 0))
        self._costs[model] = (total + cost, answers + 1)

    def expected(self, model: str, estimate: float | None, judges: float = 0.0) -> float:
        """What an answer of `model` is expected to cost, with `judges` × as much again for its
        judges; `estimate` is the router's, used before the model has a priced answer (None: 0)."""
        cost, answers = self._costs.get(model, (0.0, 0))
        each = cost / answers if answers else estimate or 0.0
        return each * (1 + judges)

    def admit(self, answer: Hashable, expected: float, spent: float) -> bool:
        """Whether `answer`, expected to cost `expected`, may start with `spent` spent so far;
        admitted, it counts until `release`."""
        if self.limit is not None and not self.reached:
            self.reached = spent + sum(self._running.values()) + expected > self.limit
        if not self.reached:
            self._running[answer] = expected
        return not self.reached

    def release(self, answer: Hashable) -> None:
        """`answer` ended (its cost is now spent) or never ran."""
        self._running.pop(answer, None)
