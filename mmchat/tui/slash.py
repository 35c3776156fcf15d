"""Slash commands typed in the prompt: /model [ADDRESS], /clear, /theme [NAME]."""

from __future__ import annotations

from dataclasses import dataclass

COMMANDS = ("model", "clear", "theme")


@dataclass(frozen=True)
class SlashCommand:
    name: str
    argument: str  # the rest of the line, stripped ('' when none)


def parse_slash(line: str) -> SlashCommand | None:
    """The command typed on `line` (which starts with '/'), or None when it is not one."""
    name, _, argument = line.strip()[1:].partition(" ")
    name = name.lower()
    if name not in COMMANDS:
        return None
    return SlashCommand(name, argument.strip())
