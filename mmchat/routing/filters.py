"""Hard filters: a model that fails one is not a candidate for this turn, and the reason is kept.

Order: privacy, provider health, the model being moved on from, exclusions, required tags,
escalation, context window (budget
is checked by the router once the turn's cost is estimated).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from fnmatch import translate
from functools import lru_cache

from mmchat.routing.estimate import TIER_NAMES, Profile
from mmchat.routing.rules import Plan
from mmchat.routing.signals import Signals

FITS, TRIM, TOO_SMALL = "fits", "trim", "too small"


@dataclass(frozen=True)
class Gate:
    private: bool
    health: Mapping[str, str]  # provider -> why it is skipped now (an open circuit)
    plan: Plan
    escalate_tier: int | None  # candidates must be stronger than this
    skip: str | None = None  # "retry on the next model": the model that wrote the answer


@lru_cache(maxsize=512)
def glob(pattern: str) -> re.Pattern[str]:
    """A model address pattern ('openai/*') compiled once."""
    return re.compile(translate(pattern))


def rejection(p: Profile, gate: Gate) -> tuple[str, str] | None:
    """(filter, reason) of the first filter the model fails, or None."""
    model = p.model
    if gate.private and not p.local:
        return "privacy", "not local: the turn is private"
    why = gate.health.get(model.provider)
    if why is not None:
        return "health", f"{model.provider} skipped: {why}"
    if model.address == gate.skip:
        return "next", "wrote the answer being retried"
    for pattern, rule in gate.plan.exclude:
        if glob(pattern).match(model.address):
            return "excluded", f"excluded by rule '{rule}'"
    missing = [tag for tag in gate.plan.require if tag not in p.tags]
    if missing:
        rules = sorted({gate.plan.require[t] for t in missing})
        return "capability", f"lacks {', '.join(missing)} (rule {', '.join(repr(r) for r in rules)})"
    if gate.escalate_tier is not None and p.tier <= gate.escalate_tier:
        return "escalation", f"not stronger than {TIER_NAMES[gate.escalate_tier]}"
    return None


def context_fit(p: Profile, signals: Signals) -> tuple[str, str]:
    """(FITS | TRIM | TOO_SMALL, reason): TRIM when only the prompt and recent history fit."""
    context = p.model.context
    if context is None:
        return FITS, ""  # unknown: assumed to fit
    total = signals.tokens + signals.history_tokens + p.reserve
    if total <= context:
        return FITS, ""
    if signals.tokens + p.reserve <= context:
        return TRIM, f"context {context:,} < {total:,} needed: older turns left out"
    return TOO_SMALL, f"context {context:,} < {signals.tokens + p.reserve:,} needed by the prompt alone"
