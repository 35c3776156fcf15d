"""What the router does: the '→ model · why' line of an answer (Enter or a click shows the
whole decision), the '↪' lines of its fallbacks, and the typing preview."""

from __future__ import annotations

from typing import Any

from textual.binding import Binding
from textual.content import Content
from textual.widgets import Static

from mmchat.routing_report import decision_lines
from mmchat.sanitize import printable

# Decisions worth a line: a pinned or overridden turn went where the user said.
QUIET_MODES = ("pin",)


def shows_route(decision: dict[str, Any] | None) -> bool:
    return bool(decision) and decision.get("mode") not in QUIET_MODES


def short_line(decision: dict[str, Any]) -> str:
    """'→ model · why', as Decision.line() says it (from the stored, JSON form)."""
    if decision.get("model"):
        return f"→ {decision['model']} · {decision.get('why', '')}"
    return f"{'held' if decision.get('held') else 'not sent'} · {decision.get('message', '')}"


class RouteLine(Static, can_focus=True):
    """The routing decision of one answer, folded to one line until expanded."""

    FOCUS_ON_CLICK = False  # a click expands it; the prompt keeps the focus
    BINDINGS = [Binding("enter", "toggle", "Why", show=False)]

    def __init__(self, decision: dict[str, Any]) -> None:
        super().__init__(classes="route-line")
        self.decision = decision
        self.expanded = False

    def on_mount(self) -> None:
        self._show()

    def action_toggle(self) -> None:
        self.expanded = not self.expanded
        self._show()

    def on_click(self) -> None:
        self.action_toggle()

    def _show(self) -> None:
        self.set_class(self.expanded, "expanded")
        if self.expanded:
            text = "▾ " + "\n  ".join(decision_lines(self.decision))
        else:
            text = "▸ " + short_line(self.decision)
        self.update(Content(printable(text)))


def fallback_note(previous: str, reason: str, model: str) -> str:
    """'↪ one/big failed (server error …) — trying two/small'."""
    provider = previous.partition("/")[0]
    detail = reason.removeprefix(f"{previous}: ").removeprefix(f"{provider}: ")
    return f"↪ {previous} failed ({' '.join(detail.split())}) — trying {model}"


def stored_fallback_notes(attempts: list[dict[str, Any]], model: str | None) -> list[str]:
    """The fallback lines of a stored answer: each model left (its last error), then the next one tried."""
    left: list[tuple[str, str]] = []  # (model, why it was left), in order
    for attempt in attempts:
        address = attempt.get("model")
        if not address or address == model:
            continue
        reason = str(attempt.get("error") or attempt.get("kind") or "failed")
        if left and left[-1][0] == address:
            left[-1] = (address, reason)
        else:
            left.append((address, reason))
    tried = [address for address, _ in left[1:]] + [model or "unknown model"]
    return [fallback_note(address, reason, after) for (address, reason), after in zip(left, tried)]


class RoutePreview(Static):
    """Under the prompt, while typing in auto-route: where the message would go."""

    def show(self, line: str | None) -> None:
        self.update(Content(printable(line or "")))
