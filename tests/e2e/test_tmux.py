"""The real `mmchat` command in a real terminal (tmux) against a local OpenAI-format server.

The test types a prompt with `tmux send-keys`, reads the answer and the
sidebar's figures off the screen with `tmux capture-pane`, quits with Ctrl+Q
and checks what was stored. tmux runs on a private socket (`tmux -L`) with no
user config and an environment of its own, and its server is killed at the end.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from mmchat.store import Store
from tests.cli_helpers import private_env, two_provider_config, write_config

SIZE = (140, 45)
MODEL = "lab/gpt-4o-mini"
PROMPT = "What is the answer, in short?"
ANSWER = "The answer is **42**.\n\n- it is even\n- it is the product of 6 and 7\n"
LIMIT_S = 30.0  # a bound on waiting for the screen (start-up on a loaded machine), not a measurement


class Terminal:
    """A detached tmux session running one command, on a private tmux server."""

    def __init__(self, command: list[str], env: dict[str, str]) -> None:
        self.socket = f"mmchat-e2e-{uuid.uuid4().hex[:12]}"
        self.env = env  # the tmux server's own environment, hence the command's: nothing of the user's
        width, height = SIZE
        line = " ".join(["exec", *map(shlex.quote, command)])
        self.socket_path: Path | None = None
        try:
            self.tmux(
                "-f", "/dev/null", "new-session", "-d", "-s", "e2e", "-x", str(width), "-y", str(height), line,
                ";", "set-option", "-g", "remain-on-exit", "on",  # a crash leaves its screen to read
            )  # fmt: skip
            self.socket_path = Path(self.tmux("display-message", "-p", "#{socket_path}").strip())
        except BaseException:
            self.kill()
            raise

    def tmux(self, *args: str) -> str:
        done = subprocess.run(
            ["tmux", "-L", self.socket, *args], capture_output=True, text=True, env=self.env, timeout=10
        )
        if done.returncode != 0:
            raise AssertionError(f"tmux {' '.join(args)} failed: {done.stderr.strip()}")
        return done.stdout

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", "e2e")

    def until(self, what: str, condition: Callable[[str], bool], limit: float = LIMIT_S) -> str:
        """Capture the screen until `condition(screen)` holds; returns that screen."""
        deadline = time.monotonic() + limit
        while True:
            shown = self.screen()
            if condition(shown):
                return shown
            if time.monotonic() > deadline:
                raise AssertionError(f"the screen never showed {what}; it showed:\n{shown}")
            time.sleep(0.05)

    def type(self, text: str) -> None:
        self.tmux("send-keys", "-t", "e2e", "-l", text)

    def press(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", "e2e", *keys)

    def exited(self) -> bool:
        return self.tmux("display-message", "-p", "-t", "e2e", "#{pane_dead}").strip() == "1"

    def kill(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True, env=self.env, timeout=10)
        if self.socket_path is not None:
            self.socket_path.unlink(missing_ok=True)  # tmux leaves its socket file behind


def mmchat_command() -> list[str]:
    """The venv's console script, as a user runs it (else the module)."""
    script = Path(sys.executable).with_name("mmchat")
    return [str(script)] if script.exists() else [sys.executable, "-m", "mmchat"]


def terminal_environment(home: Path, config: Path) -> dict[str, str]:
    """The private environment mmchat runs in, in its terminal."""
    if shutil.which("tmux") is None:
        pytest.fail("this test needs tmux (Debian/Ubuntu: apt-get install tmux)")
    return {**private_env(home, config), "PATH": "/usr/local/bin:/usr/bin:/bin", "TERM": "xterm-256color", "LANG": "C.UTF-8"}


def quit_with_ctrl_q(term: Terminal) -> None:
    term.press("C-q")
    deadline = time.monotonic() + LIMIT_S
    while not term.exited():
        assert time.monotonic() < deadline, "Ctrl+Q did not quit mmchat"
        time.sleep(0.05)


