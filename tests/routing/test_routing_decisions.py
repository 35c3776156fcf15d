"""Whole decisions: hard filters, the privacy lock (fallbacks and pins included), staying on the
conversation's model, escalation, explicit choices, and decisions that are stable and storable."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass

import pytest

from mmchat.config import Budget
from mmchat.routing import Attachment, Conversation, ModelStats, Router, RouterState, Turn, decide
from tests.routing.helpers import DEFAULTS, load, route, rules_from

KEY = "sk-proj-Ab3dE5fG7hI9jK1lM3nO5pQ7rS9tU1vW"


@dataclass
class Msg:
    role: str
    content: str
    model: str | None = None
    status: str = "complete"


def on(model: str, tokens: int = 500) -> Conversation:
    """A conversation whose last answer came from `model`."""
    return Conversation(messages=(Msg("user", "hi"), Msg("assistant", "hello", model)), tokens=tokens)


def local(address: str) -> bool:
    return address.startswith("lab/")


# --- privacy ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("prompt", "reason"),
    [
        ("#private what do you make of my diary?", "tag #private"),
        (f"why does {KEY} return 401?", "OpenAI API key, line 1"),
        ("charge 4539 1488 0343 6467 again", "card number, line 1"),
    ],
)
def test_a_private_turn_goes_only_to_local_models(prompt: str, reason: str, models) -> None:
    d = route(prompt, models)
    assert d.private and reason in d.private_reasons
    assert local(d.model)
    assert d.fallbacks and all(local(a) for a in d.fallbacks)
    assert all(local(c.model) for c in d.candidates)
    cloud = {m.address for m in models if not local(m.address)}
    assert {r.model for r in d.rejected if r.filter == "privacy"} == cloud
    assert "private: local only" in d.line()


def test_a_locked_conversation_stays_local_until_unlocked(models) -> None:
    locked = RouterState(locked=True)
    d = route("what's the weather like on Mars?", models, state=locked, conversation=on("lab/llama"))
    assert d.private_reasons == ("conversation locked",)
    assert local(d.model) and all(local(a) for a in d.fallbacks)
    unlocked = route("what's the weather like on Mars?", models, conversation=on("lab/llama"))
    assert not unlocked.private


def test_private_and_no_local_model_is_held_never_sent(cloud_models) -> None:
    d = route("#private my medical results are ...", cloud_models)
    assert d.model is None and d.held
    assert d.fallbacks == () and d.candidates == ()
    assert "no local model is configured" in d.message
    assert d.line().startswith("held · the turn is private (tag #private) and no local model is configured")
    assert d.message.endswith("or remove the private data")  # nothing to unlock in a new conversation
    locked = route("and what now?", cloud_models, state=RouterState(locked=True))
    assert locked.held and locked.message.endswith("or unlock the conversation")
    both = route("#private more", cloud_models, state=RouterState(locked=True))
    assert both.message.endswith("or remove the private data and unlock the conversation")


def test_a_pinned_cloud_model_is_refused_on_a_locked_conversation(models) -> None:
    d = route("summarise our chat", models, state=RouterState(locked=True, pin="cloud/big"))
    assert local(d.model)
    assert d.mode == "auto"
    assert any("pin cloud/big refused" in n for n in d.notes)
    assert "cloud/big" not in d.fallbacks


def test_an_override_to_a_cloud_model_is_refused_when_the_turn_has_a_secret(models) -> None:
    d = route(f"deploy with {KEY}", models, state=RouterState(override="other/sonnet"))
    assert local(d.model)
    assert any("override other/sonnet refused" in n for n in d.notes)


def test_a_pinned_local_model_is_used_on_a_locked_conversation(models) -> None:
    d = route("hello", models, state=RouterState(locked=True, pin="lab/coder"))
    assert d.model == "lab/coder" and d.mode == "pin"


def test_private_and_the_local_provider_down_is_held(models) -> None:
    d = route("#private hello", models, health={"lab": "3 failures in a row; retried in 20 s"})
    assert d.model is None and d.held
    assert "no local model can take it" in d.message
    assert {r.filter for r in d.rejected} == {"privacy", "health"}


def test_a_rule_can_make_a_turn_private(models) -> None:
    rules = rules_from("routing:\n  rules:\n    - name: hr\n      when: {contains: salary}\n"
                       "      then: {private: true}\n", models)
    d = route("draft the salary review", models, rules=rules)
    assert d.private and d.private_reasons == ("rule 'hr'",)
    assert local(d.model)


def test_an_email_makes_a_turn_private_outside_code_only(models) -> None:
    d = route("reply to maria.garcia@gmail.com politely", models)
    assert d.private and d.private_reasons == ("email address, line 1",)
    assert d.signals.personal == ("email",)
    assert not route("```python\nSUPPORT = 'maria.garcia@gmail.com'\n```\nwhy does send fail?", models).private


# --- hard filters -----------------------------------------------------------------------------


def test_open_circuits_are_filtered_with_why(models) -> None:
    d = route("hello", models, health={"cloud": "3 failures in a row; retried in 25 s"})
    assert not d.model.startswith("cloud/")
    reasons = {r.model: r.reason for r in d.rejected if r.filter == "health"}
    assert set(reasons) == {m.address for m in models if m.provider == "cloud"}
    assert reasons["cloud/nano"] == "cloud skipped: 3 failures in a row; retried in 25 s"


def test_models_whose_context_cannot_hold_the_conversation_are_filtered(models) -> None:
    d = route("and now?", models, conversation=Conversation(tokens=150_000))
    too_small = {r.model for r in d.rejected if r.filter == "context"}
    assert too_small == {"cloud/mini", "cloud/nano", "lab/llama", "lab/coder"}
    assert "older turns left out" in next(r.reason for r in d.rejected if r.model == "cloud/mini")


def test_when_no_model_holds_the_conversation_the_oldest_turns_give_way(models) -> None:
    d = route("and now?", models, conversation=Conversation(tokens=5_000_000))
    assert d.model is not None
    assert any("oldest turns will be left out" in n for n in d.notes)


def test_a_prompt_too_big_for_a_model_filters_it_even_then(models) -> None:
    d = route("x", models, turn=Turn("x", attachments=(Attachment("book.txt", "text", tokens=40_000),)))
    assert {r.model for r in d.rejected if r.filter == "context"} == {"lab/llama", "lab/coder"}


def test_required_tags(models) -> None:
    d = route("describe it", models, turn=Turn("describe it", attachments=(Attachment("a.png", "image"),)))
    lacking = {r.model: r.reason for r in d.rejected if r.filter == "capability"}
    assert lacking["cloud/nano"] == "lacks vision (rule 'images need vision')"
    assert d.model in ("cloud/big", "other/haiku", "other/sonnet")


def test_excluded_models(models) -> None:
    rules = rules_from("routing:\n  rules:\n    - name: no other\n      then: {exclude: ['other/*']}\n", models)
    d = route("hello", models, rules=rules)
    assert {r.model for r in d.rejected if r.filter == "excluded"} == {"other/haiku", "other/sonnet"}


def test_budget_filters_what_this_turn_would_cost_too_much_on(models) -> None:
    state = RouterState(budget=Budget(conversation=1.0), spent_conversation=0.999)
    d = route("Explain how HTTP caching works", models, state=state, conversation=Conversation(tokens=1000))
    over = {r.model: r.reason for r in d.rejected if r.filter == "budget"}
    assert "other/sonnet" in over and "cloud/mini" in over and "cloud/nano" not in over
    assert over["cloud/mini"].endswith("> $0.0010 left")
    assert d.chosen.cost_usd <= 0.001


def test_a_spent_budget_with_no_free_model_says_so_and_how_to_send_anyway(models, cloud_models) -> None:
    state = RouterState(budget=Budget(day=1.0), spent_day=1.2)
    assert local(route("Explain how HTTP caching works", models, state=state).model)  # a free model takes it
    d = route("Explain how HTTP caching works", cloud_models, state=state)
    assert d.model is None and {r.filter for r in d.rejected} == {"budget"}
    assert d.message == (
        "every model's estimate passes the budget left ($0) and none is free — choose a model to send anyway"
    )


# --- staying, rules, pins, overrides, escalation -----------------------------------------------------


def test_the_conversation_stays_on_its_model(models) -> None:
    d = route("and what about the second point?", models, conversation=on("other/sonnet"))
    assert d.model == "other/sonnet" and d.mode == "stay"
    assert "stays on the conversation's model" in d.why


def test_a_rule_that_names_a_policy_moves_the_conversation(models) -> None:
    d = route("#fast and the second point?", models, conversation=on("other/sonnet"))
    assert d.mode == "auto" and d.policy == "fastest"
    assert d.model != "other/sonnet"


def test_a_stronger_tier_asked_for_moves_the_conversation(models) -> None:
    hard = "Prove that there are infinitely many primes, step by step."
    d = route(hard, models, conversation=on("cloud/nano"))
    assert d.mode == "auto" and d.chosen.tier == "strong"
    assert route(hard, models, conversation=on("cloud/thinker")).mode == "stay"


def test_a_capability_needed_moves_the_conversation_to_a_model_with_it(models) -> None:
    hard = "Prove that there are infinitely many primes, step by step."
    d = route(hard, models, conversation=on("cloud/big"))  # strong, but not tagged reasoning
    assert d.mode == "auto" and d.model == "cloud/thinker"
    big = next(c for c in d.candidates if c.model == "cloud/big")
    assert any("lacks reasoning" in reason for reason in big.reasons)


def test_a_conversation_model_that_fails_a_filter_is_left(models) -> None:
    d = route("hello", models, conversation=on("cloud/nano"), health={"cloud": "open"})
    assert d.mode == "auto" and not d.model.startswith("cloud/")


def test_a_rules_model_is_used(models) -> None:
    rules = rules_from("routing:\n  rules:\n    - name: sql\n      when: {contains: select}\n"
                       "      then: {use: cloud/thinker}\n", models)
    d = route("select * from t where x = 1", models, rules=rules, conversation=on("cloud/mini"))
    assert d.model == "cloud/thinker" and d.mode == "rule"
    assert d.why.startswith("rule 'sql'")


def test_a_rules_model_that_is_filtered_out_gives_way_with_a_note(models) -> None:
    rules = rules_from("routing:\n  rules:\n    - name: sql\n      when: {contains: select}\n"
                       "      then: {use: cloud/thinker}\n", models)
    d = route("select * from t", models, rules=rules, health={"cloud": "open"})
    assert not d.model.startswith("cloud/")
    assert d.notes == ("rule 'sql' asks for cloud/thinker: filtered out (cloud skipped: open)",)
    assert d.mode == "auto" and d.why.startswith("instead of cloud/thinker (provider skipped), ")


def test_a_pin_is_used_as_it_is_and_warned_about(models) -> None:
    d = route("hello", models, state=RouterState(pin="cloud/nano"), health={"cloud": "open"})
    assert d.model == "cloud/nano" and d.mode == "pin" and d.why.startswith("pinned")
    assert any("cloud is being skipped" in n for n in d.notes)
    assert d.fallbacks == ()  # the user chose it: no other model answers in its place
    override = route("hello", models, state=RouterState(override="cloud/nano"))
    assert override.fallbacks == () and route("hello", models).fallbacks  # routed turns have some


def test_an_override_wins_over_a_pin_for_one_turn(models) -> None:
    d = route("hello", models, state=RouterState(pin="cloud/nano", override="other/haiku"))
    assert d.model == "other/haiku" and d.mode == "override"


def test_a_pin_the_catalog_does_not_list_is_used_as_given(models) -> None:
    d = route("hello", models, state=RouterState(pin="cloud/preview-2"))
    assert d.model == "cloud/preview-2"
    assert d.candidates[0].model == "cloud/preview-2" and d.candidates[0].cost_usd is None


def test_escalation_picks_a_stronger_tier(models) -> None:
    d = route("hello", models, state=RouterState(escalate_from="cloud/nano"))
    assert d.mode == "escalate" and d.chosen.tier in ("standard", "strong")
    assert d.chosen.tier == "standard"  # the cheapest step up for an easy turn
    d = route("hello", models, state=RouterState(escalate_from="cloud/mini"))
    assert d.chosen.tier == "strong"
    assert all(c.tier == "strong" for c in d.candidates)
    assert {r.model for r in d.rejected if r.filter == "escalation"} >= {"cloud/nano", "cloud/mini"}


def test_escalation_from_the_strongest_tier_finds_nothing(models) -> None:
    d = route("hello", models, state=RouterState(escalate_from="other/sonnet"))
    assert d.model is None and not d.held
    assert d.message == "no model stronger than other/sonnet (strong) can take this turn"


def test_escalation_stays_within_the_privacy_lock(models) -> None:
    d = route("hello", models, state=RouterState(locked=True, escalate_from="lab/llama"))
    assert d.model is None and d.held  # no local model is stronger than a light one


# --- retry on the next model ------------------------------------------------------------------


def test_the_next_model_is_the_one_after_the_answers_model_in_its_routing_order(models) -> None:
    first = route("hello", models)
    chain = (first.model, *first.fallbacks)
    d = route("hello", models, conversation=on(chain[0]), state=RouterState(next_after=chain[0], chain=chain))
    assert d.mode == "next" and d.model == chain[1]
    assert d.why.startswith(f"next after {chain[0]}")
    assert chain[0] not in d.fallbacks and chain[0] not in {c.model for c in d.candidates}
    assert any(r.model == chain[0] and r.filter == "next" for r in d.rejected)
    # From the second model (the chosen one failed before its first token), the third is next.
    d = route("hello", models, state=RouterState(next_after=chain[1], chain=chain))
    assert d.model == chain[2]


def test_the_next_model_skips_what_is_no_longer_allowed(models) -> None:
    chain = ("cloud/nano", "other/haiku", "cloud/mini")
    d = route("hello", models, state=RouterState(next_after="cloud/nano", chain=chain), health={"other": "circuit open"})
    assert d.model == "cloud/mini"  # haiku's provider is skipped now
    d = route("hello", models, state=RouterState(next_after="lab/llama", chain=("lab/llama", "cloud/nano"), locked=True))
    assert d.model == "lab/coder"  # the lock holds: the cloud model of the old chain is not next


def test_without_a_stored_order_the_next_model_is_the_best_other_one(models) -> None:
    first = route("hello", models)
    best, runner_up, last = first.model, first.fallbacks[0], first.fallbacks[-1]
    assert runner_up != last
    d = route("hello", models, state=RouterState(next_after=best))
    assert d.mode == "next" and d.model == runner_up
    # An order used up after the answer's model (nothing after it) also falls to the best other,
    # not to a model earlier in that order.
    used_up = route("hello", models, state=RouterState(next_after=best, chain=(last, best)))
    assert used_up.model == runner_up


def test_a_pin_gives_way_to_the_next_model_and_an_override_wins_over_it(models) -> None:
    d = route("hello", models, state=RouterState(pin="cloud/nano", next_after="cloud/nano"))
    assert d.mode == "next" and d.model != "cloud/nano"
    d = route("hello", models, state=RouterState(override="other/haiku", next_after="other/haiku"))
    assert d.mode == "override" and d.model == "other/haiku"


def test_no_next_model_says_so(models) -> None:
    d = route("hello", models, state=RouterState(locked=True, next_after="lab/llama"), health={"lab": "circuit open"})
    assert d.model is None and d.held  # the lock leaves only local models, and their provider is down
    only = [m for m in models if m.address == "cloud/nano"]
    d = route("hello", only, state=RouterState(next_after="cloud/nano"))
    assert d.model is None and not d.held
    assert d.message == "no model other than cloud/nano can take this turn — see the filtered models"


# --- the expected answer length --------------------------------------------------------------


def test_past_answers_of_the_same_kind_set_the_expected_length_and_so_the_cost(models) -> None:
    guessed = route("hello", models)
    assert guessed.expected_output[1] == 0
    kind = ("simple", False, "normal")
    few = route("hello", models, lengths={kind: (3000, 4)})
    assert few.expected_output == guessed.expected_output  # four answers are not enough yet
    learned = route("hello", models, lengths={kind: (3000, 12)})
    assert learned.expected_output == (3000, 12)
    cost = {c.model: c.cost_usd for c in guessed.candidates}
    for c in learned.candidates:
        assert c.output_tokens == 3000
        if cost[c.model]:
            assert c.cost_usd > cost[c.model]
    other_kind = route("def f(x):\n    return x\n\nwhat does this do?", models, lengths={kind: (3000, 12)})
    assert other_kind.expected_output[1] == 0  # code is another kind


# --- the decision as a value -----------------------------------------------------------------


def test_same_input_same_decision_whatever_the_order_of_the_models(models) -> None:
    stats = {"cloud/mini": ModelStats(ttft_ms=400, tokens_per_s=90, samples=5)}
    prompts = ["hello", "Explain how HTTP caching works", "```python\nx=1\n```\nwhy?", "#private hi"]
    for prompt in prompts:
        first = route(prompt, models, stats=stats).to_dict()
        for seed in range(5):
            shuffled = models[:]
            random.Random(seed).shuffle(shuffled)
            assert route(prompt, shuffled, stats=stats).to_dict() == first


def test_ties_are_broken_by_address(models) -> None:
    d = route("#private hi", models)
    assert d.model == "lab/coder"  # lab/coder and lab/llama score the same


def test_the_decision_is_json_and_keeps_no_secret(models) -> None:
    d = route(f"#private why does {KEY} fail?", models)
    data = json.loads(json.dumps(d.to_dict()))
    assert data["model"] == d.model and data["private"] is True
    assert data["signals"]["secrets"] == ["openai-key"]
    assert KEY not in json.dumps(data) and "prompt" not in data
    assert d.prompt == f"why does {KEY} fail?"  # the text to send, tags stripped
    assert set(data) >= {"why", "mode", "policy", "candidates", "rejected", "rules", "fallbacks", "held", "notes"}


def test_candidates_carry_cost_score_tier_and_reasons(models) -> None:
    d = route("Explain how HTTP caching works", models)
    top = d.candidates[0]
    assert top.model == d.model
    assert top.cost_usd is not None and top.cost_usd > 0 and 0 < top.score <= 1.2
    scores = [c.score for c in d.candidates]
    assert scores == sorted(scores, reverse=True)
    assert d.line() == f"→ {d.model} · {d.why}"
    assert len(d.fallbacks) == 3 and d.model not in d.fallbacks


def test_the_fallback_chain_length_follows_the_config(models) -> None:
    rules = rules_from("routing:\n  fallbacks: 1\n", models)
    assert len(route("hello", models, rules=rules).fallbacks) == 1


def test_candidates_patterns_limit_the_pool(models) -> None:
    rules = rules_from("routing:\n  candidates: ['other/*']\n", models)
    d = route("hello", models, rules=rules)
    assert {c.model for c in d.candidates} == {"other/haiku", "other/sonnet"}


def test_discovered_cloud_models_are_not_candidates_by_default() -> None:
    from mmchat.catalog import Catalog
    from tests.routing.helpers import CONFIG

    config, _ = load()
    catalog = Catalog.build(config)
    catalog.add_discovered("cloud", ["exp-1", "exp-2"])
    catalog.add_discovered("lab", ["qwen3"])
    router = Router(catalog.models(), DEFAULTS)
    assert "cloud/exp-1" not in router.pool and "lab/qwen3" in router.pool
    assert CONFIG  # the config the catalog was built from


def test_decide_is_the_router_in_one_call(models) -> None:
    args = (Turn("hello"), Conversation(), models, {}, DEFAULTS, RouterState())
    assert decide(*args).to_dict() == Router(models, DEFAULTS).decide(Turn("hello"), Conversation(), {},
                                                                     RouterState()).to_dict()
