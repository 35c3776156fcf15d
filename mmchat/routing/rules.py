"""Rules, read top to bottom: every rule whose `when` holds applies its `then`.

The first matching rule that names a model (`use`) or a policy decides it;
`tier` takes the strongest asked for; `require`, `need`, `prefer` and
`exclude` add up; `private` locks the conversation; `stop` ends the reading.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from mmchat.routing.conditions import Test
from mmchat.routing.signals import Signals
from mmchat.routing.usertags import BUILTIN_TAGS


@dataclass(frozen=True)
class Action:
    use: str | None = None  # a model address
    require: tuple[str, ...] = ()  # tags every candidate must have
    need: tuple[str, ...] = ()  # capabilities: the choice is among models with them while any is allowed
    prefer: tuple[str, ...] = ()  # tags that add to a candidate's score
    tier: int | None = None  # at least this tier (1 light, 2 standard, 3 strong), softly
    exclude: tuple[str, ...] = ()  # addresses or glob patterns
    policy: str | None = None
    private: bool = False
    stop: bool = False


@dataclass(frozen=True)
class Rule:
    name: str
    test: Test
    then: Action
    line: int | None = None  # in the config file; None for built-in rules
    builtin: bool = False


@dataclass(frozen=True)
class RuleSet:
    """The `routing:` section, read: the rules (the user's, then the built-in ones) and the settings."""

    rules: tuple[Rule, ...] = ()
    policy: str = "balanced"  # when no rule sets one
    candidates: tuple[str, ...] = ()  # patterns of the models auto-route may pick; () = the catalog's
    tiers: tuple[tuple[str, int], ...] = ()  # (pattern, tier) overrides
    fallbacks: int = 3  # longest fallback chain
    known_tags: frozenset[str] = BUILTIN_TAGS  # '#tags' recognised in prompts
    learning: bool = True  # your evidence (votes, bench runs) moves the models' quality


@dataclass
class Plan:
    """What the matching rules ask of this turn; each value keeps the name of the rule that set it."""

    matched: list[str] = field(default_factory=list)
    use: tuple[str, str] | None = None
    policy: tuple[str, str] | None = None
    tier: tuple[int, str] | None = None
    require: dict[str, str] = field(default_factory=dict)
    need: dict[str, str] = field(default_factory=dict)
    prefer: dict[str, str] = field(default_factory=dict)
    exclude: list[tuple[str, str]] = field(default_factory=list)
    private: list[str] = field(default_factory=list)


def evaluate(rules: tuple[Rule, ...], signals: Signals, private: bool) -> Plan:
    plan = Plan()
    for rule in rules:
        if not rule.test(signals, private or bool(plan.private)):
            continue
        plan.matched.append(rule.name)
        then = rule.then
        if then.use is not None and plan.use is None:
            plan.use = (then.use, rule.name)
        if then.policy is not None and plan.policy is None:
            plan.policy = (then.policy, rule.name)
        if then.tier is not None and (plan.tier is None or then.tier > plan.tier[0]):
            plan.tier = (then.tier, rule.name)
        for tag in then.require:
            plan.require.setdefault(tag, rule.name)
        for tag in then.need:
            plan.need.setdefault(tag, rule.name)
        for tag in then.prefer:
            plan.prefer.setdefault(tag, rule.name)
        plan.exclude.extend((pattern, rule.name) for pattern in then.exclude)
        if then.private:
            plan.private.append(rule.name)
        if then.stop:
            break
    return plan
