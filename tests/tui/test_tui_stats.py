"""Pilot tests of the stats screen: the leaderboard over the chat, read from the app's store."""

from __future__ import annotations

from mmchat.store import Store
from mmchat.tui.screens.chat import ChatScreen
from mmchat.tui.screens.stats import StatsScreen
from tests.leaderboard_helpers import Figures, compare, vote
from tests.tui.conftest import QUICK, make_app, until

A, B, C = "lab/a", "lab/b", "local/c"
CODE = "Write a regex that matches an IPv4 address"
POEM_FR = "Écris un poème sur la mer"


def some_votes(store: Store) -> None:
    for _ in range(2):
        vote(store, CODE, (A, B), A, figures=Figures(cost_usd=0.02, ttft_ms=400))
    vote(store, POEM_FR, (B, C), B, figures=Figures(cost_usd=0.0, ttft_ms=200))


def app_for(store, openai_server):
    return make_app(store, [openai_server.config("local", timeouts=QUICK)], default_model="local/gpt-4o-mini")


def body(app) -> str:
    """The screen's text ('' until it is composed)."""
    found = app.screen.query("#stats-body")
    return str(found.first().render()) if found else ""


async def open_stats(app, pilot) -> None:
    await until(pilot, lambda: isinstance(app.screen, ChatScreen))
    app.push_screen(StatsScreen(app.service))
    await until(pilot, lambda: isinstance(app.screen, StatsScreen) and body(app) not in ("", "reading the votes…"))


async def test_the_screen_shows_the_tables_and_the_chart_and_esc_closes_it(store, openai_server):
    some_votes(store)
    app = app_for(store, openai_server)
    async with app.run_test(size=(120, 60)) as pilot:
        await open_stats(app, pilot)
        lines = body(app).splitlines()
        assert lines[0].startswith("3 votes;")
        assert lines[3].split()[:2] == ["lab/a", "*"] and "2-0-0" in lines[3] and "$0.0200" in lines[3]
        assert lines[5].startswith("local/c") and "0-1-0" in lines[5]
        assert "By prompt category: rating W-L-T (1000 is the average of each category's models)" in lines
        assert any(line.split() == ["model", "code", "creative", "multilingual"] for line in lines)
        assert "rating up, cost per answer across" in lines
        assert any(line.startswith("1* lab/a") for line in lines) and any(line.startswith("3* local/c") for line in lines)
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, ChatScreen))


async def test_with_no_votes_it_says_how_to_vote_above_the_figures_and_q_closes_it(store, openai_server):
    compare(store, CODE, {A: Figures(ttft_ms=250, cost_usd=0.003)})
    app = app_for(store, openai_server)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_stats(app, pilot)
        lines = body(app).splitlines()
        assert lines[0].startswith("No votes yet: vote after a compare") and "vote keys" in lines[0]
        assert lines[2].startswith("0 votes") and lines[5].startswith("lab/a") and "250 ms" in lines[5]
        assert "By prompt category" not in body(app) and "rating up" not in body(app)
        await pilot.press("q")
        await until(pilot, lambda: isinstance(app.screen, ChatScreen))


async def test_an_empty_store_says_there_is_nothing_yet(store, openai_server):
    app = app_for(store, openai_server)
    async with app.run_test(size=(100, 30)) as pilot:
        await open_stats(app, pilot)
        assert body(app).startswith("No votes yet") and body(app).endswith("No answers yet either.")

