"""Typed provider errors: each says which provider failed and why, never a key."""

from __future__ import annotations


class ProviderError(Exception):
    """Base of every failure talking to a provider.

    `retryable` tells the engine whether the same request may be tried again
    (with backoff) before the first token has arrived.
    """

    retryable = False
    kind = "error"
    # False when the request itself was at fault (too long, rejected): the
    # provider is healthy and a circuit breaker must not count it.
    counts_against_provider = True

    def __init__(
        self,
        provider: str,
        message: str,
        *,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(f"{provider}: {message}")
        self.provider = provider
        self.message = message
        self.status = status
        self.retry_after = retry_after


class AuthError(ProviderError):
    """401/403: the key is missing, wrong or lacks permission. Never retried."""

    kind = "auth"


class RateLimitError(ProviderError):
    """429: too many requests; `retry_after` holds the server's Retry-After in seconds."""

    retryable = True
    kind = "rate_limit"


class ServerError(ProviderError):
    """5xx or an explicit 'overloaded' answer."""

    retryable = True
    kind = "server"


class ProviderTimeout(ProviderError):
    """No answer in time; `phase` is 'connect', 'first_token' or 'idle'."""

    retryable = True
    kind = "timeout"

    def __init__(self, provider: str, message: str, *, phase: str, **kw) -> None:
        super().__init__(provider, message, **kw)
        self.phase = phase


class ContextLengthError(ProviderError):
    """The conversation does not fit the model's context window."""

    kind = "context_length"
    counts_against_provider = False


class BadRequestError(ProviderError):
    """Another 4xx: unknown model, invalid parameter, …"""

    kind = "bad_request"
    counts_against_provider = False


class BadResponseError(ProviderError):
    """The provider answered something that is not its documented wire format."""

    kind = "bad_response"


class ConnectionDropped(ProviderError):
    """The connection closed before the stream said it was finished."""

    retryable = True
    kind = "dropped"


class UnreachableError(ProviderError):
    """Could not connect at all (refused, DNS, TLS)."""

    retryable = True
    kind = "unreachable"
