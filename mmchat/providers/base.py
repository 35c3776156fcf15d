"""HTTPProvider: the base of every provider reached over HTTP, and the streaming loop they share.

It implements the Provider protocol (`mmchat.providers.protocol`). A wire
protocol's module supplies the URL, headers, body and a `StreamParser`; this
module owns the HTTP exchange: timeouts by phase (connect, first token, idle),
turning HTTP statuses and transport failures into typed errors, redacting
secrets from error text, and closing the response however the stream ends.
"""

from __future__ import annotations

import asyncio
import json
import re
import ssl
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Sequence
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from functools import cache
from typing import Any, ClassVar

import httpx

from mmchat.config import ProviderConfig
from mmchat.providers.errors import (
    AuthError,
    BadRequestError,
    BadResponseError,
    ConnectionDropped,
    ContextLengthError,
    ProviderError,
    ProviderTimeout,
    RateLimitError,
    ServerError,
    UnreachableError,
)
from mmchat.providers.sse import NDJSONDecoder, SSEDecoder
from mmchat.types import ChatRequest, Finish, StreamEvent, Usage

MAX_ERROR_CHARS = 200  # of a provider's own error message quoted in ours
MAX_ERROR_BODY = 64 * 1024  # bytes of an error body worth reading
DRAIN_SECONDS = 0.25  # reading the rest of a finished body lets the connection be reused
LIST_READ_TIMEOUT = 5.0  # seconds, at most, to wait for a model list after connecting
MAX_MODEL_PAGES = 10

NO_EVENTS: tuple[StreamEvent, ...] = ()  # what a parser returns for an item without deltas

# Phrases providers use when the prompt does not fit the context window
# (OpenAI/vLLM, Anthropic, Gemini, llama.cpp, …); matched on 400/413 answers and
# errors inside a stream only, so a rate-limit message about tokens never matches.
_CONTEXT_PHRASES = re.compile(
    r"context_length_exceeded|context length|context window|context size|prompt is too long"
    r"|input is too long|exceeds the maximum number of tokens|input token count"
)
_SECRET_HEADER = re.compile(r"key|auth|token|secret|cookie", re.IGNORECASE)


class StreamParser(ABC):
    """Turns one protocol's decoded stream items into StreamEvents; one per stream.

    `feed` returns the text/reasoning deltas of one item and records the finish
    reason and usage; `done` is set when the protocol's terminal marker arrives
    (reading stops there); `end` gives the closing [Usage, Finish] events.
    """

    __slots__ = ("provider", "done", "finish", "usage")

    def __init__(self, provider: str) -> None:
        self.provider = provider
        self.done = False
        self.finish: str | None = None
        self.usage: Usage | None = None

    @abstractmethod
    def feed(self, item: Any) -> list[StreamEvent] | tuple[StreamEvent, ...]: ...

    def end(self) -> list[StreamEvent]:
        """The closing events; the stream is incomplete without a finish reason.

        Usage is included only when the provider reported it (the caller estimates otherwise).
        """
        if self.finish is None:
            raise ConnectionDropped(
                self.provider, "the stream ended before the answer was complete (no finish marker)"
            )
        if self.usage is None:
            return [Finish(self.finish)]
        return [self.usage, Finish(self.finish)]


