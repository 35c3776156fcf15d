import random

from mmchat.engine.metering import Meter
from mmchat.providers.errors import AuthError, RateLimitError, ServerError
from mmchat.types import Usage
from mmchat.engine.retry import MAX_RETRY_AFTER, backoff_delay, should_retry
from mmchat.sanitize import printable


def test_auth_errors_are_never_retried():
    assert not should_retry(AuthError("openai", "bad key", status=401), 1, 5)


def test_retryable_errors_retry_up_to_the_limit():
    error = ServerError("openai", "overloaded", status=503)
    assert should_retry(error, 1, 2) and should_retry(error, 2, 2)
    assert not should_retry(error, 3, 2)


def test_retry_after_is_a_floor_and_too_long_a_pause_fails():
    error = RateLimitError("groq", "slow down", status=429, retry_after=3.0)
    assert all(backoff_delay(error, 1, random.Random(s)) >= 3.0 for s in range(20))
    assert not should_retry(RateLimitError("groq", "x", retry_after=MAX_RETRY_AFTER + 1), 1, 3)


def test_backoff_grows_and_is_jittered():
    error = ServerError("openai", "500")
    rng = random.Random(1)
    first = [backoff_delay(error, 1, rng) for _ in range(50)]
    fourth = [backoff_delay(error, 4, rng) for _ in range(50)]
    assert max(first) <= 0.5 and max(fourth) <= 4.0
    assert max(fourth) > max(first)
    assert len(set(first)) > 1


class FakeClock:
    """A clock the test moves by hand (time itself, not the code under test)."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_meter_ttft_latency_and_speed():
    clock = FakeClock()
    meter = Meter(clock)
    clock.now += 0.25
    meter.first_token()
    clock.now += 0.5
    meter.first_token()  # only the first counts
    clock.now += 1.5
    metrics = meter.finish(Usage(input_tokens=10, output_tokens=81), 0.001)
    assert metrics.ttft_ms == 250
    assert metrics.latency_ms == 2250
    assert metrics.tokens_per_s == 80 / 2.0
    assert metrics.cost_usd == 0.001


def test_meter_without_tokens_has_no_ttft_or_speed():
    metrics = Meter(FakeClock()).finish(Usage(), None)
    assert metrics.ttft_ms is None and metrics.tokens_per_s is None


def test_printable_strips_escape_sequences_but_keeps_text():
    text = "a\x1b[2Jb\x1b]52;c;ZXZpbA==\x07c\r\nd\tе\x9b31m [bold]x[/]"
    out = printable(text)
    assert "\x1b" not in out and "\x07" not in out and "\x9b" not in out
    assert out == "a[2Jb]52;c;ZXZpbA==c\nd\tе31m [bold]x[/]"
