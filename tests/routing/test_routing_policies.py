"""Policies: cost from the turn's own token mix, speed from measurements, quality from tiers and compares."""

from __future__ import annotations

import pytest

from mmchat.routing import Conversation, ModelStats, RouterState, Turn
from mmchat.routing.estimate import figures, profile
from mmchat.routing.signals import compute_signals
from tests.routing.helpers import load, route, rules_from

TWO = """\
providers:
  cloud: {type: openai, base_url: "https://api.cloud.test/v1"}
models:
  cloud/reader:     # cheap to read, dear to write
    price: {input: 0.10, output: 20.00}
  cloud/writer:     # dear to read, cheap to write
    price: {input: 5.00, output: 1.00}
"""


def two_models():
    return load(TWO)[1]


def cheapest(models, **kwargs):
    return rules_from("routing:\n  policy: cheapest\n  defaults: false\n", models, **kwargs)


def test_cheapest_prices_the_turns_own_token_mix() -> None:
    # Summed per-token prices ($20.10 vs $6.00) would always pick the writer; the turn's mix decides.
    models = two_models()
    long_prompt = route("hi", models, rules=cheapest(models), conversation=Conversation(tokens=50_000))
    assert long_prompt.model == "cloud/reader"  # 50k tokens in, a few hundred out
    short_prompt = route("Write a detailed essay on rivers", models, rules=cheapest(models))
    assert short_prompt.model == "cloud/writer"  # a handful in, a long answer out
    reader = next(c for c in long_prompt.candidates if c.model == "cloud/reader")
    expected = ((50_000 + 1) * 0.10 + 150 * 20.00) / 1_000_000  # 'hi' is one token, small talk writes ~150
    assert reader.cost_usd == pytest.approx(expected)


def test_the_conversations_model_reads_its_history_from_the_cache(models) -> None:
    s = compute_signals(Turn("and then?"), Conversation(tokens=20_000), RouterState())
    mini = profile(next(m for m in models if m.address == "cloud/mini"), ())
    stay = figures(mini, s, None, current=True, expected_output=100)
    move = figures(mini, s, None, current=False, expected_output=100)
    assert stay.cached_tokens == 20_000 and move.cached_tokens == 0
    assert stay.cost == pytest.approx(((s.tokens) * 0.40 + 20_000 * 0.10 + 100 * 1.60) / 1e6)
    assert move.cost > stay.cost
    # A provider that caches only when asked (a cache write price) gets no such discount.
    sonnet = profile(next(m for m in models if m.address == "other/sonnet"), ())
    assert figures(sonnet, s, None, current=True, expected_output=100).cached_tokens == 0


def test_hidden_reasoning_is_billed_for_reasoning_models(models) -> None:
    s = compute_signals(Turn("Explain how DNS works"), Conversation(), RouterState())
    thinker = profile(next(m for m in models if m.address == "cloud/thinker"), ())
    big = profile(next(m for m in models if m.address == "cloud/big"), ())
    f = figures(thinker, s, None, current=False, expected_output=400)
    assert f.reasoning_tokens == 400
    assert f.cost == pytest.approx((s.tokens * 1.25 + 400 * 10.0 + 400 * 10.0) / 1e6)
    assert figures(big, s, None, current=False, expected_output=400).reasoning_tokens == 0


def test_unknown_prices_rank_after_known_ones() -> None:
    text = TWO + "  cloud/mystery: {}\n"
    models = load(text)[1]
    d = route("hello", models, rules=cheapest(models))
    mystery = next(c for c in d.candidates if c.model == "cloud/mystery")
    assert mystery.cost_usd is None
    assert d.candidates[-1].model == "cloud/mystery"
    assert "price unknown" in " ".join(mystery.reasons)


def test_cheapest_takes_the_free_local_model_for_an_easy_turn(models) -> None:
    d = route("hello", models, rules=cheapest(models))
    assert d.model.startswith("lab/") and d.chosen.cost_usd == 0
    assert "free" in d.why


