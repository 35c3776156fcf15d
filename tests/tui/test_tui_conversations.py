"""Pilot tests of conversations: browse, resume (lazily), rename, delete, search, export."""

from __future__ import annotations

import json
import stat

from mmchat.types import Usage
from mmchat.store import AnswerEnd, Store
from mmchat.tui.screens.chat import ChatScreen
from mmchat.tui.screens.conversations import ConversationsScreen
from mmchat.tui.screens.dialogs import AskText, Confirm
from mmchat.tui.widgets.conversation import HISTORY_WINDOW, ConversationView, EarlierLine
from mmchat.tui.widgets.messages import AssistantMessage, UserMessage
from tests.tui.conftest import QUICK, make_app, until
from tests.tui.test_tui_chat import answers, plain, send


def conversation(store: Store, title: str, pairs: list[tuple[str, str]], model: str = "local/gpt-4o-mini") -> int:
    conversation_id = store.create_conversation(title)
    for prompt, answer in pairs:
        store.add_message(conversation_id, "user", prompt)
        answer_id = store.add_message(conversation_id, "assistant", answer, provider="local", model=model)
        store.finish_answer(
            answer_id, AnswerEnd(answer, "complete", usage=Usage(input_tokens=10, output_tokens=5), latency_ms=100.0, cost_usd=0.0)
        )
    return conversation_id


def option_texts(screen: ConversationsScreen) -> list[str]:
    options = screen.query_one("#conversations-list")
    return [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]


def app_for(store, openai_server):
    return make_app(store, [openai_server.config("local", timeouts=QUICK)], default_model="local/gpt-4o-mini")


async def test_history_lists_conversations_and_opens_the_chosen_one(store, openai_server):
    conversation(store, "Rust lifetimes", [("what is a lifetime?", "A scope for borrows.")])
    conversation(store, "Bread recipe", [("how do I bake bread?", "Flour, water, salt, yeast.")])
    app = app_for(store, openai_server)
    async with app.run_test(size=(130, 36)) as pilot:
        await send(pilot, "/history")
        await until(pilot, lambda: isinstance(app.screen, ConversationsScreen))
        rows = option_texts(app.screen)
        assert "Bread recipe" in rows[0] and "Rust lifetimes" in rows[1]  # newest first
        assert "2 msgs" in rows[0] and "local/gpt-4o-mini" in rows[0]
        await pilot.press("down", "enter")
        await until(pilot, lambda: isinstance(app.screen, ChatScreen) and answers(app))
        assert [plain(w) for w in app.screen.query(UserMessage)] == ["what is a lifetime?"]
        assert answers(app)[0].text == "A scope for borrows."
        assert "1 answer" in plain(app.screen.query_one("#totals"))
        # The next turn continues the opened conversation.
        await send(pilot, "and a borrow?")
        await until(pilot, lambda: len(answers(app)) == 2 and answers(app)[1].state == "complete")
    rust = app.service.conversation_id
    assert store.conversation(rust).title == "Rust lifetimes"
    assert [m.content for m in store.path(rust) if m.role == "user"] == ["what is a lifetime?", "and a borrow?"]
    sent = json.loads(openai_server.requests[-1].body)["messages"]
    assert [m["content"] for m in sent] == ["what is a lifetime?", "A scope for borrows.", "and a borrow?"]


async def test_a_long_conversation_opens_with_its_last_messages_and_shows_more_on_scroll_up(store, openai_server):
    long_id = conversation(store, "Long", [(f"question {i}", f"answer {i}") for i in range(500)])
    app = app_for(store, openai_server)
    app.service.conversation_id = long_id
    async with app.run_test(size=(110, 36)) as pilot:
        await pilot.pause()
        view = app.screen.query_one(ConversationView)
        assert len(view.query(UserMessage)) + len(view.query(AssistantMessage)) == HISTORY_WINDOW
        assert view.earlier_count == 1000 - HISTORY_WINDOW
        assert answers(app)[-1].text == "answer 499"
        assert f"{1000 - HISTORY_WINDOW} earlier messages" in plain(view.query_one(EarlierLine))
        view.scroll_home(animate=False)
        await until(pilot, lambda: view.earlier_count == 1000 - 2 * HISTORY_WINDOW)
        shown = [plain(w) for w in view.query(UserMessage)]
        assert shown[0] == f"question {500 - HISTORY_WINDOW}" and shown[-1] == "question 499"
        assert shown == [f"question {i}" for i in range(500 - HISTORY_WINDOW, 500)]
        # When the shown messages do not fill the pane there is nothing to scroll: more are shown at once.
        await view.show_history(store.path(long_id)[:6], window=2)
        await until(pilot, lambda: view.earlier_count == 0 and not view.query(EarlierLine))
        assert [plain(w) for w in view.query(UserMessage)] == ["question 0", "question 1", "question 2"]


