"""The `routing:` section of the config, read into a RuleSet and checked against the configured models.

Every mistake (bad regex, unknown model, condition or key, a contradictory
rule, tags no model has) is one ConfigError line with the file, the line,
the key and the rule's name.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from functools import lru_cache
from pathlib import Path
from typing import Any, NoReturn

from mmchat.catalog import ModelInfo, is_local
from mmchat.config import Config
from mmchat.routing.conditions import compile_when
from mmchat.routing.estimate import TIER_NAMES, TIERS
from mmchat.routing.policies import POLICIES
from mmchat.yaml_nodes import NodeReader, compose, suggest
from mmchat.routing.rules import Action, Rule, RuleSet
from mmchat.routing.usertags import BUILTIN_TAGS

ROUTING_KEYS = ("policy", "defaults", "candidates", "tiers", "fallbacks", "learning", "rules")
RULE_KEYS = ("name", "when", "then")
THEN_KEYS = ("use", "require", "need", "prefer", "tier", "exclude", "policy", "private", "stop")

# Built-in rules, sensible with any set of models: each asks for tags or a policy, never a named model.
# The tags typed in a prompt are the user's own word for this turn: their rules come before the config's.
TAG_RULES_YAML = """\
- name: "#local"
  when: {tags: [local]}
  then: {require: [local]}
- name: "#fast"
  when: {tags: [fast]}
  then: {policy: fastest}
- name: "#cheap"
  when: {tags: [cheap]}
  then: {policy: cheapest}
- name: "#best"
  when: {tags: [best]}
  then: {policy: best}
"""
# The defaults come after the config's rules (`defaults: false` leaves them out).
DEFAULT_RULES_YAML = """\
- name: images need vision
  when: {attachments: [image]}
  then: {require: [vision]}
- name: hard questions
  when: {complexity: complex}
  then: {tier: strong, need: [reasoning]}
- name: code
  when: {has_code: true}
  then: {tier: standard, need: [code]}
- name: everyday questions
  when: {intent: [everyday, creative]}
  then: {tier: standard}
- name: long conversations
  when: {min_total_tokens: 100000}
  then: {need: [long-context]}
- name: budget nearly spent
  when: {budget_low: true}
  then: {policy: cheapest}
"""


def load_routing(config: Config, models: Sequence[ModelInfo]) -> RuleSet:
    """The config's `routing:` section (or the defaults when it has none), checked against `models`."""
    local = [name for name, provider in config.providers.items() if is_local(provider)]
    return parse_routing(
        config.routing, path=config.source, models=models, providers=list(config.providers), local_providers=local
    )


def parse_routing_text(text: str, path: Path | None, models: Sequence[ModelInfo], **kwargs: Any) -> RuleSet:
    """A `routing:` section given as YAML text (its top-level key included)."""
    root = compose(text, path)
    reader = NodeReader(path)
    node = None
    if root is not None:
        sections = {name: vnode for name, _, vnode in reader.mapping(root, "", ("routing",))}
        node = sections.get("routing")
    return parse_routing(node, path=path, models=models, **kwargs)


def parse_routing(
    node: Any,
    *,
    path: Path | None,
    models: Sequence[ModelInfo],
    providers: Collection[str] | None = None,
    local_providers: Collection[str] = (),
) -> RuleSet:
    """`node` is the composed `routing:` mapping (None: the built-in defaults only).

    `local_providers` serve models found only at run time (Ollama's list), so
    rules may name models of theirs that `models` does not hold yet.
    """
    reader = NodeReader(path)
    known = _Models(models, providers, local_providers)
    if reader.value(node) is None:
        return RuleSet(rules=builtin_rules())
    fields = {name: vnode for name, _, vnode in reader.mapping(node, "routing", ROUTING_KEYS)}
    policy = "balanced"
    if "policy" in fields:
        policy = _policy(reader, fields["policy"], "routing.policy", None)
    tags_seen: set[str] = set()
    rules: list[Rule] = []
    rules = list(_builtin(TAG_RULES_YAML))
    if "rules" in fields:
        rules += _rules(reader, fields["rules"], known, tags_seen)
    if "defaults" not in fields or reader.flag(fields["defaults"], "routing.defaults"):
        rules += _builtin(DEFAULT_RULES_YAML)
    candidates: tuple[str, ...] = ()
    if "candidates" in fields:
        vnode = fields["candidates"]
        candidates = reader.texts(vnode, "routing.candidates")
        items = vnode.value if isinstance(vnode.value, list) else [vnode]
        for i, (pattern, item) in enumerate(zip(candidates, items)):
            known.check_pattern(pattern, item, f"routing.candidates[{i}]", reader.fail)
    tiers: tuple[tuple[str, int], ...] = ()
    if "tiers" in fields:
        tiers = tuple(_tiers(reader, fields["tiers"], known))
    fallbacks = reader.count(fields["fallbacks"], "routing.fallbacks", 0, 10) if "fallbacks" in fields else 3
    learning = reader.flag(fields["learning"], "routing.learning") if "learning" in fields else True
    return RuleSet(
        rules=tuple(rules), policy=policy, candidates=candidates, tiers=tiers, fallbacks=fallbacks,
        known_tags=BUILTIN_TAGS | tags_seen, learning=learning,
    )


