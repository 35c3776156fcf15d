"""The router's answer for one turn: what was chosen, what else was possible, and why."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mmchat.routing.signals import Signals
from mmchat.routing.stored import Fields

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

    @classmethod
    def from_stored(cls, fields: Fields) -> Candidate | None:
        """As `to_dict` stored it; None without a model."""
        model = fields.optional_text("model")
        if model is None:
            return None
        return cls(
            model=model,
            score=fields.number("score"),
            cost_usd=fields.optional_number("cost_usd"),
            tier=fields.text("tier"),
            latency_s=fields.number("latency_s"),
            output_tokens=fields.integer("output_tokens"),
            cached_tokens=fields.integer("cached_tokens"),
            reasons=fields.texts("reasons"),
        )


@dataclass(slots=True)
class Rejected:
    model: str
    filter: str  # privacy | health | next | excluded | capability | context | escalation | budget
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"model": self.model, "filter": self.filter, "reason": self.reason}

    @classmethod
    def from_stored(cls, fields: Fields) -> Rejected | None:
        """As `to_dict` stored it; None without a model."""
        model = fields.optional_text("model")
        if model is None:
            return None
        return cls(model=model, filter=fields.text("filter"), reason=fields.text("reason"))


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
        """'→ model · why', or 'held · why' / 'not sent · why' when nothing is sent: the one
        place this line is written (the typing preview, an answer's route line, `mmchat ask`
        and the route report all show it)."""
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

    @classmethod
    def from_dict(cls, data: object, prompt: str = "") -> Decision | None:
        """A decision stored on an answer (`to_dict`'s form), read back: by this version or an
        older one. None when `data` is not a decision (not an object, or one that names neither
        a model nor a mode). A field that is missing or of another type takes its default —
        an older version did not store it: no expected output (0, 0), no notes, mode 'auto' —
        so a stored row never makes its reader fail.

        The prompt is not stored (it is the user's message): give it as `prompt` when it is
        wanted. The signals' findings are not stored either: the decision read back has none
        (`signals.secrets` and `signals.personal` still name their kinds). Figures come back as
        stored, rounded; stored again, the decision read back is stored the same."""
        if not isinstance(data, Mapping) or ("model" not in data and "mode" not in data):
            return None
        fields = Fields(data)
        expected = fields.object("expected_output")
        return cls(
            model=fields.optional_text("model"),
            why=fields.text("why"),
            mode=fields.text("mode") or "auto",
            policy=fields.text("policy"),
            candidates=tuple(c for c in map(Candidate.from_stored, fields.objects("candidates")) if c is not None),
            rejected=tuple(r for r in map(Rejected.from_stored, fields.objects("rejected")) if r is not None),
            rules=fields.texts("rules"),
            fallbacks=fields.texts("fallbacks"),
            private=fields.flag("private"),
            private_reasons=fields.texts("private_reasons"),
            held=fields.flag("held"),
            message=fields.text("message"),
            notes=fields.texts("notes"),
            expected_output=(expected.integer("tokens"), expected.integer("samples")),
            prompt=prompt,
            signals=Signals.from_dict(fields.object("signals").data, text=prompt),
        )

    def as_stored(self) -> Decision:
        """This decision as it reads back once stored: its figures rounded as `to_dict` rounds
        them, no findings. What shows a decision shows this, so an answer's decision reads the
        same while it is made and when its conversation is opened again."""
        return Decision.from_dict(self.to_dict(), self.prompt) or self