async def test_rename_and_delete_from_the_list(store, openai_server):
    keep = conversation(store, "Keep me", [("a", "b")])
    doomed = conversation(store, "Doomed", [("c", "d"), ("e", "f")])
    app = app_for(store, openai_server)
    app.service.conversation_id = doomed
    async with app.run_test(size=(130, 36)) as pilot:
        await pilot.pause()
        assert len(answers(app)) == 2
        await pilot.press("ctrl+l")
        await until(pilot, lambda: isinstance(app.screen, ConversationsScreen))
        await pilot.press("down", "f2")  # the second row: "Keep me"
        await until(pilot, lambda: isinstance(app.screen, AskText))
        app.screen.query_one("Input").value = ""
        await pilot.press(*"Kept", "enter")
        # Renaming counts as activity: "Kept" is now the newest.
        await until(pilot, lambda: isinstance(app.screen, ConversationsScreen) and "Kept" in option_texts(app.screen)[0])
        assert store.conversation(keep).title == "Kept"
        await pilot.press("down", "ctrl+d")  # "Doomed", the conversation on screen
        await until(pilot, lambda: isinstance(app.screen, Confirm))
        assert "Doomed" in plain(app.screen.query_one(".dialog-question"))
        await pilot.press("n")  # keep it after all
        await until(pilot, lambda: isinstance(app.screen, ConversationsScreen))
        assert len(store.list_conversations()) == 2
        await pilot.press("ctrl+d")
        await until(pilot, lambda: isinstance(app.screen, Confirm))
        await pilot.press("y")
        await until(pilot, lambda: isinstance(app.screen, ConversationsScreen) and len(option_texts(app.screen)) == 1)
        await pilot.press("escape")
        # The deleted conversation leaves the chat screen too.
        await until(pilot, lambda: isinstance(app.screen, ChatScreen) and not answers(app))
        assert app.service.conversation_id is None
    assert [c.id for c in store.list_conversations()] == [keep]


async def test_search_finds_messages_of_every_conversation_and_opens_one(store, openai_server):
    conversation(store, "Cooking", [("how long do I boil an egg?", "About seven minutes.")])
    target = conversation(store, "Databases", [("what is an index?", "A sorted structure for fast lookups.")])
    app = app_for(store, openai_server)
    async with app.run_test(size=(130, 36)) as pilot:
        await send(pilot, "/search lookups")
        await until(pilot, lambda: isinstance(app.screen, ConversationsScreen))
        await until(pilot, lambda: len(option_texts(app.screen)) == 1)
        (hit,) = option_texts(app.screen)
        assert hit.startswith("Databases") and "assistant:" in hit and "lookups" in hit
        await pilot.press("space", *"egg")  # the query is now "lookups egg": no message has both
        await until(pilot, lambda: option_texts(app.screen) == ["no message matches"])
        app.screen.query_one("Input").value = "index"
        await until(pilot, lambda: option_texts(app.screen)[0].startswith("Databases"))
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ChatScreen) and answers(app))
        assert app.service.conversation_id == target
        assert answers(app)[0].text == "A sorted structure for fast lookups."


