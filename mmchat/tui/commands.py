"""The command palette's mmchat commands (Textual adds its own: quit, keys, screenshots…)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider

if TYPE_CHECKING:
    from mmchat.tui.app import MmchatApp


class MmchatCommands(Provider):
    def _commands(self) -> list[tuple[str, str, Callable[[], object]]]:
        app = cast("MmchatApp", self.app)
        screen = self.screen
        commands: list[tuple[str, str, Callable[[], object]]] = []
        for action, title, help_text in (
            ("pick_model", "Choose model…", "Pin the model of the next answers: auto-route off (/model)"),
            ("toggle_auto", "Toggle auto-route", "The router picks each turn's model, or the pin stays (/auto)"),
            ("compare", "Compare models…", "Send the next message to 2–6 models side by side (/compare)"),
            ("compare(True)", "Blind compare…", "Compare with the models hidden until you vote (/compare blind)"),
            ("stats", "Leaderboard", "Ratings from your compare votes, speed, cost and errors per model (/stats)"),
            ("override_model", "Model for the next message…", "Choose the model of the next message only (/next)"),
            ("stronger", "Retry with a stronger model", "Answer the latest prompt again with a stronger model (/stronger)"),
            ("route_details", "Show the routing decision", "Every candidate, score, cost, filter and rule of an answer's route"),
            ("unlock", "Unlock privacy", "Let this conversation use cloud models again (/unlock)"),
            ("conversations", "Conversations…", "Browse, open, rename, delete, search (/history)"),
            ("retry", "Retry answer", "Answer the failed or interrupted prompt again, in its place (/retry)"),
            ("copy_message", "Copy message", "Copy the focused message, else the latest answer (/copy)"),
            ("copy_code", "Copy code block…", "Copy a code block of that message (/copy code [N])"),
            ("export('md')", "Export as Markdown", "Write this conversation to a .md file here (/export md)"),
            ("export('json')", "Export as JSON", "Write this conversation to a .json file here (/export json)"),
            ("toggle_sidebar", "Toggle sidebar", "Show or hide the live figures and totals"),
            ("new_conversation", "New conversation", "Start an empty conversation (/clear)"),
            ("cancel_turn", "Cancel answer", "Stop the answer that is streaming (Esc)"),
        ):
            name = action.split("(")[0]
            if screen.check_action(name, ()) and hasattr(screen, f"action_{name}"):
                commands.append((title, help_text, partial(screen.run_action, action)))
        commands.append(("Help", "Every key and slash command (F1)", partial(app.run_action, "help")))
        for name in app.theme_names():
            commands.append((f"Theme: {name}", "Switch the colour theme", partial(app.use_theme, name)))
        return commands

    async def discover(self) -> Hits:
        for title, help_text, callback in self._commands():
            yield DiscoveryHit(title, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, callback in self._commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), callback, help=help_text)
