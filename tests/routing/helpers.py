"""Models for the routing tests, built the way mmchat builds them: a config file read by
mmchat.config, then mmchat.catalog.Catalog.build (no bundled entries: the providers here
are not known services, so every model is the config's own); and helpers to route with them."""

from __future__ import annotations

from pathlib import Path

from mmchat.catalog import Catalog, ModelInfo
from mmchat.config import Config, parse_config
from mmchat.routing import Conversation, Router, RouterState, RuleSet, Turn, builtin_rules, parse_routing_text

CONFIG = """\
providers:
  cloud: {type: openai, base_url: "https://api.cloud.test/v1"}
  other: {type: anthropic, base_url: "https://api.other.test"}
  lab: {type: openai, base_url: "http://127.0.0.1:8080/v1"}
models:
  cloud/mini:
    context: 128000
    price: {input: 0.40, cached_input: 0.10, output: 1.60}
    tags: [code, fast, cheap]
  cloud/nano:
    context: 128000
    price: {input: 0.10, cached_input: 0.025, output: 0.40}
    tags: [fast, cheap]
  cloud/big:
    context: 1000000
    price: {input: 2.00, cached_input: 0.50, output: 8.00}
    tags: [code, vision, long-context]
  cloud/thinker:
    context: 200000
    price: {input: 1.25, cached_input: 0.125, output: 10.00}
    tags: [reasoning, code]
  other/sonnet:
    context: 200000
    price: {input: 3.00, cached_input: 0.30, cache_write: 3.75, output: 15.00}
    tags: [code, vision]
  other/haiku:
    context: 200000
    price: {input: 1.00, cached_input: 0.10, cache_write: 1.25, output: 5.00}
    tags: [fast, vision]
  lab/llama:
    context: 32768
    tags: [fast]
  lab/coder:
    context: 16384
    tags: [code]
"""


def load(text: str = CONFIG) -> tuple[Config, list[ModelInfo]]:
    config = parse_config(text, Path("/tmp/mmchat-routing-test.yaml"), env={})
    return config, Catalog.build(config).models()


def rules_from(text: str, models: list[ModelInfo], **kwargs: object) -> RuleSet:
    """A `routing:` section given as YAML (the `routing:` line included)."""
    return parse_routing_text(text, Path("/tmp/rules.yaml"), models, **kwargs)  # type: ignore[arg-type]


DEFAULTS = RuleSet(rules=builtin_rules())


def route(
    prompt: str,
    models: list[ModelInfo],
    *,
    rules: RuleSet = DEFAULTS,
    conversation: Conversation = Conversation(),
    state: RouterState = RouterState(),
    stats: dict | None = None,
    health: dict | None = None,
    turn: Turn | None = None,
    lengths: dict | None = None,
    learned=None,
):
    return Router(models, rules).decide(
        turn or Turn(prompt), conversation, stats or {}, state, health=health, lengths=lengths, learned=learned
    )
