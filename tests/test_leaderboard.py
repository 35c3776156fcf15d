"""Your own leaderboard: categories from the stored decisions, ratings per category, the
frontier, and the figures, on a real store file."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from mmchat.routing.ratings import fit
from mmchat.session import leaderboard
from mmchat.session.leaderboard import categories, frontier
from mmchat.store import NewAnswer, Store
from tests.leaderboard_helpers import Figures, compare, vote

A, B, C = "lab/a", "lab/b", "local/c"
CODE = "Write a regex that matches an IPv4 address"
POEM_FR = "Écris un poème sur la mer"
STORY = "Write a short story about a lighthouse keeper"


@pytest.fixture
def store(tmp_path: Path):
    with Store(tmp_path / "mmchat.db") as s:
        yield s


# -- categories ---------------------------------------------------------------------------


@pytest.mark.parametrize(("intent", "language", "expected"), [
    ("code", "en", ("code",)),
    ("creative", "fr", ("creative", "multilingual")),
    ("light", "und", ("light",)),
    ("", "de", ("unknown", "multilingual")),  # a decision stored before intents were read
    ("poetry", None, ("unknown",)),  # a value this version does not know
    (None, None, ("unknown",)),
])
def test_a_prompt_counts_in_its_intent_and_in_multilingual_when_not_english(intent, language, expected):
    assert categories(intent, language) == expected


def test_each_vote_counts_in_the_categories_its_pinned_decisions_stored(store: Store):
    vote(store, CODE, (A, B), A)
    vote(store, CODE, (A, B), A)
    vote(store, POEM_FR, (A, B), B)
    vote(store, STORY, (A, B, C), kind="tie")
    vote(store, "what now", (A, C), C, decided=False)  # answers stored without a decision
    damaged = vote(store, CODE, (B, C), B)
    store._conn.execute("UPDATE messages SET decision = '{\"signals\": {\"intent\"' WHERE parent_id = ?",
                        (damaged.user_message_id,))

    board = leaderboard.read(store)

    assert board.votes == 6
    assert list(board.by_category) == ["code", "creative", "multilingual", "unknown"]
    code, creative, multilingual, unknown = (board.by_category[c] for c in board.by_category)
    assert (code[A].wins, code[A].losses, code[B].wins, code[B].losses) == (2, 0, 0, 2)
    assert set(code) == {A, B}  # the damaged vote is not read as code
    # The French poem counts as creative and as multilingual; the English story as creative only.
    assert (creative[B].wins, creative[B].ties, creative[C].ties) == (1, 2, 2)
    assert set(multilingual) == {A, B} and multilingual[B].wins == 1
    assert (unknown[C].wins, unknown[C].losses, unknown[B].wins) == (1, 1, 1)
    # The overall rating is the fit of every outcome.
    overall = {r.model: r.rating for r in board.rows}
    assert (overall[A].wins, overall[A].losses, overall[A].ties) == (2, 2, 2)


def test_a_category_limits_the_ratings_and_the_figures_to_its_prompts(store: Store):
    vote(store, CODE, (A, B), A, figures=Figures(ttft_ms=100, cost_usd=0.01))
    vote(store, POEM_FR, (A, B), B, figures=Figures(ttft_ms=900, cost_usd=0.05))

    board = leaderboard.read(store, category="code")

    assert board.votes == 1 and board.category == "code"
    rows = {r.model: r for r in board.rows}
    assert rows[A].rating.wins == 1 and rows[B].rating.losses == 1
    assert rows[A].figures.median_ttft_ms == 100 and rows[A].figures.cost_per_answer == pytest.approx(0.01)
    with pytest.raises(ValueError, match="unknown category"):
        leaderboard.build([], [], category="poems")


def test_since_leaves_out_older_votes_and_answers(store: Store):
    vote(store, CODE, (A, B), A)
    store._conn.execute("UPDATE votes SET created_at = created_at - 86400 * 40")
    store._conn.execute("UPDATE messages SET created_at = created_at - 86400 * 40")
    vote(store, CODE, (A, C), C)

    board = leaderboard.read(store, since=time.time() - 86400 * 30)

    assert board.votes == 1
    assert {r.model for r in board.rows} == {A, C}  # B answered only 40 days ago
    assert {r.model: r.votes for r in board.rows} == {A: 1, C: 1}


# -- ratings and order --------------------------------------------------------------------


def test_rows_follow_the_fit_best_first_and_unrated_models_come_last(store: Store):
    for _ in range(3):
        vote(store, CODE, (A, B), A)
    vote(store, CODE, (B, C), B)
    vote(store, CODE, (A, C), kind="all_bad")
    compare(store, "hello", {"lab/d": Figures()})  # answered, never voted on

    board = leaderboard.read(store)

    expected = fit([(A, B, "a")] * 3 + [(B, C, "a"), (A, C, "both_bad")])
    assert [r.model for r in board.rows] == [A, B, C, "lab/d"]
    assert [r.rating for r in board.rows[:3]] == [expected[A], expected[B], expected[C]]
    assert board.rows[3].rating is None and board.rows[3].votes == 0
    # 'all bad' says nothing about who is better but the models were shown in it.
    assert {r.model: r.votes for r in board.rows[:3]} == {A: 4, B: 4, C: 2}


# -- the frontier ---------------------------------------------------------------------------


def test_the_frontier_is_the_models_no_other_beats_on_rating_and_cost():
    points = {
        "strong": (1100.0, 0.02),
        "cheap": (1000.0, 0.001),
        "worse-and-dearer": (950.0, 0.005),  # beaten by cheap on both
        "as-good-but-dearer": (1000.0, 0.002),  # cheap is as good for less
        "free": (900.0, 0.0),
        "free-and-worse": (850.0, 0.0),  # free too, rated lower
    }
    assert frontier(points) == {"strong", "cheap", "free"}
    assert frontier({"x": (1000.0, 0.01), "y": (1000.0, 0.01)}) == {"x", "y"}  # equals beat neither
    assert frontier({}) == frozenset()


def test_only_rated_models_of_known_cost_are_on_the_frontier(store: Store):
    vote(store, CODE, (A, B), A, figures=Figures(cost_usd=0.02))
    vote(store, CODE, (A, B), A, figures=Figures(cost_usd=0.02))
    vote(store, CODE, (B, C), B, figures=Figures(cost_usd=None))  # costs unknown
    vote(store, CODE, (A, C), A, figures=Figures(cost_usd=0.0))

    rows = {r.model: r for r in leaderboard.read(store).rows}

    # A: 0.02 (two of its answers) and 0 → 0.0133 per answer; B: 0.02 and an unknown one → 0.02.
    assert rows[A].figures.cost_per_answer == pytest.approx(0.04 / 3)
    assert rows[B].figures.cost_per_answer == pytest.approx(0.02)
    assert rows[C].figures.cost_per_answer == pytest.approx(0.0)
    assert (rows[A].frontier, rows[B].frontier, rows[C].frontier) == (True, False, True)


# -- figures ----------------------------------------------------------------------------------


def test_figures_are_medians_a_mean_cost_and_an_error_rate_over_finished_answers(store: Store):
    for ttft, speed, cost in ((100, 50, 0.01), (300, 70, 0.03), (200, 60, None)):
        compare(store, CODE, {A: Figures(ttft_ms=ttft, tokens_per_s=speed, cost_usd=cost)})
    compare(store, CODE, {A: Figures(status="error", ttft_ms=None, tokens_per_s=None, cost_usd=0.0)})
    # Interrupted by the user: neither a figure nor an error.
    compare(store, CODE, {A: Figures(status="interrupted", ttft_ms=5000, tokens_per_s=1, cost_usd=9.0)})
    store.start_turn(None, "still streaming", [NewAnswer("lab", A)])  # pending: not counted

    (row,) = leaderboard.read(store).rows

    f = row.figures
    assert (f.complete, f.errors) == (3, 1)
    assert (f.median_ttft_ms, f.median_tokens_per_s) == (200, 60)
    assert f.cost_per_answer == pytest.approx(0.02)  # the unknown cost is left out, not counted as 0
    assert f.error_rate == pytest.approx(0.25)
    assert row.rating is None and row.votes == 0


def test_the_tables_and_the_chart_show_the_board(store: Store):
    for _ in range(2):
        vote(store, CODE, (A, B), A, figures=Figures(cost_usd=0.02))
    vote(store, POEM_FR, (B, "x/\x1b[31mred"), B, figures=Figures(cost_usd=0.001))

    board = leaderboard.read(store)
    table = leaderboard.aligned(leaderboard.model_table(board))
    by_category = leaderboard.aligned(leaderboard.category_table(board))
    chart = leaderboard.chart_lines(board, width=60)

    assert table[0].split()[:2] == ["model", "rating"]
    assert table[1].startswith("lab/a *") and "2-0-0" in table[1] and "$0.0200" in table[1]
    assert "\x1b" not in "".join(table + by_category + chart)  # a name's escape is dropped
    assert by_category[0].split() == ["model", "code", "creative", "multilingual"]
    assert "x/[31mred" in "\n".join(chart) and any(line.startswith("1* lab/a") for line in chart)


def test_the_leaderboards_categories_are_the_routers():
    from mmchat.routing.intent import INTENTS as ROUTER_INTENTS
    from mmchat.routing.learned import CATEGORIES as LEARNED
    from mmchat.session import leaderboard

    assert set(leaderboard.INTENTS) == set(ROUTER_INTENTS)
    assert set(leaderboard.CATEGORIES) - {leaderboard.UNKNOWN} == set(LEARNED)
