"""What the copy actions need besides Textual: the code blocks of a Markdown text,
the words that say what was copied, and a system clipboard command to run
besides OSC 52 (which some terminals ignore)."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass

COMMAND_TIMEOUT_S = 3.0


@dataclass(frozen=True)
class CodeBlock:
    language: str  # the fence's info word ('' when none)
    code: str

    @property
    def lines(self) -> int:
        return len(self.code.splitlines())

    def describe(self) -> str:
        """'python, 12 lines' (or just '3 lines' without a language)."""
        lines = f"{self.lines} line{'s' if self.lines != 1 else ''}"
        return f"{self.language}, {lines}" if self.language else lines


def code_blocks(markdown: str) -> list[CodeBlock]:
    """The fenced and indented code blocks of `markdown`, in order (an unclosed fence runs to the end)."""
    from markdown_it import MarkdownIt

    blocks = []
    for token in MarkdownIt("commonmark").parse(markdown):
        if token.type in ("fence", "code_block"):
            language = token.info.split()[0] if token.info.strip() else ""
            blocks.append(CodeBlock(language, token.content))
    return blocks


def choose_block(blocks: list[CodeBlock], number: str = "") -> CodeBlock | None:
    """Block `number` (counted from 1); without a number the only block, or None
    when there are several and the user should choose.

    Raises ValueError with one line that says what to type instead.
    """
    if not blocks:
        raise ValueError("that message has no code block")
    if not number.strip():
        return blocks[0] if len(blocks) == 1 else None
    try:
        n = int(number)
    except ValueError:
        n = 0
    if not 1 <= n <= len(blocks):
        choices = "1" if len(blocks) == 1 else f"1 to {len(blocks)}"
        raise ValueError(f"no code block '{number.strip()}' in that message: use /copy code {choices}")
    return blocks[n - 1]


def block_row(number: int, block: CodeBlock, width: int = 60) -> str:
    """One line for the chooser: '2  python, 12 lines  def main():'."""
    first = next((line.strip() for line in block.code.splitlines() if line.strip()), "")
    row = f"{number}  {block.describe()}  {first}"
    return row if len(row) <= width else row[: width - 1] + "…"


def copied_text(text: str) -> str:
    n = len(text)
    return f"copied {n:,} character{'s' if n != 1 else ''}"


def copied_block(block: CodeBlock) -> str:
    return f"copied the code block ({block.describe()})"


# (command, the environment variable that says its display is there, or None)
COMMANDS: tuple[tuple[tuple[str, ...], str | None], ...] = (
    (("wl-copy",), "WAYLAND_DISPLAY"),
    (("xclip", "-selection", "clipboard"), "DISPLAY"),
    (("xsel", "--clipboard", "--input"), "DISPLAY"),
    (("pbcopy",), None),
)


def system_command(
    env: Mapping[str, str] | None = None, which: Callable[[str], str | None] = shutil.which
) -> list[str] | None:
    """The first clipboard command on PATH whose display is there (an X tool without
    DISPLAY, say over ssh, would only fail), or None."""
    env = os.environ if env is None else env
    for command, display in COMMANDS:
        if display is not None and not env.get(display):
            continue
        path = which(command[0])
        if path:
            return [path, *command[1:]]
    return None


def run_command(command: list[str], text: str, timeout: float = COMMAND_TIMEOUT_S) -> str | None:
    """Give `text` to `command` on its stdin; None when it worked, else why not (one line).

    Its output goes nowhere: xclip and wl-copy leave a child serving the
    selection, and a pipe it kept open would make this wait for it.
    """
    name = os.path.basename(command[0])
    try:
        done = subprocess.run(
            command, input=text.encode("utf-8"), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            timeout=timeout, check=False,
        )
    except subprocess.TimeoutExpired:
        return f"{name} did not finish within {timeout:g} s"
    except OSError as exc:
        return f"{name} could not run: {exc.strerror}"
    return None if done.returncode == 0 else f"{name} failed (exit status {done.returncode})"
