"""The router's answer for one turn: what was chosen, what else was possible, and why."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mmchat.routing.signals import Signals

MODES = ("auto", "stay", "rule", "pin", "override", "escalate", "next")


# Candidates and rejections are plain slotted dataclasses: one is made per model per turn, and a
# frozen dataclass's __init__ costs three times as much. Treat them as read-only all the same.


@dataclass(slots=True)
class Candidate:
    model: str
    score: float
    cost_usd: float | None  # estimated for this turn; None = price unknown
    tier: str  # light | standard | strong
    latency_s: float  # expected time to the whole answer
    output_tokens: int  # expected (hidden reasoning excluded)
    cached_tokens: int  # history expected from the provider's prompt cache
    reasons: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "score": round(self.score, 4),
            "cost_usd": None if self.cost_usd is None else round(self.cost_usd, 6),
            "tier": self.tier,
            "latency_s": round(self.latency_s, 2),
            "output_tokens": self.output_tokens,
            "cached_tokens": self.cached_tokens,
            "reasons": list(self.reasons),
        }


@dataclass(slots=True)
class Rejected:
    model: str
    filter: str  # privacy | health | next | excluded | capability | context | escalation | budget
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"model": self.model, "filter": self.filter, "reason": self.reason}


@dataclass(frozen=True)
class Decision:
    model: str | None  # None: nothing is sent (see `held` and `message`)
    why: str  # one short line for the UI
    mode: str  # one of MODES
    policy: str
    candidates: tuple[Candidate, ...]  # ranked, the chosen model first
    rejected: tuple[Rejected, ...]
    rules: tuple[str, ...]  # names of the rules that matched, in order
    fallbacks: tuple[str, ...]  # to try in order if the chosen model fails before its first token
    private: bool  # this turn is private: lock the conversation (local models only from now on)
    private_reasons: tuple[str, ...]
    held: bool  # private and no local model can take it: never sent
    message: str  # why nothing is sent, or '' when a model was chosen
    notes: tuple[str, ...]  # what was refused or relaxed on the way (a pin on a private turn ...)
    expected_output: tuple[int, int]  # (tokens, samples): the median of that many similar answers; 0 = guessed
    prompt: str  # the text to send: the typed prompt without its routing tags
    signals: Signals

    @property
    def chosen(self) -> Candidate | None:
        return next((c for c in self.candidates if c.model == self.model), None)

    def line(self) -> str:
        """'→ model · why' (or 'held · why')."""
        if self.model is None:
            return f"{'held' if self.held else 'not sent'} · {self.message}"
        return f"→ {self.model} · {self.why}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, for storing on the answer; the prompt itself is left out (it is the user's message)."""
        return {
            "model": self.model,
            "why": self.why,
            "mode": self.mode,
            "policy": self.policy,
            "candidates": [c.to_dict() for c in self.candidates],
            "rejected": [r.to_dict() for r in self.rejected],
            "rules": list(self.rules),
            "fallbacks": list(self.fallbacks),
            "private": self.private,
            "private_reasons": list(self.private_reasons),
            "held": self.held,
            "message": self.message,
            "notes": list(self.notes),
            "expected_output": {"tokens": self.expected_output[0], "samples": self.expected_output[1]},
            "signals": self.signals.to_dict(),
        }