class _Watchdog:
    """The first-token and idle timeouts of one stream, kept with a single timer.

    A timeout context per chunk would arm a timer per chunk on the hot path;
    this timer is re-armed only when it fires early. It cancels the task only
    while the stream waits for data (`reading`), never while the consumer holds
    an event, and `fired` tells that cancellation from the caller's.
    """

    __slots__ = ("_loop", "_idle", "_handle", "task", "first_phase", "reading", "since", "fired")

    def __init__(self, loop: asyncio.AbstractEventLoop, first_token: float, idle: float) -> None:
        self._loop = loop
        self._idle = idle
        self.task = asyncio.current_task()
        self.first_phase = True  # until the first token: one deadline from the request
        self.reading = True  # set by the stream around each wait for data
        self.since = loop.time()  # when the current wait began
        self.fired = False
        self._handle = loop.call_at(self.since + first_token, self._fire)

    @property
    def phase(self) -> str:
        return "first_token" if self.first_phase else "idle"

    def got_token(self) -> None:
        self.first_phase = False
        self._handle.cancel()
        self._handle = self._loop.call_at(self._loop.time() + self._idle, self._check_idle)

    def stop(self) -> None:
        self._handle.cancel()

    def _check_idle(self) -> None:
        now = self._loop.time()
        if self.reading and now - self.since >= self._idle:
            self._fire()
        else:
            due = (self.since if self.reading else now) + self._idle
            self._handle = self._loop.call_at(due, self._check_idle)

    def _fire(self) -> None:
        if self.task is not None:
            self.fired = True
            self.task.cancel()


# What a parser raises on data of the wrong shape (a bad response, not a bug).
_PARSE_ERRORS = (ValueError, TypeError, AttributeError, KeyError, IndexError)


