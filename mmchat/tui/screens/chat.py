"""The chat screen: conversation, prompt, sidebar and status line, sending, commands and keys."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, cast

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.timer import Timer
from textual.widgets import Header, TextArea
from textual.worker import Worker, WorkerState

from mmchat.catalog import UnknownModel
from mmchat.routing import Decision
from mmchat.session.budget import limits_in_the_way, over_question, warning
from mmchat.session.compare import CompareChoice, CompareError, ComparePlan, parse_models
from mmchat.tui.keymap import bindings
from mmchat.tui.screens.turn_screen import TurnScreen
from mmchat.tui.service import ChatService, RoutingReload
from mmchat.tui.slash import COMMANDS, SlashCommand, parse_slash
from mmchat.tui.screens.welcome import embedded_note
from mmchat.tui.widgets.conversation import FOCUS_REACH, ConversationView
from mmchat.tui.widgets.footer import KeyFooter
from mmchat.tui.widgets.messages import AssistantMessage, UserMessage
from mmchat.tui.widgets.prompt import PromptInput
from mmchat.tui.widgets.route import RoutePreview
from mmchat.tui.widgets.sidebar import Sidebar
from mmchat.tui.widgets.status import Status, StatusLine

if TYPE_CHECKING:
    from mmchat.session.autoroute import AgainHow
    from mmchat.tui.app import MmchatApp
    from mmchat.tui.screens.model_picker import ModelPicker

PREVIEW_DELAY_S = 0.25  # the typing preview is routed this long after the last keystroke
CIRCUITS_EVERY_S = 1.0  # how often the status line looks for providers skipped or back
ROUTING_EVERY_S = 1.0  # how often the config file is looked at for edited routing rules


class ChatScreen(TurnScreen):
    """The conversation, the prompt, the sidebar and the status line; sending, and every
    command and key of the chat (running a turn is TurnScreen's)."""

    BINDINGS = bindings("chat")
    # Screen classes by terminal width, for the sidebar (see mmchat.tcss).
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-medium"), (120, "-wide")]

    def __init__(self, service: ChatService) -> None:
        super().__init__(service)
        self._circuits: dict[str, str] = {}  # open circuits the status line shows
        self._preview_timer: Timer | None = None
        self._routing_reader: Worker[RoutingReload] | None = None  # reading the edited rules

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        with Horizontal(id="body"):
            with Vertical(id="main"):
                yield ConversationView(id="conversation")
                yield PromptInput(id="prompt")
                yield RoutePreview(id="route-preview")
            yield Sidebar(id="sidebar")
        yield StatusLine(id="status")
        yield KeyFooter()

    async def on_mount(self) -> None:
        self.start_live_timer()
        self.set_interval(CIRCUITS_EVERY_S, self._watch_circuits)
        if self.service.config.source is not None:  # built from the environment: nothing to watch
            self.set_interval(ROUTING_EVERY_S, self.check_routing)
        self.show_status()
        if self.service.conversation_id is not None:
            await self.show_conversation()
        else:
            self.query_one(Sidebar).show_budget(self.service.budget())
            if self.service.only_in_process and self.service.model:
                await self.query_one(ConversationView).add_notice(embedded_note(self.service.model))
        prompt = self.query_one(PromptInput)
        prompt.recall.load = self.service.recent_prompts
        prompt.focus()
        # Load the engine, the provider's module and the tokenizer once the screen is up,
        # so that the first turn's time to first token does not include them.
        self.call_after_refresh(self.run_worker, self.service.start_warm_up(), thread=True, group="warm-up")
        # Local model servers (Ollama, LM Studio, llama.cpp, vLLM) join the picker once found.
        self.call_after_refresh(self._start_discovery)

    def _start_discovery(self) -> None:
        self.run_worker(self._discover(), group="discovery", exit_on_error=False)

    async def _discover(self) -> None:
        for line in await self.service.discover():
            self.notify(line)

    # -- state shown ---------------------------------------------------------

    def show_status(self) -> None:
        service = self.service
        if service.auto_route:
            provider = self._last_provider
        else:
            info = service.model_info()
            provider = info.provider if info else None
        self._circuits = service.open_circuits()
        self.query_one(StatusLine).show(
            Status(
                auto=service.auto_route, model=service.model, provider=provider,
                health=self._health.get(provider or ""), override=service.override,
                locked=service.privacy_locked(), open_circuits=self._circuits,
                routing_problem=service.routing_problem, loading=self._loading,
                compare=service.compare_choice.label() if service.compare_choice else None,
            )
        )
        self.query_one(RoutePreview).display = service.auto_route or service.compare_choice is not None

    def _watch_circuits(self) -> None:
        """A provider's circuit opens during a turn and closes after its cooldown: show both."""
        if self.service.open_circuits() != self._circuits:
            self.show_status()

    # -- live routing rules ----------------------------------------------------

    def check_routing(self) -> None:
        """Read the routing rules again when the config file was saved: here one stat, the
        parsing in a worker thread (one at a time; a save meanwhile is seen by the next check)."""
        if self._routing_reader is not None and not self._routing_reader.is_finished:
            return
        if self.service.routing_file_changed():
            self._routing_reader = self.run_worker(
                self.service.read_routing, thread=True, group="routing", exit_on_error=False
            )

    def _routing_read(self, worker: Worker[RoutingReload]) -> None:
        """The edited rules apply to the preview and the next turn; a broken edit keeps the old
        ones and the status line says file:line: why, until an edit that loads."""
        result = worker.result if worker.state == WorkerState.SUCCESS else worker.error
        if result is None:
            return
        self.service.reloaded(result)
        if isinstance(result, RoutingReload):
            built_in = len(result.rules.rules) - result.own
            self.notify(f"routing rules reloaded ({result.own} rules, {built_in} built in)")
            if result.restart:
                self.notify("restart mmchat to apply provider changes", severity="warning")
        self.show_status()
        self._schedule_preview()

    # -- the typing preview --------------------------------------------------

    @on(TextArea.Changed, "#prompt")
    def _typed(self) -> None:
        self._schedule_preview()

    def _schedule_preview(self) -> None:
        """Route the prompt PREVIEW_DELAY_S after the last keystroke (auto-route only).
        A keystroke costs only restarting the timer: the routing runs in a worker thread."""
        if self._preview_timer is not None:
            self._preview_timer.stop()
            self._preview_timer = None
        if self._previewable(self.query_one(PromptInput).text):
            self._preview_timer = self.set_timer(PREVIEW_DELAY_S, self._start_preview)
        else:
            self.query_one(RoutePreview).show(None)

    def _previewable(self, text: str) -> bool:
        wanted = self.service.auto_route or self.service.compare_choice is not None
        return wanted and bool(text.strip()) and not text.lstrip().startswith("/")

    def _start_preview(self) -> None:
        self._preview_timer = None
        text = self.query_one(PromptInput).text
        if not self._previewable(text):
            return
        # The store is read here, on the UI thread; the routing runs in a worker thread.
        choice = self.service.compare_choice
        if choice is not None:
            work = partial(_compare_preview, self.service.compare_previewer(choice), text)
        else:
            work = partial(_route_preview, self.service.previewer(), text)
        self.run_worker(work, thread=True, exclusive=True, group="preview", exit_on_error=False)

    def _show_preview(self, result: tuple[str, str] | None) -> None:
        """Show a finished preview if the prompt still holds the text it routed."""
        preview = self.query_one(RoutePreview)
        text = self.query_one(PromptInput).text
        if result is None or not self._previewable(text):
            preview.show(None)
        elif result[0] == text:
            preview.show(result[1])  # '→ model · why · cost', why nothing would be sent, or a compare's cost

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
        if self.service.compare_choice is not None:
            self._send_compare(event)
            return
        if not self.service.auto_route and self.service.model is None:
            self.notify("choose a model first (or turn auto-route on with /auto)", severity="warning")
            self.action_pick_model()
            return
        decision = self.service.decide(event.value)
        if decision.model is None:
            # Held (private, and no local model) or no model fits: nothing is sent or stored,
            # and the text stays in the prompt.
            self.notify(decision.line(), severity="warning", timeout=10)
            return

        def go() -> None:
            event.prompt.clear()
            event.prompt.recall.add(event.value)
            self.send(decision)

        self.within_budget(go, [decision])

    def _send_compare(self, event: PromptInput.Submitted) -> None:
        """Compare the prompt as the pending /compare says: planned here (an error leaves the
        text in the prompt), within the budget with the compare's estimated cost, then run on
        the compare screen; the chat shows the conversation as it goes on once it closes."""
        from mmchat.tui.screens.compare import CompareScreen

        choice = self.service.compare_choice
        assert choice is not None
        try:
            plan = self.service.plan_compare(event.value, choice)
        except CompareError as exc:
            self.notify(f"not compared: {exc}", severity="error", timeout=10)
            return
        for out in plan.left_out:
            self.notify(f"{out.model} left out: {out.reason}", severity="warning", timeout=10)

        async def closed(chosen: int | None) -> None:
            await self.show_conversation(focus=chosen)

        def go() -> None:
            event.prompt.clear()
            event.prompt.recall.add(event.value)
            self.app.push_screen(CompareScreen(self.service, plan, blind=choice.blind), closed)
            self.show_status()

        self.within_budget(go, plan.decisions, estimate=plan.estimated_cost)

    def within_budget(self, go: Callable[[], object], decisions: Sequence[Decision], *, estimate: float = 0.0) -> None:
        """Run `go` (it sends the turn `decisions` say): at once to free models only, else at
        once with a warning for each limit nearly spent,
        or, when a limit is spent (counting `estimate`, a compare's estimated cost), only
        once the user confirms (else the prompt stays)."""
        over, near = limits_in_the_way(self.service.budget(), decisions, estimate)
        if not over:
            for use in near:
                self.notify(warning(use), severity="warning", timeout=6)
            go()
            return
        from mmchat.tui.screens.dialogs import Confirm

        def answered(send: bool | None) -> None:
            if send and not self.turn_running:
                go()
            else:
                self.notify("not sent: the budget is spent", severity="warning")

        question = over_question(over, estimate)
        self.app.push_screen(Confirm(question, confirm_label="Send", keep_label="Don't send"), answered)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker is self.turn_worker:
            self.refresh_bindings()
        elif event.worker.group == "preview" and event.state in (WorkerState.SUCCESS, WorkerState.ERROR):
            self._show_preview(event.worker.result if event.state == WorkerState.SUCCESS else None)
        elif event.worker.group == "routing" and event.state in (WorkerState.SUCCESS, WorkerState.ERROR):
            self._routing_read(event.worker)

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
        def chosen(address: str | None) -> None:
            if address:
                self.switch_model(address)

        self._open_picker(None if self.service.auto_route else self.service.model, chosen)

    def action_override_model(self) -> None:
        from mmchat.tui.screens.model_picker import NEXT_TITLE

        def chosen(address: str | None) -> None:
            if address:
                self.choose_next(address)

        self._open_picker(self.service.override, chosen, title=NEXT_TITLE)

    def action_compare(self, blind: bool = False) -> None:
        """Choose the models the next message is compared on, in the picker (marked 2 to 6)."""
        from mmchat.tui.screens.model_picker import ComparePicker

        service = self.service
        marked = service.compare_choice.models if service.compare_choice else ()

        def chosen(models: str | None) -> None:
            if models:
                self.choose_compare(CompareChoice(models=tuple(parse_models(models)), blind=blind))

        picker = ComparePicker(service.models(), marked, speeds=service.model_speeds(), problems=service.provider_problems)
        self.app.push_screen(picker, chosen)

    def choose_compare(self, choice: CompareChoice | None) -> bool:
        """Compare the next message as `choice` says (None: no longer). Named models must be
        known and 2 to 6; a set must exist (the top N are the router's for the prompt)."""
        from mmchat.session.compare import compare_set, resolve_models

        try:
            if choice is not None and choice.set_name is not None:
                compare_set(self.service.session, choice.set_name)
            elif choice is not None and choice.top is None:
                choice = CompareChoice(models=tuple(resolve_models(self.service.session, choice.models)),
                                       blind=choice.blind)
        except CompareError as exc:
            self.notify(f"/compare: {exc}", severity="error")
            return False
        self.service.compare_choice = choice
        if choice is None:
            self.notify("the next message goes to one model again")
        else:
            self.notify(f"the next message is compared on {choice.label()}: type it and press Enter")
        self.show_status()
        self._schedule_preview()
        return True

    def _compare_command(self, argument: str) -> None:
        """/compare [blind] [a,b,c | SET | top N | off]; no models: the picker."""
        words = argument.split()
        blind = bool(words) and words[0].lower() == "blind"
        if blind:
            words = words[1:]
        rest = " ".join(words)
        if not words:
            self.action_compare(blind=blind)
        elif rest.lower() == "off" and not blind:
            self.choose_compare(None)
        elif words[0].lower() == "top":
            count = words[1] if len(words) == 2 else ""
            if not count.isdigit():
                self.notify("/compare top N: N is how many of the router's best models (2 to 6)", severity="error")
                return
            try:
                choice = CompareChoice(top=int(count), blind=blind)
            except CompareError as exc:
                self.notify(f"/compare: {exc}", severity="error")
                return
            self.choose_compare(choice)
        elif len(words) == 1 and "/" not in rest and "," not in rest:
            self.choose_compare(CompareChoice(set_name=rest, blind=blind))
        else:
            self.choose_compare(CompareChoice(models=tuple(parse_models(rest.replace(" ", ","))), blind=blind))

    def action_stats(self) -> None:
        """The leaderboard: your votes' ratings, each model's speed, cost and errors."""
        from mmchat.tui.screens.stats import StatsScreen

        self.app.push_screen(StatsScreen(self.service))

    def _open_picker(self, current: str | None, chosen: Callable[[str | None], None], **kw: str) -> None:
        from mmchat.tui.screens.model_picker import ModelPicker

        service = self.service
        picker = ModelPicker(
            service.models(), current, speeds=service.model_speeds(), problems=service.provider_problems, **kw
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
        """Pin `address` (auto-route off)."""
        was_auto = self.service.auto_route
        try:
            info = self.service.pin(address)
        except UnknownModel as exc:
            self.notify(str(exc), severity="error")
            return False
        self._mode_changed()
        self.notify(f"pinned: {info.address}" + (" (auto-route off)" if was_auto else ""))
        return True

    def choose_next(self, address: str | None) -> bool:
        """Send the next message only to `address` (None: forget that choice)."""
        try:
            info = self.service.choose_next(address)
        except UnknownModel as exc:
            self.notify(str(exc), severity="error")
            return False
        then = "auto-route" if self.service.auto_route else f"{self.service.model}"
        if info is None:
            self.notify(f"the next message goes where {then} says")
        else:
            self.notify(f"the next message goes to {info.address}, then back to {then}")
        self.show_status()
        self._schedule_preview()
        return True

    def action_toggle_auto(self, on: bool | None = None) -> None:
        """Auto-route on or off; off pins the model of the latest answer (else the pinned one)."""
        service = self.service
        on = not service.auto_route if on is None else on
        if on == service.auto_route:
            self.notify("auto-route is already on" if on else f"already pinned: {service.model or 'no model'}")
            return
        if on:
            service.auto_route = True
            self.notify("auto-route on: the router picks each turn's model")
        else:
            last = self.query_one(ConversationView).last_model
            try:
                service.pin(last or service.model or "")
            except UnknownModel:
                service.auto_route = False
            self.notify(f"pinned: {service.model}" if service.model else "auto-route off: choose a model (Ctrl+O)")
        self._mode_changed()

    def _mode_changed(self) -> None:
        self._app.remember_route()
        self.show_status()
        self._schedule_preview()

    def action_stronger(self) -> None:
        """Answer the latest prompt again, in place, with a model of a stronger tier than its answer's."""
        self._answer_again("stronger")

    def action_retry_next(self) -> None:
        """Answer the latest prompt again, in place, on the model after its answer's in that
        answer's routing order (within the privacy lock, open circuits and the budget)."""
        self._answer_again("next")

    def _stored_answer(self, nothing: str, *, focused: bool = False) -> AssistantMessage | None:
        """The stored answer an action works on: with `focused` the focused one if it is an
        answer, else the latest; None (and `nothing: why` said) while a turn runs or before any."""
        source = self.copy_source() if focused else None
        answer = source if isinstance(source, AssistantMessage) else self.query_one(ConversationView).last_answer
        if self.turn_running or answer is None or answer.message_id is None:
            reason = "an answer is still streaming" if self.turn_running else "no stored answer yet"
            self.notify(f"{nothing}: {reason}", severity="warning")
            return None
        return answer

    def _answer_again(self, how: AgainHow) -> None:
        answer = self._stored_answer("nothing to answer again")
        if answer is None or answer.message_id is None:
            return
        decision = self.service.decide_again(answer.message_id, how)
        if decision.model is None:
            self.notify(decision.line(), severity="warning", timeout=10)
            return
        self.within_budget(lambda: self._start(self._run_turn(decision, retry_of=answer)), [decision])

    async def action_other_answer(self, step: int) -> None:
        """Show another answer to the prompt of the focused answer (else the latest): the one
        `step` places on among its retries, with the conversation as it went on from there."""
        answer = self._stored_answer("no other answer to show", focused=True)
        if answer is None or answer.message_id is None:
            return
        chosen = self.service.switch_answer(answer.message_id, step)
        if chosen is None:
            self.notify("this answer has no other: retries and answers again are kept as others", severity="warning")
            return
        await self.show_conversation(focus=chosen)
        shown = self.query_one(ConversationView).query(f"#message-{chosen}")
        if shown:
            shown.first().remove_class("hit").focus(scroll_visible=False)

    def action_route_details(self) -> None:
        """Expand (or fold) the routing line of the focused answer, else of the latest routed one."""
        source = self.copy_source()
        answer = source if isinstance(source, AssistantMessage) and source.route is not None else None
        if answer is None:
            routed = [a for a in self.query_one(ConversationView).query(AssistantMessage) if a.route is not None]
            answer = routed[-1] if routed else None
        if answer is None or answer.route is None:
            self.notify("no routing decision shown: pinned answers go where the pin says", severity="warning")
            return
        answer.route.action_toggle()
        self.query_one(ConversationView).scroll_to_widget(answer.route, animate=False)

    def action_unlock(self) -> None:
        from mmchat.tui.screens.dialogs import Confirm

        if not self.service.privacy_locked():
            self.notify("this conversation is not locked: nothing to unlock")
            return

        def answered(unlock: bool | None) -> None:
            if unlock:
                self.service.unlock()
                self.show_status()
                self._schedule_preview()
                self.notify("unlocked: the next turns may go to cloud models")

        question = (
            "Unlock this conversation? Its next turns may go to cloud models again, "
            "and they carry the conversation so far, private messages included."
        )
        self.app.push_screen(Confirm(question, confirm_label="Unlock", keep_label="Keep locked"), answered)

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
        # Routed again (the pin, or auto-route with what it knows now); a turn that failed before
        # anything was stored (no model, unknown provider…) sends its prompt once more.
        prompt = self.query_one(ConversationView).last_prompt
        if answer.message_id is not None:
            decision = self.service.decide_again(answer.message_id)
        elif prompt is not None:
            decision = self.service.decide(prompt)
        else:
            return
        if decision.model is None:
            self.notify(decision.line(), severity="warning", timeout=10)
            return
        if answer.message_id is not None:
            self.within_budget(lambda: self._start(self._run_turn(decision, retry_of=answer)), [decision])
        else:
            self.within_budget(lambda: self._start(self._resend(answer, decision)), [decision])

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
        shown = await view.show_history(self.service.messages(), focus=focus, alternatives=self.service.alternatives())
        if not shown and focus is not None:
            self.notify(f"the match is further up, above the last {FOCUS_REACH} messages: scroll up to it")
        last = view.last_answer
        if last is not None and last.state == "interrupted" and last.text:
            self._offer_next_model(last)
        sidebar = self.query_one(Sidebar)
        sidebar.show_totals(self.service.totals())
        sidebar.show_live(None)
        sidebar.show_budget(self.service.budget())
        self.show_status()
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

    def export(self, fmt: str, *, alternatives: bool = False) -> Path | None:
        if fmt not in ("md", "json"):
            self.notify(f"cannot export as '{fmt}': use /export md, /export json, then all for the alternatives",
                        severity="error")
            return None
        try:
            path = self.service.export(fmt, Path.cwd(), alternatives=alternatives)
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
        self.show_status()
        self.refresh_bindings()

    async def run_slash(self, command: SlashCommand) -> None:
        problem = command.problem()
        if problem is not None:
            self.notify(problem, severity="error")
            return
        arg, word = command.argument, command.word
        app = cast("MmchatApp", self.app)
        handlers: dict[str, Callable[[], object]] = {
            "model": lambda: self.switch_model(arg) if arg else self.action_pick_model(),
            "auto": lambda: self.action_toggle_auto(None if not word else word == "on"),
            "next": lambda: self.choose_next(None if word == "off" else arg) if arg else self.action_override_model(),
            "compare": lambda: self._compare_command(arg),
            "stats": self.action_stats,
            "stronger": self.action_stronger,
            "unlock": self.action_unlock,
            "clear": self.action_new_conversation,
            "history": self.action_conversations,
            "search": lambda: self.action_conversations(arg),
            "export": lambda: self._export_command(word),
            "answer": lambda: self.action_other_answer(-1 if word == "prev" else 1),
            "retry": self.action_retry_next if word == "next" else self.action_retry,
            "copy": lambda: self._copy_command(arg),
            "help": lambda: app.run_action("help"),
            "theme": lambda: app.use_theme(arg) if arg else self.notify("themes: " + ", ".join(app.theme_names())),
        }
        done = handlers[command.name]()
        if inspect.isawaitable(done):
            await done

    def _export_command(self, words: str) -> None:
        """/export [md|json] [all]."""
        parts = words.split()
        alternatives = bool(parts) and parts[-1] == "all"
        if alternatives:
            parts = parts[:-1]
        if len(parts) > 1:
            self.notify(f"/export {words}: use /export [md|json] [all]", severity="error")
            return
        self.export(parts[0] if parts else "md", alternatives=alternatives)

    def _copy_command(self, argument: str) -> None:
        what, _, number = argument.partition(" ")
        if what == "":
            self.action_copy_message()
        elif what.lower() == "code":
            self.action_copy_code(number.strip())
        else:
            self.notify(f"/copy {argument}: use /copy, /copy code or /copy code N", severity="error")


def _route_preview(route: Callable[[str], Decision], text: str) -> tuple[str, str]:
    """The preview's routing, in a worker thread: (the text routed, its decision's line)."""
    return text, route(text).line()


def _compare_preview(plan: Callable[[str], ComparePlan], text: str) -> tuple[str, str]:
    """A compare's preview, in a worker thread: (the text, 'compare → a, b · estimated $…'),
    or why the compare cannot start."""
    try:
        planned = plan(text)
    except CompareError as exc:
        return text, f"compare · not sent · {exc}"
    left = "".join(f" · {out.model} left out (private turn)" for out in planned.left_out)
    return text, f"compare → {', '.join(planned.models)} · {planned.cost_line()}{left}"
