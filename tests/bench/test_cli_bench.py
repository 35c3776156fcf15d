"""`mmchat bench`: the real command in a subprocess against a local OpenAI-format server."""

from __future__ import annotations

import json
import re
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from mmchat.store import NewAnswer, Store
from tests.cli_helpers import mmchat, on_terminal, private_env, write_config

CONFIRM = "run it? [y/N] "  # the plan's question on a terminal
from tests.servers import OpenAIServer
from tests.servers.core import RecordedRequest, Script

SUITE = """\
name: tiny
cases:
  - id: one
    category: facts
    prompt: Say one
    checks:
      - contains: one
  - id: two
    prompt: Say two
    checks:
      - contains: three
  - id: three
    prompt: Say three
"""


class SlowServer(OpenAIServer):
    """Answers 'Say three' only after 30 s (the rest at once)."""

    def default_reply(self, request: RecordedRequest) -> Script:
        script = super().default_reply(request)
        if self.last_user_text(request.json) == "Say three":
            script.delay = 30.0
        return script


def lab(home: Path, server: OpenAIServer) -> Path:
    return write_config(
        home,
        f"providers:\n  lab:\n    type: openai\n    base_url: {server.base_url}\n    max_retries: 0\n"
        "models:\n  lab/a: {price: {input: 1.0, output: 2.0}}\n  lab/b: {price: {input: 1.0, output: 2.0}}\n"
        "default_model: lab/a\n",
    )


def suite_file(home: Path, text: str = SUITE) -> Path:
    path = home / "suite.yaml"
    path.write_text(text)
    return path


def bench_store(home: Path) -> Store:
    return Store(home / "data" / "bench.db")


def user_messages(home: Path) -> int:
    with Store(home / "data" / "mmchat.db") as store:
        return store._conn.execute("SELECT count(*) FROM messages").fetchone()[0]


def test_a_run_prints_its_plan_and_the_pass_counts_as_json(home, openai_server):
    conf = lab(home, openai_server)
    done = mmchat(home, "bench", str(suite_file(home)), "--models", "lab/a,lab/b", "--json", config=conf)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["run_id"] == 1 and out["status"] == "done"
    assert out["models"]["lab/a"]["results"] == 3
    assert (out["models"]["lab/a"]["passed"], out["models"]["lab/a"]["failed"]) == (2, 1)
    assert "suite tiny: 3 cases × 2 models × 1 = 6 answers; 6 to run, estimated $" in done.stderr
    assert "bench run 1 done: [####################] 6/6 · in " in done.stderr
    assert "mmchat bench report 1 to see more" in done.stderr
    assert "\x1b" not in done.stderr  # not a terminal: no escapes, one summary line
    assert len(openai_server.requests) == 6
    assert os.stat(home / "data" / "bench.db").st_mode & 0o777 == 0o600
    assert user_messages(home) == 0  # the chat history is never written


def test_answers_a_judge_could_not_decide_get_their_own_column(home, openai_server):
    # The default reply echoes the prompt: the judge's "verdict" holds no score line.
    conf = lab(home, openai_server)
    pairwise = (
        "name: pair\njudge: lab/a\ncases:\n  - id: p\n    prompt: Say p\n    checks:\n"
        "      - judge: {rubric: better, mode: pairwise, against: lab/b}\n"
    )
    done = mmchat(home, "bench", str(suite_file(home, pairwise)), "--models", "lab/a,lab/b", config=conf)
    assert done.returncode == 0, done.stderr
    header, *rows = done.stdout.splitlines()
    assert header.split() == ["model", "passed", "failed", "undecided", "errors", "cost"]
    # lab/a: its verdicts could not be read; lab/b is the reference, not judged against itself.
    assert [row.split()[:5] for row in rows] == [["lab/a", "0/1", "0", "1", "0"], ["lab/b", "0/1", "0", "1", "0"]]


