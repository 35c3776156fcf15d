"""`mmchat route …` and `mmchat ask -m auto`: the real command over a real store and a local server."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

from mmchat.store import Store
from tests.cli_helpers import mmchat, private_env, two_provider_config, write_config

SECRET = "sk-proj-" + "A1b2C3d4E5f6G7h8I9j0" * 2


def routed_config(home: Path, server, rules: str | None = None) -> Path:
    """`lab` is the local test server; `cloud` looks remote and is never contacted."""
    rules = rules or """\
routing:
  rules:
    - name: essays go to the big model
      when: {contains: essay}
      then: {use: cloud/big}
"""
    return write_config(
        home,
        f"""\
providers:
  lab:
    type: openai
    base_url: {server.base_url}
    timeouts: {{connect: 2, first_token: 2, idle: 2}}
    max_retries: 0
  cloud:
    type: openai
    base_url: https://cloud.example.invalid/v1
    api_key_env: LAB_KEY
models:
  lab/small:
    context: 8192
    tags: [fast]
  cloud/big:
    context: 200000
    price: {{input: 3.0, output: 15.0}}
    tags: [code, reasoning]
default_model: lab/small
{rules}""",
    )


def test_route_explains_a_decision_and_sends_nothing(home, openai_server):
    config = routed_config(home, openai_server)
    done = mmchat(home, "route", "write an essay about rivers", config=config)
    assert done.returncode == 0, done.stderr
    first = done.stdout.splitlines()[0]
    assert first.startswith("→ cloud/big") and "essays go to the big model" in done.stdout
    assert "candidates:" in done.stdout
    assert "tokens expected (guessed from the prompt)" in done.stdout  # no past answers to learn from yet
    assert openai_server.requests == []
    assert mmchat(home, "history", "list", config=config).stdout.count("\n") <= 1  # nothing stored


def test_route_takes_a_prompt_that_is_not_utf8(home, openai_server):
    config = routed_config(home, openai_server)
    latin1 = os.fsdecode(b"caf\xe9 au lait: write an essay")  # argv keeps the byte as a surrogate
    done = mmchat(home, "route", latin1, config=config)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("→ ") and "internal error" not in done.stderr


def test_a_secret_keeps_the_turn_local_whatever_the_rules_say(home, openai_server):
    config = routed_config(home, openai_server)
    done = mmchat(home, "route", "--json", f"write an essay; my key is {SECRET}", config=config)
    decision = json.loads(done.stdout)
    assert decision["model"] == "lab/small" and decision["private"]
    assert any(r["model"] == "cloud/big" and r["filter"] == "privacy" for r in decision["rejected"])
    assert SECRET not in done.stdout  # the decision names the kind of secret, never its value
    assert "cloud/big" not in decision["fallbacks"]


def test_route_check_names_the_file_line_and_rule_of_a_bad_rule(home, openai_server):
    good = mmchat(home, "route", "check", config=routed_config(home, openai_server))
    assert good.returncode == 0 and "routing rules OK" in good.stdout
    bad = routed_config(
        home,
        openai_server,
        "routing:\n  rules:\n    - name: broken\n      when: {regex: '(unclosed'}\n      then: {use: lab/small}\n",
    )
    done = mmchat(home, "route", "check", config=bad)
    assert done.returncode == 2
    line = done.stderr.strip()
    assert "\n" not in line and f"{bad}:" in line and "broken" in line


def test_route_test_passes_and_fails_cases_with_reasons(home, openai_server, tmp_path):
    config = routed_config(home, openai_server)
    cases = tmp_path / "cases.yaml"
    cases.write_text(
        "cases:\n"
        "  - name: essays are big\n"
        "    prompt: write an essay on tides\n"
        "    expect: {model: cloud/big}\n"
        "  - name: private stays local\n"
        "    prompt: 'an essay, #private please'\n"
        "    expect: {tag: local}\n"
    )
    done = mmchat(home, "route", "test", str(cases), config=config)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 passed, 0 failed" in done.stdout

    cases.write_text("cases:\n  - name: wrong guess\n    prompt: hello there\n    expect: {model: cloud/big}\n")
    done = mmchat(home, "route", "test", str(cases), config=config)
    assert done.returncode == 1
    assert "FAIL  wrong guess (line 2)\n        model: expected cloud/big, got lab/small\n" in done.stdout
    assert "candidates:" in done.stdout  # the whole decision is printed for a miss

    cases.write_text("cases:\n  - name: vague\n    prompt: no expectation\n")
    done = mmchat(home, "route", "test", str(cases), config=config)
    assert done.returncode == 2 and f"{cases}:2" in done.stderr and "expect" in done.stderr


def test_ask_auto_routes_stores_the_decision_and_locks_a_private_conversation(home, openai_server):
    config = routed_config(home, openai_server)
    done = mmchat(home, "ask", "-m", "auto", f"keep this: {SECRET}", config=config)
    assert done.returncode == 0, done.stderr
    assert "→ lab/small" in done.stderr and "private" in done.stderr
    with Store(home / "data" / "mmchat.db") as store:
        conversation = store.latest_conversation_id()
        user, answer = store.path(conversation)
        assert answer.model == "lab/small" and answer.decision["private"] is True
        assert store.privacy_lock(conversation) == user.id

    # Locked: even an essay, which the rules send to the cloud, stays local.
    done = mmchat(home, "ask", "-m", "auto", "-c", "now write an essay", config=config)
    assert done.returncode == 0, done.stderr
    assert "→ lab/small" in done.stderr
    assert len(openai_server.requests) == 2


def test_a_private_turn_with_no_local_model_is_held_and_not_stored(home, openai_server):
    config = write_config(
        home,
        "providers:\n  cloud:\n    type: openai\n    base_url: https://cloud.example.invalid/v1\n"
        "    api_key_env: LAB_KEY\nmodels:\n  cloud/big:\n    price: {input: 3.0, output: 15.0}\n"
        "default_model: cloud/big\n",
    )
    done = mmchat(home, "ask", "-m", "auto", f"my key: {SECRET}", config=config)
    assert done.returncode == 1
    assert "held" in done.stderr and SECRET not in done.stderr
    with Store(home / "data" / "mmchat.db") as store:
        assert store.latest_conversation_id() is None


def test_replay_shows_which_turns_would_change_model(home, openai_server):
    config = routed_config(home, openai_server)
    assert mmchat(home, "ask", "-m", "lab/small", "write an essay on salt", config=config).returncode == 0
    assert mmchat(home, "ask", "-m", "lab/small", "-c", "thanks", config=config).returncode == 0
    done = mmchat(home, "route", "replay", "1", config=config)
    assert done.returncode == 0, done.stderr
    rows = done.stdout.splitlines()
    assert "cloud/big  *" in rows[1] and "lab/small" in rows[2] and "*" not in rows[2]
    assert "1 of 2 turns would change model" in rows[-1]
    missing = mmchat(home, "route", "replay", "99", config=config)
    assert missing.returncode == 2 and "99" in missing.stderr


def test_the_sample_cases_pass_with_the_example_config(home):
    repo = Path(__file__).resolve().parent.parent
    done = mmchat(home, "--config", str(repo / "config.example.yaml"), "route", "test",
                  str(repo / "mmchat" / "data" / "route_cases.yaml"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert " 0 failed" in done.stdout


def test_a_chosen_cloud_model_is_refused_for_a_locked_conversation(home, openai_server):
    config = routed_config(home, openai_server)
    assert mmchat(home, "ask", "-m", "auto", f"keep this: {SECRET}", config=config).returncode == 0
    done = mmchat(home, "ask", "-m", "cloud/big", "-c", "a harmless follow-up", config=config)
    assert done.returncode == 0, done.stderr
    assert "→ lab/small" in done.stderr  # said on stderr, because it is not the model asked for
    with Store(home / "data" / "mmchat.db") as store:
        answer = store.path(store.latest_conversation_id())[-1]
        assert answer.model == "lab/small"
    # An unlocked conversation gets the model asked for, without a routing line.
    done = mmchat(home, "ask", "-m", "lab/small", "hello", config=config)
    assert done.returncode == 0 and "→" not in done.stderr


def test_ask_again_answers_the_latest_prompt_again_on_the_next_model(home, openai_server):
    from tests.servers.core import DROP

    config = two_provider_config(home, openai_server)
    openai_server.enqueue(openai_server.stream_script([*openai_server.opening("Half an ans"), DROP]))
    cut = mmchat(home, "ask", "-m", "auto", "a question", config=config)
    assert cut.returncode == 1 and cut.stdout.startswith("Half an ans")
    done = mmchat(home, "ask", "-m", "auto", "-c", "--again", "next", config=config)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "You said: a question"
    assert "→ two/small · next after one/big" in done.stderr
    with Store(home / "data" / "mmchat.db") as store:
        user, answer = store.path(store.latest_conversation_id())
        assert (user.content, answer.model, answer.status) == ("a question", "two/small", "complete")
        assert [(m.model, m.status) for m in store.siblings(answer.id)] == [
            ("one/big", "interrupted"), ("two/small", "complete"),
        ]
    # Routed again, the rule's model answers once more, beside the other two.
    again = mmchat(home, "ask", "-m", "auto", "-c", "--again", config=config)
    assert again.returncode == 0 and "→ one/big · rule 'big first'" in again.stderr
    assert [json.loads(r.body)["messages"][-1]["content"] for r in openai_server.requests] == ["a question"] * 3


def test_ask_again_needs_a_conversation_with_an_answer_and_no_prompt(home, openai_server):
    config = two_provider_config(home, openai_server)
    no_conversation = mmchat(home, "ask", "--again", config=config)
    assert no_conversation.returncode == 2 and "--again needs a conversation" in no_conversation.stderr
    with_prompt = mmchat(home, "ask", "-c", "--again", "next", "a new prompt", config=config)
    assert with_prompt.returncode == 2 and "give no prompt" in with_prompt.stderr
    with Store(home / "data" / "mmchat.db") as store:
        conversation = store.create_conversation()
        store.add_message(conversation, "user", "never answered")
    nothing = mmchat(home, "ask", "--conversation", str(conversation), "--again", config=config)
    assert nothing.returncode == 2 and f"conversation {conversation} has no answer to give again" in nothing.stderr
    assert openai_server.requests == []


class Output:
    """The lines a running command writes on a pipe, read by a thread so that waits have a deadline."""

    def __init__(self, pipe) -> None:
        self.lines: list[str] = []
        self._changed = threading.Condition()
        threading.Thread(target=self._read, args=(pipe,), daemon=True).start()

    def _read(self, pipe) -> None:
        for line in pipe:
            with self._changed:
                self.lines.append(line.rstrip("\n"))
                self._changed.notify_all()

    def wait_for(self, condition, limit: float = 30.0) -> list[str]:
        """Waits until `condition(lines)` holds (fails the test after `limit` seconds); returns the lines."""
        with self._changed:
            if not self._changed.wait_for(lambda: condition(self.lines), timeout=limit):
                raise AssertionError("never printed what was expected:\n" + "\n".join(self.lines))
            return list(self.lines)


def runs(lines: list[str]) -> list[str]:
    """The separator line that closes each run of `route test --watch`."""
    return [line for line in lines if line.startswith("──── ")]


def test_route_test_watch_runs_again_on_each_save_until_ctrl_c(home, openai_server, tmp_path):
    config = routed_config(home, openai_server)
    cases = tmp_path / "cases.yaml"
    cases.write_text("cases:\n  - name: essays are big\n    prompt: write an essay on tides\n    expect: {model: cloud/big}\n")
    watch = subprocess.Popen(
        [sys.executable, "-m", "mmchat", "route", "test", str(cases), "--watch"],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=private_env(home, config),
    )
    try:
        out = Output(watch.stdout)
        lines = out.wait_for(lambda lines: len(runs(lines)) == 1)
        assert f"watching {cases} and {config} (Ctrl+C stops)" in lines
        assert re.fullmatch(r"──── \d\d:\d\d:\d\d · ok: 1 passed, 0 failed ────", runs(lines)[0])

        # The config's rule now sends essays to the small model: the case fails, and the watch goes on.
        config.write_text(config.read_text().replace("use: cloud/big", "use: lab/small"))
        lines = out.wait_for(lambda lines: len(runs(lines)) == 2)
        assert runs(lines)[1].endswith(" · FAILED: 0 passed, 1 failed ────")
        assert "        model: expected cloud/big, got lab/small" in lines

        # A broken cases file: one line with the file and line, and still watching.
        cases.write_text("cases:\n  - name: vague\n    prompt: no expectation\n")
        lines = out.wait_for(lambda lines: len(runs(lines)) == 3)
        error = lines[-2]
        assert error.startswith(f"error: {cases}:2: ") and "expect" in error
        assert runs(lines)[2].endswith(" · error: fix the file and save it ────")

        # So is a broken config (a bad regex), which names the config's line.
        config.write_text(config.read_text().replace("{contains: essay}", "{regex: '(essay'}"))
        cases.write_text("cases:\n  - name: essays are small now\n    prompt: write an essay on tides\n    expect: {model: lab/small}\n")
        lines = out.wait_for(lambda lines: any(line.startswith(f"error: {config}:") for line in lines))
        config.write_text(config.read_text().replace("{regex: '(essay'}", "{contains: essay}"))
        lines = out.wait_for(lambda lines: runs(lines)[-1].endswith(" · ok: 1 passed, 0 failed ────"))
    finally:
        watch.send_signal(signal.SIGINT)
        try:
            code = watch.wait(timeout=30)
        finally:
            watch.kill()
    assert code == 130
    stderr = watch.stderr.read()
    assert "Traceback" not in stderr and "interrupted" not in stderr, stderr


def test_replay_and_route_show_what_your_evidence_changes(home, openai_server):
    """Bench results (in bench.db beside the history) where cloud/big passes every light case
    and lab/small none: `route` says so in its decision, and `route replay` shows the stored
    light turn that would now go to cloud/big."""
    config = routed_config(home, openai_server)
    assert mmchat(home, "ask", "-m", "auto", "thanks!", config=config).returncode == 0
    with Store(home / "data" / "mmchat.db") as store:
        assert store.path(1)[-1].model == "lab/small"
    with Store(home / "data" / "bench.db") as bench:
        run = bench.create_bench_run(suite_name="s", suite_path=None, suite_sha256="", models=["lab/small", "cloud/big"],
                                     repeat=1, estimated_cost_usd=None, max_cost_usd=None, params={})
        for n in range(40):
            for model, passed in (("lab/small", False), ("cloud/big", True)):
                bench.add_bench_result(run, case_id=f"c{n}", category="light", model=model, attempt=0,
                                       status="complete", passed=passed, checks=(), answer_id=None, text="", error=None,
                                       ttft_ms=None, latency_ms=None, input_tokens=0, output_tokens=0, cost_usd=None)
    routed = mmchat(home, "route", "thanks!", config=config)
    assert routed.returncode == 0, routed.stderr
    assert "→ cloud/big" in routed.stdout and "light: bench 100% of 40" in routed.stdout
    replay = mmchat(home, "route", "replay", "1", config=config)
    assert replay.returncode == 0, replay.stderr
    assert "cloud/big  *" in replay.stdout and "1 of 1 turns would change model" in replay.stdout
