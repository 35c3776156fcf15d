"""The status line: the mode (auto-route, or the pinned model), a broken edit of the routing
rules, a one-turn override, the privacy lock, the last turn's provider health and the
providers being skipped."""

from __future__ import annotations

from dataclasses import dataclass, field

from textual.content import Content

from mmchat.sanitize import printable
from mmchat.tui.widgets.steady import SteadyStatic


@dataclass(frozen=True)
class Status:
    auto: bool  # auto-route on
    model: str | None  # the pinned model
    provider: str | None  # whose health follows
    health: str | None  # what that provider's last turn showed
    override: str | None = None  # the next message's model
    locked: bool = False  # the conversation is private: local models only
    open_circuits: dict[str, str] = field(default_factory=dict)  # provider → why it is skipped
    routing_problem: str | None = None  # why the config file's edited rules were not taken: file:line: message
    loading: str | None = None  # the in-process model a turn waits for ("loading local/…")
    compare: str | None = None  # the next message is compared: on which models (CompareChoice.label)


def status_content(status: Status) -> Content:
    if not status.auto and status.model is None:
        return Content("no model chosen: press Ctrl+O or type /model (or /auto)")
    parts: list[Content | str] = ["auto" if status.auto else f"pinned: {status.model}"]
    if status.loading:
        parts.append(Content.styled(f"loading {status.loading} into memory…", "$accent"))
    if status.routing_problem:  # second: a long line is cut at the right
        parts.append(Content.styled(f"old rules kept: {printable(status.routing_problem)}", "$error"))
    if status.override:
        parts.append(Content.styled(f"next message: {status.override}", "$accent"))
    if status.compare:
        parts.append(Content.styled(f"next message compared: {status.compare} (/compare off)", "$accent"))
    if status.locked:
        parts.append(Content.styled("locked: local only (/unlock)", "$warning"))
    if status.provider:
        parts.append(f"{status.provider}: {status.health}" if status.health else f"provider: {status.provider}")
    for provider, why in status.open_circuits.items():
        parts.append(Content.styled(f"{provider} skipped ({why})", "$error"))
    return Content(" · ").join(Content(printable(p)) if isinstance(p, str) else p for p in parts)


class StatusLine(SteadyStatic):
    def show(self, status: Status) -> None:
        self.show_content(status_content(status))
