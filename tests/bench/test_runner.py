"""The bench runner against local OpenAI-format servers over real sockets, into a real bench store."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from mmchat.bench.limits import RAISE_AFTER
from mmchat.bench import judge as judging
from mmchat.bench.runner import BenchRunner, plan_run, top_models
from mmchat.session.session import Session
from mmchat.bench.suite import Case, Check, JudgeSpec, Suite, Turn
from mmchat.catalog import Catalog
from mmchat.config_load import load_config
from mmchat.store import Store
from tests.servers import OpenAIServer
from tests.servers.core import RecordedRequest, Script, split_text
from tests.servers.sockets import closed_port

SECRET = "sk-proj-" + "Q1w2E3r4T5y6U7i8O9p0" * 2


class BenchServer(OpenAIServer):
    """Answers each request `delay` seconds after it arrived with `answer(last user text)`;
    `arrivals` holds when each request came (monotonic seconds)."""

    def __init__(self, *, delay: float = 0.0, answer: Callable[[str], str] = lambda said: f"You said: {said}") -> None:
        super().__init__()
        self.delay, self.answer = delay, answer
        self.arrivals: list[float] = []
        self.hang: set[str] = set()  # prompts answered only after 30 s

    def _respond(self, request: RecordedRequest) -> Script:
        self.arrivals.append(time.monotonic())
        return super()._respond(request)

    def default_reply(self, request: RecordedRequest) -> Script:
        text = self.answer(self.last_user_text(request.json))
        usage = self.usage_body(prompt_tokens=100, output_tokens=50)
        script = self.text_script(split_text(text, 3), usage=usage, reasoning=[], finish=None)
        script.delay = 30.0 if self.last_user_text(request.json) in self.hang else self.delay
        return script

    def prompts(self) -> list[str]:
        return [self.last_user_text(r.json) for r in self.requests if r.path.endswith("/chat/completions")]


def most_at_once(arrivals: list[float], span: float) -> int:
    """The most requests in flight together, each taking `span` seconds from its arrival."""
    ends = sorted(arrivals)
    return max((sum(1 for t in ends if start <= t < start + span - 0.02) for start in ends), default=0)


def provider(name: str, url: str, **extra: object) -> str:
    lines = "".join(f"    {k}: {v}\n" for k, v in extra.items())
    return f"  {name}:\n    type: openai\n    base_url: {url}\n    max_retries: 0\n" + lines


def write_config(tmp_path: Path, providers: str, models: list[str]) -> Path:
    listed = "".join(f"  {m}: {{price: {{input: 1.0, output: 2.0}}}}\n" for m in models)
    path = tmp_path / "config.yaml"
    path.write_text(f"providers:\n{providers}models:\n{listed}")
    return path


def suite(n: int = 4, *, checks: tuple[Check, ...] = (), **case_fields) -> Suite:
    cases = tuple(Case(id=f"c{i}", prompt=f"question {i}", line=0, checks=checks, **case_fields) for i in range(n))
    return Suite(name="t", path=None, cases=cases, sha256="x")


class Bench:
    """A user store with a conversation, a bench store, and the session over both."""

    def __init__(self, tmp_path: Path, config: Path) -> None:
        self.config = load_config(config, env={})
        self.user = Store(tmp_path / "mmchat.db")
        conversation = self.user.create_conversation("mine")
        self.user.add_message(conversation, "user", "an old prompt")
        self.store = Store(tmp_path / "bench.db")
        self.session = Session(self.config, self.user, Catalog.build(self.config), sink=self.store)

    def runner(self, s: Suite, models: list[str], repeat: int = 1, *, run_id: int | None = None,
               **options) -> BenchRunner:
        done = self.store.bench_done(run_id) if run_id else set()
        plan = plan_run(self.session, s, models, repeat, done)
        if run_id is None:
            run_id = self.store.create_bench_run(
                suite_name=s.name, suite_path=None, suite_sha256=s.sha256, models=plan.models, repeat=repeat,
                estimated_cost_usd=plan.estimated_cost_usd, max_cost_usd=options.get("max_cost_usd"), params={},
            )
        return BenchRunner(self.session, self.store, s, run_id, plan, **options)

    async def run(self, s: Suite, models: list[str], repeat: int = 1, **options) -> BenchRunner:
        runner = self.runner(s, models, repeat, **options)
        await runner.run()
        return runner

    def user_messages(self) -> int:
        return self.user._conn.execute("SELECT count(*) FROM messages").fetchone()[0]

    async def close(self) -> None:
        await self.session.aclose()
        self.store.close()
        self.user.close()


@pytest.fixture
async def make(tmp_path):
    made: list[Bench] = []

    def build(providers: str, models: list[str]) -> Bench:
        made.append(Bench(tmp_path, write_config(tmp_path, providers, models)))
        return made[-1]

    yield build
    for bench in made:
        await bench.close()


async def test_every_case_model_and_attempt_is_answered_checked_and_stored(make):
    with BenchServer() as server:
        bench = make(provider("p", server.base_url), ["p/a", "p/b"])
        checks = (Check("contains", 0, text="QUESTION 1"), Check("length", 0, min_chars=5))
        runner = await bench.run(suite(2, checks=checks), ["p/a", "p/b"], repeat=2)
    results = bench.store.bench_results(runner.run_id)
    assert sorted((r.case_id, r.model, r.attempt) for r in results) == [
        (c, m, a) for c in ("c0", "c1") for m in ("p/a", "p/b") for a in (0, 1)
    ]
    assert {r.case_id: r.passed for r in results} == {"c0": False, "c1": True}
    c1 = next(r for r in results if r.case_id == "c1")
    assert c1.text == "You said: question 1" and c1.status == "complete"
    assert [o.kind for o in c1.checks] == ["contains", "length"]
    assert (c1.input_tokens, c1.output_tokens) == (100, 50) and c1.cost_usd == pytest.approx(0.0002)
    assert bench.store.message(c1.answer_id).content == c1.text  # the answer itself is in the bench store
    assert bench.store.bench_run(runner.run_id).status == "done"
    assert len(server.prompts()) == 8


async def test_a_providers_bound_is_observed_on_its_server(make):
    with BenchServer(delay=0.3) as p:
        bench = make(provider("p", p.base_url, concurrency=3), ["p/a", "p/b"])
        await bench.run(suite(5), ["p/a", "p/b"], concurrency=8)
    assert most_at_once(p.arrivals, 0.3) == 3


async def test_the_runs_bound_holds_over_all_providers(make):
    with BenchServer(delay=0.3) as p, BenchServer(delay=0.3) as q:
        bench = make(provider("p", p.base_url, concurrency=3) + provider("q", q.base_url, concurrency=3),
                     ["p/a", "q/a"])
        await bench.run(suite(8), ["p/a", "q/a"], concurrency=4)
    assert most_at_once(p.arrivals + q.arrivals, 0.3) == 4
    assert max(most_at_once(p.arrivals, 0.3), most_at_once(q.arrivals, 0.3)) <= 3


async def test_a_providers_requests_per_minute_are_spread_out(make):
    with BenchServer() as server:
        bench = make(provider("p", server.base_url, concurrency=4, rpm=600), ["p/a"])  # one every 0.1 s
        await bench.run(suite(6), ["p/a"])
    gaps = [b - a for a, b in zip(server.arrivals, server.arrivals[1:])]
    assert len(gaps) == 5 and min(gaps) >= 0.09


async def test_the_engines_retries_take_their_providers_rate_tokens_too(make):
    with BenchServer() as server:
        bench = make(provider("p", server.base_url, concurrency=2, rpm=300).replace("max_retries: 0", "max_retries: 1"),
                     ["p/a"])
        await bench.run(suite(1), ["p/a"])  # the provider built and connected: the next run's requests leave on time
        server.arrivals.clear()
        server.enqueue(Script.json(429, {"error": {"message": "slow down"}}, headers={"retry-after": "0"}))
        runner = await bench.run(suite(4), ["p/a"])
    assert [r.status for r in bench.store.bench_results(runner.run_id)] == ["complete"] * 4
    gaps = [b - a for a, b in zip(server.arrivals, server.arrivals[1:])]
    # One every 0.2 s, the retry after the 429 included (it came at once, then waited its token).
    assert len(gaps) == 4 and min(gaps) >= 0.15


class InProcessModel:
    """An in-process provider type for the runner: loading takes 0.3 s, an answer 0.05 s; it
    records how many answers ran at once and when the load ended."""

    running = most = 0
    loaded_at: float | None = None

    def __init__(self, config, api_key, *, client=None) -> None:
        self.name = config.name

    def prepare(self) -> None:
        time.sleep(0.3)
        InProcessModel.loaded_at = time.monotonic()

    async def stream(self, request):
        from mmchat.types import Finish, TextDelta, Usage

        cls = InProcessModel
        cls.running += 1
        cls.most = max(cls.most, cls.running)
        try:
            await asyncio.sleep(0.05)
            yield TextDelta("an answer")
            yield Usage(input_tokens=10, output_tokens=2)
            yield Finish("stop")
        finally:
            cls.running -= 1

    async def list_models(self) -> list[str]:
        return ["m"]

    async def aclose(self) -> None:
        pass


@pytest.fixture
def in_process_type():
    from mmchat import provider_types

    InProcessModel.running = InProcessModel.most = 0
    InProcessModel.loaded_at = None
    provider_types.register("in-process-test", InProcessModel, local=True)
    yield
    provider_types.unregister("in-process-test")


async def test_an_in_process_model_is_loaded_first_and_answers_one_request_at_a_time(make, in_process_type):
    bench = make("  here:\n    type: in-process-test\n    concurrency: 4\n", ["here/m"])
    said: list[str] = []
    runner = await bench.run(suite(4), ["here/m"], concurrency=4, say=said.append)
    assert said == ["loading here/m into memory…"]
    assert InProcessModel.most == 1  # four at once would wait in its queue, their clocks running
    results = bench.store.bench_results(runner.run_id)
    assert [r.status for r in results] == ["complete"] * 4
    assert max(r.ttft_ms for r in results) < 300  # no answer's TTFT is the 0.3 s load


async def test_a_429_with_retry_after_is_honoured_and_lowers_that_providers_bound(make):
    with BenchServer(delay=0.3) as server:
        server.enqueue(Script.json(429, {"error": {"message": "slow down"}}, headers={"retry-after": "1"}))
        bench = make(provider("p", server.base_url, concurrency=2) .replace("max_retries: 0", "max_retries: 1"),
                     ["p/a"])
        runner = await bench.run(suite(5), ["p/a"])
    gate = runner.limits.gates["p"]
    assert (gate.limit, gate.lowered) == (1, 1)  # fewer than RAISE_AFTER successes since: not raised yet
    assert 5 < RAISE_AFTER
    results = bench.store.bench_results(runner.run_id)
    assert [r.status for r in results] == ["complete"] * 5
    first, second, *later = server.arrivals
    # The 429 came at once; the retry waited the second Retry-After asked for.
    assert max(later) - first >= 1.0
    after = [t for t in server.arrivals if t >= first + 0.9]
    assert most_at_once(after, 0.3) == 1
    assert bench.store.bench_run(runner.run_id).params["rate_limited"] == {"p": 1}


async def test_a_lowered_bound_goes_up_again_after_enough_successes(make):
    with BenchServer() as server:
        server.enqueue(Script.json(429, {"error": {"message": "slow down"}}, headers={"retry-after": "0"}))
        bench = make(provider("p", server.base_url, concurrency=2).replace("max_retries: 0", "max_retries: 1"),
                     ["p/a"])
        runner = await bench.run(suite(RAISE_AFTER + 3), ["p/a"])
    gate = runner.limits.gates["p"]
    assert (gate.limit, gate.lowered) == (2, 1)


async def test_a_model_that_fails_every_request_stores_errors_and_the_run_completes(make):
    port = closed_port()
    with BenchServer() as server:
        bench = make(provider("p", server.base_url) + provider("down", f"http://127.0.0.1:{port}/v1"),
                     ["p/a", "down/a"])
        runner = await bench.run(suite(3, checks=(Check("contains", 0, text="said"),)), ["p/a", "down/a"])
    results = bench.store.bench_results(runner.run_id)
    down = [r for r in results if r.model == "down/a"]
    assert len(down) == 3
    assert all(r.status == "error" and r.passed is None and r.error and r.checks == () for r in down)
    assert [r.passed for r in results if r.model == "p/a"] == [True] * 3
    assert runner.progress.failures == 3
    assert bench.store.bench_run(runner.run_id).status == "done"


async def test_the_cost_limit_stops_starting_answers_and_the_run_can_be_resumed(make):
    with BenchServer() as server:
        bench = make(provider("p", server.base_url), ["p/a"])
        s = suite(5)
        runner = bench.runner(s, ["p/a"], concurrency=1, max_cost_usd=0.0005)
        estimate = runner.plan.decisions[("c0", "p/a")].chosen.cost_usd
        assert 0.0003 < estimate < 0.0005  # the router expects more than the $0.0002 each answer costs
        # The first answer starts on the router's estimate; the second on the first's cost
        # (0.0002 + 0.0002 ≤ 0.0005, where the estimate would have refused it); a third would pass the limit.
        assert await runner.run() == "stopped"
        results = bench.store.bench_results(runner.run_id)
        assert len(results) == 2 and sum(r.cost_usd for r in results) == pytest.approx(0.0004)
        assert bench.store.bench_run(runner.run_id).status == "stopped"
        resumed = bench.runner(s, ["p/a"], run_id=runner.run_id, concurrency=1, max_cost_usd=1.0)
        assert await resumed.run() == "done"
    assert sorted(r.case_id for r in bench.store.bench_results(runner.run_id)) == ["c0", "c1", "c2", "c3", "c4"]
    assert sorted(server.prompts()) == [f"question {i}" for i in range(5)]  # none asked twice


async def test_answers_running_at_once_count_in_the_cost_limit_before_they_end(make):
    with BenchServer(delay=0.2) as server:
        bench = make(provider("p", server.base_url, concurrency=4), ["p/a"])
        # Four could start at once on nothing spent (and spend $0.0008); the second is
        # refused on what the first is expected to cost.
        runner = bench.runner(suite(5), ["p/a"], concurrency=4, max_cost_usd=0.0005)
        assert await runner.run() == "stopped"
    assert len(server.prompts()) == 1
    assert sum(r.cost_usd for r in bench.store.bench_results(runner.run_id)) <= 0.0005


async def test_an_interrupted_run_resumes_without_running_finished_cases_again(make):
    with BenchServer() as server:
        bench = make(provider("p", server.base_url, concurrency=1), ["p/a"])
        s = suite(6)
        server.hang = {"question 3"}  # Ctrl+C comes while it runs
        runner = bench.runner(s, ["p/a"], concurrency=1)
        task = asyncio.ensure_future(runner.run())
        while len(server.prompts()) < 4:
            await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert bench.store.bench_run(runner.run_id).status == "stopped"
        assert [r.case_id for r in bench.store.bench_results(runner.run_id)] == ["c0", "c1", "c2"]
        interrupted = bench.store._conn.execute(
            "SELECT count(*) FROM messages WHERE role = 'assistant' AND status = 'interrupted'").fetchone()[0]
        assert interrupted == 1  # the running answer was closed and kept, not made a result
        server.hang = set()
        resumed = bench.runner(s, ["p/a"], run_id=runner.run_id, concurrency=1)
        assert resumed.progress.total == 3
        assert await resumed.run() == "done"
    assert server.prompts()[4:] == ["question 3", "question 4", "question 5"]
    assert [r.case_id for r in bench.store.bench_results(runner.run_id)] == [f"c{i}" for i in range(6)]
    assert bench.store.bench_run(runner.run_id).status == "done"


async def test_a_private_case_runs_only_on_the_local_model(make):
    with BenchServer() as server:
        bench = make(provider("p", server.base_url) + provider("cloud", "https://cloud.invalid/v1"),
                     ["p/a", "cloud/big"])
        s = Suite("t", None, (
            Case("open", "What is 2+2?", 0),
            Case("marked", "Summarise my notes", 0, private=True),
            Case("secret", f"Why does {SECRET} fail?", 0),
            Case("history", "And now?", 0, history=(Turn("user", f"my key is {SECRET}"), Turn("assistant", "ok"))),
        ))
        plan = plan_run(bench.session, s, ["p/a", "cloud/big"], 1)
        assert {(w.case.id, w.model) for w in plan.work} == {
            ("open", "p/a"), ("open", "cloud/big"), ("marked", "p/a"), ("secret", "p/a"), ("history", "p/a"),
        }
        assert plan.left_out_private == 3
        assert plan.private_cases == {"marked", "secret", "history"}
        # Only what the local model may take runs; the cloud's answer to the open case fails (.invalid).
        runner = bench.runner(s, ["p/a", "cloud/big"])
        await runner.run()
    results = bench.store.bench_results(runner.run_id)
    assert sorted((r.case_id, r.model) for r in results if r.model == "cloud/big") == [("open", "cloud/big")]
    assert len(server.prompts()) == 4
    assert bench.store.bench_run(runner.run_id).params["left_out_private"] == 3
    history = next(r for r in results if r.case_id == "history")
    sent = server.requests[[server.last_user_text(q.json) for q in server.requests].index("And now?")].json
    assert [m["content"] for m in sent["messages"]] == [f"my key is {SECRET}", "ok", "And now?"]
    assert history.status == "complete"


async def test_the_bench_never_writes_to_the_users_store(make):
    with BenchServer() as server:
        bench = make(provider("p", server.base_url), ["p/a", "p/b"])
        before = bench.user_messages()
        locks = bench.user._conn.execute("SELECT count(*) FROM conversations WHERE private_since IS NOT NULL")
        assert locks.fetchone()[0] == 0
        s = suite(3, system="Answer briefly.")
        s = Suite(s.name, None, (*s.cases, Case("p", f"Use {SECRET}", 0)), sha256="x")
        await bench.run(s, ["p/a", "p/b"], repeat=2)
    assert bench.user_messages() == before == 1
    locks = bench.user._conn.execute("SELECT count(*) FROM conversations WHERE private_since IS NOT NULL")
    assert locks.fetchone()[0] == 0  # the private case locked its conversation in the bench store only
    assert bench.store._conn.execute(
        "SELECT count(*) FROM conversations WHERE private_since IS NOT NULL").fetchone()[0] == 4
    assert server.requests[0].json["messages"][0] == {"role": "system", "content": "Answer briefly."}


async def test_a_score_judge_grades_each_answer_and_its_cost_counts_in_the_runs(make):
    def grade(said: str) -> str:
        return "Fine.\nSCORE: 8" if "Paris" in said else "Wrong.\nSCORE: 3"

    with BenchServer(answer=lambda said: "Paris" if "France" in said else "Lyon") as server, \
            BenchServer(answer=grade) as judge:
        bench = make(provider("p", server.base_url) + provider("j", judge.base_url), ["p/a", "j/judge"])
        check = Check("judge", 0, judge=JudgeSpec(model="j/judge", rubric="names the capital", pass_score=7))
        s = Suite("t", None, (Case("fr", "Capital of France?", 0, checks=(check,)),
                              Case("it", "Capital of Italy?", 0, checks=(check,))))
        runner = await bench.run(s, ["p/a"])
    results = {r.case_id: r for r in bench.store.bench_results(runner.run_id)}
    assert (results["fr"].passed, results["fr"].checks[0].detail) == (True, "judge scored 8/10")
    assert (results["it"].passed, results["it"].checks[0].detail) == (False, "judge scored 3/10")
    assert len(judge.prompts()) == 2
    judge_cost = bench.store.bench_run(runner.run_id).params["judge_cost_usd"]
    assert judge_cost == pytest.approx(0.0004)
    assert runner.progress.cost_usd == pytest.approx(0.0004 + 0.0004)


async def test_a_judge_that_forgets_the_verdict_line_is_reminded_once(make):
    def grade(said: str) -> str:
        if said == judging.SCORE_REMINDER:
            return "SCORE: 9"
        return "Paris is right." if "Paris" in said else "Wrong, and I will not say more."

    with BenchServer(answer=lambda said: "Paris" if "France" in said else "Lyon") as server, \
            BenchServer(answer=grade) as judge:
        bench = make(provider("p", server.base_url) + provider("j", judge.base_url), ["p/a", "j/judge"])
        check = Check("judge", 0, judge=JudgeSpec(model="j/judge", rubric="names the capital", pass_score=7))
        s = Suite("t", None, (Case("fr", "Capital of France?", 0, checks=(check,)),))
        runner = await bench.run(s, ["p/a"])
    [result] = bench.store.bench_results(runner.run_id)
    assert (result.passed, result.checks[0].detail) == (True, "judge scored 9/10")
    assert judge.prompts()[1] == judging.SCORE_REMINDER
    reminded = judge.requests[-1].json["messages"]
    assert [m["role"] for m in reminded][-3:] == ["user", "assistant", "user"] and reminded[-2]["content"] == "Paris is right."
    assert bench.store.bench_run(runner.run_id).params["judge_cost_usd"] == pytest.approx(0.0004)  # both requests


async def test_a_pairwise_judge_compares_with_the_against_models_answer_in_both_orders(make):
    def verdict(said: str) -> str:
        # The answer saying 'good' wins, whichever place it is in.
        first = said.index("Answer 1")
        second = said.index("Answer 2")
        good_first = "good" in said[first:second]
        return "WINNER: 1" if good_first else "WINNER: 2"

    with BenchServer(answer=lambda said: "good") as p, BenchServer(answer=lambda said: "bad") as q, \
            BenchServer(answer=verdict) as judge:
        bench = make(provider("p", p.base_url) + provider("q", q.base_url) + provider("j", judge.base_url),
                     ["p/a", "q/ref", "j/judge"])
        check = Check("judge", 0, judge=JudgeSpec(model="j/judge", rubric="better", mode="pairwise", against="q/ref"))
        s = Suite("t", None, (Case("c", "Say something", 0, checks=(check,)),))
        runner = bench.runner(s, ["p/a"])
        assert runner.plan.added == ("q/ref",)  # the reference model joins the run
        await runner.run()
    results = {r.model: r for r in bench.store.bench_results(runner.run_id)}
    assert results["p/a"].passed is True
    assert results["p/a"].checks[0].detail.startswith("against q/ref: first/second")
    reference = results["q/ref"]  # not judged against itself: undecided, not failed
    assert (reference.status, reference.passed) == ("complete", None)
    assert reference.checks[0].detail == "the reference answer itself: not judged"
    assert len(judge.prompts()) == 2  # p/a's answer, in both orders


async def test_the_reference_model_judging_the_pairwise_check_is_not_warned_of_as_it_judges_nothing(make):
    with BenchServer() as server:
        bench = make(provider("p", server.base_url), ["p/a"])
        check = Check("judge", 0, judge=JudgeSpec(model="p/a", rubric="better", mode="pairwise", against="p/a"))
        warnings: list[str] = []
        runner = await bench.run(suite(2, checks=(check,)), ["p/a"], warn=warnings.append)
    assert warnings == [] and len(server.prompts()) == 2  # the two answers, no judge request
    assert [r.passed for r in bench.store.bench_results(runner.run_id)] == [None, None]


async def test_a_judge_that_never_gives_a_readable_verdict_leaves_the_answer_undecided(make):
    with BenchServer(answer=lambda said: "Paris" if "France" in said else "Lyon") as server, \
            BenchServer(answer=lambda said: "I would rather not grade this.") as judge:
        bench = make(provider("p", server.base_url) + provider("j", judge.base_url), ["p/a", "j/judge"])
        judged = Check("judge", 0, judge=JudgeSpec(model="j/judge", rubric="names the capital"))
        s = Suite("t", None, (
            Case("fr", "Capital of France?", 0, checks=(judged, Check("contains", 0, text="Paris"))),
            Case("it", "Capital of Italy?", 0, checks=(judged, Check("contains", 0, text="Rome"))),
        ))
        runner = await bench.run(s, ["p/a"])
    results = {r.case_id: r for r in bench.store.bench_results(runner.run_id)}
    assert [(o.passed, o.detail) for o in results["fr"].checks] == [
        (None, "j/judge's score could not be read"), (True, "found 'Paris'"),
    ]
    assert results["fr"].passed is None  # nothing failed, the judge could not say: undecided
    assert results["it"].passed is False  # a failed check decides, whatever the judge
    assert len(judge.prompts()) == 4  # each asked once more, reminded of the form


async def test_a_judge_grading_its_own_models_answers_warns_once(make):
    with BenchServer(answer=lambda said: "SCORE: 9") as server:
        bench = make(provider("p", server.base_url), ["p/a"])
        check = Check("judge", 0, judge=JudgeSpec(model="p/a", rubric="anything"))
        warnings: list[str] = []
        runner = bench.runner(suite(3, checks=(check,)), ["p/a"], warn=warnings.append)
        await runner.run()
    assert warnings == ["p/a judges its own answers: judges tend to favour their own"]
    assert all(r.passed for r in bench.store.bench_results(runner.run_id))


async def test_top_n_are_the_models_most_often_among_each_cases_best(tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text(
        f"providers:\n{provider('p', 'http://127.0.0.1:9/v1')}models:\n"
        "  p/light: {price: {input: 0.1, output: 0.4}, tier: light}\n"
        "  p/mid: {price: {input: 1.0, output: 4.0}, tier: standard}\n"
        "  p/coder: {price: {input: 3.0, output: 12.0}, tier: strong, tags: [code]}\n"
        "  p/strong: {price: {input: 5.0, output: 20.0}, tier: strong}\n"
    )
    code = "Write a Python function that parses a CSV file and returns rows as dicts, handling quoted fields."
    light = ["What is the capital of France?", "Translate 'thank you' into Spanish."]
    prompts = Suite(name="t", path=None, sha256="x",
                    cases=tuple(Case(id=f"c{i}", prompt=p, line=0) for i, p in enumerate([code, *light])))
    bench = Bench(tmp_path, config)
    try:
        def ranked(prompt: str) -> list[str]:
            return [c.model for c in bench.session.decide(prompt, None).candidates]

        # The premise: the code prompt and the light ones rank the models differently.
        assert ranked(code)[:3] == ["p/coder", "p/mid", "p/strong"]
        assert [ranked(p)[:3] for p in light] == [["p/light", "p/mid", "p/coder"]] * 2
        # Top 3: p/mid (ranks 1, 1, 1) and p/coder (0, 2, 2) are among all three prompts' best:
        # p/mid first on its better average rank, though p/coder sorts first by name; p/light
        # (0, 0) comes after them, among two prompts' only, its better average rank no matter.
        assert top_models(bench.session, prompts, 3) == ["p/mid", "p/coder", "p/light"]
        # Top 2: p/mid is nowhere first but among all three prompts' 2 best; p/light two's.
        assert top_models(bench.session, prompts, 2) == ["p/mid", "p/light"]
    finally:
        await bench.close()
