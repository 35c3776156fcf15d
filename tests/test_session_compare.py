"""Planning a compare (shared by the chat and `mmchat compare`): the models, the privacy
lock, the estimated cost, the router's top candidates, compare sets; and what is said of
the answers after (markers, an answer naming its maker)."""

from __future__ import annotations

import pytest

from mmchat.catalog import Catalog
from mmchat.config import Config, ModelConfig, Price, ProviderConfig
from mmchat.engine.events import TurnFinished
from mmchat.session.compare import (
    CompareChoice, CompareError, NothingToCompare, compare_set, markers, names_its_maker, parse_models, plan_compare,
)
from mmchat.session.session import Session
from mmchat.session.view import TurnView
from mmchat.store import Store
from mmchat.types import TextDelta, TurnMetrics, Usage

SECRET = "sk-proj-" + "Zq8XbT3kLmN0pQrS" * 3


@pytest.fixture
def session(tmp_path, monkeypatch):
    monkeypatch.setenv("CLOUD_KEY", "sk-cloud-key-0123456789")
    providers = {
        "lab": ProviderConfig("lab", "openai", "http://127.0.0.1:9/v1"),
        "cloud": ProviderConfig("cloud", "openai", "https://cloud.invalid/v1", api_key_env="CLOUD_KEY"),
    }
    models = {
        "lab/a": ModelConfig("lab/a", price=Price(input=0.0, output=0.0)),
        "lab/b": ModelConfig("lab/b", price=Price(input=0.0, output=0.0)),
        "cloud/big": ModelConfig("cloud/big", price=Price(input=3.0, output=15.0)),
        "cloud/small": ModelConfig("cloud/small", price=Price(input=0.1, output=0.4)),
        "cloud/odd": ModelConfig("cloud/odd"),
    }
    config = Config(providers=providers, models=models, default_model="lab/a",
                    compare_sets={"code": ("lab/a", "cloud/big")})
    with Store(tmp_path / "mmchat.db") as store:
        yield Session(config, store, Catalog.build(config))


def test_each_model_is_pinned_and_the_estimate_adds_their_costs(session):
    plan = plan_compare(session, "Explain closures in Python.", None, CompareChoice(models=tuple(["cloud/big", "cloud/small", "lab/a"])))
    assert plan.models == ["cloud/big", "cloud/small", "lab/a"]
    assert [d.mode for d in plan.decisions] == ["pin"] * 3
    costs = [d.chosen.cost_usd for d in plan.decisions]
    assert costs[0] > costs[1] > 0 and costs[2] == 0
    assert plan.estimated_cost == pytest.approx(sum(costs))
    assert plan.unpriced == [] and plan.left_out == ()
    assert plan.cost_line().startswith("estimated $") and plan.cost_line().endswith("for 3 answers")


def test_a_model_without_a_price_is_named_beside_the_estimate(session):
    plan = plan_compare(session, "hello", None, CompareChoice(models=tuple(["cloud/odd", "lab/a"])))
    assert plan.unpriced == ["cloud/odd"]
    assert "(no price for cloud/odd)" in plan.cost_line()


def test_a_private_prompt_leaves_the_cloud_models_out_and_says_why(session):
    plan = plan_compare(session, f"is this key valid? {SECRET}", None, CompareChoice(models=tuple(["lab/a", "cloud/big", "lab/b"])))
    assert plan.models == ["lab/a", "lab/b"]
    assert [o.model for o in plan.left_out] == ["cloud/big"]
    assert plan.left_out[0].reason.startswith("the turn is private (OpenAI API key")
    assert SECRET not in plan.left_out[0].reason

    with pytest.raises(NothingToCompare) as caught:
        plan_compare(session, f"is this key valid? {SECRET}", None, CompareChoice(models=tuple(["lab/a", "cloud/big"])))
    assert caught.value.able == ["lab/a"] and [o.model for o in caught.value.left_out] == ["cloud/big"]


@pytest.mark.parametrize(
    "models, says",
    [
        (["lab/a"], "compare takes 2 to 6 models; 1 given"),
        (["lab/a", "lab/b", "cloud/big", "cloud/small", "cloud/odd", "lab/a", "lab/b"], "7 given"),
        (["lab/a", "lab/a"], "lab/a named twice"),
        (["lab/a", "nowhere/x"], "nowhere"),
    ],
)
def test_bad_lists_are_refused_in_one_line(session, models, says):
    with pytest.raises(CompareError) as caught:
        plan_compare(session, "hi", None, CompareChoice(models=tuple(models)))
    assert says in str(caught.value) and "\n" not in str(caught.value)


def test_the_routers_top_candidates_and_the_configs_sets(session):
    plan = plan_compare(session, "Write a haiku about rain.", None, CompareChoice(top=3))
    assert len(plan.models) == 3 and len(set(plan.models)) == 3
    assert plan.models == [c.model for c in session.decide("Write a haiku about rain.", None).candidates][:3]
    assert [d.mode for d in plan.decisions] == ["pin"] * 3
    # A private prompt's candidates are the local models only.
    assert set(plan_compare(session, f"check {SECRET}", None, CompareChoice(top=3)).models) == {"lab/a", "lab/b"}
    with pytest.raises(CompareError, match="not the top 1"):
        CompareChoice(top=1)
    with pytest.raises(CompareError, match="not the top 9"):
        CompareChoice(top=9)

    assert compare_set(session, "code") == ["lab/a", "cloud/big"]
    with pytest.raises(CompareError, match="no compare set 'cod': the sets are code"):
        compare_set(session, "cod")


def test_parse_models():
    assert parse_models(" a/x, b/y,,c/z ") == ["a/x", "b/y", "c/z"]


def finished(view: TurnView, text: str, *, ttft: float, total: float, cost: float | None) -> None:
    view.apply(TextDelta(text))
    metrics = TurnMetrics(ttft_ms=ttft, latency_ms=total, tokens_per_s=10.0,
                          usage=Usage(input_tokens=10, output_tokens=len(text) // 4 or 1), cost_usd=cost)
    view.apply(TurnFinished(assistant_message_id=1, finish_reason="stop", metrics=metrics))


def test_markers_go_to_the_single_best_completed_answer():
    views = [TurnView(None) for _ in range(3)]
    finished(views[0], "short", ttft=100, total=900, cost=0.002)
    finished(views[1], "a much longer answer here", ttft=300, total=500, cost=0.001)
    views[2].apply(TextDelta("partial answer, the longest text of all but failed"))
    assert markers(views) == [["first token"], ["finished first", "cheapest", "longest"], []]

    tie = [TurnView(None) for _ in range(2)]
    finished(tie[0], "same", ttft=100, total=200, cost=0.0)
    finished(tie[1], "same", ttft=200, total=300, cost=0.0)
    assert markers(tie) == [["first token", "finished first"], []]  # no 'cheapest': both free


@pytest.mark.parametrize(
    "model, text, flagged",
    [
        ("openai/gpt-4.1-mini", "As ChatGPT, I think…", True),
        ("anthropic/claude-sonnet-4", "I am Claude, made by Anthropic.", True),
        ("lab/qwen2.5-coder-1.5b", "I'm Qwen, created by Alibaba Cloud.", True),
        ("openai/gpt-4.1-mini", "Claude would say otherwise.", False),
        ("lab/x", "I am a helpful assistant.", False),
        ("google/gemini-2.5-flash", "A flash of light.", False),  # 'flash' is too common to tell
    ],
)
def test_an_answer_naming_its_own_model_or_vendor_is_flagged(model, text, flagged):
    assert names_its_maker(model, text) is flagged
