"""Auto-route for the TUI and the CLI: the pure router fed with what the store knows.

The router (mmchat.routing) does no I/O; this module gathers its inputs — the
conversation so far, the privacy lock, what was spent today and in this
conversation, the measured speed of each model, the providers whose circuit is
open — decides, and records the privacy lock a private turn sets.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from mmchat.catalog import Catalog, ModelInfo
from mmchat.config import Config
from mmchat.routing import (
    CircuitBreaker,
    Conversation,
    Decision,
    ModelStats,
    Router,
    RouterState,
    RuleSet,
    Turn,
    load_routing,
)
from mmchat.routing.estimate import AnswerKind
from mmchat.routing.inputs import HistoryMessage
from mmchat.routing.learned import Learned, learn, turn_categories
from mmchat.paths import bench_beside
from mmchat.session.budget import spent_today
from mmchat.store.bench import read_bench_outcomes
from mmchat.store import ModelSpeed, Store, StoreError
from mmchat.tokens import count_text

AgainHow = Literal["again", "next", "stronger"]
STATS_TTL_S = 30.0  # measured figures older than this are read again (in the background)


@dataclass(frozen=True)
class Measured:
    """What the store measured, as of one read."""

    speeds: dict[str, ModelSpeed]  # each model's medians, as the model picker shows them
    stats: dict[str, ModelStats]  # the same, as the router takes them
    lengths: dict[AnswerKind, tuple[int, int]]  # kind of turn → (median answer length, answers)
    learned: Learned = Learned()  # your evidence per model and category: compare votes, bench runs


class AutoRoute:
    """Decides turns with the user's rules; owns the providers' circuit breaker."""

    def __init__(
        self, config: Config, catalog: Catalog, store: Store, breaker: CircuitBreaker | None = None
    ) -> None:
        self.config = config
        self.catalog = catalog
        self.store = store
        self.rules: RuleSet = load_routing(config, catalog.models())  # raises ConfigError, with file and line
        self.breaker = breaker or CircuitBreaker()
        self._built: tuple[tuple[ModelInfo, ...], Router] = ((), Router((), self.rules))
        self._measured: Measured | None = None  # swapped whole by the thread that reads it
        self._measured_at = 0.0
        self._reading = threading.Lock()  # held while a read runs
        # The evidence learned, and what it was learned from (the latest vote, the bench file):
        # the fits run again only when a vote or a bench run changed them.
        self._learned: tuple[object, Learned] | None = None

    def decide(
        self,
        prompt: str,
        conversation_id: int | None,
        *,
        pin: str | None = None,
        override: str | None = None,
        escalate_from: str | None = None,
        tags: Sequence[str] = (),
        now: float | None = None,
    ) -> Decision:
        """The decision for `prompt` as the next turn of `conversation_id` (None: a new one)."""
        history = self.store.path(conversation_id) if conversation_id is not None else []
        state = self.state(conversation_id, pin=pin, override=override, escalate_from=escalate_from, now=now)
        return self.route(Turn(prompt, tags=tuple(tags)), history, state)

    def decider(self, prompt: str, conversation_id: int | None) -> Callable[[str | None], Decision]:
        """The decision for `prompt` in `conversation_id` for any pin (None: the router's own
        choice), the conversation read once: a compare decides one prompt for several models."""
        history = self.store.path(conversation_id) if conversation_id is not None else []
        state = self.state(conversation_id)
        return lambda pin: self.route(Turn(prompt), history, dataclasses.replace(state, pin=pin))

    def decide_again(self, answer_id: int, how: AgainHow = "again", *, pin: str | None = None) -> Decision:
        """Where the prompt of `answer_id` (a stored answer on its conversation's path) goes
        when it is answered again, `how`: 'again', routed again (with `pin`, to the pin);
        'stronger', to a model of a stronger tier than the one that wrote it; 'next', to the
        model after it in the answer's routing order that may take the turn now."""
        answer = self.store.message(answer_id)
        path = self.store.path(answer.conversation_id)
        at = next((i for i, m in enumerate(path) if m.id == answer.parent_id), None)
        if at is None:
            raise LookupError(f"message {answer_id} is not on the conversation's path")
        conversation_id = answer.conversation_id
        if how == "stronger":
            state = self.state(conversation_id, escalate_from=answer.model)
        elif how == "next":
            chain = routing_order(Decision.from_dict(answer.decision))
            state = self.state(conversation_id, next_after=answer.model, chain=chain)
        elif how == "again":
            state = self.state(conversation_id, pin=pin)
        else:
            raise ValueError(f"answer again how? {how!r}: one of again, next, stronger")
        return self.route(Turn(path[at].content), path[:at], state)

    def state(
        self,
        conversation_id: int | None,
        *,
        pin: str | None = None,
        override: str | None = None,
        escalate_from: str | None = None,
        next_after: str | None = None,
        chain: tuple[str, ...] = (),
        now: float | None = None,
    ) -> RouterState:
        """What the router must respect for the conversation: its privacy lock, the budget and
        what is spent of it, and the user's pin, one-turn override, escalation or move to the
        next model."""
        store = self.store
        return RouterState(
            locked=conversation_id is not None and store.privacy_lock(conversation_id) is not None,
            pin=pin,
            override=override,
            escalate_from=escalate_from,
            next_after=next_after,
            chain=chain,
            budget=self.config.budget,
            spent_conversation=(
                store.spending(conversation_id=conversation_id).cost_usd if conversation_id is not None else 0.0
            ),
            spent_day=spent_today(store, now).cost_usd,
        )

    def route(self, turn: Turn, history: Sequence[HistoryMessage], state: RouterState) -> Decision:
        """The decision for `turn` after `history` (finished messages are used), in `state`."""
        measured = self.measured()
        return self._router().decide(
            turn,
            Conversation([m for m in history if getattr(m, "status", "complete") != "pending"]),
            measured.stats,
            state,
            count=_count_tokens,
            health=self.breaker.open_providers(),
            lengths=measured.lengths,
            learned=measured.learned,
        )

    def use_rules(self, rules: RuleSet) -> None:
        """Route with `rules` from now on (the config file was edited): the next decision, the
        typing preview's included, builds its router with them."""
        self.rules = rules
        self._built = ((), Router((), rules))  # swapped whole, as _router does
        self._measured_at = 0.0  # learning may have been turned on or off: read again

    def _router(self) -> Router:
        """The router over the catalog's models, built again when they change (a listing added some)."""
        models = tuple(self.catalog.models())
        built_for, router = self._built  # one attribute, swapped whole: the preview thread reads it too
        if models != built_for:
            router = Router(models, self.rules)
            self._built = (models, router)
        return router

    def measured(self) -> Measured:
        """Each model's measured medians, and the lengths of past answers by kind of turn.

        Read from the store once, then again in a background thread when older than
        STATS_TTL_S (the scans take tens of milliseconds on a large history): the figures
        in hand serve meanwhile."""
        measured = self._measured
        if measured is None:
            return self.read_measured()
        if time.monotonic() - self._measured_at >= STATS_TTL_S:
            self.read_in_background()
        return measured

    def read_in_background(self) -> None:
        """Read the figures again in a thread (new answers were stored), unless a read runs."""
        if self._reading.acquire(blocking=False):
            threading.Thread(target=self._read_in_background, name="mmchat-measured", daemon=True).start()

    def read_measured(self) -> Measured:
        """Read the figures now (on a connection of this thread's own: any thread may call it)."""
        speeds, lengths = self.store.read_measured()
        stats = {
            model: ModelStats(ttft_ms=s.median_ttft_ms, tokens_per_s=s.median_tokens_per_s, samples=s.answers)
            for model, s in speeds.items()
        }
        measured = self._measured = Measured(speeds, stats, lengths, self.read_learned())
        self._measured_at = time.monotonic()
        return measured

    def read_learned(self) -> Learned:
        """Your evidence: the compare votes of the store, with their prompts' categories, and the
        results of the bench runs in the bench store beside it (on connections of this thread's
        own). Nothing is read when the rules turn learning off."""
        if not self.rules.learning:
            return Learned()
        bench_file = bench_beside(self.store.db_path)
        # The bench store writes ahead to its -wal file: both stamps tell a new result.
        wal = bench_file.with_name(bench_file.name + "-wal")
        stamp = (self.store.latest_vote(), file_stamp(bench_file), file_stamp(wal))
        if self._learned is not None and self._learned[0] == stamp:
            return self._learned[1]
        votes = [
            (p.model_a, p.model_b, p.outcome, turn_categories(p.intent or "", p.language or ""))
            for p in self.store.voted_pairs()
        ]
        # A bench answer counts in the categories the router read in its prompt (as a turn
        # will be matched), else in its case's category when that is one of them.
        bench = [
            (model, turn_categories(intent, language or "") if intent else (category or "",), passed)
            for model, category, intent, language, passed in read_bench_outcomes(bench_file)
        ]
        learned = learn(votes, bench)
        self._learned = (stamp, learned)
        return learned

    def _read_in_background(self) -> None:
        try:
            self.read_measured()
        except StoreError:  # a busy or vanished database: the figures in hand stay, tried again later
            self._measured_at = time.monotonic()
        finally:
            self._reading.release()

    def record_private(self, decision: Decision, conversation_id: int, user_message_id: int) -> None:
        """A private turn locks its conversation to local models from its user message on."""
        if decision.private:
            self.store.set_privacy_lock(conversation_id, user_message_id)

    def unlock(self, conversation_id: int) -> None:
        self.store.set_privacy_lock(conversation_id, None)


def routing_order(decision: Decision | None) -> tuple[str, ...]:
    """A decision's order of models: the chosen one, then its fallbacks."""
    if decision is None or decision.model is None:
        return ()
    return (decision.model, *decision.fallbacks)


def file_stamp(path: Path) -> tuple[int, int, int] | None:
    """What a save changes in a file: (inode, size, mtime in ns), the inode for editors that save
    by renaming a new file over it; None when it is missing. One stat: cheap enough to poll."""
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)


def _count_tokens(text: str) -> int:
    return count_text(text).tokens
