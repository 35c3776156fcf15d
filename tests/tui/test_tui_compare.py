"""A compare in the chat (pilot, real store, local servers over real sockets): starting one,
columns streaming at once, a failing column, Esc, the vote (winner, tie, all bad, note),
blind labels and their reveal, going on with an answer and its alternatives, tabs on a
narrow terminal, the privacy lock, the picker's multi-select and the cost preview."""

from __future__ import annotations

import json

from mmchat.config import Budget, ModelConfig, Price, ProviderConfig
from mmchat.tui.screens.chat import ChatScreen
from mmchat.tui.screens.compare import CompareColumn, CompareScreen
from mmchat.tui.screens.model_picker import ComparePicker
from mmchat.tui.widgets.messages import AssistantMessage
from mmchat.tui.widgets.prompt import PromptInput
from mmchat.tui.widgets.route import RoutePreview
from mmchat.tui.widgets.status import StatusLine
from mmchat.tui.widgets.streaming_markdown import MarkdownLeaf
from tests.servers import Script, sleep
from tests.servers.openai import DONE, SSE_HEADERS, chunk
from tests.tui.conftest import QUICK, closed_port, make_app, until

A, B, C = "lab/gpt-4o-mini", "lab/gpt-4o", "lab/o3-mini"
SECRET = "sk-proj-" + "Zq8XbT3kLmN0pQrS" * 3


def lab_app(store, server, *, providers: list[ProviderConfig] | None = None, **kw):
    providers = providers or [server.config("lab", timeouts=QUICK)]
    models = {m: ModelConfig(m, price=Price(input=1.0, output=2.0)) for m in (A, B, C)}
    return make_app(store, providers, default_model=A, models=models, **kw)


async def command(pilot, text: str) -> None:
    prompt = pilot.app.screen.query_one(PromptInput)
    prompt.focus()
    prompt.clear()
    prompt.insert(text)
    await pilot.press("enter")


def screen(app) -> CompareScreen:
    assert isinstance(app.screen, CompareScreen)
    return app.screen


def columns(app) -> list[CompareColumn]:
    return list(screen(app).query(CompareColumn))


def shown(column: CompareColumn) -> str:
    width = column.size.width
    return "\n".join(strip.text.rstrip() for leaf in column.query(MarkdownLeaf) for strip in leaf.lines(width))


def plain(widget) -> str:
    return str(widget.render())


def ended(app) -> bool:
    return isinstance(app.screen, CompareScreen) and not app.screen.running


def said(app) -> list[str]:
    """The notifications shown so far."""
    return [n.message for n in app._notifications]


def votes(store) -> list[tuple]:
    return [tuple(row) for row in store._conn.execute("SELECT kind, winner_id, note, blind, self_naming FROM votes")]


async def compare(pilot, models: str, prompt: str) -> None:
    await command(pilot, f"/compare {models}")
    await command(pilot, prompt)
    await until(pilot, lambda: isinstance(pilot.app.screen, CompareScreen))


async def test_a_compare_streams_into_columns_then_a_vote_and_going_on_with_the_winner(store, openai_server):
    app = lab_app(store, openai_server)
    async with app.run_test(size=(150, 40)) as pilot:
        await command(pilot, f"/compare {A},{B},{C}")
        assert f"next message compared: {A}, {B}, {C}" in plain(app.screen.query_one(StatusLine))
        await command(pilot, "Name a colour.")
        await until(pilot, lambda: ended(app))
        cols = columns(app)
        assert [c.title_text for c in cols] == [A, B, C]
        assert all(c.view.status == "complete" for c in cols)
        assert all("You said: Name a colour." in shown(c) for c in cols)
        assert all("TTFT" in plain(c.query_one(".compare-figures")) and "$" in plain(c.query_one(".compare-figures"))
                   for c in cols)
        summary = plain(screen(app).query_one("#compare-summary"))
        assert "first token:" in summary and "vote: 1–3 the best" in summary

        await pilot.press("n")
        await pilot.press(*"clearer")
        await pilot.press("enter")
        await pilot.press("2")
        ids = [c.view.answer_id for c in cols]
        assert votes(store) == [("winner", ids[1], "clearer", 0, "[]")]
        assert "voted: 2 is best" in plain(screen(app).query_one("#compare-summary"))
        await pilot.press("3")  # one vote per compare
        assert len(votes(store)) == 1

        await pilot.press("enter")  # go on with the winner
        await until(pilot, lambda: isinstance(app.screen, ChatScreen))
        path = store.path(app.service.conversation_id)
        assert [m.id for m in path] == [cols[0].view.user_message_id, ids[1]]
        answer = app.screen.query_one(AssistantMessage)
        assert answer.message_id == ids[1]
        assert "‹2/3›" in plain(answer.header)
        answer.focus()
        await pilot.press("left")  # the compare's other answers are its alternatives
        await until(pilot, lambda: "‹1/3›" in plain(app.screen.query_one(AssistantMessage).header))
        assert store.path(app.service.conversation_id)[-1].id == ids[0]
        assert app.service.compare_choice is None  # the next message goes to one model again
        assert "compared" not in plain(app.screen.query_one(StatusLine))


