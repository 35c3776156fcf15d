"""The Bradley–Terry fit with ties (half a win each) behind the leaderboard."""

from __future__ import annotations

import math

import pytest

from mmchat.routing.ratings import Rating, fit

A, B, C = "lab/a", "lab/b", "lab/c"


def test_two_models_three_wins_to_one_match_the_hand_computation():
    """By hand, without a prior: the likelihood is q³(1 − q) with q = π_A / (π_A + π_B),
    maximal at q = 3/4, so π_A / π_B = 3. With the geometric mean at 1000,
    θ_A − mean = ln 3 / 2, and the score is 1000 + 400 · log10(3) / 2 = 1095.4242509…;
    B is its mirror, 904.5757490….

    Interval: the Fisher information of d = θ_A − θ_B is n q (1 − q) = 4 · 3/4 · 1/4 = 3/4,
    so Var(d) = 4/3 and Var(θ_A − mean) = Var(d / 2) = 1/3; the 95 % half-width is
    1.959964 · (400 / ln 10) · √(1/3) = 196.5877…."""
    ratings = fit([(A, B, "a")] * 3 + [(A, B, "b")], prior=0)
    half = 1.959963984540054 * 400 / math.log(10) * math.sqrt(1 / 3)
    assert ratings[A].score == pytest.approx(1000 + 200 * math.log10(3), abs=1e-6)
    assert ratings[B].score == pytest.approx(1000 - 200 * math.log10(3), abs=1e-6)
    assert ratings[A].high - ratings[A].score == pytest.approx(half, abs=1e-6)
    assert ratings[A].score - ratings[A].low == pytest.approx(half, abs=1e-6)
    assert (ratings[A].wins, ratings[A].losses, ratings[A].ties) == (3, 1, 0)
    assert (ratings[B].wins, ratings[B].losses, ratings[B].ties) == (1, 3, 0)


def test_a_tie_is_half_a_win_each():
    """By hand: 2 wins for A and 2 ties score A 2 + 2/2 = 3 and B 0 + 2/2 = 1 out of 4
    games — the same as 3 wins to 1, so π_A / π_B = 3 again."""
    ratings = fit([(A, B, "a")] * 2 + [(A, B, "tie")] * 2, prior=0)
    assert ratings[A].score == pytest.approx(1000 + 200 * math.log10(3), abs=1e-6)
    assert (ratings[A].wins, ratings[A].losses, ratings[A].ties) == (2, 0, 2)
    assert (ratings[B].wins, ratings[B].losses, ratings[B].ties) == (0, 2, 2)


def test_a_balanced_cycle_rates_every_model_average():
    """By hand: A beats B, B beats C, C beats A, once each: every model scores 1 of 2,
    so equal strengths are the fixed point, with or without the prior."""
    outcomes = [(A, B, "a"), (B, C, "a"), (C, A, "a")]
    for prior in (0, 1):
        ratings = fit(outcomes, prior=prior)
        assert [r.score for r in ratings.values()] == pytest.approx([1000.0] * 3, abs=1e-6)


def test_the_prior_has_the_symmetric_fixed_point():
    """With one virtual tie each against the reference (π = 1), A beating B once:
    swapping the names and inverting the strengths maps the problem onto itself, so
    π_B = 1 / π_A, and π_A = x solves x² / (x² + 1) + x / (x + 1) = 3/2 (A's score:
    1 win + half the virtual tie)."""
    ratings = fit([(A, B, "a")])
    x = math.exp((ratings[A].score - 1000) / (400 / math.log(10)))
    assert x * x / (x * x + 1) + x / (x + 1) == pytest.approx(1.5, abs=1e-9)
    assert ratings[A].score - 1000 == pytest.approx(1000 - ratings[B].score, abs=1e-6)


