"""The real `mmchat` command in tmux: time to its first screen, and opening a 1,000-message conversation.

    .venv/bin/python -m benchmarks.tui_startup            # 7 launches of each command, 5 openings (about a minute)
    .venv/bin/python -m benchmarks.tui_startup --quick    # 3 and 2

Every command runs in a new window of a private tmux server (`tmux -L`, no
user config) sized 120x40, as a user's terminal would run it; the screen is read
with `tmux capture-pane` whenever the pane writes (and at least every 50 ms).
mmchat's files all live in a temporary directory (MMCHAT_CONFIG, MMCHAT_DATA_DIR, MMCHAT_CACHE_DIR), so the
user's own config and conversations are never read or touched.

First screen, from the `tmux new-window` call to the first capture showing:

  python   `python -c` printing a line: the interpreter's own start, the floor
  textual  a Textual app of one Static: the framework's start
  mmchat   the venv's `mmchat` (the console script), until the chat screen shows
           the configured model in its status line; local servers are looked for
           (discovery, on by default) in the background
  no-disc  the same with `discovery: {enabled: false}`: the first screen, discovery off
  embedded the same with no provider configured, so it starts on the embedded model
           (the `local` extra must be installed), until its status line shows it; the
           model loads in the background

Opening a conversation: mmchat starts, Ctrl+L lists the conversations, and the
clock runs from Enter (open the newest) to the first capture showing the last
answer's closing words; then the process's resident memory (VmRSS) and its peak
(VmHWM) are read from /proc. The conversation is built with mmchat.store.Store:
`short` has 2 messages, `long` 1,000 (500 prompts, 500 Markdown answers with
lists and code, 1.2 kB on average).

Targets: first screen under 0.8 s (mmchat and embedded); the 1,000-message conversation open under
0.5 s and under 150 MB resident. Exit status 1 on any MISS.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from benchmarks.server_process import ROOT

SCREEN = (120, 40)
MODEL = "bench/model"
READY = "bench-ready"
TARGET_FIRST_S = 0.8
TARGET_OPEN_S = 0.5
TARGET_RSS_MB = 150.0
POLL_S = 0.05  # the screen is captured when the pane writes, and at least this often
LIMIT_S = 20.0  # at most, for any one screen to appear
LONG_PAIRS = 500
TITLE = "bench conversation"

CONFIG = f"""\
providers:
  bench:
    type: openai
    base_url: http://127.0.0.1:9/v1   # never contacted: nothing is sent in this benchmark
models:
  {MODEL}:
    context: 128000
    price: {{input: 1.0, output: 2.0}}
default_model: {MODEL}
"""

NO_DISCOVERY = CONFIG + "discovery: {enabled: false}\n"
EMBEDDED_CONFIG = "discovery: {enabled: true}\n"  # no providers: section: the environment's, and the embedded model
EMBEDDED = "local/qwen2.5-coder-1.5b"
TARGETED = ("mmchat", "embedded")  # the commands held to the first-screen target

TEXTUAL_APP = f"""\
from textual.app import App
from textual.widgets import Static


class Ready(App):
    def compose(self):
        yield Static("{READY}")


