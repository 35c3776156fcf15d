"""Markdown and JSON exports of stored conversations."""

from __future__ import annotations

import json
import os
import stat
from datetime import datetime
from pathlib import Path

import pytest

from mmchat.export import FORMAT, to_json, to_markdown, write_private
from mmchat.types import Usage
from mmchat.store import AnswerEnd, Store

SECRET = "sk-ant-SECRETSECRETSECRET0123456789"


@pytest.fixture
def conversation(tmp_path: Path):
    """A real stored conversation: a finished answer, an interrupted one and an error."""
    with Store(tmp_path / "db" / "mmchat.db") as store:
        cid = store.create_conversation()
        store.add_message(cid, "system", "Be brief.")
        store.add_message(cid, "user", "Explain TCP slow start")
        a1 = store.add_message(
            cid, "assistant", "", status="pending", provider="openai", model="openai/gpt-4o",
            params={"temperature": 0.3, "headers": {"Authorization": f"Bearer {SECRET}"}},
            decision={"chosen": "openai/gpt-4o", "matched": ["hard-question"], "api_key": SECRET},
        )
        store.finish_answer(a1, AnswerEnd(
            "It grows the window exponentially.\n", "complete",
            usage=Usage(input_tokens=1000, cached_input_tokens=200, output_tokens=300, reasoning_tokens=40),
            ttft_ms=320.4, latency_ms=2100.0, tokens_per_s=45.2, cost_usd=0.0123,
            attempts=[{"model": "anthropic/claude", "error": "overloaded", "x-api-key": SECRET}],
        ))
        store.add_message(cid, "user", "And congestion avoidance?")
        a2 = store.add_message(cid, "assistant", "", status="pending", provider="ollama", model="ollama/llama3")
        store.finish_answer(
            a2, AnswerEnd("It grows linearly", "interrupted", usage=Usage(input_tokens=50, output_tokens=4, estimated=True))
        )
        store.add_message(cid, "user", "Retry")
        a3 = store.add_message(cid, "assistant", "", status="pending", provider="gemini", model="gemini/flash")
        store.finish_answer(a3, AnswerEnd("", "error", error="gemini: 503 overloaded"))
        yield store.conversation(cid), store.path(cid)


def test_markdown_has_title_date_and_a_header_per_message(conversation):
    summary, messages = conversation
    md = to_markdown(summary, messages)
    assert md.startswith("# Explain TCP slow start\n")
    assert datetime.fromtimestamp(summary.created_at).strftime("%Y-%m-%d") in md
    assert "7 messages" in md and "models: openai/gpt-4o, ollama/llama3, gemini/flash" in md
    assert md.count("## User") == 3 and md.count("## System") == 1
    assert "## Assistant · openai/gpt-4o\n*$0.0123 · 1,200 in / 340 out tokens · TTFT 320 ms · 2.1 s · 45 tok/s*" in md
    assert "It grows the window exponentially." in md
    assert "## Assistant · ollama/llama3\n*cost unknown · ~50 in / ~4 out tokens*" in md
    assert "**⚠ interrupted**" in md
    assert "**✖ error:** gemini: 503 overloaded" in md
    assert "cost unknown" in md.splitlines()[2]  # the interrupted answer has usage but no price
    assert SECRET not in md
    # messages appear in path order
    assert md.index("slow start") < md.index("exponentially") < md.index("congestion") < md.index("linearly")


def test_json_is_a_stable_documented_shape(conversation):
    summary, messages = conversation
    doc = json.loads(to_json(summary, messages))
    assert doc["format"] == FORMAT == "mmchat.conversation/1"
    conv = doc["conversation"]
    assert conv["id"] == summary.id and conv["title"] == "Explain TCP slow start"
    assert conv["models"] == ["openai/gpt-4o", "ollama/llama3", "gemini/flash"]
    assert conv["total_cost_usd"] is None
    assert datetime.fromisoformat(conv["created_at"]).timestamp() == pytest.approx(summary.created_at, abs=1e-5)

    assert [m["id"] for m in doc["messages"]] == [m.id for m in messages]
    keys = set(doc["messages"][0])
    assert all(set(m) == keys for m in doc["messages"])  # every message carries every field

    first = doc["messages"][2]
    assert first["role"] == "assistant" and first["status"] == "complete"
    assert Usage(**first["usage"]) == messages[2].usage
    assert (first["ttft_ms"], first["latency_ms"], first["tokens_per_s"], first["cost_usd"]) == (320.4, 2100.0, 45.2, 0.0123)
    assert first["decision"]["matched"] == ["hard-question"]
    assert first["decision"]["api_key"] == "[redacted]"
    assert first["params"] == {"temperature": 0.3, "headers": {"Authorization": "[redacted]"}}
    assert first["attempts"][0] == {"model": "anthropic/claude", "error": "overloaded", "x-api-key": "[redacted]"}
    assert doc["messages"][4]["usage"]["estimated"] is True
    assert doc["messages"][6]["status"] == "error" and doc["messages"][6]["error"] == "gemini: 503 overloaded"
    assert doc["messages"][1]["usage"] is None and doc["messages"][1]["model"] is None
    assert SECRET not in to_json(summary, messages)


