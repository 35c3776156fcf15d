"""The bench's tables in the store: runs, results, what a resumed run skips, the v4 → v5 migration."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from mmchat.store import CheckOutcome, Store, schema
from mmchat.store.schema import MIGRATIONS


def new_run(store: Store, **over) -> int:
    fields = dict(
        suite_name="sample", suite_path="/s.yaml", suite_sha256="ab" * 32, models=["lab/a", "lab/b"], repeat=2,
        estimated_cost_usd=0.25, max_cost_usd=1.0, params={"concurrency": 4},
    )
    return store.create_bench_run(**{**fields, **over})


def result(store: Store, run_id: int, case_id: str = "c1", model: str = "lab/a", attempt: int = 0, **over) -> int:
    fields = dict(
        category="facts", status="complete", passed=True,
        checks=[CheckOutcome("contains", True, "found 'Paris'")], answer_id=None, text="Paris.", error=None,
        ttft_ms=120.0, latency_ms=400.0, input_tokens=12, output_tokens=3, cost_usd=0.0001,
    )
    return store.add_bench_result(run_id, case_id=case_id, model=model, attempt=attempt, **{**fields, **over})


@pytest.fixture
def store(tmp_path: Path):
    with Store(tmp_path / "bench.db") as s:
        yield s


def test_a_run_is_stored_running_and_read_back_with_its_fields(store):
    run_id = new_run(store)
    run = store.bench_run(run_id)
    assert (run.suite_name, run.suite_path, run.models, run.repeat) == ("sample", "/s.yaml", ("lab/a", "lab/b"), 2)
    assert (run.status, run.finished_at, run.estimated_cost_usd, run.max_cost_usd) == ("running", None, 0.25, 1.0)
    assert run.params == {"concurrency": 4}


def test_stopping_and_finishing_set_when_it_finished_and_running_again_clears_it(store):
    run_id = new_run(store)
    store.set_bench_run_status(run_id, "stopped")
    assert store.bench_run(run_id).status == "stopped"
    assert store.bench_run(run_id).finished_at is not None
    store.set_bench_run_status(run_id, "running")
    assert store.bench_run(run_id).finished_at is None
    store.set_bench_run_status(run_id, "done")
    assert store.bench_run(run_id).status == "done"
    with pytest.raises(ValueError):
        store.set_bench_run_status(run_id, "paused")
    with pytest.raises(LookupError):
        store.set_bench_run_status(run_id + 1, "done")


def test_an_unknown_run_is_a_lookup_error(store):
    with pytest.raises(LookupError):
        store.bench_run(7)


def test_runs_are_listed_newest_first_up_to_the_limit(store):
    ids = [new_run(store, suite_name=f"s{i}") for i in range(3)]
    assert [r.id for r in store.bench_runs()] == ids[::-1]
    assert [r.id for r in store.bench_runs(limit=2)] == ids[:0:-1]


def test_results_come_back_in_insertion_order_with_their_checks(store):
    run_id = new_run(store)
    result(store, run_id, "c2", "lab/b", 1, passed=False, checks=[CheckOutcome("regex", False, "no match")])
    result(store, run_id, "c1", "lab/a", 0)
    result(store, run_id, "c1", "lab/b", 0, status="error", passed=None, checks=[], text="", error="lab: 500")
    got = store.bench_results(run_id)
    assert [(r.case_id, r.model, r.attempt) for r in got] == [("c2", "lab/b", 1), ("c1", "lab/a", 0), ("c1", "lab/b", 0)]
    assert got[0].passed is False and got[0].checks == (CheckOutcome("regex", False, "no match"),)
    assert got[1].passed is True and (got[1].ttft_ms, got[1].output_tokens, got[1].cost_usd) == (120.0, 3, 0.0001)
    assert (got[2].status, got[2].passed, got[2].error) == ("error", None, "lab: 500")
    assert store.bench_done(run_id) == {("c2", "lab/b", 1), ("c1", "lab/a", 0), ("c1", "lab/b", 0)}
    assert store.bench_done(new_run(store)) == set()


def test_a_result_is_stored_once_per_case_model_and_attempt(store):
    run_id = new_run(store)
    result(store, run_id)
    with pytest.raises(ValueError, match="already has a result"):
        result(store, run_id)
    with pytest.raises(ValueError, match="unknown result status"):
        result(store, run_id, attempt=1, status="skipped")
    with pytest.raises(LookupError):
        result(store, run_id + 5)


def test_errors_details_and_params_go_through_the_redaction_hook(tmp_path):
    key = "sk-secret-0123456789abcdef"
    with Store(tmp_path / "bench.db", redact=lambda s: s.replace(key, "[key]")) as store:
        run_id = new_run(store, params={"note": f"used {key}"})
        result(store, run_id, status="error", passed=False, error=f"401 for {key}",
               checks=[CheckOutcome("judge", False, f"judge said {key}")])
        got = store.bench_results(run_id)[0]
        assert got.error == "401 for [key]"
        assert got.checks[0].detail == "judge said [key]"
        assert store.bench_run(run_id).params == {"note": "used [key]"}


def test_a_v4_database_migrates_to_v5_keeping_its_conversations(tmp_path, monkeypatch):
    path = tmp_path / "bench.db"
    with monkeypatch.context() as m:
        m.setattr(schema, "MIGRATIONS", MIGRATIONS[:4])
        with Store(path) as old:
            conversation = old.create_conversation("kept")
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 4
        assert conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'bench_runs'").fetchone()[0] == 0
    with Store(path) as store:
        assert store._user_version() == 5
        assert store.conversation(conversation).title == "kept"
        run_id = new_run(store)
        result(store, run_id)
        assert len(store.bench_results(run_id)) == 1


def test_deleting_a_results_answer_keeps_the_result(store):
    conversation = store.create_conversation()
    answer = store.add_message(conversation, "assistant", "Paris.")
    run_id = new_run(store)
    result(store, run_id, answer_id=answer)
    store.delete_conversation(conversation)
    assert store.bench_results(run_id)[0].answer_id is None


def test_each_results_intent_is_the_one_its_answers_decision_read(store):
    conversation = store.create_conversation()
    read_as = {
        "code": {"model": "lab/a", "signals": {"intent": "code"}},
        "none": {"model": "lab/a", "signals": {}},
        "odd": {"model": "lab/a", "signals": {"intent": 3}},
    }
    run_id, other = new_run(store), new_run(store)
    ids = {
        name: result(store, run_id, case_id=name,
                     answer_id=store.add_message(conversation, "assistant", "x", decision=decision))
        for name, decision in read_as.items()
    }
    result(store, run_id, case_id="no answer")
    result(store, other, answer_id=store.add_message(conversation, "assistant", "x", decision=read_as["code"]))
    assert store.bench_intents(run_id) == {ids["code"]: "code"}


def test_each_runs_results_cost_is_summed_unknown_costs_as_nothing(store):
    first, second = new_run(store), new_run(store)
    new_run(store)  # no results: not listed
    result(store, first, case_id="a", cost_usd=0.25)
    result(store, first, case_id="b", cost_usd=0.5)
    result(store, first, case_id="c", cost_usd=None)
    result(store, second, case_id="a", cost_usd=None)
    assert store.bench_costs() == {first: 0.75, second: 0.0}
