"""The budget: bars in the sidebar that grow while an answer streams, a warning near a limit, a question past it."""

from __future__ import annotations

from mmchat.config import Budget, ModelConfig, Price
from mmchat.types import Usage
from mmchat.store import AnswerEnd, Store
from mmchat.session.budget import BudgetUse, over_question, warning
from mmchat.tui.budget import bar, unpriced_note, use_lines
from mmchat.tui.screens.chat import ChatScreen
from mmchat.tui.screens.dialogs import Confirm
from mmchat.tui.widgets.prompt import PromptInput
from tests.servers import Script, sleep
from tests.servers.openai import DONE, SSE_HEADERS, chunk, usage_body
from tests.tui.conftest import QUICK, make_app, until
from tests.tui.test_tui_chat import answers, plain, send

# $0.01 a token, in and out: the test server's default answer (12 in, 3 out) costs $0.15.
PRICED = {"local/gpt-4o-mini": ModelConfig("local/gpt-4o-mini", price=Price(input=10_000.0, output=10_000.0))}


def test_levels_bars_and_words():
    use = BudgetUse("day", limit=5.0, spent=0.42, unpriced=0, warn_at=0.8)
    assert use.level == "ok"
    assert use_lines(use) == "day  $0.42 / $5.00\n▇▇▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁ 8%"
    assert use.plus(3.6).level == "warn" and use.plus(None) == use
    assert use.plus(4.58).level == "over"  # the limit is spent
    assert bar(0.001, 8) == "▇▁▁▁▁▁▁▁"  # a little spent still shows
    assert bar(0.0, 4) == "▁▁▁▁" and bar(2.5, 4) == "▇▇▇▇"
    assert warning(use.plus(3.6)) == "80% of the day budget is spent: $4.02 of $5.00"
    over = BudgetUse("conversation", limit=1.0, spent=1.25, unpriced=2, warn_at=0.8)
    assert over_question([over]) == "The conversation budget of $1.00 is spent ($1.25). Send anyway?"
    assert unpriced_note([use, over]) == "2 unpriced answers not counted"
    assert unpriced_note([use]) is None


def spent_elsewhere(store: Store, cost: float | None) -> None:
    """An answer of another conversation, finished now."""
    conversation = store.create_conversation()
    store.add_message(conversation, "user", "earlier today")
    answer = store.add_message(conversation, "assistant", "ok", model="local/gpt-4o-mini", status="pending")
    store.finish_answer(answer, AnswerEnd("ok", "complete", usage=Usage(input_tokens=1, output_tokens=1), cost_usd=cost))


def budget_widget(app, name: str):
    return app.screen.query_one(f"#budget-{name}")


async def test_a_warning_near_the_limit_and_a_question_past_it(store, openai_server):
    server = openai_server
    spent_elsewhere(store, 0.55)
    spent_elsewhere(store, None)  # its price was unknown
    app = make_app(
        store, [server.config("local", timeouts=QUICK)], default_model="local/gpt-4o-mini", models=PRICED,
        budget=Budget(day=1.0, warn_at=0.5),
    )
    async with app.run_test(size=(110, 40)) as pilot:
        await pilot.pause()
        day = budget_widget(app, "day")
        assert day.display and not budget_widget(app, "conversation").display
        assert plain(day).startswith("day  $0.55 / $1.00") and day.has_class("warn")
        assert plain(app.screen.query_one("#budget-note")) == "1 unpriced answer not counted"
        await send(pilot, "hi")
        await until(pilot, lambda: answers(app) and answers(app)[0].state == "complete")
        assert any("55% of the day budget is spent: $0.55 of $1.00" in str(n.message) for n in app._notifications)
        assert plain(day).startswith("day  $0.70 / $1.00")
        # An answer that takes the day past its limit.
        server.reply_text("pricey", usage=usage_body(100, 1))
        await send(pilot, "more")
        await until(pilot, lambda: len(answers(app)) == 2 and answers(app)[1].state == "complete")
        assert plain(day).startswith("day  $1.71 / $1.00") and day.has_class("over")
        # Past it, sending asks first; declining keeps the prompt.
        await send(pilot, "and more")
        await until(pilot, lambda: isinstance(app.screen, Confirm))
        assert "The day budget of $1.00 is spent ($1.71). Send anyway?" in plain(app.screen.query_one(".dialog-question"))
        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, ChatScreen))
        assert app.screen.query_one(PromptInput).text == "and more"
        assert len(answers(app)) == 2
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, Confirm))
        await pilot.press("y")
        await until(pilot, lambda: len(answers(app)) == 3 and answers(app)[2].state == "complete")
        assert app.screen.query_one(PromptInput).text == ""
    assert [m.content for m in store.path(app.service.conversation_id) if m.role == "user"] == ["hi", "more", "and more"]


async def test_past_the_limit_a_free_model_answers_without_asking(store, openai_server):
    spent_elsewhere(store, 1.2)
    free = {"local/gpt-4o-mini": ModelConfig("local/gpt-4o-mini", price=Price(input=0.0, output=0.0))}
    app = make_app(
        store, [openai_server.config("local", timeouts=QUICK)], default_model="local/gpt-4o-mini", models=free,
        budget=Budget(day=1.0),
    )
    async with app.run_test(size=(110, 40)) as pilot:
        await pilot.pause()
        assert budget_widget(app, "day").has_class("over")
        await send(pilot, "hi")
        await until(pilot, lambda: answers(app) and answers(app)[0].state == "complete")
        assert not isinstance(app.screen, Confirm)  # nothing is spent: nothing to ask
        assert not any("budget" in str(n.message) for n in app._notifications)


async def test_the_bars_grow_while_the_answer_streams(store, openai_server):
    server = openai_server
    server.enqueue(Script(200, dict(SSE_HEADERS), [chunk(role=True), chunk(content="Some words " * 20), sleep(30), DONE]))
    app = make_app(
        store, [server.config("local", timeouts=QUICK)], default_model="local/gpt-4o-mini", models=PRICED,
        budget=Budget(conversation=10.0, day=100.0),
    )
    async with app.run_test(size=(110, 40)) as pilot:
        await pilot.pause()
        conversation = budget_widget(app, "conversation")
        assert plain(conversation).startswith("conversation  $0 / $10.00")
        assert plain(budget_widget(app, "day")).startswith("day  $0 / $100.00")
        await send(pilot, "go")
        await until(pilot, lambda: answers(app) and "Some words" in answers(app)[0].text)
        await until(pilot, lambda: not plain(conversation).startswith("conversation  $0 "))
        assert conversation.has_class("warn") is False
        assert not plain(budget_widget(app, "day")).startswith("day  $0 ")
        await pilot.press("escape")
        await until(pilot, lambda: answers(app)[0].state == "interrupted")
        stored = store.spending(conversation_id=app.service.conversation_id).cost_usd
        assert stored > 0 and plain(conversation).startswith(f"conversation  ${stored:,.2f} / $10.00")


async def test_without_limits_the_sidebar_shows_no_budget(store, openai_server):
    app = make_app(store, [openai_server.config("local")], default_model="local/gpt-4o-mini")
    async with app.run_test(size=(110, 36)) as pilot:
        await pilot.pause()
        assert not any(w.display for w in app.screen.query("#budget-title, .budget, #budget-note"))
