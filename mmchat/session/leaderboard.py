"""Your own leaderboard: per model, a rating from your compare votes and the figures of
your answers; per prompt category; and the models on the cost–rating frontier.

    board = read(store, since=time.time() - 30 * 86400)
    board.rows  # best rating first: Row(model, rating, votes, figures, frontier)
    report(board, chart_width=80)  # the lines `mmchat stats` and the stats screen show

`build` is the pure part (stored records in, a Leaderboard out); `read` reads the
records through the store on a connection of its own, so it may run in any thread.

Categories come from the prompt's signals as the router stored them on its answers'
decisions (a compare pins each model, and a pinned decision still reads the prompt's
signals): the intent (code, reasoning, creative, everyday, light), plus 'multilingual'
when the prompt's language is known and not English, so one vote may count in two
categories. A vote or answer without a readable decision is 'unknown'.

Ratings are `mmchat.routing.ratings.fit` (Bradley–Terry, ties as half a win, a weak
prior): 1000 is the average of the models rated together, so ratings of two
categories are not on one scale. Figures are over your finished answers (compared
or not): medians over complete ones, cost per complete answer of known cost, errors
over complete and failed ones (an answer you interrupted is neither).
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from mmchat import format as fmt
from mmchat.chart import Point, scatter
from mmchat.routing.learned import turn_categories
from mmchat.routing.ratings import Rating, fit
from mmchat.sanitize import printable
from mmchat.store import AnswerFigures, Store, VotedPair

INTENTS = ("code", "reasoning", "creative", "everyday", "light")  # the router's, in the tables' order
MULTILINGUAL = "multilingual"
UNKNOWN = "unknown"
CATEGORIES = (*INTENTS, MULTILINGUAL, UNKNOWN)
CHART_HEIGHT = 16
HOW_TO_VOTE = (
    "no votes yet: vote after a compare (`mmchat compare --vote -m a,b \"PROMPT\"`, "
    "or the vote keys under a compare in the chat) to rate the models"
)


@dataclass(frozen=True)
class ModelFigures:
    """A model's measured figures over its finished answers."""

    complete: int
    errors: int
    median_ttft_ms: float | None
    median_tokens_per_s: float | None
    cost_per_answer: float | None  # mean over complete answers of known cost; None: none known

    @property
    def error_rate(self) -> float | None:
        ended = self.complete + self.errors
        return self.errors / ended if ended else None


@dataclass(frozen=True)
class Row:
    model: str
    rating: Rating | None  # None: no vote decided anything about it (none, or only 'all bad')
    votes: int  # votes it was shown in ('all bad' ones included)
    figures: ModelFigures | None  # None: no finished answer
    frontier: bool  # no other model is rated higher for less (rating and cost known)


@dataclass(frozen=True)
class Leaderboard:
    rows: tuple[Row, ...]  # rated models best first, then the others by answers
    by_category: dict[str, dict[str, Rating]]  # category → model → rating, categories with votes only
    votes: int  # votes counted
    category: str | None  # the one category the board is limited to, if any


def categories(intent: str | None, language: str | None) -> tuple[str, ...]:
    """The categories of a prompt from its stored signals: its intent (or 'unknown'), and
    'multilingual' when its language is known and not English (as the router's learning
    counts them)."""
    return turn_categories(intent if intent in INTENTS else UNKNOWN, language or "")


def frontier(points: Mapping[str, tuple[float, float]]) -> frozenset[str]:
    """The models (name → (rating, cost)) no other model dominates: none is rated at least as
    high for at most the cost, and better on one of the two."""
    return frozenset(
        model for model, (rating, cost) in points.items()
        if not any(
            r >= rating and c <= cost and (r > rating or c < cost)
            for other, (r, c) in points.items() if other != model
        )
    )


def figures(answers: Iterable[AnswerFigures]) -> dict[str, ModelFigures]:
    """Each model's figures over `answers`."""
    by_model: dict[str, list[AnswerFigures]] = {}
    for answer in answers:
        by_model.setdefault(answer.model, []).append(answer)
    return {model: _model_figures(rows) for model, rows in by_model.items()}


def _model_figures(answers: list[AnswerFigures]) -> ModelFigures:
    complete = [a for a in answers if a.status == "complete"]
    ttfts = [a.ttft_ms for a in complete if a.ttft_ms is not None]
    speeds = [a.tokens_per_s for a in complete if a.tokens_per_s is not None]
    costs = [a.cost_usd for a in complete if a.cost_usd is not None]
    return ModelFigures(
        complete=len(complete),
        errors=sum(a.status == "error" for a in answers),
        median_ttft_ms=statistics.median(ttfts) if ttfts else None,
        median_tokens_per_s=statistics.median(speeds) if speeds else None,
        cost_per_answer=sum(costs) / len(costs) if costs else None,
    )