async def test_a_failing_model_shows_its_error_in_its_column_and_the_others_go_on(store, openai_server):
    gone = ProviderConfig("gone", "openai", f"http://127.0.0.1:{closed_port()}/v1", timeouts=QUICK)
    app = lab_app(store, openai_server, providers=[openai_server.config("lab", timeouts=QUICK), gone])
    async with app.run_test(size=(150, 40)) as pilot:
        await compare(pilot, f"{A},gone/x", "hello")
        await until(pilot, lambda: ended(app))
        ok, failed = columns(app)
        assert ok.view.status == "complete" and "You said: hello" in shown(ok)
        assert failed.view.status == "error" and failed.has_class("-error")
        assert "cannot connect" in plain(failed.query_one(".compare-error"))
        assert "not complete: 2 (error)" in plain(screen(app).query_one("#compare-summary"))
        await pilot.press("1")  # one completed answer: nothing to vote on
        assert votes(store) == []


async def test_escape_stops_every_answer_each_kept_and_marked(store, openai_server):
    for text in ("first part", "second part"):
        openai_server.enqueue(
            Script(200, dict(SSE_HEADERS), [chunk(role=True), chunk(content=text), sleep(30), DONE])
        )
    app = lab_app(store, openai_server)
    async with app.run_test(size=(150, 40)) as pilot:
        await compare(pilot, f"{A},{B}", "go slowly")
        await until(pilot, lambda: all(c.view.chars for c in columns(app)))
        await pilot.press("escape")
        await until(pilot, lambda: ended(app))
        cols = columns(app)
        assert [c.view.status for c in cols] == ["interrupted", "interrupted"]
        assert all(c.has_class("-interrupted") for c in cols)
        stored = [store.message(c.view.answer_id) for c in cols]
        assert sorted(m.content for m in stored) == ["first part", "second part"]
        assert {m.status for m in stored} == {"interrupted"}
        await pilot.press("escape")  # then back to the chat, the partial answers kept
        await until(pilot, lambda: isinstance(app.screen, ChatScreen))
        assert app.screen.query_one(AssistantMessage).state == "interrupted"


async def test_a_tie_and_all_bad_are_votes_too(store, openai_server):
    app = lab_app(store, openai_server)
    async with app.run_test(size=(150, 40)) as pilot:
        await compare(pilot, f"{A},{B}", "one")
        await until(pilot, lambda: ended(app))
        await pilot.press("t")
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, ChatScreen))
        await compare(pilot, f"{A},{B},{C}", "two")
        await until(pilot, lambda: ended(app))
        await pilot.press("x")
    assert [(kind, winner) for kind, winner, *_ in votes(store)] == [("tie", None), ("all_bad", None)]
    outcomes = [p.outcome for p in store.voted_pairs()]
    assert outcomes == ["tie", "both_bad", "both_bad", "both_bad"]


async def test_blind_columns_hide_names_and_costs_until_the_vote_then_reveal_and_flag(store, openai_server):
    app = lab_app(store, openai_server)
    async with app.run_test(size=(150, 40)) as pilot:
        await command(pilot, f"/compare blind {A},{C}")
        await command(pilot, "Are you GPT?")  # the echo names gpt-4o-mini's maker; o3-mini's is not named
        await until(pilot, lambda: isinstance(app.screen, CompareScreen))
        await until(pilot, lambda: ended(app))
        cols = columns(app)
        assert sorted(c.title_text for c in cols) == ["Model A", "Model B"]
        page = " ".join(plain(w) for w in app.screen.query("Static"))
        assert A not in page and C not in page and "$" not in page and "TTFT" not in page
        gpt = next(p for p, i in enumerate(screen(app).order) if screen(app).plan.models[i] == A)
        await pilot.press(str(gpt + 1))
        letters = "AB"
        assert cols[gpt].title_text == f"{letters[gpt]} = {A}  ⚑ names its maker"
        assert cols[1 - gpt].title_text == f"{letters[1 - gpt]} = {C}"
        assert "$" in plain(cols[0].query_one(".compare-figures"))
        assert plain(app.screen.query_one("#compare-heading")).startswith(
            "blind compare of 2 answers, revealed · estimated $"
        )
        kind, winner, _, blind, flagged = votes(store)[0]
        assert (kind, winner, blind) == ("winner", cols[gpt].view.answer_id, 1)
        assert json.loads(flagged) == [cols[gpt].view.answer_id]


