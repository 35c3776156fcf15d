"""Pilot tests of the chat screen: send, stream, cancel, errors, model switch, themes."""

from __future__ import annotations

import json

from mmchat.config import ModelConfig, ProviderConfig
from mmchat.tui.screens.chat import ChatScreen
from mmchat.tui.screens.model_picker import ModelPicker
from mmchat.tui.screens.welcome import WelcomeScreen
from mmchat.tui.widgets.messages import AssistantMessage, Marker, Notice, UserMessage
from mmchat.tui.widgets.prompt import PromptInput
from mmchat.tui.widgets.sidebar import Sidebar
from mmchat.tui.widgets.status import StatusLine
from mmchat.tui.widgets.streaming_markdown import MarkdownLeaf
from tests.servers import Script, sleep
from tests.servers.openai import DONE, SSE_HEADERS, chunk
from tests.tui.conftest import QUICK, closed_port, make_app, until


def answers(app) -> list[AssistantMessage]:
    return list(app.screen.query(AssistantMessage))


def shown_text(message: AssistantMessage) -> str:
    """The answer's text as drawn on screen."""
    width = message.body.size.width
    return "\n".join(
        strip.text.rstrip() for leaf in message.body.query(MarkdownLeaf) for strip in leaf.lines(width)
    )


async def send(pilot, text: str) -> None:
    prompt = pilot.app.screen.query_one(PromptInput)
    prompt.focus()
    prompt.insert(text)
    await pilot.press("enter")


def plain(widget) -> str:
    return str(widget.render())


async def test_send_streams_the_answer_and_shows_its_figures(store, openai_server):
    server = openai_server
    app = make_app(store, [server.config("local", timeouts=QUICK)], default_model="local/gpt-4o-mini")
    async with app.run_test(size=(110, 36)) as pilot:
        await send(pilot, "hello there")
        await until(pilot, lambda: answers(app) and answers(app)[0].state == "complete")
        answer = answers(app)[0]
        assert answer.text == "You said: hello there"
        assert "You said: hello there" in shown_text(answer)
        header = plain(answer.header)
        assert header.startswith("local/gpt-4o-mini · ") and "out tokens" in header and "$0" in header
        assert app.screen.query_one(PromptInput).text == ""
        assert [plain(w) for w in app.screen.query(UserMessage)] == ["hello there"]
        totals = plain(app.screen.query_one("#totals"))
        assert "1 answer" in totals and "local/gpt-4o-mini" in totals
        assert "local/gpt-4o-mini" in plain(app.screen.query_one("#live"))
        assert "ok" in plain(app.screen.query_one(StatusLine))
    stored = store.path(app.service.conversation_id)
    assert [(m.role, m.content, m.status) for m in stored] == [
        ("user", "hello there", "complete"),
        ("assistant", "You said: hello there", "complete"),
    ]


async def test_model_output_is_shown_as_literal_text(store, openai_server):
    hostile = "[bold]loud[/] [link=https://x.test]click[/link] \x1b[2Jgone\x1b]52;c;SGVsbG8=\x07 <b>tag</b>"
    openai_server.reply_text(hostile, chunks=4)
    app = make_app(store, [openai_server.config("local", timeouts=QUICK)], default_model="local/gpt-4o-mini")
    async with app.run_test(size=(140, 30)) as pilot:
        await send(pilot, "say something odd")
        await until(pilot, lambda: answers(app) and answers(app)[0].state == "complete")
        answer = answers(app)[0]
        shown = shown_text(answer)
        assert "\x1b" not in answer.text and "\x07" not in answer.text
        assert "[bold]loud[/]" in shown
        assert "[link=https://x.test]click[/link]" in shown
        assert "[2Jgone]52;c;SGVsbG8=" in shown
        assert "<b>tag</b>" in shown


async def test_escape_cancels_at_once_and_keeps_the_partial_answer(store, openai_server):
    server = openai_server
    server.enqueue(
        Script(200, dict(SSE_HEADERS), [chunk(role=True), chunk(content="Partial answer"), sleep(30), DONE])
    )
    app = make_app(store, [server.config("local", timeouts=QUICK)], default_model="local/gpt-4o-mini")
    async with app.run_test(size=(110, 36)) as pilot:
        await send(pilot, "tell me a long story")
        await until(pilot, lambda: answers(app) and "Partial answer" in shown_text(answers(app)[0]))
        await pilot.press("escape")
        screen = app.screen
        assert isinstance(screen, ChatScreen)
        await until(pilot, lambda: not screen.turn_running)
        answer = answers(app)[0]
        assert answer.state == "interrupted"
        assert "Partial answer" in shown_text(answer)
        assert plain(answer.problem).startswith("Interrupted: ")
        assert await server.wait_disconnected(2.0)
        # The prompt works again at once.
        await send(pilot, "again")
        await until(pilot, lambda: len(answers(app)) == 2 and answers(app)[1].state == "complete")
        shown = answers(app)[0].text
    first = [m for m in store.path(app.service.conversation_id) if m.role == "assistant"][0]
    assert (first.status, first.content) == ("interrupted", "Partial answer")
    assert shown == first.content  # what is kept is what was shown


async def test_a_provider_that_cannot_be_reached_shows_a_plain_error(store):
    port = closed_port()
    provider = ProviderConfig(
        name="gone", type="openai", base_url=f"http://127.0.0.1:{port}/v1", timeouts=QUICK, max_retries=0
    )
    app = make_app(store, [provider], default_model="gone/some-model")
    async with app.run_test(size=(110, 36)) as pilot:
        await send(pilot, "anyone there?")
        await until(pilot, lambda: answers(app) and answers(app)[0].state == "error")
        answer = answers(app)[0]
        problem = plain(answer.problem)
        assert problem.startswith("Failed: gone:")
        assert "\n" not in problem
        assert "last turn failed" in plain(app.screen.query_one(StatusLine))
        # The message itself is kept in the conversation.
        assert [plain(w) for w in app.screen.query(UserMessage)] == ["anyone there?"]


