"""How long to wait before trying a failed request again."""

from __future__ import annotations

import random

from mmchat.providers.errors import ProviderError

BASE_DELAY = 0.5  # seconds before the first retry (before jitter)
MAX_DELAY = 20.0  # no backoff step waits longer than this
MAX_RETRY_AFTER = 60.0  # a server asking for a longer pause fails the turn instead


def should_retry(error: ProviderError, attempt: int, max_retries: int) -> bool:
    """`attempt` counts the tries made so far (1 after the first failure)."""
    if not error.retryable or attempt > max_retries:
        return False
    return error.retry_after is None or error.retry_after <= MAX_RETRY_AFTER


def backoff_delay(error: ProviderError, attempt: int, rng: random.Random | None = None) -> float:
    """Exponential backoff with full jitter; a server's Retry-After is honoured as a floor."""
    rng = rng or random
    ceiling = min(MAX_DELAY, BASE_DELAY * 2 ** (attempt - 1))
    delay = rng.uniform(0, ceiling)
    if error.retry_after is not None:
        delay = max(delay, error.retry_after)
    return delay
