"""The turn loop: save, send, stream, retry, meter, save again. No UI here.

The same engine drives the TUI, `mmchat ask`, the benchmarks and the tests.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx

from mmchat import keys
from mmchat.catalog import Catalog, ModelInfo, cost_usd, is_local
from mmchat.config import Config, ProviderConfig
from mmchat.context_window import ContextTooSmall, fit_to_context, output_reserve
from mmchat.events import EngineEvent, Retrying, TurnFailed, TurnFinished, TurnStarted
from mmchat.metering import Meter
from mmchat.providers import build_provider
from mmchat.providers.base import Provider
from mmchat.providers.errors import AuthError, ProviderError
from mmchat.providers.types import (
    ChatMessage,
    ChatRequest,
    Finish,
    ReasoningDelta,
    TextDelta,
    Usage,
)
from mmchat.retry import backoff_delay, should_retry
from mmchat.store import Store
from mmchat.tokens import count_text

SAVE_INTERVAL_S = 0.5  # how often a streaming answer is written to the database


class NoModelError(Exception):
    """No model was asked for and the config names no default."""


class Engine:
    def __init__(
        self,
        config: Config,
        store: Store,
        catalog: Catalog | None = None,
        *,
        client: httpx.AsyncClient | None = None,
        key_lookup: Callable[[ProviderConfig], str | None] = keys.resolve_key,
        sleep: Callable[[float], Any] = asyncio.sleep,
    ) -> None:
        self.config = config
        self.store = store
        self.catalog = catalog or Catalog.build(config)
        self._client = client
        self._key_lookup = key_lookup
        self._sleep = sleep
        self._providers: dict[str, Provider] = {}

    def model(self, address: str | None) -> ModelInfo:
        """The catalog entry for `address`, or for the default model when None."""
        address = address or self.config.default_model
        if not address:
            raise NoModelError(
                "no model given and no default_model in the config: "
                "pass -m provider/model or set default_model"
            )
        return self.catalog.resolve(address)

    def provider(self, name: str) -> Provider:
        """The provider named `name`, built on first use (its key is looked up then)."""
        provider = self._providers.get(name)
        if provider is None:
            pconfig = self.config.providers[name]
            key = self._key_lookup(pconfig)
            if key:
                keys.register_secret(key)
            elif not is_local(pconfig):
                variables = " or ".join(keys.key_env_names(pconfig)) or "api_key_env in the config"
                raise AuthError(name, f"no API key: set {variables}, or run `mmchat keys set {name}`")
            provider = build_provider(pconfig, key, self._client)
            self._providers[name] = provider
        return provider

    async def aclose(self) -> None:
        for provider in self._providers.values():
            await provider.aclose()
        self._providers.clear()

    async def turn(
        self,
        prompt: str,
        *,
        model: str | None = None,
        conversation_id: int | None = None,
        params: dict[str, Any] | None = None,
    ) -> AsyncIterator[EngineEvent]:
        """Run one turn: the user's `prompt` answered by `model` (an address).

        The user's message is stored before any network I/O; the answer is stored
        as it streams and marked interrupted if the turn is cancelled.
        """
        info = self.model(model)
        params = {**info.params, **(params or {})}
        if conversation_id is None:
            conversation_id = self.store.create_conversation()
        user_id = self.store.add_message(conversation_id, "user", prompt)
        answer_id = self.store.add_message(
            conversation_id,
            "assistant",
            "",
            status="pending",
            provider=info.provider,
            model=info.address,
            params=params,
        )
        run = _TurnRun(self, info, conversation_id, answer_id, params)
        history = [
            ChatMessage(m.role, m.content)
            for m in self.store.path(conversation_id)
            if m.id != answer_id and m.role in ("system", "user", "assistant") and m.content
        ]
        async for event in run.stream(history, user_id):
            yield event


class _TurnRun:
    """The state of one running turn: its text so far, meter and attempts log."""

    def __init__(
        self,
        engine: Engine,
        info: ModelInfo,
        conversation_id: int,
        answer_id: int,
        params: dict[str, Any],
    ) -> None:
        self.engine = engine
        self.store = engine.store
        self.info = info
        self.conversation_id = conversation_id
        self.answer_id = answer_id
        self.params = params
        self.pieces: list[str] = []
        self.reasoning_chars = 0
        self.attempts: list[dict[str, Any]] = []
        self.input_estimate = 0
        self.meter = Meter()
        self.last_save = time.monotonic()

    def _count(self, text: str) -> int:
        return count_text(text, self.info.address).tokens

    async def stream(self, history: list[ChatMessage], user_id: int) -> AsyncIterator[EngineEvent]:
        try:
            fit = self._fit(history)
        except ContextTooSmall as exc:
            yield self._fail("context_length", f"{self.info.address}: {exc}")
            return
        self.input_estimate = fit.input_tokens
        yield TurnStarted(
            self.conversation_id, user_id, self.answer_id, self.info, fit.input_tokens, fit.dropped
        )
        request = ChatRequest(self.info.model_id, tuple(fit.messages), self.params)
        try:
            async for event in self._attempts(request):
                yield event
        except (asyncio.CancelledError, GeneratorExit, KeyboardInterrupt):
            self._save_end("interrupted", None, "cancelled by the user")
            raise

    def _fit(self, history: list[ChatMessage]):
        context = self.info.context
        reserve = 0
        if context:
            reserve = output_reserve(context, self.info.max_output, self.params.get("max_tokens"))
        return fit_to_context(history, context, reserve, self._count)

    async def _attempts(self, request: ChatRequest) -> AsyncIterator[EngineEvent]:
        attempt = 0
        while True:
            attempt += 1
            try:
                provider = self.engine.provider(self.info.provider)
                # Time the request itself, not fitting the history or loading the provider.
                self.meter = Meter()
                async for event in self._one_attempt(provider, request):
                    yield event
                return
            except ProviderError as error:
                reason = keys.redact(str(error))
                self.attempts.append(
                    {"model": self.info.address, "attempt": attempt, "kind": error.kind, "error": reason}
                )
                max_retries = self.engine.config.providers[self.info.provider].max_retries
                if self.pieces or not should_retry(error, attempt, max_retries):
                    yield self._fail(error.kind, reason)
                    return
                delay = backoff_delay(error, attempt)
                self.attempts[-1]["retry_in_s"] = round(delay, 3)
                self.store.update_message(self.answer_id, attempts=self.attempts)
                yield Retrying(attempt + 1, delay, reason)
                await self.engine._sleep(delay)

    async def _one_attempt(self, provider: Provider, request: ChatRequest) -> AsyncIterator[EngineEvent]:
        usage: Usage | None = None
        async for event in provider.stream(request):
            if type(event) is TextDelta:
                self.meter.first_token()
                self.pieces.append(event.text)
                now = time.monotonic()
                if now - self.last_save >= SAVE_INTERVAL_S:
                    self.last_save = now
                    self.store.update_message(self.answer_id, content="".join(self.pieces))
                yield event
            elif type(event) is ReasoningDelta:
                self.meter.first_token()
                self.reasoning_chars += len(event.text)
                yield event
            elif type(event) is Usage:
                usage = event
            elif type(event) is Finish:
                metrics = self._save_end("complete", usage, None)
                yield TurnFinished(self.answer_id, event.reason, metrics)

    def _estimated_usage(self) -> Usage:
        text = "".join(self.pieces)
        return Usage(
            input_tokens=self.input_estimate,
            output_tokens=self._count(text) if text else 0,
            # Reasoning text is not kept; ~4 characters a token is the usual rule of thumb.
            reasoning_tokens=self.reasoning_chars // 4,
            estimated=True,
        )

    def _save_end(self, status: str, usage: Usage | None, error: str | None):
        usage = usage or self._estimated_usage()
        metrics = self.meter.finish(usage, cost_usd(usage, self.info.price))
        self.store.update_message(
            self.answer_id,
            content="".join(self.pieces),
            status=status,
            error=error,
            usage=usage,
            ttft_ms=metrics.ttft_ms,
            latency_ms=metrics.latency_ms,
            tokens_per_s=metrics.tokens_per_s,
            cost_usd=metrics.cost_usd,
            attempts=self.attempts,
            finished=True,
        )
        return metrics

    def _fail(self, kind: str, reason: str) -> TurnFailed:
        partial = bool(self.pieces)
        metrics = self._save_end("interrupted" if partial else "error", None, reason)
        return TurnFailed(self.answer_id, kind, reason, partial, metrics)