async def test_picking_a_model_switches_the_next_turns_and_keeps_history(store, openai_server):
    server = openai_server
    models = {
        "local/gpt-4o-mini": ModelConfig("local/gpt-4o-mini", context=128_000, tags=("fast",)),
        "local/o3-mini": ModelConfig("local/o3-mini", context=200_000, tags=("reasoning",)),
    }
    app = make_app(store, [server.config("local", timeouts=QUICK)], default_model="local/gpt-4o-mini", models=models)
    async with app.run_test(size=(120, 36)) as pilot:
        await send(pilot, "first")
        await until(pilot, lambda: answers(app) and answers(app)[0].state == "complete")
        await pilot.press("ctrl+o")
        await until(pilot, lambda: isinstance(app.screen, ModelPicker))
        await pilot.press(*"o3")
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ChatScreen))
        assert app.service.model == "local/o3-mini"
        assert "pinned: local/o3-mini" in plain(app.screen.query_one(StatusLine))
        await send(pilot, "second")
        await until(pilot, lambda: len(answers(app)) == 2 and answers(app)[1].state == "complete")
        assert plain(answers(app)[1].header).startswith("local/o3-mini · ")
        assert [plain(m) for m in app.screen.query(Marker)] == ["── switched to local/o3-mini ──"]
    body = json.loads(server.requests[-1].body)
    assert body["model"] == "o3-mini"
    assert [m["content"] for m in body["messages"]] == ["first", "You said: first", "second"]


async def test_slash_model_with_an_unknown_provider_says_so(store, openai_server):
    app = make_app(store, [openai_server.config("local", timeouts=QUICK)], default_model="local/gpt-4o-mini")
    async with app.run_test(size=(110, 36)) as pilot:
        await send(pilot, "/model nowhere/x")
        await pilot.pause()
        assert app.service.model == "local/gpt-4o-mini"
        assert any("unknown provider 'nowhere'" in str(n.message) for n in app._notifications)
        await send(pilot, "/model local/gpt-4o")
        await pilot.pause()
        assert app.service.model == "local/gpt-4o"


async def test_history_left_out_for_a_small_context_window_is_announced(store, openai_server):
    models = {"local/tiny": ModelConfig("local/tiny", context=400, max_output=100)}
    app = make_app(store, [openai_server.config("local", timeouts=QUICK)], default_model="local/tiny", models=models)
    async with app.run_test(size=(110, 36)) as pilot:
        for i in range(3):
            await send(pilot, f"message {i} " + "words " * 60)
            await until(pilot, lambda: len(answers(app)) == i + 1 and answers(app)[i].state != "streaming")
        notices = [plain(n) for n in app.screen.query(Notice)]
        assert notices and "left out to fit local/tiny's context window" in notices[-1]


async def test_sidebar_toggles(store, openai_server):
    app = make_app(store, [openai_server.config("local")], default_model="local/gpt-4o-mini")
    async with app.run_test(size=(110, 36)) as pilot:
        sidebar = app.screen.query_one(Sidebar)
        assert sidebar.display
        await pilot.press("ctrl+b")
        assert not sidebar.display
        await pilot.press("ctrl+b")
        assert sidebar.display


async def test_without_providers_the_first_screen_says_what_to_do(store):
    app = make_app(store, [])
    async with app.run_test(size=(110, 36)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, WelcomeScreen)
        guide = plain(app.screen.query_one("#welcome-guide"))
        assert "OPENAI_API_KEY" in guide
        assert "mmchat keys set" in guide
        assert "mmchat finds it when it starts" in guide and "pip install 'mmchat[local]'" in guide
        assert not app.screen.query(PromptInput)


async def test_themes_switch_from_the_slash_command_and_the_palette(store, openai_server):
    app = make_app(store, [openai_server.config("local")], default_model="local/gpt-4o-mini")
    async with app.run_test(size=(110, 36)) as pilot:
        assert app.theme == "mmchat-dark"
        assert {"mmchat-dark", "mmchat-light", "mmchat-high-contrast", "mmchat-solarized"} <= set(app.theme_names())
        await send(pilot, "/theme mmchat-light")
        await pilot.pause()
        assert app.theme == "mmchat-light"
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Theme: mmchat-solarized")
        await until(pilot, lambda: app.screen.query("CommandList") and app.screen.query_one("CommandList").option_count > 0)
        await pilot.press("enter")
        await until(pilot, lambda: app.theme == "mmchat-solarized")


async def test_bidirectional_controls_in_an_answer_are_shown_as_markers(store, openai_server):
    openai_server.reply_text('if user == "guest\u202e \u2066// admin\u2069 \u2066":', chunks=3)
    app = make_app(store, [openai_server.config("local", timeouts=QUICK)], default_model="local/gpt-4o-mini")
    async with app.run_test(size=(110, 30)) as pilot:
        await send(pilot, "pick\u202e me")
        await until(pilot, lambda: answers(app) and answers(app)[0].state == "complete")
        shown = shown_text(answers(app)[0])
        assert "guest<U+202E> <U+2066>// admin<U+2069> <U+2066>" in shown
        assert not {"\u202e", "\u2066", "\u2069"} & set(shown)
        assert [plain(w) for w in app.screen.query(UserMessage)] == ["pick<U+202E> me"]
