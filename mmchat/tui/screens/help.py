"""The help screen: every key binding (as the keymap now sets it) and every slash command."""

from __future__ import annotations

import textwrap

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from mmchat.tui.keymap import FIXED_KEYS, SCOPES, effective_keys, key_label
from mmchat.tui.slash import COMMANDS

KEY_WIDTH = 22
DESCRIPTION_WIDTH = 58  # the binding ids' column starts after it, when the screen is wide enough


def help_text(keymap: dict[str, str], width: int | None = None) -> str:
    """The help as plain lines: keys by scope with their binding ids, fixed keys, slash commands.
    Given the `width` it is shown in, a row too long for it wraps under its own text."""
    lines: list[str] = []

    def row(left: str, text: str, binding_id: str = "") -> None:
        lines.extend(_row(left, text, binding_id, width))

    for scope, title in SCOPES.items():
        lines += [title, ""]
        for spec, keys in effective_keys(keymap):
            if spec.scope == scope:
                row(key_label(keys), spec.description, spec.id)
        lines.append("")
    lines += ["Prompt and lists (fixed keys)", ""]
    for keys, what in FIXED_KEYS:
        row(keys, what)
    lines += ["", "Slash commands (type them in the prompt)", ""]
    for usage, what in COMMANDS.values():
        row(usage, what)
    lines += [
        "",
        "Change any key in the config file by binding id",
        "(the last column, or [in brackets]):",
        "  keymap:",
        "    conversations: ctrl+h",
        "    retry: ctrl+r,f9",
    ]
    return "\n".join(lines)


def _row(left: str, text: str, binding_id: str, width: int | None) -> list[str]:
    """'  LEFT   text   binding_id' on one line when `width` allows (or is None); else the text
    and '[binding_id]' wrapped to `width` with a hanging indent."""
    head = f"  {left:<{KEY_WIDTH}} "
    line = f"{head}{text:<{DESCRIPTION_WIDTH}} {binding_id}" if binding_id else head + text
    if width is None or len(line.rstrip()) <= width:
        return [line.rstrip()]
    indent = " " * (KEY_WIDTH + 3)
    wrapped = textwrap.wrap(f"{text} [{binding_id}]" if binding_id else text, max(20, width - len(indent)))
    if len(head) > len(indent):  # a long key takes a line of its own
        return [head.rstrip(), *(indent + part for part in wrapped)]
    return [head + wrapped[0], *(indent + part for part in wrapped[1:])]


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,f1,q", "dismiss(None)", "Close", show=False)]

    def __init__(self, keymap: dict[str, str]) -> None:
        super().__init__()
        self.keymap = keymap

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help"):
            yield Static(Content("mmchat: keys and commands  (Esc closes)"), id="help-title")
            yield Static(Content(help_text(self.keymap)), id="help-body")

    def on_resize(self) -> None:
        self.call_after_refresh(self._wrap)  # once the body has its new width

    def _wrap(self) -> None:
        body = self.query_one("#help-body", Static)
        body.update(Content(help_text(self.keymap, body.content_region.width or None)))