Ready().run()
"""


# ---- tmux ----------------------------------------------------------------------------------


class Tmux:
    """A private tmux server with one idle session; each command gets its own window.

    A control-mode client (`tmux -C`) reports when a pane writes output, so the
    screen is captured only then: polling with a new tmux client every few
    milliseconds would take CPU from the command being measured.
    """

    def __init__(self) -> None:
        if shutil.which("tmux") is None:
            raise SystemExit("tmux is not installed (Debian/Ubuntu: apt-get install tmux)")
        self.socket = f"mmchat-bench-{os.getpid()}"
        width, height = SCREEN
        self.run("-f", "/dev/null", "new-session", "-d", "-s", "bench", "-x", str(width), "-y", str(height))
        self.run("set-option", "-g", "default-size", f"{width}x{height}")
        self.socket_path = Path(self.run("display-message", "-p", "#{socket_path}").strip())
        self.run("set-option", "-g", "remain-on-exit", "on")  # a command that dies leaves its last screen to read
        self._control = subprocess.Popen(
            ["tmux", "-L", self.socket, "-C", "attach", "-t", "bench"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        self._written: dict[str, threading.Event] = {}
        threading.Thread(target=self._read_control, daemon=True).start()

    def _read_control(self) -> None:
        """Note every pane that writes output (the control client's `%output %PANE …` lines)."""
        assert self._control.stdout is not None
        for line in self._control.stdout:
            if line.startswith(b"%output "):
                self._event(line.split(b" ", 2)[1].decode()).set()

    def _event(self, pane: str) -> threading.Event:
        return self._written.setdefault(pane, threading.Event())

    def run(self, *args: str) -> str:
        done = subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True, text=True, check=True)
        return done.stdout

    def launch(self, command: list[str], env: dict[str, str]) -> str:
        """Start `command` in a new window; returns its pane id."""
        envs = [arg for name, value in env.items() for arg in ("-e", f"{name}={value}")]
        line = " ".join(["exec", *(_quote(part) for part in command)])
        return self.run("new-window", "-d", "-P", "-F", "#{pane_id}", *envs, "-c", str(ROOT), line).strip()

    def screen(self, pane: str) -> str:
        return self.run("capture-pane", "-p", "-t", pane)

    def wait_for(self, pane: str, text: str, started: float) -> float:
        """Seconds from `started` to the first capture of `pane` showing `text`."""
        written = self._event(pane)
        while True:
            written.clear()
            shown = self.screen(pane)
            now = time.perf_counter()
            if text in shown:
                return now - started
            if now - started > LIMIT_S:
                raise RuntimeError(f"{text!r} never appeared within {LIMIT_S:g}s; the screen was:\n{shown}")
            written.wait(POLL_S)

    def keys(self, pane: str, *keys: str) -> None:
        self.run("send-keys", "-t", pane, *keys)

    def pid(self, pane: str) -> int:
        return int(self.run("display-message", "-p", "-t", pane, "#{pane_pid}").strip())

    def close(self, pane: str) -> None:
        self.run("kill-pane", "-t", pane)

    def kill(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True)
        self.socket_path.unlink(missing_ok=True)  # tmux leaves its socket file behind
        try:
            self._control.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self._control.kill()
            self._control.wait()


def _quote(part: str) -> str:
    import shlex

    return shlex.quote(part)


# ---- what is launched --------------------------------------------------------------------


def mmchat_command() -> list[str]:
    """The venv's console script (what a user runs), else `python -m mmchat`."""
    script = Path(sys.executable).with_name("mmchat")
    return [str(script)] if script.exists() else [sys.executable, "-m", "mmchat"]


def environment(home: Path) -> dict[str, str]:
    return {
        "MMCHAT_CONFIG": str(home / "config" / "config.yaml"),
        "MMCHAT_DATA_DIR": str(home / "data"),
        "MMCHAT_CACHE_DIR": str(home / "cache"),
        "TERM": "xterm-256color",
    }


def make_home(root: Path, name: str, config: str = CONFIG) -> Path:
    home = root / name
    (home / "config").mkdir(parents=True)
    (home / "config" / "config.yaml").write_text(config)
    return home


def answer(i: int) -> str:
    """A Markdown answer of about 1.2 kB, its closing words unique to `i`."""
    code = "\n".join(f"    total += item_{k} * {i % 7 + k}" for k in range(8))
    return (
        f"Here is how part {i} works: the **first** step reads the input, the `second` one checks it,\n"
        "and the last one writes the result where the caller expects it. Each step is small.\n\n"
        f"- read the input of part {i}\n- check every field against its rule\n- write the result\n\n"
        f"```python\ndef part_{i}(items):\n    total = 0\n{code}\n    return total\n```\n\n"
        "A table of the figures:\n\n| step | time | note |\n|---|---:|---|\n"
        f"| read | {i % 13} ms | from disk |\n| check | {i % 5} ms | in memory |\n\n"
        f"That is all for part {i}, end of answer {i}."
    )


