"""The turn loop: save, send, stream, retry, meter, save again. No UI here.

The same engine drives the TUI, `mmchat ask`, the benchmarks and the tests.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import httpx

from mmchat import keys
from mmchat.catalog import Catalog, ModelInfo, UnknownModel, cost_usd
from mmchat.config import Config, ProviderConfig
from mmchat.engine.context_window import ContextTooSmall, fit_to_context
from mmchat.engine.events import EngineEvent, FallingBack, Retrying, TurnFailed, TurnFinished, TurnStarted
from mmchat.engine.metering import Meter, tokens_from_chars
from mmchat.types import TurnMetrics
from mmchat.providers import build_provider
from mmchat import provider_types
from mmchat.provider_types import needs_key
from mmchat.providers import Provider
from mmchat.providers.errors import AuthError, ProviderError
from mmchat.types import (
    ChatMessage,
    ChatRequest,
    Finish,
    ReasoningDelta,
    TextDelta,
    Usage,
)
from mmchat.engine.retry import backoff_delay, should_retry
from mmchat.sanitize import utf8_text
from mmchat.engine.sinks import Sink
from mmchat.store import AnswerEnd, NewAnswer
from mmchat.tokens import count_text, output_reserve

SAVE_INTERVAL_S = 0.5  # how often a streaming answer is written to the database


class ProviderHealth(Protocol):
    """Which providers may be tried now (a circuit breaker), told of every outcome."""

    def allows(self, provider: str) -> bool: ...

    def why(self, provider: str) -> str: ...

    def succeeded(self, provider: str) -> None: ...

    def failed(self, provider: str) -> None: ...


class NoModelError(Exception):
    """No model was asked for and the config names no default."""


class Engine:
    def __init__(
        self,
        config: Config,
        sink: Sink,
        catalog: Catalog | None = None,
        *,
        client: httpx.AsyncClient | None = None,
        key_lookup: Callable[[ProviderConfig], str | None] = keys.resolve_key,
        sleep: Callable[[float], Any] = asyncio.sleep,
        health: ProviderHealth | None = None,
        pace: Callable[[str], Awaitable[None]] | None = None,
    ) -> None:
        """`pace(provider)`, when given, is awaited before each request of an answer after its
        first (a retry, a fallback): a bench run takes a token of the provider's rate limit there."""
        self.config = config
        self.sink = sink  # where turns are written: the user's Store, or another Sink
        self.catalog = catalog or Catalog.build(config)
        self._client = client
        self._key_lookup = key_lookup
        self._sleep = sleep
        self.health = health
        self.pace = pace
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
            # An in-process model takes no key: the keyring (which can take seconds) is not asked.
            key = None if provider_types.get(pconfig.type).in_process else self._key_lookup(pconfig)
            if key:
                keys.register_secret(key)
            elif needs_key(pconfig):
                variables = " or ".join(keys.key_env_names(pconfig)) or "api_key_env in the config"
                raise AuthError(name, f"no API key: set {variables}, or run `mmchat keys set {name}`")
            provider = build_provider(pconfig, key, self._client)
            self._providers[name] = provider
        return provider

    def prepare(self, address: str | None = None) -> bool:
        """Do now, off the clock, what the first turn to `address` would: build its
        provider and HTTP client (TLS setup) and import the connection code, or load an
        in-process model; whether that was done. Safe in a worker thread; a provider that
        cannot be built or prepared yet (no key, no model file) is left to the turn, which
        says why."""
        try:
            info = self.model(address)
            self.provider(info.provider).prepare()
        except (NoModelError, UnknownModel, ProviderError):
            return False  # the turn meets the same problem and says it (an in-process model: its file, its load)
        return True

    async def aclose(self) -> None:
        for provider in self._providers.values():
            await provider.aclose()
        self._providers.clear()

    def turn(
        self,
        prompt: str | None,
        *,
        model: str | None = None,
        conversation_id: int | None = None,
        params: dict[str, Any] | None = None,
        retry_of: int | None = None,
        fallbacks: Sequence[str] = (),
        decision: dict[str, Any] | None = None,
    ) -> AsyncIterator[EngineEvent]:
        """Run one turn: the user's `prompt` answered by `model` (an address).

        Nothing happens until the events are iterated. The user's message is
        stored before any network I/O; the answer is stored as it streams and
        marked interrupted if the turn is cancelled. With `retry_of` (an
        assistant message id) the prompt is not stored again: a new answer to
        that message's user message is added beside it (an alternative) and
        becomes the conversation's head.

        Before any text arrives, a model that fails (after its retries), is
        skipped by `health` or cannot fit the history gives way to the next of
        `fallbacks` (addresses, tried in order); every attempt is logged on the
        answer. `decision` (the router's, JSON-ready) is stored on the answer.
        """
        if prompt is None and retry_of is None:
            raise ValueError("a turn needs a prompt, or retry_of to answer an earlier one again")
        plan = AnswerPlan(model, tuple(fallbacks), params, decision)

        def begin() -> _Begun:
            reply_to = None if retry_of is None else self.prompt_of(retry_of)
            return self._begin(prompt, [plan], conversation_id, reply_to, 0)[0]

        return _TurnRun(self, plan, begin).events()

    def start(
        self,
        prompt: str | None,
        plans: Sequence[AnswerPlan],
        *,
        conversation_id: int | None = None,
        reply_to: int | None = None,
        head: int | None = 0,
    ) -> Answers:
        """Many answers to one prompt: stores `prompt` (or takes the stored user message
        `reply_to`) and one pending answer per plan, as siblings, in one write, and returns
        their runs; nothing is sent until a run is iterated. Run them concurrently: each
        writes only its own answer. `head` is the plan whose answer the conversation
        follows (None: the head does not move); `choose_answer` on the sink changes it later.
        An unknown model fails before anything is stored."""
        if not plans:
            raise ValueError("no answer asked for: give at least one plan")
        if (prompt is None) == (reply_to is None):
            raise ValueError("give a prompt to store, or reply_to to answer a stored one again")
        begun = self._begin(prompt, plans, conversation_id, reply_to, head)
        first = begun[0]
        return Answers(
            first.conversation_id, first.user_message_id, tuple(b.answer_id for b in begun),
            [_TurnRun(self, plan, lambda b=b: b).events() for plan, b in zip(plans, begun)],
        )

    def _health_report(self, provider: str, ok: bool) -> None:
        if self.health is not None:
            if ok:
                self.health.succeeded(provider)
            else:
                self.health.failed(provider)

    def prompt_of(self, answer_id: int) -> int:
        """The user message `answer_id` (a stored answer) answers."""
        old = self.sink.message(answer_id)
        if old.role != "assistant" or old.parent_id is None:
            raise ValueError(f"message {answer_id} is not an answer: only an assistant message can be retried")
        return old.parent_id

    def _begin(
        self, prompt: str | None, plans: Sequence[AnswerPlan], conversation_id: int | None,
        reply_to: int | None, head: int | None,
    ) -> list[_Begun]:
        """Stores the turn's start: each plan's answer, with the history to send it."""
        infos = [self.model(plan.model) for plan in plans]
        params = [{**info.params, **(plan.params or {})} for info, plan in zip(infos, plans)]
        new = [
            NewAnswer(info.provider, info.address, p, plan.decision) for info, p, plan in zip(infos, params, plans)
        ]
        if reply_to is None:
            assert prompt is not None
            started = self.sink.start_turn(conversation_id, prompt, new, head=head)
            user_id, answer_ids = started.user_message_id, started.answer_ids
        else:
            answer_ids = self.sink.add_answers(reply_to, new, head=head)
            user_id = reply_to
        if reply_to is None and conversation_id is None:  # nothing to read back: the history is the prompt
            history = [ChatMessage("user", prompt)]
            conversation_id = started.conversation_id
        else:
            chain = self.sink.lineage(user_id)
            conversation_id = chain[-1].conversation_id
            history = [
                ChatMessage(m.role, m.content)
                for m in chain
                if m.role in ("system", "user", "assistant") and m.content
            ]
        return [
            _Begun(info, p, conversation_id, user_id, answer_id, history)
            for info, p, answer_id in zip(infos, params, answer_ids)
        ]


