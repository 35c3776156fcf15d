"""SVG snapshots of the main screens (fixed size, stored figures only: no clocks, no timings)."""

from __future__ import annotations

import pytest

from mmchat.types import Usage
from mmchat.store import AnswerEnd, Store
from mmchat.tui.widgets.messages import AssistantMessage
from mmchat.tui.widgets.prompt import PromptInput
from tests.tui.conftest import make_app, until
from tests.tui.test_tui_autoroute import CLOUD, CLOUD_MODELS, HELLO_TO_CLOUD, LAB

ANSWER = (
    "Use a **context manager**:\n\n"
    "```python\nwith open(path) as f:\n    data = f.read()\n```\n\n"
    "| mode | meaning |\n|---|---|\n| r | read |\n| w | write |\n\n"
    "- it closes the file\n- even on errors"
)


def fill(store: Store) -> int:
    """A stored conversation: one complete answer, a model switch, one interrupted answer."""
    conversation = store.create_conversation()
    store.add_message(conversation, "user", "How do I read a file in Python? [bold]not markup[/]")
    first = store.add_message(conversation, "assistant", ANSWER, provider="local", model="local/gpt-4o-mini")
    store.finish_answer(first, AnswerEnd(
        ANSWER, "complete", usage=Usage(input_tokens=18, output_tokens=64), ttft_ms=120.0, latency_ms=840.0,
        tokens_per_s=88.0, cost_usd=0.0,
    ))
    store.add_message(conversation, "user", "And write one?")
    second = store.add_message(
        conversation, "assistant", "Open it with mode `w` and", provider="local", model="local/o3-mini",
        status="interrupted",
    )
    store.finish_answer(second, AnswerEnd(
        "Open it with mode `w` and", "interrupted", error="cancelled by the user",
        usage=Usage(input_tokens=90, output_tokens=7, estimated=True), ttft_ms=300.0, latency_ms=1500.0, cost_usd=0.0,
    ))
    return conversation


@pytest.mark.parametrize("theme", ["mmchat-dark", "mmchat-light"])
def test_main_screen(snap_compare, store, openai_server, theme):
    app = make_app(store, [openai_server.config("local")], default_model="local/o3-mini")
    app.service.conversation_id = fill(store)

    async def settle(pilot) -> None:
        app.theme = theme
        await pilot.pause(0.2)

    assert snap_compare(app, terminal_size=(110, 40), run_before=settle)


def test_first_run_screen(snap_compare, store):
    assert snap_compare(make_app(store, []), terminal_size=(100, 30))


def test_auto_route_screen(snap_compare, store, openai_server):
    """Auto-route: a routed answer whose decision is expanded, a fallback line, the typing preview."""
    app = make_app(
        store, [openai_server.config("lab"), CLOUD], models={**LAB, **CLOUD_MODELS}, routing=HELLO_TO_CLOUD,
        route="auto",
    )
    conversation = store.create_conversation()
    store.add_message(conversation, "user", "hello, what is a monad?")
    decision = app.service.decide("hello, what is a monad?").to_dict()
    answer = store.add_message(
        conversation, "assistant", "A monad wraps a value with a way to **chain** steps.", provider="lab",
        model="lab/big", decision=decision,
    )
    store.finish_answer(answer, AnswerEnd(
        "A monad wraps a value with a way to **chain** steps.", "complete", usage=Usage(input_tokens=12, output_tokens=14),
        ttft_ms=90.0, latency_ms=400.0, tokens_per_s=35.0, cost_usd=0.0,
        attempts=[{"model": "cloud/mini", "attempt": 1, "kind": "server", "error": "cloud: server error 503: overloaded"}],
    ))
    app.service.conversation_id = conversation

    async def settle(pilot) -> None:
        screen = pilot.app.screen
        await until(pilot, lambda: bool(screen.query(AssistantMessage)))
        route = screen.query_one(AssistantMessage).route
        assert route is not None
        route.action_toggle()
        screen.query_one(PromptInput).insert("hello again")
        await until(pilot, lambda: str(screen.query_one("#route-preview").render()).startswith("→"))
        await pilot.pause(0.2)

    assert snap_compare(app, terminal_size=(120, 40), run_before=settle)


def fixed_compare():
    """A compare of three answers, ended, each with fixed figures (no timings from the run)."""
    from mmchat.tui.screens.compare import CompareScreen
    from mmchat.types import TurnMetrics

    async def run(pilot) -> None:
        app = pilot.app
        app.service.config.compare_sets["trio"] = ("local/gpt-4o-mini", "local/gpt-4o", "local/o3-mini")
        await until(pilot, lambda: bool(app.screen.query(PromptInput)))
        prompt = app.screen.query_one(PromptInput)
        for text in ("/compare trio", "Which colour is the sky?"):
            prompt.focus()
            prompt.insert(text)
            await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, CompareScreen) and not app.screen.running)
        screen = app.screen
        for n, view in enumerate(screen.views):
            view.metrics = TurnMetrics(
                ttft_ms=200.0 + 150 * n, latency_ms=900.0 - 100 * n, tokens_per_s=50.0 + 10 * n,
                usage=Usage(input_tokens=20, output_tokens=12 + n), cost_usd=0.00002 * (3 - n),
            )
        screen._ended({screen.order[c.position]: c for c in screen.columns})
        app.clear_notifications()
        await pilot.pause(0.3)

    return run


@pytest.mark.parametrize("size", [(150, 32), (70, 28)], ids=["wide", "narrow"])
def test_compare_screen(snap_compare, store, openai_server, size):
    """Three answers side by side (wide), or as tabs (narrow), with the summary and the vote line."""
    app = make_app(store, [openai_server.config("local")], default_model="local/o3-mini")
    assert snap_compare(app, terminal_size=size, run_before=fixed_compare())
