"""Conversations and messages in one SQLite file.

Messages form a tree: every message has a `parent_id` (NULL for a first
message) and each conversation records `head_id`, the last message of the
chosen path. Regenerating an answer or comparing models adds siblings; the
path shown is the walk from the head back to the root.

Durability: WAL mode with `synchronous=NORMAL` — every committed write
survives a crash of mmchat itself; a power cut may lose the last moments.
Every write commits at once, so the user's message is on disk before any
request goes out.

Threads: the connection is opened with `check_same_thread=False` so it may be
handed between threads, but a Store must be used from one thread at a time
(the engine runs it on its asyncio thread).

Search: an FTS5 index over message content, kept in sync by triggers. A
message is indexed once it stops being 'pending', so saving a streaming
answer stays one plain UPDATE. Without FTS5 in the SQLite build, search falls
back to a substring scan and `search_note` says so.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import statistics
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import EllipsisType
from typing import Any, Callable, Iterator

from mmchat.types import Usage

ROLES = frozenset({"system", "user", "assistant"})
STATUSES = frozenset({"pending", "complete", "interrupted", "error"})
TITLE_MAX = 60
PREVIEW_MAX = 80

# Each migration is applied in its own transaction, then `user_version` is set
# to its 1-based position. Append only: never edit a released migration.
MIGRATIONS: list[tuple[str, ...]] = [
    (
        """CREATE TABLE conversations (
            id INTEGER PRIMARY KEY,
            title TEXT,
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL,
            head_id INTEGER REFERENCES messages(id) ON DELETE SET NULL
        )""",
        """CREATE TABLE messages (
            id INTEGER PRIMARY KEY,
            conversation_id INTEGER NOT NULL
                REFERENCES conversations(id) ON DELETE CASCADE,
            parent_id INTEGER REFERENCES messages(id),
            role TEXT NOT NULL CHECK (role IN ('system', 'user', 'assistant')),
            content TEXT NOT NULL DEFAULT '',
            status TEXT NOT NULL DEFAULT 'complete',
            provider TEXT,
            model TEXT,
            params TEXT NOT NULL DEFAULT '{}',
            error TEXT,
            input_tokens INTEGER,
            cached_input_tokens INTEGER,
            cache_write_tokens INTEGER,
            output_tokens INTEGER,
            reasoning_tokens INTEGER,
            usage_estimated INTEGER,
            ttft_ms REAL,
            latency_ms REAL,
            tokens_per_s REAL,
            cost_usd REAL,
            attempts TEXT NOT NULL DEFAULT '[]',
            decision TEXT,
            created_at REAL NOT NULL,
            finished_at REAL
        )""",
        "CREATE INDEX messages_by_conversation ON messages(conversation_id, id)",
        "CREATE INDEX messages_by_parent ON messages(parent_id)",
        "CREATE INDEX messages_pending ON messages(id) WHERE status = 'pending'",
        "CREATE INDEX conversations_by_update ON conversations(updated_at, id)",
    ),
    # Which process ("host:pid") streams a pending answer, so a start-up in
    # another terminal never marks a live answer as interrupted.
    ("ALTER TABLE messages ADD COLUMN writer TEXT",),
    # The privacy lock: the user message from which a conversation may only go
    # to local models (NULL: not locked).
    ("ALTER TABLE conversations ADD COLUMN private_since INTEGER",),
]

# The search index is derived data, rebuilt whenever its triggers are missing,
# so it lives outside the numbered migrations (a build without FTS5 can still
# open the file; see _ensure_search_index).
_FTS_TABLE = (
    "CREATE VIRTUAL TABLE messages_fts USING fts5("
    "content, content='messages', content_rowid='id', tokenize='unicode61 remove_diacritics 2')"
)
_FTS_TRIGGERS = {
    "messages_fts_insert": """CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages
        WHEN new.status != 'pending' BEGIN
            INSERT INTO messages_fts(rowid, content) VALUES (new.id, new.content);
        END""",
    "messages_fts_delete": """CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages
        WHEN old.status != 'pending' BEGIN
            INSERT INTO messages_fts(messages_fts, rowid, content)
                VALUES ('delete', old.id, old.content);
        END""",
    "messages_fts_update": """CREATE TRIGGER messages_fts_update AFTER UPDATE OF content, status
        ON messages WHEN old.content IS NOT new.content
            OR (old.status = 'pending') != (new.status = 'pending') BEGIN
            INSERT INTO messages_fts(messages_fts, rowid, content)
                SELECT 'delete', old.id, old.content WHERE old.status != 'pending';
            INSERT INTO messages_fts(rowid, content)
                SELECT new.id, new.content WHERE new.status != 'pending';
        END""",
}

_MESSAGE_COLUMNS = (
    "id, conversation_id, parent_id, role, content, status, provider, model, params, error, "
    "input_tokens, cached_input_tokens, cache_write_tokens, output_tokens, reasoning_tokens, "
    "usage_estimated, ttft_ms, latency_ms, tokens_per_s, cost_usd, attempts, decision, "
    "created_at, finished_at"
)
_M_COLUMNS = ", ".join(f"m.{c.strip()}" for c in _MESSAGE_COLUMNS.split(","))

# Cost is unknown (NULL) as soon as one billable answer — one with recorded
# usage or cost — has no cost; answers that failed before any usage cost nothing.
_BILLABLE = "(m.input_tokens IS NOT NULL OR m.cost_usd IS NOT NULL)"
_COST_SUM = (
    f"CASE WHEN sum({_BILLABLE} AND m.cost_usd IS NULL) > 0 THEN NULL "
    "ELSE total(m.cost_usd) END"
)

_SUMMARY_SELECT = f"""
SELECT c.id, c.title, c.created_at, c.updated_at,
    (SELECT count(*) FROM messages m WHERE m.conversation_id = c.id),
    (SELECT {_COST_SUM} FROM messages m
        WHERE m.conversation_id = c.id AND m.role = 'assistant' AND m.status != 'pending'),
    (SELECT substr(m.content, 1, 400) FROM messages m
        WHERE m.conversation_id = c.id AND m.role = 'user' ORDER BY m.id LIMIT 1)
