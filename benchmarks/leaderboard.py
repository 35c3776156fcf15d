"""How long the leaderboard of `mmchat stats` and `/stats` takes to build from many votes.

    .venv/bin/python -m benchmarks.leaderboard            # ~10 s
    .venv/bin/python -m benchmarks.leaderboard --quick

10,000 votes on compares of 2 to 3 of 9 models (about 14,000 pairwise outcomes,
five categories and multilingual) and 25,000 answers' figures, built as records
(no store: its reading is the store's own benchmark-free SQL). Timed, interleaved:
the Bradley–Terry fit of every outcome (`ratings.fit`, one of the seven fits a
board makes), the whole board (`leaderboard.build`: the fits overall and per
category, the figures, the frontier) and its text (`leaderboard.report`); the
baseline is one plain pass over the records counting wins per model. Prints
medians in milliseconds; the target is the board and its text under 1 s.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable

from mmchat.routing.ratings import fit
from mmchat.session import leaderboard
from mmchat.store import AnswerFigures, VotedPair

MODELS = [f"lab/model-{i}" for i in range(9)]
INTENTS = ("code", "reasoning", "creative", "everyday", "light")
TARGET_MS = 1000.0


def records(votes: int, answers: int, seed: int = 5) -> tuple[list[VotedPair], list[AnswerFigures]]:
    """Votes whose winner is drawn with odds that grow with the model's index, and answers."""
    rng = random.Random(seed)
    pairs: list[VotedPair] = []
    for vote in range(votes):
        shown = rng.sample(MODELS, rng.choice((2, 2, 3)))
        intent, language = rng.choice(INTENTS), rng.choice(("en", "en", "en", "de", "fr"))
        kind = rng.random()
        winner = max(shown, key=lambda m: rng.random() * (1 + MODELS.index(m) / 8))
        for i, a in enumerate(shown):
            for b in shown[i + 1:]:
                if kind < 0.1:
                    outcome = "tie"
                elif kind < 0.15:
                    outcome = "both_bad"
                elif winner in (a, b):
                    outcome = "a" if winner == a else "b"
                else:
                    continue  # a winner says nothing of the losers between themselves
                pairs.append(VotedPair(vote, a, b, outcome, float(vote), intent, language))
    figures = [
        AnswerFigures(
            rng.choice(MODELS), "complete" if rng.random() > 0.05 else "error", rng.uniform(100, 900),
            rng.uniform(20, 120), rng.uniform(0.0001, 0.01), rng.choice(INTENTS), "en",
        )
        for _ in range(answers)
    ]
    return pairs, figures


def timed(cases: dict[str, Callable[[], object]], runs: int) -> dict[str, list[float]]:
    """Milliseconds per call of each case, interleaved run by run."""
    times: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(runs):
        for name, fn in cases.items():
            start = time.perf_counter()
            fn()
            times[name].append((time.perf_counter() - start) * 1000)
    return times


def baseline(pairs: list[VotedPair]) -> dict[str, int]:
    wins: dict[str, int] = {}
    for p in pairs:
        if p.outcome in ("a", "b"):
            model = p.model_a if p.outcome == "a" else p.model_b
            wins[model] = wins.get(model, 0) + 1
    return wins


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="3 runs instead of 9")
    args = parser.parse_args()
    pairs, figures = records(10_000, 25_000)
    outcomes = [(p.model_a, p.model_b, p.outcome) for p in pairs]
    board = leaderboard.build(pairs, figures)
    cases: dict[str, Callable[[], object]] = {
        "baseline: one pass counting wins": lambda: baseline(pairs),
        "ratings.fit, every outcome": lambda: fit(outcomes),
        "leaderboard.build (7 fits, figures, frontier)": lambda: leaderboard.build(pairs, figures),
        "leaderboard.report (tables and chart)": lambda: leaderboard.report(board, chart_width=100),
    }
    times = timed(cases, 3 if args.quick else 9)
    print(f"{board.votes:,} votes ({len(pairs):,} pairwise outcomes), {len(figures):,} answers, "
          f"{len(MODELS)} models; medians of {len(next(iter(times.values())))} runs")
    medians = {name: statistics.median(values) for name, values in times.items()}
    for name, value in medians.items():
        print(f"  {name:<48} {value:9.1f} ms")
    total = medians["leaderboard.build (7 fits, figures, frontier)"] + medians["leaderboard.report (tables and chart)"]
    verdict = "PASS" if total < TARGET_MS else "MISS"
    print(f"the board and its text: {total:.1f} ms, target < {TARGET_MS:.0f} ms: {verdict}")
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