def build_conversation(home: Path, pairs: int) -> str:
    """Store a conversation of `pairs` prompts and answers; returns the last answer's closing words."""
    from mmchat.types import Usage
    from mmchat.store import AnswerEnd, Store

    (home / "data").mkdir(parents=True, exist_ok=True)
    with Store(home / "data" / "mmchat.db") as store:
        conversation = store.create_conversation(TITLE)
        for i in range(pairs):
            store.add_message(conversation, "user", f"Explain part {i} of the pipeline, with code.")
            answer_id = store.add_message(conversation, "assistant", answer(i), provider="bench", model=MODEL)
            store.finish_answer(answer_id, AnswerEnd(
                answer(i), "complete", usage=Usage(input_tokens=40 + i, output_tokens=300), latency_ms=900.0,
                ttft_ms=120.0, cost_usd=0.0006,
            ))
    return f"end of answer {pairs - 1}."


# ---- the measurements ---------------------------------------------------------------------


@dataclass
class Opening:
    seconds: float
    rss_mb: float
    peak_mb: float


def first_screen(tmux: Tmux, command: list[str], marker: str, env: dict[str, str]) -> float:
    started = time.perf_counter()
    pane = tmux.launch(command, env)
    try:
        return tmux.wait_for(pane, marker, started)
    finally:
        tmux.close(pane)