def test_the_day_budget_counts_the_runs_estimate_unless_max_cost_keeps_it_lower(home, openai_server):
    conf = lab(home, openai_server)
    conf.write_text(conf.read_text() + "budget: {day: 0.001}\n")
    suite = str(suite_file(home))
    refused = mmchat(home, "bench", suite, "--models", "lab/a,lab/b", config=conf)
    assert refused.returncode == 1
    assert re.search(r"mmchat: nothing sent: this run \(estimated \$0\.\d+\) would pass the day budget of \$0\.0010; "
                     r"pass --over-budget to send anyway\n", refused.stderr)
    assert openai_server.requests == [] and not bench_store(home).bench_runs()
    kept = mmchat(home, "bench", suite, "--models", "lab/a,lab/b", "--max-cost", "0.0009", config=conf)
    assert kept.returncode == 0, kept.stderr  # the run stops before it could pass the budget
    assert len(openai_server.requests) == 6
    anyway = mmchat(home, "bench", suite, "--models", "lab/a", "--over-budget", "--json", config=conf)
    assert anyway.returncode == 0, anyway.stderr
    assert "would pass the day budget of $0.0010: sending anyway (--over-budget)" in anyway.stderr


def test_a_run_expected_within_the_day_budget_stops_at_it_when_its_answers_cost_more(home, openai_server):
    conf = lab(home, openai_server)
    conf.write_text(conf.read_text() + "budget: {day: 0.25}\n")
    for _ in range(3):  # far longer answers than the router expects: $0.2 each
        openai_server.reply_text("one", usage=openai_server.usage_body(prompt_tokens=10, output_tokens=100_000))
    suite = str(suite_file(home))
    done = mmchat(home, "bench", suite, "--models", "lab/a", "--concurrency", "1", config=conf)
    assert done.returncode == 1
    assert ("mmchat: stopped at the day budget ($0.25 was left): "
            "`mmchat bench --resume 1 --over-budget` continues past it") in done.stderr
    assert len(openai_server.requests) == 1  # a second answer would have passed the budget
    resumed = mmchat(home, "bench", "--resume", "1", "--over-budget", config=conf)
    assert resumed.returncode == 0, resumed.stderr
    assert len(openai_server.requests) == 3


def test_a_resumed_run_keeps_the_concurrency_it_was_started_with(home):
    from tests.bench.test_runner import BenchServer, most_at_once

    with BenchServer(delay=0.3) as server:
        conf = lab(home, server)
        stopped = mmchat(home, "bench", str(suite_file(home)), "--models", "lab/a", "--concurrency", "1",
                         "--max-cost", "0", config=conf)
        assert stopped.returncode == 1 and server.arrivals == []  # no answer fits a limit of nothing
        resumed = mmchat(home, "bench", "--resume", "1", "--max-cost", "1", config=conf)
        assert resumed.returncode == 0, resumed.stderr
    assert len(server.arrivals) == 3 and most_at_once(server.arrivals, 0.3) == 1  # not the default 4 (2 a provider)


def test_the_table_and_the_list_of_runs(home, openai_server):
    conf = lab(home, openai_server)
    done = mmchat(home, "bench", str(suite_file(home)), "--models", "lab/b", config=conf)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0].split() == ["model", "passed", "failed", "errors", "cost"]
    assert done.stdout.splitlines()[1].split()[:4] == ["lab/b", "2/3", "1", "0"]
    listed = mmchat(home, "bench", "list", config=conf)
    assert listed.returncode == 0, listed.stderr
    header, row = listed.stdout.splitlines()
    assert header.split() == ["id", "date", "suite", "models", "status", "cost"]
    assert row.split()[0] == "1" and "tiny" in row and "lab/b" in row and "done" in row


def test_a_bad_suite_is_one_line_and_exit_2(home, openai_server):
    conf = lab(home, openai_server)
    path = suite_file(home, "cases:\n  - prompt: hi\n    checks:\n      - contans: x\n")
    done = mmchat(home, "bench", str(path), "--models", "lab/a", config=conf)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and done.stderr.startswith(f"mmchat: {path}:4:")
    assert openai_server.requests == []


def test_the_cost_limit_stops_and_resume_refuses_a_changed_suite_then_continues(home, openai_server):
    conf = lab(home, openai_server)
    path = suite_file(home)
    stopped = mmchat(home, "bench", str(path), "--models", "lab/a", "--max-cost", "0", config=conf)
    assert stopped.returncode == 1
    assert "`mmchat bench --resume 1 --max-cost USD` continues" in stopped.stderr
    assert openai_server.requests == []
    path.write_text(SUITE + "  - prompt: Say four\n")
    changed = mmchat(home, "bench", "--resume", "1", config=conf)
    assert changed.returncode == 2
    assert changed.stderr.count("\n") == 1 and "changed since bench run 1 started" in changed.stderr
    path.write_text(SUITE)
    resumed = mmchat(home, "bench", "--resume", "1", "--max-cost", "1", config=conf)
    assert resumed.returncode == 0, resumed.stderr
    assert len(openai_server.requests) == 3
    with bench_store(home) as store:
        assert store.bench_run(1).status == "done"
        assert len(store.bench_results(1)) == 3


