"""The help screen: every key binding (as the keymap now sets it) and every slash command."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from mmchat.tui.keymap import FIXED_KEYS, SCOPES, effective_keys, key_label
from mmchat.tui.slash import COMMANDS

KEY_WIDTH = 22


def help_text(keymap: dict[str, str]) -> str:
    """The help as plain lines: keys by scope with their binding ids, fixed keys, slash commands."""
    lines: list[str] = []
    by_scope = effective_keys(keymap)
    for scope, title in SCOPES.items():
        lines += [title, ""]
        for spec, keys in by_scope:
            if spec.scope == scope:
                lines.append(f"  {key_label(keys):<{KEY_WIDTH}} {spec.description:<58} {spec.id}")
        lines.append("")
    lines += ["Prompt and lists (fixed keys)", ""]
    lines += [f"  {keys:<{KEY_WIDTH}} {what}" for keys, what in FIXED_KEYS]
    lines += ["", "Slash commands (type them in the prompt)", ""]
    lines += [f"  {usage:<{KEY_WIDTH}} {what}" for usage, what in COMMANDS.values()]
    lines += [
        "",
        "Change any key in the config file, by binding id (the last column):",
        "  keys:",
        "    conversations: ctrl+h",
        "    retry: ctrl+r,f5",
    ]
    return "\n".join(lines)


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,f1,q", "dismiss(None)", "Close", show=False)]

    def __init__(self, keymap: dict[str, str]) -> None:
        super().__init__()
        self.keymap = keymap

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help"):
            yield Static(Content("mmchat: keys and commands  (Esc closes)"), id="help-title")
            yield Static(Content(help_text(self.keymap)), id="help-body")
