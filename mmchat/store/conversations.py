"""Conversations: creating, listing, renaming and deleting them."""

from __future__ import annotations

import time
from typing import Any

from mmchat.store.records import ConversationSummary, no_conversation
from mmchat.store.schema import Database
from mmchat.store.stats import COST_SUM

TITLE_MAX = 60
PREVIEW_MAX = 80

_SUMMARY_SELECT = f"""
SELECT c.id, c.title, c.created_at, c.updated_at,
    (SELECT count(*) FROM messages m WHERE m.conversation_id = c.id),
    (SELECT {COST_SUM} FROM messages m
        WHERE m.conversation_id = c.id AND m.role = 'assistant' AND m.status != 'pending'),
    (SELECT substr(m.content, 1, 400) FROM messages m
        WHERE m.conversation_id = c.id AND m.role = 'user' ORDER BY m.id LIMIT 1)
FROM conversations c
"""


class Conversations(Database):
    def create_conversation(self, title: str | None = None) -> int:
        now = time.time()
        cur = self._conn.execute(
            "INSERT INTO conversations (title, created_at, updated_at) VALUES (?, ?, ?)",
            (clean_title(title), now, now),
        )
        return int(cur.lastrowid)

    def conversation(self, conversation_id: int) -> ConversationSummary:
        summaries = self._summaries(
            _SUMMARY_SELECT + "WHERE c.id = ?", (conversation_id,)
        )
        if not summaries:
            raise no_conversation(conversation_id)
        return summaries[0]

    def list_conversations(self, limit: int = 50, offset: int = 0) -> list[ConversationSummary]:
        """Newest activity first."""
        return self._summaries(
            _SUMMARY_SELECT + "ORDER BY c.updated_at DESC, c.id DESC LIMIT ? OFFSET ?",
            (limit, offset),
        )

    def _summaries(self, sql: str, args: tuple[Any, ...]) -> list[ConversationSummary]:
        rows = self._conn.execute(sql, args).fetchall()
        if not rows:
            return []
        ids = [row[0] for row in rows]
        models: dict[int, list[str]] = {i: [] for i in ids}
        marks = ",".join("?" * len(ids))
        for conversation_id, model in self._conn.execute(
            f"SELECT conversation_id, model FROM messages "
            f"WHERE conversation_id IN ({marks}) AND model IS NOT NULL "
            f"GROUP BY conversation_id, model ORDER BY conversation_id, min(id)",
            ids,
        ):
            models[conversation_id].append(model)
        return [
            ConversationSummary(
                id=row[0],
                title=row[1],
                created_at=row[2],
                updated_at=row[3],
                message_count=row[4],
                models=models[row[0]],
                total_cost_usd=row[5],
                preview=_one_line(row[6] or "", PREVIEW_MAX),
            )
            for row in rows
        ]

    def latest_conversation_id(self) -> int | None:
        row = self._conn.execute(
            "SELECT id FROM conversations ORDER BY updated_at DESC, id DESC LIMIT 1"
        ).fetchone()
        return None if row is None else row[0]

    def rename_conversation(self, conversation_id: int, title: str) -> None:
        cleaned = clean_title(title)
        if cleaned is None:
            raise ValueError("a conversation title cannot be empty")
        cur = self._conn.execute(
            "UPDATE conversations SET title = ?, updated_at = ? WHERE id = ?",
            (cleaned, time.time(), conversation_id),
        )
        if cur.rowcount == 0:
            raise no_conversation(conversation_id)

    def delete_conversation(self, conversation_id: int) -> None:
        """Deletes the conversation and, by cascade, all its messages."""
        cur = self._conn.execute("DELETE FROM conversations WHERE id = ?", (conversation_id,))
        if cur.rowcount == 0:
            raise no_conversation(conversation_id)


def clean_title(text: str | None) -> str | None:
    """The first non-empty line, cut at a word boundary near TITLE_MAX characters."""
    if text is None:
        return None
    line = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    if not line:
        return None
    line = " ".join(line.split())
    if len(line) <= TITLE_MAX:
        return line
    cut = line[: TITLE_MAX - 1]
    if " " in cut[TITLE_MAX // 2 :]:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip() + "…"


def _one_line(text: str, limit: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"
