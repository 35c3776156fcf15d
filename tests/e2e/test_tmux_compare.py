"""A 3-model compare in a real terminal (tmux), the real `mmchat` command against a local
OpenAI-format server: `/compare`, the columns, a vote, going on with the winner."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mmchat.store import Store
from tests.cli_helpers import write_config
from tests.e2e.test_tmux import Terminal, mmchat_command, quit_with_ctrl_q, terminal_environment

MODELS = ("lab/gpt-4o-mini", "lab/gpt-4o", "lab/o3-mini")


@pytest.fixture
def terminal(home, openai_server) -> Iterator[Terminal]:
    models = "".join(f"  {m}: {{context: 128000, price: {{input: 1.0, output: 2.0}}}}\n" for m in MODELS)
    config = write_config(
        home,
        f"providers:\n  lab:\n    type: openai\n    base_url: {openai_server.base_url}\n    api_key_env: LAB_KEY\n"
        f"    max_retries: 0\nmodels:\n{models}default_model: {MODELS[0]}\n"
        f"compare_sets:\n  trio: [{', '.join(MODELS)}]\n",
    )
    term = Terminal(mmchat_command(), terminal_environment(home, config))
    try:
        yield term
    finally:
        term.kill()


def test_a_three_model_compare_in_a_terminal(terminal, home):
    terminal.until("the chat screen", lambda s: "This turn" in s)
    terminal.type("/compare trio")
    terminal.press("Enter")
    terminal.until("the compare set on the status line", lambda s: "next message compared: set trio" in s)
    terminal.type("Name a colour.")
    terminal.press("Enter")
    shown = terminal.until(
        "three answers and the vote line",
        lambda s: "vote: 1–3 the best" in s and s.count("You said: Name a colour.") == 3,
    )
    for n, model in enumerate(MODELS, 1):
        assert f"{n}  {model}" in shown
    assert shown.count("✓ complete") == 3 and "first token:" in shown

    terminal.press("3")
    terminal.until("the vote", lambda s: "voted: 3 is best" in s)
    terminal.press("Enter")
    back = terminal.until("the chat with the winner", lambda s: "‹3/3›" in s and "This turn" in s)
    assert MODELS[2] in back
    quit_with_ctrl_q(terminal)

    with Store(home / "data" / "mmchat.db") as store:
        path = store.path(store.latest_conversation_id())
        assert [m.model for m in path if m.role == "assistant"] == [MODELS[2]]
        [outcome_a, outcome_b] = store.voted_pairs()
        assert {(p.model_a, p.model_b, p.outcome) for p in (outcome_a, outcome_b)} == {
            (MODELS[0], MODELS[2], "b"), (MODELS[1], MODELS[2], "b"),
        }
