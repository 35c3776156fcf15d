"""Votes: the user's verdict on the answers to one prompt after a compare.

A vote is a winner (one answer), a tie (between the answers shown) or "all bad",
with an optional one-line note, whether it was blind, and which answers named
their own model or vendor (flagged by the caller: a known source of bias).

Each vote is also stored as the pairwise outcomes it implies for the answers
shown, which is what a Bradley–Terry fit reads:

- a winner beats every other answer shown (3 answers: 2 outcomes; nothing is
  said about the losers between themselves);
- a tie ties every pair shown;
- "all bad" marks every pair shown 'both_bad'.

`voted_pairs` reads each outcome back with the signals of the prompt voted on (its
answers' stored decisions), which is what a leaderboard per category reads.

Votes and their outcomes go with their messages (ON DELETE CASCADE), so deleting
a conversation removes its votes.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from itertools import combinations
from typing import Sequence

from mmchat.store.answers import Answers
from mmchat.store.stats import SIGNALS, own_connection, read_signals

KINDS = ("winner", "tie", "all_bad")
OUTCOMES = ("a", "b", "tie", "both_bad")


@dataclass(frozen=True)
class VotedPair:
    """A pairwise outcome with its vote and the signals of the prompt voted on."""

    vote_id: int
    model_a: str
    model_b: str
    outcome: str  # 'a' | 'b' | 'tie' | 'both_bad'
    created_at: float  # when the vote was given, unix seconds
    intent: str | None  # the prompt's signals.intent as an answer's decision stored it; None: no decision
    language: str | None  # the prompt's signals.language (ISO 639-1, 'und' unknown)


class Votes(Answers):
    def record_vote(
        self,
        user_message_id: int,
        shown: Sequence[int],
        *,
        winner: int | None = None,
        kind: str = "winner",
        note: str | None = None,
        blind: bool = False,
        self_naming: Sequence[int] = (),
    ) -> int:
        """Stores a vote on the answers `shown` (ids of answers to `user_message_id`, in the
        order shown) and its pairwise outcomes, in one transaction; the vote's id.

        `kind` is 'winner' (then `winner` is one of `shown`), 'tie' or 'all_bad' (no
        winner). `note` is cut to one line and passed through the redaction hook.
        `self_naming`: the answers shown that named their own model or vendor.
        Raises LookupError for an unknown message, ValueError for a bad vote.
        """
        shown = list(shown)
        if kind not in KINDS:
            raise ValueError(f"unknown vote kind {kind!r}: use one of {', '.join(KINDS)}")
        if len(shown) < 2:
            raise ValueError(f"a vote needs at least 2 answers shown, got {len(shown)}")
        if len(set(shown)) != len(shown):
            raise ValueError("an answer is shown twice in the vote")
        if kind == "winner":
            if winner is None:
                raise ValueError("a 'winner' vote needs the winning answer")
            if winner not in shown:
                raise ValueError(f"the winner {winner} is not among the answers shown")
        elif winner is not None:
            raise ValueError(f"a {kind!r} vote has no winner")
        if stray := [a for a in self_naming if a not in shown]:
            raise ValueError(f"self-naming answer {stray[0]} is not among the answers shown")
        prompt = self.message(user_message_id)  # LookupError when unknown
        if prompt.role != "user":
            raise ValueError(f"message {user_message_id} is not a user message: votes are on a prompt's answers")
        answers = {m.id: m for m in self.children(user_message_id) if m.role == "assistant"}
        for answer_id in shown:
            if answer_id not in answers:
                raise ValueError(f"answer {answer_id} is not an answer to message {user_message_id}")
            if not answers[answer_id].model:
                raise ValueError(f"answer {answer_id} has no model to vote on")
        now = time.time()
        with self._write():
            cur = self._conn.execute(
                "INSERT INTO votes (user_message_id, kind, winner_id, note, blind, self_naming, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    user_message_id, kind, winner, self._redacted(_one_line(note)), int(blind),
                    json.dumps(sorted(set(self_naming))), now,
                ),
            )
            vote_id = int(cur.lastrowid)
            self._conn.executemany(
                "INSERT INTO vote_pairs (vote_id, answer_a, answer_b, model_a, model_b, outcome) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (vote_id, a, b, answers[a].model, answers[b].model, outcome)
                    for a, b, outcome in implied_pairs(shown, kind, winner)
                ],
            )
        return vote_id

    def latest_vote(self) -> int | None:
        """The latest vote's id (None: no vote yet): whether the votes changed since a read.
        Read on a connection of the calling thread's own: safe from any thread."""
        with own_connection(self.db_path, "the votes") as conn:
            return conn.execute("SELECT max(id) FROM votes").fetchone()[0]

    def voted_pairs(self, *, since: float | None = None) -> list[VotedPair]:
        """Every stored pairwise outcome ('both_bad' included) with the prompt's signals, oldest
        vote first; `since` keeps those of votes given at or after it (unix seconds). The signals are answer_a's decision's, else answer_b's (the
        answers to one prompt carry the same signals, even when each model was pinned).

        Read on a connection of the calling thread's own: safe from any thread."""
        with own_connection(self.db_path, "the votes") as conn:
            rows = conn.execute(
                f"""SELECT p.vote_id, p.model_a, p.model_b, p.outcome, v.created_at,
                        {SIGNALS.format(table="a")}, {SIGNALS.format(table="b")}
                    FROM vote_pairs p JOIN votes v ON v.id = p.vote_id
                        JOIN messages a ON a.id = p.answer_a JOIN messages b ON b.id = p.answer_b
                    WHERE ? IS NULL OR v.created_at >= ?
                    ORDER BY v.created_at, p.id""",
                (since, since),
            ).fetchall()
        pairs = []
        for vote_id, model_a, model_b, outcome, created_at, of_a, of_b in rows:
            intent, language = read_signals(of_a)
            if intent is None:
                intent, language = read_signals(of_b)
            pairs.append(VotedPair(vote_id, model_a, model_b, outcome, created_at, intent, language))
        return pairs


def implied_pairs(shown: Sequence[int], kind: str, winner: int | None) -> list[tuple[int, int, str]]:
    """The pairwise outcomes (answer_a, answer_b, outcome) a vote implies, pairs in the order shown."""
    if kind == "winner":
        return [
            (a, b, "a" if a == winner else "b")
            for a, b in combinations(shown, 2)
            if winner in (a, b)
        ]
    outcome = "tie" if kind == "tie" else "both_bad"
    return [(a, b, outcome) for a, b in combinations(shown, 2)]


def _one_line(note: str | None) -> str | None:
    """The note on one line with its whitespace collapsed; None when empty."""
    if note is None:
        return None
    return " ".join(note.split()) or None
