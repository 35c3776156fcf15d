"""Pilot tests: help screen, keys from the config's keymap, the remembered theme, prompt recall, retry."""

from __future__ import annotations

import json

from mmchat.tui.keymap import KEYS, key_label
from mmchat.tui.screens.chat import ChatScreen
from mmchat.tui.screens.conversations import ConversationsScreen
from mmchat.tui.screens.help import HelpScreen
from mmchat.tui.slash import COMMANDS
from mmchat.tui.widgets.messages import Marker, UserMessage
from mmchat.tui.widgets.prompt import PromptInput
from tests.servers import Script, sleep
from tests.servers.openai import DONE, SSE_HEADERS, chunk
from tests.tui.conftest import QUICK, make_app, until
from tests.tui.test_tui_chat import answers, plain, send


def app_for(store, openai_server, **kw):
    return make_app(store, [openai_server.config("local", timeouts=QUICK)], default_model="local/gpt-4o-mini", **kw)


async def test_help_lists_every_binding_and_slash_command(store, openai_server):
    app = app_for(store, openai_server)
    async with app.run_test(size=(130, 50)) as pilot:
        await pilot.press("f1")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen))
        body = plain(app.screen.query_one("#help-body"))
        for spec in KEYS:
            assert any(spec.id in line and key_label(spec.keys) in line and spec.description in line for line in body.splitlines()), spec.id
        for usage, _ in COMMANDS.values():
            assert usage in body
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, ChatScreen))
        # '?' opens it from an empty prompt, and is typed as text otherwise.
        await pilot.press("question_mark")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen))
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, ChatScreen))
        await pilot.press("w", "h", "y", "question_mark")
        assert app.screen.query_one(PromptInput).text == "why?"
        app.screen.query_one(PromptInput).clear()
        await send(pilot, "/help")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen))


async def test_keys_from_the_config_replace_the_defaults(store, openai_server):
    app = app_for(store, openai_server, keys={"conversations": "f9", "help": "f2,f12"})
    async with app.run_test(size=(130, 50)) as pilot:
        await pilot.press("ctrl+l")  # the default no longer opens the list
        await pilot.pause()
        assert isinstance(app.screen, ChatScreen)
        await pilot.press("f9")
        await until(pilot, lambda: isinstance(app.screen, ConversationsScreen))
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, ChatScreen))
        await pilot.press("f12")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen))
        body = plain(app.screen.query_one("#help-body"))
        assert any("F9" in line and "conversations" in line for line in body.splitlines())
        assert any("F2 / F12" in line and line.rstrip().endswith("help") for line in body.splitlines())


async def test_the_theme_choice_is_remembered_for_the_next_start(store, openai_server):
    state = store.db_path.parent / "tui-state.json"
    app = app_for(store, openai_server)
    async with app.run_test(size=(110, 36)) as pilot:
        assert app.theme == "mmchat-dark"
        await send(pilot, "/theme mmchat-solarized")
        await until(pilot, lambda: app.theme == "mmchat-solarized")
    assert json.loads(state.read_text())["theme"] == "mmchat-solarized"
    again = app_for(store, openai_server)
    async with again.run_test(size=(110, 36)) as pilot:
        await pilot.pause()
        assert again.theme == "mmchat-solarized"
    # A theme that no longer exists falls back to the default.
    state.write_text(json.dumps({"theme": "gone"}))
    third = app_for(store, openai_server)
    async with third.run_test(size=(110, 36)) as pilot:
        await pilot.pause()
        assert third.theme == "mmchat-dark"


