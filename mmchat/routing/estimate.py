"""What one turn would cost and how long it would take on a model, and how strong that model is.

Cost is priced from the turn's own token mix (input, cached history, output,
hidden reasoning) with each item at its own price — never a sum of per-token
prices. Speed comes from measured medians, blended with priors by tags until
there are enough measurements.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase

from mmchat.catalog import ModelInfo, cost_usd
from mmchat.tokens import output_reserve
from mmchat.types import Usage
from mmchat.routing.inputs import ModelStats
from mmchat.routing.learned import Evidence
from mmchat.routing.learned import quality as learned_quality
from mmchat.routing.signals import Signals

TIER_NAMES = {1: "light", 2: "standard", 3: "strong"}
TIERS = {name: tier for tier, name in TIER_NAMES.items()}
_TIER_TAGS = {"best": 3, "strong": 3, "frontier": 3, "light": 1, "small": 1}
# Output prices (USD per million tokens) from which a model is standard and strong, in a catalog
# whose priciest model reaches the strong mark; a cheaper catalog scales both down (tier_scale).
STANDARD_PRICE, STRONG_PRICE = 1.5, 8.0
TIER_SOURCES = {"routing": "routing.tiers", "catalog": "its tier:", "tag": "a tier tag",
                "price": "its price in this catalog", "unknown": "no price or tier: assumed"}

CACHE_MIN_TOKENS = 1024  # below this, providers do not cache a prompt
MIN_LENGTH_SAMPLES = 5  # past answers of a kind needed before their median replaces the guess
_BASE_OUTPUT = {"simple": 150, "moderate": 450, "complex": 1000}
_REASONING_SHARE = {"simple": 0.3, "moderate": 1.0, "complex": 2.0}  # hidden reasoning per output token

# (TTFT seconds, tokens/s, prompt tokens read per second) assumed until measured.
_PRIORS = {"local": (0.5, 30.0, 400.0), "fast": (0.35, 150.0, 20000.0), "reasoning": (3.0, 80.0, 10000.0)}
_DEFAULT_PRIOR = (0.8, 70.0, 10000.0)
_PRIOR_WEIGHT = 3  # measurements count fully once they outnumber this many


@dataclass(frozen=True)
class Profile:
    """What a model is, whatever the turn: computed once per model and rule set."""

    model: ModelInfo
    tags: frozenset[str]
    local: bool
    tier: int  # 1 light | 2 standard | 3 strong
    tier_source: str  # one of TIER_SOURCES
    prior: tuple[float, float, float]  # TTFT s, tokens/s, prompt tokens read per second (until measured)
    auto_cache: bool  # the provider caches prompts by itself (a cache read price, no cache write price)
    # USD per million tokens of input, cached input, output and reasoning as mmchat.catalog.cost_usd
    # bills them (fallbacks included); None = unknown.
    rates: tuple[float | None, float | None, float | None, float | None]
    reserve: int  # tokens the engine keeps free for the answer (mmchat.engine.context_window), 0 when context unknown


@dataclass(slots=True)  # not frozen: one per model per turn, and a frozen __init__ costs three times as much
class Figures:
    """One model's estimates for this turn."""

    quality: float  # 0..1: the tier's prior (tier_quality), moved by your evidence (mmchat.routing.learned)
    input_tokens: int  # at the full input price
    cached_tokens: int  # history expected from the provider's prompt cache
    output_tokens: int
    reasoning_tokens: int
    cost: float | None  # USD, None when a price needed is unknown
    latency_s: float  # to the end of the answer
    measured: bool  # speed from this model's own measurements


def profile(model: ModelInfo, tiers: Sequence[tuple[str, int]], scale: float = 1.0) -> Profile:
    tier, source = tier_of(model, tiers, scale)
    prior = next((values for tag, values in _PRIORS.items() if tag in model.tags), _DEFAULT_PRIOR)
    price = model.price
    auto_cache = price is not None and price.cached_input is not None and price.cache_write is None
    million = 1_000_000
    rates = tuple(
        cost_usd(usage, price)
        for usage in (Usage(input_tokens=million), Usage(cached_input_tokens=million), Usage(output_tokens=million),
                      Usage(reasoning_tokens=million))
    )
    reserve = output_reserve(model.context, model.max_output, None) if model.context else 0
    return Profile(model, frozenset(model.tags), "local" in model.tags, tier, source, prior, auto_cache, rates, reserve)


