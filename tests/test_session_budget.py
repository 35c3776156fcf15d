"""How much of each budget limit is spent (`mmchat.session.budget`), and the words past a limit."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from mmchat.config import Budget, Config
from mmchat.session.budget import BudgetUse, budget_uses, day_left, over_question, over_words
from mmchat.store import AnswerEnd, Store
from mmchat.types import Usage


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(tmp_path / "mmchat.db") as s:
        yield s


def answered(store: Store, cost: float | None, conversation: int | None = None) -> int:
    """An answer finished now that cost `cost` (None: unpriced), in a new conversation unless given."""
    conversation = conversation or store.create_conversation()
    store.add_message(conversation, "user", "a prompt")
    answer = store.add_message(conversation, "assistant", "ok", model="lab/a", status="pending")
    store.finish_answer(answer, AnswerEnd("ok", "complete", usage=Usage(input_tokens=1, output_tokens=1), cost_usd=cost))
    return conversation


def test_the_conversation_counts_its_own_answers_and_the_day_all_of_today(store):
    first = answered(store, 0.25)
    answered(store, 0.5, first)
    answered(store, 1.0)
    answered(store, None)
    config = Config(budget=Budget(conversation=1.0, day=2.0, warn_at=0.5))
    conversation, day = budget_uses(config, store, first)
    assert conversation == BudgetUse("conversation", 1.0, 0.75, 0, 0.5) and conversation.level == "warn"
    assert day == BudgetUse("day", 2.0, 1.75, 1, 0.5)
    # A new conversation has spent nothing.
    assert budget_uses(config, store, None)[0].spent == 0.0
    assert budget_uses(Config(), store, first) == []


def test_the_day_counts_what_the_bench_runs_spent_today_too(store, tmp_path):
    answered(store, 0.25)
    config = Config(budget=Budget(conversation=1.0, day=2.0))
    assert budget_uses(config, store, None)[1].spent == 0.25  # no bench store yet: none is made
    assert not (tmp_path / "bench.db").exists()
    with Store(tmp_path / "bench.db") as bench:
        answered(bench, 1.5)
        answered(bench, None)
    day = budget_uses(config, store, None)[1]
    assert (day.spent, day.unpriced) == (1.75, 1)
    # A bench run belongs to no conversation: only the day counts for it.
    assert [u.name for u in budget_uses(config, store, None, conversation=False)] == ["day"]
    assert day_left(config, store) == 0.25
    assert day_left(Config(budget=Budget(day=1.0)), store) == 0.0  # never below nothing
    assert day_left(Config(budget=Budget(conversation=1.0)), store) is None


def test_the_words_past_a_limit():
    day = BudgetUse("day", 1.0, 1.25, 0, 0.8)
    conversation = BudgetUse("conversation", 0.5, 0.5, 0, 0.8)
    assert over_words([conversation, day]) == (
        "the conversation budget of $0.50 is spent ($0.50); the day budget of $1.00 is spent ($1.25)"
    )
    assert over_words([day], 0.3) == "this compare (estimated $0.30) would pass the day budget of $1.00"
    assert over_words([day], 2.5, "this run") == "this run (estimated $2.50) would pass the day budget of $1.00"
    assert over_question([day], 0.3) == (
        "This compare (estimated $0.30) would pass the day budget of $1.00. Send anyway?"
    )
