"""Full-text search, and its substring fallback without FTS5."""

from __future__ import annotations

from pathlib import Path

import mmchat.store.schema as schema
from mmchat.store import Store


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
