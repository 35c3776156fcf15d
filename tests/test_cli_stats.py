"""`mmchat stats`: the real command in a subprocess over a real store file, the votes
recorded with `record_vote` after compares stored as mmchat stores them."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import struct
import subprocess
import sys
import termios
from pathlib import Path

from mmchat.routing.ratings import fit
from mmchat.store import Store
from tests.cli_helpers import mmchat, private_env
from tests.leaderboard_helpers import Figures, compare, vote

A, B, C = "lab/a", "lab/b", "local/c"
CODE = "Write a regex that matches an IPv4 address"
POEM_FR = "Écris un poème sur la mer"
STRANGE = "lab/\x1b[2Jodd"  # a model name with an escape in it


def stored(home: Path) -> Store:
    return Store(home / "data" / "mmchat.db")


def some_votes(home: Path) -> None:
    """A beats B twice on code (A dearer); B beats C on a French poem (C free); C answers once more."""
    with stored(home) as store:
        for _ in range(2):
            vote(store, CODE, (A, B), A, figures=Figures(cost_usd=0.02, ttft_ms=400))
        vote(store, POEM_FR, (B, C), B, figures=Figures(cost_usd=0.0, ttft_ms=200))
        compare(store, CODE, {C: Figures(status="error", cost_usd=None)})


def on_terminal(home: Path, *args: str, width: int = 90) -> tuple[int, str]:
    """`mmchat stats *args` with stdout a terminal `width` columns wide: its status and output."""
    primary, secondary = pty.openpty()
    fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", 40, width, 0, 0))
    command = subprocess.Popen([sys.executable, "-m", "mmchat", "stats", *args], stdin=subprocess.DEVNULL,
                               stdout=secondary, stderr=subprocess.PIPE, env=private_env(home))
    os.close(secondary)
    screen = b""
    try:
        while data := os.read(primary, 65536):
            screen += data
    except OSError:  # EIO: the command has ended and closed the terminal
        pass
    os.close(primary)
    command.communicate(timeout=30)
    return command.returncode, screen.decode().replace("\r\n", "\n")


def test_a_table_per_model_best_first_then_one_per_category(home):
    some_votes(home)

    done = mmchat(home, "stats")

    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "3 votes; * on the frontier (no model rated higher for less)"
    header = lines[2].split()
    assert header[:4] == ["model", "rating", "95", "%"] and header[-3:] == ["tok/s", "cost/answer", "errors"]
    a, b, c = lines[3:6]
    assert a.split()[:2] == ["lab/a", "*"] and "2-0-0" in a and "$0.0200" in a and a.endswith(" 0%")
    assert b.startswith("lab/b ") and "1-2-0" in b
    assert c.split()[:2] == ["local/c", "*"] and "0-1-0" in c and "$0" in c and c.endswith(" 50%")
    assert lines[7].startswith("By prompt category")
    assert lines[9].split() == ["model", "code", "creative", "multilingual"]
    assert lines[10].split()[0] == "lab/a" and lines[10].split()[2:] == ["2-0-0", "–", "–"]
    # Not a terminal: no chart, no escapes.
    assert "rating up" not in done.stdout and "\x1b" not in done.stdout
    assert done.stderr == ""


def test_json_gives_the_ratings_figures_and_categories(home):
    some_votes(home)

    done = mmchat(home, "stats", "--json")

    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    expected = fit([(A, B, "a"), (A, B, "a"), (B, C, "a")])
    assert [m["model"] for m in data["models"]] == [A, B, C]
    first = data["models"][0]
    assert first["rating"] == round(expected[A].score, 1) and first["low"] == round(expected[A].low, 1)
    assert (first["wins"], first["losses"], first["ties"], first["votes"], first["frontier"]) == (2, 0, 0, 2, True)
    assert first["cost_per_answer_usd"] == 0.02 and first["median_ttft_ms"] == 400
    third = data["models"][2]
    assert (third["complete_answers"], third["errors"], third["error_rate"]) == (1, 1, 0.5)
    assert list(data["categories"]) == ["code", "creative", "multilingual"]
    assert [m["model"] for m in data["categories"]["creative"]] == [B, C]
    assert (data["votes"], data["category"], data["since"]) == (3, None, None)


def test_a_category_and_a_time_limit_what_is_counted(home):
    some_votes(home)
    with stored(home) as store:
        store._conn.execute("UPDATE votes SET created_at = created_at - 86400 * 10 "
                            "WHERE id = (SELECT min(id) FROM votes)")

    code = json.loads(mmchat(home, "stats", "--json", "--category", "code").stdout)
    recent = json.loads(mmchat(home, "stats", "--json", "--since", "7").stdout)
    wrong = mmchat(home, "stats", "--category", "poems")

    assert code["votes"] == 2 and [m["model"] for m in code["models"]] == [A, B, C]
    assert code["models"][2]["rating"] is None  # C answered a code prompt but was never voted on
    assert recent["votes"] == 2 and recent["models"][0]["wins"] == 1 and recent["since"] is not None
    assert wrong.returncode == 2 and "unknown category 'poems'" in wrong.stderr and "multilingual" in wrong.stderr


def test_with_no_votes_it_says_how_to_vote_and_still_shows_the_figures(home):
    with stored(home) as store:
        compare(store, CODE, {A: Figures(ttft_ms=250, cost_usd=0.003), B: Figures(status="error")})

    done = mmchat(home, "stats")

    assert done.returncode == 0
    (note,) = done.stderr.splitlines()
    assert "no votes yet" in note and "mmchat compare --vote" in note and "vote keys" in note
    lines = done.stdout.splitlines()
    assert lines[0].startswith("0 votes")
    assert lines[3].startswith("lab/a ") and "250 ms" in lines[3] and "$0.0030" in lines[3]
    assert lines[4].startswith("lab/b ") and lines[4].endswith("100%")
    assert "By prompt category" not in done.stdout


def test_an_empty_store_says_so(home):
    done = mmchat(home, "stats")

    assert done.returncode == 0 and done.stdout == ""
    assert "no votes yet" in done.stderr and "no answers yet" in done.stderr


def test_names_are_shown_without_their_escapes(home):
    with stored(home) as store:
        vote(store, CODE, (A, STRANGE), STRANGE)

    text = mmchat(home, "stats")
    data = mmchat(home, "stats", "--json")

    assert "\x1b" not in text.stdout and "lab/[2Jodd" in text.stdout
    assert "\x1b" not in data.stdout and json.loads(data.stdout)["models"][0]["model"] == STRANGE


def test_on_a_terminal_the_chart_follows_unless_no_chart(home):
    some_votes(home)

    status, screen = on_terminal(home)
    _, plain = on_terminal(home, "--no-chart")

    assert status == 0
    assert "rating up, cost per answer across (log scale)" not in screen  # 0.02 and free: no span to log
    assert "rating up, cost per answer across" in screen
    legend = screen[screen.index("rating up"):].splitlines()[1:]
    # Each is on the frontier: B is cheaper than A (its poem answer was free) and better than C.
    assert [line.split()[:2] for line in legend[:3]] == [["1*", A], ["2*", B], ["3*", C]]
    assert legend[0].endswith("$0.0200") and legend[1].endswith("$0.0133") and legend[2].endswith("free")
    assert "free" in screen and "on the frontier" in screen and "\x1b" not in screen
    assert all(len(line) <= 90 for line in screen.splitlines())
    assert "rating up" not in plain and "lab/a" in plain