class HTTPProvider(ABC):
    """One configured HTTP endpoint speaking one wire protocol (a Provider)."""

    stream_format: ClassVar[str] = "sse"  # or "ndjson"
    models_query: ClassVar[dict[str, str]] = {}  # query of every model-list request (page size)

    def __init__(
        self, config: ProviderConfig, api_key: str | None, client: httpx.AsyncClient | None = None
    ) -> None:
        self.config = config
        self.name = config.name
        self._base = config.base_url.rstrip("/")
        self._own_client: httpx.AsyncClient | None = None
        self._shared_client = client
        self._headers = {**self._auth_headers(api_key or None), **config.headers}
        self._stream_headers = {
            **self._headers,
            "Accept": "application/x-ndjson" if self.stream_format == "ndjson" else "text/event-stream",
            # A compressed stream can hold tokens back in the decompressor.
            "Accept-Encoding": "identity",
        }
        secrets = [api_key or ""] + [v for k, v in config.headers.items() if _SECRET_HEADER.search(k)]
        self._secrets = sorted({s for s in secrets if len(s) >= 4}, key=len, reverse=True)
        t = config.timeouts
        # Read gaps are policed by `stream` itself (first token, idle), not by httpx.
        self._stream_timeout = httpx.Timeout(t.connect, read=None, write=t.connect, pool=t.connect)
        list_read = min(LIST_READ_TIMEOUT, t.first_token)
        self._list_timeout = httpx.Timeout(t.connect, read=list_read, write=t.connect, pool=t.connect)

    @property
    def _client(self) -> httpx.AsyncClient:
        """The shared client, or one of our own made on first use."""
        if self._shared_client is not None:
            return self._shared_client
        if self._own_client is None:
            self._own_client = httpx.AsyncClient(verify=_ssl_context())
        return self._own_client

    def prepare(self) -> None:
        """Build the HTTP client and import what its first request needs (before any turn)."""
        # Imported on the first request otherwise, inside its time to first token.
        import anyio._backends._asyncio  # noqa: F401
        import anyio.streams.tls  # noqa: F401
        import httpcore._async.http11  # noqa: F401

        self._client  # noqa: B018  (the property builds the client and its TLS context)

    # ---- what each protocol supplies -------------------------------------------------

    @abstractmethod
    def _auth_headers(self, api_key: str | None) -> dict[str, str]: ...

    @abstractmethod
    def _stream_url(self, request: ChatRequest) -> str: ...

    @abstractmethod
    def _body(self, request: ChatRequest) -> dict[str, Any]: ...

    @abstractmethod
    def _parser(self) -> StreamParser: ...

    @abstractmethod
    def _models_url(self) -> str: ...

    @abstractmethod
    def _models_page(self, data: Any) -> tuple[list[str], dict[str, str] | None]:
        """The model ids of one page of the listing, and the query for the next page (or None)."""

    # ---- streaming ---------------------------------------------------------------------

    async def stream(self, request: ChatRequest) -> AsyncIterator[StreamEvent]:
        """Stream one answer: TextDelta/ReasoningDelta…, then Usage (when reported) and Finish.

        Raises a ProviderError subclass. Closing the generator (or cancelling the
        task) closes the HTTP response at once.
        """
        timeouts = self.config.timeouts
        parser = self._parser()
        decoder = NDJSONDecoder() if self.stream_format == "ndjson" else SSEDecoder()
        http_request = self._client.build_request(
            "POST",
            self._stream_url(request),
            json=self._body(request),
            headers=self._stream_headers,
            timeout=self._stream_timeout,
        )
        loop = asyncio.get_running_loop()
        watchdog = _Watchdog(loop, timeouts.first_token, timeouts.idle)
        response: httpx.Response | None = None
        try:
            response = await self._client.send(http_request, stream=True)
            if not 200 <= response.status_code < 300:
                raise await self._status_error(response, request.model)
            await self._check_content_type(response)
            chunks = response.aiter_bytes()
            eof = False
            while not parser.done:
                watchdog.reading = True
                watchdog.since = loop.time()
                try:
                    chunk = await anext(chunks)
                except StopAsyncIteration:
                    eof = True
                    break
                watchdog.reading = False
                try:
                    items = decoder.feed(chunk)
                except ValueError as exc:
                    raise BadResponseError(self.name, f"malformed JSON line in the stream ({exc})") from None
                if len(items) == 1:  # the usual chunk: one event, parsed inline
                    try:
                        events = parser.feed(items[0])
                    except ProviderError:
                        raise
                    except _PARSE_ERRORS as exc:
                        raise self._format_error(exc) from None
                else:
                    events = self._parse_items(items, parser)
                if events:
                    if watchdog.first_phase:
                        watchdog.got_token()
                    for event in events:
                        yield event
            watchdog.stop()
            if eof and isinstance(decoder, NDJSONDecoder):
                for event in self._parse_items(decoder.close(), parser):
                    yield event
            for event in parser.end():
                yield event
            if not eof:
                await _drain(chunks)
        except ProviderError as exc:
            raise self._redact(exc)
        except asyncio.CancelledError:
            if not (watchdog.fired and watchdog.task.uncancel() == 0):
                raise  # cancelled by the caller, not by our timeout
            phase = watchdog.phase
            if phase == "first_token":
                message = f"no answer began within {timeouts.first_token:g}s (timeouts.first_token)"
            else:
                message = f"the stream stalled: no data for {timeouts.idle:g}s (timeouts.idle)"
            raise self._redact(ProviderTimeout(self.name, message, phase=phase)) from None
        except httpx.HTTPError as exc:
            raise self._redact(self._transport_error(exc, "answer")) from exc
        finally:
            watchdog.stop()
            if response is not None:
                await response.aclose()

    def _parse_items(self, items: list[Any], parser: StreamParser) -> list[StreamEvent]:
        events: list[StreamEvent] = []
        for item in items:
            found = self._parse_one(item, parser)
            if found:
                events += found
            if parser.done:
                break
        return events

    def _parse_one(self, item: Any, parser: StreamParser) -> Sequence[StreamEvent]:
        try:
            return parser.feed(item)
        except ProviderError:
            raise
        except _PARSE_ERRORS as exc:
            raise self._format_error(exc) from None

    def _format_error(self, exc: Exception) -> BadResponseError:
        return BadResponseError(self.name, f"the stream is not in the expected format ({_clip(str(exc))})")

    async def _check_content_type(self, response: httpx.Response) -> None:
        """A JSON or HTML answer where a stream was expected is an error page, not a stream."""
        ctype = response.headers.get("content-type", "")
        if "application/json" in ctype or "text/html" in ctype:
            body = await _read_limited(response)
            message, codes = error_details(body)
            if "application/json" in ctype and codes:
                raise classify_error(self.name, None, message, codes)
            raise BadResponseError(
                self.name, f"expected a streamed answer but got {ctype.split(';')[0]}: {message}"
            )

    async def _status_error(self, response: httpx.Response, model: str | None) -> ProviderError:
        body = await _read_limited(response)
        message, codes = error_details(body)
        if 300 <= response.status_code < 400:
            where = response.headers.get("location", "elsewhere")
            return BadRequestError(
                self.name,
                f"redirected (HTTP {response.status_code}) to {where} — check base_url",
                status=response.status_code,
            )
        return classify_error(
            self.name,
            response.status_code,
            message,
            codes,
            retry_after=parse_retry_after(response.headers),
            model=model,
        )

    # ---- model listing ------------------------------------------------------------------

    async def list_models(self) -> list[str]:
        """The provider's model ids; raises a ProviderError subclass."""
        ids: list[str] = []
        params = self.models_query
        try:
            for _ in range(MAX_MODEL_PAGES):
                response = await self._client.get(
                    self._models_url(), params=params, headers=self._headers, timeout=self._list_timeout
                )
                if not 200 <= response.status_code < 300:
                    raise await self._status_error(response, None)
                try:
                    page, next_page = self._models_page(response.json())
                except (ValueError, TypeError, AttributeError, KeyError) as exc:
                    raise BadResponseError(
                        self.name, f"the model list is not in the expected format ({_clip(str(exc))})"
                    ) from None
                ids += page
                if not next_page:
                    break
                params = {**self.models_query, **next_page}
        except ProviderError as exc:
            raise self._redact(exc)
        except httpx.HTTPError as exc:
            raise self._redact(self._transport_error(exc, "model list")) from exc
        return ids

    async def aclose(self) -> None:
        if self._own_client is not None:
            await self._own_client.aclose()
            self._own_client = None

    # ---- errors -------------------------------------------------------------------------

    def _transport_error(self, exc: httpx.HTTPError, what: str) -> ProviderError:
        detail = _clip(str(exc) or type(exc).__name__)
        t = self.config.timeouts
        if isinstance(exc, httpx.ConnectTimeout):
            return ProviderTimeout(
                self.name,
                f"could not connect to {self._base} within {t.connect:g}s (timeouts.connect)",
                phase="connect",
            )
        if isinstance(exc, httpx.ReadTimeout):
            return ProviderTimeout(self.name, f"no {what} arrived in time ({detail})", phase="first_token")
        if isinstance(exc, httpx.TimeoutException):
            return ProviderTimeout(self.name, f"timed out sending the request ({detail})", phase="connect")
        if isinstance(exc, httpx.ConnectError):
            return UnreachableError(
                self.name,
                f"cannot connect to {self._base} ({detail}) — is it running and is base_url right?",
            )
        if isinstance(exc, (httpx.InvalidURL, httpx.UnsupportedProtocol)):
            return BadRequestError(self.name, f"invalid base_url {self._base!r} ({detail})")
        if isinstance(exc, httpx.DecodingError):
            return BadResponseError(self.name, f"could not decode the {what} ({detail})")
        if isinstance(exc, httpx.ProxyError):
            return UnreachableError(self.name, f"cannot reach {self._base} ({detail})")
        return ConnectionDropped(self.name, f"the connection dropped during the {what} ({detail})")

    def _redact(self, exc: ProviderError) -> ProviderError:
        """Replace any secret in the message with ***; returns the same exception."""
        message = exc.message
        for secret in self._secrets:
            if secret in message:
                message = message.replace(secret, "***")
        if message != exc.message:
            exc.message = message
            exc.args = (f"{exc.provider}: {message}",)
        return exc


