"""Answers: started one or many to a prompt, streamed into, ended; crash safety."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from mmchat.store import AnswerEnd, NewAnswer, StartedTurn, Store
from mmchat.types import Usage

REPO = Path(__file__).resolve().parents[2]
LAB = NewAnswer("lab", "lab/m")


def three() -> list[NewAnswer]:
    return [
        NewAnswer("openai", "openai/gpt-4o", {"temperature": 0.2}),
        NewAnswer("anthropic", "anthropic/claude", decision={"model": "anthropic/claude"}),
        NewAnswer("ollama", "ollama/llama3"),
    ]


def count(store: Store) -> int:
    return store._conn.execute("SELECT count(*) FROM messages").fetchone()[0]


# -- starting a turn ------------------------------------------------------------


def test_a_turn_begins_in_one_transaction(store: Store):
    started = store.start_turn(None, "a question", [LAB])
    first, second = store.path(started.conversation_id)
    assert (first.id, first.role, first.content) == (started.user_message_id, "user", "a question")
    assert (second.id, second.parent_id, second.status, second.model) == (
        started.answer_ids[0], started.user_message_id, "pending", "lab/m",
    )
    assert store.conversation(started.conversation_id).title == "a question"
    # An unknown conversation is refused before anything is written.
    with pytest.raises(LookupError, match=f"no conversation {started.conversation_id + 99}"):
        store.start_turn(started.conversation_id + 99, "lost?", [LAB])
    # So is an answer that cannot be written: the user's message goes with it.
    with pytest.raises(TypeError):
        store.start_turn(started.conversation_id, "unwritable", [LAB, NewAnswer("lab", "lab/m", {"x": object()})])
    assert count(store) == 2
    assert store.path(started.conversation_id)[-1].id == started.answer_ids[0]


def test_three_answers_to_one_prompt_are_siblings_and_the_chosen_one_is_the_head(store: Store):
    started = store.start_turn(None, "compare these", three(), head=1)
    assert isinstance(started, StartedTurn) and len(started.answer_ids) == 3
    answers = store.children(started.user_message_id)
    assert tuple(m.id for m in answers) == started.answer_ids
    assert [(m.model, m.status, m.role) for m in answers] == [
        ("openai/gpt-4o", "pending", "assistant"),
        ("anthropic/claude", "pending", "assistant"),
        ("ollama/llama3", "pending", "assistant"),
    ]
    assert answers[0].params == {"temperature": 0.2} and answers[1].decision == {"model": "anthropic/claude"}
    writers = store._conn.execute(
        f"SELECT DISTINCT writer FROM messages WHERE id IN {started.answer_ids}"
    ).fetchall()
    assert [w[0] for w in writers] == [f"{socket.gethostname()}:{os.getpid()}"]
    assert [m.id for m in store.path(started.conversation_id)] == [started.user_message_id, started.answer_ids[1]]
    # Ending them, in any order, leaves the head where it was chosen.
    for answer_id in reversed(started.answer_ids):
        store.finish_answer(answer_id, AnswerEnd(content=f"answer {answer_id}", status="complete"))
    assert store.path(started.conversation_id)[-1].id == started.answer_ids[1]
    assert store.alternatives(started.conversation_id) == {
        answer_id: (place, 3) for place, answer_id in enumerate(started.answer_ids, 1)
    }


def test_a_turn_without_a_head_answer_leaves_the_head_on_the_prompt(store: Store):
    earlier = store.start_turn(None, "first", [LAB])
    started = store.start_turn(earlier.conversation_id, "second", three(), head=None)
    assert store.message(started.user_message_id).parent_id == earlier.answer_ids[0]  # under the old head
    assert [m.id for m in store.path(started.conversation_id)][-1] == started.user_message_id
    assert len(store.children(started.user_message_id)) == 3


def test_answers_added_beside_an_existing_one_keep_or_move_the_head(store: Store):
    started = store.start_turn(None, "q", [LAB])
    (first,) = started.answer_ids
    kept = store.add_answers(started.user_message_id, three()[:2], head=None)
    assert store.path(started.conversation_id)[-1].id == first
    moved = store.add_answers(started.user_message_id, three(), head=2)
    assert store.path(started.conversation_id)[-1].id == moved[2]
    assert [m.id for m in store.siblings(first)] == [first, *kept, *moved]
    assert all(store.message(i).status == "pending" for i in (*kept, *moved))


def test_answers_go_to_a_stored_user_message_only(store: Store):
    started = store.start_turn(None, "q", [LAB])
    before = count(store)
    with pytest.raises(ValueError, match=f"message {started.answer_ids[0]} is not a user message"):
        store.add_answers(started.answer_ids[0], [LAB])
    with pytest.raises(LookupError, match="no message 999"):
        store.add_answers(999, [LAB])
    with pytest.raises(ValueError, match="at least one answer"):
        store.add_answers(started.user_message_id, [])
    with pytest.raises(ValueError, match="head 2"):
        store.add_answers(started.user_message_id, [LAB, LAB], head=2)
    with pytest.raises(ValueError, match="at least one answer"):
        store.start_turn(None, "nothing to answer", [])
    assert count(store) == before
    assert store.latest_conversation_id() == started.conversation_id  # no conversation was created


def test_choosing_an_answer_follows_its_latest_continuation(store: Store):
    started = store.start_turn(None, "q", three()[:2])
    first, second = started.answer_ids
    follow = store.start_turn(started.conversation_id, "go on", [LAB])  # continues the first
    assert store.message(follow.user_message_id).parent_id == first
    store.choose_answer(second)
    assert [m.id for m in store.path(started.conversation_id)] == [started.user_message_id, second]
    store.choose_answer(first)
    assert [m.id for m in store.path(started.conversation_id)] == [
        started.user_message_id, first, follow.user_message_id, follow.answer_ids[0],
    ]


# -- streaming and ending -------------------------------------------------------


def test_streaming_saves_partial_text_then_the_end_with_its_figures(store: Store):
    started = store.start_turn(
        None, "count up to 3",
        [NewAnswer("anthropic", "anthropic/claude-sonnet-4", {"temperature": 0.2},
                   {"chosen": "anthropic/claude-sonnet-4", "rules": ["default"]})],
    )
    (mid,) = started.answer_ids
    for text in ("one", "one, two", "one, two, three"):
        store.save_text(mid, text)
        assert store.message(mid).content == text
    assert store.search("three") == []  # indexed once finished, not on every chunk
    early = store.add_message(started.conversation_id, "assistant", "already some words", status="pending", parent_id=None)
    assert store.search("words") == []
    store.finish_answer(early, AnswerEnd(content="already some words", status="interrupted"))
    assert [m.id for m, _ in store.search("words")] == [early]
    streaming = store.message(mid)
    assert (streaming.status, streaming.finished_at, streaming.usage) == ("pending", None, None)

    usage = Usage(input_tokens=12, cached_input_tokens=100, cache_write_tokens=3,
                  output_tokens=7, reasoning_tokens=40, estimated=True)
    store.finish_answer(mid, AnswerEnd(
        content="one, two, three", status="complete", usage=usage, ttft_ms=321.5, latency_ms=1500.0,
        tokens_per_s=42.0, cost_usd=0.0031, attempts=[{"model": "x/y", "error": "429"}],
    ))
    done = store.message(mid)
    assert done.content == "one, two, three"
    assert done.status == "complete"
    assert done.usage == usage
    assert (done.ttft_ms, done.latency_ms, done.tokens_per_s, done.cost_usd) == (321.5, 1500.0, 42.0, 0.0031)
    assert done.attempts == [{"model": "x/y", "error": "429"}]
    assert done.params == {"temperature": 0.2}
    assert done.decision == {"chosen": "anthropic/claude-sonnet-4", "rules": ["default"]}
    assert done.finished_at is not None and done.finished_at >= done.created_at
    assert done.provider == "anthropic" and done.model == "anthropic/claude-sonnet-4"
    assert [m.id for m, _ in store.search("three")] == [mid]
    store._conn.execute("INSERT INTO messages_fts(messages_fts) VALUES ('integrity-check')")


def test_an_end_without_usage_leaves_the_usage_unknown_and_stamps_the_conversation(store: Store):
    started = store.start_turn(None, "q", [LAB])
    (mid,) = started.answer_ids
    store._conn.execute("UPDATE conversations SET updated_at = 0")
    store.finish_answer(mid, AnswerEnd(content="", status="error", error="503 overloaded"))
    m = store.message(mid)
    assert (m.status, m.error, m.usage, m.cost_usd, m.ttft_ms, m.attempts) == ("error", "503 overloaded", None, None, None, [])
    assert store.conversation(started.conversation_id).updated_at == m.finished_at


def test_a_fallback_moves_an_answer_to_another_model(store: Store):
    (mid,) = store.start_turn(None, "q", [NewAnswer("lab", "lab/m", {"temperature": 1})]).answer_ids
    store.save_text(mid, "")
    store.set_attempts(mid, [{"model": "lab/m", "error": "429"}])
    assert store.message(mid).attempts == [{"model": "lab/m", "error": "429"}]
    store.set_answer_model(mid, provider="other", model="other/n", params={}, attempts=[{"model": "lab/m", "error": "503"}])
    m = store.message(mid)
    assert (m.provider, m.model, m.params, m.attempts, m.status) == (
        "other", "other/n", {}, [{"model": "lab/m", "error": "503"}], "pending",
    )


def test_unknown_answers_and_statuses_are_refused(store: Store):
    (mid,) = store.start_turn(None, "q", [LAB]).answer_ids
    for write in (
        lambda: store.save_text(999, "x"),
        lambda: store.set_attempts(999, []),
        lambda: store.set_answer_model(999, provider="p", model="p/m", params={}, attempts=[]),
        lambda: store.finish_answer(999, AnswerEnd(content="x", status="complete")),
        lambda: store.choose_answer(999),
    ):
        with pytest.raises(LookupError, match="^no message 999$"):
            write()
    for status in ("done", "pending"):
        with pytest.raises(ValueError, match=f"unknown status '{status}'"):
            store.finish_answer(mid, AnswerEnd(content="x", status=status))
    assert store.message(mid).status == "pending"


def test_error_texts_and_attempts_pass_through_the_redact_hook(db_path: Path):
    secret = "sk-proj-THISISASECRETKEY1234567890"
    with Store(db_path, redact=lambda text: text.replace(secret, "sk-…redacted")) as s:
        (mid,) = s.start_turn(None, "q", [NewAnswer("openai", "openai/gpt-4o")]).answer_ids
        s.set_attempts(mid, [{"error": f"429 for {secret}"}])
        assert s.message(mid).attempts == [{"error": "429 for sk-…redacted"}]
        s.set_answer_model(mid, provider="openai", model="openai/gpt-4o-mini", params={},
                           attempts=[{"error": f"503 for {secret}"}])
        assert s.message(mid).attempts == [{"error": "503 for sk-…redacted"}]
        s.finish_answer(mid, AnswerEnd(
            content="", status="error", error=f"401: invalid key {secret}",
            attempts=[{"model": "openai/gpt-4o", "error": f"bad key {secret}", "n": 1}],
        ))
        m = s.message(mid)
        assert m.error == "401: invalid key sk-…redacted"
        assert m.attempts == [{"model": "openai/gpt-4o", "error": "bad key sk-…redacted", "n": 1}]
    files = [p for p in db_path.parent.iterdir()]
    assert files and all(secret.encode() not in p.read_bytes() for p in files)


# -- crashes ------------------------------------------------------------------


def test_crash_between_user_message_and_answer(db_path: Path):
    script = textwrap.dedent(
        f"""
        import os
        from pathlib import Path
        from mmchat.store import NewAnswer, Store
        s = Store(Path({str(db_path)!r}))
        (mid,) = s.start_turn(None, "What is a monad?", [NewAnswer("openai", "openai/gpt-4o")]).answer_ids
        s.save_text(mid, "A monad is a monoid in the")
        os._exit(1)  # die without closing: no checkpoint, no clean shutdown
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)}
    )
    assert result.returncode == 1

    with Store(db_path) as s:
        cid = s.latest_conversation_id()
        user, partial = s.path(cid)
        assert (user.role, user.content, user.status) == ("user", "What is a monad?", "complete")
        assert (partial.status, partial.content) == ("pending", "A monad is a monoid in the")
        assert s.search("monoid") == []  # not indexed while pending

        assert s.mark_stale_pending() == 1
        partial = s.message(partial.id)
        assert partial.status == "interrupted"
        assert partial.finished_at is not None
        assert [m.id for m, _ in s.search("monoid")] == [partial.id]
        assert s.mark_stale_pending() == 0
        s._conn.execute("INSERT INTO messages_fts(messages_fts) VALUES ('integrity-check')")


def test_a_start_up_leaves_an_answer_another_live_mmchat_is_streaming(store: Store):
    (live,) = store.start_turn(None, "streaming here", [LAB]).answer_ids
    (legacy,) = store.start_turn(None, "from an old version", [LAB]).answer_ids
    (crashed,) = store.start_turn(None, "its process died", [LAB]).answer_ids
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    host = socket.gethostname()
    store._conn.execute("UPDATE messages SET writer = NULL WHERE id = ?", (legacy,))
    store._conn.execute("UPDATE messages SET writer = ? WHERE id = ?", (f"{host}:{dead.stdout.strip()}", crashed))

    assert store.mark_stale_pending() == 2
    assert [store.message(i).status for i in (live, legacy, crashed)] == ["pending", "interrupted", "interrupted"]
