"""AutoRoute's helpers that read stored decisions."""

from __future__ import annotations

from mmchat.autoroute import routing_order


def test_the_routing_order_of_a_stored_decision_is_its_model_then_its_fallbacks() -> None:
    assert routing_order({"model": "a/one", "fallbacks": ["b/two", "c/three"]}) == ("a/one", "b/two", "c/three")
    assert routing_order({"model": "a/one"}) == ("a/one",)


def test_an_answer_without_a_chosen_model_has_no_routing_order() -> None:
    assert routing_order(None) == ()
    assert routing_order({"model": None, "fallbacks": ["b/two"], "held": True}) == ()