def builtin_rules() -> tuple[Rule, ...]:
    """The rules used when the config has no `routing:` section: the tag rules, then the defaults."""
    return _builtin(TAG_RULES_YAML) + _builtin(DEFAULT_RULES_YAML)


@lru_cache(maxsize=2)
def _builtin(text: str) -> tuple[Rule, ...]:
    reader = NodeReader(None)
    rules = []
    for i, item in enumerate(reader.sequence(compose(text, None), "builtin")):
        fields = {name: vnode for name, _, vnode in reader.mapping(item, f"builtin[{i}]", RULE_KEYS)}
        name = reader.text(fields["name"], "name")
        where = _Where(reader, name)
        test = compile_when(fields["when"], "when", where, set())
        rules.append(Rule(name, test, _then(reader, fields["then"], "then", where, None), None, builtin=True))
    return tuple(rules)


@dataclass
class _Where:
    reader: NodeReader
    name: str

    def fail(self, node: Any, key: str, message: str) -> NoReturn:
        self.reader.fail(node, key, f"rule '{self.name}': {message}")


class _Models:
    """The models rules may name: those in the catalog, and any of a local provider."""

    def __init__(self, models: Sequence[ModelInfo], providers: Collection[str] | None, local: Collection[str]) -> None:
        self.by_address = {m.address: m for m in models}
        self.providers = set(providers) if providers is not None else {m.provider for m in models}
        self.local = set(local)
        self.providers |= self.local

    def check_address(self, address: str, node: Any, key: str, fail: Callable[..., NoReturn]) -> None:
        if address in self.by_address:
            return
        provider, slash, model_id = address.partition("/")
        if not slash or not provider or not model_id:
            fail(node, key, f"'{address}' is not a model address: write provider/model-id")
        if provider not in self.providers:
            fail(node, key, f"unknown provider '{provider}' in '{address}': configured providers are "
                            f"{', '.join(sorted(self.providers)) or 'none'}")
        if provider not in self.local:
            fail(node, key, f"unknown model '{address}'; {suggest(address, sorted(self.by_address), 'models are')}")

    def check_pattern(self, pattern: str, node: Any, key: str, fail: Callable[..., NoReturn]) -> None:
        if not any(c in pattern for c in "*?["):
            self.check_address(pattern, node, key, fail)
            return
        if any(fnmatchcase(a, pattern) for a in self.by_address):
            return
        if any(fnmatchcase(p, pattern.split("/", 1)[0]) for p in self.local):
            return  # a local provider's models are listed only at run time
        fail(node, key, f"'{pattern}' matches no configured model")

    def tags_exist(self, tags: Sequence[str]) -> bool:
        wanted = set(tags)
        if any(wanted <= set(m.tags) for m in self.by_address.values()):
            return True
        # A local provider's models (tagged local) may be listed only at run time.
        return wanted == {"local"} and bool(self.local)


def _rules(reader: NodeReader, node: Any, known: _Models, tags_seen: set[str]) -> list[Rule]:
    rules = []
    names: set[str] = set()
    for i, item in enumerate(reader.sequence(node, "routing.rules")):
        key = f"routing.rules[{i}]"
        fields = {name: vnode for name, _, vnode in reader.mapping(item, key, RULE_KEYS)}
        name = reader.text(fields["name"], f"{key}.name") if "name" in fields else f"rule {i + 1}"
        where = _Where(reader, name)
        if name in names:
            where.fail(fields["name"], f"{key}.name", "another rule has this name: give each rule its own")
        names.add(name)
        if "then" not in fields:
            where.fail(item, key, "missing 'then': say what the rule does (use, require, need, prefer, tier, exclude, "
                                  "policy, private)")
        test = compile_when(fields.get("when"), f"{key}.when", where, tags_seen)
        then = _then(reader, fields["then"], f"{key}.then", where, known)
        rules.append(Rule(name, test, then, item.start_mark.line + 1))
    return rules


