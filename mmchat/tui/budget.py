"""The budget as the interface shows it: how much of each limit is spent, a bar, and the words of a warning."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

BAR_WIDTH = 20


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


def money(usd: float) -> str:
    return f"${usd:,.2f}"


def bar(share: float, width: int = BAR_WIDTH) -> str:
    """'▇▇▇▁▁▁…': the spent share of `width` cells (full beyond the limit)."""
    filled = min(width, round(max(share, 0.0) * width))
    if share > 0 and filled == 0:
        filled = 1  # something is spent: show it
    return "▇" * filled + "▁" * (width - filled)


def use_lines(use: BudgetUse) -> str:
    """Two lines for the sidebar: 'day  $0.42 / $5.00' and the bar with the share."""
    return f"{use.name}  {money(use.spent)} / {money(use.limit)}\n{bar(use.share)} {use.share:.0%}"


def unpriced_note(uses: list[BudgetUse]) -> str | None:
    most = max((use.unpriced for use in uses), default=0)
    if not most:
        return None
    return f"{most} unpriced answer{'s' if most != 1 else ''} not counted"


def warning(use: BudgetUse) -> str:
    return f"{use.share:.0%} of the {use.name} budget is spent: {money(use.spent)} of {money(use.limit)}"


def over_question(uses: list[BudgetUse]) -> str:
    spent = "; ".join(f"the {u.name} budget of {money(u.limit)} is spent ({money(u.spent)})" for u in uses)
    return f"{spent[0].upper()}{spent[1:]}. Send anyway?"


def compare_over_question(uses: list[BudgetUse], estimate: float) -> str:
    """`uses` counting a compare's estimated cost: what the compare would pass."""
    limits = " and ".join(f"the {u.name} budget of {money(u.limit)}" for u in uses)
    from mmchat import format as fmt

    return f"This compare (estimated {fmt.cost(estimate)}) would pass {limits}. Send anyway?"
