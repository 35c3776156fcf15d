"""The budget as the sidebar draws it: how much of each limit is spent, as figures and a bar
(what is spent and the words of a warning are the session's: `mmchat.session.budget`)."""

from __future__ import annotations

from mmchat import format as fmt
from mmchat.session.budget import BudgetUse

BAR_WIDTH = 20


def bar(share: float, width: int = BAR_WIDTH) -> str:
    """'▇▇▇▁▁▁…': the spent share of `width` cells (full beyond the limit)."""
    filled = min(width, round(max(share, 0.0) * width))
    if share > 0 and filled == 0:
        filled = 1  # something is spent: show it
    return "▇" * filled + "▁" * (width - filled)


def use_lines(use: BudgetUse) -> str:
    """Two lines for the sidebar: 'day  $0.42 / $5.00' and the bar with the share."""
    return f"{use.name}  {fmt.cost(use.spent)} / {fmt.cost(use.limit)}\n{bar(use.share)} {use.share:.0%}"


def unpriced_note(uses: list[BudgetUse]) -> str | None:
    most = max((use.unpriced for use in uses), default=0)
    if not most:
        return None
    return f"{most} unpriced answer{'s' if most != 1 else ''} not counted"