@dataclass(frozen=True)
class AnswerPlan:
    """One answer asked of the engine: its model (an address; None: the config's default),
    the fallbacks tried before its first token, parameters over the model's, and the
    router's decision (JSON-ready) stored on it."""

    model: str | None = None
    fallbacks: Sequence[str] = ()
    params: dict[str, Any] | None = None
    decision: dict[str, Any] | None = None


@dataclass(frozen=True)
class Answers:
    """Answers started by `Engine.start`: stored, each run ready to iterate."""

    conversation_id: int
    user_message_id: int
    answer_ids: tuple[int, ...]
    runs: list[AsyncIterator[EngineEvent]]


@dataclass(frozen=True)
class _Begun:
    """One answer as stored at its start, with what its run needs."""

    info: ModelInfo
    params: dict[str, Any]
    conversation_id: int
    user_message_id: int
    answer_id: int
    history: list[ChatMessage]


class _TurnRun:
    """One turn from its start to its end: its text so far, meter and attempts log.

    `events()` is the single async generator of the turn (every layer of async
    generators would cost each streamed token another resume).
    """

    def __init__(self, engine: Engine, plan: AnswerPlan, begin: Callable[[], _Begun]) -> None:
        self.engine = engine
        self.sink = engine.sink
        self._begin = begin
        self._fallbacks = plan.fallbacks
        self._user_params = plan.params or {}
        self.pieces: list[str] = []
        self.reasoning_chars = 0
        self.attempts: list[dict[str, Any]] = []
        self.input_estimate = 0
        self.meter = Meter()
        self.saved = False  # the answer's final state is stored

    def _count(self, text: str) -> int:
        return count_text(text, self.info.address).tokens

    async def events(self) -> AsyncIterator[EngineEvent]:
        engine = self.engine
        user_params = self._user_params
        begun = self._begin()
        self.info = info = begun.info
        self.params = begun.params
        self.conversation_id, user_id, self.answer_id = begun.conversation_id, begun.user_message_id, begun.answer_id
        history = begun.history
        started = False
        failure: tuple[str, str] | None = None  # the last (kind, reason) that left a model
        requests = 0  # sent so far, over every model tried
        try:
            for candidate in self._chain(info):
                if started or candidate is not info:
                    self.info = candidate
                    self.params = {**candidate.params, **(user_params or {})}
                skip = self._unavailable(candidate)
                if skip is None:
                    try:
                        fit = self._fit(history)
                    except ContextTooSmall as exc:
                        skip = ("context_length", f"{candidate.address}: {exc}")
                if skip is not None:
                    failure = skip
                    self._log(candidate.address, 0, *skip)
                    continue
                self.input_estimate = fit.input_tokens
                if not started:
                    started = True
                    if candidate is not info:
                        self._record_model()
                    yield TurnStarted(
                        self.conversation_id, user_id, self.answer_id, candidate, fit.input_tokens, fit.dropped
                    )
                else:
                    self._record_model()
                    yield FallingBack(candidate, self.attempts[-1]["model"], failure[1], fit.input_tokens, fit.dropped)
                request = ChatRequest(candidate.model_id, tuple(fit.messages), self.params)
                attempt = 0
                while True:
                    attempt += 1
                    try:
                        provider = engine.provider(candidate.provider)
                        if requests and engine.pace is not None:
                            await engine.pace(candidate.provider)
                        requests += 1
                        # Time the request itself, not fitting the history or loading the provider.
                        self.meter = meter = Meter()
                        pieces = self.pieces
                        usage: Usage | None = None
                        next_save = time.monotonic() + SAVE_INTERVAL_S
                        async for event in provider.stream(request):
                            kind = type(event)
                            if kind is TextDelta:
                                if meter.first_token_at is None:
                                    meter.first_token()
                                    engine._health_report(candidate.provider, True)
                                pieces.append(event.text)
                                # The clock is read every 32 deltas, not on each one.
                                if not len(pieces) & 31 and time.monotonic() >= next_save:
                                    next_save = time.monotonic() + SAVE_INTERVAL_S
                                    self.sink.save_text(self.answer_id, _storable(pieces))
                                yield event
                            elif kind is ReasoningDelta:
                                meter.first_token()
                                self.reasoning_chars += len(event.text)
                                yield event
                            elif kind is Usage:
                                usage = event
                            elif kind is Finish:
                                engine._health_report(candidate.provider, True)
                                metrics = self._save_end("complete", usage, None)
                                assert metrics is not None  # a complete answer always has its usage
                                yield TurnFinished(self.answer_id, event.reason, metrics)
                        return
                    except ProviderError as error:
                        if error.counts_against_provider:
                            engine._health_report(candidate.provider, False)
                        delay = self._after_error(error, attempt)
                        if delay is None:
                            failure = (error.kind, self.attempts[-1]["error"])
                            break
                        yield Retrying(attempt + 1, delay, self.attempts[-1]["error"], error.kind)
                        await engine._sleep(delay)
                if self.pieces:
                    break  # text has streamed: never mix two models' words in one answer
            if failure is None:
                failure = ("setup", f"{info.address}: no model to try")
            yield self._fail(*failure)
        except (asyncio.CancelledError, GeneratorExit, KeyboardInterrupt):
            if not self.saved:  # a caller may stop reading right after TurnFinished
                self._save_end("interrupted", None, "cancelled by the user")
            raise

    def _chain(self, first: ModelInfo) -> Iterator[ModelInfo]:
        """The chosen model, then each fallback that resolves (once each)."""
        yield first
        seen = {first.address}
        for address in self._fallbacks:
            if address in seen:
                continue
            seen.add(address)
            try:
                yield self.engine.model(address)
            except UnknownModel as exc:
                self._log(address, 0, "setup", str(exc))

    def _unavailable(self, candidate: ModelInfo) -> tuple[str, str] | None:
        """Why `candidate` is skipped without a request (its provider's circuit is open), or None."""
        health = self.engine.health
        if health is not None and not health.allows(candidate.provider):
            return ("circuit_open", f"{candidate.provider}: skipped after repeated failures ({health.why(candidate.provider)})")
        return None

    def _log(self, model: str, attempt: int, kind: str, reason: str) -> None:
        self.attempts.append({"model": model, "attempt": attempt, "kind": kind, "error": keys.redact(reason)})

    def _record_model(self) -> None:
        """The answer now comes from `self.info`: say so on the stored message."""
        self.sink.set_answer_model(
            self.answer_id, provider=self.info.provider, model=self.info.address, params=self.params,
            attempts=self.attempts,
        )

    def _after_error(self, error: ProviderError, attempt: int) -> float | None:
        """Logs a failed attempt; the delay before the next, or None when this model is given up."""
        self._log(self.info.address, attempt, error.kind, str(error))
        max_retries = self.engine.config.providers[self.info.provider].max_retries
        if self.pieces or not should_retry(error, attempt, max_retries):
            self.sink.set_attempts(self.answer_id, self.attempts)
            return None
        delay = backoff_delay(error, attempt)
        self.attempts[-1]["retry_in_s"] = round(delay, 3)
        self.sink.set_attempts(self.answer_id, self.attempts)
        return delay

    def _fit(self, history: list[ChatMessage]):
        context = self.info.context
        reserve = 0
        if context:
            reserve = output_reserve(context, self.info.max_output, self.params.get("max_tokens"))
        return fit_to_context(history, context, reserve, self._count)

    def _estimated_usage(self) -> Usage:
        text = "".join(self.pieces)
        return Usage(
            input_tokens=self.input_estimate,
            output_tokens=self._count(text) if text else 0,
            reasoning_tokens=tokens_from_chars(self.reasoning_chars),  # reasoning text is not kept
            estimated=True,
        )

    def _save_end(self, status: str, usage: Usage | None, error: str | None) -> TurnMetrics | None:
        """Stores how the answer ended; its figures, or None when a failure came before any
        output (nothing was used, so nothing is estimated or billed)."""
        if usage is None and (status == "complete" or self.pieces or self.reasoning_chars):
            usage = self._estimated_usage()
        metrics = self.meter.finish(usage or Usage(), cost_usd(usage, self.info.price) if usage else None)
        self.sink.finish_answer(
            self.answer_id,
            AnswerEnd(
                content=_storable(self.pieces),
                status=status,
                error=error,
                usage=usage,
                ttft_ms=metrics.ttft_ms,
                latency_ms=metrics.latency_ms,
                tokens_per_s=metrics.tokens_per_s,
                cost_usd=metrics.cost_usd,
                attempts=self.attempts,
            ),
        )
        self.saved = True
        return metrics if usage is not None else None

    def _fail(self, kind: str, reason: str) -> TurnFailed:
        partial = bool(self.pieces)
        metrics = self._save_end("interrupted" if partial else "error", None, reason)
        return TurnFailed(self.answer_id, kind, reason, partial, metrics)


def _storable(pieces: list[str]) -> str:
    """The answer's text as SQLite can store it: a lone surrogate (half of a pair a server
    escaped badly) becomes U+FFFD instead of failing the save."""
    return utf8_text("".join(pieces))[0]
