"""The SQLite store, on real database files."""

from __future__ import annotations

import os
import socket
import sqlite3
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import mmchat.store as store_module
import mmchat.store.schema as schema
from mmchat.types import Usage
from mmchat.store import Store, StoreError
from mmchat.store.schema import MIGRATIONS

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "mmchat.db"


@pytest.fixture
def store(db_path: Path):
    s = Store(db_path)
    yield s
    s.close()


@pytest.fixture
def loose_umask():
    old = os.umask(0o022)
    yield
    os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def raw(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(path)


def answer(store: Store, conversation_id: int, text: str, *, model: str = "openai/gpt-4o", **update):
    """Adds a finished assistant answer the way the engine does: pending, then updated."""
    provider = model.split("/")[0]
    mid = store.add_message(
        conversation_id, "assistant", "", status="pending", provider=provider, model=model
    )
    store.update_message(mid, content=text, status=update.pop("status", "complete"), finished=True, **update)
    return mid


# -- schema and files ---------------------------------------------------------


def test_empty_file_migrates_to_current_schema(db_path: Path):
    db_path.parent.mkdir()
    db_path.touch()
    Store(db_path).close()
    with raw(db_path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert {"conversations", "messages", "messages_fts"} <= tables
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_reopening_keeps_data_and_version(db_path: Path):
    with Store(db_path) as s:
        cid = s.create_conversation("kept")
    with Store(db_path) as s:
        assert s.conversation(cid).title == "kept"
    with raw(db_path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)


def test_newer_schema_is_refused_without_touching_the_file(db_path: Path):
    db_path.parent.mkdir()
    with raw(db_path) as conn:
        conn.execute("CREATE TABLE future (x)")
        conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 5}")
    before = db_path.read_bytes()
    with pytest.raises(StoreError, match="newer mmchat.*upgrade mmchat"):
        Store(db_path)
    assert db_path.read_bytes() == before
    assert not Path(f"{db_path}-wal").exists()


def test_failed_migration_rolls_back_whole(db_path: Path, monkeypatch):
    Store(db_path).close()
    broken = ("CREATE TABLE half_done (x)", "CREATE TABLE broken (")
    monkeypatch.setattr(schema, "MIGRATIONS", [*MIGRATIONS, broken])
    with pytest.raises(StoreError, match=f"schema v{len(MIGRATIONS) + 1} failed.*unchanged"):
        Store(db_path)
    with raw(db_path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
        assert conn.execute("SELECT count(*) FROM sqlite_master WHERE name='half_done'").fetchone()[0] == 0


def test_a_file_that_is_not_a_database_gives_a_clear_error(db_path: Path):
    db_path.parent.mkdir()
    db_path.write_bytes(b"this is not sqlite at all, just some text" * 50)
    with pytest.raises(StoreError, match="not an mmchat database"):
        Store(db_path)


def test_dir_database_wal_and_shm_are_private(db_path: Path, loose_umask):
    with Store(db_path) as s:
        s.add_message(s.create_conversation(), "user", "hello")
        wal, shm = Path(f"{db_path}-wal"), Path(f"{db_path}-shm")
        assert wal.exists() and shm.exists()
        assert mode(db_path.parent) == 0o700
        assert mode(db_path) == 0o600
        assert mode(wal) == 0o600
        assert mode(shm) == 0o600


def test_an_existing_world_readable_database_is_tightened(db_path: Path, loose_umask):
    Store(db_path).close()
    db_path.chmod(0o644)
    Store(db_path).close()
    assert mode(db_path) == 0o600


def test_foreign_keys_are_enforced(store: Store):
    with pytest.raises(sqlite3.IntegrityError):
        store._conn.execute(
            "INSERT INTO messages (conversation_id, role, created_at) VALUES (999, 'user', 0)"
        )


# -- crash safety and streaming ----------------------------------------------


def test_crash_between_user_message_and_answer(db_path: Path):
    script = textwrap.dedent(
        f"""
        import os
        from pathlib import Path
        from mmchat.store import Store
        s = Store(Path({str(db_path)!r}))
        cid = s.create_conversation()
        s.add_message(cid, "user", "What is a monad?")
        mid = s.add_message(cid, "assistant", "", status="pending", provider="openai", model="openai/gpt-4o")
        s.update_message(mid, content="A monad is a monoid in the")
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


def test_streaming_updates_save_partial_then_final_figures(store: Store):
    cid = store.create_conversation()
    store.add_message(cid, "user", "count up to 3")
    mid = store.add_message(
        cid, "assistant", "", status="pending", provider="anthropic",
        model="anthropic/claude-sonnet-4", params={"temperature": 0.2},
        decision={"chosen": "anthropic/claude-sonnet-4", "rules": ["default"]},
    )
    for text in ("one", "one, two", "one, two, three"):
        store.update_message(mid, content=text)
        assert store.message(mid).content == text
    assert store.search("three") == []  # indexed once finished, not on every chunk
    early = store.add_message(cid, "assistant", "already some words", status="pending", parent_id=None)
    assert store.search("words") == []
    store.update_message(early, status="interrupted", finished=True)
    assert [m.id for m, _ in store.search("words")] == [early]
    store.set_head(cid, mid)
    streaming = store.message(mid)
    assert (streaming.status, streaming.finished_at, streaming.usage) == ("pending", None, None)

    usage = Usage(input_tokens=12, cached_input_tokens=100, cache_write_tokens=3,
                  output_tokens=7, reasoning_tokens=40, estimated=True)
    store.update_message(
        mid, status="complete", usage=usage, ttft_ms=321.5, latency_ms=1500.0,
        tokens_per_s=42.0, cost_usd=0.0031, attempts=[{"model": "x/y", "error": "429"}],
        finished=True,
    )
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


def test_update_checks_its_arguments(store: Store):
    cid = store.create_conversation()
    mid = store.add_message(cid, "user", "hi")
    with pytest.raises(LookupError, match="no message 999"):
        store.update_message(999, content="x")
    with pytest.raises(ValueError, match="unknown status 'done'"):
        store.update_message(mid, status="done")
    with pytest.raises(ValueError, match="unknown role"):
        store.add_message(cid, "tool", "x")
    with pytest.raises(LookupError, match="no conversation 42"):
        store.add_message(42, "user", "x")


def test_error_texts_and_attempts_pass_through_the_redact_hook(db_path: Path):
    secret = "sk-proj-THISISASECRETKEY1234567890"
    with Store(db_path, redact=lambda text: text.replace(secret, "sk-…redacted")) as s:
        cid = s.create_conversation()
        mid = s.add_message(cid, "assistant", "", status="pending", model="openai/gpt-4o")
        s.update_message(
            mid, status="error", error=f"401: invalid key {secret}",
            attempts=[{"model": "openai/gpt-4o", "error": f"bad key {secret}", "n": 1}],
            finished=True,
        )
        m = s.message(mid)
        assert m.error == "401: invalid key sk-…redacted"
        assert m.attempts == [{"model": "openai/gpt-4o", "error": "bad key sk-…redacted", "n": 1}]
    files = [p for p in db_path.parent.iterdir()]
    assert files and all(secret.encode() not in p.read_bytes() for p in files)


# -- the message tree ---------------------------------------------------------


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


# -- conversations ------------------------------------------------------------


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


# -- search -------------------------------------------------------------------


def test_search_matches_all_words_with_snippets(store: Store):
    cid = store.create_conversation()
    hit = store.add_message(cid, "user", "How do I configure gpt-4o with a proxy server?")
    store.add_message(cid, "assistant", "Use a proxy: set HTTPS_PROXY before starting.")
    store.add_message(cid, "user", "Résumé of the configuration, please")

    results = store.search("proxy configure")
    assert [m.id for m, _ in results] == [hit]
    assert "[configure]" in results[0][1] and "[proxy]" in results[0][1]
    assert [m.id for m, _ in store.search("gpt-4o")] == [hit]  # '-' is not query syntax
    assert len(store.search("config*")) == 2  # prefix
    assert len(store.search("resume")) == 1  # diacritics folded
    assert store.search('"unbalanced') == []
    assert store.search("   ") == []
    snippet = store.search("HTTPS_PROXY", marks=("<b>", "</b>"))[0][1]
    assert "<b>" in snippet


def test_search_without_fts5_falls_back_and_the_index_catches_up(db_path: Path, monkeypatch):
    with Store(db_path) as s:
        cid = s.create_conversation()
        s.add_message(cid, "user", "indexed banana")

    monkeypatch.setattr(schema, "fts5_available", lambda conn: False)
    with Store(db_path) as s:
        assert "FTS5" in s.search_note
        s.add_message(cid, "user", "unindexed banana_split 100%")
        assert len(s.search("banana")) == 2
        assert [m.content for m, _ in s.search("100%")] == ["unindexed banana_split 100%"]
        assert s.search("banana_split")[0][1] == "unindexed [banana_split] 100%"
        assert s.search("b%a") == []  # LIKE wildcards are literal

    monkeypatch.undo()
    with Store(db_path) as s:
        assert s.search_note is None
        assert {m.content for m, _ in s.search("banana")} == {"indexed banana", "unindexed banana_split 100%"}
        s._conn.execute("INSERT INTO messages_fts(messages_fts) VALUES ('integrity-check')")


# -- totals -------------------------------------------------------------------


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


def test_an_unusable_location_gives_a_clear_error(tmp_path: Path):
    (tmp_path / "file").write_text("")
    with pytest.raises(StoreError, match="cannot create .*file"):
        Store(tmp_path / "file" / "mmchat.db")


def test_a_turn_begins_in_one_transaction(tmp_path):
    with Store(tmp_path / "mmchat.db") as store:
        conversation, user, answer = store.begin_turn(None, "a question", provider="lab", model="lab/m")
        first, second = store.path(conversation)
        assert (first.id, first.role, first.content) == (user, "user", "a question")
        assert (second.id, second.parent_id, second.status, second.model) == (answer, user, "pending", "lab/m")
        assert store.conversation(conversation).title == "a question"
        # An unknown conversation is refused before anything is written.
        with pytest.raises(LookupError):
            store.begin_turn(conversation + 99, "lost?", provider="lab", model="lab/m")
        assert len(store.path(conversation)) == 2


def test_a_start_up_leaves_an_answer_another_live_mmchat_is_streaming(tmp_path):
    with Store(tmp_path / "mmchat.db") as store:
        _, _, live = store.begin_turn(None, "streaming here", provider="lab", model="lab/m")
        _, _, legacy = store.begin_turn(None, "from an old version", provider="lab", model="lab/m")
        _, _, crashed = store.begin_turn(None, "its process died", provider="lab", model="lab/m")
        dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
        host = socket.gethostname()
        store._conn.execute("UPDATE messages SET writer = NULL WHERE id = ?", (legacy,))
        store._conn.execute("UPDATE messages SET writer = ? WHERE id = ?", (f"{host}:{dead.stdout.strip()}", crashed))

        assert store.mark_stale_pending() == 2
        assert [store.message(i).status for i in (live, legacy, crashed)] == ["pending", "interrupted", "interrupted"]


def test_the_privacy_lock_keeps_its_first_message_until_unlocked(tmp_path):
    with Store(tmp_path / "mmchat.db") as store:
        conversation, first, _ = store.begin_turn(None, "my key is sk-…", provider="lab", model="lab/m")
        _, second, _ = store.begin_turn(conversation, "and more", provider="lab", model="lab/m")
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


def _answer(store: Store, conversation: int, cost: float | None, *, usage: bool = True, model: str = "lab/m",
            status: str = "complete", ttft: float | None = None, speed: float | None = None) -> int:
    store.add_message(conversation, "user", "q")
    answer = store.add_message(conversation, "assistant", "a", model=model, status="pending")
    store.update_message(
        answer, status=status, usage=Usage(input_tokens=10, output_tokens=5) if usage else None,
        cost_usd=cost, ttft_ms=ttft, tokens_per_s=speed, finished=True,
    )
    return answer


def test_spending_per_conversation_and_since_a_time_counts_unknown_prices_apart(tmp_path):
    with Store(tmp_path / "mmchat.db") as store:
        one, two = store.create_conversation(), store.create_conversation()
        old = _answer(store, one, 1.25)
        _answer(store, one, 0.5)
        _answer(store, one, None)  # usage but no price: not counted, said apart
        _answer(store, one, None, usage=False, status="error")  # failed before any usage: costs nothing
        _answer(store, two, 2.0)
        store.add_message(two, "assistant", "", status="pending")  # still streaming: not counted
        store._conn.execute("UPDATE messages SET finished_at = finished_at - 7200 WHERE id = ?", (old,))

        assert store.spending(conversation_id=one) == store_module.Spending(cost_usd=1.75, unpriced=1)
        assert store.spending(conversation_id=two) == store_module.Spending(cost_usd=2.0, unpriced=0)
        assert store.spending() == store_module.Spending(cost_usd=3.75, unpriced=1)
        an_hour_ago = store.message(old).finished_at + 3600
        assert store.spending(since=an_hour_ago) == store_module.Spending(cost_usd=2.5, unpriced=1)
        assert store.spending(conversation_id=one, since=an_hour_ago) == store_module.Spending(0.5, 1)
        assert store.spending(since=an_hour_ago + 10 * 3600) == store_module.Spending(0.0, 0)


def test_model_speeds_are_medians_over_the_latest_complete_answers(tmp_path):
    with Store(tmp_path / "mmchat.db") as store:
        conversation = store.create_conversation()
        for ttft, speed in ((100.0, 50.0), (300.0, 70.0), (200.0, None), (900.0, 10.0)):
            _answer(store, conversation, 0.0, ttft=ttft, speed=speed)
        _answer(store, conversation, 0.0, ttft=5.0, speed=999.0, status="interrupted")  # not a complete answer
        _answer(store, conversation, 0.0, model="lab/other", ttft=40.0)
        _answer(store, conversation, 0.0, model="lab/never")  # no figures at all

        speeds = store.read_measured()[0]
        assert set(speeds) == {"lab/m", "lab/other"}
        assert speeds["lab/m"] == store_module.ModelSpeed("lab/m", 4, 250.0, 50.0)
        assert speeds["lab/other"] == store_module.ModelSpeed("lab/other", 1, 40.0, None)
        # Only the latest answers of each model count.
        assert store.read_measured(per_model=2)[0]["lab/m"] == store_module.ModelSpeed("lab/m", 2, 550.0, 10.0)
        # Only the latest messages are read: the last four are lab/other's and lab/never's turns.
        assert set(store.read_measured(window=4)[0]) == {"lab/other"}


def test_answer_lengths_are_medians_by_kind_of_turn_over_the_latest_routed_answers(tmp_path):
    def routed(store, conversation, output, *, complexity="simple", code=False, length="normal", status="complete"):
        signals = {"complexity": complexity, "has_code": code, "answer_length": length}
        store.add_message(conversation, "user", "q")
        answer = store.add_message(
            conversation, "assistant", "a", model="lab/m", status="pending", decision={"model": "lab/m", "signals": signals},
        )
        store.update_message(answer, status=status, usage=Usage(input_tokens=10, output_tokens=output), finished=True)

    with Store(tmp_path / "mmchat.db") as store:
        conversation = store.create_conversation()
        for output in (100, 300, 200):
            routed(store, conversation, output)
        routed(store, conversation, 5000, status="interrupted")  # cut short: not a length
        routed(store, conversation, 900, code=True, complexity="complex")
        routed(store, conversation, 40, length="short")
        _answer(store, conversation, 0.0)  # not routed (no decision): no kind

        lengths = store.read_measured()[1]
        assert lengths == {
            ("simple", False, "normal"): (200, 3),
            ("complex", True, "normal"): (900, 1),
            ("simple", False, "short"): (40, 1),
        }
        assert store.read_measured(per_kind=2)[1][("simple", False, "normal")] == (250, 2)  # the latest two


def test_answers_with_alternatives_and_the_latest_continuation_of_one(tmp_path):
    with Store(tmp_path / "mmchat.db") as store:
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


def test_recent_prompts_come_from_every_conversation_oldest_first(tmp_path):
    with Store(tmp_path / "mmchat.db") as store:
        first, second = store.create_conversation(), store.create_conversation()
        store.add_message(first, "user", "one")
        store.add_message(second, "user", "two")
        store.add_message(second, "assistant", "not a prompt")
        store.add_message(first, "user", "   ")
        store.add_message(first, "user", "three")
        assert store.recent_prompts() == ["one", "two", "three"]
        assert store.recent_prompts(limit=2) == ["two", "three"]


def test_measured_figures_that_cannot_be_read_raise_a_store_error(tmp_path):
    store = Store(tmp_path / "mmchat.db")
    store.close()
    (tmp_path / "mmchat.db").unlink()  # gone: a fresh empty file has no messages table
    with pytest.raises(StoreError, match="cannot read the measured figures"):
        store.read_measured()
