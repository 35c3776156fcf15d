"""A rule's `when:`: condition keys over the signals, compiled into one test (all must hold).

Cheap tests run first and regular expressions last, so a rule that cannot
match costs next to nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, NoReturn, Protocol

from mmchat.routing.code import normalise_language
from mmchat.routing.intent import INTENTS
from mmchat.yaml_nodes import NodeReader, suggest
from mmchat.routing.secrets import PERSONAL_KINDS, SECRET_KINDS
from mmchat.routing.signals import Signals

# (signals, whether the turn is private so far) -> matches?
Test = Callable[[Signals, bool], bool]

COMPLEXITIES = ("simple", "moderate", "complex")
ATTACHMENT_KINDS = ("image", "audio", "pdf", "text")
CONDITION_KEYS = (
    "regex", "contains", "min_tokens", "max_tokens", "min_total_tokens", "max_total_tokens", "tags", "language",
    "has_code", "code_language", "intent", "math", "reasoning", "complexity", "private", "secrets", "personal",
    "attachments", "min_turns", "max_turns", "budget_low", "any", "not",
)
_SLOW = ("regex", "contains")  # run last


class Where(Protocol):
    """Where a condition is written: fails with the file, line, key and rule name."""

    reader: NodeReader

    def fail(self, node: Any, key: str, message: str) -> NoReturn: ...


def compile_when(node: Any, key: str, where: Where, tags_seen: set[str]) -> Test:
    """The test of a `when:` mapping; adds the tags it names to `tags_seen`."""
    reader = where.reader
    if reader.value(node) is None:
        return _always
    items = reader.mapping(node, key, None)
    for name, knode, _ in items:
        if name not in CONDITION_KEYS:
            where.fail(knode, f"{key}.{name}", f"unknown condition; {suggest(name, CONDITION_KEYS, 'conditions are')}")
    items.sort(key=lambda item: item[0] in _SLOW)
    values = {name: vnode for name, _, vnode in items}
    for low, high in (("min_tokens", "max_tokens"), ("min_total_tokens", "max_total_tokens"), ("min_turns", "max_turns")):
        if low in values and high in values:
            if reader.count(values[low], f"{key}.{low}") > reader.count(values[high], f"{key}.{high}"):
                where.fail(values[low], f"{key}.{low}", f"{low} is above {high}: no turn can match")
    tests = [_condition(name, vnode, f"{key}.{name}", where, tags_seen) for name, _, vnode in items]
    test = tests[-1]
    for earlier in reversed(tests[:-1]):  # nested closures: cheaper per call than all() over a generator
        test = _both(earlier, test)
    return test


def _both(first: Test, then: Test) -> Test:
    return lambda s, private: first(s, private) and then(s, private)


def _always(s: Signals, private: bool) -> bool:
    return True


def _condition(name: str, node: Any, key: str, where: Where, tags_seen: set[str]) -> Test:
    reader = where.reader
    if name == "any":
        options = [compile_when(item, f"{key}[{i}]", where, tags_seen) for i, item in enumerate(reader.sequence(node, key))]
        if not options:
            where.fail(node, key, "must list at least one set of conditions")
        return lambda s, private: any(test(s, private) for test in options)
    if name == "not":
        inner = compile_when(node, key, where, tags_seen)
        return lambda s, private: not inner(s, private)
    if name == "regex":
        patterns = [_regex(text, node, key, where) for text in reader.texts(node, key)]
        return lambda s, private: any(p.search(s.text) for p in patterns)
    if name == "contains":
        needles = [text.lower() for text in reader.texts(node, key)]
        return lambda s, private: any(n in s.lower for n in needles)
    if name.startswith(("min_", "max_")):
        return _threshold(name, reader.count(node, key))
    if name == "private":
        wanted = reader.flag(node, key)
        return lambda s, private: private == wanted
    if name in ("has_code", "math", "budget_low"):
        wanted = reader.flag(node, key)
        return lambda s, private: bool(getattr(s, name)) == wanted
    if name in ("reasoning", "secrets", "personal", "attachments"):
        return _kinds(name, node, key, where)
    if name == "tags":
        tags = {t.lower().lstrip("#") for t in reader.texts(node, key)}
        tags_seen |= tags
        return lambda s, private: not tags.isdisjoint(s.tags)
    if name == "language":
        languages = {t.lower() for t in reader.texts(node, key)}
        return lambda s, private: s.language in languages
    if name == "code_language":
        languages = {normalise_language(t) for t in reader.texts(node, key)}
        return lambda s, private: not languages.isdisjoint(s.code_languages)
    if name == "intent":
        intents = set(reader.texts(node, key))
        for intent in sorted(intents - set(INTENTS)):
            where.fail(node, key, f"unknown intent '{intent}'; use {', '.join(INTENTS)}")
        return lambda s, private: s.intent in intents
    # complexity
    levels = set(reader.texts(node, key))
    for level in levels - set(COMPLEXITIES):
        where.fail(node, key, f"unknown complexity '{level}'; use {', '.join(COMPLEXITIES)}")
    return lambda s, private: s.complexity in levels


def _regex(text: str, node: Any, key: str, where: Where) -> re.Pattern[str]:
    try:
        return re.compile(text)
    except re.error as exc:
        where.fail(node, key, f"bad regex {text!r}: {exc}")


def _threshold(name: str, limit: int) -> Test:
    attribute = {"tokens": "tokens", "total_tokens": "total_tokens", "turns": "turns"}[name[4:]]
    if name.startswith("min_"):
        return lambda s, private: getattr(s, attribute) >= limit
    return lambda s, private: getattr(s, attribute) <= limit


def _kinds(name: str, node: Any, key: str, where: Where) -> Test:
    """true/false (any found or none), or a list of kinds any of which must be found."""
    reader = where.reader
    value = reader.value(node)
    if isinstance(value, bool):
        return lambda s, private: bool(getattr(s, name)) == value
    if name == "reasoning":
        where.fail(node, key, f"must be true or false, not {reader.kind(node)}")
    allowed = {"secrets": SECRET_KINDS, "personal": PERSONAL_KINDS, "attachments": ATTACHMENT_KINDS}[name]
    kinds = set(reader.texts(node, key))
    for kind in sorted(kinds - set(allowed)):
        where.fail(node, key, f"unknown kind '{kind}'; use true, false or any of {', '.join(allowed)}")
    return lambda s, private: not kinds.isdisjoint(getattr(s, name))
