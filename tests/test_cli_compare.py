"""`mmchat compare`: the real command in a subprocess against local OpenAI-format servers."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from mmchat.store import Store
from tests.cli_helpers import mmchat, on_terminal, private_env, write_config
from tests.servers import OpenAIServer, sleep
from tests.servers.openai import DONE, chunk, usage_body
from tests.servers.sockets import closed_port

SECRET = "sk-proj-" + "A1b2C3d4E5f6G7h8I9j0" * 2
MODELS = "lab/a,lab/b,lab/c"


def config(home: Path, providers: dict[str, str], models: list[str]) -> Path:
    """`providers`: name → base_url (an https://….invalid one looks like a cloud provider and
    is never contacted); `models`: the addresses of the catalog, with a price each."""
    entries = "".join(
        f"  {name}:\n    type: openai\n    base_url: {url}\n    api_key_env: LAB_KEY\n    max_retries: 0\n"
        "    timeouts: {connect: 2, first_token: 5, idle: 5}\n"
        for name, url in providers.items()
    )
    listed = "".join(f"  {m}: {{price: {{input: 1.0, output: 2.0}}}}\n" for m in models)
    return write_config(home, f"providers:\n{entries}models:\n{listed}default_model: {models[0]}\n")


def lab(home: Path, server: OpenAIServer) -> Path:
    return config(home, {"lab": server.base_url}, ["lab/a", "lab/b", "lab/c"])


def reply(server: OpenAIServer, text: str, *, after: float = 0.0, then: str = "", stall: float = 0.0) -> None:
    """An answer: `text` `after` seconds, `then` `stall` seconds later, then the end."""
    steps = [chunk(role=True), sleep(after), chunk(content=text), sleep(stall), chunk(content=then)]
    steps += [chunk(finish="stop"), chunk(choices=False, usage=usage_body(10, 4)), DONE]
    server.enqueue(server.stream_script(steps))


def hanging(server: OpenAIServer, text: str) -> None:
    """An answer that sends `text`, then nothing for 30 s."""
    server.enqueue(server.stream_script([*server.opening(text), sleep(30)]))


@pytest.fixture
def servers(openai_server: OpenAIServer) -> Iterator[tuple[OpenAIServer, ...]]:
    """Three local servers: the requests to each come in a known order."""
    with OpenAIServer() as two, OpenAIServer() as three:
        yield openai_server, two, three


def stored(home: Path):
    return Store(home / "data" / "mmchat.db")


def test_answers_are_printed_in_order_under_their_models_and_stored_as_siblings(home, servers):
    one, two, three = servers
    # The first model finishes last and the third first: printed in the order they were named.
    reply(one, "Red.", after=0.8)
    reply(two, "Green.", after=0.4)
    reply(three, "Blue.")
    conf = config(home, {"one": one.base_url, "two": two.base_url, "three": three.base_url},
                  ["one/m", "two/m", "three/m"])
    done = mmchat(home, "compare", "-m", "one/m,two/m", "-m", "three/m", "Name a colour.", config=conf)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "== one/m ==\nRed.\n\n== two/m ==\nGreen.\n\n== three/m ==\nBlue.\n"
    assert "\x1b" not in done.stderr  # not a terminal: no live table

    table = done.stderr.splitlines()
    assert table[0].split() == ["model", "status", "TTFT", "time", "tok/s", "in", "out", "cost"]
    rows = {line.split()[0]: line for line in table[1:4]}
    assert list(rows) == ["one/m", "two/m", "three/m"]
    assert all(" complete " in row for row in rows.values())
    assert "first token" in rows["three/m"] and "finished first" in rows["three/m"]
    assert "longest" in rows["two/m"]  # 'Green.' has the most characters
    assert "cheapest" not in done.stderr  # the same price and usage: a tie marks none
    assert table[-1] == "conversation 1: one/m's answer is followed, the others are its alternatives " \
                        "(`mmchat history show 1`)"

    with stored(home) as store:
        user, head = store.path(1)
        assert (user.content, head.model, head.content) == ("Name a colour.", "one/m", "Red.")
        siblings = store.siblings(head.id)
        assert [(m.model, m.content, m.status) for m in siblings] == [
            ("one/m", "Red.", "complete"), ("two/m", "Green.", "complete"), ("three/m", "Blue.", "complete"),
        ]
        assert {m.parent_id for m in siblings} == {user.id}
    assert "Red." in mmchat(home, "history", "show", "1", config=conf).stdout


def test_json_gives_the_answers_figures_and_ids_and_no_table(home, openai_server):
    done = mmchat(home, "compare", "--json", "-m", MODELS, "hi", config=lab(home, openai_server))
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    data = json.loads(done.stdout)
    assert set(data) == {"conversation_id", "user_message_id", "models", "left_out", "answers"}
    assert data["models"] == MODELS.split(",") and data["left_out"] == []
    answers = data["answers"]
    assert [a["model"] for a in answers] == MODELS.split(",")
    assert {(a["status"], a["text"], a["error"]) for a in answers} == {("complete", "You said: hi", None)}
    figures = answers[0]["figures"]
    assert set(figures) == {"ttft_ms", "elapsed_ms", "tokens_per_s", "input_tokens", "output_tokens", "cost_usd",
                            "estimated"}
    assert figures["estimated"] is False and figures["cost_usd"] > 0
    with stored(home) as store:
        ids = [m.id for m in store.siblings(answers[0]["answer_id"])]
        assert ids == [a["answer_id"] for a in answers]
        assert store.message(ids[0]).parent_id == data["user_message_id"]
        assert store.path(data["conversation_id"])[-1].id == ids[0]


def test_a_failing_model_fails_alone(home, openai_server):
    conf = config(home, {"lab": openai_server.base_url, "gone": f"http://127.0.0.1:{closed_port()}/v1"},
                  ["lab/a", "gone/far", "lab/b"])
    done = mmchat(home, "compare", "-m", "lab/a,gone/far,lab/b", "hi", config=conf)
    assert done.returncode == 0, done.stderr
    sections = done.stdout.split("\n\n")
    assert sections[0] == "== lab/a ==\nYou said: hi" and sections[2] == "== lab/b ==\nYou said: hi\n"
    assert sections[1].startswith("== gone/far ==\n[error: gone: cannot connect to http://127.0.0.1:")
    assert "mmchat: gone/far error: gone: cannot connect to http://127.0.0.1:" in done.stderr
    with stored(home) as store:
        assert [m.status for m in store.siblings(store.path(1)[-1].id)] == ["complete", "error", "complete"]


def test_when_every_model_fails_the_status_is_1(home):
    conf = config(home, {"gone": f"http://127.0.0.1:{closed_port()}/v1"}, ["gone/x", "gone/y"])
    done = mmchat(home, "compare", "-m", "gone/x,gone/y", "hi", config=conf)
    assert done.returncode == 1
    assert done.stderr.count(" error: gone: cannot connect") == 2


def test_an_unknown_model_stops_everything_before_anything_is_stored(home, openai_server):
    done = mmchat(home, "compare", "-m", "lab/a,nowhere/model", "hi", config=lab(home, openai_server))
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1 and "nowhere" in done.stderr
    assert openai_server.requests == []
    with stored(home) as store:
        assert store.latest_conversation_id() is None


@pytest.mark.parametrize(
    "models, says",
    [
        (["lab/a"], "compare takes 2 to 6 models; 1 given"),
        (["lab/a,lab/b,lab/c", "lab/d,lab/e,lab/f,lab/g"], "compare takes 2 to 6 models; 7 given"),
        (["lab/a,lab/b,lab/a"], "lab/a named twice"),
    ],
)
def test_two_to_six_different_models(home, openai_server, models, says):
    flags = [arg for m in models for arg in ("-m", m)]
    done = mmchat(home, "compare", *flags, "hi", config=lab(home, openai_server))
    assert done.returncode == 2 and says in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert openai_server.requests == []


def test_a_private_prompt_is_compared_among_local_models_only(home, openai_server):
    conf = config(home, {"lab": openai_server.base_url, "cloud": "https://cloud.invalid/v1"},
                  ["lab/a", "cloud/big", "lab/b"])
    prompt = f"is this key still valid? {SECRET}"
    done = mmchat(home, "compare", "-m", "lab/a,cloud/big,lab/b", prompt, config=conf)
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines()[0] == (
        "mmchat: cloud/big left out: the turn is private (OpenAI API key, line 1) and it is not a local model"
    )
    assert SECRET not in done.stderr
    assert [line for line in done.stdout.splitlines() if line.startswith("==")] == ["== lab/a ==", "== lab/b =="]
    assert len(openai_server.requests) == 2

    # With one local model left, there is nothing to compare: said, and nothing stored or sent.
    done = mmchat(home, "compare", "-m", "lab/a,cloud/big", prompt, config=conf)
    assert done.returncode == 1
    assert done.stderr.splitlines()[-1] == (
        "mmchat: nothing compared: 1 of the models can take this prompt: `mmchat ask -m lab/a` answers it alone"
    )
    assert len(openai_server.requests) == 2
    with stored(home) as store:
        assert len(store.list_conversations()) == 1


def test_the_prompt_from_stdin_and_a_compare_inside_a_conversation(home, openai_server):
    conf = lab(home, openai_server)
    assert mmchat(home, "ask", "-m", "lab/c", "first question", config=conf).returncode == 0
    done = mmchat(home, "compare", "-m", "lab/a,lab/b", "-c", stdin="piped follow-up\n", config=conf)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "== lab/a ==\nYou said: piped follow-up\n\n== lab/b ==\nYou said: piped follow-up\n"
    for request in openai_server.requests[-2:]:  # each model was given the conversation so far
        sent = [m["content"] for m in request.json["messages"]]
        assert sent == ["first question", "You said: first question", "piped follow-up\n"]
    with stored(home) as store:
        path = store.path(1)
        assert [m.role for m in path] == ["user", "assistant", "user", "assistant"]
        assert path[-1].model == "lab/a"
        assert [m.model for m in store.siblings(path[-1].id)] == ["lab/a", "lab/b"]
    assert "conversation 1:" in done.stderr
    again = mmchat(home, "compare", "-m", "lab/a,lab/b", "--conversation", "1", "one more", config=conf)
    assert again.returncode == 0 and "conversation 1:" in again.stderr


def test_a_closed_stdout_stops_the_answers_and_keeps_them_marked_interrupted(home, servers):
    fast, slow, _ = servers
    reply(fast, "Done.", after=0.5)  # by then the slow answers have sent their first text
    hanging(slow, "half ")
    hanging(slow, "half ")
    conf = config(home, {"fast": fast.base_url, "slow": slow.base_url}, ["fast/m", "slow/x", "slow/y"])
    read_end, write_end = os.pipe()
    os.close(read_end)
    started = time.monotonic()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "mmchat", "compare", "-m", "fast/m,slow/x,slow/y", "hi"],
            stdin=subprocess.DEVNULL, stdout=write_end, stderr=subprocess.PIPE, text=True,
            env=private_env(home, conf), timeout=60,
        )
    finally:
        os.close(write_end)
    assert (done.returncode, done.stderr) == (141, "")
    assert time.monotonic() - started < 20  # the slow answers were not waited for
    with stored(home) as store:
        answers = store.siblings(store.path(1)[-1].id)
        assert [(m.status, m.content) for m in answers] == [
            ("complete", "Done."), ("interrupted", "half "), ("interrupted", "half "),
        ]


def test_ctrl_c_stops_every_answer_and_keeps_what_each_received(home, openai_server):
    for _ in range(3):
        hanging(openai_server, "so far ")
    command = subprocess.Popen(
        [sys.executable, "-m", "mmchat", "compare", "-m", MODELS, "hi"],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=private_env(home, lab(home, openai_server)),
    )
    try:
        deadline = time.monotonic() + 30
        while len(openai_server.requests) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)  # the first text of each answer arrives
        command.send_signal(signal.SIGINT)
        out, err = command.communicate(timeout=30)
    finally:
        command.kill()
    assert command.returncode == 130, err
    assert "mmchat: stopped: each answer is kept as far as it came, marked interrupted (conversation 1)" in err
    assert "Traceback" not in err
    with stored(home) as store:
        answers = store.siblings(store.path(1)[-1].id)
        assert [(m.status, m.content) for m in answers] == [("interrupted", "so far ")] * 3


def test_on_a_terminal_a_live_table_is_redrawn_in_place_and_cleared(home, openai_server):
    for _ in range(3):
        reply(openai_server, "one ", stall=1.0, then="two")
    status, shown, out = on_terminal(home, lab(home, openai_server), "compare", "-m", MODELS, "hi", width=100)
    assert status == 0
    assert shown.startswith(f"estimated $0.0009 for 3 answers · {MODELS.replace(',', ', ')}\n")  # before sending
    live, _, summary = shown.rpartition("\x1b[4F\x1b[J")  # up over the header and 3 rows, erased
    assert live.count("\x1b[4F") >= 3  # redrawn in place several times in the second the answers took
    assert "streaming" in live and "~" in live  # live figures, estimated until the answers end
    assert all(len(line) < 100 for line in live.replace("\x1b[K", "").splitlines())
    assert "\x1b" not in summary and "complete" in summary and "conversation 1:" in summary
    assert out.count("one two") == 3


def votes(home: Path) -> list[tuple]:
    with stored(home) as store:
        rows = store._conn.execute("SELECT kind, winner_id, note, blind, self_naming FROM votes").fetchall()
        return [tuple(row) for row in rows]


def three_answers(server: OpenAIServer) -> None:
    for text in ("Red.", "Green.", "Blue."):
        reply(server, text)


QUESTION = "vote: the best answer's letter (A lab/a, B lab/b, C lab/c), t (tie), x (all bad), Enter (skip): "


def test_a_vote_for_b_is_recorded_with_its_note(home, servers):
    for server, text in zip(servers, ("Red.", "Green.", "Blue.")):
        reply(server, text)
    conf = config(home, {name: s.base_url for name, s in zip(("one", "two", "three"), servers)},
                  ["one/m", "two/m", "three/m"])
    status, screen, out = on_terminal(home, conf, "compare", "--vote", "-m", "one/m,two/m,three/m", "hi",
                                      answers=[("Enter (skip): ", "b\n"), ("note (Enter for none): ", "crisp\n")])
    assert status == 0, screen
    assert out == "== one/m ==\nRed.\n\n== two/m ==\nGreen.\n\n== three/m ==\nBlue.\n"
    question = "vote: the best answer's letter (A one/m, B two/m, C three/m), t (tie), x (all bad), Enter (skip): "
    assert question in screen and "vote recorded" in screen
    assert screen.index("first token") < screen.index(question)  # named: the figures come first
    assert screen.rstrip().endswith("conversation 1: the winner's answer, two/m's, is followed, "
                                    "the others are its alternatives (`mmchat history show 1`)")
    with stored(home) as store:
        outcomes = [(p.model_a, p.model_b, p.outcome) for p in store.voted_pairs()]
        head = store.path(1)[-1]
        answers = store.siblings(head.id)
    assert outcomes == [("one/m", "two/m", "b"), ("two/m", "three/m", "a")]
    assert votes(home) == [("winner", answers[1].id, "crisp", 0, "[]")]
    assert (head.model, head.content) == ("two/m", "Green.")  # the conversation goes on from the winner


@pytest.mark.parametrize("typed, kind, outcome", [("t\n", "tie", "tie"), ("X\n", "all_bad", "both_bad")])
def test_a_tie_and_all_bad(home, openai_server, typed, kind, outcome):
    three_answers(openai_server)
    status, screen, _ = on_terminal(home, lab(home, openai_server), "compare", "--vote", "-m", MODELS, "hi",
                                    answers=[("Enter (skip): ", typed), ("note (Enter for none): ", "\n")])
    assert status == 0 and "vote recorded" in screen
    assert "conversation 1: lab/a's answer is followed" in screen  # no winner: the first, as without a vote
    with stored(home) as store:
        assert [p.outcome for p in store.voted_pairs()] == [outcome] * 3
    assert votes(home) == [(kind, None, None, 0, "[]")]


def test_enter_skips_and_an_invalid_entry_is_asked_again_once(home, openai_server):
    conf = lab(home, openai_server)
    three_answers(openai_server)
    status, screen, _ = on_terminal(home, conf, "compare", "--vote", "-m", MODELS, "hi",
                                    answers=[("Enter (skip): ", "\n")])
    assert status == 0 and "vote recorded" not in screen and votes(home) == []
    three_answers(openai_server)
    status, screen, _ = on_terminal(home, conf, "compare", "--vote", "-m", MODELS, "hi",
                                    answers=[("Enter (skip): ", "q\n"), ("Enter (skip): ", "2\n"), ("none): ", "\n")])
    assert status == 0 and "'q' is not one of the choices" in screen and screen.count(QUESTION) == 2
    with stored(home) as store:
        winner = store.siblings(store.path(2)[-1].id)[1].id
    assert votes(home) == [("winner", winner, None, 0, "[]")]
    three_answers(openai_server)
    status, screen, _ = on_terminal(home, conf, "compare", "--vote", "-m", MODELS, "hi",
                                    answers=[("Enter (skip): ", "q\n"), ("Enter (skip): ", "z\n")])
    assert status == 0 and "mmchat: no vote" in screen and len(votes(home)) == 1


def test_ctrl_c_at_the_vote_skips_it_quietly(home, openai_server):
    three_answers(openai_server)
    status, screen, out = on_terminal(home, lab(home, openai_server), "compare", "--vote", "-m", MODELS, "hi",
                                      answers=[("Enter (skip): ", "\x03")])
    assert status == 0 and "Traceback" not in screen and votes(home) == []
    assert out.count("== lab/") == 3


def test_only_completed_answers_take_part(home, openai_server):
    conf = config(home, {"lab": openai_server.base_url, "gone": f"http://127.0.0.1:{closed_port()}/v1"},
                  ["lab/a", "gone/far", "lab/b"])
    status, screen, _ = on_terminal(home, conf, "compare", "--vote", "-m", "lab/a,gone/far,lab/b", "hi",
                                    answers=[("Enter (skip): ", "a\n"), ("none): ", "\n")])
    assert status == 0
    assert "vote: the best answer's letter (A lab/a, C lab/b), t (tie), x (all bad), Enter (skip): " in screen
    with stored(home) as store:
        assert [(p.model_a, p.model_b, p.outcome) for p in store.voted_pairs()] == [("lab/a", "lab/b", "a")]
    # One completed answer: nothing to vote on.
    conf = config(home, {"lab": openai_server.base_url, "gone": f"http://127.0.0.1:{closed_port()}/v1"},
                  ["lab/a", "gone/far"])
    status, screen, _ = on_terminal(home, conf, "compare", "--vote", "-m", "lab/a,gone/far", "hi")
    assert status == 0 and "vote:" not in screen


def test_blind_letters_only_until_the_vote_then_the_reveal(home, servers):
    one, two, three = servers
    # Each server's answers go to its models in any order; the self-naming one has its own server.
    for server, texts in ((one, ("Red.", "Green.", "Blue.")), (two, ("Cyan.", "Pink.")),
                          (three, ("As ChatGPT, made by OpenAI, I say hi.",))):
        for text in texts:
            reply(server, text, after=0.3)
    models = ["one/a", "one/b", "lab/gpt-4o-mini", "one/c", "two/d", "two/e"]
    conf = config(home, {"one": one.base_url, "two": two.base_url, "lab": three.base_url}, models)
    status, screen, out = on_terminal(home, conf, "compare", "--blind", "-m", ",".join(models), "hi",
                                      answers=[("Enter (skip): ", "c\n"), ("none): ", "blind pick\n")])
    assert status == 0, screen
    before, _, after = screen.partition("vote recorded")
    assert "vote: the best answer's letter (A, B, C, D, E, F), t (tie), x (all bad), Enter (skip): " in before
    assert not any(model in before for model in models) and "cost" not in before and "$" not in before
    assert "Model  " not in before and "A  " in before  # the live table, by letter
    assert [line for line in out.splitlines() if line.startswith("==")] == [f"== {c} ==" for c in "ABCDEF"]
    assert not any(model in out for model in models if model != "lab/gpt-4o-mini")

    # The reveal: which letter was which model, with the figures, the self-naming answer flagged.
    revealed = {}
    for line in after.splitlines():
        if " = " in line:
            letter, _, rest = line.partition(" = ")
            revealed[letter.strip()] = rest.split()[0]
            assert "complete" in rest and "$" in rest
    assert sorted(revealed) == list("ABCDEF") and sorted(revealed.values()) == sorted(models)
    assert [k for k, m in revealed.items() if m == "lab/gpt-4o-mini"] == [
        line.split()[0] for line in after.splitlines() if "(names its maker)" in line
    ]
    sections = {s.partition(" ==\n")[0].strip("= \n"): s.partition(" ==\n")[2].strip() for s in out.split("\n\n")}
    with stored(home) as store:
        answers = {m.model: m for m in store.siblings(store.path(1)[-1].id)}
        assert all(answers[revealed[letter]].content == text for letter, text in sections.items())
        assert store.path(1)[-1].model == revealed["C"]  # the conversation goes on from the winner
        outcomes = store.voted_pairs()
    assert {p.model_a if p.outcome == "a" else p.model_b for p in outcomes} == {revealed["C"]}
    assert votes(home) == [("winner", answers[revealed["C"]].id, "blind pick", 1,
                            f"[{answers['lab/gpt-4o-mini'].id}]")]


def test_blind_usage_errors(home, openai_server):
    conf = lab(home, openai_server)
    done = mmchat(home, "compare", "--blind", "--json", "-m", MODELS, "hi", config=conf)
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1 and "--json" in done.stderr
    done = mmchat(home, "compare", "--blind", "-m", MODELS, "hi", config=conf)
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1 and "terminal" in done.stderr
    assert openai_server.requests == []


def test_vote_without_a_terminal_is_not_asked(home, openai_server):
    done = mmchat(home, "compare", "--vote", "-m", MODELS, "hi", config=lab(home, openai_server))
    assert done.returncode == 0 and "mmchat: no vote: " in done.stderr and votes(home) == []


def test_history_export_alternatives_carries_every_answer_of_a_compare(home, openai_server):
    conf = lab(home, openai_server)
    assert mmchat(home, "compare", "-m", "lab/a,lab/b,lab/c", "Name a colour.", config=conf).returncode == 0
    path_only = mmchat(home, "history", "export", "1", config=conf).stdout
    assert path_only.count("You said: Name a colour.") == 1  # lab/a's answer is followed
    everything = mmchat(home, "history", "export", "1", "--alternatives", config=conf).stdout
    assert everything.count("You said: Name a colour.") == 3
    assert "### Other answer 1 of 2 · lab/b" in everything and "### Other answer 2 of 2 · lab/c" in everything
    document = json.loads(mmchat(home, "history", "export", "1", "-f", "json", "-a", config=conf).stdout)
    assert [o["model"] for o in document["messages"][1]["alternatives"]] == ["lab/b", "lab/c"]


def test_a_compare_set_or_the_routers_top_n_instead_of_named_models(home, openai_server):
    conf = lab(home, openai_server)
    conf.write_text(conf.read_text() + "compare_sets:\n  pair: [lab/c, lab/a]\n")
    done = mmchat(home, "compare", "--set", "pair", "hi", "--json", config=conf)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["models"] == ["lab/c", "lab/a"]

    done = mmchat(home, "compare", "--set", "trio", "hi", config=conf)
    assert done.returncode == 2 and done.stderr.strip() == "mmchat: no compare set 'trio': the sets are pair"

    done = mmchat(home, "compare", "--top", "3", "hi", "--json", config=conf)
    assert done.returncode == 0, done.stderr
    assert sorted(json.loads(done.stdout)["models"]) == ["lab/a", "lab/b", "lab/c"]
    done = mmchat(home, "compare", "--top", "9", "hi", config=conf)
    assert done.returncode == 2 and "not the top 9" in done.stderr

    done = mmchat(home, "compare", "--set", "pair", "-m", "lab/a,lab/b", "hi", config=conf)
    assert done.returncode == 2 and "not allowed with argument" in done.stderr
