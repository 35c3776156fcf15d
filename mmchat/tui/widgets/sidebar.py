"""The sidebar: the running turn's figures, the budget bars, then the conversation's totals per model."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Static

from mmchat import format as fmt
from mmchat.session.budget import BudgetUse
from mmchat.session.view import Figures
from mmchat.store import ModelTotals
from mmchat.tui.budget import unpriced_note, use_lines
from mmchat.tui.widgets.steady import SteadyStatic

BUDGET_NAMES = ("conversation", "day")


def _rows(rows: list[tuple[str, str]]) -> Content:
    width = max((len(label) for label, _ in rows), default=0)
    return Content("\n".join(f"{label:<{width}}  {value}" for label, value in rows))


def figure_rows(model: str, figures: Figures) -> list[tuple[str, str]]:
    """(label, value) rows of an answer's figures; '~' marks what is estimated."""
    approx = "~" if figures.estimated else ""
    speed = "–"
    if figures.tokens_per_s is not None:
        speed = f"{'~' if figures.live else ''}{figures.tokens_per_s:.0f} tok/s"
    cost = fmt.cost(figures.cost_usd)
    return [
        ("model", model),
        ("TTFT", fmt.duration_ms(figures.ttft_ms)),
        ("elapsed", fmt.duration_ms(figures.elapsed_ms)),
        ("speed", speed),
        ("tokens", f"{approx}{figures.input_tokens:,} in / {approx}{figures.output_tokens:,} out"),
        ("cost", cost if figures.cost_usd is None else approx + cost),
    ]


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
        yield SteadyStatic(Content("Idle."), id="live")
        # The budget shows only when the config sets a limit.
        budget = [
            Static("Budget", classes="sidebar-title", id="budget-title"),
            *(SteadyStatic(Content(""), id=f"budget-{name}", classes="budget") for name in BUDGET_NAMES),
            SteadyStatic(Content(""), id="budget-note"),
        ]
        for widget in budget:
            widget.display = False
            yield widget
        yield Static("Conversation", classes="sidebar-title")
        yield SteadyStatic(Content("No answers yet."), id="totals")

    def show_live(self, rows: list[tuple[str, str]] | None) -> None:
        self.query_one("#live", SteadyStatic).show_content(_rows(rows) if rows else Content("Idle."))

    def show_totals(self, totals: list[ModelTotals]) -> None:
        self.query_one("#totals", SteadyStatic).show_content(totals_text(totals))

    def show_budget(self, uses: list[BudgetUse]) -> None:
        """A bar per configured limit, styled by its level (ok, warn, over)."""
        by_name = {use.name: use for use in uses}
        self.query_one("#budget-title").display = bool(uses)
        for name in BUDGET_NAMES:
            widget = self.query_one(f"#budget-{name}", SteadyStatic)
            use = by_name.get(name)
            widget.display = use is not None
            if use is not None:
                widget.show_content(Content(use_lines(use)))
                for level in ("warn", "over"):
                    widget.set_class(use.level == level, level)
        note = unpriced_note(uses)
        note_widget = self.query_one("#budget-note", SteadyStatic)
        note_widget.display = note is not None
        note_widget.show_content(Content(note or ""))