async def test_up_and_down_recall_prompts_of_this_session_and_stored_ones(store, openai_server):
    old = store.create_conversation()
    store.add_message(old, "user", "an old question")
    app = app_for(store, openai_server)
    async with app.run_test(size=(110, 36)) as pilot:
        await send(pilot, "first line\nsecond line")
        await until(pilot, lambda: answers(app) and answers(app)[0].state == "complete")
        prompt = app.screen.query_one(PromptInput)
        prompt.insert("draft")
        await pilot.press("up")
        assert prompt.text == "first line\nsecond line"
        await pilot.press("up")  # the cursor is on the last line: Up moves within the prompt first
        assert prompt.text == "first line\nsecond line" and prompt.cursor_location[0] == 0
        await pilot.press("up")
        assert prompt.text == "an old question"
        await pilot.press("up")  # nothing older
        assert prompt.text == "an old question"
        await pilot.press("down")
        assert prompt.text == "first line\nsecond line"
        await pilot.press("down")
        assert prompt.text == "draft"


async def test_retry_answers_the_failed_prompt_again_without_storing_it_twice(store, openai_server):
    server = openai_server
    server.reply_error(500, "the server fell over")
    provider = server.config("local", timeouts=QUICK, max_retries=0)
    app = make_app(store, [provider], default_model="local/gpt-4o-mini")
    async with app.run_test(size=(110, 36)) as pilot:
        screen = app.screen
        await send(pilot, "/retry")
        await pilot.pause()
        assert any("nothing to retry" in str(n.message) for n in app._notifications)
        await send(pilot, "please answer")
        await until(pilot, lambda: answers(app) and answers(app)[0].state == "error")
        failed_id = answers(app)[0].message_id
        assert screen.check_action("retry", ()) is True
        await pilot.press("ctrl+r")
        await until(pilot, lambda: answers(app) and answers(app)[-1].state == "complete")
        assert [a.text for a in answers(app)] == ["You said: please answer"]
        assert screen.check_action("retry", ()) is False  # the latest answer is fine now
        assert [plain(w) for w in screen.query(UserMessage)] == ["please answer"]
    # The prompt is stored once; the failed answer stays as an alternative off the chosen path.
    path = store.path(app.service.conversation_id)
    assert [(m.role, m.status) for m in path] == [("user", "complete"), ("assistant", "complete")]
    assert [(m.id, m.status) for m in store.siblings(path[1].id)] == [(failed_id, "error"), (path[1].id, "complete")]
    sent = json.loads(server.requests[-1].body)["messages"]
    assert [m["content"] for m in sent] == ["please answer"]


async def test_retry_after_cancelling_replaces_the_partial_answer(store, openai_server):
    server = openai_server
    app = app_for(store, server)
    async with app.run_test(size=(110, 36)) as pilot:
        await send(pilot, "first")
        await until(pilot, lambda: answers(app) and answers(app)[0].state == "complete")
        server.enqueue(Script(200, dict(SSE_HEADERS), [chunk(role=True), chunk(content="Half"), sleep(30), DONE]))
        await send(pilot, "go on")
        await until(pilot, lambda: len(answers(app)) == 2 and answers(app)[1].text == "Half")
        await pilot.press("escape")
        await until(pilot, lambda: answers(app)[1].state == "interrupted")
        await send(pilot, "/retry")
        await until(pilot, lambda: answers(app)[-1].state == "complete" and len(answers(app)) == 2)
        assert [a.text for a in answers(app)] == ["You said: first", "You said: go on"]
        assert [plain(w) for w in app.screen.query(UserMessage)] == ["first", "go on"]
        assert not app.screen.query(Marker)
    path = store.path(app.service.conversation_id)
    assert [m.content for m in path] == ["first", "You said: first", "go on", "You said: go on"]
    assert [m.status for m in store.siblings(path[-1].id)] == ["interrupted", "complete"]


async def test_retry_with_another_model_marks_the_switch_once(store, openai_server):
    server = openai_server
    server.reply_text("fine")
    server.reply_error(500, "down")
    provider = server.config("local", timeouts=QUICK, max_retries=0)
    app = make_app(store, [provider], default_model="local/gpt-4o-mini")
    async with app.run_test(size=(110, 36)) as pilot:
        await send(pilot, "one")
        await until(pilot, lambda: answers(app) and answers(app)[0].state == "complete")
        await send(pilot, "/model local/o3-mini")
        await send(pilot, "two")
        await until(pilot, lambda: len(answers(app)) == 2 and answers(app)[1].state == "error")
        await send(pilot, "/model local/gpt-4o")
        await send(pilot, "/retry")
        await until(pilot, lambda: answers(app)[-1].state == "complete" and answers(app)[-1].model == "local/gpt-4o")
        assert [plain(m) for m in app.screen.query(Marker)] == ["── switched to local/gpt-4o ──"]
        assert [a.model for a in answers(app)] == ["local/gpt-4o-mini", "local/gpt-4o"]


