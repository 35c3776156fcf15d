"""The Textual application: themes and the routing mode (both remembered), keymap, help, and closing the engine on exit."""

from __future__ import annotations

import gc
import time
from contextlib import suppress
from functools import partial
from pathlib import Path

from textual.app import App
from textual.screen import Screen

from mmchat.tui.commands import MmchatCommands
from mmchat.tui.keymap import bindings, key_of
from mmchat.tui.service import ChatService
from mmchat.tui.themes import DEFAULT_THEME, load_themes


QUIT_WINDOW_S = 2.0  # a second Ctrl+C within this quits
ROUTE_MODES = ("auto", "pinned")  # remembered as the state's "route"


class MmchatApp(App[None]):
    CSS_PATH = "mmchat.tcss"
    TITLE = "mmchat"
    BINDINGS = bindings("app")
    COMMANDS = App.COMMANDS | {MmchatCommands}

    def __init__(
        self, service: ChatService, *, theme_dirs: list[Path] | None = None, state_path: Path | None = None
    ) -> None:
        super().__init__()
        from mmchat.tui.state import default_state_path, load_state

        self.service = service
        self.quit_window_s = QUIT_WINDOW_S
        self._quit_asked_at: float | None = None
        self.keymap = dict(service.config.keymap)  # binding id → keys, from the config's `keymap:`
        self.set_keymap(self.keymap)
        self.state_path = state_path or default_state_path()
        self.state = load_state(self.state_path)
        themes, self.theme_problems = load_themes(theme_dirs)
        self._own_themes = [theme.name for theme in themes]
        for theme in themes:
            self.register_theme(theme)
        remembered = self.state.get("theme")
        if isinstance(remembered, str) and remembered in self.available_themes:
            self.theme = remembered
        else:
            self.theme = DEFAULT_THEME if DEFAULT_THEME in self._own_themes else "textual-dark"
        route = self.state.get("route")
        service.auto_route = route == "auto" if route in ROUTE_MODES else service.auto_by_default()

    def get_default_screen(self) -> Screen:
        if not self.service.has_providers:
            from mmchat.tui.screens.welcome import WelcomeScreen

            return WelcomeScreen(self.service.config.source)
        from mmchat.tui.screens.chat import ChatScreen

        return ChatScreen(self.service)

    def on_mount(self) -> None:
        # What start-up allocated lives as long as the app: keep it out of the full garbage
        # collections that otherwise froze the screen for 50-80 ms while long answers stream.
        self.call_after_refresh(gc.freeze)
        for problem in self.theme_problems:
            self.notify(problem, severity="warning", timeout=10)
        self.theme_changed_signal.subscribe(self, lambda theme: self._remember("theme", theme.name))

    def _remember(self, name: str, value: object) -> None:
        from mmchat.tui.state import save_state

        if self.state.get(name) == value:
            return
        self.state[name] = value
        try:
            save_state(self.state_path, self.state)
        except OSError as exc:
            self.notify(f"cannot remember the {name} in {self.state_path}: {exc.strerror}", severity="warning")

    def remember_route(self) -> None:
        """Keep the routing mode (auto-route or pinned) for the next start."""
        self._remember("route", "auto" if self.service.auto_route else "pinned")

    def theme_names(self) -> list[str]:
        """mmchat's themes (bundled and the user's); Textual's own stay reachable from its palette command."""
        return list(self._own_themes)

    def use_theme(self, name: str) -> bool:
        if name not in self.available_themes:
            self.notify(f"no theme named '{name}': try one of {', '.join(self.theme_names())}", severity="error")
            return False
        self.theme = name
        return True

    def copy(self, text: str, summary: str) -> None:
        """Put `text` on the clipboard: OSC 52 through the terminal (which some ignore) and,
        when there is one, the system's clipboard command, run off the UI thread.
        `summary` tells the user what was copied."""
        from mmchat.tui.clipboard import system_command

        self.copy_to_clipboard(text)
        command = system_command()
        if command is not None:
            self.run_worker(partial(self._run_clipboard_command, command, text), thread=True, group="clipboard")
        self.notify(summary)

    def _run_clipboard_command(self, command: list[str], text: str) -> None:
        from mmchat.tui.clipboard import run_command

        problem = run_command(command, text)
        if problem is not None:
            self.call_from_thread(self.notify, f"{problem}: copied through the terminal only (OSC 52)", severity="warning")

    def action_help(self) -> None:
        from mmchat.tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.keymap))

    async def action_quit_twice(self) -> None:
        """Ctrl+C that nothing took to copy a selection: the first asks for a second, which quits."""
        now = time.monotonic()
        if self._quit_asked_at is not None and now - self._quit_asked_at <= self.quit_window_s:
            await self.action_quit()
            return
        self._quit_asked_at = now
        key = key_of(self.keymap, "quit_twice")
        self.notify(f"press {key} again to quit", timeout=self.quit_window_s)

    async def action_quit(self) -> None:
        # A running answer is cancelled first, so the engine stores it as interrupted.
        for worker in list(self.workers):
            worker.cancel()
            with suppress(Exception):
                await worker.wait()
        await self.service.aclose()
        self.exit()
