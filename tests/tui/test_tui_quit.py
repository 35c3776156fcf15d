"""Ctrl+C: copies a selection first; with nothing selected, twice within the window quits, saving the running answer."""

from __future__ import annotations

from mmchat.tui.widgets.prompt import PromptInput
from tests.servers import Script, sleep
from tests.servers.openai import DONE, SSE_HEADERS, chunk
from tests.tui.conftest import QUICK, make_app, until
from tests.tui.test_tui_chat import answers, send


def asked_to_quit(app) -> int:
    return sum("press Ctrl+C again to quit" in str(n.message) for n in app._notifications)


async def test_ctrl_c_twice_quits_and_keeps_the_running_answer(store, openai_server):
    server = openai_server
    server.enqueue(Script(200, dict(SSE_HEADERS), [chunk(role=True), chunk(content="Half an answer"), sleep(30), DONE]))
    app = make_app(store, [server.config("local", timeouts=QUICK)], default_model="local/gpt-4o-mini")
    async with app.run_test(size=(110, 36)) as pilot:
        await send(pilot, "a long story please")
        await until(pilot, lambda: answers(app) and answers(app)[0].text == "Half an answer")
        await pilot.press("ctrl+c")
        await pilot.pause()
        assert asked_to_quit(app) == 1 and app.is_running
        await pilot.press("ctrl+c")
        await until(pilot, lambda: app._exit)
    answer = [m for m in store.path(app.service.conversation_id) if m.role == "assistant"][0]
    assert (answer.status, answer.content, answer.error) == ("interrupted", "Half an answer", "cancelled by the user")
    assert await server.wait_disconnected(2.0)


async def test_ctrl_c_copies_a_selection_and_a_late_second_press_asks_again(store, openai_server):
    app = make_app(store, [openai_server.config("local", timeouts=QUICK)], default_model="local/gpt-4o-mini")
    async with app.run_test(size=(110, 36)) as pilot:
        prompt = app.screen.query_one(PromptInput)
        prompt.insert("keep this")
        prompt.select_all()
        await pilot.press("ctrl+c")
        await pilot.press("ctrl+c")
        await pilot.pause()
        assert app.clipboard == "keep this" and asked_to_quit(app) == 0 and not app._exit
        prompt.move_cursor(prompt.document.end)  # nothing selected now
        app.quit_window_s = 0.3  # the notice lasts as long as the window
        await pilot.press("ctrl+c")
        assert asked_to_quit(app) == 1
        await until(pilot, lambda: asked_to_quit(app) == 0)
        await pilot.press("ctrl+c")  # too late: asks again
        assert asked_to_quit(app) == 1 and not app._exit
        assert prompt.text == "keep this"
