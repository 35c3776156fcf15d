"""`mmchat bench rule RUN`: a run's cheapest model meeting the bar written into the config as
routing rules (shown first, confirmed, checked), by the real command on real files."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from mmchat.catalog import Catalog
from mmchat.config_load import load_config
from mmchat.routing import Turn, load_routing
from mmchat.routing import Router, Conversation, RouterState
from mmchat.store import Store
from tests.cli_helpers import mmchat

CONFIG = """\
# mine
providers:
  lab: {type: openai, base_url: "http://127.0.0.1:9/v1"}
models:
  lab/cheap: {price: {input: 0.1, output: 0.4}}
  lab/dear: {price: {input: 5, output: 20}, tier: strong}
routing:
  rules:
    - name: mine
      when: {contains: zebra}
      then: {use: lab/dear}
"""


def write_run(home: Path) -> None:
    """Run 1: code — lab/cheap passes 20 of 20 for $0.001 each, lab/dear 20 of 20 for $0.01;
    facts — both pass every case (facts is no intent of the router); reasoning — 3 cases only."""
    with Store(home / "data" / "bench.db") as store:
        run = store.create_bench_run(suite_name="s", suite_path=None, suite_sha256="", models=["lab/cheap", "lab/dear"],
                                     repeat=1, estimated_cost_usd=None, max_cost_usd=None, params={})
        cases = [("code", n) for n in range(20)] + [("facts", n) for n in range(12)] + [("reasoning", n) for n in range(3)]
        for category, n in cases:
            for model, cost in (("lab/cheap", 0.001), ("lab/dear", 0.01)):
                store.add_bench_result(
                    run, case_id=f"{category}-{n}", category=category, model=model, attempt=0, status="complete",
                    passed=True, checks=(), answer_id=None, text="", error=None, ttft_ms=100.0, latency_ms=900.0,
                    input_tokens=10, output_tokens=10, cost_usd=cost,
                )
        store.set_bench_run_status(run, "done")


@pytest.fixture
def home(tmp_path: Path) -> Path:
    write_run(tmp_path)
    return tmp_path


def config_file(home: Path, text: str = CONFIG) -> Path:
    path = home / "config.yaml"
    path.write_text(text)
    return path


def test_the_rules_are_shown_written_first_and_routed_by(home: Path):
    path = config_file(home)
    done = mmchat(home, "bench", "rule", "1", "--yes", config=path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "- name: bench 1 code (cheapest at 0.9)", "  when: {intent: code}", "  then: {use: lab/cheap}",
    ]
    assert "no rule for facts: not a kind of prompt the router tells apart" in done.stderr
    assert "no rule for reasoning: too thin to tell" in done.stderr
    assert f"added 1 rule to {path}" in done.stderr
    text = path.read_text()
    assert text.startswith("# mine\n") and text.index("bench 1 code") < text.index("name: mine")
    config = load_config(path, env={})
    models = Catalog.build(config).models()
    rules = load_routing(config, models)
    assert [r.name for r in rules.rules if not r.builtin] == ["bench 1 code (cheapest at 0.9)", "mine"]
    decision = Router(models, rules).decide(Turn("Write a Python function that reverses a list."), Conversation(),
                                             {}, RouterState())
    assert decision.model == "lab/cheap" and "rule 'bench 1 code (cheapest at 0.9)'" in decision.why


def test_nothing_is_written_without_a_confirmation(home: Path):
    path = config_file(home)
    done = mmchat(home, "bench", "rule", "1", config=path)
    assert done.returncode == 1 and "not written: pass --yes" in done.stderr
    assert path.read_text() == CONFIG


def test_the_overall_verdict_as_one_rule_over_every_intent(home: Path):
    path = config_file(home)
    done = mmchat(home, "bench", "rule", "1", "--category", "all", "--yes", config=path)
    assert done.returncode == 0, done.stderr
    assert "when: {intent: [light, everyday, creative, code, reasoning]}" in done.stdout
    assert "then: {use: lab/cheap}" in path.read_text()


def test_an_edit_that_would_not_load_is_not_written(home: Path):
    """No config file: the providers come from the environment, where no 'lab' is: the rule
    would name an unknown provider, so nothing is written (and no file made)."""
    done = mmchat(home, "bench", "rule", "1", "--category", "code", "--yes")
    made = home / "xdg" / "mmchat" / "config.yaml"
    assert done.returncode == 1 and not made.exists()
    assert f"not written: {made}: the edited file would not load: {made}:" in done.stderr
    assert "unknown provider 'lab'" in done.stderr and ".tmp" not in done.stderr


def test_a_config_that_is_not_valid_yaml_is_named_at_its_line_and_left_alone(home: Path):
    broken = CONFIG + "  extra: [unclosed\n"
    path = config_file(home, broken)
    done = mmchat(home, "bench", "rule", "1", "--yes", config=path)
    assert done.returncode == 1 and "internal error" not in done.stderr
    said = done.stderr.splitlines()[-1]
    assert said.startswith(f"mmchat: not written: {path}: {path}:13: YAML syntax error: "), done.stderr
    assert path.read_text() == broken and [p.name for p in home.glob(".config.yaml.*")] == []


def test_a_new_config_file_is_private(tmp_path: Path, monkeypatch):
    """A config file made for the rules alone: its providers still come from the environment."""
    from mmchat.commands.bench_rule import write_rules

    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-0123456789abcdefghij")
    made = tmp_path / "new" / "config.yaml"
    write_rules(made, ["name: r\nwhen: {intent: code}\nthen: {use: openai/gpt-4.1-mini}"])
    assert stat.S_IMODE(made.stat().st_mode) == 0o600
    assert made.read_text() == "\nrouting:\n  rules:\n    - name: r\n      when: {intent: code}\n" \
        "      then: {use: openai/gpt-4.1-mini}\n"


@pytest.mark.parametrize(
    "args, status, says",
    [
        (["rule", "9", "--yes"], 2, "no bench run 9"),
        (["rule", "1", "--category", "poetry", "--yes"], 2, "--category poetry: use all or one of light"),
        (["rule", "1", "--category", "reasoning", "--yes"], 1, "no rule to add"),
        (["rule", "x"], 2, "bench rule takes one run id"),
        (["--category", "code", "suite.yaml"], 2, "--category is for `mmchat bench rule RUN`"),
    ],
)
def test_bad_requests_say_what_to_fix(home: Path, args, status, says):
    path = config_file(home)
    done = mmchat(home, "bench", *args, config=path)
    assert done.returncode == status and says in done.stderr
    assert path.read_text() == CONFIG


def test_results_are_grouped_by_the_intent_the_router_read(tmp_path: Path):
    """Cases filed under 'facts' (no intent of the router) whose prompts the router read as
    light make a rule for light prompts."""
    with Store(tmp_path / "data" / "bench.db") as store:
        run = store.create_bench_run(suite_name="s", suite_path=None, suite_sha256="", models=["lab/cheap"],
                                     repeat=1, estimated_cost_usd=None, max_cost_usd=None, params={})
        conversation = store.create_conversation()
        for n in range(12):
            store.add_message(conversation, "user", f"What is the capital of country {n}?")
            answer = store.add_message(conversation, "assistant", "Paris", model="lab/cheap",
                                       decision={"model": "lab/cheap", "mode": "pin", "signals": {"intent": "light"}})
            store.add_bench_result(
                run, case_id=f"f{n}", category="facts", model="lab/cheap", attempt=0, status="complete", passed=True,
                checks=(), answer_id=answer, text="Paris", error=None, ttft_ms=100.0, latency_ms=200.0,
                input_tokens=10, output_tokens=2, cost_usd=0.0001,
            )
    path = config_file(tmp_path)
    done = mmchat(tmp_path, "bench", "rule", "1", "--yes", config=path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[:2] == ["- name: bench 1 light (cheapest at 0.9)", "  when: {intent: light}"]
    assert "facts" not in done.stdout + done.stderr


def test_an_edited_config_file_keeps_its_mode(home: Path):
    path = config_file(home)
    path.chmod(0o640)
    done = mmchat(home, "bench", "rule", "1", "--yes", config=path)
    assert done.returncode == 0, done.stderr
    assert "bench 1 code" in path.read_text() and stat.S_IMODE(path.stat().st_mode) == 0o640
