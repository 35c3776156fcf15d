"""The message tree of a conversation.

Every message has a `parent_id` (NULL for a first message) and each
conversation records `head_id`, the last message of the chosen path.
Regenerating an answer or comparing models adds siblings; the path shown is
the walk from the head back to the root.
"""

from __future__ import annotations

import json
import time
from types import EllipsisType
from typing import Any

from mmchat.store.conversations import Conversations, clean_title
from mmchat.store.files import writer, writer_alive
from mmchat.store.records import (
    M_COLUMNS,
    MESSAGE_COLUMNS,
    ROLES,
    StoredMessage,
    check_status,
    no_conversation,
    no_message,
    to_message,
)


class Tree(Conversations):
    def add_message(
        self,
        conversation_id: int,
        role: str,
        content: str,
        *,
        parent_id: int | None | EllipsisType = ...,
        status: str = "complete",
        provider: str | None = None,
        model: str | None = None,
        params: dict[str, Any] | None = None,
        decision: dict[str, Any] | None = None,
    ) -> int:
        """Adds a message (committed at once) and makes it the head.

        `parent_id` defaults to the current head; pass None for a new root or
        an earlier message to branch (an alternative answer).
        """
        with self._write():
            return self._insert_message(
                conversation_id, role, content, parent_id=parent_id, status=status,
                provider=provider, model=model, params=params, decision=decision,
            )

    def _insert_message(
        self,
        conversation_id: int,
        role: str,
        content: str,
        *,
        parent_id: int | None | EllipsisType = ...,
        status: str = "complete",
        provider: str | None = None,
        model: str | None = None,
        params: dict[str, Any] | None = None,
        decision: dict[str, Any] | None = None,
        head: bool = True,
    ) -> int:
        """Inserts a message (under the head when `parent_id` is ...), makes it the head
        unless `head` is False, and marks the conversation updated; the caller holds the
        write transaction."""
        if role not in ROLES:
            raise ValueError(f"unknown role {role!r}: use one of {', '.join(sorted(ROLES))}")
        check_status(status)
        now = time.time()
        row = self._conn.execute(
            "SELECT head_id, title FROM conversations WHERE id = ?", (conversation_id,)
        ).fetchone()
        if row is None:
            raise no_conversation(conversation_id)
        parent = row["head_id"] if parent_id is ... else parent_id
        if parent is not None:
            self._check_belongs(parent, conversation_id)
        cur = self._conn.execute(
            "INSERT INTO messages (conversation_id, parent_id, role, content, status, "
            "provider, model, params, decision, created_at, finished_at, writer) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                conversation_id,
                parent,
                role,
                content,
                status,
                provider,
                model,
                json.dumps(params or {}, ensure_ascii=False),
                None if decision is None else json.dumps(decision, ensure_ascii=False),
                now,
                None if status == "pending" else now,
                writer() if status == "pending" else None,
            ),
        )
        message_id = int(cur.lastrowid)
        title = row["title"]
        if title is None and role == "user":
            title = clean_title(content)
        self._conn.execute(
            "UPDATE conversations SET head_id = ?, title = ?, updated_at = ? WHERE id = ?",
            (message_id if head else row["head_id"], title, now, conversation_id),
        )
        return message_id

    def message(self, message_id: int) -> StoredMessage:
        row = self._conn.execute(
            f"SELECT {MESSAGE_COLUMNS} FROM messages WHERE id = ?", (message_id,)
        ).fetchone()
        if row is None:
            raise no_message(message_id)
        return to_message(row)

    def path(self, conversation_id: int) -> list[StoredMessage]:
        """The chosen path, root first: the walk from the head to the root."""
        chain = self._walk_up("SELECT head_id, 0 FROM conversations WHERE id = ? AND head_id IS NOT NULL", conversation_id)
        if not chain:
            self.conversation(conversation_id)  # raises LookupError when it does not exist
        return chain

    def lineage(self, message_id: int) -> list[StoredMessage]:
        """`message_id` and the messages above it, root first: the history an answer to it
        is given, whichever answer the conversation follows now."""
        chain = self._walk_up("SELECT id, 0 FROM messages WHERE id = ?", message_id)
        if not chain:
            raise no_message(message_id)
        return chain

    def _walk_up(self, start: str, arg: int) -> list[StoredMessage]:
        """The messages from the one `start` selects (id, 0) up to the root, root first."""
        rows = self._conn.execute(
            f"""WITH RECURSIVE chain(id, depth) AS (
                    {start}
                    UNION ALL
                    SELECT m.parent_id, chain.depth + 1 FROM messages m
                        JOIN chain ON m.id = chain.id WHERE m.parent_id IS NOT NULL
                )
                SELECT {M_COLUMNS} FROM chain JOIN messages m ON m.id = chain.id
                ORDER BY chain.depth DESC""",
            (arg,),
        ).fetchall()
        return [to_message(row) for row in rows]

    def children(self, message_id: int) -> list[StoredMessage]:
        """Messages answering or following `message_id`, oldest first (the alternatives)."""
        rows = self._conn.execute(
            f"SELECT {MESSAGE_COLUMNS} FROM messages WHERE parent_id = ? ORDER BY id",
            (message_id,),
        ).fetchall()
        return [to_message(row) for row in rows]

    def siblings(self, message_id: int) -> list[StoredMessage]:
        """The message and its alternatives (same parent, same conversation), oldest first."""
        me = self.message(message_id)
        rows = self._conn.execute(
            f"SELECT {MESSAGE_COLUMNS} FROM messages "
            "WHERE conversation_id = ? AND parent_id IS ? ORDER BY id",
            (me.conversation_id, me.parent_id),
        ).fetchall()
        return [to_message(row) for row in rows]

    def answers_by_prompt(self, conversation_id: int) -> dict[int | None, list[StoredMessage]]:
        """The conversation's answers by the message they answer (its id), oldest first."""
        rows = self._conn.execute(
            f"SELECT {MESSAGE_COLUMNS} FROM messages WHERE conversation_id = ? AND role = 'assistant' ORDER BY id",
            (conversation_id,),
        ).fetchall()
        answers: dict[int | None, list[StoredMessage]] = {}
        for message in map(to_message, rows):
            answers.setdefault(message.parent_id, []).append(message)
        return answers

    def alternatives(self, conversation_id: int) -> dict[int, tuple[int, int]]:
        """Answers that have alternatives (other answers to the same message, such as retries):
        answer id → (its place among them from 1, how many), oldest first."""
        rows = self._conn.execute(
            """SELECT id, place, total FROM (
                    SELECT id, row_number() OVER (PARTITION BY parent_id ORDER BY id) AS place,
                        count(*) OVER (PARTITION BY parent_id) AS total
                    FROM messages WHERE conversation_id = ? AND role = 'assistant'
                ) WHERE total > 1""",
            (conversation_id,),
        ).fetchall()
        return {row[0]: (row[1], row[2]) for row in rows}

    def latest_leaf(self, message_id: int) -> int:
        """The end of `message_id`'s latest continuation: its newest child's newest child, and so on."""
        row = self._conn.execute(
            """WITH RECURSIVE down(id, depth) AS (
                    SELECT ?, 0
                    UNION ALL
                    SELECT (SELECT max(m.id) FROM messages m WHERE m.parent_id = down.id), depth + 1
                        FROM down WHERE down.id IS NOT NULL
                )
                SELECT id FROM down WHERE id IS NOT NULL ORDER BY depth DESC LIMIT 1""",
            (message_id,),
        ).fetchone()
        return row[0]

    def set_head(self, conversation_id: int, message_id: int) -> None:
        with self._write():
            if self._conn.execute(
                "SELECT 1 FROM conversations WHERE id = ?", (conversation_id,)
            ).fetchone() is None:
                raise no_conversation(conversation_id)
            self._check_belongs(message_id, conversation_id)
            self._conn.execute(
                "UPDATE conversations SET head_id = ?, updated_at = ? WHERE id = ?",
                (message_id, time.time(), conversation_id),
            )

    def privacy_lock(self, conversation_id: int) -> int | None:
        """The message from which the conversation is locked to local models, or None."""
        row = self._conn.execute(
            "SELECT private_since FROM conversations WHERE id = ?", (conversation_id,)
        ).fetchone()
        if row is None:
            raise no_conversation(conversation_id)
        return row[0]

    def set_privacy_lock(self, conversation_id: int, message_id: int | None) -> None:
        """Locks the conversation from `message_id` on (kept if already locked); None unlocks it."""
        with self._write():
            if message_id is not None:
                self._check_belongs(message_id, conversation_id)
            cur = self._conn.execute(
                "UPDATE conversations SET private_since = "
                "CASE WHEN ? IS NULL THEN NULL ELSE coalesce(private_since, ?) END WHERE id = ?",
                (message_id, message_id, conversation_id),
            )
            if cur.rowcount == 0:
                raise no_conversation(conversation_id)

    def mark_stale_pending(self) -> int:
        """Marks answers left 'pending' by a crash as 'interrupted'; returns how many.

        An answer still streaming in another mmchat on this machine is left
        alone: its writer process is alive. One written on another host (a
        shared data dir) counts as crashed after STALE_FOREIGN_S.
        """
        rows = self._conn.execute(
            "SELECT id, writer, created_at FROM messages WHERE status = 'pending'"
        ).fetchall()
        now = time.time()
        stale = [row["id"] for row in rows if not writer_alive(row["writer"], now - row["created_at"])]
        if not stale:
            return 0
        with self._write():
            self._conn.executemany(
                "UPDATE messages SET status = 'interrupted', finished_at = coalesce(finished_at, ?) WHERE id = ?",
                [(now, message_id) for message_id in stale],
            )
        return len(stale)

    def _check_belongs(self, message_id: int, conversation_id: int) -> None:
        row = self._conn.execute(
            "SELECT conversation_id FROM messages WHERE id = ?", (message_id,)
        ).fetchone()
        if row is None or row[0] != conversation_id:
            raise ValueError(f"message {message_id} is not in conversation {conversation_id}")

