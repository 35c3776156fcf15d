"""The model picker: fuzzy search over the catalog, grouped by provider, with each model's
measured speed and each provider's reachability."""

from __future__ import annotations

from itertools import groupby

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.fuzzy import Matcher
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from mmchat import format as fmt
from mmchat.catalog import ModelInfo
from mmchat.config import COMPARE_MODELS
from mmchat.sanitize import printable
from mmchat.store import ModelSpeed


def price_text(model: ModelInfo) -> str:
    price = model.price
    if price is None or price.input is None or price.output is None:
        return "price unknown"
    if price.input == 0 and price.output == 0:
        return "free"
    return f"${price.input:g} / ${price.output:g}"


def context_text(tokens: int | None) -> str:
    if not tokens:
        return "ctx ?"
    if tokens >= 1_000_000:
        return f"{tokens / 1_000_000:g}M ctx"
    return f"{tokens // 1000}k ctx" if tokens >= 1000 else f"{tokens} ctx"


PIN_TITLE = "Choose a model to pin  (price in / out per million tokens; median TTFT and speed once measured)"
NEXT_TITLE = "The next message only goes to…  (then auto-route or the pin again)"
MAX_MARKED = COMPARE_MODELS[1]  # the most models one compare sends a prompt to
PROBLEM_WIDTH = 72  # a provider's problem is cut to one line of the picker


def speed_text(speed: ModelSpeed | None) -> str:
    """'TTFT 320 ms · 85 tok/s' once measured, '' before."""
    if speed is None:
        return ""
    parts = []
    if speed.median_ttft_ms is not None:
        parts.append(f"TTFT {fmt.duration_ms(speed.median_ttft_ms)}")
    if speed.median_tokens_per_s is not None:
        parts.append(f"{speed.median_tokens_per_s:.0f} tok/s")
    return " · ".join(parts)


NAME_WIDTH = 28  # at most, for a model's id


def row_text(
    model: ModelInfo, current: str | None, speed: str = "", speed_width: int = 0, name_width: int = NAME_WIDTH,
    *, marked: tuple[str, ...] = (),
) -> Content:
    """One model's row: its id in `name_width` columns; `speed` (speed_text) right-aligned in
    `speed_width` columns; '●' for the current model, '✓' for one `marked` to compare."""
    mark = "✓" if model.address in marked else "●" if model.address == current else " "
    cells = [
        f"{mark} {model.model_id:<{name_width}.{name_width}}", f"{price_text(model):>13}", f"{context_text(model.context):>8}",
    ]
    if speed_width:
        cells.append(f"{speed:>{speed_width}}")
    return Content(" ".join(cells) + "  " + ", ".join(model.tags))


def provider_text(provider: str, problem: str | None) -> Content:
    """A group's header: the provider, and why it cannot be used now, if it cannot."""
    if problem is None:
        return Content(provider)
    problem = printable(problem)
    if len(problem) > PROBLEM_WIDTH:
        problem = problem[: PROBLEM_WIDTH - 1] + "…"
    return Content.assemble(provider, "  ", (problem, "$error"))


def filter_models(models: list[ModelInfo], query: str) -> list[ModelInfo]:
    """`models` matching `query` (fuzzy, over address, name and tags), grouped by provider, best first."""
    if not query.strip():
        return sorted(models, key=lambda m: (m.provider, m.model_id))
    matcher = Matcher(query.strip())
    scored = []
    for model in models:
        score = matcher.match(f"{model.address} {model.display_name} {' '.join(model.tags)}")
        if score > 0:
            scored.append((model, score))
    best: dict[str, float] = {}
    for model, score in scored:
        best[model.provider] = max(best.get(model.provider, 0.0), score)
    scored.sort(key=lambda item: (-best[item[0].provider], item[0].provider, -item[1], item[0].model_id))
    return [model for model, _ in scored]


COMPARE_TITLE = "Compare 2 to 6 models:  Enter marks or unmarks one, F2 compares the marked ones, Esc closes"


