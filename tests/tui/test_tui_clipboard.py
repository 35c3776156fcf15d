"""Copying: the latest or focused message, a code block of it (OSC 52 and a system clipboard command)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from mmchat.tui.clipboard import CodeBlock, block_row, choose_block, code_blocks, copied_block, copied_text, system_command
from mmchat.tui.screens.chat import ChatScreen
from mmchat.tui.screens.dialogs import ChooseOne
from mmchat.tui.widgets.messages import AssistantMessage, UserMessage
from tests.tui.conftest import QUICK, make_app, until
from tests.tui.test_tui_chat import answers, send

ANSWER = (
    "Two ways:\n\n"
    "```python\nprint('hi')\nprint('there')\n```\n\n"
    "or in a shell:\n\n"
    "~~~bash\necho hi\n~~~\n"
)


def notes(app) -> list[str]:
    return [str(n.message) for n in app._notifications]


def test_code_blocks_are_found_in_order_with_their_language():
    text = ANSWER + "\n    indented = True\n\n```\nunclosed fence\n"
    assert code_blocks(text) == [
        CodeBlock("python", "print('hi')\nprint('there')\n"),
        CodeBlock("bash", "echo hi\n"),
        CodeBlock("", "indented = True\n"),
        CodeBlock("", "unclosed fence\n"),
    ]
    assert code_blocks("no code, only `inline` code") == []
    assert code_blocks("- a list\n\n  ```js\n  x()\n  ```\n") == [CodeBlock("js", "x()\n")]


def test_the_block_chooser_takes_a_number_the_only_block_or_asks():
    blocks = code_blocks(ANSWER)
    assert choose_block(blocks, "2") == CodeBlock("bash", "echo hi\n")
    assert choose_block(blocks, " 1 ") == blocks[0]
    assert choose_block(blocks, "") is None  # several: the user chooses
    assert choose_block(blocks[:1], "") == blocks[0]
    with pytest.raises(ValueError, match="use /copy code 1 to 2"):
        choose_block(blocks, "3")
    with pytest.raises(ValueError, match="use /copy code 1 to 2"):
        choose_block(blocks, "last")
    with pytest.raises(ValueError, match="no code block"):
        choose_block([], "")


def test_what_was_copied_is_said_in_words():
    assert copied_text("x" * 1234) == "copied 1,234 characters"
    assert copied_text("x") == "copied 1 character"
    assert copied_block(CodeBlock("python", "a\n" * 12)) == "copied the code block (python, 12 lines)"
    assert copied_block(CodeBlock("", "a")) == "copied the code block (1 line)"
    assert block_row(2, CodeBlock("python", "\n\ndef main():\n    pass\n")) == "2  python, 4 lines  def main():"
    assert len(block_row(1, CodeBlock("", "x" * 200), width=40)) == 40


def test_the_system_command_needs_its_display():
    on_path = {"wl-copy": "/bin/wl-copy", "xclip": "/bin/xclip", "xsel": "/bin/xsel"}
    which = on_path.get
    assert system_command({"WAYLAND_DISPLAY": "wayland-0", "DISPLAY": ":0"}, which) == ["/bin/wl-copy"]
    assert system_command({"DISPLAY": ":0"}, which) == ["/bin/xclip", "-selection", "clipboard"]
    assert system_command({"DISPLAY": ":0"}, {"xsel": "/bin/xsel"}.get) == ["/bin/xsel", "--clipboard", "--input"]
    assert system_command({}, which) is None  # over ssh: no display, nothing to run
    assert system_command({}, {"pbcopy": "/usr/bin/pbcopy"}.get) == ["/usr/bin/pbcopy"]


def app_for(store, openai_server):
    openai_server.reply_text(ANSWER, chunks=5)
    return make_app(store, [openai_server.config("local", timeouts=QUICK)], default_model="local/gpt-4o-mini")


@pytest.fixture
def no_system_clipboard(monkeypatch):
    for name in ("WAYLAND_DISPLAY", "DISPLAY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PATH", "/nonexistent")


async def test_copy_the_latest_answer_and_its_code_blocks(store, openai_server, no_system_clipboard):
    app = app_for(store, openai_server)
    async with app.run_test(size=(110, 36)) as pilot:
        await pilot.press("ctrl+t")
        assert "nothing to copy yet: no answer" in notes(app)
        await send(pilot, "show me")
        await until(pilot, lambda: answers(app) and answers(app)[0].state == "complete")
        await pilot.press("ctrl+t")
        assert app.clipboard == ANSWER
        assert f"copied {len(ANSWER)} characters" in notes(app)
        await send(pilot, "/copy code 2")
        assert app.clipboard == "echo hi\n"
        assert "copied the code block (bash, 1 line)" in notes(app)
        await send(pilot, "/copy code 7")
        await pilot.pause()
        assert any("use /copy code 1 to 2" in n for n in notes(app))
        # Several blocks and no number: a chooser lists them.
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, ChooseOne))
        assert app.screen.rows == ["1  python, 2 lines  print('hi')", "2  bash, 1 line  echo hi"]
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ChatScreen))
        assert app.clipboard == "print('hi')\nprint('there')\n"
        assert "copied the code block (python, 2 lines)" in notes(app)


async def test_copy_the_focused_message(store, openai_server, no_system_clipboard):
    app = app_for(store, openai_server)
    async with app.run_test(size=(110, 36)) as pilot:
        await send(pilot, "show me some code")
        await until(pilot, lambda: answers(app) and answers(app)[0].state == "complete")
        await pilot.press("shift+tab")
        assert isinstance(app.focused, AssistantMessage)
        await pilot.press("shift+tab")
        assert isinstance(app.focused, UserMessage)
        await pilot.press("ctrl+t")
        assert app.clipboard == "show me some code"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "that message has no code block" in notes(app)
        assert app.clipboard == "show me some code"


def fake_clipboard_tool(folder: Path, name: str, script: str) -> None:
    tool = folder / name
    tool.write_text("#!/bin/sh\n" + script)
    tool.chmod(tool.stat().st_mode | stat.S_IXUSR)


async def test_a_system_clipboard_command_gets_the_text_too(store, openai_server, tmp_path, monkeypatch):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    received = tmp_path / "received"
    fake_clipboard_tool(bin_dir, "wl-copy", f"cat > {received}\n")
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-test")
    app = app_for(store, openai_server)
    async with app.run_test(size=(110, 36)) as pilot:
        await send(pilot, "show me")
        await until(pilot, lambda: answers(app) and answers(app)[0].state == "complete")
        await send(pilot, "/copy code 1")
        await until(pilot, lambda: received.exists() and received.read_text() == "print('hi')\nprint('there')\n")
        assert app.clipboard == received.read_text()
        # A command that fails is reported; the terminal still got the text.
        fake_clipboard_tool(bin_dir, "wl-copy", "exit 3\n")
        await send(pilot, "/copy")
        await until(pilot, lambda: any("wl-copy failed (exit status 3)" in n for n in notes(app)))
        assert app.clipboard == ANSWER
