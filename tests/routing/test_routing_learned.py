"""Routing that learns: your compare votes and bench results per model and category, shrunk
toward the tier's prior, moving the router's choice, and said in its decision."""

from __future__ import annotations

import pytest

from mmchat.routing.learned import ALL, PRIOR_WEIGHT, Evidence, learn, quality, turn_categories
from tests.routing.helpers import route, rules_from

CODE = "Write a Python function that merges two sorted lists."


def test_votes_and_bench_results_are_split_by_category_and_kept_over_all_prompts():
    votes = [("a/x", "b/y", "a", ("code",))] * 3 + [("a/x", "b/y", "tie", ("creative", "multilingual"))]
    bench = [("a/x", ("code",), True), ("a/x", ("code",), False), ("a/x", ("facts",), True)]
    learned = learn(votes, bench)
    code = learned.by_model["a/x"]["code"]
    assert (code.wins, code.losses, code.ties, code.passes, code.answers) == (3, 0, 0, 1, 2)
    everything = learned.by_model["a/x"][ALL]
    assert (everything.wins, everything.ties, everything.passes, everything.answers) == (3, 1, 2, 3)
    assert "facts" not in learned.by_model["a/x"]  # not a category the router knows: all prompts only
    assert learned.by_model["b/y"]["multilingual"].ties == 1
    assert code.beats_average > 0.5 > learned.by_model["b/y"]["code"].beats_average
    assert learned.of("a/x", ("reasoning",)) is everything  # no evidence there: all prompts'
    assert learned.of("a/x", ("reasoning", "code")) is code
    assert learned.of("c/z", ("code",)) is None


def test_the_estimate_is_shrunk_toward_the_tiers_prior():
    assert quality(0.5, None) == 0.5
    # Bench: 4 of 4 passed against 8 virtual answers at 0.2: (0.2 × 8 + 4) / 12.
    assert quality(0.2, Evidence("code", passes=4, answers=4)) == pytest.approx((0.2 * PRIOR_WEIGHT + 4) / 12)
    # Forty cases at 95 % move a light model most of the way.
    assert quality(0.2, Evidence("code", passes=38, answers=40)) == pytest.approx((1.6 + 38) / 48)
    # Votes: 3 games at a 0.9 chance of beating the average: (0.8 × 8 + 0.9 × 3) / 11.
    assert quality(0.8, Evidence("code", wins=3, beats_average=0.9)) == pytest.approx((6.4 + 2.7) / 11)
    few = quality(0.8, Evidence("code", losses=2, beats_average=0.1))
    many = quality(0.8, Evidence("code", losses=40, beats_average=0.1))
    assert 0.6 < few < 0.8 and many < 0.3  # a handful of votes cannot swing everything


def test_the_lines_a_decision_says():
    assert Evidence("code", 14, 9, 0, 0.6, 37, 40).line() == "code: 14–9 in your votes; bench 92% of 40"
    assert Evidence("all", 1, 2, 3, 0.4).line() == "all: 1–2–3 in your votes"
    assert turn_categories("code", "de") == ("code", "multilingual")
    assert turn_categories("code", "en") == turn_categories("code", "und") == ("code",)


def test_bench_evidence_moves_a_code_prompt_to_the_model_that_passed(models):
    before = route(CODE, models)
    assert before.model != "lab/coder"
    learned = learn([], [("lab/coder", ("code",), True)] * 40 + [(before.model, ("code",), False)] * 40)
    after = route(CODE, models, learned=learned)
    assert after.model == "lab/coder"
    assert "code: bench 100% of 40" in after.why
    chosen = after.chosen
    assert any(r.startswith("your evidence +") for r in chosen.reasons)
    loser = next(c for c in after.candidates if c.model == before.model)
    assert "code: bench 0% of 40" in loser.reasons and any(r.startswith("your evidence -") for r in loser.reasons)


def test_evidence_from_other_prompts_counts_as_the_record_over_all_prompts(models):
    """Evidence from a category the turn is not in still counts, as all prompts' record."""
    learned = learn([], [("lab/coder", ("creative",), True)] * 40)
    assert route(CODE, models, learned=learned).chosen.model == "lab/coder"
    assert "all: bench 100% of 40" in route(CODE, models, learned=learned).why


def test_learning_off_in_the_config_ignores_the_evidence(models):
    learned = learn([], [("lab/coder", ("code",), True)] * 40)
    rules = rules_from("routing:\n  learning: false\n", models)
    decision = route(CODE, models, rules=rules, learned=learned)
    assert decision.model != "lab/coder" and "bench" not in decision.why
    assert all("bench" not in r for c in decision.candidates for r in c.reasons)


def test_a_pin_is_not_explained_by_evidence(models):
    from mmchat.routing import RouterState

    learned = learn([], [("lab/coder", ("code",), True)] * 40)
    decision = route(CODE, models, learned=learned, state=RouterState(pin="lab/coder"))
    assert decision.model == "lab/coder" and "bench" not in decision.why
