"""The chat screen: conversation, prompt, sidebar and status line, and the running turn."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, cast

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Header
from textual.worker import Worker

from mmchat.catalog import ModelInfo, UnknownModel
from mmchat.events import Retrying, TurnFailed, TurnFinished, TurnStarted
from mmchat.keys import redact
from mmchat.metering import TurnMetrics
from mmchat.providers.types import ReasoningDelta, TextDelta
from mmchat.tui.keymap import bindings
from mmchat.tui.live import LiveTurn, finished_rows
from mmchat.tui.service import ChatService
from mmchat.tui.slash import COMMANDS, SlashCommand, parse_slash
from mmchat.tui.widgets.conversation import FOCUS_REACH, ConversationView
from mmchat.tui.widgets.messages import stored_metrics
from mmchat.tui.widgets.prompt import PromptInput
from mmchat.tui.widgets.sidebar import Sidebar
from mmchat.tui.widgets.status import StatusLine

if TYPE_CHECKING:
    from mmchat.tui.app import MmchatApp

LIVE_REFRESH_S = 0.1  # the sidebar's figures tick at this pace while a turn runs


class ChatScreen(Screen[None]):
    BINDINGS = bindings("chat")

    def __init__(self, service: ChatService) -> None:
        super().__init__()
        self.service = service
        self.turn_worker: Worker[None] | None = None
        self._live: LiveTurn | None = None
        self._live_timer: Timer | None = None
        self._health: dict[str, str] = {}  # provider → what its last turn showed

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        with Horizontal(id="body"):
            with Vertical(id="main"):
                yield ConversationView(id="conversation")
                yield PromptInput(id="prompt")
            yield Sidebar(id="sidebar")
        yield StatusLine(id="status")
        yield Footer()

    async def on_mount(self) -> None:
        self._live_timer = self.set_interval(LIVE_REFRESH_S, self._tick_live, pause=True)
        self.show_status()
        if self.service.conversation_id is not None:
            await self.show_conversation()
        prompt = self.query_one(PromptInput)
        prompt.recall.load = self.service.recent_prompts
        prompt.focus()
        # Load the engine, the provider's module and the tokenizer once the screen is up,
        # so that the first turn's time to first token does not include them.
        self.call_after_refresh(self.run_worker, self.service.warm_up, thread=True, group="warm-up")

    # -- state shown ---------------------------------------------------------

    @property
    def turn_running(self) -> bool:
        return self.turn_worker is not None and self.turn_worker.is_running

    def show_status(self) -> None:
        info = self.service.model_info()
        provider = info.provider if info else None
        self.query_one(StatusLine).show(info.address if info else None, provider, self._health.get(provider or ""))

    def _tick_live(self) -> None:
        if self._live is not None:
            self.query_one(Sidebar).show_live(self._live.lines())

    # -- sending -------------------------------------------------------------

    @on(PromptInput.Submitted)
    async def _submitted(self, event: PromptInput.Submitted) -> None:
        value = event.value.strip()
        if value.startswith("/"):
            command = parse_slash(value)
            if command is None:
                known = ", ".join(f"/{name}" for name in COMMANDS)
                self.notify(f"unknown command {value.split()[0]}: try {known}", severity="error")
                return
            event.prompt.clear()
            event.prompt.recall.add(value)
            await self.run_slash(command)
            return
        if self.turn_running:
            # The text stays in the prompt: nothing typed is lost.
            self.notify("an answer is still streaming: press Esc to stop it first", severity="warning")
            return
        if self.service.model is None:
            self.notify("choose a model first", severity="warning")
            self.action_pick_model()
            return
        event.prompt.clear()
        event.prompt.recall.add(event.value)
        self.send(event.value)

    def send(self, prompt: str) -> Worker[None]:
        self.turn_worker = self.run_worker(self._run_turn(prompt), group="turn", exclusive=True, exit_on_error=False)
        self.refresh_bindings()
        return self.turn_worker

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker is self.turn_worker:
            self.refresh_bindings()

    async def _run_turn(self, prompt: str) -> None:
        conversation = self.query_one(ConversationView)
        sidebar = self.query_one(Sidebar)
        await conversation.add_user(prompt)
        info = self.service.model_info()
        answer = await conversation.add_assistant(info.address if info else str(self.service.model))
        answer_id: int | None = None
        if info is not None:
            self._live = LiveTurn(info)
            assert self._live_timer is not None
            self._live_timer.resume()
        try:
            async for event in self.service.turn(prompt):
                kind = type(event)
                if kind is TextDelta:
                    answer.feed(event.text)
                    if self._live is not None:
                        self._live.received(event.text)
                elif kind is ReasoningDelta:
                    if self._live is not None:
                        self._live.received(event.text)
                elif kind is TurnStarted:
                    answer_id = event.assistant_message_id
                    if self._live is not None:
                        self._live.input_estimate = event.input_tokens_estimate
                    if event.history_dropped:
                        await conversation.add_notice(
                            f"{event.history_dropped} older message(s) left out to fit "
                            f"{event.model.address}'s context window",
                            kind="warning",
                        )
                elif kind is Retrying:
                    self.notify(f"retrying (try {event.attempt}) in {event.delay_s:.1f} s: {event.reason}", severity="warning")
                elif kind is TurnFinished:
                    await answer.complete(event.metrics)
                    self._end_live(answer.model, event.metrics)
                    self._set_health(info, "ok")
                elif kind is TurnFailed:
                    await answer.fail(event.reason, event.metrics, interrupted=event.partial)
                    self._end_live(answer.model, event.metrics)
                    self._set_health(info, f"last turn failed ({event.kind})")
        except asyncio.CancelledError:
            stored = self.service.message(answer_id) if answer_id is not None else None
            reason = (stored.error if stored else None) or "cancelled by the user"
            metrics = stored_metrics(stored) if stored else None
            await answer.fail(reason, metrics, interrupted=True)
            self._end_live(answer.model, metrics)
            raise
        except Exception as exc:  # the turn could not start: no model, unknown provider, key command…
            await answer.fail(redact(str(exc)), None, interrupted=False)
        finally:
            self._end_live(answer.model, None)
            sidebar.show_totals(self.service.totals())

    def _end_live(self, model: str, metrics: TurnMetrics | None) -> None:
        """Stop the ticking figures; show the engine's own once it has reported them."""
        if self._live_timer is not None:
            self._live_timer.pause()
        if metrics is not None:
            self.query_one(Sidebar).show_live(finished_rows(model, metrics))
        elif self._live is not None:
            self.query_one(Sidebar).show_live(self._live.lines())
        self._live = None

    def _set_health(self, info: ModelInfo | None, health: str) -> None:
        if info is not None:
            self._health[info.provider] = health
            self.show_status()

    # -- actions -------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "cancel_turn":
            return self.turn_running  # Esc is left to other widgets while nothing streams
        if action == "retry":
            return self.retry_prompt() is not None  # shown in the footer only when there is something to retry
        return True

    def action_cancel_turn(self) -> None:
        if self.turn_worker is not None and self.turn_worker.is_running:
            self.turn_worker.cancel()

    def action_pick_model(self) -> None:
        from mmchat.tui.screens.model_picker import ModelPicker

        def chosen(address: str | None) -> None:
            if address:
                self.switch_model(address)

        self.app.push_screen(ModelPicker(self.service.models(), self.service.model), chosen)

    def switch_model(self, address: str) -> bool:
        try:
            info = self.service.pin(address)
        except UnknownModel as exc:
            self.notify(str(exc), severity="error")
            return False
        self.show_status()
        self.notify(f"next answers: {info.address}")
        return True

    def retry_prompt(self) -> str | None:
        """The prompt of the latest answer when that answer failed or was interrupted."""
        views = self.query(ConversationView)
        if not views:
            return None
        view = views.first()
        answer = view.last_answer
        if self.turn_running or answer is None or answer.state not in ("interrupted", "error"):
            return None
        return view.last_prompt

    def action_retry(self) -> None:
        prompt = self.retry_prompt()
        if prompt is None:
            reason = "an answer is still streaming" if self.turn_running else "the latest answer did not fail"
            self.notify(f"nothing to retry: {reason}", severity="warning")
            return
        # The engine stores the prompt again as a new user message, followed by the new answer.
        self.send(prompt)

    async def show_conversation(self, focus: int | None = None) -> None:
        """Show the service's current conversation (lazily: its last messages first, or from message `focus`)."""
        view = self.query_one(ConversationView)
        if not await view.show_history(self.service.messages(), focus=focus) and focus is not None:
            self.notify(f"the match is further up, above the last {FOCUS_REACH} messages: scroll up to it")
        sidebar = self.query_one(Sidebar)
        sidebar.show_totals(self.service.totals())
        sidebar.show_live(None)
        self.refresh_bindings()

    def action_conversations(self, query: str = "") -> None:
        from mmchat.tui.screens.conversations import ConversationsScreen

        if self.turn_running:  # the streaming answer belongs to the conversation on screen
            self.notify("an answer is still streaming: press Esc to stop it first", severity="warning")
            return
        shown = self.service.conversation_id
        screen = ConversationsScreen(self.service, query)

        async def closed(chosen: int | None) -> None:
            if chosen is not None:
                self.service.open_conversation(chosen)
            if self.service.conversation_id != shown or screen.chosen_message is not None:
                # opened another conversation or a search hit, or deleted the one shown
                await self.show_conversation(focus=screen.chosen_message)

        self.app.push_screen(screen, closed)

    def action_search(self) -> None:
        self.action_conversations()

    def action_export(self, fmt: str) -> None:
        self.export(fmt)

    def export(self, fmt: str) -> Path | None:
        if fmt not in ("md", "json"):
            self.notify(f"cannot export as '{fmt}': use /export md or /export json", severity="error")
            return None
        try:
            path = self.service.export(fmt, Path.cwd())
        except LookupError as exc:
            self.notify(str(exc), severity="warning")
            return None
        except OSError as exc:
            self.notify(f"cannot write the export in {Path.cwd()}: {exc.strerror}", severity="error")
            return None
        self.notify(f"exported to {path}")
        return path

    def action_toggle_sidebar(self) -> None:
        sidebar = self.query_one(Sidebar)
        sidebar.display = not sidebar.display

    async def action_new_conversation(self) -> None:
        if self.turn_running:
            self.notify("an answer is still streaming: press Esc to stop it first", severity="warning")
            return
        self.service.new_conversation()
        await self.query_one(ConversationView).show_history([])
        sidebar = self.query_one(Sidebar)
        sidebar.show_totals([])
        sidebar.show_live(None)
        self.refresh_bindings()

    async def run_slash(self, command: SlashCommand) -> None:
        if command.name == "model":
            if command.argument:
                self.switch_model(command.argument)
            else:
                self.action_pick_model()
        elif command.name == "clear":
            await self.action_new_conversation()
        elif command.name == "history":
            self.action_conversations()
        elif command.name == "search":
            self.action_conversations(command.argument)
        elif command.name == "export":
            self.export(command.argument.lower() or "md")
        elif command.name == "retry":
            self.action_retry()
        elif command.name == "help":
            await self.app.run_action("help")
        elif command.name == "theme":
            app = cast("MmchatApp", self.app)
            if command.argument:
                app.use_theme(command.argument)
            else:
                self.notify("themes: " + ", ".join(app.theme_names()))
