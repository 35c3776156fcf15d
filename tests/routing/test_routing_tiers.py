"""Where a model's tier comes from: the routing section, the model's own `tier:`, a tier tag, or
its price relative to the rest of the catalog — shown in the decision and in `mmchat models`."""

from __future__ import annotations

import pytest

from mmchat.config import ConfigError
from tests.cli_helpers import mmchat
from tests.routing.helpers import load, route, rules_from

CHEAP_CATALOG = """\
providers:
  cloud: {type: openai, base_url: "https://api.cloud.test/v1"}
models:
  cloud/a: {price: {input: 0.05, output: 0.2}}
  cloud/b: {price: {input: 0.2, output: 0.8}}
  cloud/c: {price: {input: 0.6, output: 2.4}}
"""


def test_a_tier_written_on_the_model_wins_over_its_price() -> None:
    _, models = load(CHEAP_CATALOG.replace("cloud/a: {price:", "cloud/a: {tier: strong, price:"))
    d = route("Prove that there are infinitely many primes.", models)
    chosen = d.chosen
    assert d.model == "cloud/a" and chosen.tier == "strong"
    assert "strong tier from its tier:" in chosen.reasons


def test_tiers_from_price_are_relative_to_the_catalog() -> None:
    """In a catalog of cheap models the priciest is the strong one (its price is below the usual mark)."""
    _, models = load(CHEAP_CATALOG)
    tiers = {c.model: c.tier for c in route("Prove that 2 is prime.", models).candidates}
    assert tiers == {"cloud/a": "light", "cloud/b": "standard", "cloud/c": "strong"}
    c = next(c for c in route("Prove that 2 is prime.", models).candidates if c.model == "cloud/c")
    assert "strong tier from its price in this catalog" in c.reasons


def test_the_routing_section_tiers_win_over_the_models_own(models) -> None:
    rules = rules_from("routing:\n  tiers: {cloud/nano: strong}\n", models)
    nano = next(c for c in route("hi", models, rules=rules).candidates if c.model == "cloud/nano")
    assert nano.tier == "strong" and "strong tier from routing.tiers" in nano.reasons


def test_a_bad_tier_is_one_line_with_the_key() -> None:
    with pytest.raises(ConfigError, match=r"yaml:4: models.cloud/a.tier: unknown tier"):
        load(CHEAP_CATALOG.replace("cloud/a: {price:", "cloud/a: {tier: huge, price:"))


def test_models_lists_each_tier_and_where_it_comes_from(tmp_path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(CHEAP_CATALOG.replace("cloud/b: {price:", "cloud/b: {tier: light, price:"))
    out = mmchat(tmp_path, "models", config=config).stdout
    rows = {line.split()[0]: line for line in out.splitlines()[1:] if line.startswith("cloud/")}
    assert "strong (price)" in rows["cloud/c"] and "light (catalog)" in rows["cloud/b"]
    assert "TIER" in out.splitlines()[0]
