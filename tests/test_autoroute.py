"""AutoRoute's helpers that read stored decisions."""

from __future__ import annotations

import dataclasses
import time

from mmchat.routing import Decision
from mmchat.session.autoroute import routing_order


def test_the_routing_order_of_a_stored_decision_is_its_model_then_its_fallbacks() -> None:
    stored = Decision.from_dict({"model": "a/one", "fallbacks": ["b/two", "c/three"]})
    assert routing_order(stored) == ("a/one", "b/two", "c/three")
    assert routing_order(Decision.from_dict({"model": "a/one"})) == ("a/one",)


def test_an_answer_without_a_chosen_model_has_no_routing_order() -> None:
    assert routing_order(None) == ()
    assert routing_order(Decision.from_dict({"model": None, "fallbacks": ["b/two"], "held": True})) == ()


def test_auto_route_learns_answer_lengths_from_the_store(tmp_path) -> None:
    from mmchat.session.autoroute import AutoRoute
    from mmchat.catalog import Catalog
    from mmchat.types import Usage
    from mmchat.store import AnswerEnd, Store
    from tests.routing.helpers import load

    config, _ = load()
    with Store(tmp_path / "mmchat.db") as store:
        auto = AutoRoute(config, Catalog.build(config), store)
        first = auto.decide("hello there", None)
        assert first.expected_output[1] == 0  # nothing to learn from yet
        conversation = store.create_conversation()
        for output in (700, 800, 900, 1000, 1100):
            store.add_message(conversation, "user", "hello there")
            answer = store.add_message(
                conversation, "assistant", "", model=first.model, status="pending", decision=first.to_dict(),
            )
            store.finish_answer(answer, AnswerEnd("", "complete", usage=Usage(input_tokens=5, output_tokens=output)))
        # Stale figures serve at once while a background thread reads the new ones.
        stale = auto.measured()
        auto._measured_at -= 60
        assert auto.measured() is stale
        deadline = time.monotonic() + 5
        while auto.measured() is stale and time.monotonic() < deadline:
            time.sleep(0.01)
        assert auto.decide("hello there", None).expected_output == (900, 5)
        assert first.model not in auto.measured().stats  # no speeds were stored: none measured


def test_auto_route_learns_from_the_votes_in_the_store(tmp_path) -> None:
    """Votes given after compares (with each prompt's decision stored) move the next decision
    for a prompt of the same kind, and the decision says what it used."""
    from mmchat.catalog import Catalog
    from mmchat.session.autoroute import AutoRoute
    from mmchat.store import AnswerEnd, NewAnswer, Store
    from tests.routing.helpers import load

    prompt = "Write a Python function that merges two sorted lists."
    config, _ = load()
    with Store(tmp_path / "mmchat.db") as store:
        auto = AutoRoute(config, Catalog.build(config), store)
        before = auto.decide(prompt, None)
        assert "your votes" not in before.why
        for _ in range(25):
            pins = [auto.decide(prompt, None, pin=m) for m in ("lab/coder", before.model)]
            turn = store.start_turn(None, prompt, [NewAnswer("lab", d.model, decision=d.to_dict()) for d in pins])
            for answer_id in turn.answer_ids:
                store.finish_answer(answer_id, AnswerEnd("def merge(a, b): ...", "complete"))
            store.record_vote(turn.user_message_id, list(turn.answer_ids), winner=turn.answer_ids[0])
        auto.read_measured()
        after = auto.decide(prompt, None)
        assert after.model == "lab/coder"
        assert "code: 25–0 in your votes" in after.why


def test_auto_route_learns_from_the_bench_runs_beside_the_store(tmp_path) -> None:
    """Bench results in bench.db beside the chat history move the next decision; an
    interrupted answer counts for nothing, an error as a failure."""
    from mmchat.catalog import Catalog
    from mmchat.session.autoroute import AutoRoute
    from mmchat.store import Store
    from mmchat.store.bench import read_bench_outcomes
    from tests.routing.helpers import load

    prompt = "Write a Python function that merges two sorted lists."
    config, _ = load()
    assert read_bench_outcomes(tmp_path / "bench.db") == [] and not (tmp_path / "bench.db").exists()
    with Store(tmp_path / "mmchat.db") as store, Store(tmp_path / "bench.db") as bench:
        auto = AutoRoute(config, Catalog.build(config), store)
        before = auto.decide(prompt, None)
        run = bench.create_bench_run(
            suite_name="s", suite_path=None, suite_sha256="", models=("lab/coder", before.model), repeat=1,
            estimated_cost_usd=None, max_cost_usd=None, params={},
        )
        for n in range(40):
            for model, status, passed in (("lab/coder", "complete", True), (before.model, "error", None)):
                bench.add_bench_result(
                    run, case_id=f"c{n}", category="code", model=model, attempt=0, status=status, passed=passed,
                    checks=[], answer_id=None, text="", error=None, ttft_ms=None, latency_ms=None,
                    input_tokens=0, output_tokens=0, cost_usd=None,
                )
        bench.add_bench_result(
            run, case_id="cut", category="code", model="lab/coder", attempt=0, status="interrupted", passed=None,
            checks=[], answer_id=None, text="", error=None, ttft_ms=None, latency_ms=None,
            input_tokens=0, output_tokens=0, cost_usd=None,
        )
        auto.read_measured()
        after = auto.decide(prompt, None)
        assert after.model == "lab/coder" and "code: bench 100% of 40" in after.why
        loser = next(c for c in after.candidates if c.model == before.model)
        assert "code: bench 0% of 40" in loser.reasons


