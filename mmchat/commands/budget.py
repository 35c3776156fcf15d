"""The spending budget (`budget:` in the config) before `mmchat ask` or `mmchat compare` sends:
a warning near a limit; past one, a question on a terminal, else a refusal."""

from __future__ import annotations

import sys

from collections.abc import Sequence

from mmchat.config import Config
from mmchat.routing import Decision
from mmchat.session.budget import budget_uses, limits_in_the_way, over_words, send_anyway, warning
from mmchat.store import Store

OVER_BUDGET = "--over-budget"  # the flag that sends past a spent limit without asking


def within_budget(
    config: Config, store: Store, conversation_id: int | None, decisions: Sequence[Decision], *,
    estimate: float = 0.0, anyway: bool, what: str = "this compare", conversation: bool = True,
) -> bool:
    """Whether the prompt may be sent as `decisions` say, told on stderr: to free models only,
    or within every limit (a warning for each one nearly spent); past one (counting `estimate`,
    the estimated cost of `what`: a compare, a bench run) with `anyway`, or once the user says
    so when stdin and stderr are a terminal. False: nothing may be sent. `conversation` False:
    the answers belong to no conversation (a bench run), only the day limit counts."""
    uses = budget_uses(config, store, conversation_id, conversation=conversation)
    over, near = limits_in_the_way(uses, decisions, estimate)
    if not over:
        for use in near:
            _say(warning(use))
        return True
    words = over_words(over, estimate, what)
    if anyway:
        _say(f"{words}: sending anyway ({OVER_BUDGET})")
        return True
    if not (sys.stdin.isatty() and sys.stderr.isatty()):
        _say(f"nothing sent: {words}; pass {OVER_BUDGET} to send anyway")
        return False
    if _confirm(f"mmchat: {send_anyway(words)} [y/N] "):
        return True
    _say("nothing sent")
    return False


def _confirm(question: str) -> bool:
    """A yes read from the terminal after `question` on stderr (Enter, EOF and Ctrl+C are no)."""
    sys.stderr.write(question)
    sys.stderr.flush()
    try:
        line = sys.stdin.readline()
    except KeyboardInterrupt:
        line = ""
    if not line.endswith("\n"):
        sys.stderr.write("\n")  # the cursor off the question's line
    return line.strip().lower() in ("y", "yes")


def _say(line: str) -> None:
    print(f"mmchat: {line}", file=sys.stderr)
