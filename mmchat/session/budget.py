"""The budget: how much of each configured limit is spent, and the words of a warning near a
limit or a question past it, for the interface and the commands alike."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from dataclasses import dataclass

from mmchat import format as fmt
from mmchat.config import Config
from mmchat.paths import bench_beside
from mmchat.routing import Decision
from mmchat.store import Spending, Store
from mmchat.store.stats import read_spending


@dataclass(frozen=True)
class BudgetUse:
    name: str  # 'conversation' or 'day'
    limit: float  # USD
    spent: float  # USD, answers of unknown price left out
    unpriced: int  # answers with an unknown price (not in `spent`)
    warn_at: float  # the share of the limit that warns

    @property
    def share(self) -> float:
        return self.spent / self.limit

    @property
    def level(self) -> str:
        """'over' once the limit is spent, 'warn' from `warn_at` of it, else 'ok'."""
        if self.spent >= self.limit:
            return "over"
        return "warn" if self.share >= self.warn_at else "ok"

    def plus(self, running: float | None) -> BudgetUse:
        """This use with a running answer's cost so far added (None: its price is unknown)."""
        return self if not running else dataclasses.replace(self, spent=self.spent + running)


def budget_uses(
    config: Config, store: Store, conversation_id: int | None, *, conversation: bool = True
) -> list[BudgetUse]:
    """How much of each configured limit is spent: `conversation_id`'s (None: a new conversation,
    nothing spent; `conversation` False: not asked, as for a bench run), and today's (since local
    midnight): the chat's answers and the bench runs' (bench.db beside the history) alike."""
    limits = config.budget
    uses: list[BudgetUse] = []
    if limits.conversation is not None and conversation:
        spent = store.spending(conversation_id=conversation_id) if conversation_id is not None else Spending(0.0, 0)
        uses.append(BudgetUse("conversation", limits.conversation, spent.cost_usd, spent.unpriced, limits.warn_at))
    if limits.day is not None:
        spent = spent_today(store)
        uses.append(BudgetUse("day", limits.day, spent.cost_usd, spent.unpriced, limits.warn_at))
    return uses


def spent_today(store: Store, now: float | None = None) -> Spending:
    """What the answers finished since local midnight cost: the chat's and the bench runs'
    (the bench store beside the history) alike — what the day budget counts."""
    midnight = local_midnight(now)
    chat = store.spending(since=midnight)
    bench = read_spending(bench_beside(store.db_path), since=midnight)
    return Spending(chat.cost_usd + bench.cost_usd, chat.unpriced + bench.unpriced)


def local_midnight(now: float | None = None) -> float:
    """Unix time of the start of today, in local time (the day budget's window)."""
    t = time.localtime(now if now is not None else time.time())
    return time.mktime((t.tm_year, t.tm_mon, t.tm_mday, 0, 0, 0, 0, 0, -1))


def costs_nothing(decisions: Sequence[Decision]) -> bool:
    """Whether every answer goes to a free model (a local one): then no budget is spent, and
    none is checked — a spent budget is when the router turns to the free models."""
    return all((c := d.chosen) is not None and c.cost_usd == 0 for d in decisions)


def limits_in_the_way(
    uses: Sequence[BudgetUse], decisions: Sequence[Decision], estimate: float = 0.0
) -> tuple[list[BudgetUse], list[BudgetUse]]:
    """(the limits sending as `decisions` say would pass — spent, or passed counting `estimate`,
    a compare's or a run's estimated cost —, the limits nearly spent); nothing for free models."""
    if costs_nothing(decisions):
        return [], []
    counted = [use.plus(estimate) for use in uses]
    return [u for u in counted if u.level == "over"], [u for u in counted if u.level == "warn"]


def day_left(config: Config, store: Store) -> float | None:
    """What is left of the day's limit (never below 0); None without one."""
    day = next((u for u in budget_uses(config, store, None, conversation=False) if u.name == "day"), None)
    return None if day is None else max(0.0, day.limit - day.spent)


def warning(use: BudgetUse) -> str:
    return f"{use.share:.0%} of the {use.name} budget is spent: {fmt.cost(use.spent)} of {fmt.cost(use.limit)}"


def spent_words(uses: list[BudgetUse]) -> str:
    """'the day budget of $1.00 is spent ($1.71)', for each limit of `uses`."""
    return "; ".join(f"the {u.name} budget of {fmt.cost(u.limit)} is spent ({fmt.cost(u.spent)})" for u in uses)


def estimate_words(uses: list[BudgetUse], estimate: float, what: str) -> str:
    """`uses` counting `what`'s estimated cost: 'this compare (estimated $0.03) would pass …'."""
    limits = " and ".join(f"the {u.name} budget of {fmt.cost(u.limit)}" for u in uses)
    return f"{what} (estimated {fmt.cost(estimate)}) would pass {limits}"


def over_words(over: list[BudgetUse], estimate: float = 0.0, what: str = "this compare") -> str:
    """The limits `over` passes: spent, or (`what`'s `estimate` counted) to be passed."""
    return estimate_words(over, estimate, what) if estimate else spent_words(over)


def over_question(over: list[BudgetUse], estimate: float = 0.0) -> str:
    """The question before sending past the limits `over` (see over_words)."""
    return send_anyway(over_words(over, estimate))


def send_anyway(words: str) -> str:
    """'The day budget … (…). Send anyway?'"""
    return f"{words[0].upper()}{words[1:]}. Send anyway?"