def test_cheapest_capable_respects_the_tier_a_rule_asks_for(models) -> None:
    rules = rules_from("routing:\n  policy: cheapest\n  rules:\n    - name: hard\n      when: {math: true}\n"
                       "      then: {tier: strong}\n  defaults: false\n", models)
    d = route("Solve for x: 2x + 3 = 7", models, rules=rules)
    assert d.chosen.tier == "strong"
    assert d.model == "cloud/big"  # the cheapest strong model for this turn


def test_fastest_uses_measured_speed_over_priors(models) -> None:
    rules = rules_from("routing:\n  policy: fastest\n  defaults: false\n", models)
    unmeasured = route("hello", models, rules=rules)
    assert unmeasured.model in ("cloud/mini", "cloud/nano", "other/haiku")  # tagged fast: fast priors
    stats = {"cloud/big": ModelStats(ttft_ms=90, tokens_per_s=400, samples=30)}
    measured = route("hello", models, rules=rules, stats=stats)
    assert measured.model == "cloud/big"
    assert "speed measured over 30 answers" in measured.chosen.reasons  # said in the decision
    assert not any("measured" in r for c in unmeasured.candidates for r in c.reasons)


def test_few_measurements_move_the_estimate_less_than_many(models) -> None:
    s = compute_signals(Turn("hello"), Conversation(), RouterState())
    big = profile(next(m for m in models if m.address == "cloud/big"), ())
    prior = figures(big, s, None, current=False, expected_output=150).latency_s
    one = figures(big, s, ModelStats(ttft_ms=50, tokens_per_s=500, samples=1), current=False, expected_output=150)
    many = figures(big, s, ModelStats(ttft_ms=50, tokens_per_s=500, samples=50), current=False, expected_output=150)
    assert prior > one.latency_s > many.latency_s
    assert many.measured


def test_best_quality_by_tier_then_your_evidence(models) -> None:
    from mmchat.routing.learned import learn

    rules = rules_from("routing:\n  policy: best\n  defaults: false\n", models)
    d = route("hello", models, rules=rules)
    strong = [c.model for c in d.candidates if c.tier == "strong"]
    assert d.model in strong and set(strong) == {"cloud/big", "cloud/thinker", "other/sonnet"}
    votes = [("other/sonnet", "cloud/big", "a", ("everyday",))] * 12
    learned = learn(votes, [])
    d = route("hello", models, rules=rules, learned=learned)
    assert d.model == "other/sonnet"
    assert "all: 12–0 in your votes" in d.why  # no vote on a light prompt: all prompts' record


def test_tiers_from_config_and_tags_override_the_price() -> None:
    text = TWO.replace("price: {input: 5.00, output: 1.00}", "price: {input: 5.00, output: 1.00}\n    tags: [tier:3]")
    models = load(text)[1]
    assert profile(next(m for m in models if m.address == "cloud/writer"), ()).tier == 3
    rules = rules_from("routing:\n  tiers: {cloud/reader: light}\n", models)
    assert rules.tiers == (("cloud/reader", 1),)
    assert profile(next(m for m in models if m.address == "cloud/reader"), rules.tiers).tier == 1


def test_balanced_is_cheap_for_easy_turns_and_strong_for_hard_ones(models) -> None:
    assert route("thanks!", models).chosen.tier == "light"
    assert route("Explain how HTTP caching works", models).chosen.tier == "standard"
    hard = route("Prove that the square root of 2 is irrational, step by step.", models)
    assert hard.chosen.tier == "strong"


def test_preferred_tags_add_to_the_score(models) -> None:
    rules = rules_from("routing:\n  defaults: false\n  rules:\n    - name: code\n      when: {has_code: true}\n"
                       "      then: {prefer: [code]}\n", models)
    d = route("```\nx = 1\n```\nok?", models, rules=rules)
    coders = {m.address for m in models if "code" in m.tags}
    assert d.model in coders
    assert any("has code" in c.reasons for c in d.candidates if c.model in coders)
