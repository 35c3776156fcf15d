"""Opening the database: schema, migrations, files and their modes."""

from __future__ import annotations

import sqlite3
import stat
from pathlib import Path

import pytest

import mmchat.store.schema as schema
from mmchat.store import Store, StoreError
from mmchat.store.schema import MIGRATIONS


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def raw(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(path)


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


def test_an_unusable_location_gives_a_clear_error(tmp_path: Path):
    (tmp_path / "file").write_text("")
    with pytest.raises(StoreError, match="cannot create .*file"):
        Store(tmp_path / "file" / "mmchat.db")


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
