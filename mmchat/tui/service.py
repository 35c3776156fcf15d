"""What the interface may ask of the rest of mmchat: models, turns, totals.

Widgets never touch the network or SQLite; they call this object, which
holds the interface's state (the conversation shown, the pin, the one-turn
override), runs turns through the session layer (`mmchat.session`: deciding,
answering, the privacy lock, provider health) and reads the store.
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from mmchat.session.autoroute import AgainHow, AutoRoute, file_stamp
from mmchat.session.budget import BudgetUse, budget_uses
from mmchat.session.compare import CompareChoice, ComparePlan, plan_compare
from mmchat.session.session import Answering, Session
from mmchat import provider_types
from mmchat.catalog import Catalog, ModelInfo, UnknownModel
from mmchat.config import Config, ConfigError
from mmchat.model_lists import ModelListCache
from mmchat.routing import Decision, Router, RouterState, RuleSet, Turn
from mmchat.store import ConversationSummary, ModelSpeed, ModelTotals, Store, StoredMessage
from mmchat.tui.history import MAX_ENTRIES

if TYPE_CHECKING:
    from mmchat.engine.events import TurnStarted
    from mmchat.session.leaderboard import Leaderboard
    from mmchat.engine.turn import Engine


LISTING_EVERY_S = 300.0  # the model picker asks the providers again after this long
WARM_UP_WAIT_S = 10.0  # the longest a first turn waits for the warm-up


@dataclass(frozen=True)
class RoutingReload:
    """The routing section read again from the edited config file."""

    rules: RuleSet
    own: int  # how many of the rules are the config's (the others are built in)
    restart: bool  # the providers or models changed too: only a restart applies those


class ChatService:
    """The interface's side of a Session (built here, with `engine` and `auto` when given:
    building the router loads the routing rules and raises ConfigError, one line, on a bad rule)."""

    def __init__(
        self,
        config: Config,
        store: Store,
        catalog: Catalog | None = None,
        *,
        engine: Engine | None = None,
        auto: AutoRoute | None = None,
        model_lists: ModelListCache | None = None,
    ) -> None:
        self.config = config
        self.model_lists = model_lists  # where the providers' model listings are kept between runs
        self.store = store
        self.catalog = catalog or (engine.catalog if engine else Catalog.build(config))
        self.conversation_id: int | None = None
        self.model: str | None = config.default_model  # the pinned model
        self.session = Session(config, store, self.catalog, auto=auto, engine=engine)
        self.auto = self.session.auto
        self.auto_route = False  # True: the router picks each turn's model; False: `model` is pinned
        self.override: str | None = None  # the model of the next turn only
        self.compare_choice: CompareChoice | None = None  # the next message is compared, on these models
        self._warming: threading.Event | None = None  # set once a started warm-up has ended
        self._route_inputs: tuple[tuple[object, ...], list[StoredMessage], RouterState] | None = None
        self._listed_at: float | None = None  # when check_providers last ran (monotonic seconds)
        # Why the config file's latest edit of the routing rules was not taken (one line), and
        # the file as it was when its rules were last read (None: no file, nothing to watch).
        self.routing_problem: str | None = None
        self._config_stamp = file_stamp(config.source) if config.source is not None else None

    @property
    def has_providers(self) -> bool:
        return bool(self.config.providers)

    @property
    def only_in_process(self) -> bool:
        """Every provider is a model run in this process (the embedded model alone, say)."""
        return bool(self.config.providers) and all(
            provider_types.get(p.type).in_process for p in self.config.providers.values()
        )

    @property
    def provider_problems(self) -> dict[str, str]:
        """provider → why it cannot be used now (its model listing or a turn failed to reach it)."""
        return self.session.provider_problems

    def models(self) -> list[ModelInfo]:
        """Every model of the catalog, plus the current one if it is not listed."""
        models = self.catalog.models()
        if self.model and all(m.address != self.model for m in models):
            current = self.model_info()
            if current is not None:
                models.append(current)
        return models

    def model_info(self, address: str | None = None) -> ModelInfo | None:
        address = address or self.model
        if not address:
            return None
        try:
            return self.catalog.resolve(address)
        except UnknownModel:
            return None

    def model_speeds(self) -> dict[str, ModelSpeed]:
        """Each measured model's median TTFT and tokens/s over its latest complete answers
        (as auto-route last read them: at most 30 s old)."""
        return self.auto.measured().speeds

    def providers_due(self, every_s: float = LISTING_EVERY_S) -> bool:
        """Whether the providers' model lists are worth asking for again."""
        return self._listed_at is None or time.monotonic() - self._listed_at >= every_s

    async def check_providers(self) -> dict[str, str]:
        """Ask every provider for its models (Session.check_providers); the problems found."""
        self._listed_at = time.monotonic()
        return await self.session.check_providers(self.model_lists)

    async def discover(self) -> list[str]:
        """Find the local model servers (Session.discover); one line per server whose models
        joined as a new provider."""
        placements = await self.session.discover()
        self.routing_changed()
        return [
            f"found {p.server.kind} at {p.server.base_url}: {p.server.summary()} (provider {p.name})"
            for p in placements
            if p.new
        ]

    def start_warm_up(self) -> Callable[[], None]:
        """Marks a warm-up as begun and returns it, to run in a worker thread."""
        self._warming = threading.Event()
        return self.warm_up

    def warm_up(self) -> None:
        """Import and load what the first turn needs (run it off the UI thread)."""
        try:
            self.session.warm_up(self.model)
        finally:
            if self._warming is not None:
                self._warming.set()

    def warming(self) -> bool:
        return self._warming is not None and not self._warming.is_set()

    async def warmed(self, address: str | None = None) -> None:
        """Waits for a warm-up still running (two threads importing one package at once can
        fail in Python 3.11: KeyError on the half-imported module), then loads `address` when it
        is a model run in this process and not loaded yet: its time to first token would count
        the load otherwise."""
        if self.warming():
            loading = self.session.needs_load(address)
            await asyncio.to_thread(self._warming.wait, None if loading else WARM_UP_WAIT_S)
        if self.session.needs_load(address):
            await self.session.prepare(address)

    def pin(self, address: str) -> ModelInfo:
        """Use `address` for the next turns (auto-route off); raises UnknownModel (one line)
        if no provider serves it."""
        info = self.catalog.resolve(address)
        self.model = info.address
        self.auto_route = False
        return info

    def choose_next(self, address: str | None) -> ModelInfo | None:
        """Send the next message only to `address` (None: no longer); raises UnknownModel."""
        info = self.catalog.resolve(address) if address else None
        self.override = info.address if info else None
        return info

    def auto_by_default(self) -> bool:
        """Auto-route on a first run: when the router has at least two models to choose from."""
        return len(Router(self.catalog.models(), self.auto.rules).pool) >= 2

    # -- routing -------------------------------------------------------------

    def decide(self, prompt: str) -> Decision:
        """Where `prompt` goes as the next turn: the router's choice (auto-route) or the pin, within
        the privacy lock either way. Nothing is sent: see `decision.model` (None: held)."""
        return self.session.decide(prompt, self.conversation_id, override=self.override, pin=self._pin())

    def decide_again(self, answer_id: int, how: AgainHow = "again") -> Decision:
        """Where the prompt of `answer_id` (a stored answer) goes when it is answered again
        (AutoRoute.decide_again; routed again, it follows the pin). A one-turn override is
        kept for the next message."""
        return self.session.decide_again(answer_id, how, pin=self._pin())

    def previewer(self) -> Callable[[str], Decision]:
        """The typing preview's router: reads the conversation from the store now (call it on
        the UI thread; cached until the conversation changes) and returns a function that
        decides a prompt, safe to run in a worker thread (the router's measured figures are
        read on a connection of that thread's own)."""
        key = (self.conversation_id, self.override)
        if self._route_inputs is None or self._route_inputs[0] != key:
            history = self.store.path(self.conversation_id) if self.conversation_id is not None else []
            self._route_inputs = (key, history, self.auto.state(self.conversation_id, override=self.override))
        _, history, state = self._route_inputs
        return lambda prompt: self.auto.route(Turn(prompt), history, state)

    # -- compare -------------------------------------------------------------

    def compare_previewer(self, choice: CompareChoice) -> Callable[[str], ComparePlan]:
        """The typing preview's compare plan (see `previewer`: call this on the UI thread, the
        function it returns in a worker thread); the function raises CompareError."""
        self.previewer()  # the conversation's history and state, read now
        assert self._route_inputs is not None
        _, history, state = self._route_inputs
        state = dataclasses.replace(state, override=None)  # a compare pins each model: no override

        def plan(prompt: str) -> ComparePlan:
            def decide(pin: str | None) -> Decision:
                return self.auto.route(Turn(prompt), history, dataclasses.replace(state, pin=pin))

            return plan_compare(self.session, prompt, self.conversation_id, choice, decide)

        return plan

    def plan_compare(self, prompt: str, choice: CompareChoice) -> ComparePlan:
        """The compare of `prompt` in the current conversation as `choice` asks; raises
        CompareError (one line) when it cannot start."""
        return plan_compare(self.session, prompt, self.conversation_id, choice)

    def compare(self, plan: ComparePlan) -> Answering:
        """Answer the plan's prompt on each of its models at once, in the current conversation;
        the first answer is followed until another is chosen (`choose_answer`)."""
        self.override = None
        self.compare_choice = None
        return self.session.answer(plan.decisions, conversation_id=self.conversation_id, head=0)

    def choose_answer(self, answer_id: int) -> None:
        """The conversation goes on from `answer_id` (one of a compare's answers)."""
        self.store.choose_answer(answer_id)
        self.routing_changed()

    def record_vote(
        self, user_message_id: int, shown: list[int], *, winner: int | None, kind: str, note: str | None,
        blind: bool, self_naming: list[int],
    ) -> int:
        """Store a compare's verdict (Store.record_vote); the vote's id."""
        return self.store.record_vote(
            user_message_id, shown, winner=winner, kind=kind, note=note, blind=blind, self_naming=self_naming
        )

    def _pin(self) -> str | None:
        return None if self.auto_route else self.model

    def privacy_locked(self) -> bool:
        return self.conversation_id is not None and self.store.privacy_lock(self.conversation_id) is not None

    def unlock(self) -> None:
        """Lift the current conversation's privacy lock (the user asked, and confirmed)."""
        if self.conversation_id is not None:
            self.auto.unlock(self.conversation_id)
        self.routing_changed()

    def open_circuits(self) -> dict[str, str]:
        """Providers skipped now after repeated failures → why."""
        return self.auto.breaker.open_providers()

    # -- live routing rules ------------------------------------------------------

    def routing_file_changed(self) -> bool:
        """Whether the config file was saved since its rules were last read: one stat, cheap
        enough for the UI thread (the reading is read_routing's, off it). A file gone for a
        moment (an editor between writing and renaming) is waited for."""
        path = self.config.source
        stamp = file_stamp(path) if path is not None else None
        if stamp is None or stamp == self._config_stamp:
            return False
        self._config_stamp = stamp
        return True

    def read_routing(self) -> RoutingReload:
        """The config file's routing section, read again and checked against the catalog's
        models (run it in a worker thread). A broken edit raises ConfigError: one line, file:line."""
        from mmchat.config_load import load_config
        from mmchat.routing import load_routing

        if self.config.source is None:
            raise ConfigError("no config file: the routing rules are the built-in ones")
        config = load_config(self.config.source)
        rules = load_routing(config, self.catalog.models())
        restart = (config.providers, config.models) != (self.config.providers, self.config.models)
        return RoutingReload(rules, sum(not rule.builtin for rule in rules.rules), restart)

    def reloaded(self, result: RoutingReload | BaseException) -> None:
        """Route with the rules read (the typing preview and the next turn), or keep the old
        ones and remember why in routing_problem."""
        if isinstance(result, RoutingReload):
            self.auto.use_rules(result.rules)
            self.routing_problem = None
        elif isinstance(result, ConfigError):
            self.routing_problem = " ".join(str(result).split())
        else:  # a bug: said in one line, the old rules kept
            self.routing_problem = " ".join(f"cannot read the rules: {type(result).__name__}: {result}".split())

    def routing_changed(self) -> None:
        """The conversation changed (a turn, a lock): the preview reads the store again."""
        self._route_inputs = None

    # -- turns ---------------------------------------------------------------

    def turn(self, decision: Decision) -> Answering:
        """Send `decision.prompt` to `decision.model` (a decision of `decide` with a model), in
        the current conversation; call `started` with its TurnStarted. A one-turn override
        is used up."""
        self.override = None
        return self.session.answer([decision], conversation_id=self.conversation_id)

    def started(self, event: TurnStarted) -> None:
        """A turn began: it may have created the conversation."""
        self.conversation_id = event.conversation_id
        self.routing_changed()

    def retry(self, answer_id: int, decision: Decision) -> Answering:
        """Answer the user message of `answer_id` (a stored answer) again, as `decision`
        (of `decide_again`) says.

        The prompt is not stored twice: the new answer is an alternative beside the
        old one and becomes the conversation's head, so the old one leaves the path.
        """
        return self.session.answer([decision], again=answer_id)

    def new_conversation(self) -> None:
        self.conversation_id = None
        self.routing_changed()

    def messages(self) -> list[StoredMessage]:
        if self.conversation_id is None:
            return []
        return self.store.path(self.conversation_id)

    def message(self, message_id: int) -> StoredMessage:
        return self.store.message(message_id)

    def alternatives(self) -> dict[int, tuple[int, int]]:
        """The current conversation's answers that have alternatives: id → (place, how many)."""
        return self.store.alternatives(self.conversation_id) if self.conversation_id is not None else {}

    def place_among_answers(self, answer_id: int) -> tuple[int, int] | None:
        """(place from 1, how many) of `answer_id` among the answers to its prompt, or None
        when it is the only one."""
        answers = self._answers_beside(answer_id)
        return (answers.index(answer_id) + 1, len(answers)) if len(answers) > 1 else None

    def switch_answer(self, answer_id: int, step: int) -> int | None:
        """Make the conversation follow another answer to the same prompt (`step` places on,
        wrapping round), and that answer's latest continuation; returns its id, or None when
        `answer_id` has no alternative."""
        answers = self._answers_beside(answer_id)
        if len(answers) < 2:
            return None
        chosen = self.store.message(answers[(answers.index(answer_id) + step) % len(answers)])
        self.store.set_head(chosen.conversation_id, self.store.latest_leaf(chosen.id))
        self.routing_changed()
        return chosen.id

    def _answers_beside(self, answer_id: int) -> list[int]:
        """The ids of the answers to `answer_id`'s prompt, itself included, oldest first."""
        return [m.id for m in self.store.siblings(answer_id) if m.role == "assistant"]

    def totals(self) -> list[ModelTotals]:
        if self.conversation_id is None:
            return []
        return self.store.totals_by_model(self.conversation_id)

    def budget(self) -> list[BudgetUse]:
        """How much of each configured limit is spent: this conversation's, and today's (since local midnight)."""
        return budget_uses(self.config, self.store, self.conversation_id)

    # -- conversations ---------------------------------------------------------

    def conversations(self, limit: int = 200) -> list[ConversationSummary]:
        """Stored conversations, newest activity first."""
        return self.store.list_conversations(limit=limit)

    def search(self, query: str, limit: int = 100) -> list[tuple[StoredMessage, str]]:
        """Messages of every conversation matching `query` (FTS5), each with a snippet
        where SEARCH_MARKS surround the matched words."""
        return self.store.search(query, limit, marks=SEARCH_MARKS)

    def conversation(self, conversation_id: int) -> ConversationSummary:
        return self.store.conversation(conversation_id)

    def open_conversation(self, conversation_id: int) -> None:
        """Continue `conversation_id` (raises LookupError when it does not exist)."""
        self.store.conversation(conversation_id)
        self.conversation_id = conversation_id
        self.routing_changed()

    def rename_conversation(self, conversation_id: int, title: str) -> None:
        self.store.rename_conversation(conversation_id, title)

    def delete_conversation(self, conversation_id: int) -> None:
        self.store.delete_conversation(conversation_id)
        if self.conversation_id == conversation_id:
            self.conversation_id = None
            self.routing_changed()

    def export(self, fmt: str, directory: Path, *, alternatives: bool = False) -> Path:
        """Write the current conversation as Markdown ('md') or JSON ('json') into
        `directory` (a new file, mode 0600) and return its path; with `alternatives`, each
        answer's other answers to its prompt follow it."""
        from mmchat import export

        if self.conversation_id is None:
            raise LookupError("nothing to export yet: this conversation has no messages")
        summary, text = export.conversation_text(self.store, self.conversation_id, fmt, alternatives=alternatives)
        path = _free_path(directory, f"mmchat-{summary.id}-{_slug(summary.title)}", fmt)
        export.write_private(path, text)
        return path

    def leaderboard(self) -> Leaderboard:
        """Your leaderboard (votes and answers), read on a connection of the calling thread's
        own: call it from a worker thread."""
        from mmchat.session import leaderboard

        return leaderboard.read(self.store)

    def recent_prompts(self, limit: int = MAX_ENTRIES) -> list[str]:
        """The user's latest prompts over every conversation (one query), oldest first."""
        return self.store.recent_prompts(limit)

    async def aclose(self) -> None:
        await self.session.aclose()


# Private-use characters: they cannot clash with text a user or a model wrote.
SEARCH_MARKS = ("\ue000", "\ue001")


def _slug(title: str | None) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", (title or "conversation").lower()).strip("-")
    return slug[:40].rstrip("-") or "conversation"


def _free_path(directory: Path, stem: str, suffix: str) -> Path:
    """`directory/stem.suffix`, or `stem-2.suffix`, … when that file exists (never overwrite)."""
    path = directory / f"{stem}.{suffix}"
    n = 2
    while path.exists():
        path = directory / f"{stem}-{n}.{suffix}"
        n += 1
    return path