def test_a_bench_answer_counts_in_the_kind_of_prompt_the_router_read(tmp_path) -> None:
    """A case filed under 'extraction' whose prompt the router reads as code (and German)
    counts for code and multilingual: the categories a later turn is matched on."""
    from mmchat.catalog import Catalog
    from mmchat.session.autoroute import AutoRoute
    from mmchat.store import Store
    from mmchat.store.bench import read_bench_outcomes
    from tests.routing.helpers import load

    config, _ = load()
    with Store(tmp_path / "mmchat.db") as store, Store(tmp_path / "bench.db") as bench:
        auto = AutoRoute(config, Catalog.build(config), store)
        decision = auto.decide("Schreib eine Python-Funktion, die zwei sortierte Listen zusammenführt.", None,
                               pin="lab/coder")
        assert (decision.signals.intent, decision.signals.language) == ("code", "de")
        conversation = bench.create_conversation()
        bench.add_message(conversation, "user", decision.prompt)
        answer = bench.add_message(conversation, "assistant", "def merge(a, b): ...", model="lab/coder",
                                   decision=decision.to_dict())
        run = bench.create_bench_run(suite_name="s", suite_path=None, suite_sha256="", models=["lab/coder"], repeat=1,
                                     estimated_cost_usd=None, max_cost_usd=None, params={})
        bench.add_bench_result(run, case_id="c", category="extraction", model="lab/coder", attempt=0,
                               status="complete", passed=True, checks=(), answer_id=answer, text="", error=None,
                               ttft_ms=None, latency_ms=None, input_tokens=0, output_tokens=0, cost_usd=None)
        assert read_bench_outcomes(tmp_path / "bench.db") == [("lab/coder", "extraction", "code", "de", True)]
        learned = auto.read_learned()
        assert set(learned.by_model["lab/coder"]) == {"all", "code", "multilingual"}


def test_the_routers_day_budget_counts_what_bench_runs_spent_today(tmp_path) -> None:
    from mmchat.catalog import Catalog
    from mmchat.config import Budget
    from mmchat.session.autoroute import AutoRoute
    from mmchat.store import AnswerEnd, Store
    from mmchat.types import Usage
    from tests.routing.helpers import load

    config, _ = load()
    config = dataclasses.replace(config, budget=Budget(day=1.0))
    with Store(tmp_path / "mmchat.db") as store, Store(tmp_path / "bench.db") as bench:
        auto = AutoRoute(config, Catalog.build(config), store)
        assert auto.state(None).spent_day == 0.0
        conversation = bench.create_conversation()
        bench.add_message(conversation, "user", "a case")
        answer = bench.add_message(conversation, "assistant", "", model="x/y", status="pending")
        bench.finish_answer(answer, AnswerEnd("ok", "complete", usage=Usage(input_tokens=1, output_tokens=1),
                                              cost_usd=0.75))
        assert auto.state(None).spent_day == 0.75  # as the sidebar and the commands count it


def test_the_evidence_is_learned_again_only_when_a_vote_or_a_bench_result_is_new(tmp_path) -> None:
    from mmchat.catalog import Catalog
    from mmchat.session.autoroute import AutoRoute
    from mmchat.store import Store
    from tests.routing.helpers import load

    config, _ = load()
    with Store(tmp_path / "mmchat.db") as store, Store(tmp_path / "bench.db") as bench:
        auto = AutoRoute(config, Catalog.build(config), store)
        run = bench.create_bench_run(suite_name="s", suite_path=None, suite_sha256="", models=["lab/coder"], repeat=1,
                                     estimated_cost_usd=None, max_cost_usd=None, params={})

        def result(case: str) -> None:
            bench.add_bench_result(run, case_id=case, category="code", model="lab/coder", attempt=0,
                                   status="complete", passed=True, checks=(), answer_id=None, text="", error=None,
                                   ttft_ms=None, latency_ms=None, input_tokens=0, output_tokens=0, cost_usd=None)

        result("a")
        first = auto.read_learned()
        assert auto.read_learned() is first  # nothing new: the fits are not run again
        result("b")
        again = auto.read_learned()
        assert again is not first and again.of("lab/coder", ("code",)).answers == 2
