"""Running a suite over models: each case, model and attempt answered, checked and stored.

Every request goes through the session, whose sink is the bench's own store (so the
answers never enter the chat history nor the router's measured speeds), within the run's
limits (`limits.py`). A result is stored as soon as its checks are decided; what is
stored is never run again when the run is resumed.

- A case the router marks private (its prompt, system text or history) runs on local
  models only; a cloud model's result for it is not stored, only counted in the run's
  params (`left_out_private`): a private case is not a failure of the model.
- A judge check sends the judge's request through the same session and limits; its cost
  counts in the run's (`params.judge_cost_usd`), not in the judged model's results. A
  pairwise check waits for the `against` model's answer to the same case and attempt
  (that model joins the run when it is not in it: `plan_run`); the reference model's own
  answers are not judged against themselves.
- A judge check that cannot be decided (the judge failed, its verdict stayed unreadable,
  no reference answer, a private case and a cloud judge) is *undecided*, not failed: it
  says nothing about the answer. An answer with a failed check failed; else with an
  undecided one it is undecided (`passed` None), and the report counts it apart.
- `max_cost_usd` keeps answers from starting (`limits.CostLimit`); the run is then
  'stopped' and can be resumed.
- Cancelling `run` (Ctrl+C) closes the running answers (stored interrupted in the bench
  store, not as results) and stops the run.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from mmchat import provider_types
from mmchat.bench import checks as check_kinds
from mmchat.bench import judge as judging
from mmchat.bench.limits import CostLimit, Limits, Outcome
from mmchat.bench.suite import Case, Check, Suite
from mmchat.engine.events import Retrying
from mmchat.routing import Decision
from mmchat.session.session import Session
from mmchat.session.view import TurnView
from mmchat.store import CheckOutcome, Store
from mmchat.types import ChatMessage

JUDGE_SHARE = 0.5  # a judge's request, roughly, as a share of the judged answer's estimated cost


@dataclass(frozen=True)
class Work:
    case: Case
    model: str
    attempt: int


@dataclass(frozen=True)
class RunPlan:
    """What a run will do: the models (with those pairwise checks compare against), each
    case's pinned decision per model, the work left, and the estimated cost."""

    models: tuple[str, ...]
    added: tuple[str, ...]  # models not asked for, run because a pairwise check compares against them
    decisions: dict[tuple[str, str], Decision]  # (case id, model) → the pinned decision
    work: tuple[Work, ...]  # in the order it starts
    private_cases: frozenset[str]  # ids of the cases the router marks private
    left_out_private: int  # (case, model, attempt) a private case keeps from a cloud model
    estimated_cost_usd: float
    unpriced: tuple[str, ...]  # models with no price (not in the estimate)


@dataclass
class Progress:
    """How far a run has come, for the progress line."""

    total: int
    done: int = 0
    failures: int = 0  # results that did not complete
    cost_usd: float = 0.0  # spent so far, judges included (and what a resumed run had spent)
    left_out_private: int = 0
    started_at: float = field(default_factory=time.monotonic)

    def elapsed_s(self) -> float:
        return time.monotonic() - self.started_at

    def eta_s(self) -> float | None:
        """Seconds left at the pace so far; None before the first result."""
        if not self.done:
            return None
        return self.elapsed_s() / self.done * (self.total - self.done)


def is_local(session: Session, address: str) -> bool:
    info = session.catalog.resolve(address)
    return provider_types.is_local(session.config.providers[info.provider])


def case_private(session: Session, case: Case) -> bool:
    """Whether the case is private: written so, or the router marks its prompt, its system
    text or a turn before it private."""
    if case.private:
        return True
    texts = [case.prompt, *([case.system] if case.system else []), *(t.content for t in case.history)]
    return any(session.decide(text, None).private for text in texts)


def against_models(suite: Suite) -> list[str]:
    """The models pairwise checks compare against, in the order they first appear."""
    found = [c.judge.against for case in suite.cases for c in case.checks
             if c.kind == "judge" and c.judge is not None and c.judge.mode == "pairwise" and c.judge.against]
    return list(dict.fromkeys(found))


