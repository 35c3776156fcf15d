"""Adding routing rules to a config file as text: comments and order kept, the rules first,
and the result still a valid config whose routing reads the new rules first."""

from __future__ import annotations

from pathlib import Path

import pytest

from mmchat.catalog import Catalog
from mmchat.config import parse_config
from mmchat.config_edit import EditError, with_rules
from mmchat.routing import load_routing

RULE = "name: bench 3 code\nwhen: {intent: code}\nthen: {use: lab/b}"
HEAD = "# my config\nproviders:\n  lab: {type: openai, base_url: 'http://127.0.0.1:9/v1'}\nmodels:\n  lab/a: {}\n  lab/b: {}\n"


def rules_of(text: str) -> list[str]:
    config = parse_config(text, Path("/tmp/edited.yaml"), env={})
    return [r.name for r in load_routing(config, Catalog.build(config).models()).rules if not r.builtin]


@pytest.mark.parametrize(
    "routing",
    [
        "",  # no routing section
        "routing:\n",  # an empty one
        "routing:\n  policy: best  # keep me\n",  # settings, no rules
        "routing:\n  policy: best\n  rules:\n    - name: mine\n      when: {contains: x}\n      then: {use: lab/a}\n",
        "routing:\n    rules:\n    -   name: mine\n        when: {contains: x}\n        then: {use: lab/a}\n",  # other indents
    ],
    ids=["none", "empty", "no-rules", "rules", "indented"],
)
def test_the_rule_goes_first_and_the_rest_stays(routing):
    text = HEAD + routing
    edited = with_rules(text, [RULE])
    names = rules_of(edited)
    assert names[0] == "bench 3 code"
    assert names[1:] == (["mine"] if "mine" in routing else [])
    assert edited.startswith(HEAD)
    kept = iter(edited.splitlines())
    assert all(line in kept for line in text.splitlines())  # every line of the file, comments too, in order
    assert rules_of(with_rules(edited, [RULE.replace("bench 3", "bench 4")]))[:2] == ["bench 4 code", "bench 3 code"]


def test_flow_style_sections_are_left_to_the_user():
    with pytest.raises(EditError, match="flow style"):
        with_rules(HEAD + "routing: {policy: best}\n", [RULE])
    with pytest.raises(EditError, match="not a block list"):
        with_rules(HEAD + "routing:\n  rules: [{name: a, when: {contains: x}, then: {use: lab/a}}]\n", [RULE])
