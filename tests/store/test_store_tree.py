"""The message tree: paths, alternatives, the head and the privacy lock."""

from __future__ import annotations

import pytest

from mmchat.store import NewAnswer, Store
from tests.store.helpers import answer


def test_alternatives_and_head(store: Store):
    cid = store.create_conversation()
    u1 = store.add_message(cid, "user", "hi")
    a1 = answer(store, cid, "hello from a", model="openai/gpt-4o")
    a2 = store.add_message(cid, "assistant", "hello from b", parent_id=u1, model="anthropic/claude")
    assert [m.id for m in store.path(cid)] == [u1, a2]  # the new alternative becomes the head
    assert [m.id for m in store.children(u1)] == [a1, a2]
    assert [m.id for m in store.siblings(a1)] == [a1, a2]

    store.set_head(cid, a1)
    assert [m.id for m in store.path(cid)] == [u1, a1]
    u2 = store.add_message(cid, "user", "go on")  # continues the chosen branch
    assert store.message(u2).parent_id == a1
    assert [m.id for m in store.path(cid)] == [u1, a1, u2]
    assert store.children(a2) == []


def test_new_roots_are_alternatives_of_each_other(store: Store):
    cid = store.create_conversation()
    r1 = store.add_message(cid, "user", "first try")
    r2 = store.add_message(cid, "user", "second try", parent_id=None)
    assert [m.id for m in store.path(cid)] == [r2]
    assert [m.id for m in store.siblings(r1)] == [r1, r2]


def test_the_tree_stays_inside_its_conversation(store: Store):
    c1, c2 = store.create_conversation(), store.create_conversation()
    m1 = store.add_message(c1, "user", "in one")
    with pytest.raises(ValueError, match=f"message {m1} is not in conversation {c2}"):
        store.add_message(c2, "user", "x", parent_id=m1)
    with pytest.raises(ValueError, match="not in conversation"):
        store.set_head(c2, m1)
    with pytest.raises(LookupError, match="no conversation 77"):
        store.set_head(77, m1)


def test_path_of_empty_and_missing_conversations(store: Store):
    cid = store.create_conversation()
    assert store.path(cid) == []
    with pytest.raises(LookupError, match="no conversation 404"):
        store.path(404)
    with pytest.raises(LookupError, match="no conversation 404"):
        store.conversation(404)


def test_a_long_conversation_loads_in_order(store: Store):
    cid = store.create_conversation()
    for i in range(1000):
        store.add_message(cid, "user" if i % 2 == 0 else "assistant", f"message {i}")
    path = store.path(cid)
    assert [m.content for m in path] == [f"message {i}" for i in range(1000)]
    assert path[0].parent_id is None
    assert all(b.parent_id == a.id for a, b in zip(path, path[1:]))


def test_add_message_checks_its_arguments(store: Store):
    cid = store.create_conversation()
    with pytest.raises(ValueError, match="unknown status 'done'"):
        store.add_message(cid, "assistant", "x", status="done")
    with pytest.raises(ValueError, match="unknown role"):
        store.add_message(cid, "tool", "x")
    with pytest.raises(LookupError, match="no conversation 42"):
        store.add_message(42, "user", "x")


def test_answers_with_alternatives_and_the_latest_continuation_of_one(store: Store):
    conversation = store.create_conversation()
    question = store.add_message(conversation, "user", "q")
    first = store.add_message(conversation, "assistant", "a1", parent_id=question)
    follow = store.add_message(conversation, "user", "more", parent_id=first)
    deeper = store.add_message(conversation, "assistant", "a-more", parent_id=follow)
    second = store.add_message(conversation, "assistant", "a2", parent_id=question)
    third = store.add_message(conversation, "assistant", "a3", parent_id=question)
    assert store.alternatives(conversation) == {first: (1, 3), second: (2, 3), third: (3, 3)}
    assert store.latest_leaf(first) == deeper
    assert store.latest_leaf(third) == third
    other = store.create_conversation()
    store.add_message(other, "user", "q")
    store.add_message(other, "assistant", "a")
    assert store.alternatives(other) == {}  # one answer each: none listed


def test_the_privacy_lock_keeps_its_first_message_until_unlocked(store: Store):
    lab = [NewAnswer("lab", "lab/m")]
    started = store.start_turn(None, "my key is sk-…", lab)
    conversation, first = started.conversation_id, started.user_message_id
    second = store.start_turn(conversation, "and more", lab).user_message_id
    assert store.privacy_lock(conversation) is None
    store.set_privacy_lock(conversation, first)
    store.set_privacy_lock(conversation, second)  # already locked: the first message stays the start
    assert store.privacy_lock(conversation) == first
    store.set_privacy_lock(conversation, None)
    assert store.privacy_lock(conversation) is None
    other = store.create_conversation()
    with pytest.raises(ValueError):
        store.set_privacy_lock(other, first)  # a message of another conversation
    with pytest.raises(LookupError):
        store.privacy_lock(other + 1)


def test_lineage_is_the_history_above_a_message_whichever_answer_the_head_follows(store: Store):
    cid = store.create_conversation()
    u1 = store.add_message(cid, "user", "hi")
    a1 = answer(store, cid, "hello")
    u2 = store.add_message(cid, "user", "go on")
    other = store.add_message(cid, "assistant", "another hello", parent_id=u1)  # the head moves to it
    assert [m.id for m in store.path(cid)] == [u1, other]
    assert [m.id for m in store.lineage(u2)] == [u1, a1, u2]
    with pytest.raises(LookupError, match="no message 999"):
        store.lineage(999)


def test_a_damaged_stored_decision_reads_back_as_none(store: Store):
    cid = store.create_conversation()
    store.add_message(cid, "user", "hi")
    a1 = store.add_message(cid, "assistant", "ok", decision={"model": "a/b"})
    store._conn.execute("UPDATE messages SET decision = '{not json' WHERE id = ?", (a1,))
    assert store.message(a1).decision is None
    assert store.path(cid)[-1].content == "ok"  # the conversation still opens
