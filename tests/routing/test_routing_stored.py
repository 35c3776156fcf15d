"""A decision stored on an answer and read back (Decision.from_dict): what every reader needs
comes back, from this version's decisions and from older or damaged ones, and nothing raises."""

from __future__ import annotations

import json

import pytest

from mmchat.routing import Decision, RouterState
from mmchat.session.autoroute import routing_order
from mmchat.session.routing_report import decision_lines
from mmchat.tui.widgets.route import shows_route
from tests.routing.helpers import route

KEY = "sk-proj-Ab3dE5fG7hI9jK1lM3nO5pQ7rS9tU1vW"


def stored(d: Decision) -> dict:
    """As the store keeps it: JSON text, parsed again."""
    return json.loads(json.dumps(d.to_dict(), ensure_ascii=False))


def kinds(models, cloud_models) -> dict[str, Decision]:
    return {
        "auto": route("Explain how HTTP caching works", models),
        "pin": route("hello", models, state=RouterState(pin="cloud/nano")),
        "override": route("hello", models, state=RouterState(override="other/haiku")),
        "held": route("#private my medical results are ...", cloud_models),
        "private": route(f"why does {KEY} return 401?", models),
        "escalate": route("hello", models, state=RouterState(escalate_from="cloud/nano")),
        "next": route("hello", models, state=RouterState(next_after="cloud/nano")),
        "nothing": route("hello", models, state=RouterState(escalate_from="other/sonnet")),
        "refused pin": route("summarise our chat", models, state=RouterState(locked=True, pin="cloud/big")),
    }


@pytest.mark.parametrize(
    "kind", ["auto", "pin", "override", "held", "private", "escalate", "next", "nothing", "refused pin"]
)
def test_a_stored_decision_reads_back_with_what_its_readers_need(kind, models, cloud_models) -> None:
    d = kinds(models, cloud_models)[kind]
    back = Decision.from_dict(stored(d), d.prompt)
    assert back is not None
    assert (back.model, back.why, back.mode, back.policy) == (d.model, d.why, d.mode, d.policy)
    assert (back.held, back.message, back.private, back.private_reasons) == (d.held, d.message, d.private, d.private_reasons)
    assert (back.rules, back.fallbacks, back.notes, back.expected_output) == (d.rules, d.fallbacks, d.notes, d.expected_output)
    assert [c.model for c in back.candidates] == [c.model for c in d.candidates]
    assert [(r.model, r.filter, r.reason) for r in back.rejected] == [(r.model, r.filter, r.reason) for r in d.rejected]
    assert back.prompt == back.signals.text == d.prompt
    assert back.signals.secrets == d.signals.secrets and back.signals.findings == ()  # not stored
    # Every reader: the route line, the report, the routing order, whether the TUI shows it.
    assert back.line() == d.line()
    assert decision_lines(back) == decision_lines(d)
    assert routing_order(back) == ((d.model, *d.fallbacks) if d.model else ())
    assert shows_route(back) == (d.mode != "pin")
    # Stored again, it is stored the same; as_stored is the decision read back.
    assert stored(back) == stored(d)
    assert d.as_stored() == back


def test_the_kinds_of_decision_are_what_their_names_say(models, cloud_models) -> None:
    d = kinds(models, cloud_models)
    assert d["auto"].mode == "auto" and len(d["auto"].fallbacks) == 3
    assert d["pin"].mode == "pin" and d["override"].mode == "override"
    assert d["held"].held and d["held"].model is None
    assert d["private"].private and d["private"].model.startswith("lab/")
    assert d["nothing"].model is None and not d["nothing"].held
    assert d["refused pin"].notes


def test_the_figures_come_back_as_stored(models) -> None:
    d = route("Explain how HTTP caching works", models, state=RouterState())
    back = Decision.from_dict(stored(d))
    top, was = back.candidates[0], d.candidates[0]
    assert top.score == round(was.score, 4) and top.latency_s == round(was.latency_s, 2)
    assert top.cost_usd == round(was.cost_usd, 6) and top.tier == was.tier and top.reasons == was.reasons
    assert back.prompt == "" and back.signals.text == ""  # the message itself is not stored