def test_untitled_conversation_exports(tmp_path: Path):
    with Store(tmp_path / "mmchat.db") as store:
        cid = store.create_conversation()
        md = to_markdown(store.conversation(cid), store.path(cid))
        doc = json.loads(to_json(store.conversation(cid), []))
    assert md.startswith("# Untitled conversation\n")
    assert doc["conversation"]["title"] is None and doc["messages"] == []


def test_write_private_creates_and_replaces_with_mode_0600(tmp_path: Path):
    old = os.umask(0o022)
    try:
        target = tmp_path / "chat.md"
        target.write_text("old, world-readable")
        target.chmod(0o644)
        write_private(target, "# new ✓\n")
        assert target.read_text(encoding="utf-8") == "# new ✓\n"
        assert stat.S_IMODE(target.stat().st_mode) == 0o600

        fresh = tmp_path / "chat.json"
        write_private(fresh, "{}")
        assert stat.S_IMODE(fresh.stat().st_mode) == 0o600
        assert sorted(p.name for p in tmp_path.iterdir()) == ["chat.json", "chat.md"]
    finally:
        os.umask(old)


def test_costs_keep_their_digits_in_an_export():
    from mmchat import format as fmt

    figures = (0, 4e-7, 0.000029, 0.0123, 0.5, 1234.5)
    assert [fmt.cost(x, places=4) for x in figures] == ["$0", "<$0.000001", "$0.000029", "$0.0123", "$0.5000", "$1,234.50"]
    assert [fmt.cost(x) for x in figures] == ["$0", "<$0.000001", "$0.000029", "$0.01", "$0.50", "$1,234.50"]


@pytest.fixture
def compared(tmp_path: Path):
    """A compare of three models, the second one chosen, then a follow-up on it."""
    from mmchat.store import NewAnswer

    with Store(tmp_path / "db" / "mmchat.db") as store:
        models = ["lab/a", "lab/b", "lab/c"]
        turn = store.start_turn(None, "Name a colour.", [NewAnswer("lab", m) for m in models])
        texts = ["Red.", "Blue.", ""]
        for answer_id, text in zip(turn.answer_ids, texts):
            status = "complete" if text else "error"
            store.finish_answer(answer_id, AnswerEnd(text, status, error=None if text else "lab: 500 boom",
                                                     usage=Usage(input_tokens=5, output_tokens=2), cost_usd=0.001))
        store.choose_answer(turn.answer_ids[1])
        follow = store.start_turn(turn.conversation_id, "Why?", [NewAnswer("lab", "lab/b")])
        store.finish_answer(follow.answer_ids[0], AnswerEnd("Because.", "complete"))
        cid = turn.conversation_id
        yield store, cid, turn.answer_ids


def test_an_export_with_alternatives_puts_each_answers_others_after_it(compared):
    from mmchat.export import alternatives_of

    store, cid, (a, b, c) = compared
    path = store.path(cid)
    assert [m.content for m in path] == ["Name a colour.", "Blue.", "Why?", "Because."]
    others = alternatives_of(path, store.answers_by_prompt(cid))
    assert {k: [o.id for o in v] for k, v in others.items()} == {b: [a, c], path[3].id: []}

    text = to_markdown(store.conversation(cid), path, others)
    assert text.index("Blue.") < text.index("### Other answer 1 of 2 · lab/a") < text.index("Red.")
    assert text.index("### Other answer 2 of 2 · lab/c") < text.index("**✖ error:** lab: 500 boom") < text.index("Why?")
    assert "### Other answer" not in to_markdown(store.conversation(cid), path)  # the path only, by default

    document = json.loads(to_json(store.conversation(cid), path, others))
    chosen = document["messages"][1]
    assert [o["content"] for o in chosen["alternatives"]] == ["Red.", ""]
    assert chosen["alternatives"][1]["status"] == "error" and "alternatives" not in chosen["alternatives"][0]
    assert document["messages"][3]["alternatives"] == [] and document["messages"][0]["alternatives"] is None
    plain = json.loads(to_json(store.conversation(cid), path))
    assert plain["messages"][1]["alternatives"] is None  # not exported: null, not an empty list
