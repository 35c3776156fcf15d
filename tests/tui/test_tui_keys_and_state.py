"""Pilot tests: help screen, keys from the config's keymap, the remembered theme, prompt recall, retry."""

from __future__ import annotations

import json

from mmchat.tui.keymap import KEYS, key_label
from mmchat.tui.screens.chat import ChatScreen
from mmchat.tui.screens.conversations import ConversationsScreen
from mmchat.tui.screens.help import HelpScreen
from mmchat.tui.slash import COMMANDS
from mmchat.tui.widgets.messages import UserMessage
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
    app = app_for(store, openai_server, keys={"conversations": "f9", "help": "f2,ctrl+g"})
    async with app.run_test(size=(130, 50)) as pilot:
        await pilot.press("ctrl+l")  # the default no longer opens the list
        await pilot.pause()
        assert isinstance(app.screen, ChatScreen)
        await pilot.press("f9")
        await until(pilot, lambda: isinstance(app.screen, ConversationsScreen))
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, ChatScreen))
        await pilot.press("ctrl+g")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen))
        body = plain(app.screen.query_one("#help-body"))
        assert any("F9" in line and "conversations" in line for line in body.splitlines())
        assert any("F2 / Ctrl+G" in line and line.rstrip().endswith("help") for line in body.splitlines())


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


async def test_retry_runs_a_failed_answer_again(store, openai_server):
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
        assert screen.check_action("retry", ()) is True
        await pilot.press("ctrl+r")
        await until(pilot, lambda: len(answers(app)) == 2 and answers(app)[1].state == "complete")
        assert answers(app)[1].text == "You said: please answer"
        assert screen.check_action("retry", ()) is False  # the latest answer is fine now
        assert [plain(w) for w in screen.query(UserMessage)] == ["please answer", "please answer"]
    # For now the engine stores the prompt again, then the new answer.
    stored = [(m.role, m.status) for m in store.path(app.service.conversation_id)]
    assert stored == [("user", "complete"), ("assistant", "error"), ("user", "complete"), ("assistant", "complete")]


async def test_retry_after_cancelling_uses_slash_retry(store, openai_server):
    server = openai_server
    server.enqueue(Script(200, dict(SSE_HEADERS), [chunk(role=True), chunk(content="Half"), sleep(30), DONE]))
    app = app_for(store, server)
    async with app.run_test(size=(110, 36)) as pilot:
        await send(pilot, "go on")
        await until(pilot, lambda: answers(app) and answers(app)[0].text == "Half")
        await pilot.press("escape")
        await until(pilot, lambda: answers(app)[0].state == "interrupted")
        await send(pilot, "/retry")
        await until(pilot, lambda: len(answers(app)) == 2 and answers(app)[1].state == "complete")
        assert answers(app)[1].text == "You said: go on"