async def test_export_writes_a_private_file_in_the_current_directory(store, openai_server, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = app_for(store, openai_server)
    async with app.run_test(size=(130, 36)) as pilot:
        await send(pilot, "/export")
        await pilot.pause()
        assert any("nothing to export yet" in str(n.message) for n in app._notifications)
        await send(pilot, "Export me, please")
        await until(pilot, lambda: answers(app) and answers(app)[0].state == "complete")
        await send(pilot, "/export")
        await send(pilot, "/export json")
        await send(pilot, "/export md")
        await send(pilot, "/export pdf")
        await pilot.pause()
        notes = [str(n.message) for n in app._notifications]
    conversation_id = app.service.conversation_id
    md = tmp_path / f"mmchat-{conversation_id}-export-me-please.md"
    js = tmp_path / f"mmchat-{conversation_id}-export-me-please.json"
    again = tmp_path / f"mmchat-{conversation_id}-export-me-please-2.md"  # an earlier export is never overwritten
    assert f"exported to {md}" in notes and f"exported to {js}" in notes and f"exported to {again}" in notes
    assert any("cannot export as 'pdf'" in n for n in notes)
    for path in (md, js, again):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "Export me, please" in md.read_text() and "You said: Export me, please" in md.read_text()
    document = json.loads(js.read_text())
    assert [m["content"] for m in document["messages"]] == ["Export me, please", "You said: Export me, please"]


async def test_a_search_hit_opens_its_conversation_scrolled_to_the_message(store, openai_server):
    pairs = [(f"question {i}", "needle in a haystack" if i == 480 else f"answer {i}") for i in range(500)]
    long_id = conversation(store, "Long", pairs)
    app = app_for(store, openai_server)
    async with app.run_test(size=(110, 36)) as pilot:
        await send(pilot, "/search needle")
        await until(pilot, lambda: isinstance(app.screen, ConversationsScreen) and len(option_texts(app.screen)) == 1)
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ChatScreen) and app.screen.query(".hit"))
        view = app.screen.query_one(ConversationView)
        (hit,) = view.query(".hit")
        assert isinstance(hit, AssistantMessage) and hit.text == "needle in a haystack"
        assert app.service.conversation_id == long_id
        assert view.earlier_count == 961  # mounted from the hit on, not the whole conversation
        await until(pilot, lambda: hit.region.overlaps(view.region))  # scrolled to it, not to the end
        # A match further back than FOCUS_REACH opens the conversation at its end and says so.
        far = next(m for m in store.path(long_id) if m.content == "answer 100")
        store.save_text(far.id, "a far needle")
        await send(pilot, "/search far")
        await until(pilot, lambda: isinstance(app.screen, ConversationsScreen) and len(option_texts(app.screen)) == 1)
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ChatScreen) and answers(app)[-1].text == "answer 499")
        assert not view.query(".hit")
        assert any("the match is further up" in str(n.message) for n in app._notifications)


async def test_the_list_cannot_be_opened_while_an_answer_streams(store, openai_server):
    from tests.servers import Script, sleep
    from tests.servers.openai import DONE, SSE_HEADERS, chunk

    openai_server.enqueue(Script(200, dict(SSE_HEADERS), [chunk(role=True), chunk(content="Slow"), sleep(30), DONE]))
    app = app_for(store, openai_server)
    async with app.run_test(size=(110, 36)) as pilot:
        await send(pilot, "go")
        await until(pilot, lambda: answers(app) and answers(app)[0].text == "Slow")
        await pilot.press("ctrl+l")
        await pilot.pause()
        assert isinstance(app.screen, ChatScreen)
        assert any("still streaming" in str(n.message) for n in app._notifications)
        await pilot.press("escape")
        await until(pilot, lambda: answers(app)[0].state == "interrupted")
        await pilot.press("ctrl+l")
        await until(pilot, lambda: isinstance(app.screen, ConversationsScreen))
        assert option_texts(app.screen)[0].startswith("●")  # the conversation on screen is marked


async def test_the_palette_exports_and_opens_the_list(store, openai_server, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = app_for(store, openai_server)
    async with app.run_test(size=(110, 36)) as pilot:
        await send(pilot, "hello")
        await until(pilot, lambda: answers(app) and answers(app)[0].state == "complete")
        await pilot.press("ctrl+p")
        await pilot.press(*"Export as JSON")
        await until(pilot, lambda: app.screen.query("CommandList") and app.screen.query_one("CommandList").option_count > 0)
        await pilot.press("enter")
        await until(pilot, lambda: list(tmp_path.glob("mmchat-*-hello.json")))
        await pilot.press("ctrl+p")
        await pilot.press(*"Conversations")
        await until(pilot, lambda: app.screen.query("CommandList") and app.screen.query_one("CommandList").option_count > 0)
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ConversationsScreen))