class ModelPicker(ModalScreen[str | None]):
    """Returns the chosen model's address, or None when dismissed."""

    BINDINGS = [
        Binding("escape", "dismiss(None)", "Close", id="picker.close"),
        Binding("down", "move(1)", show=False, priority=True),
        Binding("up", "move(-1)", show=False, priority=True),
    ]

    def __init__(
        self,
        models: list[ModelInfo],
        current: str | None,
        *,
        speeds: dict[str, ModelSpeed] | None = None,
        problems: dict[str, str] | None = None,
        title: str = PIN_TITLE,
    ) -> None:
        super().__init__()
        self.title_text = title
        self.models = models
        self.current = current
        self.speeds = speeds or {}
        self.problems = problems or {}

    @property
    def marked(self) -> tuple[str, ...]:
        return ()

    def compose(self) -> ComposeResult:
        with Vertical(id="picker"):
            yield Static(Content(self.title_text), id="picker-title")
            yield Input(placeholder="type to filter: name, provider, tag…", id="picker-filter")
            yield OptionList(id="picker-list")

    def on_mount(self) -> None:
        self.show_models("")
        self.query_one(Input).focus()

    @on(Input.Changed)
    def _filter(self, event: Input.Changed) -> None:
        self.show_models(event.value)

    def update_models(self, models: list[ModelInfo], problems: dict[str, str]) -> None:
        """Show a fresher catalog and reachability (the filter and the highlighted model stay)."""
        self.models = models
        self.problems = problems
        self.show_models(self.query_one(Input).value, keep_highlight=True)

    def show_models(self, query: str, *, keep_highlight: bool = False) -> None:
        options = self.query_one(OptionList)
        highlighted = options.highlighted_option.id if keep_highlight and options.highlighted_option else None
        options.clear_options()
        found = filter_models(self.models, query)
        speeds = {m.address: speed_text(self.speeds.get(m.address)) for m in found}
        speed_width = max(map(len, speeds.values()), default=0)  # no column until some model is measured
        name_width = min(NAME_WIDTH, max((len(m.model_id) for m in found), default=0))
        rows: list[Option] = []
        for provider, group in groupby(found, key=lambda m: m.provider):
            rows.append(Option(provider_text(provider, self.problems.get(provider)), disabled=True))
            rows += [
                Option(
                    row_text(m, self.current, speeds.get(m.address, ""), speed_width, name_width, marked=self.marked),
                    id=m.address,
                )
                for m in group
            ]
        if not rows:
            rows.append(Option(Content("no model matches"), disabled=True))
        options.add_options(rows)
        at = next((i for i, row in enumerate(rows) if highlighted is not None and row.id == highlighted), None)
        if at is None:
            at = next((i for i, row in enumerate(rows) if not row.disabled), None)
        options.highlighted = at

    def action_move(self, step: int) -> None:
        options = self.query_one(OptionList)
        if step > 0:
            options.action_cursor_down()
        else:
            options.action_cursor_up()

    @on(Input.Submitted)
    def _choose_highlighted(self) -> None:
        options = self.query_one(OptionList)
        if options.highlighted is not None:
            option = options.get_option_at_index(options.highlighted)
            if option.id and not option.disabled:
                self.chosen(option.id)

    @on(OptionList.OptionSelected)
    def _choose(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            self.chosen(event.option.id)

    def chosen(self, address: str) -> None:
        self.dismiss(address)


class ComparePicker(ModelPicker):
    """The picker for a compare: Enter marks or unmarks a model, F2 returns the marked ones
    (2 to 6, in the order marked) as one comma-separated string; None when dismissed."""

    BINDINGS = [Binding("f2", "compare", "Compare", priority=True)]

    def __init__(self, models: list[ModelInfo], marked: tuple[str, ...] = (), **kw: object) -> None:
        super().__init__(models, None, title=COMPARE_TITLE, **kw)  # type: ignore[arg-type]
        self._marked = list(marked)

    @property
    def marked(self) -> tuple[str, ...]:
        return tuple(self._marked)

    def chosen(self, address: str) -> None:
        if address in self._marked:
            self._marked.remove(address)
        elif len(self._marked) >= MAX_MARKED:
            self.notify(f"at most {MAX_MARKED} models in a compare: unmark one first", severity="warning")
            return
        else:
            self._marked.append(address)
        self.show_models(self.query_one(Input).value, keep_highlight=True)

    def action_compare(self) -> None:
        if len(self._marked) < 2:
            self.notify("mark at least 2 models to compare (Enter marks the highlighted one)", severity="warning")
            return
        self.dismiss(",".join(self._marked))