FROM conversations c
"""


@dataclass(frozen=True)
class Spending:
    """Known cost of finished answers; answers with usage but no price are counted apart."""

    cost_usd: float
    unpriced: int  # answers with recorded usage and an unknown cost (not in cost_usd)


@dataclass(frozen=True)
class ModelSpeed:
    """A model's medians over its latest complete answers (None: never measured)."""

    model: str
    answers: int
    median_ttft_ms: float | None
    median_tokens_per_s: float | None


class StoreError(Exception):
    """The database cannot be used as it is; the message says what to do."""


@dataclass(frozen=True)
class StoredMessage:
    id: int
    conversation_id: int
    parent_id: int | None
    role: str
    content: str
    status: str
    provider: str | None
    model: str | None  # the full address, provider/model-id
    params: dict[str, Any]
    error: str | None
    usage: Usage | None
    ttft_ms: float | None
    latency_ms: float | None
    tokens_per_s: float | None
    cost_usd: float | None  # None = unknown
    attempts: list[Any]
    decision: dict[str, Any] | None
    created_at: float  # unix seconds
    finished_at: float | None


@dataclass(frozen=True)
class ConversationSummary:
    id: int
    title: str | None  # None until set or derived from the first user message
    created_at: float
    updated_at: float
    message_count: int  # every stored message, alternatives included
    models: list[str]  # addresses in order of first use
    total_cost_usd: float | None  # over every answer, alternatives included; None = unknown
    preview: str  # the first user message, on one line and truncated


@dataclass(frozen=True)
class ModelTotals:
    """One model's figures over a conversation's finished answers (alternatives included)."""

    model: str
    turns: int
    input_tokens: int  # all input: full-price, cached and cache-write
    output_tokens: int  # all output: visible and reasoning
    cost_usd: float | None  # None when any billable answer has an unknown cost
    median_ttft_ms: float | None
    estimated: bool  # some usage was counted locally, not reported


