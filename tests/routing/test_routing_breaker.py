"""The circuit breaker's states, on an injected clock; and the inputs built from stored messages."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from mmchat.routing import CircuitBreaker, Conversation
from mmchat.routing.breaker import CLOSED, HALF_OPEN, OPEN


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def breaker(clock: Clock) -> CircuitBreaker:
    return CircuitBreaker(failures=3, cooldown_s=30, max_cooldown_s=100, clock=clock)


def test_it_opens_after_n_failures_in_a_row(breaker: CircuitBreaker) -> None:
    for _ in range(2):
        breaker.failed("cloud")
    assert breaker.state("cloud") == CLOSED and breaker.allows("cloud")
    assert breaker.why("cloud") == "2 failure(s) in a row"
    breaker.failed("cloud")
    assert breaker.state("cloud") == OPEN and not breaker.allows("cloud")
    assert breaker.why("cloud") == "3 failures in a row; retried in 30 s"
    assert breaker.open_providers() == {"cloud": "3 failures in a row; retried in 30 s"}
    assert breaker.allows("other")  # per provider


def test_a_success_resets_the_count(breaker: CircuitBreaker) -> None:
    breaker.failed("cloud")
    breaker.failed("cloud")
    breaker.succeeded("cloud")
    breaker.failed("cloud")
    breaker.failed("cloud")
    assert breaker.state("cloud") == CLOSED
    assert breaker.why("cloud") == "2 failure(s) in a row"


def test_after_the_cooldown_one_probe_goes_through(breaker: CircuitBreaker, clock: Clock) -> None:
    for _ in range(3):
        breaker.failed("cloud")
    clock.now += 29
    assert not breaker.allows("cloud")
    assert breaker.why("cloud") == "3 failures in a row; retried in 1 s"
    clock.now += 1
    assert breaker.state("cloud") == HALF_OPEN
    assert "cloud" not in breaker.open_providers()  # routable, so that a probe gets sent
    assert breaker.allows("cloud")  # the probe
    assert not breaker.allows("cloud")  # only one at a time
    assert breaker.open_providers() == {"cloud": "3 failures in a row; probing with one request"}


def test_a_probe_that_succeeds_closes_the_circuit(breaker: CircuitBreaker, clock: Clock) -> None:
    for _ in range(3):
        breaker.failed("cloud")
    clock.now += 30
    assert breaker.allows("cloud")
    breaker.succeeded("cloud")
    assert breaker.state("cloud") == CLOSED and breaker.allows("cloud") and breaker.allows("cloud")
    assert breaker.why("cloud") == "healthy"


def test_a_probe_that_fails_opens_it_again_for_longer(breaker: CircuitBreaker, clock: Clock) -> None:
    for _ in range(3):
        breaker.failed("cloud")
    clock.now += 30
    assert breaker.allows("cloud")
    breaker.failed("cloud")
    assert breaker.state("cloud") == OPEN
    assert breaker.why("cloud") == "4 failures in a row; retried in 60 s"
    clock.now += 60
    assert breaker.allows("cloud")
    breaker.failed("cloud")
    assert breaker.why("cloud") == "5 failures in a row; retried in 100 s"  # capped at max_cooldown_s


def test_a_probe_that_never_reports_back_stops_blocking(breaker: CircuitBreaker, clock: Clock) -> None:
    for _ in range(3):
        breaker.failed("cloud")
    clock.now += 30
    assert breaker.allows("cloud")  # a probe that is then cancelled: no outcome reported
    clock.now += 30
    assert breaker.allows("cloud")


def test_the_breaker_fits_the_engines_health_hook(breaker: CircuitBreaker) -> None:
    from mmchat.engine.turn import ProviderHealth

    health: ProviderHealth = breaker  # the protocol Engine(health=...) takes
    assert health.allows("cloud")


# --- inputs from stored messages ---------------------------------------------------------------


@dataclass
class Stored:
    role: str
    model: str | None
    status: str = "complete"
    ttft_ms: float | None = None
    tokens_per_s: float | None = None
    content: str = ""


def test_the_conversations_model_is_its_last_answer_that_did_not_fail() -> None:
    messages = (
        Stored("user", None), Stored("assistant", "cloud/mini"),
        Stored("user", None), Stored("assistant", "cloud/big", status="error"),
    )
    conversation = Conversation(messages=messages)
    assert conversation.model == "cloud/mini"
    assert conversation.turns == 2
    assert Conversation().model is None
