"""The bench run's cost limit on its own: what an answer is expected to cost, and which may start."""

from __future__ import annotations

import pytest

from mmchat.bench.limits import CostLimit


def test_an_answer_is_expected_to_cost_its_models_average_once_it_has_one():
    limit = CostLimit(1.0)
    assert limit.expected("a", 0.3) == 0.3  # the router's estimate first
    assert limit.expected("a", None) == 0.0  # unpriced
    limit.observe("a", 0.1)
    limit.observe("a", 0.2)
    assert limit.expected("a", 0.3) == pytest.approx(0.15)
    assert limit.expected("a", 0.3, judges=1.0) == pytest.approx(0.3)  # as much again for its judges
    assert limit.expected("b", 0.3) == 0.3  # another model's answers say nothing of b's


def test_running_answers_count_until_released_and_once_refused_none_starts():
    limit = CostLimit(1.0)
    assert limit.admit("x", 0.4, spent=0.0) and limit.admit("y", 0.4, spent=0.0)
    assert not limit.admit("z", 0.4, spent=0.0)  # 0.4 + 0.4 + 0.4 would pass 1.0
    assert limit.reached
    limit.release("x")
    assert not limit.admit("w", 0.01, spent=0.0)  # the run stops: what is left resumes later


def test_without_a_limit_every_answer_starts():
    limit = CostLimit(None)
    assert all(limit.admit(n, 5.0, spent=100.0) for n in range(10)) and not limit.reached