class Store:
    """The SQLite store; open one per data directory and close it on exit."""

    def __init__(self, path: Path, *, redact: Callable[[str], str] | None = None) -> None:
        self.db_path = Path(path)
        self._redact = redact
        self.search_note: str | None = None
        self._fts = False
        _prepare_private_file(self.db_path)
        try:
            self._conn = sqlite3.connect(
                self.db_path, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as e:
            raise StoreError(f"cannot open {self.db_path}: {e}") from e
        try:
            self._open()
        except BaseException:
            self._conn.close()
            raise

    def _open(self) -> None:
        conn = self._conn
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA busy_timeout = 5000")
        try:
            version = self._user_version()
        except sqlite3.DatabaseError as e:
            raise StoreError(
                f"{self.db_path} is not an mmchat database ({e}); "
                "move it away or use another data dir"
            ) from e
        if version > len(MIGRATIONS):
            raise StoreError(
                f"{self.db_path} was written by a newer mmchat (schema v{version}; this one knows "
                f"up to v{len(MIGRATIONS)}): upgrade mmchat or use another data dir"
            )
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
        self._migrate()
        self._ensure_search_index()
        _tighten_modes(self.db_path)

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- schema ---------------------------------------------------------------

    def _user_version(self) -> int:
        return self._conn.execute("PRAGMA user_version").fetchone()[0]

    def _migrate(self) -> None:
        for target in range(self._user_version() + 1, len(MIGRATIONS) + 1):
            try:
                with self._write():
                    if self._user_version() >= target:  # another process got there first
                        continue
                    for statement in MIGRATIONS[target - 1]:
                        self._conn.execute(statement)
                    self._conn.execute(f"PRAGMA user_version = {target}")
            except sqlite3.Error as e:
                raise StoreError(
                    f"upgrading {self.db_path} to schema v{target} failed ({e}); "
                    f"it was left unchanged at v{target - 1}"
                ) from e

    def _ensure_search_index(self) -> None:
        names = {
            row[0]
            for row in self._conn.execute(
                "SELECT name FROM sqlite_master WHERE name LIKE 'messages_fts%'"
            )
        }
        if not _fts5_available(self._conn):
            # Without the triggers writes keep working; the stale index is
            # rebuilt when a build with FTS5 opens the file again.
            with self._write():
                for trigger in _FTS_TRIGGERS:
                    self._conn.execute(f"DROP TRIGGER IF EXISTS {trigger}")
            self.search_note = (
                "full-text search is unavailable (this SQLite has no FTS5); "
                "using a slower substring search"
            )
            return
        self._fts = True
        if "messages_fts" in names and names.issuperset(_FTS_TRIGGERS):
            return
        with self._write():
            if "messages_fts" in names:
                self._conn.execute("INSERT INTO messages_fts(messages_fts) VALUES ('delete-all')")
            else:
                self._conn.execute(_FTS_TABLE)
            self._conn.execute(
                "INSERT INTO messages_fts(rowid, content) "
                "SELECT id, content FROM messages WHERE status != 'pending'"
            )
            for trigger, sql in _FTS_TRIGGERS.items():
                self._conn.execute(f"DROP TRIGGER IF EXISTS {trigger}")
                self._conn.execute(sql)

    @contextmanager
    def _write(self) -> Iterator[None]:
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

    # -- conversations --------------------------------------------------------

    def create_conversation(self, title: str | None = None) -> int:
        now = time.time()
        cur = self._conn.execute(
            "INSERT INTO conversations (title, created_at, updated_at) VALUES (?, ?, ?)",
            (_clean_title(title), now, now),
        )
        return int(cur.lastrowid)

    def conversation(self, conversation_id: int) -> ConversationSummary:
        summaries = self._summaries(
            _SUMMARY_SELECT + "WHERE c.id = ?", (conversation_id,)
        )
        if not summaries:
            raise _missing(conversation_id)
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
        cleaned = _clean_title(title)
        if cleaned is None:
            raise ValueError("a conversation title cannot be empty")
        cur = self._conn.execute(
            "UPDATE conversations SET title = ?, updated_at = ? WHERE id = ?",
            (cleaned, time.time(), conversation_id),
        )
        if cur.rowcount == 0:
            raise _missing(conversation_id)

    def delete_conversation(self, conversation_id: int) -> None:
        """Deletes the conversation and, by cascade, all its messages."""
        cur = self._conn.execute("DELETE FROM conversations WHERE id = ?", (conversation_id,))
        if cur.rowcount == 0:
            raise _missing(conversation_id)

    # -- messages -------------------------------------------------------------

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
                conversation_id, role, content, parent_id, status, provider, model, params, decision
            )

    def begin_turn(
        self,
        conversation_id: int | None,
        prompt: str,
        *,
        provider: str | None,
        model: str | None,
        params: dict[str, Any] | None = None,
        decision: dict[str, Any] | None = None,
    ) -> tuple[int, int, int]:
        """Stores a turn's start in one transaction: the conversation (created when
        None), the user's message and the pending answer. Returns their three ids."""
        with self._write():
            if conversation_id is None:
                conversation_id = self.create_conversation()
            user_id = self._insert_message(conversation_id, "user", prompt, ..., "complete", None, None, None, None)
            answer_id = self._insert_message(
                conversation_id, "assistant", "", user_id, "pending", provider, model, params, decision
            )
        return conversation_id, user_id, answer_id

    def _insert_message(
        self,
        conversation_id: int,
        role: str,
        content: str,
        parent_id: int | None | EllipsisType,
        status: str,
        provider: str | None,
        model: str | None,
        params: dict[str, Any] | None,
        decision: dict[str, Any] | None,
    ) -> int:
        """Inserts a message and makes it the head; the caller holds the write transaction."""
        if role not in ROLES:
            raise ValueError(f"unknown role {role!r}: use one of {', '.join(sorted(ROLES))}")
        _check_status(status)
        now = time.time()
        row = self._conn.execute(
            "SELECT head_id, title FROM conversations WHERE id = ?", (conversation_id,)
        ).fetchone()
        if row is None:
            raise _missing(conversation_id)
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
                _writer() if status == "pending" else None,
            ),
        )
        message_id = int(cur.lastrowid)
        title = row["title"]
        if title is None and role == "user":
            title = _clean_title(content)
        self._conn.execute(
            "UPDATE conversations SET head_id = ?, title = ?, updated_at = ? WHERE id = ?",
            (message_id, title, now, conversation_id),
        )
        return message_id

    def update_message(
        self,
        message_id: int,
        *,
        content: str | None = None,
        status: str | None = None,
        error: str | None = None,
        usage: Usage | None = None,
        ttft_ms: float | None = None,
        latency_ms: float | None = None,
        tokens_per_s: float | None = None,
        cost_usd: float | None = None,
        attempts: list[Any] | None = None,
        provider: str | None = None,
        model: str | None = None,
        params: dict[str, Any] | None = None,
        finished: bool = False,
    ) -> None:
        """Sets the given fields (None leaves a field as it is) in one committed UPDATE.

        `provider`, `model` and `params` change when a turn falls back to another model.

        `finished=True` stamps `finished_at` and the conversation's `updated_at`.
        """
        values: dict[str, Any] = {}
        if content is not None:
            values["content"] = content
        if status is not None:
            _check_status(status)
            values["status"] = status
        if error is not None:
            values["error"] = self._redact(error) if self._redact else error
        if usage is not None:
            values.update(
                input_tokens=usage.input_tokens,
                cached_input_tokens=usage.cached_input_tokens,
                cache_write_tokens=usage.cache_write_tokens,
                output_tokens=usage.output_tokens,
                reasoning_tokens=usage.reasoning_tokens,
                usage_estimated=int(usage.estimated),
            )
        for name, value in (
            ("ttft_ms", ttft_ms),
            ("latency_ms", latency_ms),
            ("tokens_per_s", tokens_per_s),
            ("cost_usd", cost_usd),
        ):
            if value is not None:
                values[name] = value
        if attempts is not None:
            redacted = _redact_strings(attempts, self._redact) if self._redact else attempts
            values["attempts"] = json.dumps(redacted, ensure_ascii=False)
        if provider is not None:
            values["provider"] = provider
        if model is not None:
            values["model"] = model
        if params is not None:
            values["params"] = json.dumps(params, ensure_ascii=False)
        now = time.time()
        if finished:
            values["finished_at"] = now
        if not values:
            return
        assignments = ", ".join(f"{name} = ?" for name in values)
        sql = f"UPDATE messages SET {assignments} WHERE id = ?"
        args = (*values.values(), message_id)
        if not finished:
            if self._conn.execute(sql, args).rowcount == 0:
                raise LookupError(f"no message {message_id}")
            return
        with self._write():
            if self._conn.execute(sql, args).rowcount == 0:
                raise LookupError(f"no message {message_id}")
            self._conn.execute(
                "UPDATE conversations SET updated_at = ? WHERE id = "
                "(SELECT conversation_id FROM messages WHERE id = ?)",
                (now, message_id),
            )

    def message(self, message_id: int) -> StoredMessage:
        row = self._conn.execute(
            f"SELECT {_MESSAGE_COLUMNS} FROM messages WHERE id = ?", (message_id,)
        ).fetchone()
        if row is None:
            raise LookupError(f"no message {message_id}")
        return _to_message(row)

    def path(self, conversation_id: int) -> list[StoredMessage]:
        """The chosen path, root first: the walk from the head to the root."""
        rows = self._conn.execute(
            f"""WITH RECURSIVE chain(id, depth) AS (
                    SELECT head_id, 0 FROM conversations WHERE id = ? AND head_id IS NOT NULL
                    UNION ALL
                    SELECT m.parent_id, chain.depth + 1 FROM messages m
                        JOIN chain ON m.id = chain.id WHERE m.parent_id IS NOT NULL
                )
                SELECT {_M_COLUMNS} FROM chain JOIN messages m ON m.id = chain.id
                ORDER BY chain.depth DESC""",
            (conversation_id,),
        ).fetchall()
        if not rows:
            self.conversation(conversation_id)  # raises LookupError when it does not exist
        return [_to_message(row) for row in rows]

    def children(self, message_id: int) -> list[StoredMessage]:
        """Messages answering or following `message_id`, oldest first (the alternatives)."""
        rows = self._conn.execute(
            f"SELECT {_MESSAGE_COLUMNS} FROM messages WHERE parent_id = ? ORDER BY id",
            (message_id,),
        ).fetchall()
        return [_to_message(row) for row in rows]

    def siblings(self, message_id: int) -> list[StoredMessage]:
        """The message and its alternatives (same parent, same conversation), oldest first."""
        me = self.message(message_id)
        rows = self._conn.execute(
            f"SELECT {_MESSAGE_COLUMNS} FROM messages "
            "WHERE conversation_id = ? AND parent_id IS ? ORDER BY id",
            (me.conversation_id, me.parent_id),
        ).fetchall()
        return [_to_message(row) for row in rows]

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
                raise _missing(conversation_id)
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
            raise _missing(conversation_id)
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
                raise _missing(conversation_id)

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
        stale = [row["id"] for row in rows if not _writer_alive(row["writer"], now - row["created_at"])]
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

    # -- search and totals ----------------------------------------------------

    def search(
        self, query: str, limit: int = 50, *, marks: tuple[str, str] = ("[", "]")
    ) -> list[tuple[StoredMessage, str]]:
        """Messages matching every word of `query` (a trailing * matches a prefix),
        best first, each with a snippet where `marks` surround the matches.
        Answers still streaming are not searchable until they finish."""
        terms = query.split()
        if not terms:
            return []
        if self._fts:
            rows = self._conn.execute(
                f"SELECT {_M_COLUMNS}, snippet(messages_fts, 0, ?, ?, '…', 12) "
                "FROM messages_fts JOIN messages m ON m.id = messages_fts.rowid "
                "WHERE messages_fts MATCH ? ORDER BY rank, m.id DESC LIMIT ?",
                (*marks, _fts_query(terms), limit),
            ).fetchall()
            return [(_to_message(row), " ".join(row[-1].split())) for row in rows]
        words = [t.rstrip("*") or t for t in terms]
        where = " AND ".join(["content LIKE ? ESCAPE '\\'"] * len(words))
        rows = self._conn.execute(
            f"SELECT {_MESSAGE_COLUMNS} FROM messages WHERE status != 'pending' AND {where} "
            "ORDER BY id DESC LIMIT ?",
            (*(f"%{_like_escape(w)}%" for w in words), limit),
        ).fetchall()
        return [
            (_to_message(row), _substring_snippet(row["content"], words, marks)) for row in rows
        ]

    def totals_by_model(self, conversation_id: int) -> list[ModelTotals]:
        """Per-model totals over finished answers, in order of first use.

        Cost is None when any answer with recorded usage lacks a cost (a sum
        that silently skipped it would understate); answers that failed before
        any usage count as turns but cost nothing.
        """
        rows = self._conn.execute(
            f"""SELECT m.model, count(*),
                    total(coalesce(m.input_tokens, 0) + coalesce(m.cached_input_tokens, 0)
                          + coalesce(m.cache_write_tokens, 0)),
                    total(coalesce(m.output_tokens, 0) + coalesce(m.reasoning_tokens, 0)),
                    {_COST_SUM},
                    max(coalesce(m.usage_estimated, 0))
                FROM messages m
                WHERE m.conversation_id = ? AND m.role = 'assistant'
                    AND m.status != 'pending' AND m.model IS NOT NULL
                GROUP BY m.model ORDER BY min(m.id)""",
            (conversation_id,),
        ).fetchall()
        ttfts: dict[str, list[float]] = {}
        for model, ttft in self._conn.execute(
            "SELECT model, ttft_ms FROM messages WHERE conversation_id = ? AND role = 'assistant' "
            "AND status != 'pending' AND model IS NOT NULL AND ttft_ms IS NOT NULL",
            (conversation_id,),
        ):
            ttfts.setdefault(model, []).append(ttft)
        return [
            ModelTotals(
                model=row[0],
                turns=row[1],
                input_tokens=int(row[2]),
                output_tokens=int(row[3]),
                cost_usd=row[4],
                median_ttft_ms=statistics.median(ttfts[row[0]]) if row[0] in ttfts else None,
                estimated=bool(row[5]),
            )
            for row in rows
        ]

    def spending(self, *, conversation_id: int | None = None, since: float | None = None) -> Spending:
        """What finished answers cost: those of `conversation_id` (alternatives included)
        and/or those finished at or after `since` (unix seconds), or all of them."""
        where = ["m.role = 'assistant'", "m.status != 'pending'"]
        args: list[Any] = []
        if conversation_id is not None:
            where.append("m.conversation_id = ?")
            args.append(conversation_id)
        if since is not None:
            # The id floor keeps this to the latest rows (ids grow with time): an answer
            # created a day before `since` and still streaming at `since` is not expected.
            where.append(
                "m.id > coalesce((SELECT id FROM messages WHERE created_at < ? ORDER BY id DESC LIMIT 1), 0)"
            )
            where.append("m.finished_at >= ?")
            args += [since - SPENDING_SLACK_S, since]
        cost, unpriced = self._conn.execute(
            f"SELECT total(m.cost_usd), total({_BILLABLE} AND m.cost_usd IS NULL) FROM messages m "
            f"WHERE {' AND '.join(where)}",
            args,
        ).fetchone()
        return Spending(cost_usd=cost, unpriced=int(unpriced))

    def read_measured(
        self, *, per_model: int = 50, per_kind: int = 50, window: int = 20_000
    ) -> tuple[dict[str, ModelSpeed], dict[tuple[str, bool, str], tuple[int, int]]]:
        """What past answers measured, among the latest `window` messages:

        - each model's median TTFT and tokens/s over its latest `per_model` complete answers;
        - by kind of turn — (complexity, has code, the length asked for), as a routed answer's
          stored decision says — (median visible output tokens, answers) over the latest
          `per_kind` complete answers.

        Read on a connection of the calling thread's own: safe from any thread, so the scans
        (tens of milliseconds on a large history) can run off the interface's thread."""
        try:
            conn = sqlite3.connect(self.db_path, isolation_level=None)
            try:
                conn.execute("PRAGMA busy_timeout = 5000")
                return _model_speeds(conn, per_model, window), _answer_lengths(conn, per_kind, window)
            finally:
                conn.close()
        except sqlite3.Error as e:
            raise StoreError(f"cannot read the measured figures from {self.db_path}: {e}") from e

    def recent_prompts(self, limit: int = 500) -> list[str]:
        """The user's latest `limit` non-blank messages over every conversation, oldest first."""
        rows = self._conn.execute(
            "SELECT content FROM messages WHERE role = 'user' AND trim(content) != '' ORDER BY id DESC LIMIT ?",
            (limit,),
        ).fetchall()
        return [row[0] for row in reversed(rows)]