# ---- shared helpers (also used by the protocol parsers) -------------------------------


def classify_error(
    provider: str,
    status: int | None,
    message: str,
    codes: str = "",
    *,
    retry_after: float | None = None,
    model: str | None = None,
) -> ProviderError:
    """The typed error for an HTTP status (None: an error reported inside a stream)
    with the provider's own message and error code/type words."""
    said = _clip(message) or "no details given"
    words = f"{message} {codes}".lower()
    http = f" (HTTP {status})" if status else ""
    if status in (None, 400, 413) and _CONTEXT_PHRASES.search(words):
        return ContextLengthError(
            provider, f"the conversation is too long for the model's context window: {said}", status=status
        )
    if status == 401 or "authentication_error" in words or "api_key_invalid" in words:
        message = f"authentication failed{http} — check the API key: {said}"
        return AuthError(provider, message, status=status)
    if status == 403 or "permission_error" in words:
        message = f"permission denied{http} — check the key's access: {said}"
        return AuthError(provider, message, status=status)
    if status == 429 or "rate_limit" in words or "resource_exhausted" in words:
        wait = f"; retry after {retry_after:g}s" if retry_after is not None else ""
        return RateLimitError(
            provider, f"rate limited{http}: {said}{wait}", status=status, retry_after=retry_after
        )
    if status == 529 or "overloaded" in words:
        return ServerError(provider, f"overloaded{http}, try again later: {said}", status=status)
    if status is None or status >= 500:
        return ServerError(provider, f"server error{http}: {said}", status=status)
    if status == 404:
        what = f"model {model!r}" if model else "endpoint"
        return BadRequestError(
            provider, f"not found (HTTP 404) — check the {what} and base_url: {said}", status=status
        )
    return BadRequestError(provider, f"request rejected{http}: {said}", status=status)


