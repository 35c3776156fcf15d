"""Slash commands typed in the prompt (the chat screen runs them): their names, usage and words."""

from __future__ import annotations

from dataclasses import dataclass

# name → (usage, what it does); the help screen lists them in this order.
COMMANDS: dict[str, tuple[str, str]] = {
    "model": ("/model [provider/model]", "Pin a model (auto-route off), or open the model picker"),
    "auto": ("/auto [on|off]", "Auto-route: the router picks each turn's model (toggles without a word)"),
    "next": ("/next [provider/model|off]", "The model of the next message only, then auto-route or the pin again"),
    "compare": (
        "/compare [blind] [a,b,c | SET | top N | off]",
        "Send the next message to 2–6 models side by side: named, a compare set, the router's top N, or chosen in the picker",
    ),
    "stronger": ("/stronger", "Answer the latest prompt again, in its place, with a stronger model"),
    "unlock": ("/unlock", "Lift this conversation's privacy lock (after a confirmation)"),
    "clear": ("/clear", "Start a new conversation"),
    "history": ("/history", "Browse, open, rename and delete conversations"),
    "search": ("/search WORDS", "Search every stored message"),
    "export": (
        "/export [md|json] [all]",
        "Write this conversation to a file in the current directory (all: each answer's alternatives too)",
    ),
    "retry": ("/retry [next]", "Answer the failed or interrupted prompt again, in its place (next: on the next model)"),
    "answer": ("/answer [next|prev]", "Show another answer to the latest prompt (its retries are kept), and go on from it"),
    "stats": ("/stats", "Your leaderboard: ratings from your compare votes, speed, cost and errors per model"),
    "copy": ("/copy [code [N]]", "Copy the latest answer, or a code block of it (N counts from 1)"),
    "theme": ("/theme [name]", "Switch the colour theme, or list the themes"),
    "help": ("/help", "Keys and commands"),
}


# Commands that take one of a few words (or none): anything else is refused with the usage.
WORDS: dict[str, tuple[str, ...]] = {
    "auto": ("on", "off"),
    "retry": ("next",),
    "answer": ("next", "prev"),
}


@dataclass(frozen=True)
class SlashCommand:
    name: str
    argument: str  # the rest of the line, stripped ('' when none)

    @property
    def word(self) -> str:
        return self.argument.lower()

    def problem(self) -> str | None:
        """'/auto maybe: use /auto, /auto on or /auto off' when the argument is not one of its words."""
        words = WORDS.get(self.name)
        if words is None or self.word in ("", *words):
            return None
        forms = [f"/{self.name}", *(f"/{self.name} {w}" for w in words)]
        return f"/{self.name} {self.argument}: use {', '.join(forms[:-1])} or {forms[-1]}"


def parse_slash(line: str) -> SlashCommand | None:
    """The command typed on `line` (which starts with '/'), or None when it is not one."""
    name, _, argument = line.strip()[1:].partition(" ")
    name = name.lower()
    if name not in COMMANDS:
        return None
    return SlashCommand(name, argument.strip())