async def test_retry_of_a_turn_that_never_started_sends_the_prompt_once_more(store, openai_server):
    app = make_app(store, [openai_server.config("local", timeouts=QUICK)], default_model="nowhere/model")
    async with app.run_test(size=(110, 36)) as pilot:
        await send(pilot, "hello?")
        await until(pilot, lambda: answers(app) and answers(app)[0].state == "error")
        assert answers(app)[0].message_id is None and app.service.conversation_id is None  # nothing was stored
        await send(pilot, "/model local/gpt-4o-mini")
        await send(pilot, "/retry")
        await until(pilot, lambda: answers(app) and answers(app)[-1].state == "complete")
        assert [plain(w) for w in app.screen.query(UserMessage)] == ["hello?"]
        assert [a.text for a in answers(app)] == ["You said: hello?"]
    assert [m.content for m in store.path(app.service.conversation_id)] == ["hello?", "You said: hello?"]


async def test_the_footer_follows_the_keys_and_is_rebuilt_only_when_they_change(store, openai_server):
    from textual.widgets._footer import FooterKey

    from mmchat.tui.widgets.footer import KeyFooter

    server = openai_server
    server.reply_error(500, "the server fell over")
    app = make_app(store, [server.config("local", timeouts=QUICK, max_retries=0)], default_model="local/gpt-4o-mini")
    async with app.run_test(size=(140, 36)) as pilot:
        footer = app.screen.query_one(KeyFooter)
        await until(pilot, lambda: bool(footer.query(FooterKey)))
        await pilot.pause()
        rebuilt = []
        compose = footer.compose

        def counted():
            rebuilt.append(1)
            return compose()

        footer.compose = counted  # called on each real rebuild

        def labels() -> list[str]:
            return [key.description for key in footer.query(FooterKey)]

        assert "Retry" not in labels() and "Model" in labels()
        for _ in range(5):  # refreshes that change nothing shown
            app.screen.refresh_bindings()
        await pilot.pause()
        await pilot.pause()
        assert rebuilt == []
        await send(pilot, "please answer")
        await until(pilot, lambda: answers(app) and answers(app)[0].state == "error")
        await until(pilot, lambda: "Retry" in labels())  # the failed answer can be retried
        assert len(rebuilt) <= 3  # at most: streaming (Esc shows), and done


async def test_the_sidebar_narrows_then_hides_on_smaller_terminals_and_ctrl_b_still_shows_it(store, openai_server):
    from mmchat.tui.widgets.sidebar import Sidebar

    app = app_for(store, openai_server)
    async with app.run_test(size=(130, 30)) as pilot:
        sidebar = app.screen.query_one(Sidebar)
        assert sidebar.display and sidebar.outer_size.width == 38
        await pilot.resize_terminal(110, 30)
        await until(pilot, lambda: sidebar.outer_size.width == 30)
        await pilot.resize_terminal(80, 24)
        await until(pilot, lambda: not sidebar.display)
        assert app.screen.query_one("#conversation").outer_size.width == 80  # the conversation has it all
        await pilot.press("ctrl+b")
        await until(pilot, lambda: sidebar.display and sidebar.outer_size.width == 30)



async def test_the_first_run_guide_shows_on_an_80_column_terminal(store):
    app = make_app(store, [])
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        guide = app.screen.query_one("#welcome-guide")
        assert guide.outer_size.width >= 60 and guide.outer_size.height >= 15  # not collapsed to an empty box
        assert "No provider is configured yet" in plain(guide)
