"""The spending budget on the command line: `mmchat ask` and `mmchat compare` (the real command
in a subprocess against a local OpenAI-format server) warn near a limit, and past one ask on a
terminal, refuse in a pipe (nothing stored or sent), or send with --over-budget."""

from __future__ import annotations

import contextlib
import re
import sqlite3
from pathlib import Path

from mmchat.store import AnswerEnd, Store
from mmchat.types import Usage
from tests.cli_helpers import mmchat, on_terminal, write_config
from tests.servers import OpenAIServer

QUESTION = "Send anyway? [y/N]"


def config(home: Path, server: OpenAIServer, budget: str, *, price: float = 1.0) -> Path:
    """Models lab/a and lab/b on the test server at `price` USD per million tokens (in and out)."""
    return write_config(
        home,
        f"providers:\n  lab:\n    type: openai\n    base_url: {server.base_url}\n    api_key_env: LAB_KEY\n"
        "    max_retries: 0\n    timeouts: {connect: 2, first_token: 5, idle: 5}\n"
        "models:\n"
        + "".join(f"  lab/{m}: {{price: {{input: {price}, output: {price}}}}}\n" for m in "ab")
        + f"default_model: lab/a\nbudget: {budget}\n",
    )


def stored(home: Path) -> Store:
    return Store(home / "data" / "mmchat.db")


def spent(home: Path, cost: float) -> int:
    """A conversation whose one answer, finished now, cost `cost` USD; its id."""
    store = stored(home)
    try:
        conversation = store.create_conversation()
        store.add_message(conversation, "user", "earlier")
        answer = store.add_message(conversation, "assistant", "ok", model="lab/a", status="pending")
        store.finish_answer(answer, AnswerEnd("ok", "complete", usage=Usage(input_tokens=1, output_tokens=1),
                                              cost_usd=cost))
        return conversation
    finally:
        store.close()


def messages(home: Path) -> int:
    """How many messages are stored (a compare's alternatives too); 0 without a store."""
    path = home / "data" / "mmchat.db"
    if not path.exists():
        return 0
    with contextlib.closing(sqlite3.connect(path)) as db:
        return db.execute("SELECT count(*) FROM messages").fetchone()[0]


def test_past_the_day_limit_a_pipe_is_refused_and_nothing_is_stored_or_sent(home, openai_server):
    spent(home, 1.2)
    conf = config(home, openai_server, "{day: 1.00}")
    for given in ({"stdin": "a piped prompt\n"}, {}):
        args = () if given else ("hi",)
        done = mmchat(home, "ask", *args, config=conf, **given)
        assert done.returncode == 1
        assert done.stderr == ("mmchat: nothing sent: the day budget of $1.00 is spent ($1.20); "
                               "pass --over-budget to send anyway\n")
        assert done.stdout == ""
    assert openai_server.requests == [] and messages(home) == 2  # the earlier answer and its prompt


def test_past_the_limit_a_free_model_answers_in_a_pipe_too(home, openai_server):
    spent(home, 1.2)
    done = mmchat(home, "ask", "hi", config=config(home, openai_server, "{day: 1.00}", price=0.0))
    assert done.returncode == 0, done.stderr
    assert done.stdout == "You said: hi\n" and "budget" not in done.stderr  # nothing is spent: nothing to say
    assert len(openai_server.requests) == 1


def test_over_budget_sends_without_asking(home, openai_server):
    spent(home, 1.2)
    done = mmchat(home, "ask", "--over-budget", "hi", config=config(home, openai_server, "{day: 1.00}"))
    assert done.returncode == 0, done.stderr
    assert done.stdout == "You said: hi\n"
    assert done.stderr.startswith(
        "mmchat: the day budget of $1.00 is spent ($1.20): sending anyway (--over-budget)\n"
    )
    assert len(openai_server.requests) == 1 and messages(home) == 4


def test_near_the_limit_a_warning_and_the_answer(home, openai_server):
    spent(home, 4.2)
    done = mmchat(home, "ask", "hi", config=config(home, openai_server, "{day: 5.00, warn_at: 0.8}"))
    assert done.returncode == 0, done.stderr
    assert done.stdout == "You said: hi\n"
    assert done.stderr.startswith("mmchat: 84% of the day budget is spent: $4.20 of $5.00\n")
    below = mmchat(home, "ask", "hi", config=config(home, openai_server, "{day: 5.00, warn_at: 0.9}"))
    assert below.returncode == 0 and "budget" not in below.stderr


def test_on_a_terminal_the_question_decides(home, openai_server):
    spent(home, 1.2)
    conf = config(home, openai_server, "{day: 1.00}")
    status, screen, out = on_terminal(home, conf, "ask", "hi", answers=[(QUESTION, "n\n")])
    assert status == 1 and out == ""
    assert "mmchat: The day budget of $1.00 is spent ($1.20). Send anyway? [y/N] n\nmmchat: nothing sent" in screen
    assert openai_server.requests == [] and messages(home) == 2
    status, screen, out = on_terminal(home, conf, "ask", "hi", answers=[(QUESTION, "y\n")])
    assert status == 0, screen
    assert out == "You said: hi\n"
    assert len(openai_server.requests) == 1 and messages(home) == 4


def test_the_conversation_limit_counts_the_conversation_continued(home, openai_server):
    first = spent(home, 0.6)
    conf = config(home, openai_server, "{conversation: 0.50}")
    for where in (("-c",), ("--conversation", str(first))):
        done = mmchat(home, "ask", *where, "more", config=conf)
        assert done.returncode == 1
        assert "the conversation budget of $0.50 is spent ($0.60); pass --over-budget" in done.stderr
    assert openai_server.requests == [] and messages(home) == 2
    # A new conversation has spent nothing.
    fresh = mmchat(home, "ask", "a new topic", config=conf)
    assert fresh.returncode == 0, fresh.stderr
    assert "budget" not in fresh.stderr and len(openai_server.requests) == 1


def test_a_compare_whose_estimate_would_pass_the_limit(home, openai_server):
    conf = config(home, openai_server, "{day: 1.00}", price=100_000.0)  # $0.10 a token
    # Nothing is spent yet: only the estimate of the two answers passes the limit.
    done = mmchat(home, "compare", "-m", "lab/a,lab/b", "Name a colour.", config=conf)
    assert done.returncode == 1, done.stderr
    line = done.stderr.splitlines()[-1]
    assert re.fullmatch(
        r"mmchat: nothing sent: this compare \(estimated \$[\d.,]+\) would pass the day budget of \$1\.00; "
        r"pass --over-budget to send anyway", line,
    ), line
    assert done.stdout == "" and openai_server.requests == [] and messages(home) == 0
    status, screen, out = on_terminal(home, conf, "compare", "-m", "lab/a,lab/b", "Name a colour.",
                                      answers=[(QUESTION, "n\n")])
    assert status == 1 and out == ""
    assert re.search(r"estimated \$[\d.,]+ for 2 answers · lab/a, lab/b\nmmchat: This compare \(estimated "
                     r"\$[\d.,]+\) would pass the day budget of \$1\.00\. Send anyway\? \[y/N\] n\n"
                     r"mmchat: nothing sent\n", screen), screen
    assert openai_server.requests == [] and messages(home) == 0
    sent = mmchat(home, "compare", "--over-budget", "-m", "lab/a,lab/b", "Name a colour.", config=conf)
    assert sent.returncode == 0, sent.stderr
    assert "== lab/a ==" in sent.stdout and "== lab/b ==" in sent.stdout
    assert len(openai_server.requests) == 2 and messages(home) == 3
