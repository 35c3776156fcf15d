"""Rules: reading them (every mistake is one line with file, line, key and rule name) and applying them."""

from __future__ import annotations

from pathlib import Path

import pytest

from mmchat.config import ConfigError, parse_config
from mmchat.routing import Attachment, Conversation, RouterState, Turn, load_routing
from mmchat.routing.rules import evaluate
from mmchat.routing.signals import compute_signals
from tests.routing.helpers import CONFIG, DEFAULTS, load, route, rules_from


def error(text: str, models, **kwargs) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        rules_from(text, models, **kwargs)
    return caught.value


# --- mistakes, each reported at its line ---------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "key", "words"),
    [
        (
            "routing:\n  rules:\n    - name: sql\n      when: {regex: 'select (.*'}\n      then: {prefer: [code]}\n",
            4, "routing.rules[0].when.regex", ["rule 'sql'", "bad regex", "missing )"],
        ),
        (
            "routing:\n  rules:\n    - name: big\n      when: {has_code: true}\n      then:\n        use: cloud/bigg\n",
            6, "routing.rules[0].then.use", ["rule 'big'", "unknown model 'cloud/bigg'", "did you mean 'cloud/big'"],
        ),
        (
            "routing:\n  rules:\n    - name: x\n      when: {has_code: true}\n      then: {use: nowhere/model}\n",
            5, "routing.rules[0].then.use", ["unknown provider 'nowhere'"],
        ),
        (
            "routing:\n  rules:\n    - name: typo\n      when:\n        has_cod: true\n      then: {prefer: [code]}\n",
            5, "routing.rules[0].when.has_cod", ["rule 'typo'", "unknown condition", "did you mean 'has_code'"],
        ),
        (
            "routing:\n  rules:\n    - name: t\n      when: {math: true}\n      then:\n        prefer_tier: strong\n",
            6, "routing.rules[0].then.prefer_tier", ["unknown action"],
        ),
        (
            "routing:\n  rules:\n    - name: both\n      when: {math: true}\n      then:\n        use: cloud/big\n"
            "        exclude: ['cloud/*']\n",
            6, "routing.rules[0].then.use", ["rule 'both'", "uses cloud/big and excludes it"],
        ),
        (
            "routing:\n  rules:\n    - name: leak\n      when: {contains: salary}\n      then:\n        private: true\n"
            "        use: cloud/mini\n",
            7, "routing.rules[0].then.use", ["private", "not local"],
        ),
        (
            "routing:\n  rules:\n    - name: lacking\n      when: {math: true}\n      then:\n        use: cloud/nano\n"
            "        require: [vision]\n",
            6, "routing.rules[0].then.use", ["requires tags it lacks: vision"],
        ),
        (
            "routing:\n  rules:\n    - name: eyes\n      when: {attachments: [image]}\n      then:\n"
            "        require: [vision, local]\n",
            6, "routing.rules[0].then.require", ["no configured model has the tags vision, local"],
        ),
        (
            "routing:\n  rules:\n    - name: never\n      when:\n        min_tokens: 500\n        max_tokens: 100\n"
            "      then: {policy: cheapest}\n",
            5, "routing.rules[0].when.min_tokens", ["min_tokens is above max_tokens"],
        ),
        (
            "routing:\n  rules:\n    - name: a\n      then: {policy: best}\n    - name: a\n      then: {policy: fastest}\n",
            5, "routing.rules[1].name", ["another rule has this name"],
        ),
        (
            "routing:\n  rules:\n    - name: p\n      then: {policy: quickest}\n",
            4, "routing.rules[0].then.policy", ["unknown policy 'quickest'"],
        ),
        (
            "routing:\n  rules:\n    - name: p\n      then: {tier: huge}\n",
            4, "routing.rules[0].then.tier", ["unknown tier", "light (1), standard (2), strong (3)"],
        ),
        ("routing:\n  rules:\n    - name: p\n      then: {}\n", 4, "routing.rules[0].then", ["empty"]),
        ("routing:\n  rules:\n    - name: p\n      when: {math: true}\n", 3, "routing.rules[0]", ["missing 'then'"]),
        (
            "routing:\n  rules:\n    - name: k\n      when: {secrets: [password]}\n      then: {private: true}\n",
            4, "routing.rules[0].when.secrets", ["unknown kind 'password'"],
        ),
        (
            "routing:\n  rules:\n    - name: c\n      when: {complexity: hard}\n      then: {tier: strong}\n",
            4, "routing.rules[0].when.complexity", ["unknown complexity 'hard'"],
        ),
        ("routing:\n  polcy: best\n", 2, "routing.polcy", ["unknown key", "did you mean 'policy'"]),
        ("routing:\n  candidates: ['nope/*']\n", 2, "routing.candidates[0]", ["matches no configured model"]),
        ("routing:\n  tiers: {cloud/nano: 5}\n", 2, "routing.tiers.cloud/nano", ["unknown tier"]),
        ("routing:\n  fallbacks: 99\n", 2, "routing.fallbacks", ["from 0 to 10"]),
    ],
)
def test_mistakes_are_one_line_with_file_line_key_and_rule(text, line, key, words, models) -> None:
    exc = error(text, models, local_providers=["lab"])
    assert exc.line == line
    assert exc.key == key
    assert exc.path == Path("/tmp/rules.yaml")
    message = str(exc)
    assert message.startswith(f"/tmp/rules.yaml:{line}: {key}: ")
    assert "\n" not in message
    for word in words:
        assert word in message


