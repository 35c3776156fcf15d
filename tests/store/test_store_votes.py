"""Votes after a compare: stored with the pairwise outcomes they imply, on a real SQLite file."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

import pytest

import mmchat.store.schema as schema
from mmchat.store import AnswerEnd, NewAnswer, StartedTurn, Store, VotedPair
from mmchat.store.schema import MIGRATIONS

MODELS = ("openai/gpt-4o", "anthropic/claude", "ollama/llama3")


def compare(store: Store, models: tuple[str, ...] = MODELS, prompt: str = "q") -> StartedTurn:
    """A prompt and one finished answer per model, as a compare stores them."""
    started = store.start_turn(None, prompt, [NewAnswer(m.split("/")[0], m) for m in models])
    for answer_id in started.answer_ids:
        store.finish_answer(answer_id, AnswerEnd(content="a", status="complete"))
    return started


def pairs(store: Store) -> list[tuple]:
    return [tuple(r) for r in store._conn.execute(
        "SELECT answer_a, answer_b, model_a, model_b, outcome FROM vote_pairs ORDER BY id"
    )]


def count(store: Store, table: str) -> int:
    return store._conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


# -- what a vote implies ----------------------------------------------------------


def test_a_winner_among_three_beats_each_other_answer(store: Store):
    t = compare(store)
    a, b, c = t.answer_ids
    vote_id = store.record_vote(t.user_message_id, [a, b, c], winner=b)
    row = store._conn.execute("SELECT * FROM votes WHERE id = ?", (vote_id,)).fetchone()
    assert (row["user_message_id"], row["kind"], row["winner_id"], row["note"], row["blind"]) == (
        t.user_message_id, "winner", b, None, 0,
    )
    assert pairs(store) == [
        (a, b, MODELS[0], MODELS[1], "b"),
        (b, c, MODELS[1], MODELS[2], "a"),
    ]
    assert [(p.model_a, p.model_b, p.outcome) for p in store.voted_pairs()] == [
        (MODELS[0], MODELS[1], "b"), (MODELS[1], MODELS[2], "a"),
    ]


def test_a_tie_among_three_ties_every_pair(store: Store):
    t = compare(store)
    a, b, c = t.answer_ids
    store.record_vote(t.user_message_id, [c, a, b], kind="tie")
    assert [(p[0], p[1], p[4]) for p in pairs(store)] == [(c, a, "tie"), (c, b, "tie"), (a, b, "tie")]
    assert store._conn.execute("SELECT kind, winner_id FROM votes").fetchone()[:] == ("tie", None)


def test_all_bad_marks_every_pair_and_is_handed_out(store: Store):
    t = compare(store)
    store.record_vote(t.user_message_id, t.answer_ids, kind="all_bad", note="  none\n answered  ")
    outcomes = store.voted_pairs()
    assert [p.outcome for p in outcomes] == ["both_bad"] * 3
    assert all(isinstance(p, VotedPair) and p.created_at > 0 for p in outcomes)
    assert store._conn.execute("SELECT note FROM votes").fetchone()[0] == "none answered"


def test_a_vote_on_two_of_three_answers_covers_only_those_shown(store: Store):
    t = compare(store)
    a, _, c = t.answer_ids
    store.record_vote(t.user_message_id, [a, c], winner=a)
    assert pairs(store) == [(a, c, MODELS[0], MODELS[2], "a")]


def test_blind_and_self_naming_are_stored(store: Store):
    t = compare(store)
    a, b, c = t.answer_ids
    vote_id = store.record_vote(t.user_message_id, [a, b, c], winner=a, blind=True, self_naming=[c, a])
    row = store._conn.execute("SELECT blind, self_naming FROM votes WHERE id = ?", (vote_id,)).fetchone()
    assert row["blind"] == 1
    assert json.loads(row["self_naming"]) == [a, c]


def test_the_note_goes_through_the_redaction_hook(db_path: Path):
    with Store(db_path, redact=lambda s: s.replace("sk-secret", "[key]")) as s:
        t = compare(s)
        s.record_vote(t.user_message_id, t.answer_ids, kind="tie", note="it printed sk-secret")
        assert s._conn.execute("SELECT note FROM votes").fetchone()[0] == "it printed [key]"


def test_since_keeps_later_votes(store: Store):
    t1 = compare(store)
    store.record_vote(t1.user_message_id, t1.answer_ids, kind="tie")
    cut = time.time()
    store._conn.execute("UPDATE votes SET created_at = ?", (cut - 100,))
    t2 = compare(store, MODELS[:2])
    store.record_vote(t2.user_message_id, t2.answer_ids, winner=t2.answer_ids[0])
    assert len(store.voted_pairs()) == 4
    assert [(p.model_a, p.outcome) for p in store.voted_pairs(since=cut)] == [(MODELS[0], "a")]


# -- errors ---------------------------------------------------------------------------


def test_bad_votes_are_refused_with_one_line_and_nothing_stored(store: Store):
    t = compare(store)
    other = compare(store)
    a, b, c = t.answer_ids
    u = t.user_message_id
    cases = [
        (dict(shown=[a, other.answer_ids[0]], winner=a), "not an answer to message"),
        (dict(shown=[a, b], winner=c), "winner .* not among the answers shown"),
        (dict(shown=[a], winner=a), "at least 2 answers"),
        (dict(shown=[a, b], kind="meh"), "unknown vote kind 'meh'"),
        (dict(shown=[a, b]), "needs the winning answer"),
        (dict(shown=[a, b], kind="tie", winner=a), "has no winner"),
        (dict(shown=[a, a]), "shown twice"),
        (dict(shown=[a, b], winner=a, self_naming=[c]), "self-naming answer"),
    ]
    for kwargs, message in cases:
        with pytest.raises(ValueError, match=message) as info:
            store.record_vote(u, **kwargs)
        assert "\n" not in str(info.value)
    with pytest.raises(ValueError, match="not a user message"):
        store.record_vote(a, [b, c], kind="tie")
    with pytest.raises(LookupError, match="no message 999"):
        store.record_vote(999, [a, b], winner=a)
    assert count(store, "votes") == count(store, "vote_pairs") == 0


# -- lifetime -------------------------------------------------------------------------


def test_deleting_the_conversation_removes_its_votes(store: Store):
    kept = compare(store)
    gone = compare(store)
    store.record_vote(kept.user_message_id, kept.answer_ids, kind="tie")
    store.record_vote(gone.user_message_id, gone.answer_ids, winner=gone.answer_ids[2])
    store.delete_conversation(gone.conversation_id)
    assert count(store, "votes") == 1
    assert [p[4] for p in pairs(store)] == ["tie"] * 3


def test_a_database_at_the_previous_version_migrates_and_keeps_its_data(db_path: Path, monkeypatch):
    previous = 3  # v3: the schema before votes (v4)
    with monkeypatch.context() as m:
        m.setattr(schema, "MIGRATIONS", MIGRATIONS[:previous])
        with Store(db_path) as old:
            t = compare(old)
        with sqlite3.connect(db_path) as conn:
            assert conn.execute("PRAGMA user_version").fetchone()[0] == previous
            assert conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'votes'").fetchone()[0] == 0
    with Store(db_path) as s:
        assert s._user_version() == len(MIGRATIONS)
        assert [m.content for m in s.path(t.conversation_id)] == ["q", "a"]
        assert [m.model for m in s.children(t.user_message_id)] == list(MODELS)
        s.record_vote(t.user_message_id, t.answer_ids, winner=t.answer_ids[0])
        assert [p.outcome for p in s.voted_pairs()] == ["a", "a"]