def test_swapping_a_and_b_gives_the_same_ratings():
    outcomes = [(A, B, "a"), (A, B, "a"), (B, C, "tie"), (C, A, "b"), (C, B, "a"), (A, C, "tie")]
    flip = {"a": "b", "b": "a", "tie": "tie", "both_bad": "both_bad"}
    swapped = [(y, x, flip[o]) for x, y, o in outcomes]
    first, second = fit(outcomes), fit(swapped)
    assert first.keys() == second.keys()
    for model in first:
        for field in ("score", "low", "high"):
            assert getattr(first[model], field) == pytest.approx(getattr(second[model], field), abs=1e-6)
        assert first[model].wins == second[model].wins
        assert first[model].losses == second[model].losses
        assert first[model].ties == second[model].ties


def test_a_model_that_always_wins_stays_finite():
    ratings = fit([(A, B, "a")] * 50 + [(C, A, "b")] * 50)
    assert all(math.isfinite(v) for r in ratings.values() for v in (r.score, r.low, r.high))
    assert ratings[A].score > ratings[B].score
    assert ratings[A].low < ratings[A].score < ratings[A].high


def test_more_data_narrows_the_interval():
    few = fit([(A, B, "a")] * 3 + [(A, B, "b")])
    many = fit([(A, B, "a")] * 30 + [(A, B, "b")] * 10)
    width = lambda r: r.high - r.low  # noqa: E731
    assert width(many[A]) < width(few[A]) / 2
    assert width(many[B]) < width(few[B]) / 2


def test_ties_pull_ratings_together():
    plain = fit([(A, B, "a")] * 3 + [(A, B, "b")])
    tied = fit([(A, B, "a")] * 3 + [(A, B, "b")] + [(A, B, "tie")] * 10)
    assert 0 < tied[A].score - tied[B].score < plain[A].score - plain[B].score


def test_both_bad_and_self_comparisons_are_ignored():
    base = [(A, B, "a"), (A, B, "b"), (A, B, "a")]
    ratings = fit(base + [(A, B, "both_bad"), (B, C, "both_bad"), (A, A, "a")])
    assert ratings == fit(base)
    assert set(ratings) == {A, B}
    assert fit([]) == {} and fit([(A, B, "both_bad")]) == {}


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="unknown outcome 'win'"):
        fit([(A, B, "win")])
    with pytest.raises(ValueError, match="prior must be >= 0"):
        fit([(A, B, "a")], prior=-1)
    assert isinstance(fit([(A, B, "a")])[A], Rating)


def test_many_near_even_games_with_a_prior_match_minorization_maximization():
    """Thousands of games against a prior of one (where MM crawls): the fit lands where
    Hunter's MM iteration, run here to convergence as an independent check, lands."""
    import random

    rng = random.Random(7)
    models = [f"m{i}" for i in range(5)]
    outcomes = []
    for _ in range(3000):
        a, b = rng.sample(models, 2)
        r = rng.random()
        outcomes.append((a, b, "a" if r < 0.47 else "b" if r < 0.94 else "tie"))
    ratings = fit(outcomes, prior=1.0)
    # MM: π_i ← W_i / (Σ_j n_ij / (π_i + π_j) + prior / (π_i + 1)), W_i with half a win per tie and prior / 2.
    score = {m: 0.5 for m in models}
    games: dict[tuple[str, str], int] = {}
    for a, b, outcome in outcomes:
        score[a] += {"a": 1.0, "b": 0.0, "tie": 0.5}[outcome]
        score[b] += {"a": 0.0, "b": 1.0, "tie": 0.5}[outcome]
        games[(a, b)] = games.get((a, b), 0) + 1
        games[(b, a)] = games.get((b, a), 0) + 1
    p = {m: 1.0 for m in models}
    for _ in range(200_000):
        new = {
            i: score[i] / (sum(games.get((i, j), 0) / (p[i] + p[j]) for j in models if j != i) + 1.0 / (p[i] + 1.0))
            for i in models
        }
        done = max(abs(math.log(new[m] / p[m])) for m in models) < 1e-12
        p = new
        if done:
            break
    mean = sum(math.log(v) for v in p.values()) / len(models)
    for m in models:
        expected = 1000 + 400 / math.log(10) * (math.log(p[m]) - mean)
        assert ratings[m].score == pytest.approx(expected, abs=1e-6)
