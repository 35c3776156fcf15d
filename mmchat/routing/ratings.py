"""Ratings from pairwise verdicts: a Bradley–Terry fit with ties. Pure: no I/O.

    ratings = fit((p.model_a, p.model_b, p.outcome) for p in store.voted_pairs())
    ratings["openai/gpt-4o"].score, .low, .high, .wins, .losses, .ties

The model: model i beats model j with probability π_i / (π_i + π_j).

Ties count as half a win for each side (the rule LMArena's leaderboard uses),
rather than Davidson's (1970) extension with a fitted tie parameter ν. Why:
- under Davidson, ties move ν, not the strengths' ratio: for two models its
  maximum-likelihood ratio is W / L whatever the number of ties T, so "3 wins to
  1 and 20 ties" rates like "3 to 1". The half rule gives (W + T/2) / (L + T/2):
  ties are evidence that two models are close and pull their ratings together,
  which is what a leaderboard of one user's verdicts should show;
- the votes are one user's, tens rather than thousands: one parameter fewer to
  estimate from them, and the fit stays a plain, concave Bradley–Terry
  log-likelihood, maximised by Newton steps that only climb, checked by hand
  in tests.
'both_bad' outcomes say nothing about which model is better and are ignored.

The prior: every model plays `prior` virtual ties (half a win, half a loss)
against a fixed reference of strength 1, so a model that never lost has a
finite rating and a model seen once stays near the average. `prior=0` gives the
plain maximum-likelihood fit (finite only when the comparison graph is strongly
connected).

Scores are on an Elo-like scale: 400 points per factor 10 in the odds, 1000 =
the geometric mean of the models fitted (the average model). The 95 % interval
is score ± 1.96 standard errors from the Fisher information of the log
strengths, taken relative to that average.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable

AVERAGE = 1000.0
SCALE = 400.0 / math.log(10.0)  # Elo points per unit of log strength
Z95 = 1.959963984540054
OUTCOMES = frozenset({"a", "b", "tie", "both_bad"})
TOLERANCE = 1e-10  # the fit ends when no log strength moves more than this in a step
MAX_STEPS = 200  # Newton's method takes a handful; this only bounds a pathological case


@dataclass(frozen=True)
class Rating:
    score: float  # Elo-like: 1000 = average
    low: float  # the 95 % interval
    high: float
    wins: int
    losses: int
    ties: int


def fit(
    outcomes: Iterable[tuple[str, str, str]],
    *,
    prior: float = 1.0,
) -> dict[str, Rating]:
    """Ratings per model from (model_a, model_b, outcome) with outcome 'a', 'b', 'tie' or
    'both_bad' (ignored); a model compared with itself tells nothing and is skipped.
    Models in the answer are those of at least one counted outcome, sorted by name."""
    if prior < 0:
        raise ValueError(f"the prior must be >= 0, got {prior}")
    wins: dict[str, int] = {}
    losses: dict[str, int] = {}
    ties: dict[str, int] = {}
    games: dict[tuple[str, str], float] = {}  # unordered pair (sorted) → games played
    for model_a, model_b, outcome in outcomes:
        if outcome not in OUTCOMES:
            raise ValueError(f"unknown outcome {outcome!r}: use one of {', '.join(sorted(OUTCOMES))}")
        if outcome == "both_bad" or model_a == model_b:
            continue
        for m in (model_a, model_b):
            wins.setdefault(m, 0), losses.setdefault(m, 0), ties.setdefault(m, 0)
        if outcome == "a":
            wins[model_a] += 1
            losses[model_b] += 1
        elif outcome == "b":
            wins[model_b] += 1
            losses[model_a] += 1
        else:
            ties[model_a] += 1
            ties[model_b] += 1
        key = (model_a, model_b) if model_a < model_b else (model_b, model_a)
        games[key] = games.get(key, 0.0) + 1.0
    models = sorted(wins)
    if not models:
        return {}
    index = {m: i for i, m in enumerate(models)}
    k = len(models)
    n = [[0.0] * k for _ in range(k)]
    for (x, y), count in games.items():
        n[index[x]][index[y]] = n[index[y]][index[x]] = count
    # Half a win per tie, plus the prior's half win against the reference.
    score = [wins[m] + ties[m] / 2 + prior / 2 for m in models]
    strengths = _strengths(n, score, prior)
    theta = [math.log(p) for p in strengths]
    mean = sum(theta) / k
    variances = _centred_variances(n, strengths, prior)
    ratings = {}
    for i, m in enumerate(models):
        centre = AVERAGE + SCALE * (theta[i] - mean)
        half = Z95 * SCALE * math.sqrt(max(variances[i], 0.0))
        ratings[m] = Rating(centre, centre - half, centre + half, wins[m], losses[m], ties[m])
    return ratings


def _strengths(n: list[list[float]], score: list[float], prior: float) -> list[float]:
    """Strengths maximising the Bradley–Terry likelihood, by Newton's method on the log
    strengths θ with step halving (the log-likelihood is concave, so each accepted step
    climbs): gradient W_i − Σ_j n_ij q_ij − prior q_i0, Hessian −I (`_information`), the
    reference (π = 1) a player met `prior` times. Without a prior only differences are
    identified: the step uses (I + J/k) and θ is kept centred (geometric mean of π = 1).

    Minorization–maximization (Hunter 2004) reaches the same point but crawls when many
    games meet a small prior (the overall level moves by about prior / games a step): it
    took ~400 ms for 14,000 outcomes where this takes a few."""
    k = len(score)
    if any(s <= 0 for s in score):
        raise ValueError("a model with no win, tie or prior cannot be rated: use a prior > 0")
    theta = [0.0] * k
    current = _log_likelihood(n, score, prior, theta)
    for _ in range(MAX_STEPS):
        p = [math.exp(t) for t in theta]
        gradient = [
            score[i] - sum(n[i][j] * p[i] / (p[i] + p[j]) for j in range(k) if n[i][j]) - prior * p[i] / (p[i] + 1.0)
            for i in range(k)
        ]
        info = _information(n, p, prior)
        if prior == 0:
            info = [[v + 1.0 / k for v in row] for row in info]
        inverse = _inverse(info)
        if any(math.isinf(inverse[i][i]) for i in range(k)):
            raise ValueError("the comparisons do not connect every model: use a prior > 0")
        step = [sum(inverse[i][j] * gradient[j] for j in range(k)) for i in range(k)]
        size = 1.0
        while True:
            moved = [t + size * d for t, d in zip(theta, step)]
            if prior == 0:
                centre = sum(moved) / k
                moved = [t - centre for t in moved]
            value = _log_likelihood(n, score, prior, moved)
            if value >= current or size < 1e-12:
                break
            size /= 2
        change = max(abs(a - b) for a, b in zip(moved, theta))
        theta, current = moved, value
        if change < TOLERANCE:
            break
    return [math.exp(t) for t in theta]


def _log_likelihood(n: list[list[float]], score: list[float], prior: float, theta: list[float]) -> float:
    """Σ W_i θ_i − Σ_{i<j} n_ij log(π_i + π_j) − prior Σ_i log(π_i + 1), up to a constant."""
    k = len(theta)
    total = sum(w * t for w, t in zip(score, theta))
    for i in range(k):
        total -= prior * _log_add(theta[i], 0.0)
        for j in range(i + 1, k):
            if n[i][j]:
                total -= n[i][j] * _log_add(theta[i], theta[j])
    return total


def _log_add(x: float, y: float) -> float:
    """log(e^x + e^y) without overflow."""
    high, low = (x, y) if x >= y else (y, x)
    return high + math.log1p(math.exp(low - high))


def _information(n: list[list[float]], p: list[float], prior: float) -> list[list[float]]:
    """The Fisher information of the log strengths: I_ii = Σ_j n_ij q_ij (1 − q_ij) (+ the
    prior's games against the reference), I_ij = −n_ij q_ij (1 − q_ij), q_ij = π_i / (π_i + π_j)."""
    k = len(p)
    info = [[0.0] * k for _ in range(k)]
    for i in range(k):
        for j in range(k):
            if i != j and n[i][j]:
                q = p[i] / (p[i] + p[j])
                info[i][j] = -n[i][j] * q * (1 - q)
                info[i][i] += n[i][j] * q * (1 - q)
        q = p[i] / (p[i] + 1.0)
        info[i][i] += prior * q * (1 - q)
    return info


def _centred_variances(n: list[list[float]], p: list[float], prior: float) -> list[float]:
    """Var(θ_i − mean θ) from the Fisher information of the log strengths θ (`_information`).
    Without a prior I is singular along the all-ones direction (only differences are
    identified), so its inverse is taken as (I + J/k)⁻¹ − J/k, the pseudo-inverse."""
    k = len(p)
    info = _information(n, p, prior)
    if prior == 0:
        info = [[v + 1.0 / k for v in row] for row in info]
    cov = _inverse(info)
    if any(math.isinf(cov[i][i]) for i in range(k)):  # a disconnected comparison graph
        return [math.inf] * k
    if prior == 0:
        cov = [[v - 1.0 / k for v in row] for row in cov]
    row_mean = [sum(row) / k for row in cov]
    total_mean = sum(row_mean) / k
    return [cov[i][i] - 2 * row_mean[i] + total_mean for i in range(k)]


def _inverse(a: list[list[float]]) -> list[list[float]]:
    """The inverse of a small positive-definite matrix, by Gauss–Jordan with partial pivoting."""
    k = len(a)
    m = [row[:] + [1.0 if i == j else 0.0 for j in range(k)] for i, row in enumerate(a)]
    for c in range(k):
        pivot = max(range(c, k), key=lambda r: abs(m[r][c]))
        if abs(m[pivot][c]) < 1e-300:
            return [[math.inf if i == j else 0.0 for j in range(k)] for i in range(k)]
        m[c], m[pivot] = m[pivot], m[c]
        f = m[c][c]
        m[c] = [v / f for v in m[c]]
        for r in range(k):
            if r != c and m[r][c]:
                g = m[r][c]
                m[r] = [v - g * w for v, w in zip(m[r], m[c])]
    return [row[k:] for row in m]