# -- helpers ------------------------------------------------------------------


def _prepare_private_file(path: Path) -> None:
    """Creates the parent dir (0700) and the database file (0600) if missing.

    SQLite gives the -wal and -shm files the database file's permissions.
    """
    try:
        if not path.parent.exists():
            path.parent.mkdir(parents=True, mode=0o700)
            path.parent.chmod(0o700)  # mkdir's mode is filtered by the umask
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as e:
        raise StoreError(f"cannot create {e.filename or path}: {e.strerror}") from e
    os.close(fd)
    _tighten_modes(path)


def _tighten_modes(path: Path) -> None:
    for file in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        try:
            if file.stat().st_mode & 0o077:
                file.chmod(0o600)
        except FileNotFoundError:
            pass


STALE_FOREIGN_S = 24 * 3600
SPENDING_SLACK_S = 24 * 3600  # how long before `since` an answer counted by spending(since=…) may have started


def _writer() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _writer_alive(writer: str | None, age_s: float) -> bool:
    """Whether the process that wrote a pending answer may still be streaming it."""
    if not writer:
        return False  # written before writers were recorded
    host, _, pid = writer.rpartition(":")
    if host != socket.gethostname():
        return age_s < STALE_FOREIGN_S
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # alive, run by another user
    except (ValueError, OverflowError):
        return False  # not a process id
    return True


