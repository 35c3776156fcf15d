"""Conversations and messages in one SQLite file.

`Store` is the one front door; it is composed of one part per concern, all
sharing one connection:

- schema.py: opening the file, the migrations and the search index (Database);
- conversations.py: creating, listing, renaming and deleting conversations;
- tree.py: the message tree — messages, the chosen path, alternatives, the head,
  the privacy lock, answers left pending by a crash;
- answers.py: a turn's answers (one or many to one prompt) started, streamed into
  and ended;
- search.py: full-text search (with a substring fallback);
- stats.py: totals, spending, measured speeds and answer lengths, each answer's
  figures, recent prompts;
- votes.py: votes after a compare and the pairwise outcomes they imply (with the
  prompt's signals, for a leaderboard per category);
- bench.py: bench runs and their results (in the bench's own file; bench_records.py);
- records.py: the records handed out; files.py: file modes and writer processes.

Every write commits at once, so the user's message is on disk before any
request goes out.

Threads: the connection is opened with `check_same_thread=False` so it may be
handed between threads, but a Store must be used from one thread at a time
(the engine runs it on its asyncio thread); `read_measured`, `answer_figures` and
`voted_pairs` open their own.
"""

from __future__ import annotations

from mmchat.store.bench import Bench
from mmchat.store.bench_records import BenchResult, BenchRun, CheckOutcome
from mmchat.store.records import (
    AnswerEnd,
    ConversationSummary,
    ModelSpeed,
    ModelTotals,
    NewAnswer,
    Spending,
    StartedTurn,
    StoredMessage,
    StoreError,
)
from mmchat.store.search import Search
from mmchat.store.stats import AnswerFigures, Stats
from mmchat.store.votes import Votes, VotedPair

__all__ = [
    "AnswerEnd",
    "AnswerFigures",
    "BenchResult",
    "BenchRun",
    "CheckOutcome",
    "ConversationSummary",
    "ModelSpeed",
    "ModelTotals",
    "NewAnswer",
    "Spending",
    "StartedTurn",
    "Store",
    "StoredMessage",
    "StoreError",
    "VotedPair",
]


class Store(Bench, Votes, Search, Stats):
    """The SQLite store; open one per data directory and close it on exit."""
