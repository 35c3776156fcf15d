"""What the router does: the '→ model · why' line of an answer (Enter or a click shows the
whole decision), the '↪' lines of its fallbacks, and the typing preview."""

from __future__ import annotations

from typing import Any

from textual.binding import Binding
from textual.content import Content
from textual.widgets import Static

from mmchat.routing import Decision
from mmchat.session.routing_report import decision_lines
from mmchat.sanitize import printable
from mmchat.tui.widgets.steady import SteadyStatic

# Decisions worth a line: a pinned or overridden turn went where the user said.
QUIET_MODES = ("pin",)


def shows_route(decision: Decision | None) -> bool:
    return decision is not None and decision.mode not in QUIET_MODES


class RouteLine(Static, can_focus=True):
    """The routing decision of one answer, folded to one line until expanded."""

    FOCUS_ON_CLICK = False  # a click expands it; the prompt keeps the focus
    BINDINGS = [Binding("enter", "toggle", "Why", show=False)]

    def __init__(self, decision: Decision) -> None:
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
            text = "▸ " + self.decision.line()
        self.update(Content(printable(text)))


def fallback_note(previous: str, reason: str, model: str) -> str:
    """'↪ one/big failed (server error …) — trying two/small'."""
    return f"↪ {previous} failed ({_detail(previous, reason)}) — trying {model}"


def retry_note(model: str, reason: str, attempt: int, delay_s: float) -> str:
    """'↻ one/big failed (rate limited …) — try 2 in 1.3 s'."""
    return f"↻ {model} failed ({_detail(model, reason)}) — try {attempt} in {delay_s:.1f} s"


def _detail(model: str, reason: str) -> str:
    """The error on one line, without the model's or provider's name in front."""
    provider = model.partition("/")[0]
    return " ".join(reason.removeprefix(f"{model}: ").removeprefix(f"{provider}: ").split())


def stored_attempt_notes(attempts: list[dict[str, Any]], model: str | None) -> list[str]:
    """The retry and fallback lines of a stored answer, in order: each retry, and each model
    left (with its last error) for the next one tried. The answer's own final failure is left
    out: its problem line says it."""
    notes = []
    for i, attempt in enumerate(attempts):
        address = attempt.get("model")
        if not address:
            continue
        reason = str(attempt.get("error") or attempt.get("kind") or "failed")
        delay = attempt.get("retry_in_s")
        if delay is not None:
            notes.append(retry_note(address, reason, int(attempt.get("attempt") or 0) + 1, float(delay)))
        elif address != model:
            after = next((a.get("model") for a in attempts[i + 1:] if a.get("model") not in (None, address)), None)
            notes.append(fallback_note(address, reason, after or model or "unknown model"))
    return notes


class RoutePreview(SteadyStatic):
    """Under the prompt, while typing in auto-route: where the message would go."""

    def show(self, line: str | None) -> None:
        self.show_content(Content(printable(line or "")))