def judge_of(check: Check, suite: Suite) -> str | None:
    """The judge model of a judge check: its own, else the suite's default."""
    return (check.judge.model if check.judge is not None and check.judge.model else None) or suite.judge_model


def plan_run(
    session: Session, suite: Suite, models: Sequence[str], repeat: int, done: set[tuple[str, str, int]] = frozenset(),
) -> RunPlan:
    """The run's plan: `models` (resolved addresses) and the pairwise checks' `against`
    models, each case pinned to each model, less what is `done` and what a private case
    keeps from cloud models; the estimated cost of the answers and (roughly) their judges."""
    resolve = session.catalog.resolve
    wanted = [resolve(m).address for m in models]
    added = [a for a in (resolve(m).address for m in against_models(suite)) if a not in wanted]
    every = (*wanted, *added)
    decisions: dict[tuple[str, str], Decision] = {}
    work: list[Work] = []
    left_out = 0
    private_cases: set[str] = set()
    cost = 0.0
    unpriced: set[str] = set()
    for case in suite.cases:
        private = case_private(session, case)
        if private:
            private_cases.add(case.id)
        judges = judge_requests(case)
        for model in every:
            if private and not is_local(session, model):
                left_out += sum((case.id, model, a) not in done for a in range(repeat))
                continue
            decision = session.decide(case.prompt, None, pin=model)
            if decision.model != model:  # the privacy lock refused the pin
                left_out += sum((case.id, model, a) not in done for a in range(repeat))
                continue
            decisions[(case.id, model)] = dataclasses.replace(decision, fallbacks=())  # the model's own answer
            todo = [a for a in range(repeat) if (case.id, model, a) not in done]
            chosen = decision.chosen
            if chosen is None or chosen.cost_usd is None:
                unpriced.add(model)
            else:
                cost += chosen.cost_usd * len(todo) * (1 + JUDGE_SHARE * judges)
            work.extend(Work(case, model, a) for a in todo)
    # Attempt by attempt, case by case: the models (and their providers) take turns.
    order = {m: i for i, m in enumerate(every)}
    ids = {case.id: i for i, case in enumerate(suite.cases)}
    work.sort(key=lambda w: (w.attempt, ids[w.case.id], order[w.model]))
    return RunPlan(
        every, tuple(added), decisions, tuple(work), frozenset(private_cases), left_out, cost, tuple(sorted(unpriced))
    )


def judge_requests(case: Case) -> int:
    """How many judge requests an answer to `case` takes (a pairwise check asks twice)."""
    return sum(2 if c.judge and c.judge.mode == "pairwise" else 1 for c in case.checks if c.kind == "judge")


def top_models(session: Session, suite: Suite, n: int) -> list[str]:
    """The router's top candidates for the suite: the models most often among each case's
    `n` best (ties: the better average rank), `n` of them."""
    counts: Counter[str] = Counter()
    ranks: dict[str, list[int]] = {}
    for case in suite.cases:
        for rank, candidate in enumerate(session.decide(case.prompt, None).candidates[:n]):
            counts[candidate.model] += 1
            ranks.setdefault(candidate.model, []).append(rank)
    ordered = sorted(counts, key=lambda m: (-counts[m], sum(ranks[m]) / len(ranks[m]), m))
    return ordered[:n]


