"""Routing test cases (`mmchat route test CASES.yaml`): prompts with what their decision must be.

    cases:
      - name: a key stays on this machine
        prompt: "why does sk-proj-... fail?"
        expect: {private: true}
      - name: the conversation keeps its model
        prompt: and the second point?
        conversation:
          - {role: user, content: hi}
          - {role: assistant, content: hello, model: openai/gpt-4.1}
        expect: {model: openai/gpt-4.1, mode: stay}

A case may give `tags`, `attachments` ([{name, kind, tokens}]), `conversation`
and `state` ({locked, pin, override, escalate_from, next_after, chain}). `expect` checks any of:
model (an address or pattern), not_model, tag or tags (the chosen model has
them), tier, policy, mode, private, held, rules (names that must have matched). Parsing
raises ConfigError at the case's line; `misses` says what differs and why.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mmchat.routing.decision import MODES, Decision
from mmchat.routing.estimate import TIER_NAMES
from mmchat.routing.filters import glob
from mmchat.routing.inputs import Attachment, Conversation, RouterState, Turn
from mmchat.routing.policies import POLICIES
from mmchat.yaml_nodes import NodeReader, compose

CASE_KEYS = ("name", "prompt", "tags", "attachments", "conversation", "state", "expect")
EXPECT_KEYS = ("model", "not_model", "tag", "tags", "tier", "policy", "mode", "private", "held", "rules")
STATE_KEYS = ("locked", "pin", "override", "escalate_from", "next_after", "chain")
MESSAGE_KEYS = ("role", "content", "model")


@dataclass(frozen=True)
class Message:
    role: str
    content: str
    model: str | None = None


@dataclass(frozen=True)
class Case:
    name: str
    line: int
    turn: Turn
    conversation: Conversation
    state: RouterState
    expect: dict[str, Any]


def parse_cases(text: str, path: Path | None) -> list[Case]:
    reader = NodeReader(path)
    root = compose(text, path)
    if root is None:
        reader.fail(None, "cases", "the file is empty: list cases under 'cases:'")
    fields = {name: vnode for name, _, vnode in reader.mapping(root, "", ("cases",))}
    if "cases" not in fields:
        reader.fail(root, "cases", "missing 'cases:'")
    return [_case(reader, node, i) for i, node in enumerate(reader.sequence(fields["cases"], "cases"))]


def _case(reader: NodeReader, node: Any, i: int) -> Case:
    key = f"cases[{i}]"
    fields = {name: vnode for name, _, vnode in reader.mapping(node, key, CASE_KEYS)}
    for required in ("prompt", "expect"):
        if required not in fields:
            reader.fail(node, key, f"missing '{required}'")
    name = reader.text(fields["name"], f"{key}.name") if "name" in fields else f"case {i + 1}"
    tags = reader.texts(fields["tags"], f"{key}.tags") if "tags" in fields else ()
    attachments = tuple(
        _attachment(reader, item, f"{key}.attachments[{j}]")
        for j, item in enumerate(reader.sequence(fields["attachments"], f"{key}.attachments"))
    ) if "attachments" in fields else ()
    messages = tuple(
        _message(reader, item, f"{key}.conversation[{j}]")
        for j, item in enumerate(reader.sequence(fields["conversation"], f"{key}.conversation"))
    ) if "conversation" in fields else ()
    state = _state(reader, fields["state"], f"{key}.state") if "state" in fields else RouterState()
    return Case(
        name=name,
        line=node.start_mark.line + 1,
        turn=Turn(reader.text(fields["prompt"], f"{key}.prompt"), attachments, tags),
        conversation=Conversation(messages=messages),
        state=state,
        expect=_expect(reader, fields["expect"], f"{key}.expect"),
    )


def _attachment(reader: NodeReader, node: Any, key: str) -> Attachment:
    fields = {name: vnode for name, _, vnode in reader.mapping(node, key, ("name", "kind", "tokens"))}
    return Attachment(
        name=reader.text(fields["name"], f"{key}.name") if "name" in fields else "attachment",
        kind=reader.text(fields["kind"], f"{key}.kind") if "kind" in fields else "text",
        tokens=reader.count(fields["tokens"], f"{key}.tokens") if "tokens" in fields else 0,
    )


def _message(reader: NodeReader, node: Any, key: str) -> Message:
    fields = {name: vnode for name, _, vnode in reader.mapping(node, key, MESSAGE_KEYS)}
    role = reader.text(fields["role"], f"{key}.role") if "role" in fields else ""
    if role not in ("system", "user", "assistant"):
        reader.fail(node, f"{key}.role", "role must be user, assistant or system")
    return Message(
        role=role,
        content=reader.text(fields["content"], f"{key}.content") if "content" in fields else "",
        model=reader.text(fields["model"], f"{key}.model") if "model" in fields else None,
    )


def _state(reader: NodeReader, node: Any, key: str) -> RouterState:
    values: dict[str, Any] = {}
    for name, _, vnode in reader.mapping(node, key, STATE_KEYS):
        dotted = f"{key}.{name}"
        if name == "locked":
            values[name] = reader.flag(vnode, dotted)
        elif name == "chain":
            values[name] = tuple(reader.texts(vnode, dotted))
        else:
            values[name] = reader.text(vnode, dotted)
    return RouterState(**values)


def _expect(reader: NodeReader, node: Any, key: str) -> dict[str, Any]:
    expect: dict[str, Any] = {}
    for name, _, vnode in reader.mapping(node, key, EXPECT_KEYS):
        dotted = f"{key}.{name}"
        if name in ("private", "held"):
            expect[name] = reader.flag(vnode, dotted)
        elif name in ("rules", "tags"):
            expect[name] = reader.texts(vnode, dotted)
        else:
            expect[name] = reader.text(vnode, dotted)
            choices = {"tier": tuple(TIER_NAMES.values()), "policy": POLICIES, "mode": MODES}.get(name)
            if choices and expect[name] not in choices:
                reader.fail(vnode, dotted, f"must be one of {', '.join(choices)}")
    if not expect:
        reader.fail(node, key, "say what to expect: " + ", ".join(EXPECT_KEYS))
    return expect


def misses(case: Case, decision: Decision, tags_of: dict[str, tuple[str, ...]]) -> list[str]:
    """What in `decision` differs from the case's expectations (empty: it passes), each with the reason."""
    expect = case.expect
    got = decision.model
    found: list[str] = []
    if "model" in expect and (got is None or not glob(expect["model"]).match(got)):
        found.append(f"model: expected {expect['model']}, got {got or 'nothing'}")
    if "not_model" in expect and got is not None and glob(expect["not_model"]).match(got):
        found.append(f"not_model: got {got}")
    wanted = [*expect.get("tags", ()), *([expect["tag"]] if "tag" in expect else [])]
    lacking = [t for t in wanted if got is None or t not in tags_of.get(got, ())]
    if lacking:
        found.append(f"tags: expected a model tagged {', '.join(lacking)}, got {got or 'nothing'}")
    chosen = decision.chosen
    if "tier" in expect and (chosen is None or chosen.tier != expect["tier"]):
        found.append(f"tier: expected {expect['tier']}, got {chosen.tier if chosen else 'nothing'}")
    for name in ("policy", "mode", "private", "held"):
        if name in expect and getattr(decision, name) != expect[name]:
            found.append(f"{name}: expected {expect[name]}, got {getattr(decision, name)}")
    if "rules" in expect:
        missing = [r for r in expect["rules"] if r not in decision.rules]
        if missing:
            found.append(f"rules: {', '.join(missing)} did not match (matched: {', '.join(decision.rules) or 'none'})")
    if found:
        found.append(f"why: {decision.line()}")
        found.extend(f"note: {n}" for n in decision.notes)
    return found
