"""The real `mmchat` command at the ends of Unix pipes: a reader that stops early, and
stdin that is not UTF-8 text."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from mmchat.store import Store
from tests.cli_helpers import mmchat, private_env, two_provider_config
from tests.test_cli import lab_config

TOKEN = " " + "x" * 999  # 1000 answer tokens of this: 1 MB, far more than a pipe holds
TOKENS = 1000


def stored_answer(home: Path):
    """The latest answer as mmchat left it (read directly: nothing marks it on opening)."""
    with Store(home / "data" / "mmchat.db") as store:
        conversation = store.latest_conversation_id()
        assert conversation is not None
        return store.path(conversation)[-1]


def run_into_closed_pipe(home: Path, *args: str, config: Path | None = None) -> subprocess.CompletedProcess:
    """`mmchat ARGS` whose stdout is a pipe nobody reads any more (closed before it starts)."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        return subprocess.run(
            [sys.executable, "-m", "mmchat", *args],
            stdin=subprocess.DEVNULL, stdout=write_end, stderr=subprocess.PIPE, text=True,
            env=private_env(home, config), timeout=60,
        )
    finally:
        os.close(write_end)


def test_ask_into_head_exits_quietly_and_keeps_the_answer_marked_interrupted(home, openai_server):
    config = lab_config(home, openai_server)
    openai_server.reply_tokens(TOKENS, batch=10, token=TOKEN)
    status, err = home / "status", home / "err"
    command = f"{sys.executable} -m mmchat ask hi 2>'{err}'; echo $? >'{status}'"
    done = subprocess.run(
        ["sh", "-c", f"({command}) | head -c 10"],
        capture_output=True, env=private_env(home, config), timeout=60,
    )
    assert done.stdout == TOKEN[:10].encode()
    assert status.read_text().strip() == "141"  # as if SIGPIPE had ended it, like any other tool
    assert err.read_text() == ""  # nothing said about it: no internal error, no "Exception ignored"
    answer = stored_answer(home)
    # mmchat stopped reading the answer when its reader went: what came is kept, marked so.
    assert answer.status == "interrupted"
    assert answer.content and answer.content == TOKEN * (len(answer.content) // len(TOKEN))
    assert len(answer.content) < len(TOKEN) * TOKENS


@pytest.mark.parametrize(
    "args",
    [
        ["history", "show", "1"],  # a long conversation: the write itself fails
        ["history", "list"],  # short outputs: the final flush fails
        ["models"],
        ["route", "a question about rivers"],
        ["--help"],
    ],
    ids=lambda args: " ".join(args[:2]),
)
def test_every_command_into_a_closed_pipe_exits_quietly(home, openai_server, args):
    config = two_provider_config(home, openai_server)
    openai_server.reply_tokens(100, batch=10, token=TOKEN)  # 100 KB: more than a pipe holds
    assert mmchat(home, "ask", "a question", config=config).returncode == 0
    done = run_into_closed_pipe(home, *args, config=config)
    assert (done.returncode, done.stderr) == (141, "")



def ask_bytes(home: Path, config: Path, *args: bytes, stdin: bytes = b"") -> subprocess.CompletedProcess:
    """`mmchat ask ARGS` with raw bytes for its arguments and stdin."""
    return subprocess.run(
        [os.fsencode(sys.executable), b"-m", b"mmchat", b"ask", *args],
        input=stdin, capture_output=True, env=private_env(home, config), timeout=60,
    )


def test_a_latin1_prompt_on_stdin_is_sent_with_replacements_and_one_warning(home, openai_server):
    config = lab_config(home, openai_server)
    done = ask_bytes(home, config, stdin="-caf\xe9 cr\xe8me\n+ok\n".encode("latin-1"))  # `git diff` of a latin-1 file
    assert done.returncode == 0, done.stderr
    lines = done.stderr.decode().splitlines()
    assert lines[0] == "mmchat: stdin is not valid UTF-8: replaced 2 bytes with U+FFFD"
    assert len(lines) == 2 and lines[1].startswith("lab/small")  # then the usual summary, no error
    assert openai_server.requests[-1].json["messages"][-1]["content"] == "-caf\ufffd cr\ufffdme\n+ok\n"
    assert stored_answer(home).content == "You said: -caf\ufffd cr\ufffdme\n+ok\n"


@pytest.mark.parametrize("data", [b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "hi\n".encode("utf-16")])
def test_binary_stdin_is_refused_in_one_line(home, openai_server, data):
    done = ask_bytes(home, lab_config(home, openai_server), stdin=data)
    assert done.returncode == 2
    assert done.stderr.decode().startswith("mmchat: stdin looks binary (NUL bytes): ")
    assert len(done.stderr.splitlines()) == 1
    assert openai_server.requests == []
    with Store(home / "data" / "mmchat.db") as store:
        assert store.latest_conversation_id() is None  # nothing stored


def test_a_prompt_argument_that_is_not_utf8_is_sent_with_a_replacement(home, openai_server):
    done = ask_bytes(home, lab_config(home, openai_server), b"caf\xe9", b"ok")  # argv from a latin-1 terminal
    assert done.returncode == 0, done.stderr
    assert done.stderr.decode().splitlines()[0] == "mmchat: the prompt is not valid UTF-8: replaced 1 byte with U+FFFD"
    assert openai_server.requests[-1].json["messages"][-1]["content"] == "caf\ufffd ok"
    assert done.stdout.decode() == "You said: caf\ufffd ok\n"