async def test_a_narrow_terminal_shows_tabs_with_a_live_status(store, openai_server):
    app = lab_app(store, openai_server)
    async with app.run_test(size=(70, 30)) as pilot:
        await compare(pilot, f"{A},{B}", "hi")
        await until(pilot, lambda: ended(app))
        await pilot.pause(0.2)
        compare_screen = screen(app)
        assert compare_screen.has_class("-tabs")
        assert [c.display for c in columns(app)] == [True, False]
        await pilot.press("right")
        assert [c.display for c in columns(app)] == [False, True]
        await pilot.press("enter")  # no vote: goes on with the tab shown
        await until(pilot, lambda: isinstance(app.screen, ChatScreen))
        assert store.path(app.service.conversation_id)[-1].id == columns_ids(compare_screen)[1]
    async with lab_app(store, openai_server).run_test(size=(160, 30)) as pilot:
        await compare(pilot, f"{A},{B}", "wide")
        assert not screen(pilot.app).has_class("-tabs")


def columns_ids(compare_screen: CompareScreen) -> list[int | None]:
    return [compare_screen.views[i].answer_id for i in compare_screen.order]


async def test_a_private_prompt_is_compared_among_local_models_only(store, openai_server, monkeypatch):
    monkeypatch.setenv("CLOUD_KEY", "sk-cloud-0123456789abcdef")
    cloud = ProviderConfig("cloud", "openai", "https://cloud.invalid/v1", api_key_env="CLOUD_KEY", timeouts=QUICK)
    app = lab_app(store, openai_server, providers=[openai_server.config("lab", timeouts=QUICK), cloud])
    async with app.run_test(size=(150, 40)) as pilot:
        await command(pilot, f"/compare {A},cloud/big")
        await command(pilot, f"is this key valid? {SECRET}")
        await pilot.pause(0.1)
        assert isinstance(app.screen, ChatScreen)  # one local model: nothing compared, nothing sent
        assert app.screen.query_one(PromptInput).text == f"is this key valid? {SECRET}"
        assert any("not compared: nothing compared: 1 of the models" in m and "cloud/big left out" in m
                   for m in said(app))
        assert SECRET not in " ".join(said(app))
        assert store.latest_conversation_id() is None

        await command(pilot, f"/compare {A},cloud/big,{B}")
        await command(pilot, f"is this key valid? {SECRET}")
        await until(pilot, lambda: ended(app))
        assert [c.title_text for c in columns(app)] == [A, B]
        assert any(m.startswith("cloud/big left out: the turn is private") for m in said(app))
        assert store.privacy_lock(app.service.conversation_id) is not None


async def test_the_picker_marks_models_and_the_preview_shows_the_estimated_cost(store, openai_server):
    app = lab_app(store, openai_server)
    async with app.run_test(size=(150, 40)) as pilot:
        await pilot.press("f2")
        await until(pilot, lambda: isinstance(app.screen, ComparePicker))
        picker = app.screen
        await pilot.press("enter")  # marks the highlighted model
        await pilot.press("f2")  # one marked: not enough
        assert isinstance(app.screen, ComparePicker)
        await pilot.press("down", "enter", "f2")
        await until(pilot, lambda: isinstance(app.screen, ChatScreen))
        choice = app.service.compare_choice
        assert choice is not None and choice.models == picker.marked and len(choice.models) == 2
        prompt = app.screen.query_one(PromptInput)
        prompt.focus()
        prompt.insert("Explain recursion briefly.")
        preview = app.screen.query_one(RoutePreview)
        await until(pilot, lambda: "compare →" in plain(preview))
        assert f"{', '.join(choice.models)} · estimated $" in plain(preview)
        assert plain(preview).endswith("for 2 answers")


