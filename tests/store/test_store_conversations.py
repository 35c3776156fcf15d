"""Conversations: titles, summaries, renaming and deleting."""

from __future__ import annotations

import pytest

from mmchat.store import Store
from mmchat.types import Usage
from tests.store.helpers import answer


def test_title_comes_from_the_first_user_message(store: Store):
    cid = store.create_conversation()
    store.add_message(cid, "system", "You are terse.")
    store.add_message(
        cid, "user",
        "\n  Please explain the difference between a process and a thread in operating systems\nmore",
    )
    store.add_message(cid, "user", "another question")
    title = store.conversation(cid).title
    assert title.startswith("Please explain the difference between")
    assert title.endswith("…") and len(title) <= 60 and "\n" not in title

    named = store.create_conversation("My title")
    store.add_message(named, "user", "something else")
    assert store.conversation(named).title == "My title"


def test_summaries_list_newest_first_with_models_cost_and_preview(store: Store):
    older = store.create_conversation()
    store.add_message(older, "user", "old question")
    newer = store.create_conversation()
    store.add_message(newer, "user", "first line\nsecond   line " + "x" * 200)
    answer(store, newer, "a", model="openai/gpt-4o", cost_usd=0.01, usage=Usage(10, 0, 0, 5))
    store.add_message(newer, "user", "next")
    answer(store, newer, "b", model="ollama/llama3", cost_usd=0.0, usage=Usage(10, 0, 0, 5))
    store.add_message(newer, "user", "again")
    answer(store, newer, "c", model="openai/gpt-4o", cost_usd=0.02, usage=Usage(10, 0, 0, 5))
    answer(store, newer, "", model="gemini/flash", status="error", error="timeout")  # no usage: free

    listed = store.list_conversations()
    assert [c.id for c in listed] == [newer, older]
    top = listed[0]
    assert top.models == ["openai/gpt-4o", "ollama/llama3", "gemini/flash"]
    assert top.message_count == 7
    assert top.total_cost_usd == pytest.approx(0.03)
    assert top.preview.startswith("first line second line xxx") and top.preview.endswith("…")
    assert len(top.preview) <= 80
    assert listed[1].models == [] and listed[1].total_cost_usd == 0.0
    assert store.latest_conversation_id() == newer
    assert [c.id for c in store.list_conversations(limit=1, offset=1)] == [older]
    assert store.conversation(newer) == top


def test_cost_is_unknown_when_a_billed_answer_has_no_price(store: Store):
    cid = store.create_conversation()
    store.add_message(cid, "user", "q")
    answer(store, cid, "a", cost_usd=0.01, usage=Usage(10, 0, 0, 5))
    answer(store, cid, "b", model="custom/unpriced", usage=Usage(10, 0, 0, 5))
    assert store.conversation(cid).total_cost_usd is None


def test_latest_conversation_follows_activity(store: Store):
    assert store.latest_conversation_id() is None
    first = store.create_conversation()
    second = store.create_conversation()
    assert store.latest_conversation_id() == second
    store.add_message(first, "user", "back to the first")
    assert store.latest_conversation_id() == first


def test_rename_and_delete_cascade(store: Store):
    keep = store.create_conversation()
    store.add_message(keep, "user", "keep this kiwi")
    gone = store.create_conversation()
    u = store.add_message(gone, "user", "delete this kiwi")
    a = answer(store, gone, "kiwi answer")
    store.add_message(gone, "assistant", "kiwi still streaming", status="pending")

    store.rename_conversation(gone, "  Fruit talk \n")
    assert store.conversation(gone).title == "Fruit talk"
    with pytest.raises(ValueError, match="cannot be empty"):
        store.rename_conversation(gone, "   ")
    with pytest.raises(LookupError):
        store.rename_conversation(999, "x")

    store.delete_conversation(gone)
    with pytest.raises(LookupError):
        store.conversation(gone)
    for mid in (u, a):
        with pytest.raises(LookupError):
            store.message(mid)
    assert [m.conversation_id for m, _ in store.search("kiwi")] == [keep]
    assert [c.id for c in store.list_conversations()] == [keep]
    with pytest.raises(LookupError):
        store.delete_conversation(gone)
    # the external-content index still matches its table after the cascade
    store._conn.execute("INSERT INTO messages_fts(messages_fts) VALUES ('integrity-check')")


def test_deleting_a_long_conversation(store: Store):
    cid = store.create_conversation()
    for i in range(1200):
        store.add_message(cid, "user", f"m{i}")
    store.delete_conversation(cid)
    assert store._conn.execute("SELECT count(*) FROM messages").fetchone()[0] == 0
