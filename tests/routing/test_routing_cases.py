"""Routing test cases: the sample file ships working with config.example.yaml; mistakes are one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from mmchat.catalog import Catalog
from mmchat.config import ConfigError, parse_config
from mmchat.routing import Router, load_routing
from mmchat.routing.cases import misses, parse_cases

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "mmchat" / "data" / "route_cases.yaml"


@pytest.fixture(scope="module")
def example():
    config = parse_config((ROOT / "config.example.yaml").read_text(), ROOT / "config.example.yaml", env={})
    models = Catalog.build(config).models()
    return Router(models, load_routing(config, models)), {m.address: m.tags for m in models}


def test_the_sample_cases_pass_with_the_example_config(example) -> None:
    router, tags = example
    cases = parse_cases(SAMPLE.read_text(), SAMPLE)
    assert len(cases) >= 15
    failures = {}
    for case in cases:
        found = misses(case, router.decide(case.turn, case.conversation, {}, case.state), tags)
        if found:
            failures[case.name] = found
    assert failures == {}


def test_a_miss_says_what_differs_and_why(example) -> None:
    router, tags = example
    text = ("cases:\n  - name: wrong\n    prompt: hi\n"
            "    expect: {tags: [vision, code], tier: strong, rules: [code], held: true}\n")
    case = parse_cases(text, None)[0]
    decision = router.decide(case.turn, case.conversation, {}, case.state)
    found = misses(case, decision, tags)
    assert found[0] == f"tags: expected a model tagged vision, code, got {decision.model}"
    assert found[1].startswith("tier: expected strong, got light")
    assert found[2] == "held: expected True, got False"
    assert found[3] == "rules: code did not match (matched: none)"
    assert found[4].startswith("why: → ")


@pytest.mark.parametrize(
    ("text", "line", "key"),
    [
        ("cases:\n  - name: a\n    expect: {held: true}\n", 2, "cases[0]"),
        ("cases:\n  - prompt: hi\n    expect: {tier: huge}\n", 3, "cases[0].expect.tier"),
        ("cases:\n  - prompt: hi\n    expect: {}\n", 3, "cases[0].expect"),
        ("cases:\n  - prompt: hi\n    expect: {mode: stay}\n    state: {pinned: x}\n", 4, "cases[0].state.pinned"),
        ("cases:\n  - prompt: hi\n    expect: {held: true}\n    conversation:\n      - {role: bot, content: x}\n",
         5, "cases[0].conversation[0].role"),
    ],
)
def test_case_file_mistakes(text: str, line: int, key: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_cases(text, Path("cases.yaml"))
    assert (caught.value.line, caught.value.key) == (line, key)
    assert str(caught.value).startswith(f"cases.yaml:{line}: {key}: ")
