"""What your own evidence says of each model, per kind of prompt: compare votes and bench runs.

    learned = learn(votes, bench)
    evidence = learned.of("openai/gpt-4.1-mini", ("code",))  # the first category with some, else all prompts'
    quality(prior, evidence)                                # the estimate the router uses

Votes are pairwise outcomes with the categories of their prompt; a Bradley–Terry
fit per category (`ratings.fit`, ties half a win) turns them into each model's
chance of beating the average model there. Bench results are pass or fail per
answer, with the categories of their case's prompt. The categories are the
router's intents (light, everyday, creative, code, reasoning) and
"multilingual"; any other name counts toward "all" only.

The estimate is shrunk toward the prior the model's tier gives (`quality`): the
evidence weighs as many answers or games as it holds against PRIOR_WEIGHT
virtual ones at the prior, so a handful of votes moves a model a little and
forty bench cases move it a lot. Pure: the caller reads the store.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from mmchat.routing.intent import INTENTS
from mmchat.routing.ratings import AVERAGE, fit

ALL = "all"  # every prompt, whatever its category
CATEGORIES = (*INTENTS, "multilingual")
PRIOR_WEIGHT = 8.0  # the tier's prior counts as this many answers (or games)


@dataclass(frozen=True)
class Evidence:
    """One model's record in one category."""

    category: str
    wins: int = 0
    losses: int = 0
    ties: int = 0
    beats_average: float | None = None  # from the votes: the chance of beating the average model
    passes: int = 0  # bench answers that passed every check
    answers: int = 0  # bench answers decided

    @property
    def games(self) -> int:
        return self.wins + self.losses + self.ties

    def line(self) -> str:
        """'code: 14–9–2 in your votes; bench 92% of 40' (what the decision says it used)."""
        parts = []
        if self.games:
            record = f"{self.wins}–{self.losses}" + (f"–{self.ties}" if self.ties else "")
            parts.append(f"{record} in your votes")
        if self.answers:
            parts.append(f"bench {self.passes / self.answers:.0%} of {self.answers}")
        return f"{self.category}: {'; '.join(parts)}"


@dataclass(frozen=True)
class Learned:
    """Evidence by model, then by category (ALL included)."""

    by_model: Mapping[str, Mapping[str, Evidence]] = field(default_factory=dict)

    def of(self, model: str, categories: Iterable[str]) -> Evidence | None:
        """The model's evidence in the first of `categories` it has some in, else over all
        prompts; None without any."""
        mine = self.by_model.get(model)
        if not mine:
            return None
        return next((mine[c] for c in categories if c in mine), None) or mine.get(ALL)

    def __bool__(self) -> bool:
        return bool(self.by_model)


def learn(
    votes: Iterable[tuple[str, str, str, tuple[str, ...]]],
    bench: Iterable[tuple[str, tuple[str, ...], bool]],
) -> Learned:
    """`votes`: (model_a, model_b, outcome, the prompt's categories) with outcome 'a', 'b',
    'tie' or 'both_bad'; `bench`: (model, the case prompt's categories, passed) per decided
    answer."""
    outcomes: dict[str, list[tuple[str, str, str]]] = {}
    for model_a, model_b, outcome, categories in votes:
        for category in _counted_in(categories):
            outcomes.setdefault(category, []).append((model_a, model_b, outcome))
    passed: dict[tuple[str, str], list[int]] = {}
    for model, categories, ok in bench:
        for key in _counted_in(categories):
            counts = passed.setdefault((model, key), [0, 0])
            counts[0] += int(ok)
            counts[1] += 1
    found: dict[str, dict[str, Evidence]] = {}
    for category, rows in outcomes.items():
        for model, rating in fit(rows).items():  # only models with a counted outcome
            found.setdefault(model, {})[category] = Evidence(
                category, rating.wins, rating.losses, rating.ties, _beats_average(rating.score)
            )
    for (model, category), (passes, answers) in passed.items():
        mine = found.setdefault(model, {})
        mine[category] = dataclasses.replace(mine.get(category, Evidence(category)), passes=passes, answers=answers)
    return Learned(found)


def _counted_in(categories: tuple[str, ...]) -> set[str]:
    """Where an outcome counts: over all prompts, and in each of its categories the router knows."""
    return {ALL, *(c for c in categories if c in CATEGORIES)}


def quality(prior: float, evidence: Evidence | None) -> float:
    """The quality estimate (0..1) from the tier's `prior` and the evidence, shrunk toward the
    prior: (prior × PRIOR_WEIGHT + votes' estimate × games + bench pass rate × answers) over
    the sum of the weights."""
    if evidence is None:
        return prior
    weight, total = PRIOR_WEIGHT, prior * PRIOR_WEIGHT
    if evidence.beats_average is not None and evidence.games:
        weight += evidence.games
        total += evidence.beats_average * evidence.games
    if evidence.answers:
        weight += evidence.answers
        total += evidence.passes
    return total / weight


def _beats_average(score: float) -> float:
    """An Elo-like score as the chance of beating a model rated AVERAGE."""
    return 1.0 / (1.0 + 10 ** ((AVERAGE - score) / 400.0))


def turn_categories(intent: str, language: str) -> tuple[str, ...]:
    """The categories a turn's evidence is looked up in, most specific first: its intent, and
    "multilingual" for a prompt in a known language other than English."""
    return (intent, "multilingual") if language not in ("en", "und", "") else (intent,)
