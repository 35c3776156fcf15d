"""Finding messages by their words.

An FTS5 index over message content, kept in sync by triggers (see schema.py).
A message is indexed once it stops being 'pending', so saving a streaming
answer stays one plain UPDATE. Without FTS5 in the SQLite build, search falls
back to a substring scan and `search_note` says so.
"""

from __future__ import annotations

from mmchat.store.records import M_COLUMNS, MESSAGE_COLUMNS, StoredMessage, to_message
from mmchat.store.schema import Database


class Search(Database):
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
                f"SELECT {M_COLUMNS}, snippet(messages_fts, 0, ?, ?, '…', 12) "
                "FROM messages_fts JOIN messages m ON m.id = messages_fts.rowid "
                "WHERE messages_fts MATCH ? ORDER BY rank, m.id DESC LIMIT ?",
                (*marks, _fts_query(terms), limit),
            ).fetchall()
            return [(to_message(row), " ".join(row[-1].split())) for row in rows]
        words = [t.rstrip("*") or t for t in terms]
        where = " AND ".join(["content LIKE ? ESCAPE '\\'"] * len(words))
        rows = self._conn.execute(
            f"SELECT {MESSAGE_COLUMNS} FROM messages WHERE status != 'pending' AND {where} "
            "ORDER BY id DESC LIMIT ?",
            (*(f"%{_like_escape(w)}%" for w in words), limit),
        ).fetchall()
        return [
            (to_message(row), _substring_snippet(row["content"], words, marks)) for row in rows
        ]


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
