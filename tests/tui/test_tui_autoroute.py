"""Pilot tests of auto-route in the interface: the mode, routed turns and their decisions,
held private turns, the privacy lock, one-turn overrides, stronger retries and fallbacks.

Models of `lab` live on a local test server (so they are tagged local and free); `cloud`
has an address that is never contacted: a turn routed there would fail for want of a key.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

from mmchat.config import ModelConfig, Price, ProviderConfig
from mmchat.tui.screens.chat import ChatScreen
from mmchat.tui.screens.dialogs import Confirm
from mmchat.tui.screens.model_picker import ModelPicker
from mmchat.tui.widgets.messages import Marker, Notice, UserMessage
from mmchat.tui.widgets.prompt import PromptInput
from mmchat.tui.widgets.status import StatusLine
from tests.servers.core import DROP
from tests.tui.conftest import QUICK, make_app, until
from tests.tui.test_tui_chat import answers, plain, send

LAB = {
    "lab/small": ModelConfig("lab/small", context=32_000, tags=("small",)),
    "lab/big": ModelConfig("lab/big", context=32_000, tags=("strong",)),
}
CLOUD_MODELS = {
    "cloud/mini": ModelConfig("cloud/mini", context=128_000, price=Price(input=0.4, output=1.6), tags=("fast",)),
    "cloud/big": ModelConfig("cloud/big", context=128_000, price=Price(input=2.0, output=8.0), tags=("strong",)),
}
CLOUD = ProviderConfig(name="cloud", type="openai", base_url="https://api.cloud.test/v1", timeouts=QUICK, max_retries=0)



def word_rules(*rules: tuple[str, str, str], head: str = "") -> str:
    """A `routing:` section (`head` lines first) whose rules (name, word, model) send a prompt
    holding the word to the model."""
    lines = ["routing:", *(f"  {line}" for line in head.splitlines()), "  rules:"]
    for name, word, model in rules:
        lines += [f"    - name: {name}", f"      when: {{contains: {word}}}", f"      then: {{use: {model}}}"]
    return "\n".join(lines) + "\n"


# Plain greetings go to the cloud unless the conversation is private.
HELLO_TO_CLOUD = word_rules(("greetings", "hello", "cloud/mini"))


def status(app) -> str:
    return plain(app.screen.query_one(StatusLine))


def notes(app) -> list[str]:
    return [str(n.message) for n in app._notifications]


def sent_models(server) -> list[str]:
    """The model of every chat request the server received, in order."""
    return [json.loads(r.body)["model"] for r in server.requests if r.path.endswith("/chat/completions")]


def lab_app(store, server, **kw):
    return make_app(store, [server.config("lab", timeouts=QUICK)], models=LAB, **kw)


# Two providers on the local test server: `one` first for questions, `two` to fall back on.
TWO_PROVIDERS = {
    "one/big": ModelConfig("one/big", context=32_000, tags=("strong",)),
    "two/small": ModelConfig("two/small", context=32_000, tags=("small",)),
}
BIG_FIRST = ("big first", "question", "one/big")


def two_provider_app(store, server, routing: str = word_rules(BIG_FIRST)):
    providers = [server.config("one", timeouts=QUICK, max_retries=0), server.config("two", timeouts=QUICK, max_retries=0)]
    return make_app(store, providers, models=TWO_PROVIDERS, routing=routing, route="auto")


POEMS_TO_SMALL = word_rules(("small first", "poem", "lab/small"))


def state_route(store) -> str:
    return json.loads((store.db_path.parent / "tui-state.json").read_text())["route"]


async def test_auto_route_is_the_default_with_two_models_and_the_mode_is_remembered(store, openai_server):
    app = lab_app(store, openai_server, default_model="lab/small")
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        assert app.service.auto_route
        assert status(app).startswith("auto")
        await pilot.press("ctrl+g")
        assert not app.service.auto_route
        assert status(app).startswith("pinned: lab/small")
        await send(pilot, "/auto")
        assert status(app).startswith("auto")
        await send(pilot, "/auto off")
        assert status(app).startswith("pinned: lab/small")
    assert state_route(store) == "pinned"
    again = lab_app(store, openai_server, default_model="lab/small")
    async with again.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        assert not again.service.auto_route and status(again).startswith("pinned: lab/small")
        # Choosing a model in the picker pins it (and so does /model).
        await send(pilot, "/auto on")
        await pilot.press("ctrl+o")
        await until(pilot, lambda: isinstance(again.screen, ModelPicker))
        await pilot.press(*"big", "enter")
        await until(pilot, lambda: isinstance(again.screen, ChatScreen))
        assert not again.service.auto_route and again.service.model == "lab/big"
        assert status(again).startswith("pinned: lab/big")
    assert state_route(store) == "pinned"


async def test_one_model_starts_pinned(store, openai_server):
    app = make_app(store, [openai_server.config("lab", timeouts=QUICK)], default_model="lab/only")
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        assert not app.service.auto_route
        assert status(app).startswith("pinned: lab/only")
        assert not app.screen.query_one("#route-preview").display


async def test_a_routed_turn_shows_its_decision_which_expands_and_is_stored(store, openai_server):
    routing = word_rules(("sums go big", "sum", "lab/big"))
    app = lab_app(store, openai_server, routing=routing, route="auto")
    async with app.run_test(size=(130, 40)) as pilot:
        await send(pilot, "what is the sum of 2 and 2?")
        await until(pilot, lambda: answers(app) and answers(app)[0].state == "complete")
        answer = answers(app)[0]
        line = answer.route
        assert line is not None
        assert plain(line) == "▸ → lab/big · rule 'sums go big' · free"
        assert plain(answer.header).startswith("lab/big · ")
        assert sent_models(openai_server) == ["big"]
        # A click expands it to the whole decision, a second folds it.
        await pilot.click(line)
        expanded = plain(line)
        assert "rules matched: sums go big" in expanded and "candidates:" in expanded and "lab/small" in expanded
        await pilot.click(line)
        assert plain(line).startswith("▸ → lab/big")
        # So does the key, for the latest routed answer.
        await pilot.press("f3")
        assert "candidates:" in plain(line)
        conversation_id = app.service.conversation_id
    stored = [m for m in store.path(conversation_id) if m.role == "assistant"][0]
    assert stored.decision["model"] == "lab/big" and stored.decision["rules"] == ["sums go big"]
    # Reopened, the answer shows the stored decision; Enter on the focused line expands it.
    again = lab_app(store, openai_server, routing=routing)
    again.service.conversation_id = conversation_id
    async with again.run_test(size=(130, 40)) as pilot:
        await pilot.pause()
        line = answers(again)[0].route
        assert line is not None and plain(line) == "▸ → lab/big · rule 'sums go big' · free"
        line.focus()
        await pilot.press("enter")
        assert "rules matched: sums go big" in plain(line)


async def test_a_pinned_turn_shows_no_route_line_and_stores_the_pin(store, openai_server):
    app = lab_app(store, openai_server, default_model="lab/small", route="pinned")
    async with app.run_test(size=(120, 36)) as pilot:
        await send(pilot, "hello")
        await until(pilot, lambda: answers(app) and answers(app)[0].state == "complete")
        assert answers(app)[0].route is None
        assert sent_models(openai_server) == ["small"]
        await pilot.press("f3")
        assert any(n.startswith("no routing decision shown") for n in notes(app))
    stored = [m for m in store.path(app.service.conversation_id) if m.role == "assistant"][0]
    assert (stored.decision["mode"], stored.decision["fallbacks"]) == ("pin", [])


async def test_a_private_turn_without_a_local_model_is_held_and_the_prompt_stays(store):
    app = make_app(store, [CLOUD], models=CLOUD_MODELS, route="auto")
    async with app.run_test(size=(120, 36)) as pilot:
        await send(pilot, "#private my salary is 90k, draft a note")
        await pilot.pause()
        prompt = app.screen.query_one(PromptInput)
        assert prompt.text == "#private my salary is 90k, draft a note"
        assert any(n.startswith("held · the turn is private") and "no local model" in n for n in notes(app))
        assert not answers(app) and not app.screen.query(UserMessage)
    assert store.list_conversations() == []


async def test_the_privacy_lock_keeps_later_turns_local_until_unlocked(store, openai_server):
    app = make_app(
        store, [openai_server.config("lab", timeouts=QUICK), CLOUD], models={**LAB, **CLOUD_MODELS},
        routing=HELLO_TO_CLOUD, route="auto",
    )
    async with app.run_test(size=(140, 36)) as pilot:
        await send(pilot, "#private hello, here is my diary")
        await until(pilot, lambda: answers(app) and answers(app)[0].state == "complete")
        first = answers(app)[0]
        assert first.model.startswith("lab/") and "private: local only" in plain(first.route)
        assert [plain(u) for u in app.screen.query(UserMessage)] == ["hello, here is my diary"]  # the tag is not sent
        conversation_id = app.service.conversation_id
        assert store.privacy_lock(conversation_id) is not None
        assert "locked: local only" in status(app)
        # Not private by itself, and a rule sends greetings to the cloud: the lock keeps it local.
        await send(pilot, "hello again")
        await until(pilot, lambda: len(answers(app)) == 2 and answers(app)[1].state == "complete")
        assert answers(app)[1].model.startswith("lab/")
        assert "conversation locked" in " ".join(json.dumps(m.decision) for m in store.path(conversation_id) if m.decision)
        # Unlocking asks first; "keep" keeps the lock.
        await send(pilot, "/unlock")
        await until(pilot, lambda: isinstance(app.screen, Confirm))
        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, ChatScreen))
        assert store.privacy_lock(conversation_id) is not None
        await send(pilot, "/unlock")
        await until(pilot, lambda: isinstance(app.screen, Confirm))
        await pilot.press("y")
        await until(pilot, lambda: isinstance(app.screen, ChatScreen))
        assert store.privacy_lock(conversation_id) is None
        assert "locked" not in status(app)
        assert app.service.decide("hello there").model == "cloud/mini"
        await send(pilot, "/unlock")
        await pilot.pause()
        assert isinstance(app.screen, ChatScreen)
        assert any("not locked" in n for n in notes(app))
    assert len(sent_models(openai_server)) == 2


async def test_a_pin_on_a_cloud_model_gives_way_to_a_local_one_for_a_private_turn(store, openai_server):
    app = make_app(
        store, [openai_server.config("lab", timeouts=QUICK), CLOUD], models={**LAB, **CLOUD_MODELS},
        default_model="cloud/mini", route="pinned",
    )
    async with app.run_test(size=(140, 36)) as pilot:
        await send(pilot, "#private my medical results")
        await until(pilot, lambda: answers(app) and answers(app)[0].state == "complete")
        answer = answers(app)[0]
        assert answer.model.startswith("lab/") and answer.route is not None
        await pilot.press("f3")
        assert "pin cloud/mini refused" in plain(answer.route)
        assert "pinned: cloud/mini" in status(app) and "locked: local only" in status(app)
    assert len(sent_models(openai_server)) == 1


async def test_retry_in_auto_route_routes_again_around_a_failing_provider(store, openai_server):
    server = openai_server
    models = {
        "one/big": ModelConfig("one/big", context=32_000, tags=("strong",)),
        "two/big": ModelConfig("two/big", context=32_000, tags=("strong",)),
    }
    providers = [server.config("one", timeouts=QUICK, max_retries=0), server.config("two", timeouts=QUICK, max_retries=0)]
    routing = word_rules(("one first", "question", "one/big"), head="fallbacks: 0")
    app = make_app(store, providers, models=models, routing=routing, route="auto")
    app.service.auto.breaker.threshold = 1
    server.reply_error(500, "the server fell over")
    async with app.run_test(size=(140, 36)) as pilot:
        await send(pilot, "a question")
        await until(pilot, lambda: answers(app) and answers(app)[0].state == "error")
        assert answers(app)[0].model == "one/big"
        await pilot.press("ctrl+r")
        await until(pilot, lambda: answers(app)[-1].state == "complete")
        assert len(answers(app)) == 1 and answers(app)[0].model == "two/big"
        assert [plain(u) for u in app.screen.query(UserMessage)] == ["a question"]
    assert sent_models(server) == ["big", "big"]
    path = store.path(app.service.conversation_id)
    assert [(m.role, m.model, m.status) for m in path] == [("user", None, "complete"), ("assistant", "two/big", "complete")]
    assert "one/big" in " ".join(path[1].decision["notes"])  # the rule's model was skipped, and why


async def test_next_sends_one_message_to_the_chosen_model_then_auto_resumes(store, openai_server):
    routing = word_rules(("small talk", "hi", "lab/small"))
    app = lab_app(store, openai_server, routing=routing, route="auto")
    async with app.run_test(size=(130, 36)) as pilot:
        await send(pilot, "/next lab/big")
        assert "next message: lab/big" in status(app)
        await send(pilot, "hi one")
        await until(pilot, lambda: answers(app) and answers(app)[0].state == "complete")
        assert plain(answers(app)[0].route).startswith("▸ → lab/big · chosen for this turn")
        assert "next message" not in status(app) and app.service.auto_route
        await send(pilot, "hi two")
        await until(pilot, lambda: len(answers(app)) == 2 and answers(app)[1].state == "complete")
        assert answers(app)[1].model == "lab/small"
        # The picker variant: F4 chooses the next message's model.
        await pilot.press("f4")
        await until(pilot, lambda: isinstance(app.screen, ModelPicker))
        assert "next message only" in plain(app.screen.query_one("#picker-title"))
        await pilot.press(*"big", "enter")
        await until(pilot, lambda: isinstance(app.screen, ChatScreen))
        assert app.service.override == "lab/big" and app.service.auto_route
        await send(pilot, "/next off")
        assert app.service.override is None
    assert sent_models(openai_server) == ["big", "small"]


async def test_an_override_cannot_break_the_privacy_lock(store, openai_server):
    app = make_app(
        store, [openai_server.config("lab", timeouts=QUICK), CLOUD], models={**LAB, **CLOUD_MODELS}, route="auto"
    )
    async with app.run_test(size=(140, 36)) as pilot:
        await send(pilot, "#private a secret plan")
        await until(pilot, lambda: answers(app) and answers(app)[0].state == "complete")
        await send(pilot, "/next cloud/big")
        await send(pilot, "and now?")
        await until(pilot, lambda: len(answers(app)) == 2 and answers(app)[1].state == "complete")
        second = answers(app)[1]
        assert second.model.startswith("lab/")
        await pilot.press("f3")
        assert "override cloud/big refused" in plain(second.route)
    assert len(sent_models(openai_server)) == 2


async def test_stronger_answers_the_latest_prompt_again_in_place(store, openai_server):
    app = lab_app(store, openai_server, routing=POEMS_TO_SMALL, route="auto")
    async with app.run_test(size=(130, 36)) as pilot:
        await send(pilot, "a poem please")
        await until(pilot, lambda: answers(app) and answers(app)[0].state == "complete")
        first_id = answers(app)[0].message_id
        assert answers(app)[0].model == "lab/small"
        await pilot.press("f5")
        await until(pilot, lambda: answers(app) and answers(app)[-1].state == "complete" and answers(app)[-1].model == "lab/big")
        assert len(answers(app)) == 1
        assert [plain(u) for u in app.screen.query(UserMessage)] == ["a poem please"]
        assert "stronger than lab/small" in plain(answers(app)[0].route)
        # Nothing is stronger than the strongest: said so, nothing sent.
        await send(pilot, "/stronger")
        await pilot.pause()
        assert any("no model stronger than lab/big" in n for n in notes(app))
    path = store.path(app.service.conversation_id)
    assert [(m.role, m.model) for m in path] == [("user", None), ("assistant", "lab/big")]
    assert [m.id for m in store.siblings(path[1].id)] == [first_id, path[1].id]
    assert sent_models(openai_server) == ["small", "big"]
    sent = json.loads(openai_server.requests[-1].body)["messages"]
    assert [m["content"] for m in sent] == ["a poem please"]


async def test_an_answer_cut_off_partway_is_kept_and_offers_the_next_model(store, openai_server):
    server = openai_server
    app = two_provider_app(store, server)
    server.enqueue(server.stream_script([*server.opening("Half an ans"), DROP]))
    async with app.run_test(size=(140, 36)) as pilot:
        await send(pilot, "a question")
        await until(pilot, lambda: answers(app) and answers(app)[0].state == "interrupted")
        cut = answers(app)[0]
        assert cut.model == "one/big" and cut.text == "Half an ans"  # one model's text only, kept
        problem = plain(cut.problem)
        assert problem.startswith("Interrupted: ")
        assert problem.endswith("F8 or /retry next: answer again on two/small")
        await send(pilot, "/retry sideways")
        assert any("use /retry or /retry next" in n for n in notes(app))
        # Opened again, the latest answer still offers the next model.
        await app.screen.show_conversation()
        assert plain(answers(app)[0].problem).endswith("F8 or /retry next: answer again on two/small")
        await pilot.press("f8")
        await until(pilot, lambda: answers(app) and answers(app)[-1].state == "complete")
        assert len(answers(app)) == 1
        again = answers(app)[0]
        assert again.model == "two/small" and again.text == "You said: a question"
        assert plain(again.route).startswith("▸ → two/small · next after one/big")
        assert [plain(u) for u in app.screen.query(UserMessage)] == ["a question"]
        # From the last model of the order, the next is the best other one: one/big again.
        await send(pilot, "/retry next")
        await until(pilot, lambda: answers(app) and answers(app)[-1].model == "one/big" and answers(app)[-1].state == "complete")
        conversation_id = app.service.conversation_id
    path = store.path(conversation_id)
    assert [(m.role, m.model, m.status) for m in path] == [("user", None, "complete"), ("assistant", "one/big", "complete")]
    kept = store.siblings(path[1].id)
    assert [(m.model, m.status, m.content) for m in kept[:2]] == [
        ("one/big", "interrupted", "Half an ans"), ("two/small", "complete", "You said: a question"),
    ]
    assert kept[1].decision["mode"] == "next" and kept[1].decision["model"] == "two/small"
    assert sent_models(server) == ["big", "small", "big"]


async def test_the_other_answers_to_a_prompt_can_be_shown_and_followed(store, openai_server):
    app = lab_app(store, openai_server, routing=POEMS_TO_SMALL, route="auto")
    async with app.run_test(size=(130, 36)) as pilot:
        await send(pilot, "/answer")
        assert any("no other answer to show: no stored answer yet" in n for n in notes(app))
        await send(pilot, "a poem please")
        await until(pilot, lambda: answers(app) and answers(app)[0].state == "complete")
        first_id = answers(app)[0].message_id
        await send(pilot, "/answer")
        assert any("this answer has no other" in n for n in notes(app))
        await pilot.press("f5")  # answered again by a stronger model, in place
        await until(pilot, lambda: answers(app)[-1].model == "lab/big" and answers(app)[-1].state == "complete")
        second_id = answers(app)[0].message_id
        assert plain(answers(app)[0].header).startswith("‹2/2› lab/big")
        await send(pilot, "/answer prev")
        await until(pilot, lambda: answers(app) and answers(app)[0].message_id == first_id)
        assert len(answers(app)) == 1 and plain(answers(app)[0].header).startswith("‹1/2› lab/small")
        assert app.focused is answers(app)[0]
        # The conversation goes on from the answer shown.
        await send(pilot, "another poem")
        await until(pilot, lambda: len(answers(app)) == 2 and answers(app)[1].state == "complete")
        conversation_id = app.service.conversation_id
        assert [m.id for m in store.path(conversation_id)][:2] == [store.message(first_id).parent_id, first_id]
        # Focused, the arrow keys switch: to the stronger answer, which has no continuation yet.
        answers(app)[0].focus()
        await pilot.press("right")
        await until(pilot, lambda: answers(app) and answers(app)[0].message_id == second_id)
        assert len(answers(app)) == 1 and [plain(u) for u in app.screen.query(UserMessage)] == ["a poem please"]
        await pilot.press("right")  # round to the first, and its continuation comes back
        await until(pilot, lambda: len(answers(app)) == 2 and answers(app)[0].message_id == first_id)
        assert [plain(u) for u in app.screen.query(UserMessage)] == ["a poem please", "another poem"]
    path = store.path(conversation_id)
    assert [(m.role, m.content) for m in path][-2:] == [("user", "another poem"), ("assistant", "You said: another poem")]


async def test_a_fallback_is_shown_and_the_answer_names_the_model_that_answered(store, openai_server):
    server = openai_server
    routing = word_rules(BIG_FIRST, ("small talk", "chat", "two/small"))
    app = two_provider_app(store, server, routing)
    app.service.auto.breaker.threshold = 1  # one failure opens one's circuit
    async with app.run_test(size=(140, 36)) as pilot:
        await send(pilot, "a chat")
        await until(pilot, lambda: answers(app) and answers(app)[0].state == "complete")
        server.reply_error(500, "the server fell over")
        await send(pilot, "a question")
        await until(pilot, lambda: len(answers(app)) == 2 and answers(app)[1].state == "complete")
        answer = answers(app)[1]
        fell = [plain(n) for n in answer.query(Notice)]
        assert len(fell) == 1
        assert fell[0].startswith("↪ one/big failed (") and "fell over" in fell[0] and fell[0].endswith("— trying two/small")
        assert plain(answer.header).startswith("two/small · ")
        assert answer.text == "You said: a question"
        assert not app.screen.query(Marker)  # routed to one/big, answered by two/small like the answer above
        assert "one skipped (1 failures in a row" in status(app)
        conversation_id = app.service.conversation_id
    stored = [m for m in store.path(conversation_id) if m.role == "assistant"][1]
    assert stored.model == "two/small" and [a["model"] for a in stored.attempts] == ["one/big"]
    assert sent_models(server) == ["small", "big", "small"]
    # Reopened, the fallback line comes from the stored attempts.
    again = two_provider_app(store, server, routing)
    again.service.conversation_id = conversation_id
    async with again.run_test(size=(140, 36)) as pilot:
        await pilot.pause()
        fell_again = [plain(n) for n in answers(again)[1].query(Notice)]
        assert fell_again == fell
        assert not again.screen.query(Marker)


async def test_a_retry_is_shown_in_the_conversation_and_kept_on_the_answer(store, openai_server):
    server = openai_server
    app = make_app(store, [server.config("lab", timeouts=QUICK, max_retries=1)], models=LAB, route="pinned", default_model="lab/small")
    server.reply_error(429, "slow down", headers={"Retry-After": "1"})
    async with app.run_test(size=(140, 36)) as pilot:
        await send(pilot, "hello")
        await until(pilot, lambda: answers(app) and answers(app)[0].state == "complete")
        shown = [plain(n) for n in answers(app)[0].query(Notice)]
        assert len(shown) == 1
        assert shown[0].startswith("↻ lab/small failed (") and "slow down" in shown[0]
        assert shown[0].endswith("— try 2 in 1.0 s")  # Retry-After is the floor; the first jitter stays under it
        conversation_id = app.service.conversation_id
    stored = store.path(conversation_id)[1]
    assert [(a["model"], a["retry_in_s"]) for a in stored.attempts] == [("lab/small", 1.0)]
    again = make_app(store, [server.config("lab", timeouts=QUICK)], models=LAB, route="pinned", default_model="lab/small")
    again.service.conversation_id = conversation_id
    async with again.run_test(size=(140, 36)) as pilot:
        await pilot.pause()
        assert [plain(n) for n in answers(again)[0].query(Notice)] == shown


async def test_the_typing_preview_is_routed_off_the_ui_thread_after_typing_pauses(store):
    app = make_app(store, [CLOUD], models=CLOUD_MODELS, route="auto")
    async with app.run_test(size=(130, 36)) as pilot:
        preview = app.screen.query_one("#route-preview")
        routed: list[tuple[int, str]] = []  # (thread, text) of each preview routed
        previewer = app.service.previewer

        def watched():
            route = previewer()

            def run(text):
                routed.append((threading.get_ident(), text))
                return route(text)

            return run

        app.service.previewer = watched
        typed = "write a haiku about tea"
        decision = app.service.decide(typed)
        expected = decision.line()
        assert expected.startswith(f"→ {decision.model} · ") and "est. $" in expected
        await pilot.press(*typed)
        await until(pilot, lambda: plain(preview) == expected)
        assert routed[-1][1] == typed
        assert len(routed) <= 2 < len(typed)  # once typing pauses, not per keystroke
        assert all(thread != threading.get_ident() for thread, _ in routed)
        # An override shows; a private prompt with no local model says it would be held.
        prompt = app.screen.query_one(PromptInput)
        prompt.clear()
        await send(pilot, "/next cloud/big")
        await pilot.press(*"hi")
        await until(pilot, lambda: plain(preview).startswith("→ cloud/big · chosen for this turn · est. $"))
        prompt.clear()
        await pilot.press(*"#private hi")
        await until(pilot, lambda: plain(preview).startswith("held · the turn is private"))
        # Empty prompt, slash command: nothing shown.
        prompt.clear()
        await pilot.pause()
        assert plain(preview) == ""
        count = len(routed)
        await pilot.press(*"/help")
        await pilot.pause(0.4)
        assert plain(preview) == "" and len(routed) == count
        prompt.clear()
        # Pinned: hidden, and nothing is routed while typing.
        await send(pilot, "/auto off")
        await pilot.press(*"hello")
        await pilot.pause(0.4)
        assert not preview.display and len(routed) == count


def test_a_bad_routing_rule_stops_the_start_with_one_line(tmp_path: Path):
    config = tmp_path / "config.yaml"
    config.write_text(
        """\
providers:
  lab: {type: openai, base_url: "http://127.0.0.1:9/v1"}
models:
  lab/small: {tags: [small]}
routing:
  rules:
    - name: broken
      when: {regex: "("}
      then: {use: lab/small}
"""
    )
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "MMCHAT_DATA_DIR": str(tmp_path / "data"),
        "MMCHAT_CACHE_DIR": str(tmp_path / "cache"),
        "MMCHAT_CONFIG": str(config),
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
    }
    done = subprocess.run(
        [sys.executable, "-m", "mmchat"], stdin=subprocess.DEVNULL, capture_output=True, text=True, env=env, timeout=30
    )
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"mmchat: {config}:8: ") and "rule 'broken'" in lines[0] and "bad regex" in lines[0]