def test_ctrl_c_stops_the_run_and_says_how_to_resume_it(home):
    with SlowServer() as server:
        conf = lab(home, server)
        child = subprocess.Popen(
            [sys.executable, "-m", "mmchat", "bench", str(suite_file(home)), "--models", "lab/a", "--concurrency",
             "1"],
            env=private_env(home, conf), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 20
        while len(server.requests) < 3 and time.monotonic() < deadline:
            time.sleep(0.02)
        child.send_signal(signal.SIGINT)
        _, err = child.communicate(timeout=20)
    assert child.returncode == 130, err
    assert "`mmchat bench --resume 1` continues" in err
    with bench_store(home) as store:
        assert store.bench_run(1).status == "stopped"
        assert store.bench_done(1) == {("one", "lab/a", 0), ("two", "lab/a", 0)}
        statuses = store._conn.execute("SELECT status FROM messages WHERE role = 'assistant'").fetchall()
        assert sorted(s[0] for s in statuses) == ["complete", "complete", "interrupted"]


def test_top_n_runs_the_routers_best_models(home, openai_server):
    conf = lab(home, openai_server)
    done = mmchat(home, "bench", str(suite_file(home)), "--models", "top:2", "--json", config=conf)
    assert done.returncode == 0, done.stderr
    assert sorted(json.loads(done.stdout)["models"]) == ["lab/a", "lab/b"]


def test_an_unknown_compare_set_or_model_is_one_line(home, openai_server):
    conf = lab(home, openai_server)
    for args in (("--set", "nope"), ("--models", "lab/zz,ghost/x")):
        done = mmchat(home, "bench", str(suite_file(home)), *args, config=conf)
        assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr


def test_from_history_prints_a_suite_of_stored_prompts(home, openai_server):
    conf = lab(home, openai_server)
    with Store(home / "data" / "mmchat.db") as store:
        started = store.start_turn(None, "What is the capital of Peru?", [NewAnswer("lab", "lab/a")])
        store.save_text(started.answer_ids[0], "Lima.")
    done = mmchat(home, "bench", "--from-history", "capital", "--limit", "5", config=conf)
    assert done.returncode == 0, done.stderr
    assert "What is the capital of Peru?" in done.stdout
    saved = home / "peru.yaml"
    written = mmchat(home, "bench", "--from-history", "capital", "--save", str(saved), config=conf)
    assert written.returncode == 0, written.stderr
    assert "What is the capital of Peru?" in saved.read_text()


def test_report_goes_to_the_report_command(home, openai_server):
    conf = lab(home, openai_server)
    assert mmchat(home, "bench", str(suite_file(home)), "--models", "lab/a", config=conf).returncode == 0
    report = mmchat(home, "bench", "report", "1", "--format", "json", config=conf)
    assert report.returncode == 0, report.stderr
    assert json.loads(report.stdout)
    missing = mmchat(home, "bench", "report", config=conf)
    assert missing.returncode == 2 and "one run id" in missing.stderr


def test_on_a_terminal_the_plan_is_confirmed_first(home, openai_server):
    conf = lab(home, openai_server)
    status, screen, out = on_terminal(home, conf, "bench", str(suite_file(home)), "--models", "lab/a",
                                      answers=[(CONFIRM, "n\n")])
    assert status == 1 and "mmchat: not run" in screen
    assert screen.index("3 cases × 1 model × 1 = 3 answers") < screen.index("run it? [y/N]")
    assert openai_server.requests == [] and out == ""


def test_on_a_terminal_the_progress_line_is_redrawn_in_place(home, openai_server):
    conf = lab(home, openai_server)
    status, screen, out = on_terminal(home, conf, "bench", str(suite_file(home)), "--models", "lab/a,lab/b",
                                      answers=[(CONFIRM, "y\n")])
    assert status == 0, screen
    drawn = [part.split("\n")[0] for part in screen.split("\r") if part.startswith("[")]
    assert len(drawn) >= 2 and all(line.endswith("\x1b[K") for line in drawn)
    assert drawn[0].startswith("[--------------------] 0/6 · ETA –")
    assert drawn[-1].startswith("[####################] 6/6 · in ") and "0 failures" in drawn[-1]
    assert out.splitlines()[0].split() == ["model", "passed", "failed", "errors", "cost"]
