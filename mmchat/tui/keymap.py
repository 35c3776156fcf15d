"""The keymap as Textual bindings; the specs themselves are data in `mmchat.keymap`."""

from __future__ import annotations

from typing import TYPE_CHECKING

# The interface's modules import the keymap's data from here too.
from mmchat.keymap import (
    BINDING_IDS,
    FIXED_KEYS,
    KEYS,
    SCOPES,
    SPECS,
    TAKEN_KEYS,
    KeySpec,
    clash,
    effective_keys,
    key_label,
    key_of,
)

if TYPE_CHECKING:
    from textual.binding import Binding

__all__ = [
    "BINDING_IDS", "FIXED_KEYS", "KEYS", "SCOPES", "SPECS", "TAKEN_KEYS", "KeySpec",
    "bindings", "clash", "effective_keys", "key_label", "key_of",
]


def bindings(scope: str) -> list[Binding]:
    """Textual bindings for one scope (the app's keymap then replaces keys by id)."""
    from textual.binding import Binding

    return [
        Binding(spec.keys, spec.action, spec.label, show=spec.show, priority=spec.priority, id=spec.id)
        for spec in KEYS
        if spec.scope == scope
    ]