def tier_scale(models: Sequence[ModelInfo]) -> float:
    """How far the price marks of the tiers scale down for this catalog: 1 when its priciest cloud
    model reaches STRONG_PRICE, else that model's share of it (so it is strong, relative to the rest)."""
    prices = [m.price.output for m in models if m.price is not None and m.price.output and "local" not in m.tags]
    return min(1.0, max(prices) / STRONG_PRICE) if prices else 1.0


def tier_of(model: ModelInfo, tiers: Sequence[tuple[str, int]], scale: float = 1.0) -> tuple[int, str]:
    """(1 light | 2 standard | 3 strong, where it came from, a key of TIER_SOURCES): the routing
    section's `tiers`, then the model's own `tier:`, then a tier tag, then its output price
    relative to the catalog (`scale`, from tier_scale)."""
    for pattern, tier in tiers:
        if fnmatchcase(model.address, pattern):
            return tier, "routing"
    if model.tier is not None:
        return model.tier, "catalog"
    for tag in model.tags:
        if tag.startswith(("tier:", "tier-")) and tag[5:] in ("1", "2", "3"):
            return int(tag[5:]), "tag"
        if tag in _TIER_TAGS:
            return _TIER_TAGS[tag], "tag"
    output = model.price.output if model.price is not None else None
    if output is None:
        return 2, "unknown"
    return (3 if output >= STRONG_PRICE * scale else 2 if output >= STANDARD_PRICE * scale else 1), "price"


# A kind of turn, for learning answer lengths: (complexity, has code, the length asked for).
AnswerKind = tuple[str, bool, str]


def answer_kind(signals: Signals) -> AnswerKind:
    return (signals.complexity, signals.has_code, signals.answer_length)


def expected_output(signals: Signals, learned: Mapping[AnswerKind, tuple[int, int]] | None) -> tuple[int, int]:
    """(tokens, samples): the answer length expected for this turn — the median visible
    length of past answers of its kind (`learned`: kind → (median, samples)) once there are
    MIN_LENGTH_SAMPLES of them, else a guess from the prompt (samples 0)."""
    median, samples = (learned or {}).get(answer_kind(signals), (0, 0))
    if samples >= MIN_LENGTH_SAMPLES:
        return max(1, median), samples
    return output_tokens(signals), 0


def output_tokens(signals: Signals) -> int:
    """The answer length guessed from the prompt alone."""
    tokens = _BASE_OUTPUT[signals.complexity] + (300 if signals.has_code else 0)
    if signals.answer_length == "short":
        return max(60, tokens // 3)
    if signals.answer_length == "long":
        return tokens * 2
    return tokens


def figures(
    p: Profile, signals: Signals, stats: ModelStats | None, *, current: bool, expected_output: int,
    evidence: Evidence | None = None,
) -> Figures:
    model = p.model
    quality = learned_quality(tier_quality(p.tier), evidence)
    out = min(expected_output, model.max_output) if model.max_output else expected_output
    reasoning = int(out * _REASONING_SHARE[signals.complexity]) if "reasoning" in p.tags else 0
    total = signals.tokens + signals.history_tokens
    # The conversation's own model reads its history from the provider's cache; a new model cannot.
    cached = signals.history_tokens if current and p.auto_cache and signals.history_tokens >= CACHE_MIN_TOKENS else 0
    latency, measured = _latency(p.prior, stats, total, out + reasoning)
    cost = _cost(p.rates, (total - cached, cached, out, reasoning))
    return Figures(quality, total - cached, cached, out, reasoning, cost, latency, measured)


def tier_quality(tier: int) -> float:
    """The quality a tier stands for before any evidence: light 0.2, standard 0.5, strong 0.8."""
    return 0.2 + 0.3 * (tier - 1)


def _cost(rates: tuple[float | None, ...], tokens: tuple[int, ...]) -> float | None:
    """USD: each item at its own rate; None when an item used has no known price."""
    total = 0.0
    for rate, n in zip(rates, tokens):
        if n:
            if rate is None:
                return None
            total += n * rate
    return total / 1_000_000


def _latency(
    prior: tuple[float, float, float], stats: ModelStats | None, input_tokens: int, output: int
) -> tuple[float, bool]:
    ttft = prior[0] + input_tokens / prior[2]
    rate = prior[1]
    measured = False
    if stats is not None and stats.samples > 0:
        weight = stats.samples / (stats.samples + _PRIOR_WEIGHT)
        if stats.ttft_ms is not None:
            ttft = weight * stats.ttft_ms / 1000 + (1 - weight) * ttft
            measured = True
        if stats.tokens_per_s:
            rate = weight * stats.tokens_per_s + (1 - weight) * rate
            measured = True
    return ttft + output / rate, measured
