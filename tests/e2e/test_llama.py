"""The real `mmchat` command against a real llama.cpp server (opt-in: `pytest -m llama`).

The server is the one at MMCHAT_LLAMA_URL when that is set; otherwise
scripts/llama_server.py starts one on a free port for this module (building
llama.cpp into its cached venv on first use, which takes minutes) and stops it
afterwards. llama-server speaks both protocols, so one server backs a provider
of type openai (/v1/chat/completions) and one of type anthropic (/v1/messages).
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from mmchat.sanitize import printable
from tests.cli_helpers import private_env

pytestmark = pytest.mark.llama

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "llama_server.py"
MODEL = "gemma3-270m"  # the alias scripts/llama_server.py gives the model
MAX_TOKENS = 16
LOAD_LIMIT_S = 120  # a bound on waiting for the model to load, not a measurement
SUMMARY_TOKENS = re.compile(r" · (~?)([\d,]+) in / (~?)([\d,]+) out tokens")
SUMMARY_END = re.compile(r" · \$0 · conversation (\d+)$")  # the configured price is 0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _tail(log: Path, lines: int = 30) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


def _wait_until_healthy(url: str, server: subprocess.Popen | None, log: Path | None) -> None:
    """llama-server answers /health with 503 while loading the model, 200 once it can serve."""
    deadline = time.monotonic() + LOAD_LIMIT_S
    while time.monotonic() < deadline:
        if server is not None and server.poll() is not None:
            pytest.fail(f"llama-server exited with {server.returncode}:\n{_tail(log)}")
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.25)
    pytest.fail(f"llama-server at {url} was not healthy within {LOAD_LIMIT_S} s")


@pytest.fixture(scope="module")
def llama_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    given = os.environ.get("MMCHAT_LLAMA_URL", "").strip().rstrip("/")
    if given:
        _wait_until_healthy(given, None, None)
        yield given
        return
    log = tmp_path_factory.mktemp("llama") / "server.log"
    with log.open("w") as log_file:
        server = subprocess.Popen(
            [sys.executable, str(SCRIPT), "serve", "--port", str(_free_port())],
            stdout=subprocess.PIPE,
            stderr=log_file,
            text=True,
            start_new_session=True,  # its own process group: stopping it also stops a build under way
        )
    try:
        # The script prints the URL only after any setup, right before it becomes llama-server.
        url = server.stdout.readline().strip()
        if not url:
            pytest.fail(f"scripts/llama_server.py exited with {server.wait()}:\n{_tail(log)}")
        _wait_until_healthy(url, server, log)
        yield url
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        server.stdout.close()


@pytest.fixture
def home(tmp_path: Path, llama_url: str) -> Path:
    (tmp_path / "config.yaml").write_text(
        f"""\
providers:
  llama:
    type: openai
    base_url: {llama_url}/v1
    timeouts: {{connect: 5, first_token: 120, idle: 60}}
    max_retries: 0
  llama-anthropic:
    type: anthropic
    base_url: {llama_url}
    timeouts: {{connect: 5, first_token: 120, idle: 60}}
    max_retries: 0
models:
  llama/{MODEL}:
    context: 4096
    price: {{input: 0, output: 0}}
  llama-anthropic/{MODEL}:
    context: 4096
    price: {{input: 0, output: 0}}
default_model: llama/{MODEL}
"""
    )
    return tmp_path


def mmchat(home: Path, *args: str) -> subprocess.CompletedProcess:
    env = private_env(home, home / "config.yaml")
    return subprocess.run(
        [sys.executable, "-m", "mmchat", *args], capture_output=True, text=True, env=env, timeout=300, stdin=subprocess.DEVNULL
    )


def ask(home: Path, address: str, *args: str) -> tuple[str, int]:
    """Run `mmchat ask`; check what a person sees; return the answer and the conversation id."""
    done = mmchat(home, "ask", "-m", address, "--max-tokens", str(MAX_TOKENS), *args)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip(), "the model's answer should be on stdout"
    summary = done.stderr.strip().splitlines()[-1]
    assert summary.startswith(f"{address} · "), summary
    tokens = SUMMARY_TOKENS.search(summary)
    assert tokens is not None, summary
    # No '~': the counts are the server's own, not local estimates.
    assert tokens[1] == tokens[3] == "", summary
    assert int(tokens[2].replace(",", "")) > 0 and 0 < int(tokens[4].replace(",", "")) <= MAX_TOKENS, summary
    ending = SUMMARY_END.search(summary)
    assert ending is not None, summary
    return done.stdout, int(ending[1])


@pytest.mark.parametrize("provider", ["llama", "llama-anthropic"])
def test_two_turns_stream_and_are_stored_with_the_servers_usage(home: Path, provider: str) -> None:
    address = f"{provider}/{MODEL}"
    first_out, conversation = ask(home, address, "Name three colours.")
    second_out, same = ask(home, address, "-c", "Name three more.")
    assert same == conversation

    export = mmchat(home, "history", "export", str(conversation), "-f", "json")
    assert export.returncode == 0, export.stderr
    messages = json.loads(export.stdout)["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant", "user", "assistant"]
    assert [m["content"] for m in messages[::2]] == ["Name three colours.", "Name three more."]
    answers = messages[1::2]
    for answer, shown in zip(answers, [first_out, second_out]):
        assert answer["status"] == "complete"
        assert (answer["provider"], answer["model"]) == (provider, address)
        assert shown == printable(answer["content"]) + "\n"
        usage = answer["usage"]
        assert usage is not None and usage["estimated"] is False
        assert usage["input_tokens"] > 0 and 0 < usage["output_tokens"] <= MAX_TOKENS
        assert answer["cost_usd"] == 0
    # The second prompt carried the first exchange, so the server counted more input.
    first, second = (answer["usage"] for answer in answers)
    assert total_input(second) > total_input(first) + first["output_tokens"]


def total_input(usage: dict) -> int:
    """Input tokens of a turn, whether billed in full or read from the server's prompt cache."""
    return usage["input_tokens"] + usage["cached_input_tokens"] + usage["cache_write_tokens"]