def _then(reader: NodeReader, node: Any, key: str, where: _Where, known: _Models | None) -> Action:
    """The `then:` mapping; `known` None skips the checks against the models (the built-in rules)."""
    items = reader.mapping(node, key, None)
    if not items:
        where.fail(node, key, "empty: say what the rule does (use, require, need, prefer, tier, exclude, policy, private)")
    values: dict[str, Any] = {}
    nodes: dict[str, Any] = {}
    for name, knode, vnode in items:
        dotted = f"{key}.{name}"
        nodes[name] = vnode
        if name not in THEN_KEYS:
            where.fail(knode, dotted, f"unknown action; {suggest(name, THEN_KEYS, 'actions are')}")
        if name == "use":
            values[name] = reader.text(vnode, dotted)
            if known is not None:
                known.check_address(values[name], vnode, dotted, where.fail)
        elif name in ("require", "need", "prefer"):
            values[name] = tuple(t.lower() for t in reader.texts(vnode, dotted))
        elif name == "exclude":
            values[name] = reader.texts(vnode, dotted)
            if known is not None:
                for pattern in values[name]:
                    known.check_pattern(pattern, vnode, dotted, where.fail)
        elif name == "tier":
            values[name] = _tier(reader, vnode, dotted, where)
        elif name == "policy":
            values[name] = _policy(reader, vnode, dotted, where)
        else:  # private, stop
            values[name] = reader.flag(vnode, dotted)
    action = Action(**values)
    if known is not None:
        _check_consistent(action, nodes, key, where, known)
    return action


def _check_consistent(action: Action, nodes: dict[str, Any], key: str, where: _Where, known: _Models) -> None:
    for name, tags in (("require", action.require), ("need", action.need)):
        if tags and not known.tags_exist(tags):
            where.fail(nodes[name], f"{key}.{name}",
                       f"no configured model has the tags {', '.join(tags)}: add them to a model's tags")
    if action.use is None:
        return
    use_node = nodes["use"]
    for pattern in action.exclude:
        if fnmatchcase(action.use, pattern):
            where.fail(use_node, f"{key}.use", f"uses {action.use} and excludes it ({pattern}): keep one")
    model = known.by_address.get(action.use)
    local = (model is not None and "local" in model.tags) or action.use.split("/", 1)[0] in known.local
    if action.private and not local:
        where.fail(use_node, f"{key}.use", f"makes the turn private but uses {action.use}, which is not local")
    if model is not None:
        missing = [t for t in action.require if t not in model.tags]
        if missing:
            where.fail(use_node, f"{key}.use", f"uses {action.use} but requires tags it lacks: {', '.join(missing)}")


def _policy(reader: NodeReader, node: Any, key: str, where: _Where | None) -> str:
    policy = reader.text(node, key)
    if policy not in POLICIES:
        message = f"unknown policy '{policy}'; {suggest(policy, POLICIES, 'policies are')}"
        (where.fail if where else reader.fail)(node, key, message)
    return policy


def _tier(reader: NodeReader, node: Any, key: str, where: _Where | None) -> int:
    value = reader.value(node)
    if isinstance(value, int) and not isinstance(value, bool) and value in TIER_NAMES:
        return value
    if isinstance(value, str) and value.strip().lower() in TIERS:
        return TIERS[value.strip().lower()]
    choices = ", ".join(f"{name} ({n})" for n, name in TIER_NAMES.items())
    (where.fail if where else reader.fail)(node, key, f"unknown tier {reader.kind(node)}; use {choices}")


def _tiers(reader: NodeReader, node: Any, known: _Models) -> list[tuple[str, int]]:
    result = []
    for pattern, knode, vnode in reader.mapping(node, "routing.tiers", None):
        key = f"routing.tiers.{pattern}"
        known.check_pattern(pattern, knode, key, reader.fail)
        result.append((pattern, _tier(reader, vnode, key, None)))
    return result
