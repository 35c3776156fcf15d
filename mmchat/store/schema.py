"""Opening the database: the schema, its migrations and the search index.

Durability: WAL mode with `synchronous=NORMAL` — every committed write
survives a crash of mmchat itself; a power cut may lose the last moments.
"""

from __future__ import annotations

import sqlite3
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator, Self

from mmchat.store.files import prepare_private_file, tighten_modes
from mmchat.store.records import StoreError

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
    # Votes after a compare (store/votes.py): one row per verdict on the answers
    # to a user message, and the pairwise outcomes it implies for the answers
    # shown, with the models as they were when the vote was given.
    (
        """CREATE TABLE votes (
            id INTEGER PRIMARY KEY,
            user_message_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
            kind TEXT NOT NULL CHECK (kind IN ('winner', 'tie', 'all_bad')),
            winner_id INTEGER REFERENCES messages(id) ON DELETE CASCADE,
            note TEXT,
            blind INTEGER NOT NULL DEFAULT 0 CHECK (blind IN (0, 1)),
            self_naming TEXT NOT NULL DEFAULT '[]',
            created_at REAL NOT NULL,
            CHECK ((kind = 'winner') = (winner_id IS NOT NULL))
        )""",
        """CREATE TABLE vote_pairs (
            id INTEGER PRIMARY KEY,
            vote_id INTEGER NOT NULL REFERENCES votes(id) ON DELETE CASCADE,
            answer_a INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
            answer_b INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
            model_a TEXT NOT NULL,
            model_b TEXT NOT NULL,
            outcome TEXT NOT NULL CHECK (outcome IN ('a', 'b', 'tie', 'both_bad'))
        )""",
        "CREATE INDEX votes_by_message ON votes(user_message_id)",
        "CREATE INDEX votes_by_time ON votes(created_at)",
        "CREATE INDEX vote_pairs_by_vote ON vote_pairs(vote_id)",
        "CREATE INDEX vote_pairs_by_answer_a ON vote_pairs(answer_a)",
        "CREATE INDEX vote_pairs_by_answer_b ON vote_pairs(answer_b)",
        "CREATE INDEX votes_by_winner ON votes(winner_id)",
    ),
    # Bench runs (store/bench.py): a run of a suite over models, and one result per case,
    # model and attempt. Written to the bench's own file, never the chat history's.
    (
        """CREATE TABLE bench_runs (
            id INTEGER PRIMARY KEY,
            suite_name TEXT NOT NULL,
            suite_path TEXT,
            suite_sha256 TEXT NOT NULL,
            models TEXT NOT NULL,
            repeat INTEGER NOT NULL CHECK (repeat >= 1),
            status TEXT NOT NULL CHECK (status IN ('running', 'stopped', 'done')),
            created_at REAL NOT NULL,
            finished_at REAL,
            estimated_cost_usd REAL,
            max_cost_usd REAL,
            params TEXT NOT NULL DEFAULT '{}'
        )""",
        """CREATE TABLE bench_results (
            id INTEGER PRIMARY KEY,
            run_id INTEGER NOT NULL REFERENCES bench_runs(id) ON DELETE CASCADE,
            case_id TEXT NOT NULL,
            category TEXT,
            model TEXT NOT NULL,
            attempt INTEGER NOT NULL CHECK (attempt >= 0),
            status TEXT NOT NULL CHECK (status IN ('complete', 'error', 'interrupted')),
            passed INTEGER CHECK (passed IN (0, 1)),
            checks TEXT NOT NULL DEFAULT '[]',
            answer_id INTEGER REFERENCES messages(id) ON DELETE SET NULL,
            text TEXT NOT NULL DEFAULT '',
            error TEXT,
            ttft_ms REAL,
            latency_ms REAL,
            input_tokens INTEGER NOT NULL DEFAULT 0,
            output_tokens INTEGER NOT NULL DEFAULT 0,
            cost_usd REAL,
            created_at REAL NOT NULL,
            UNIQUE (run_id, case_id, model, attempt)
        )""",
        "CREATE INDEX bench_runs_by_time ON bench_runs(created_at)",
        "CREATE INDEX bench_results_by_answer ON bench_results(answer_id)",
    ),
]

# The search index is derived data, rebuilt whenever its triggers are missing,
# so it lives outside the numbered migrations (a build without FTS5 can still
# open the file; see Database._ensure_search_index).
FTS_TABLE = (
    "CREATE VIRTUAL TABLE messages_fts USING fts5("
    "content, content='messages', content_rowid='id', tokenize='unicode61 remove_diacritics 2')"
)
FTS_TRIGGERS = {
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


class Database:
    """One mmchat database file, opened, migrated and indexed: the connection that
    every part of the Store shares."""

    def __init__(self, path: Path, *, redact: Callable[[str], str] | None = None) -> None:
        self.db_path = Path(path)
        self._redact = redact  # applied to error texts and attempts before they are written
        self.search_note: str | None = None
        self._fts = False
        prepare_private_file(self.db_path)
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
        tighten_modes(self.db_path)

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _write(self) -> Iterator[None]:
        """One write transaction, committed at the end or rolled back on any exception."""
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

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
        if not fts5_available(self._conn):
            # Without the triggers writes keep working; the stale index is
            # rebuilt when a build with FTS5 opens the file again.
            with self._write():
                for trigger in FTS_TRIGGERS:
                    self._conn.execute(f"DROP TRIGGER IF EXISTS {trigger}")
            self.search_note = (
                "full-text search is unavailable (this SQLite has no FTS5); "
                "using a slower substring search"
            )
            return
        self._fts = True
        if "messages_fts" in names and names.issuperset(FTS_TRIGGERS):
            return
        with self._write():
            if "messages_fts" in names:
                self._conn.execute("INSERT INTO messages_fts(messages_fts) VALUES ('delete-all')")
            else:
                self._conn.execute(FTS_TABLE)
            self._conn.execute(
                "INSERT INTO messages_fts(rowid, content) "
                "SELECT id, content FROM messages WHERE status != 'pending'"
            )
            for trigger, sql in FTS_TRIGGERS.items():
                self._conn.execute(f"DROP TRIGGER IF EXISTS {trigger}")
                self._conn.execute(sql)


def fts5_available(conn: sqlite3.Connection) -> bool:
    try:
        conn.execute("CREATE VIRTUAL TABLE temp.mmchat_fts5_probe USING fts5(x)")
    except sqlite3.OperationalError:
        return False
    conn.execute("DROP TABLE temp.mmchat_fts5_probe")
    return True