# What the first version of auto-route stored: no expected output, no intent in the signals.
FIRST_VERSION = {
    "model": "lab/llama", "why": "private: local only", "mode": "auto", "policy": "balanced",
    "candidates": [{"model": "lab/llama", "score": 0.8123, "cost_usd": 0.0, "tier": "light", "latency_s": 1.5,
                    "output_tokens": 400, "cached_tokens": 0, "reasons": ["local"]}],
    "rejected": [{"model": "cloud/big", "filter": "privacy", "reason": "not local"}],
    "rules": ["private"], "fallbacks": ["lab/coder"], "private": True, "private_reasons": ["tag #private"],
    "held": False, "message": "", "notes": [],
    "signals": {"tokens": 12, "history_tokens": 0, "has_code": False, "code_languages": [], "math": False,
                "reasoning": [], "complexity": "simple", "answer_length": "normal", "language": "en",
                "attachments": [], "turns": 0, "secrets": [], "personal": [], "tags": ["private"],
                "budget_left": None, "budget_low": False},
}


def test_a_decision_stored_by_the_first_version_reads_back() -> None:
    back = Decision.from_dict(FIRST_VERSION)
    assert back is not None and back.line() == "→ lab/llama · private: local only"
    assert back.expected_output == (0, 0) and back.signals.intent == ""
    assert routing_order(back) == ("lab/llama", "lab/coder")
    assert decision_lines(back) == [
        "→ lab/llama · private: local only",
        "mode auto · policy balanced",
        "rules matched: private",
        "signals: 12 tokens · simple question · language en · #private",
        "private: tag #private — local models only",
        "candidates:",
        "  #  model      score  est. cost  tier   time   reasons",
        "  1  lab/llama  0.812  $0         light  1.5 s  local",
        "filtered out:",
        "  cloud/big  privacy  not local",
        "fallbacks: lab/coder",
    ]


@pytest.mark.parametrize("data", [None, "", "→ a/b", 3, [], ["a/b"], {}, {"chosen": "a/b", "rules": ["default"]}])
def test_what_is_not_a_decision_reads_as_none(data) -> None:
    assert Decision.from_dict(data) is None


@pytest.mark.parametrize(
    "data",
    [
        {"model": "a/one"},
        {"mode": "auto"},
        {"model": None, "held": True, "message": "kept back"},
        {"model": 5, "mode": 7, "why": None, "signals": "nope", "expected_output": [1, 2], "fallbacks": "b/two",
         "notes": [1, "a note"], "candidates": [1, {"score": "high"}, {"model": "a/one", "score": "high", "cost_usd": "1"}],
         "rejected": [None, {"model": "c/three", "filter": 4}], "private": "yes", "rules": None},
        {"model": "a/one", "signals": {"tokens": "many", "language": None, "budget_left": float("nan"), "tags": [1]}},
    ],
)
def test_a_partial_or_damaged_decision_reads_with_defaults_and_never_raises(data) -> None:
    back = Decision.from_dict(data)
    assert back is not None
    assert back.line() and decision_lines(back)
    json.dumps(back.to_dict())  # storable again


def test_damaged_fields_take_their_defaults() -> None:
    back = Decision.from_dict({
        "model": 5, "mode": 7, "fallbacks": "b/two", "notes": [1, "a note"], "private": "yes",
        "candidates": [1, {"score": "high"}, {"model": "a/one", "score": "high", "cost_usd": "1"}],
        "rejected": [None, {"model": "c/three", "filter": 4}],
    })
    assert back is not None
    assert (back.model, back.mode, back.fallbacks, back.notes, back.private) == (None, "auto", (), ("a note",), False)
    assert [(c.model, c.score, c.cost_usd) for c in back.candidates] == [("a/one", 0.0, None)]
    assert [(r.model, r.filter) for r in back.rejected] == [("c/three", "")]
    assert back.line() == "not sent · "
    assert Decision.from_dict({"model": "a/one", "signals": {"language": None}}).signals.language == "und"
