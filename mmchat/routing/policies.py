"""Policies: how the candidates that passed the filters are scored (higher is better, 0..~1).

  cheapest  the lowest estimated cost for this turn among models strong enough
  fastest   the shortest expected time to a full answer (measured TTFT and tokens/s)
  best      the highest quality: the tier, moved by your evidence (votes, bench runs)
  balanced  strength enough for the turn first, then cost, then speed (the default);
            your evidence adds or takes up to LEARNED_WEIGHT × its shift from the tier

"Strong enough" is the tier a rule asks for (`then: {tier: strong}`); a model
below it keeps a reduced score, so it is still ranked as a fallback.
"""

from __future__ import annotations

from mmchat.routing.estimate import TIER_NAMES, Figures, tier_quality

POLICIES = ("balanced", "cheapest", "fastest", "best")
COST_REF_USD = 0.01  # a turn costing this scores 0.5 on cost
SPEED_REF_S = 10.0  # an answer taking this long scores 0.5 on speed
PREFER_BONUS = 0.05  # per preferred tag the model has
PREFER_MAX = 0.15
LEARNED_WEIGHT = 0.5  # balanced: a quality shift of +0.2 from your evidence adds 0.1 to the score


def cost_score(cost: float | None) -> float | None:
    return None if cost is None else 1 / (1 + cost / COST_REF_USD)


def speed_score(latency_s: float) -> float:
    return 1 / (1 + latency_s / SPEED_REF_S)


def fit(tier: int, needed: int) -> float:
    """1 when the model is at least as strong as needed; less for each tier short."""
    return 1.0 if tier >= needed else max(0.0, 1 - 0.5 * (needed - tier))


def score(
    policy: str, tier: int, f: Figures, needed_tier: int, preferred: tuple[str, ...], tags: frozenset[str]
) -> tuple[float, list[str]]:
    """The model's score under `policy`, with the reasons that shaped it."""
    reasons = []
    fits = fit(tier, needed_tier)
    if fits < 1:
        reasons.append(f"{TIER_NAMES[tier]} < {TIER_NAMES[needed_tier]} tier asked for")
    c = cost_score(f.cost)
    if policy == "cheapest":
        if c is None:
            reasons.append("price unknown: ranked after priced models")
        value = _short(c or 0.0, fits)
    elif policy == "fastest":
        value = _short(speed_score(f.latency_s), fits)
    elif policy == "best":
        value = f.quality
    else:
        value = 0.5 * fits + 0.3 * (0.5 if c is None else c) + 0.2 * speed_score(f.latency_s)
        shift = f.quality - tier_quality(tier)
        if shift:
            value += LEARNED_WEIGHT * shift
            reasons.append(f"your evidence {LEARNED_WEIGHT * shift:+.2f}")
        if c is None:
            reasons.append("price unknown")
    if preferred:
        have = [t for t in preferred if t in tags]
        if have:
            value += min(PREFER_MAX, PREFER_BONUS * len(have))
            reasons.append("has " + ", ".join(have))
    return value, reasons


def _short(value: float, fits: float) -> float:
    """Models that reach the tier asked for score 0.5..1, the others below 0.5."""
    return 0.5 + 0.5 * value if fits >= 1 else 0.5 * value * fits
