"""The model picker: fuzzy search over the catalog, grouped by provider."""

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

from mmchat.catalog import ModelInfo


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


def row_text(model: ModelInfo, current: str | None) -> Content:
    mark = "●" if model.address == current else " "
    tags = ", ".join(model.tags)
    return Content(f"{mark} {model.model_id:<34.34} {price_text(model):>18} {context_text(model.context):>9}  {tags}")


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


class ModelPicker(ModalScreen[str | None]):
    """Returns the chosen model's address, or None when dismissed."""

    BINDINGS = [
        Binding("escape", "dismiss(None)", "Close", id="picker.close"),
        Binding("down", "move(1)", show=False, priority=True),
        Binding("up", "move(-1)", show=False, priority=True),
    ]

    def __init__(self, models: list[ModelInfo], current: str | None) -> None:
        super().__init__()
        self.models = models
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(id="picker"):
            yield Static("Choose a model  (price in / out per million tokens)", id="picker-title")
            yield Input(placeholder="type to filter: name, provider, tag…", id="picker-filter")
            yield OptionList(id="picker-list")

    def on_mount(self) -> None:
        self.show_models("")
        self.query_one(Input).focus()

    @on(Input.Changed)
    def _filter(self, event: Input.Changed) -> None:
        self.show_models(event.value)

    def show_models(self, query: str) -> None:
        options = self.query_one(OptionList)
        options.clear_options()
        found = filter_models(self.models, query)
        rows: list[Option] = []
        for provider, group in groupby(found, key=lambda m: m.provider):
            rows.append(Option(Content(provider), disabled=True))
            rows += [Option(row_text(m, self.current), id=m.address) for m in group]
        if not rows:
            rows.append(Option(Content("no model matches"), disabled=True))
        options.add_options(rows)
        first = next((i for i, row in enumerate(rows) if not row.disabled), None)
        options.highlighted = first

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
                self.dismiss(option.id)

    @on(OptionList.OptionSelected)
    def _choose(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            self.dismiss(event.option.id)