def error_details(body: bytes) -> tuple[str, str]:
    """(message, code words) from an error body in any of the protocols' shapes:
    {"error": {"message", "type", "code", "status"}}, {"error": "text"}, or plain text."""
    text = body.decode("utf-8", "replace").strip()
    try:
        data = json.loads(text)
    except ValueError:
        if text.startswith("<"):
            return "an HTML page (is base_url right?)", ""
        return text, ""
    if isinstance(data, list) and data:
        data = data[0]
    if not isinstance(data, dict):
        return text, ""
    return _details(data, text)


def stream_error(provider: str, data: dict[str, Any], status: int | None = None) -> ProviderError:
    """The typed error for an error object sent inside a stream instead of an HTTP status."""
    error = data.get("error")
    if status is None and isinstance(error, dict) and isinstance(error.get("code"), int):
        status = error["code"]  # some gateways (OpenRouter, Gemini) put the HTTP status here
    message, codes = _details(data, "")
    return classify_error(provider, status, message, codes)


def _details(data: dict[str, Any], text: str) -> tuple[str, str]:
    error = data.get("error", data)
    if isinstance(error, str):
        return error, str(data.get("code") or "")
    if not isinstance(error, dict):
        return text or str(error), ""
    message = error.get("message") or error.get("detail") or text
    codes = [error.get(k) for k in ("type", "code", "status")]
    for detail in error.get("details") or ():
        if isinstance(detail, dict):
            codes.append(detail.get("reason"))
    return str(message), " ".join(str(c) for c in codes if c)


def parse_retry_after(headers: httpx.Headers) -> float | None:
    """Seconds to wait from `retry-after-ms`, or `Retry-After` in seconds or as an HTTP date."""
    millis = headers.get("retry-after-ms")
    if millis:
        try:
            return max(0.0, float(millis) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


@cache
def _ssl_context() -> ssl.SSLContext:
    # Loading the CA bundle takes tens of milliseconds: do it once for all providers.
    return httpx.create_ssl_context()


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_ERROR_CHARS else text[: MAX_ERROR_CHARS - 1] + "…"


async def _read_limited(response: httpx.Response) -> bytes:
    parts: list[bytes] = []
    size = 0
    async for part in response.aiter_bytes():
        parts.append(part)
        size += len(part)
        if size >= MAX_ERROR_BODY:
            break
    return b"".join(parts)


async def _drain(chunks: AsyncIterator[bytes]) -> None:
    """Read what is left of a finished body so the connection can be reused; never fails."""
    try:
        async with asyncio.timeout(DRAIN_SECONDS):
            async for _ in chunks:
                pass
    except (TimeoutError, httpx.HTTPError):
        pass
