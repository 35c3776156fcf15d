"""The sidebar: the running turn's figures, then the conversation's totals per model."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Static

from mmchat import format as fmt
from mmchat.store import ModelTotals


def _rows(rows: list[tuple[str, str]]) -> Content:
    width = max((len(label) for label, _ in rows), default=0)
    return Content("\n".join(f"{label:<{width}}  {value}" for label, value in rows))


def totals_text(totals: list[ModelTotals]) -> Content:
    if not totals:
        return Content("No answers yet.")
    turns = sum(t.turns for t in totals)
    costs = [t.cost_usd for t in totals]
    total_cost = None if any(c is None for c in costs) else sum(c for c in costs if c is not None)
    lines = [f"{turns} answer{'s' if turns != 1 else ''} · {fmt.cost(total_cost)}", ""]
    for t in totals:
        approx = "~" if t.estimated else ""
        lines.append(t.model)
        lines.append(
            f"  {t.turns} · {approx}{t.input_tokens:,} in / {approx}{t.output_tokens:,} out"
        )
        lines.append(f"  {fmt.cost(t.cost_usd)} · TTFT {fmt.duration_ms(t.median_ttft_ms)}")
    return Content("\n".join(lines))


class Sidebar(VerticalScroll, can_focus=False):
    def compose(self) -> ComposeResult:
        yield Static("This turn", classes="sidebar-title")
        yield Static(Content("Idle."), id="live")
        yield Static("Conversation", classes="sidebar-title")
        yield Static(Content("No answers yet."), id="totals")

    def show_live(self, rows: list[tuple[str, str]] | None) -> None:
        self.query_one("#live", Static).update(_rows(rows) if rows else Content("Idle."))

    def show_totals(self, totals: list[ModelTotals]) -> None:
        self.query_one("#totals", Static).update(totals_text(totals))