def build(pairs: Sequence[VotedPair], answers: Sequence[AnswerFigures], *, category: str | None = None) -> Leaderboard:
    """The leaderboard of the votes' `pairs` and the `answers`, limited to the prompts of
    `category` (one of CATEGORIES) when given."""
    if category is not None:
        if category not in CATEGORIES:
            raise ValueError(f"unknown category {category!r}: use one of {', '.join(CATEGORIES)}")
        pairs = [p for p in pairs if category in categories(p.intent, p.language)]
        answers = [a for a in answers if category in categories(a.intent, a.language)]
    ratings = fit((p.model_a, p.model_b, p.outcome) for p in pairs)
    shown: dict[str, set[int]] = {}
    in_category: dict[str, list[VotedPair]] = {}
    for p in pairs:
        shown.setdefault(p.model_a, set()).add(p.vote_id)
        shown.setdefault(p.model_b, set()).add(p.vote_id)
        for c in categories(p.intent, p.language):
            in_category.setdefault(c, []).append(p)
    measured = figures(answers)
    points: dict[str, tuple[float, float]] = {}  # rated models of known cost
    for m, r in ratings.items():
        cost = measured[m].cost_per_answer if m in measured else None
        if cost is not None:
            points[m] = (r.score, cost)
    best = frontier(points)
    rows = [
        Row(m, ratings.get(m), len(shown.get(m, ())), measured.get(m), m in best)
        for m in sorted(set(shown) | set(measured))
    ]
    rows.sort(key=lambda r: (r.rating is None, -(r.rating.score if r.rating else 0.0),
                             -(r.figures.complete if r.figures else 0), r.model))
    by_category = {c: fit((p.model_a, p.model_b, p.outcome) for p in in_category[c])
                   for c in CATEGORIES if c in in_category}
    return Leaderboard(tuple(rows), {c: r for c, r in by_category.items() if r},
                       len({p.vote_id for p in pairs}), category)


def read(store: Store, *, since: float | None = None, category: str | None = None) -> Leaderboard:
    """The leaderboard of the votes given and answers started at or after `since` (unix
    seconds; None: all). Safe from any thread: the store's reads open their own connection."""
    return build(store.voted_pairs(since=since), store.answer_figures(since=since), category=category)


# -- what the CLI and the TUI show: cells of plain text, the chart's lines ---------------------

MODEL_HEADER = ("model", "rating", "95 % interval", "W-L-T", "votes", "TTFT", "tok/s", "cost/answer", "errors")


def model_table(board: Leaderboard) -> list[tuple[str, ...]]:
    """The per-model table, header first: a row per model as `board.rows` orders them."""
    table = [MODEL_HEADER]
    for row in board.rows:
        r, f = row.rating, row.figures
        table.append((
            printable(row.model) + (" *" if row.frontier else ""),
            f"{r.score:.0f}" if r else "–",
            f"{r.low:.0f}–{r.high:.0f}" if r else "–",
            f"{r.wins}-{r.losses}-{r.ties}" if r else "–",
            str(row.votes),
            fmt.duration_ms(f.median_ttft_ms) if f else "–",
            f"{f.median_tokens_per_s:.0f}" if f and f.median_tokens_per_s is not None else "–",
            _cost(f.cost_per_answer) if f else "–",
            f"{f.error_rate:.0%}" if f and f.error_rate is not None else "–",
        ))
    return table


def category_table(board: Leaderboard) -> list[tuple[str, ...]]:
    """Rating and W-L-T per category (columns: the categories with votes), header first; a
    row per rated model; empty without votes."""
    if not board.by_category:
        return []
    table = [("model", *board.by_category)]
    for row in board.rows:
        if row.rating is None:
            continue
        cells = []
        for ratings in board.by_category.values():
            r = ratings.get(row.model)
            cells.append(f"{r.score:.0f} {r.wins}-{r.losses}-{r.ties}" if r else "–")
        table.append((printable(row.model), *cells))
    return table


def chart_lines(board: Leaderboard, *, width: int, height: int = CHART_HEIGHT) -> list[str]:
    """Rating against cost per answer, frontier models marked, and a line naming the rated
    models left off (cost unknown); empty when no rated model has a known cost."""
    points = [
        Point(printable(row.model), row.figures.cost_per_answer, row.rating.score, row.frontier)
        for row in board.rows
        if row.rating is not None and row.figures is not None and row.figures.cost_per_answer is not None
    ]
    if not points:
        return []
    lines = scatter(points, width=width, height=height, x_title="cost per answer", y_title="rating",
                    x_text=_cost, marked_means="on the frontier: no model rated higher for less")
    unpriced = [printable(r.model) for r in board.rows
                if r.rating is not None and (r.figures is None or r.figures.cost_per_answer is None)]
    if unpriced:
        lines.append(f"not drawn (cost unknown): {', '.join(unpriced)}")
    return lines


def report(board: Leaderboard, *, chart_width: int | None = None, days: float | None = None) -> list[str]:
    """The whole board as plain lines: what it counts, the model table, the category table
    (all categories only), the chart when `chart_width` is given; `days` names the time limit."""
    scope = f" in {board.category}" if board.category else ""
    scope += f" over the last {days:g} days" if days is not None else ""
    lines = [f"{board.votes} vote{'s' * (board.votes != 1)}{scope}; * on the frontier (no model rated higher for less)",
             "", *aligned(model_table(board))]
    if board.votes and board.category is None:
        lines += ["", "By prompt category: rating W-L-T (1000 is the average of each category's models)", "",
                  *aligned(category_table(board))]
    chart = chart_lines(board, width=chart_width) if chart_width else []
    return lines + [""] + chart if chart else lines


def aligned(table: Sequence[tuple[str, ...]]) -> list[str]:
    """A table as lines: the first column aligned left, the figures right."""
    return fmt.table(table, right=range(1, len(table[0]) if table else 0))


def _cost(usd: float | None) -> str:
    return "–" if usd is None else fmt.cost(usd, places=4)