@pytest.fixture
def terminal_env(home: Path, openai_server) -> dict[str, str]:
    config = write_config(
        home,
        f"""\
providers:
  lab:
    type: openai
    base_url: {openai_server.base_url}
    api_key_env: LAB_KEY
    timeouts: {{connect: 2, first_token: 5, idle: 5}}
    max_retries: 0
models:
  {MODEL}:
    context: 128000
    price: {{input: 1.0, output: 2.0}}
default_model: {MODEL}
""",
    )
    return terminal_environment(home, config)


@pytest.fixture
def terminal(terminal_env: dict[str, str]) -> Iterator[Terminal]:
    term = Terminal(mmchat_command(), terminal_env)
    try:
        yield term
    finally:
        term.kill()


def sidebar(screen: str) -> list[str]:
    """The sidebar's lines: every line from the column where its "This turn" title starts."""
    lines = screen.splitlines()
    column = next(line.index("This turn") for line in lines if "This turn" in line)
    return [line[column:].rstrip() for line in lines]


def row(lines: list[str], label: str) -> str:
    """The value of the sidebar's `label` row (one line, label then value)."""
    for line in lines:
        match = re.match(rf"{re.escape(label)}\s{{2,}}(\S.*)$", line)
        if match:
            return match[1]
    raise AssertionError(f"no {label!r} row in the sidebar:\n" + "\n".join(lines))


def test_a_prompt_typed_in_a_terminal_streams_its_answer_and_figures(terminal, openai_server, home):
    openai_server.reply_text(ANSWER, chunks=6, usage=openai_server.usage_body(prompt_tokens=21, output_tokens=9))
    terminal.until("the chat screen", lambda s: "This turn" in s and MODEL in s)

    terminal.type(PROMPT)
    terminal.press("Enter")
    shown = terminal.until("the finished answer", lambda s: "The answer is 42." in s and "21 in / 9 out" in s)

    assert "it is the product of 6 and 7" in shown and "**" not in shown  # rendered as Markdown
    assert PROMPT in shown  # the prompt, echoed in the conversation
    header = next(line for line in shown.splitlines() if f"{MODEL} · " in line)
    assert "TTFT" in header and "21 in / 9 out tokens" in header
    figures = sidebar(shown)
    assert row(figures, "model") == MODEL
    assert re.fullmatch(r"\d+ ms|\d+\.\d s", row(figures, "TTFT"))
    assert row(figures, "tokens") == "21 in / 9 out"
    assert row(figures, "cost") == "$0.000039"  # 21 × $1 + 9 × $2 per million tokens
    assert openai_server.requests[-1].json["messages"][-1] == {"role": "user", "content": PROMPT}

    quit_with_ctrl_q(terminal)
    with Store(home / "data" / "mmchat.db") as store:
        stored = store.path(store.latest_conversation_id())
    assert [(m.role, m.content, m.status) for m in stored] == [
        ("user", PROMPT, "complete"),
        ("assistant", ANSWER, "complete"),
    ]
    assert stored[1].model == MODEL and stored[1].cost_usd == pytest.approx(0.000039)


def test_auto_route_in_a_terminal_offers_the_next_model_after_a_cut_off_answer(home, openai_server):
    from tests.servers.core import DROP

    env = terminal_environment(home, two_provider_config(home, openai_server))
    openai_server.enqueue(openai_server.stream_script([*openai_server.opening("Half an answer"), DROP]))
    term = Terminal(mmchat_command(), env)
    try:
        term.until("auto-route on", lambda s: "This turn" in s and "\n auto" in s)
        term.type("a question")
        term.press("Enter")
        cut = term.until("the offer of the next model", lambda s: "answer again on two/small" in s)
        assert "→ one/big · rule 'big first'" in cut and "Half an answer" in cut and "Interrupted" in cut
        term.press("F8")
        shown = term.until("the answer again", lambda s: "You said: a question" in s)
        assert "→ two/small · next after one/big" in shown and "‹2/2›" in shown
        assert "Half an answer" not in shown  # replaced on screen, kept in the store
        quit_with_ctrl_q(term)
    finally:
        term.kill()
    with Store(home / "data" / "mmchat.db") as store:
        user, answer = store.path(store.latest_conversation_id())
        assert [(m.model, m.status, m.content) for m in store.siblings(answer.id)] == [
            ("one/big", "interrupted", "Half an answer"), ("two/small", "complete", "You said: a question"),
        ]