class BenchRunner:
    """Runs a plan's work for the stored run `run_id` (see the module's docstring)."""

    def __init__(
        self,
        session: Session,
        store: Store,
        suite: Suite,
        run_id: int,
        plan: RunPlan,
        *,
        concurrency: int = 4,
        max_cost_usd: float | None = None,
        warn: Callable[[str], None] = lambda line: None,
        say: Callable[[str], None] = lambda line: None,
    ) -> None:
        """`warn` is told what may bias the results; `say`, what the run is doing (loading a model)."""
        self.session, self.store, self.suite, self.run_id, self.plan = session, store, suite, run_id, plan
        config = session.config
        # A model run in this process answers one request at a time: more would wait in its
        # queue with their clocks running, and their TTFT would be the queue's.
        self.limits = Limits(concurrency, {
            n: (1 if provider_types.get(p.type).in_process else p.concurrency, p.rpm)
            for n, p in config.providers.items()
        })
        session.engine.pace = self.limits.pace  # the engine's retries take rate tokens too
        self.cost_limit = CostLimit(max_cost_usd)
        self.warn, self.say = warn, say
        run = store.bench_run(run_id)
        earlier = store.bench_results(run_id)
        self.judge_cost = float(run.params.get("judge_cost_usd", 0.0))
        self.progress = Progress(
            total=len(plan.work), left_out_private=plan.left_out_private,
            cost_usd=sum(r.cost_usd or 0.0 for r in earlier) + self.judge_cost,
        )
        self._answers: dict[tuple[str, str, int], asyncio.Future[str | None]] = {}
        self._scheduled = {(w.case.id, w.model, w.attempt) for w in plan.work}
        self._earlier = {(r.case_id, r.model, r.attempt): r.text if r.status == "complete" else None for r in earlier}
        self._warned: set[str] = set()  # the models warned of judging their own answers
        for r in earlier:
            if r.cost_usd is not None and r.status == "complete":
                self.cost_limit.observe(r.model, r.cost_usd)

    async def run(self) -> str:
        """Runs the work left; the run's status at the end: 'done', or 'stopped' (the cost limit)."""
        self.store.set_bench_run_status(self.run_id, "running")
        await self._load_models()
        tasks = [asyncio.ensure_future(self._one(work)) for work in self.plan.work]
        try:
            await asyncio.gather(*tasks)
        except BaseException:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            self._finish("stopped")
            raise
        status = "stopped" if self.progress.done < self.progress.total else "done"
        self._finish(status)
        return status

    async def _load_models(self) -> None:
        """Loads the in-process models the run asks (judges too) before the first request, so
        that no answer's TTFT is a load's; the progress's clock starts after."""
        judges = [judge_of(c, self.suite) for case in self.suite.cases for c in case.checks if c.kind == "judge"]
        wanted = [*self.plan.models, *(self.session.catalog.resolve(j).address for j in judges if j)]
        await self.session.load_first(wanted, lambda model: self.say(f"loading {model} into memory…"))
        self.progress.started_at = time.monotonic()

    def _finish(self, status: str) -> None:
        run = self.store.bench_run(self.run_id)
        # How many times a 429 lowered each provider's bound, over every session of the run.
        lowered = dict(run.params.get("rate_limited", {}))
        for name, gate in self.limits.gates.items():
            if gate.lowered:
                lowered[name] = lowered.get(name, 0) + gate.lowered
        params = {**run.params, "judge_cost_usd": round(self.judge_cost, 9),
                  "left_out_private": self.plan.left_out_private}
        if lowered:
            params["rate_limited"] = lowered
        self.store.set_bench_run_params(self.run_id, params)
        self.store.set_bench_run_status(self.run_id, status)

    # -- one case, model and attempt ------------------------------------------------

    async def _one(self, work: Work) -> None:
        key = (work.case.id, work.model, work.attempt)
        answer = self._answer_future(key)
        try:
            view = await self._answer(work, key)
            if view is None:  # the cost limit: left for a resumed run
                return
            complete = view.status == "complete"
            answer.set_result(view.text if complete else None)
            outcomes = await self._checks(work, view.text) if complete else []
            if outcomes is None:  # a pairwise reference was stopped: left for a resumed run
                return
            self._store(work, view, outcomes)
        finally:
            self.cost_limit.release(key)
            if not answer.done():
                answer.set_result(None)

    async def _answer(self, work: Work, key: tuple[str, str, int]) -> TurnView | None:
        decision = self.plan.decisions[(work.case.id, work.model)]
        provider = self.session.catalog.resolve(work.model).provider
        async with self.limits.slot(provider) as outcome:
            estimate = decision.chosen.cost_usd if decision.chosen else None
            expected = self.cost_limit.expected(work.model, estimate, JUDGE_SHARE * judge_requests(work.case))
            if not self.cost_limit.admit(key, expected, self.progress.cost_usd):
                return None
            conversation = self._conversation(work.case)
            params = {**self.suite.params, **work.case.params}
            return await self._send(decision, conversation, params, outcome)

    def _conversation(self, case: Case) -> int | None:
        """A conversation in the bench store holding the case's system text and history (None: none)."""
        if not case.system and not case.history:
            return None
        conversation = self.store.create_conversation(f"bench: {case.id}")
        if case.system:
            self.store.add_message(conversation, "system", case.system)
        for turn in case.history:
            self.store.add_message(conversation, turn.role, turn.content)
        return conversation

    async def _send(
        self, decision: Decision, conversation: int | None, params: dict[str, Any], outcome: Outcome
    ) -> TurnView:
        """One answer through the session, read to its end; `outcome` says whether it met a 429."""
        answering = self.session.answer([decision], conversation_id=conversation, params=params or None)
        view = answering.views[0]
        events = aiter(answering)
        async with contextlib.aclosing(events):  # cancelled: the answer is stored interrupted at once
            async for _, event in events:
                if isinstance(event, Retrying) and event.kind == "rate_limit":
                    outcome.rate_limited()
        if view.error_kind == "rate_limit":
            outcome.rate_limited()
        outcome.succeeded = view.status == "complete"
        return view

    def _store(self, work: Work, view: TurnView, outcomes: list[CheckOutcome]) -> None:
        figures = view.figures()
        complete = view.status == "complete"
        self.store.add_bench_result(
            self.run_id, case_id=work.case.id, category=work.case.category, model=work.model,
            attempt=work.attempt, status=view.status, passed=check_kinds.result_passed(outcomes) if complete else None,
            checks=outcomes, answer_id=view.answer_id, text=view.text, error=view.error, ttft_ms=figures.ttft_ms,
            latency_ms=figures.elapsed_ms, input_tokens=figures.input_tokens, output_tokens=figures.output_tokens,
            cost_usd=figures.cost_usd,
        )
        progress = self.progress
        progress.done += 1
        progress.failures += not complete
        progress.cost_usd += figures.cost_usd or 0.0
        if complete and figures.cost_usd is not None:
            self.cost_limit.observe(work.model, figures.cost_usd)

    # -- checks ------------------------------------------------------------------------

    async def _checks(self, work: Work, text: str) -> list[CheckOutcome] | None:
        """Each check's outcome, in the case's order (judges concurrently); None when a
        pairwise check's reference answer was left out by a stop."""
        outcomes: list[CheckOutcome | None] = [
            None if check.kind == "judge" else check_kinds.evaluate(check, text) for check in work.case.checks
        ]
        judged = [(i, check) for i, check in enumerate(work.case.checks) if check.kind == "judge"]
        verdicts = await asyncio.gather(*(self._judge(work, check, text) for _, check in judged))
        if any(v is None for v in verdicts):
            return None
        for (i, _), verdict in zip(judged, verdicts):
            outcomes[i] = verdict
        return [o for o in outcomes if o is not None]

    async def _judge(self, work: Work, check: Check, text: str) -> CheckOutcome | None:
        spec = check.judge
        model = judge_of(check, self.suite)
        if spec is None or model is None:
            return CheckOutcome(
                "judge", None, "no judge model: add `judge:` at the top of the suite or `model:` to the check"
            )
        model = self.session.catalog.resolve(model).address
        against = self.session.catalog.resolve(spec.against or "").address if spec.mode == "pairwise" else None
        if against == work.model:  # nothing to learn from judging an answer against itself
            return CheckOutcome("judge", None, "the reference answer itself: not judged")
        if model == work.model and model not in self._warned:
            self._warned.add(model)
            self.warn(f"{model} judges its own answers: judges tend to favour their own")
        if against is not None:
            reference = await self._answer_future((work.case.id, against, work.attempt))
            if reference is None:
                if self.cost_limit.reached:
                    return None
                return CheckOutcome("judge", None, f"no answer from {against} to compare with")
            first, second = await asyncio.gather(*(
                self._verdict(model, work.case, messages, judging.parse_pairwise, judging.WINNER_REMINDER)
                for messages in (judging.pairwise_messages(spec, work.case, text, reference),
                                 judging.pairwise_messages(spec, work.case, reference, text))
            ))
            if isinstance(first, CheckOutcome) or isinstance(second, CheckOutcome):
                return first if isinstance(first, CheckOutcome) else second  # type: ignore[return-value]
            verdicts = first, second
            passed = judging.pairwise_passes(*verdicts)
            if passed is None:
                return CheckOutcome("judge", None, f"{model}'s verdict could not be read")
            said = "/".join(v or "?" for v in verdicts)
            return CheckOutcome("judge", passed, f"against {against}: {said} (answer first/second)")
        score = await self._verdict(
            model, work.case, judging.score_messages(spec, work.case, text), judging.parse_score, judging.SCORE_REMINDER
        )
        if isinstance(score, CheckOutcome):
            return score
        if score is None:
            return CheckOutcome("judge", None, f"{model}'s score could not be read")
        return CheckOutcome("judge", score >= spec.pass_score, f"judge scored {score:g}/10")

    async def _verdict(
        self, model: str, case: Case, messages: list[ChatMessage], parse: Callable[[str], Any], reminder: str
    ) -> Any:
        """The judge's verdict as `parse` reads it (None: unreadable even when asked once more,
        reminded of the form), or an undecided check saying why there is none."""
        reply = await self._ask_judge(model, case, messages)
        if isinstance(reply, CheckOutcome) or (verdict := parse(reply)) is not None:
            return reply if isinstance(reply, CheckOutcome) else verdict
        # The new text is the judge's own reply and a fixed reminder: nothing private to check.
        again = await self._ask_judge(
            model, case, [*messages, ChatMessage("assistant", reply), ChatMessage("user", reminder)]
        )
        return again if isinstance(again, CheckOutcome) else parse(again)

    async def _ask_judge(self, model: str, case: Case, messages: list[ChatMessage]) -> str | CheckOutcome:
        """The judge's reply to `messages`, or an undecided check saying why there is none."""
        if case.id in self.plan.private_cases and not is_local(self.session, model):
            return CheckOutcome("judge", None, f"{model} left out: the case is private and it is not local")
        *before, last = messages
        decision = self.session.decide(last.content, None, pin=model)
        if decision.model != model:
            return CheckOutcome("judge", None, f"{model} left out: the judge's request is private")
        decision = dataclasses.replace(decision, fallbacks=())
        conversation = None
        if before:
            conversation = self.store.create_conversation(f"bench judge: {case.id}")
            for message in before:
                self.store.add_message(conversation, message.role, message.content)
        provider = self.session.catalog.resolve(model).provider
        async with self.limits.slot(provider) as outcome:
            view = await self._send(decision, conversation, {}, outcome)
        cost = view.figures().cost_usd or 0.0
        self.judge_cost += cost
        self.progress.cost_usd += cost
        if view.status != "complete":
            return CheckOutcome("judge", None, f"the judge failed: {view.error or view.status}")
        return view.text

    def _answer_future(self, key: tuple[str, str, int]) -> asyncio.Future[str | None]:
        """The answer of `key` once it is known (a stored one at once; None: it did not complete)."""
        future = self._answers.get(key)
        if future is None:
            future = self._answers[key] = asyncio.get_running_loop().create_future()
            if key in self._earlier:
                future.set_result(self._earlier[key])
            elif key not in self._scheduled:
                future.set_result(None)  # never run in this run (left out: a private case)
        return future
