"""Key bindings, each with an id so that a keymap (binding id → keys) can override it."""

from __future__ import annotations

from textual.binding import Binding

APP_BINDINGS = [
    Binding("ctrl+q", "quit", "Quit", id="quit", priority=True),
]

CHAT_BINDINGS = [
    Binding("escape", "cancel_turn", "Cancel answer", id="cancel", priority=True),
    Binding("ctrl+o", "pick_model", "Model", id="model_picker"),
    Binding("ctrl+b", "toggle_sidebar", "Sidebar", id="toggle_sidebar"),
    Binding("ctrl+n", "new_conversation", "New chat", id="new_conversation"),
]
