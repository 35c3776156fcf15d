"""The one place a prompt becomes answers: decide, run, lock, report.

`Session.decide` asks the router (auto-route, a pin or a one-turn override,
always within the privacy lock) where a prompt goes; `Session.answer` runs
one answer or several to one prompt concurrently, folds each answer's events
into a `TurnView`, locks the conversation on a private turn, and keeps what
the turns showed of each provider (the engine tells the circuit breaker of
every outcome). The chat interface and `mmchat ask` go through it; compare
and bench will.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from mmchat import provider_types
from mmchat.catalog import Catalog, ModelInfo, UnknownModel
from mmchat.config import Config
from mmchat.engine.events import EngineEvent, TurnFailed, TurnFinished, TurnStarted
from mmchat.routing import Decision
from mmchat.session.autoroute import AgainHow, AutoRoute
from mmchat.session.view import TurnView
from mmchat.model_lists import ModelListCache
from mmchat.store import Store, StoreError
from mmchat.types import TextDelta

if TYPE_CHECKING:
    from mmchat.engine.sinks import Sink
    from mmchat.providers.discovery import Placement
    from mmchat.engine.turn import Engine

UNREACHABLE_KINDS = ("unreachable", "timeout")
BREATHE_EVERY_S = 0.004  # several answers' events are handed on for at most this long between yields

Update = tuple[int, EngineEvent]  # (which answer, counted from 0; its event)


class Session:
    """`auto` (the router and the providers' circuit breaker) is built here unless given;
    building it loads the routing rules and raises ConfigError (one line) on a bad rule.
    `sink` is where turns are written: the user's store unless another is given (a bench
    run, a trial), so that history, measured speeds and spending stay untouched; a given
    `engine` brings its own."""

    def __init__(
        self,
        config: Config,
        store: Store,
        catalog: Catalog | None = None,
        *,
        auto: AutoRoute | None = None,
        engine: Engine | None = None,
        sink: Sink | None = None,
    ) -> None:
        self.config = config
        self.store = store
        self.catalog = catalog or (engine.catalog if engine else Catalog.build(config))
        self.auto = auto or AutoRoute(config, self.catalog, store)
        self.sink: Sink = sink if sink is not None else (engine.sink if engine is not None else store)
        if engine is not None and engine.health is None:
            engine.health = self.auto.breaker
        self._engine = engine
        # provider → why it cannot be used now (its model listing or a turn failed to reach it)
        self.provider_problems: dict[str, str] = {}
        self._loaded: set[str] = set()  # models prepared: in-process ones are loaded

    @property
    def engine(self) -> Engine:
        """Built on first use, so that starting the interface loads no provider code."""
        if self._engine is None:
            from mmchat.engine.turn import Engine

            self._engine = Engine(self.config, self.sink, self.catalog, health=self.auto.breaker)
        return self._engine

    # -- where a prompt goes ------------------------------------------------------

    def decide(
        self, prompt: str, conversation_id: int | None, *, pin: str | None = None, override: str | None = None
    ) -> Decision:
        """The router's choice for `prompt` (or the pin, or the override), within the privacy
        lock; `decision.model` is None when the turn is held. Nothing is sent."""
        return self.auto.decide(prompt, conversation_id, pin=pin, override=override)

    def decider(self, prompt: str, conversation_id: int | None) -> Callable[[str | None], Decision]:
        """`decide` for `prompt` with any pin (None: none), the conversation read once."""
        return self.auto.decider(prompt, conversation_id)

    def decide_again(self, answer_id: int, how: AgainHow = "again", *, pin: str | None = None) -> Decision:
        """Where the prompt of the stored answer `answer_id` goes when it is answered again."""
        return self.auto.decide_again(answer_id, how, pin=pin)

    # -- answers -------------------------------------------------------------------

    def answer(
        self,
        decisions: Sequence[Decision],
        *,
        conversation_id: int | None = None,
        again: int | None = None,
        params: dict[str, Any] | None = None,
        head: int | None = 0,
    ) -> Answering:
        """Answers to one prompt, one per decision (each with a model), run concurrently.

        The prompt is the first decision's, stored once; with `again` (a stored answer)
        it is not stored again and the new answers join that answer's siblings. `head`
        is the answer the conversation follows (None: it stays where it is). Nothing is
        sent until the returned Answering is iterated."""
        if not decisions or any(d.model is None for d in decisions):
            raise ValueError("every answer needs a decision with a model (a held turn has none)")
        return Answering(self, list(decisions), conversation_id, again, params, head)

    def finished(self) -> None:
        """Answers were written: the router's measured figures are read again (in a thread)."""
        if self.sink is self.store:
            self.auto.read_in_background()

    def started(self, event: TurnStarted, decisions: Sequence[Decision]) -> None:
        """A private turn locks its conversation to local models from its user message on, in
        the store the turn was written to (a bench run's conversation is not the chat's)."""
        private = next((d for d in decisions if d.private), None)
        if private is None:
            return
        if self.sink is self.store:
            self.auto.record_private(private, event.conversation_id, event.user_message_id)
        elif isinstance(self.sink, Store):
            self.sink.set_privacy_lock(event.conversation_id, event.user_message_id)

    def ended(self, view: TurnView) -> None:
        """What an ended answer showed of its provider: reached, or unreachable."""
        if view.model is None:
            return
        provider = view.model.provider
        if view.status == "complete":
            self.provider_problems.pop(provider, None)
        elif view.error_kind == "unreachable":  # a slow answer says nothing about reaching it
            self.provider_problems[provider] = problem_line(
                view.error_kind, (view.error or "").removeprefix(f"{provider}: ")
            )

    # -- providers -------------------------------------------------------------------

    async def check_providers(self, model_lists: ModelListCache | None = None) -> dict[str, str]:
        """Ask every provider for its models, at once: the ids listed join the catalog (and
        `model_lists`, for the next start); a provider that fails is recorded in
        provider_problems (one line), until it answers. Returns the problems."""
        from mmchat.providers.errors import ProviderError

        async def check(name: str) -> None:
            try:
                ids = await self.engine.provider(name).list_models()
            except ProviderError as exc:
                self.provider_problems[name] = problem_line(exc.kind, exc.message)
                return
            self.provider_problems.pop(name, None)
            self.catalog.add_discovered(name, ids)
            if model_lists is not None:
                await asyncio.to_thread(model_lists.put, name, self.config.providers[name].base_url, ids)

        await asyncio.gather(*(check(name) for name in self.config.providers))
        return dict(self.provider_problems)

    def needs_load(self, address: str | None) -> bool:
        """Whether `address` is a model run in this process (the embedded model, a GGUF file)
        that is not loaded yet: its first turn would wait seconds for it (`prepare` first)."""
        if not address or address in self._loaded:
            return False
        try:
            info = self.catalog.resolve(address)
        except UnknownModel:
            return False
        return provider_types.get(self.config.providers[info.provider].type).in_process

    async def prepare(self, address: str | None) -> None:
        """Build `address`'s provider and load what its first turn needs (an in-process model:
        join and load it), off the event loop, so the turn's time to first token is the
        model's; a provider that cannot be built is left to the turn, which says why."""
        await asyncio.to_thread(self._prepare, address)

    async def load_first(self, models: Iterable[str | None], loading: Callable[[str], None]) -> None:
        """Loads each of `models` that runs in this process and is not loaded yet (`loading` is
        told which first), so that no answer's time to first token counts a load."""
        for model in dict.fromkeys(models):
            if model and self.needs_load(model):
                loading(model)
                await self.prepare(model)

    def _prepare(self, address: str | None) -> None:
        if self.engine.prepare(address) and address:  # a failed load is tried (and said) by the turn
            self._loaded.add(address)

    async def discover(self) -> list[Placement]:
        """The local model servers on this machine (the config's `discovery:`): their chat
        models join the catalog, with the context each server takes (a new provider for a
        server no configured provider points at). Bounded (about 0.4 s when a port accepts
        and never answers); returns where each server's models went."""
        if not self.config.discovery.enabled:
            return []
        from mmchat.providers.discovery import discover, join, place

        found = await discover(self.config.discovery.ports, timeout=self.config.discovery.timeout)
        placements = place(found, self.config.providers)
        join(self.catalog, placements)
        return placements

    def warm_up(self, address: str | None) -> None:
        """Import and load what a first turn to `address` needs (run it off the UI thread)."""
        # The router's figures: a scan of the history. A busy database leaves them to the
        # first decision (which reads them again) rather than fail.
        with contextlib.suppress(StoreError):
            self.auto.read_measured()
        try:
            info = self.catalog.resolve(address) if address else None
        except UnknownModel:
            return
        if info is None:
            return
        from mmchat.tokens import count_text

        count_text("warm up", info.address)
        # The provider, its TLS client and connection code (or an in-process model, loaded):
        # the first turn's TTFT then measures the model, not mmchat's set-up.
        self._prepare(info.address)

    async def aclose(self) -> None:
        if self._engine is not None:
            await self._engine.aclose()