async def test_compare_sets_the_routers_top_n_and_bad_arguments(store, openai_server):
    app = lab_app(store, openai_server)
    app.service.config.compare_sets["quick"] = (A, B)
    async with app.run_test(size=(150, 40)) as pilot:
        await command(pilot, "/compare quick")
        assert app.service.compare_choice.set_name == "quick"
        await command(pilot, "/compare nope")
        assert app.service.compare_choice.set_name == "quick"  # unchanged
        assert any("no compare set 'nope': the sets are quick" in m for m in said(app))
        await command(pilot, "/compare top 9")
        assert app.service.compare_choice.set_name == "quick"  # unchanged
        assert any("a compare takes 2 to 6 models, not the top 9" in m for m in said(app))
        await command(pilot, "/compare top 2")
        assert app.service.compare_choice.top == 2
        await command(pilot, "Write a haiku.")
        await until(pilot, lambda: ended(app))
        assert len(columns(app)) == 2
        top = [c.model for c in app.service.decide("Write a haiku.").candidates][:2]
        assert sorted(c.title_text for c in columns(app)) == sorted(top)
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, ChatScreen))
        await command(pilot, "/compare off")
        assert app.service.compare_choice is None
        await command(pilot, f"/compare {A}")  # one model is not a compare
        assert app.service.compare_choice is None


async def test_the_budget_counts_the_compares_estimate(store, openai_server):
    app = lab_app(store, openai_server, budget=Budget(day=0.000001))
    async with app.run_test(size=(150, 40)) as pilot:
        await command(pilot, f"/compare {A},{B}")
        await command(pilot, "a prompt long enough to cost something " * 20)
        await pilot.pause(0.1)
        question = " ".join(plain(w) for w in app.screen.query("Static"))
        assert "This compare (estimated $" in question and "would pass the day budget" in question
        await pilot.press("escape")
        await pilot.pause(0.1)
        assert all(r.path != "/v1/chat/completions" for r in openai_server.requests)  # not sent
        assert store.latest_conversation_id() is None and isinstance(app.screen, ChatScreen)
        assert app.screen.query_one(PromptInput).text.startswith("a prompt long enough")  # kept



async def test_the_leaderboard_counts_a_vote_given_in_the_chat(store, openai_server):
    from mmchat.tui.screens.stats import StatsScreen

    app = lab_app(store, openai_server)
    async with app.run_test(size=(150, 40)) as pilot:
        await compare(pilot, f"{A},{B}", "Write a Python function that reverses a string.")
        await until(pilot, lambda: ended(app))
        await pilot.press("2")
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, ChatScreen))
        await command(pilot, "/stats")
        await until(pilot, lambda: isinstance(app.screen, StatsScreen) and app.screen.board is not None)
        board = app.screen.board
        assert board.votes == 1
        body = plain(app.screen.query_one("#stats-body"))
        assert B in body and A in body and "code" in body  # the prompt's category, from its stored decision
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, ChatScreen))


async def test_export_all_writes_the_alternatives_of_a_compare(store, openai_server, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = lab_app(store, openai_server)
    async with app.run_test(size=(150, 40)) as pilot:
        await compare(pilot, f"{A},{B}", "Pick one.")
        await until(pilot, lambda: ended(app))
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, ChatScreen))
        await command(pilot, "/export json all")
        await command(pilot, "/export md")
        await pilot.pause()
    conversation_id = app.service.conversation_id
    document = json.loads((tmp_path / f"mmchat-{conversation_id}-pick-one.json").read_text())
    assert [o["model"] for o in document["messages"][1]["alternatives"]] == [B]
    assert "Other answer" not in (tmp_path / f"mmchat-{conversation_id}-pick-one.md").read_text()


async def test_quitting_during_a_compare_keeps_every_answer_marked(store, openai_server):
    for text in ("one", "two"):
        openai_server.enqueue(Script(200, dict(SSE_HEADERS), [chunk(role=True), chunk(content=text), sleep(30), DONE]))
    app = lab_app(store, openai_server)
    async with app.run_test(size=(150, 40)) as pilot:
        await compare(pilot, f"{A},{B}", "slow")
        await until(pilot, lambda: all(c.view.chars for c in columns(app)))
        ids = [c.view.answer_id for c in columns(app)]
        await pilot.press("ctrl+q")
    stored = [store.message(i) for i in ids]
    assert {m.status for m in stored} == {"interrupted"} and sorted(m.content for m in stored) == ["one", "two"]
