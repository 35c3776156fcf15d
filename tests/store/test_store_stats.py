"""Figures over stored answers: totals, spending, measured speeds and lengths, recent prompts."""

from __future__ import annotations

import pytest

from mmchat.store import ModelSpeed, Spending, Store, StoreError
from mmchat.types import Usage
from tests.store.helpers import answer, turn


def test_totals_by_model(store: Store):
    cid = store.create_conversation()
    store.add_message(cid, "user", "q")
    answer(store, cid, "a", model="openai/gpt-4o", usage=Usage(100, 50, 0, 20, 10), cost_usd=0.5, ttft_ms=300)
    answer(store, cid, "b", model="openai/gpt-4o", usage=Usage(10, 0, 0, 5), cost_usd=0.25, ttft_ms=100)
    answer(store, cid, "c", model="openai/gpt-4o", usage=Usage(1, 0, 0, 1), cost_usd=0.25, ttft_ms=200)
    answer(store, cid, "d", model="custom/local", usage=Usage(7, 0, 0, 3, estimated=True),
           status="interrupted")
    answer(store, cid, "", model="custom/local", status="error", error="refused")
    store.add_message(cid, "assistant", "streaming", status="pending", model="gemini/flash")

    gpt, local = store.totals_by_model(cid)
    assert (gpt.model, gpt.turns, gpt.input_tokens, gpt.output_tokens) == ("openai/gpt-4o", 3, 161, 36)
    assert gpt.cost_usd == pytest.approx(1.0)
    assert gpt.median_ttft_ms == 200
    assert gpt.estimated is False
    assert (local.model, local.turns, local.input_tokens, local.output_tokens) == ("custom/local", 2, 7, 3)
    assert local.cost_usd is None  # billed tokens without a price
    assert local.median_ttft_ms is None
    assert local.estimated is True


def test_spending_per_conversation_and_since_a_time_counts_unknown_prices_apart(store: Store):
    one, two = store.create_conversation(), store.create_conversation()
    old = turn(store, one, 1.25)
    turn(store, one, 0.5)
    turn(store, one, None)  # usage but no price: not counted, said apart
    turn(store, one, None, usage=False, status="error")  # failed before any usage: costs nothing
    turn(store, two, 2.0)
    store.add_message(two, "assistant", "", status="pending")  # still streaming: not counted
    store._conn.execute("UPDATE messages SET finished_at = finished_at - 7200 WHERE id = ?", (old,))

    assert store.spending(conversation_id=one) == Spending(cost_usd=1.75, unpriced=1)
    assert store.spending(conversation_id=two) == Spending(cost_usd=2.0, unpriced=0)
    assert store.spending() == Spending(cost_usd=3.75, unpriced=1)
    an_hour_ago = store.message(old).finished_at + 3600
    assert store.spending(since=an_hour_ago) == Spending(cost_usd=2.5, unpriced=1)
    assert store.spending(conversation_id=one, since=an_hour_ago) == Spending(0.5, 1)
    assert store.spending(since=an_hour_ago + 10 * 3600) == Spending(0.0, 0)


def test_model_speeds_are_medians_over_the_latest_complete_answers(store: Store):
    conversation = store.create_conversation()
    for ttft, speed in ((100.0, 50.0), (300.0, 70.0), (200.0, None), (900.0, 10.0)):
        turn(store, conversation, 0.0, ttft=ttft, speed=speed)
    turn(store, conversation, 0.0, ttft=5.0, speed=999.0, status="interrupted")  # not a complete answer
    turn(store, conversation, 0.0, model="lab/other", ttft=40.0)
    turn(store, conversation, 0.0, model="lab/never")  # no figures at all

    speeds = store.read_measured()[0]
    assert set(speeds) == {"lab/m", "lab/other"}
    assert speeds["lab/m"] == ModelSpeed("lab/m", 4, 250.0, 50.0)
    assert speeds["lab/other"] == ModelSpeed("lab/other", 1, 40.0, None)
    # Only the latest answers of each model count.
    assert store.read_measured(per_model=2)[0]["lab/m"] == ModelSpeed("lab/m", 2, 550.0, 10.0)
    # Only the latest messages are read: the last four are lab/other's and lab/never's turns.
    assert set(store.read_measured(window=4)[0]) == {"lab/other"}


def test_answer_lengths_are_medians_by_kind_of_turn_over_the_latest_routed_answers(store: Store):
    def routed(output, *, complexity="simple", code=False, length="normal", status="complete"):
        signals = {"complexity": complexity, "has_code": code, "answer_length": length}
        turn(store, conversation, None, output=output, status=status,
             decision={"model": "lab/m", "signals": signals})

    conversation = store.create_conversation()
    for output in (100, 300, 200):
        routed(output)
    routed(5000, status="interrupted")  # cut short: not a length
    routed(900, code=True, complexity="complex")
    routed(40, length="short")
    turn(store, conversation, 0.0)  # not routed (no decision): no kind

    lengths = store.read_measured()[1]
    assert lengths == {
        ("simple", False, "normal"): (200, 3),
        ("complex", True, "normal"): (900, 1),
        ("simple", False, "short"): (40, 1),
    }
    assert store.read_measured(per_kind=2)[1][("simple", False, "normal")] == (250, 2)  # the latest two


def test_recent_prompts_come_from_every_conversation_oldest_first(store: Store):
    first, second = store.create_conversation(), store.create_conversation()
    store.add_message(first, "user", "one")
    store.add_message(second, "user", "two")
    store.add_message(second, "assistant", "not a prompt")
    store.add_message(first, "user", "   ")
    store.add_message(first, "user", "three")
    assert store.recent_prompts() == ["one", "two", "three"]
    assert store.recent_prompts(limit=2) == ["two", "three"]


def test_measured_figures_that_cannot_be_read_raise_a_store_error(db_path):
    store = Store(db_path)
    store.close()
    db_path.unlink()  # gone: a fresh empty file has no messages table
    with pytest.raises(StoreError, match="cannot read the measured figures"):
        store.read_measured()
