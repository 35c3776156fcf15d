"""The keymap: every key binding of the interface as data, each with an id, so the
config's `keymap:` section (binding id → keys) can rebind it.

Plain data and small functions, no Textual: the config reader checks binding ids
and clashes here without loading the interface; `mmchat.tui.keymap` turns the
specs into Textual bindings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class KeySpec:
    id: str
    keys: str  # Textual key names, several separated by commas
    action: str
    label: str  # the footer's short name
    description: str
    scope: str  # one of SCOPES
    show: bool = True  # shown in the footer
    priority: bool = False  # wins over the focused widget's own keys


SCOPES = {
    "app": "Everywhere",
    "chat": "Chat",
    "conversations": "Conversations list",
    "picker": "Model picker",
}

KEYS: tuple[KeySpec, ...] = (
    KeySpec("quit", "ctrl+q", "quit", "Quit", "Quit (everything is saved)", "app", priority=True),
    KeySpec("help", "f1", "help", "Help", "Help: keys and slash commands", "app"),
    KeySpec("quit_twice", "ctrl+c", "quit_twice", "Quit", "Quit when pressed twice within 2 s (nothing selected to copy)", "app", show=False),
    KeySpec("cancel", "escape", "cancel_turn", "Cancel answer", "Cancel the answer that is streaming", "chat", priority=True),
    KeySpec("model_picker", "ctrl+o", "pick_model", "Model", "Choose the model and pin it, auto-route off (/model)", "chat"),
    KeySpec("auto_route", "ctrl+g", "toggle_auto", "Auto", "Auto-route on/off: the router picks the model (/auto)", "chat"),
    KeySpec("compare", "f2", "compare", "Compare", "Compare the next message's answers from several models (/compare)", "chat", show=False),
    KeySpec("override_model", "f4", "override_model", "Next model", "Choose the model of the next message only (/next)", "chat", show=False),
    KeySpec("stronger", "f5", "stronger", "Stronger", "Answer the latest prompt again, stronger model (/stronger)", "chat", show=False),
    KeySpec("retry_next", "f8", "retry_next", "Next model", "Answer the latest prompt again on the next model of its routing (/retry next)", "chat", show=False),
    KeySpec("route_details", "f3", "route_details", "Why", "Show the routing decision of the focused/latest answer", "chat", show=False),
    KeySpec("conversations", "ctrl+l", "conversations", "History", "Browse conversations (/history)", "chat"),
    KeySpec("search", "ctrl+f", "search", "Search", "Search all messages (/search)", "chat", show=False),
    KeySpec("retry", "ctrl+r", "retry", "Retry", "Retry the failed or interrupted answer (/retry)", "chat"),
    KeySpec("copy_message", "ctrl+t", "copy_message", "Copy", "Copy the focused message, else the latest answer (/copy)", "chat"),
    KeySpec("copy_code", "ctrl+s", "copy_code", "Copy code", "Copy a code block of it (/copy code [N])", "chat", show=False),
    KeySpec("toggle_sidebar", "ctrl+b", "toggle_sidebar", "Sidebar", "Show or hide the sidebar", "chat"),
    KeySpec("new_conversation", "ctrl+n", "new_conversation", "New chat", "New conversation (/clear)", "chat"),
    KeySpec("conversations.rename", "f2", "rename", "Rename", "Rename the chosen conversation", "conversations", priority=True),
    KeySpec("conversations.delete", "ctrl+d", "delete", "Delete", "Delete the chosen conversation", "conversations", priority=True),
    KeySpec("conversations.close", "escape", "dismiss(None)", "Close", "Close the list", "conversations"),
    KeySpec("picker.close", "escape", "dismiss(None)", "Close", "Close the picker", "picker"),
)

SPECS: dict[str, KeySpec] = {spec.id: spec for spec in KEYS}
BINDING_IDS: tuple[str, ...] = tuple(SPECS)

# Keys taken before a chat binding sees them: the prompt's own (Textual's TextArea, while it
# has focus) and the command palette's.
TAKEN_KEYS: dict[str, str] = {
    "ctrl+a": "the prompt (start of line)", "ctrl+e": "the prompt (end of line)",
    "ctrl+k": "the prompt (delete to end of line)", "ctrl+u": "the prompt (delete to start of line)",
    "ctrl+w": "the prompt (delete word left)", "ctrl+d": "the prompt (delete right)",
    "ctrl+x": "the prompt (cut)", "ctrl+v": "the prompt (paste)", "ctrl+z": "the prompt (undo)",
    "ctrl+y": "the prompt (redo)", "ctrl+j": "the prompt (new line)", "f6": "the prompt (select line)",
    "f7": "the prompt (select all)", "ctrl+p": "the command palette",
}

# Keys handled by widgets themselves (not rebindable), listed on the help screen.
FIXED_KEYS: tuple[tuple[str, str], ...] = (
    ("Enter", "Send the prompt"),
    ("Ctrl+J / Shift+Enter", "New line in the prompt"),
    ("Up / Down", "Earlier prompts (at the first / last line of the prompt)"),
    ("Shift+Tab / Tab", "Focus the messages, newest first (to copy one)"),
    ("?", "This help, when the prompt is empty"),
    ("Ctrl+P", "Command palette: every action, themes"),
    ("Ctrl+C", "Copy the selected text (with nothing selected: twice quits)"),
    ("Enter (in a list)", "Open the chosen conversation or model"),
    ("Enter / click on →", "Show or fold the whole routing decision of an answer"),
    ("Left / Right (on an answer)", "Its other answers (retries, marked ‹2/3›), and go on from the one shown"),
    ("1–6 / t / x (in a compare)", "Vote: the best answer, a tie, all bad (n first: a one-line note)"),
    ("Enter (in a compare)", "Go on with the winner, or the focused answer: the others stay its alternatives"),
    ("Esc (in a compare)", "Stop every answer (each kept, marked interrupted); again: back to the chat"),
)


_FKEY = re.compile(r"f\d{1,2}")
_NAMES = {"escape": "Esc", "question_mark": "?", "enter": "Enter", "delete": "Del", "space": "Space"}


def key_label(keys: str) -> str:
    """'ctrl+o,f2' → 'Ctrl+O / F2' (as the help screen shows it)."""
    labels = []
    for key in keys.split(","):
        parts = key.strip().split("+")
        labels.append("+".join(_NAMES.get(p, p.upper() if len(p) == 1 or _FKEY.fullmatch(p) else p.capitalize()) for p in parts))
    return " / ".join(labels)


def key_of(keymap: dict[str, str], binding_id: str) -> str:
    """The label of the first key `binding_id` answers to once `keymap` is applied ('F8')."""
    spec = SPECS[binding_id]
    return key_label(keymap.get(binding_id, spec.keys).split(",")[0])


def clash(keymap: dict[str, str], binding_id: str) -> str | None:
    """Why `binding_id`'s keys in `keymap` cannot work (a key another binding of the same
    screen already has, or one the prompt takes), or None. Bindings of the app's scope are
    live on every screen."""
    spec = SPECS[binding_id]
    mine = [k.strip() for k in keymap.get(binding_id, spec.keys).split(",")]
    for other, keys in effective_keys(keymap):
        if other.id == binding_id or not (other.scope == spec.scope or "app" in (other.scope, spec.scope)):
            continue
        taken = set(mine) & {k.strip() for k in keys.split(",")}
        if taken:
            key = sorted(taken)[0]
            return f"{key} is also the key of '{other.id}' ({other.description}): choose another key, or rebind '{other.id}' too"
    if spec.scope in ("chat", "app") and not spec.priority:
        for key in mine:
            if key in TAKEN_KEYS:
                return f"{key} is taken by {TAKEN_KEYS[key]}: choose another key"
    return None


def effective_keys(keymap: dict[str, str]) -> list[tuple[KeySpec, str]]:
    """Every binding with the keys it answers to once `keymap` (id → keys) is applied."""
    return [(spec, keymap.get(spec.id, spec.keys)) for spec in KEYS]