class Answering:
    """A running turn: iterate it for `(index, event)` in the order the events arrive;
    `views[index]` is answer `index` as shown so far. Closing the iteration (or cancelling
    it) stops every answer; each keeps what it received, marked interrupted."""

    def __init__(
        self,
        session: Session,
        decisions: list[Decision],
        conversation_id: int | None,
        again: int | None,
        params: dict[str, Any] | None,
        head: int | None,
    ) -> None:
        self.session = session
        self.decisions = decisions
        self.views = [TurnView(_model_info(session.catalog, d.model)) for d in decisions]
        self._request = (conversation_id, again, params, head)
        self._locked = False

    @property
    def conversation_id(self) -> int | None:
        return self.views[0].conversation_id

    def __aiter__(self) -> AsyncIterator[Update]:
        if len(self.decisions) == 1 and self._request[3] == 0:  # one answer, followed by the conversation
            return self._one()
        return self._many()

    async def _one(self) -> AsyncIterator[Update]:
        """One answer: the engine's own lazy turn, read straight through (the hot path)."""
        conversation_id, again, params, _ = self._request
        decision = self.decisions[0]
        view = self.views[0]
        apply = view.apply
        run = self.session.engine.turn(
            None if again is not None else decision.prompt, model=decision.model, conversation_id=conversation_id,
            params=params, retry_of=again, fallbacks=decision.fallbacks, decision=decision.to_dict(),
        )
        # aclosing: closing this iteration closes the engine's turn at once, so the answer is
        # stored (marked interrupted) before the caller goes on to close the providers.
        async with contextlib.aclosing(run):
            try:
                async for event in run:
                    apply(event)
                    if type(event) is not TextDelta and _is_control(event):
                        self._control(event, view)
                    yield 0, event
            finally:
                self.session.finished()

    async def _many(self) -> AsyncIterator[Update]:
        """Several answers: stored together as siblings, each streamed by a task of its own."""
        from mmchat.engine.turn import AnswerPlan

        conversation_id, again, params, head = self._request
        engine = self.session.engine
        plans = [AnswerPlan(d.model, tuple(d.fallbacks), params, d.to_dict()) for d in self.decisions]
        if again is not None:
            started = engine.start(None, plans, reply_to=engine.prompt_of(again), head=head)
        else:
            started = engine.start(self.decisions[0].prompt, plans, conversation_id=conversation_id, head=head)
        queue: asyncio.Queue[tuple[int, EngineEvent | BaseException | None]] = asyncio.Queue()

        async def pump(index: int, run: AsyncIterator[EngineEvent]) -> None:
            try:
                async for event in run:
                    queue.put_nowait((index, event))
            except Exception as exc:  # a bug, not a provider's failure: raised to the reader
                queue.put_nowait((index, exc))
            finally:
                queue.put_nowait((index, None))

        tasks = [asyncio.ensure_future(pump(i, run)) for i, run in enumerate(started.runs)]
        loop = asyncio.get_running_loop()
        try:
            running = len(tasks)
            breathed = loop.time()
            while running:
                # queue.get() returns at once while events wait, so a burst from several answers
                # would hold the event loop (keys, frames) until drained: let it run now and then.
                if loop.time() - breathed > BREATHE_EVERY_S:
                    await asyncio.sleep(0)
                    breathed = loop.time()
                index, item = await queue.get()
                if item is None:
                    running -= 1
                    continue
                if isinstance(item, BaseException):
                    raise item
                view = self.views[index]
                view.apply(item)
                if _is_control(item):
                    self._control(item, view)
                yield index, item
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            self.session.finished()

    def _control(self, event: EngineEvent, view: TurnView) -> None:
        if isinstance(event, TurnStarted):
            if not self._locked:  # the answers share one user message: lock it once
                self._locked = True
                self.session.started(event, self.decisions)
        elif isinstance(event, (TurnFinished, TurnFailed)):
            self.session.ended(view)


def _model_info(catalog: Catalog, address: str | None) -> ModelInfo | None:
    try:
        return catalog.resolve(address) if address else None
    except UnknownModel:
        return None  # the engine says so, as the turn's failure


def _is_control(event: EngineEvent) -> bool:
    return isinstance(event, (TurnStarted, TurnFinished, TurnFailed))


def problem_line(kind: str, reason: str) -> str:
    """'unreachable: cannot connect to …' (one line, the provider's name left out)."""
    label = "unreachable" if kind in UNREACHABLE_KINDS else f"model list failed ({kind})"
    return f"{label}: {' '.join(reason.split())}"