def test_errors_name_the_config_file_they_came_from() -> None:
    text = CONFIG + "routing:\n  rules:\n    - name: r\n      then: {use: cloud/huge}\n"
    config = parse_config(text, Path("/home/me/.config/mmchat/config.yaml"), env={})
    models = load()[1]
    with pytest.raises(ConfigError) as caught:
        load_routing(config, models)
    line = text.splitlines().index("      then: {use: cloud/huge}") + 1
    assert str(caught.value).startswith(f"/home/me/.config/mmchat/config.yaml:{line}: routing.rules[0].then.use: ")


def test_a_local_providers_models_may_be_named_before_they_are_listed(models) -> None:
    # lab is local (127.0.0.1): its models are discovered at run time, so any id is accepted.
    rules = rules_from("routing:\n  rules:\n    - name: r\n      then: {use: lab/qwen3}\n", models,
                       local_providers=["lab"])
    assert next(r for r in rules.rules if r.name == "r").then.use == "lab/qwen3"
    with pytest.raises(ConfigError, match="unknown model 'cloud/qwen3'"):
        rules_from("routing:\n  rules:\n    - name: r\n      then: {use: cloud/qwen3}\n", models,
                   local_providers=["lab"])


def test_load_routing_knows_which_providers_are_local(config, models) -> None:
    rules = load_routing(config, models)  # no routing section: the built-in rules
    assert [r.name for r in rules.rules] == [r.name for r in DEFAULTS.rules]
    assert rules.policy == "balanced"


# --- what rules do -----------------------------------------------------------------------


def plan(text: str, prompt: str, models, **turn_kwargs):
    rules = rules_from(text, models)
    s = compute_signals(Turn(prompt, **turn_kwargs), Conversation(), RouterState(), known_tags=rules.known_tags)
    return evaluate(rules.rules, s, False), s


RULES = """\
routing:
  defaults: false
  rules:
    - name: db
      when: {contains: [postgres, sqlite]}
      then: {use: cloud/big, prefer: [code]}
    - name: sql
      when: {regex: 'SELECT .* FROM'}
      then: {use: cloud/mini, policy: cheapest, require: [code]}
    - name: hard
      when: {any: [{math: true}, {complexity: complex}]}
      then: {tier: strong}
    - name: not code
      when: {not: {has_code: true}, min_tokens: 1}
      then: {tier: standard, exclude: ['other/*']}
    - name: legal
      when: {tags: [legal]}
      then: {private: true, stop: true}
    - name: after stop
      when: {min_tokens: 1}
      then: {policy: best}
"""


def test_the_first_rule_to_name_a_model_or_policy_decides_it(models) -> None:
    p, _ = plan(RULES, "In Postgres, SELECT id FROM users is slow", models)
    assert p.matched[:2] == ["db", "sql"]
    assert p.use == ("cloud/big", "db")
    assert p.policy == ("cheapest", "sql")
    assert p.require == {"code": "sql"}
    assert p.prefer == {"code": "db"}