def _fts5_available(conn: sqlite3.Connection) -> bool:
    try:
        conn.execute("CREATE VIRTUAL TABLE temp.mmchat_fts5_probe USING fts5(x)")
    except sqlite3.OperationalError:
        return False
    conn.execute("DROP TABLE temp.mmchat_fts5_probe")
    return True


def _fts_query(terms: list[str]) -> str:
    """Each word as an FTS5 string (so '-', ':' or quotes are never syntax)."""
    parts = []
    for term in terms:
        prefix = term.endswith("*") and len(term) > 1
        word = term[:-1] if prefix else term
        parts.append('"' + word.replace('"', '""') + '"' + ("*" if prefix else ""))
    return " ".join(parts)


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _substring_snippet(content: str, words: list[str], marks: tuple[str, str]) -> str:
    lower = content.lower()
    word = words[0]
    at = lower.find(word.lower())
    start = max(0, at - 40)
    end = min(len(content), at + len(word) + 40)
    text = (
        content[start:at] + marks[0] + content[at : at + len(word)] + marks[1]
        + content[at + len(word) : end]
    )
    return ("…" if start else "") + " ".join(text.split()) + ("…" if end < len(content) else "")


def _check_status(status: str) -> None:
    if status not in STATUSES:
        raise ValueError(f"unknown status {status!r}: use one of {', '.join(sorted(STATUSES))}")


