"""Compares and votes written the way mmchat writes them, for the leaderboard's tests."""

from __future__ import annotations

from dataclasses import dataclass

from mmchat.routing import Conversation, Router, RouterState, RuleSet, Turn
from mmchat.store import AnswerEnd, NewAnswer, StartedTurn, Store
from mmchat.types import Usage

ROUTER = Router((), RuleSet())  # no catalog: every model is a pin the user typed


@dataclass(frozen=True)
class Figures:
    status: str = "complete"
    ttft_ms: float | None = 100.0
    tokens_per_s: float | None = 50.0
    cost_usd: float | None = 0.01


def pinned(prompt: str, model: str) -> dict:
    """The decision a compare stores on `model`'s answer: the router's, pinned to it."""
    return ROUTER.decide(Turn(prompt), Conversation(), {}, RouterState(pin=model)).to_dict()


def compare(store: Store, prompt: str, answers: dict[str, Figures], *, decided: bool = True) -> StartedTurn:
    """A prompt and one finished answer per model, each with its pinned decision (none when
    not `decided`), as a compare stores them."""
    started = store.start_turn(None, prompt, [
        NewAnswer(m.split("/")[0], m, decision=pinned(prompt, m) if decided else None) for m in answers
    ])
    for answer_id, f in zip(started.answer_ids, answers.values()):
        store.finish_answer(answer_id, AnswerEnd(
            content="an answer", status=f.status, usage=Usage(input_tokens=10, output_tokens=20),
            ttft_ms=f.ttft_ms, tokens_per_s=f.tokens_per_s, cost_usd=f.cost_usd,
            error="boom" if f.status == "error" else None,
        ))
    return started


def vote(store: Store, prompt: str, models: tuple[str, ...], winner: str | None = None, *,
         kind: str = "winner", decided: bool = True, figures: Figures = Figures()) -> StartedTurn:
    """A compare of `models` on `prompt` and a vote on it: `winner` wins, or `kind` 'tie'/'all_bad'."""
    started = compare(store, prompt, {m: figures for m in models}, decided=decided)
    ids = dict(zip(models, started.answer_ids))
    store.record_vote(started.user_message_id, started.answer_ids, kind=kind,
                      winner=ids[winner] if winner else None)
    return started
