"""The README's first command, run as written in a terminal (tmux) on a copy of this checkout:
a fresh virtual environment, the package with its `local` extra, and `mmchat` with no config,
no key and no provider, which must open a chat that answers with the embedded model.

The copy holds the checkout's tracked files as they are in the working tree; the user's home
is the test's own (no config, no keyring, no cache), except pip's download cache, which is
shared so that the 1.1 GB of the model are not fetched again on every run.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

from mmchat.store import Store
from tests.e2e.test_tmux import Terminal, quit_with_ctrl_q

REPO = Path(__file__).resolve().parents[2]
INSTALL_LIMIT_S = 600.0  # a bound on the install (downloads on a cold cache), not a measurement
ANSWER_LIMIT_S = 180.0  # joining the model file once, loading it and answering, on 2 busy cores


def first_command() -> str:
    """The Quickstart's first shell command, as the README writes it."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    quickstart = text[text.index("## Quickstart"):]
    command = re.search(r"```sh\n(.+?)\n```", quickstart, re.S)
    assert command is not None, "the README's Quickstart has no ```sh block"
    return command[1].strip()


def checkout_copy(target: Path) -> Path:
    """The tracked files of this checkout, as they are now, in `target`."""
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True).stdout
    for name in filter(None, listed.decode().split("\0")):
        source = REPO / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


def pip_cache() -> str:
    done = subprocess.run(["python3", "-m", "pip", "cache", "dir"], capture_output=True, text=True)
    return done.stdout.strip() if done.returncode == 0 and done.stdout.strip() else str(Path.home() / ".cache" / "pip")


def test_the_readmes_first_command_opens_a_chat_that_answers_offline(tmp_path):
    command = first_command()
    assert command.endswith("&& mmchat") and "'.[local]'" in command
    if shutil.which("tmux") is None:
        raise AssertionError("this test needs tmux (Debian/Ubuntu: apt-get install tmux)")
    project = checkout_copy(tmp_path / "mmchat")
    home = tmp_path / "home"
    home.mkdir()
    env = {
        "HOME": str(home),
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "TERM": "xterm-256color",
        "LANG": "C.UTF-8",
        "PIP_CACHE_DIR": pip_cache(),
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
    }
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL"):
        if name in os.environ:
            env[name] = os.environ[name]  # the way to the package index, and nothing else
    term = Terminal(["bash", "-c", f"cd {project} && {command}"], env)
    try:
        # The first screen: the embedded model, introduced, with the prompt ready.
        shown = term.until(
            "the chat screen on the embedded model",
            lambda s: "Answering with local/qwen2.5-coder-1.5b" in s or term.exited(),
            limit=INSTALL_LIMIT_S,
        )
        assert not term.exited(), f"the command ended instead of opening the chat:\n{shown}"
        term.type("What is the capital of France? Answer with one word.")
        term.press("Enter")
        shown = term.until(
            "an answer with its figures",
            lambda s: any("local/qwen2.5-coder-1.5b · " in line and "TTFT" in line for line in s.splitlines()),
            limit=ANSWER_LIMIT_S,
        )
        assert "Paris" in shown, shown
        quit_with_ctrl_q(term)
    finally:
        term.kill()
    data = home / ".local" / "share" / "mmchat"
    with Store(data / "mmchat.db") as store:
        answer = store.path(store.latest_conversation_id())[-1]
    assert (answer.status, answer.model, answer.cost_usd) == ("complete", "local/qwen2.5-coder-1.5b", 0.0)
    assert "Paris" in answer.content and answer.usage is not None and not answer.usage.estimated