def _missing(conversation_id: int) -> LookupError:
    return LookupError(f"no conversation {conversation_id}")


def _one_line(text: str, limit: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def _clean_title(text: str | None) -> str | None:
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


def _redact_strings(value: Any, redact: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: _redact_strings(v, redact) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_redact_strings(v, redact) for v in value]
    return value


def _to_message(row: sqlite3.Row) -> StoredMessage:
    usage = None
    if row["input_tokens"] is not None:
        usage = Usage(
            input_tokens=row["input_tokens"],
            cached_input_tokens=row["cached_input_tokens"] or 0,
            cache_write_tokens=row["cache_write_tokens"] or 0,
            output_tokens=row["output_tokens"] or 0,
            reasoning_tokens=row["reasoning_tokens"] or 0,
            estimated=bool(row["usage_estimated"]),
        )
    return StoredMessage(
        id=row["id"],
        conversation_id=row["conversation_id"],
        parent_id=row["parent_id"],
        role=row["role"],
        content=row["content"],
        status=row["status"],
        provider=row["provider"],
        model=row["model"],
        params=json.loads(row["params"]),
        error=row["error"],
        usage=usage,
        ttft_ms=row["ttft_ms"],
        latency_ms=row["latency_ms"],
        tokens_per_s=row["tokens_per_s"],
        cost_usd=row["cost_usd"],
        attempts=json.loads(row["attempts"]),
        decision=None if row["decision"] is None else json.loads(row["decision"]),
        created_at=row["created_at"],
        finished_at=row["finished_at"],
    )


def _model_speeds(conn: sqlite3.Connection, per_model: int, window: int) -> dict[str, ModelSpeed]:
    rows = conn.execute(
        """SELECT model, ttft_ms, tokens_per_s FROM (
                SELECT model, ttft_ms, tokens_per_s,
                    row_number() OVER (PARTITION BY model ORDER BY id DESC) AS n
                FROM messages
                WHERE id > (SELECT coalesce(max(id), 0) FROM messages) - ?
                    AND role = 'assistant' AND status = 'complete' AND model IS NOT NULL
                    AND (ttft_ms IS NOT NULL OR tokens_per_s IS NOT NULL)
            ) WHERE n <= ?""",
        (window, per_model),
    ).fetchall()
    answers: dict[str, int] = {}
    ttfts: dict[str, list[float]] = {}
    speeds: dict[str, list[float]] = {}
    for model, ttft, speed in rows:
        answers[model] = answers.get(model, 0) + 1
        if ttft is not None:
            ttfts.setdefault(model, []).append(ttft)
        if speed is not None:
            speeds.setdefault(model, []).append(speed)
    return {
        model: ModelSpeed(
            model=model,
            answers=count,
            median_ttft_ms=statistics.median(ttfts[model]) if model in ttfts else None,
            median_tokens_per_s=statistics.median(speeds[model]) if model in speeds else None,
        )
        for model, count in answers.items()
    }


def _answer_lengths(
    conn: sqlite3.Connection, per_kind: int, window: int
) -> dict[tuple[str, bool, str], tuple[int, int]]:
    rows = conn.execute(
        """SELECT kind, output_tokens FROM (
                SELECT *, row_number() OVER (PARTITION BY kind ORDER BY id DESC) AS n
                FROM (
                    SELECT id, output_tokens,
                        -- one parse of the decision for the three (a JSON array back)
                        json_extract(decision, '$.signals.complexity', '$.signals.has_code',
                            '$.signals.answer_length') AS kind
                    FROM messages
                    WHERE id > (SELECT coalesce(max(id), 0) FROM messages) - ?
                        AND role = 'assistant' AND status = 'complete'
                        AND output_tokens IS NOT NULL AND decision IS NOT NULL
                )
            ) WHERE n <= ?""",
        (window, per_kind),
    ).fetchall()
    lengths: dict[tuple[str, bool, str], list[int]] = {}
    for kind, output in rows:
        complexity, has_code, length = json.loads(kind)
        if complexity is not None and length is not None:  # a decision without these signals
            lengths.setdefault((complexity, bool(has_code), length), []).append(output)
    return {kind: (round(statistics.median(values)), len(values)) for kind, values in lengths.items()}
