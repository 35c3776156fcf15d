"""The chat screen: conversation, prompt, sidebar and status line, and the running turn."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Footer, Header
from textual.worker import Worker

from mmchat.catalog import ModelInfo, UnknownModel
from mmchat.events import Retrying, TurnFailed, TurnFinished, TurnStarted
from mmchat.keys import redact
from mmchat.metering import TurnMetrics
from mmchat.providers.types import ReasoningDelta, TextDelta
from mmchat.tui.budget import BudgetUse, over_question, warning
from mmchat.tui.keymap import bindings
from mmchat.tui.live import LiveTurn, finished_rows
from mmchat.tui.service import ChatService
from mmchat.tui.slash import COMMANDS, SlashCommand, parse_slash
from mmchat.tui.widgets.conversation import FOCUS_REACH, ConversationView
from mmchat.tui.widgets.messages import AssistantMessage, Marker, UserMessage, stored_metrics
from mmchat.tui.widgets.prompt import PromptInput
from mmchat.tui.widgets.sidebar import Sidebar
from mmchat.tui.widgets.status import StatusLine

if TYPE_CHECKING:
    from mmchat.tui.app import MmchatApp
    from mmchat.tui.screens.model_picker import ModelPicker

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
        self._budget: list[BudgetUse] = []  # spent before the running turn, which the bars add live

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
        else:
            self.query_one(Sidebar).show_budget(self.service.budget())
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
            sidebar = self.query_one(Sidebar)
            sidebar.show_live(self._live.lines())
            if self._budget:
                running = self._live.cost()
                sidebar.show_budget([use.plus(running) for use in self._budget])

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

        def go() -> None:
            event.prompt.clear()
            event.prompt.recall.add(event.value)
            self.send(event.value)

        self.within_budget(go)

    def within_budget(self, go: Callable[[], object]) -> None:
        """Run `go` (it sends a turn): at once, with a warning for each limit nearly spent,
        or, when a limit is spent, only once the user confirms (else the prompt stays)."""
        uses = self.service.budget()
        over = [use for use in uses if use.level == "over"]
        if not over:
            for use in uses:
                if use.level == "warn":
                    self.notify(warning(use), severity="warning", timeout=6)
            go()
            return
        from mmchat.tui.screens.dialogs import Confirm

        def answered(send: bool | None) -> None:
            if send and not self.turn_running:
                go()
            else:
                self.notify("not sent: the budget is spent", severity="warning")

        self.app.push_screen(Confirm(over_question(over), confirm_label="Send", keep_label="Don't send"), answered)

    def send(self, prompt: str) -> Worker[None]:
        return self._start(self._run_turn(prompt))

    def _start(self, turn: Coroutine[Any, Any, None]) -> Worker[None]:
        self.turn_worker = self.run_worker(turn, group="turn", exclusive=True, exit_on_error=False)
        self.refresh_bindings()
        return self.turn_worker

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker is self.turn_worker:
            self.refresh_bindings()

    async def _run_turn(self, prompt: str | None, retry_of: AssistantMessage | None = None) -> None:
        """Send `prompt`, or answer `retry_of`'s prompt again in its place (a stored answer on screen)."""
        conversation = self.query_one(ConversationView)
        sidebar = self.query_one(Sidebar)
        if retry_of is not None and retry_of.message_id is not None:
            await self._drop_answer(retry_of)
            events = self.service.retry(retry_of.message_id)
        else:
            assert prompt is not None
            await conversation.add_user(prompt)
            events = self.service.turn(prompt)
        info = self.service.model_info()
        self._budget = self.service.budget()
        answer = await conversation.add_assistant(info.address if info else str(self.service.model))
        answer_id: int | None = None
        if info is not None:
            self._live = LiveTurn(info)
            assert self._live_timer is not None
            self._live_timer.resume()
        try:
            async for event in events:
                kind = type(event)
                if kind is TextDelta:
                    answer.feed(event.text)
                    if self._live is not None:
                        self._live.received(event.text)
                elif kind is ReasoningDelta:
                    if self._live is not None:
                        self._live.received(event.text)
                elif kind is TurnStarted:
                    answer_id = answer.message_id = event.assistant_message_id
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
                    self._set_health(info, "ok", None)
                elif kind is TurnFailed:
                    await answer.fail(event.reason, event.metrics, interrupted=event.partial)
                    self._end_live(answer.model, event.metrics)
                    self._set_health(info, f"last turn failed ({event.kind})", event.kind, event.reason)
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
            self._budget = self.service.budget()
            sidebar.show_budget(self._budget)

    def _end_live(self, model: str, metrics: TurnMetrics | None) -> None:
        """Stop the ticking figures; show the engine's own once it has reported them."""
        if self._live_timer is not None:
            self._live_timer.pause()
        if metrics is not None:
            self.query_one(Sidebar).show_live(finished_rows(model, metrics))
        elif self._live is not None:
            self.query_one(Sidebar).show_live(self._live.lines())
        self._live = None

    def _set_health(self, info: ModelInfo | None, health: str, failure_kind: str | None, reason: str = "") -> None:
        if info is not None:
            self._health[info.provider] = health
            self.service.turn_outcome(info.provider, failure_kind, reason)
            self.show_status()

    # -- actions -------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "cancel_turn":
            return self.turn_running  # Esc is left to other widgets while nothing streams
        if action == "retry":
            return self.retry_target() is not None  # shown in the footer only when there is something to retry
        return True

    def action_cancel_turn(self) -> None:
        if self.turn_worker is not None and self.turn_worker.is_running:
            self.turn_worker.cancel()

    def action_pick_model(self) -> None:
        from mmchat.tui.screens.model_picker import ModelPicker

        def chosen(address: str | None) -> None:
            if address:
                self.switch_model(address)

        service = self.service
        picker = ModelPicker(
            service.models(), service.model, speeds=service.model_speeds(), problems=service.provider_problems
        )
        self.app.push_screen(picker, chosen)
        if service.providers_due():
            self.run_worker(self._check_providers(picker), group="providers", exclusive=True, exit_on_error=False)

    async def _check_providers(self, picker: ModelPicker) -> None:
        """Ask the providers for their models while the picker is open, then show what they said."""
        problems = await self.service.check_providers()
        if picker.is_attached:
            picker.update_models(self.service.models(), problems)

    def switch_model(self, address: str) -> bool:
        try:
            info = self.service.pin(address)
        except UnknownModel as exc:
            self.notify(str(exc), severity="error")
            return False
        self.show_status()
        self.notify(f"next answers: {info.address}")
        return True

    def retry_target(self) -> AssistantMessage | None:
        """The latest answer when it failed or was interrupted (and nothing is streaming)."""
        views = self.query(ConversationView)
        if not views or self.turn_running:
            return None
        answer = views.first().last_answer
        if answer is None or answer.state not in ("interrupted", "error"):
            return None
        return answer

    def action_retry(self) -> None:
        answer = self.retry_target()
        if answer is None:
            reason = "an answer is still streaming" if self.turn_running else "the latest answer did not fail"
            self.notify(f"nothing to retry: {reason}", severity="warning")
            return
        if answer.message_id is not None:
            self.within_budget(lambda: self._start(self._run_turn(None, retry_of=answer)))
            return
        # The turn failed before anything was stored (no model, unknown provider…): send its prompt again.
        prompt = self.query_one(ConversationView).last_prompt
        if prompt is not None:
            self.within_budget(lambda: self._start(self._resend(answer, prompt)))

    async def _resend(self, failed: AssistantMessage, prompt: str) -> None:
        await self._drop_answer(failed, with_prompt=True)
        await self._run_turn(prompt)

    async def _drop_answer(self, failed: AssistantMessage, *, with_prompt: bool = False) -> None:
        """Take a failed answer (and the model-switch marker above it, and with `with_prompt`
        its prompt) off the screen; a stored one stays in the store, off the chosen path."""
        view = self.query_one(ConversationView)
        path = self.service.messages()
        at = next((i for i, m in enumerate(path) if m.id == failed.message_id), len(path))
        view.last_model = next((m.model or "unknown model" for m in reversed(path[:at]) if m.role == "assistant"), None)
        shown = list(view.children)
        at = shown.index(failed)
        gone: list[Widget] = [failed]
        if at > 0 and isinstance(shown[at - 1], Marker):
            gone.append(shown[at - 1])
        if with_prompt:
            gone += [w for w in reversed(shown[:at]) if isinstance(w, UserMessage)][:1]
        await view.remove_children(gone)

    # -- copying -------------------------------------------------------------

    def copy_source(self) -> UserMessage | AssistantMessage | None:
        """The focused message, or else the latest answer."""
        node = self.focused
        while node is not None and node is not self:
            if isinstance(node, (UserMessage, AssistantMessage)):
                return node
            node = node.parent
        return self.query_one(ConversationView).last_answer

    def action_copy_message(self) -> None:
        message = self.copy_source()
        if message is None or not message.copy_text:
            self.notify("nothing to copy yet: no answer", severity="warning")
            return
        from mmchat.tui.clipboard import copied_text

        self._app.copy(message.copy_text, copied_text(message.copy_text))

    def action_copy_code(self, number: str = "") -> None:
        from mmchat.tui.clipboard import block_row, choose_block, code_blocks, copied_block
        from mmchat.tui.screens.dialogs import ChooseOne

        message = self.copy_source()
        blocks = code_blocks(message.copy_text) if message is not None else []
        try:
            block = choose_block(blocks, number)
        except ValueError as exc:
            self.notify(str(exc) if message is not None else "nothing to copy yet: no answer", severity="warning")
            return
        if block is not None:
            self._app.copy(block.code, copied_block(block))
            return

        def chosen(index: int | None) -> None:
            if index is not None:
                self._app.copy(blocks[index].code, copied_block(blocks[index]))

        rows = [block_row(n, b) for n, b in enumerate(blocks, 1)]
        self.app.push_screen(ChooseOne("Copy which code block?  (Enter copies, Esc cancels)", rows), chosen)

    @property
    def _app(self) -> MmchatApp:
        return cast("MmchatApp", self.app)

    async def show_conversation(self, focus: int | None = None) -> None:
        """Show the service's current conversation (lazily: its last messages first, or from message `focus`)."""
        view = self.query_one(ConversationView)
        if not await view.show_history(self.service.messages(), focus=focus) and focus is not None:
            self.notify(f"the match is further up, above the last {FOCUS_REACH} messages: scroll up to it")
        sidebar = self.query_one(Sidebar)
        sidebar.show_totals(self.service.totals())
        sidebar.show_live(None)
        sidebar.show_budget(self.service.budget())
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
        sidebar.show_budget(self.service.budget())
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
        elif command.name == "copy":
            what, _, number = command.argument.partition(" ")
            if what == "":
                self.action_copy_message()
            elif what.lower() == "code":
                self.action_copy_code(number.strip())
            else:
                self.notify(f"/copy {command.argument}: use /copy, /copy code or /copy code N", severity="error")
        elif command.name == "help":
            await self.app.run_action("help")
        elif command.name == "theme":
            app = cast("MmchatApp", self.app)
            if command.argument:
                app.use_theme(command.argument)
            else:
                self.notify("themes: " + ", ".join(app.theme_names()))
