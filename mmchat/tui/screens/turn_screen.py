"""Running a turn on the chat screen: the request, the answer as it streams with its
retries and fallbacks, the sidebar's live figures, and answering a prompt again in place."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any, cast

from textual.screen import Screen
from textual.timer import Timer
from textual.widget import Widget
from textual.worker import Worker

from mmchat.catalog import ModelInfo
from mmchat.engine.events import FallingBack, Retrying, TurnFailed, TurnFinished, TurnStarted
from mmchat.keys import redact
from mmchat.types import TurnMetrics
from mmchat.types import ReasoningDelta, TextDelta
from mmchat.routing import Decision
from mmchat.session.view import TurnView, final_figures
from mmchat.session.budget import BudgetUse
from mmchat.tui.early import EarlyStart
from mmchat.tui.keymap import key_of
from mmchat.tui.service import ChatService
from mmchat.tui.widgets.conversation import ConversationView
from mmchat.tui.widgets.messages import AssistantMessage, Marker, UserMessage, stored_metrics
from mmchat.tui.widgets.route import fallback_note, retry_note, stored_attempt_notes
from mmchat.tui.widgets.sidebar import Sidebar, figure_rows

if TYPE_CHECKING:
    from mmchat.tui.app import MmchatApp

LIVE_REFRESH_S = 0.1  # the sidebar's figures tick at this pace while a turn runs


class TurnScreen(Screen[None]):
    """A screen that runs one turn at a time into its ConversationView and Sidebar.

    The chat screen builds on it; it provides `show_status` and `_schedule_preview`, and
    calls `start_live_timer` once mounted."""

    def __init__(self, service: ChatService) -> None:
        super().__init__()
        self.service = service
        self.turn_worker: Worker[None] | None = None
        self._live: TurnView | None = None  # the running answer, while its figures tick
        self._live_timer: Timer | None = None
        self._health: dict[str, str] = {}  # provider → what its last turn showed
        self._last_provider: str | None = None  # the provider of the latest turn (auto-route's health)
        self._budget: list[BudgetUse] = []  # spent before the running turn, which the bars add live
        self._loading: str | None = None  # the in-process model the turn waits to load

    def show_status(self) -> None:
        raise NotImplementedError

    def _schedule_preview(self) -> None:
        raise NotImplementedError

    def start_live_timer(self) -> None:
        self._live_timer = self.set_interval(LIVE_REFRESH_S, self._tick_live, pause=True)

    @property
    def turn_running(self) -> bool:
        return self.turn_worker is not None and self.turn_worker.is_running

    def _tick_live(self) -> None:
        if self._live is not None:
            sidebar = self.query_one(Sidebar)
            figures = self._live.figures()
            sidebar.show_live(figure_rows(self._live.model.address if self._live.model else "", figures))
            if self._budget:
                sidebar.show_budget([use.plus(figures.cost_usd) for use in self._budget])

    def send(self, decision: Decision) -> Worker[None]:
        """Run a turn as `decision` (of ChatService.decide, with a model) says."""
        return self._start(self._run_turn(decision))

    def _start(self, turn: Coroutine[Any, Any, None]) -> Worker[None]:
        self.turn_worker = self.run_worker(turn, group="turn", exclusive=True, exit_on_error=False)
        self.refresh_bindings()
        return self.turn_worker

    async def _run_turn(self, decision: Decision, retry_of: AssistantMessage | None = None) -> None:
        """Send the decision's prompt to its model, or answer `retry_of`'s prompt again in its
        place (a stored answer on screen), falling back as the decision allows."""
        assert decision.model is not None
        if self.service.session.needs_load(decision.model):
            self._loading = decision.model
            self.show_status()
        try:
            await self.service.warmed(decision.model)
        finally:
            if self._loading is not None:
                self._loading = None
                self.show_status()
        conversation = self.query_one(ConversationView)
        sidebar = self.query_one(Sidebar)
        if conversation.last_answer is not None:
            conversation.last_answer.offer(None)  # its hint was about the latest answer
        if retry_of is not None and retry_of.message_id is not None:
            conversation.last_model = self._model_before(retry_of)  # read before the retry changes the path
            answering = self.service.retry(retry_of.message_id, decision)
        else:
            retry_of = None
            answering = self.service.turn(decision)
        events = EarlyStart(aiter(answering))
        view = answering.views[0]
        # The request is on its way: the widgets mount while it travels.
        try:
            if retry_of is not None:
                await self._drop_answer(retry_of)
            else:
                await conversation.add_user(decision.prompt)
            info = view.model
            self._budget = self.service.budget()
            before = conversation.last_model  # the model of the answer above, for the switch marker
            answer = await conversation.add_assistant(decision.model)
            await answer.show_route(decision)
        except BaseException:
            events.cancel()
            raise
        answer_id: int | None = None
        if info is not None:
            self._live = view
            assert self._live_timer is not None
            self._live_timer.resume()
        try:
            async for _, event in events:
                kind = type(event)
                if kind is TextDelta:
                    answer.feed(event.text)
                elif kind is ReasoningDelta:
                    pass  # counted in the view's figures; the text is not shown
                elif kind is TurnStarted:
                    self.service.started(event)
                    answer_id = answer.message_id = event.assistant_message_id
                    if retry_of is not None:  # the old answer is kept: one of the prompt's answers now
                        answer.show_alternatives(self.service.place_among_answers(answer_id))
                    if event.model.address != answer.model:  # the chosen model was skipped before any request
                        info = event.model
                        attempts = self.service.message(answer_id).attempts
                        await self._moved_on(answer, before, info, stored_attempt_notes(attempts, info.address))
                    if event.history_dropped:
                        await self._history_dropped(event.history_dropped, event.model)
                    self.show_status()
                elif kind is FallingBack:
                    info = event.model
                    note = fallback_note(event.previous, event.reason, info.address)
                    await self._moved_on(answer, before, info, [note])
                    if event.history_dropped:
                        await self._history_dropped(event.history_dropped, event.model)
                elif kind is Retrying:
                    await answer.add_note(retry_note(answer.model, event.reason, event.attempt, event.delay_s))
                elif kind is TurnFinished:
                    # The sidebar first: awaiting the answer's header lets a frame through, and the
                    # final figures should not show there while the sidebar still says "Idle."
                    self._end_live(answer.model, event.metrics)
                    await answer.complete(event.metrics)
                    self._set_health(info, "ok")
                elif kind is TurnFailed:
                    self._end_live(answer.model, event.metrics)
                    await answer.fail(event.reason, event.metrics, interrupted=event.partial)
                    if event.partial:
                        self._offer_next_model(answer)
                    self._set_health(info, f"last turn failed ({event.kind})")
        except asyncio.CancelledError:
            stored = self.service.message(answer_id) if answer_id is not None else None
            if stored is not None and stored.content.startswith(answer.text):
                answer.feed(stored.content[len(answer.text):])  # had arrived, not yet shown: kept, so shown
            reason = (stored.error if stored else None) or "cancelled by the user"
            metrics = stored_metrics(stored) if stored else None
            view.interrupted(reason, metrics)
            await answer.fail(reason, metrics, interrupted=True)
            self._end_live(answer.model, metrics)
            raise
        except Exception as exc:  # the turn could not start: no model, unknown provider, key command…
            await answer.fail(redact(str(exc)), None, interrupted=False)
        finally:
            self._end_live(answer.model, None)
            self.service.routing_changed()
            self.show_status()
            self._schedule_preview()  # a prompt typed meanwhile now follows this turn
            sidebar.show_totals(self.service.totals())
            self._budget = self.service.budget()
            sidebar.show_budget(self._budget)

    async def _moved_on(self, answer: AssistantMessage, before: str | None, model: ModelInfo, notes: list[str]) -> None:
        """The turn left its model for `model` before any text: the answer says why and who
        answers, and the switch marker above it follows."""
        for note in notes:
            await answer.fell_back(note, model.address)
        view = self.query_one(ConversationView)
        view.last_model = model.address
        shown = list(view.children)
        at = shown.index(answer)
        marker = shown[at - 1] if at > 0 and isinstance(shown[at - 1], Marker) else None
        if before is None or before == model.address:
            if marker is not None:
                await marker.remove()
        elif marker is not None:
            marker.show_model(model.address)
        else:
            await view.mount(Marker(model.address), before=answer)

    async def _history_dropped(self, dropped: int, model: ModelInfo) -> None:
        await self.query_one(ConversationView).add_notice(
            f"{dropped} older message(s) left out to fit {model.address}'s context window", kind="warning"
        )

    def _end_live(self, model: str, metrics: TurnMetrics | None) -> None:
        """Stop the ticking figures; show the engine's own once it has reported them."""
        if self._live_timer is not None:
            self._live_timer.pause()
        if metrics is not None:
            self.query_one(Sidebar).show_live(figure_rows(model, final_figures(metrics)))
        elif self._live is not None:
            self.query_one(Sidebar).show_live(figure_rows(model, self._live.figures()))
        self._live = None

    def _set_health(self, info: ModelInfo | None, health: str) -> None:
        if info is not None:
            self._health[info.provider] = health
            self._last_provider = info.provider
            self.show_status()

    def _offer_next_model(self, answer: AssistantMessage) -> None:
        """An answer cut off after some text: rather than mixing two models' text, offer to
        answer again on the next model (the partial answer stays stored)."""
        if answer.message_id is None:
            return
        decision = self.service.decide_again(answer.message_id, "next")
        if decision.model is not None:
            key = key_of(cast("MmchatApp", self.app).keymap, "retry_next")
            answer.offer(f"{key} or /retry next: answer again on {decision.model}")

    async def _resend(self, failed: AssistantMessage, decision: Decision) -> None:
        self.query_one(ConversationView).last_model = self._model_before(failed)
        await self._drop_answer(failed, with_prompt=True)
        await self._run_turn(decision)

    def _model_before(self, answer: AssistantMessage) -> str | None:
        """The model of the stored answer above `answer` (for the switch marker of its replacement)."""
        path = self.service.messages()
        at = next((i for i, m in enumerate(path) if m.id == answer.message_id), len(path))
        return next((m.model or "unknown model" for m in reversed(path[:at]) if m.role == "assistant"), None)

    async def _drop_answer(self, failed: AssistantMessage, *, with_prompt: bool = False) -> None:
        """Take a failed answer (and the model-switch marker above it, and with `with_prompt`
        its prompt) off the screen; a stored one stays in the store, off the chosen path.
        The caller sets the view's `last_model` (see `_model_before`)."""
        view = self.query_one(ConversationView)
        shown = list(view.children)
        at = shown.index(failed)
        gone: list[Widget] = [failed]
        if at > 0 and isinstance(shown[at - 1], Marker):
            gone.append(shown[at - 1])
        if with_prompt:
            gone += [w for w in reversed(shown[:at]) if isinstance(w, UserMessage)][:1]
        await view.remove_children(gone)