def memory_mb(pid: int) -> tuple[float, float]:
    """VmRSS and VmHWM (the peak) of `pid`, in MB."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def open_conversation(tmux: Tmux, home: Path, last_words: str) -> Opening:
    pane = tmux.launch(mmchat_command(), environment(home))
    try:
        tmux.wait_for(pane, MODEL, time.perf_counter())
        time.sleep(0.5)  # let the start-up work behind the first screen finish, as a user would take a moment
        tmux.keys(pane, "C-l")
        tmux.wait_for(pane, TITLE, time.perf_counter())
        time.sleep(0.2)
        started = time.perf_counter()
        tmux.keys(pane, "Enter")
        seconds = tmux.wait_for(pane, last_words, started)
        time.sleep(0.3)  # what is mounted after the first paint counts too
        rss, peak = memory_mb(tmux.pid(pane))
        return Opening(seconds, rss, peak)
    finally:
        tmux.close(pane)


# ---- the report ---------------------------------------------------------------------------


def ms(seconds: float) -> str:
    # tui_stream.ms's twin: importing it from there would pull httpx (~0.1 s, rich with it) into this process
    return f"{seconds * 1000:,.0f}"


def report(firsts: dict[str, list[float]], openings: dict[str, list[Opening]], pairs: int) -> bool:
    ok = True
    print(f"mmchat start-up in tmux ({SCREEN[0]}x{SCREEN[1]}), from `tmux new-window` to the first capture showing it")
    header = f"{'command':<8} {'runs':>4} {'median ms':>9} {'min ms':>7} {'max ms':>7} {'ratio':>6}  verdict"
    print(header)
    print("-" * len(header))
    floor = statistics.median(firsts["textual"])
    for name, runs in firsts.items():
        median = statistics.median(runs)
        line = f"{name:<8} {len(runs):>4} {ms(median):>9} {ms(min(runs)):>7} {ms(max(runs)):>7} {median / floor:>6.2f}"
        if name not in TARGETED:
            print(line)
            continue
        passed = median < TARGET_FIRST_S
        ok = ok and passed
        print(f"{line}  {'PASS' if passed else f'MISS (>= {TARGET_FIRST_S:g} s)'}")
    print(f"ratio = median / textual's median. Target: the first screen < {TARGET_FIRST_S:g} s (median), mmchat and embedded.")
    print()
    print("opening a stored conversation: Enter in the conversations list until its last answer is on screen")
    header = (
        f"{'conversation':<12} {'messages':>8} {'runs':>4} {'median ms':>9} {'max ms':>7} {'ratio':>6}"
        f" {'RSS MB':>7} {'peak MB':>7}  verdict"
    )
    print(header)
    print("-" * len(header))
    short = statistics.median(o.seconds for o in openings["short"])
    for name, runs in openings.items():
        count = 2 if name == "short" else 2 * pairs
        median = statistics.median(o.seconds for o in runs)
        rss = max(o.rss_mb for o in runs)
        line = (
            f"{name:<12} {count:>8,} {len(runs):>4} {ms(median):>9} {ms(max(o.seconds for o in runs)):>7}"
            f" {median / short:>6.2f} {rss:>7.1f} {max(o.peak_mb for o in runs):>7.1f}"
        )
        if name == "short":
            print(line)
            continue
        misses = []
        if median >= TARGET_OPEN_S:
            misses.append(f"open >= {TARGET_OPEN_S:g} s")
        if rss >= TARGET_RSS_MB:
            misses.append(f"RSS >= {TARGET_RSS_MB:g} MB")
        ok = ok and not misses
        print(f"{line}  {'PASS' if not misses else 'MISS (' + ', '.join(misses) + ')'}")
    print(
        f"ratio = median / the short conversation's; RSS = the largest VmRSS after opening, peak = VmHWM."
        f" Targets: the {2 * pairs:,}-message conversation open < {TARGET_OPEN_S:g} s (median), RSS < {TARGET_RSS_MB:g} MB."
        " Times include one tmux capture after the pane's output."
    )
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--launches", type=int, default=7, help="launches of each command for the first screen")
    parser.add_argument("--openings", type=int, default=5, help="openings of each conversation")
    parser.add_argument("--quick", action="store_true", help="3 launches and 2 openings")
    args = parser.parse_args(argv)
    launches, openings = (3, 2) if args.quick else (args.launches, args.openings)

    started = time.perf_counter()
    tmux = Tmux()
    try:
        with tempfile.TemporaryDirectory(prefix="mmchat-bench-") as tmp:
            root = Path(tmp)
            (root / "ready.py").write_text(TEXTUAL_APP)
            fresh = make_home(root, "fresh")
            homes = {
                "mmchat": fresh, "no-disc": make_home(root, "no-disc", NO_DISCOVERY),
                "embedded": make_home(root, "embedded", EMBEDDED_CONFIG),
            }
            commands = {
                "python": ([sys.executable, "-c", f"import time; print({READY!r}, flush=True); time.sleep(60)"], READY),
                "textual": ([sys.executable, str(root / "ready.py")], READY),
                "mmchat": (mmchat_command(), MODEL),
                "no-disc": (mmchat_command(), MODEL),
                "embedded": (mmchat_command(), EMBEDDED),
            }
            firsts: dict[str, list[float]] = {name: [] for name in commands}
            for name in homes:  # warm-up: the disk cache, .pyc files, the embedded model's file joined once
                first_screen(tmux, *commands[name], environment(homes[name]))
            for _ in range(launches):
                for name, (command, marker) in commands.items():
                    firsts[name].append(first_screen(tmux, command, marker, environment(homes.get(name, fresh))))
            homes = {"short": make_home(root, "short"), "long": make_home(root, "long")}
            last_words = {"short": build_conversation(homes["short"], 1), "long": build_conversation(homes["long"], LONG_PAIRS)}
            opened: dict[str, list[Opening]] = {name: [] for name in homes}
            for _ in range(openings):
                for name, home in homes.items():
                    opened[name].append(open_conversation(tmux, home, last_words[name]))
    finally:
        tmux.kill()
    ok = report(firsts, opened, LONG_PAIRS)
    print(f"({time.perf_counter() - started:.1f}s)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