def test_the_strongest_tier_asked_for_wins_and_exclusions_add_up(models) -> None:
    p, _ = plan(RULES, "Solve for x: 2x + 3 = 7", models)
    assert p.matched == ["hard", "not code", "after stop"]
    assert p.tier == (3, "hard")
    assert p.exclude == [("other/*", "not code")]


def test_contains_ignores_case_and_regex_does_not(models) -> None:
    assert "db" in plan(RULES, "POSTGRES tuning", models)[0].matched
    assert "sql" not in plan(RULES, "select id from users", models)[0].matched


def test_tags_named_by_rules_are_recognised_and_stripped(models) -> None:
    p, s = plan(RULES, "#legal review this contract", models)
    assert s.tags == ("legal",) and s.text == "review this contract"
    assert p.private == ["legal"]
    assert "after stop" not in p.matched  # `stop: true` ends the reading


def test_the_tag_rules_come_first_and_the_defaults_last(models) -> None:
    tags = ["#local", "#fast", "#cheap", "#best"]
    without = rules_from(RULES, models)  # defaults: false
    assert [r.name for r in without.rules if r.builtin] == tags
    assert [r.name for r in without.rules][:5] == [*tags, "db"]
    with_defaults = rules_from(RULES.replace("  defaults: false\n", ""), models)
    assert [r.name for r in with_defaults.rules if r.builtin] == [r.name for r in DEFAULTS.rules]
    assert with_defaults.rules[-1].name == "budget nearly spent"


def test_a_tag_typed_in_the_prompt_beats_the_configs_policy(models) -> None:
    p, _ = plan(RULES, "#best Solve for x: 2x + 3 = 7", models)
    assert p.policy == ("best", "#best")  # "after stop" would set best too, but '#best' got there first
    p, _ = plan(RULES.replace("policy: best", "policy: fastest"), "#cheap hello there", models)
    assert p.policy == ("cheapest", "#cheap")


def test_rules_keep_their_line_numbers(models) -> None:
    rules = rules_from(RULES, models)
    assert [r.line for r in rules.rules if not r.builtin][:2] == [4, 7]


# --- the built-in rules, with whatever models are configured --------------------------------------


def test_default_tags(models) -> None:
    assert route("#local tell me a joke", models).model.startswith("lab/")
    assert route("#fast tell me a joke", models).policy == "fastest"
    assert route("#cheap tell me a joke", models).policy == "cheapest"
    best = route("#best tell me a joke", models)
    assert best.policy == "best" and best.candidates[0].tier == "strong"


def test_default_images_need_vision(models) -> None:
    d = route("what is in this picture?", models, turn=Turn("what is in this picture?",
                                                            attachments=(Attachment("a.png", "image"),)))
    assert d.model in ("cloud/big", "other/haiku", "other/sonnet")
    assert {r.model for r in d.rejected if r.filter == "capability"} >= {"cloud/nano", "cloud/mini", "lab/llama"}


def test_default_hard_questions_go_to_a_strong_model(models) -> None:
    d = route("Compare B-trees and LSM trees step by step and analyze the trade-offs for writes.", models)
    assert "hard questions" in d.rules
    assert d.chosen.tier == "strong"


def test_default_easy_questions_go_to_a_light_model(models) -> None:
    d = route("hi", models)
    assert d.rules == ()
    assert d.chosen.tier == "light"


def test_default_code_prefers_code_models(models) -> None:
    d = route("```python\nprint(1)\n```\nwhy does this print 1?", models)
    assert "code" in d.rules
    assert "code" in dict((m.address, m.tags) for m in models)[d.model]


def test_default_budget_nearly_spent_means_cheapest(models) -> None:
    from mmchat.config import Budget

    state = RouterState(budget=Budget(conversation=1.0, warn_at=0.8), spent_conversation=0.9)
    d = route("Explain how DNS works", models, state=state)
    assert "budget nearly spent" in d.rules
    assert d.policy == "cheapest"
