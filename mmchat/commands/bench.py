"""`mmchat bench`: run a suite over models, resume a run, list the runs, report one.

    mmchat bench SUITE.yaml --models a,b,c | --models top:3 | --set NAME
          [--repeat N] [--concurrency N] [--max-cost USD] [--over-budget] [--yes] [--json]
    mmchat bench --resume RUN
    mmchat bench --from-history "QUERY" [--limit N] [--judge MODEL] [--save FILE] [--models …]
    mmchat bench list
    mmchat bench report RUN [--against RUN] [--bar 0.9] [--format md|csv|json|html] [-o FILE]
    mmchat bench rule RUN [--bar 0.9] [--category all|INTENT] [--yes]

The runs live in their own store (`bench.db` in the data dir, mode 0600); the chat
history is only read (the router's measured figures). Before a run the plan and its
estimated cost are printed, and confirmed on a terminal unless `--yes`. While it runs,
a progress line on stderr (a terminal) is redrawn in place; otherwise one summary line
is printed at the end. Ctrl+C stops the run cleanly: `mmchat bench --resume RUN`
continues it. At the end: the pass counts per model (stdout; `--json`: as JSON).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TextIO

from mmchat import format as fmt
from mmchat.bench.runner import BenchRunner, Progress, RunPlan, plan_run, top_models
from mmchat.bench.suite import Suite
from mmchat.bench.suite_file import SuiteError, load_suite
from mmchat.commands.setup import build_catalog, load, open_bench_store
from mmchat.config import Config
from mmchat.sanitize import printable
from mmchat.commands.budget import within_budget
from mmchat.session.budget import day_left
from mmchat.paths import bench_database_path
from mmchat.session.compare import CompareError, compare_set, parse_models
from mmchat.session.session import Session
from mmchat.store import BenchResult, Store

REFRESH_S = 0.2  # the progress line, five times a second
DEFAULT_CONCURRENCY = 4  # requests at once over a run
EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
REPORT_ONLY = ("against", "output")


def run(args: argparse.Namespace) -> int:
    words = list(args.words)
    if words[:1] == ["report"]:
        return _report(args, words[1:])
    if words[:1] == ["list"]:
        return _list(words[1:])
    if words[:1] == ["rule"]:
        if len(words) != 2 or not words[1].isdigit():
            return _usage("bench rule takes one run id: mmchat bench rule RUN [--bar 0.9] [--category C] [--yes]")
        from mmchat.commands import bench_rule

        return bench_rule.run(args, int(words[1]))
    if args.category is not None:
        return _usage("--category is for `mmchat bench rule RUN`")
    if any(getattr(args, name) is not None for name in REPORT_ONLY):
        return _usage("--against and -o are for `mmchat bench report RUN`")
    if args.resume is not None:
        if words or args.models or args.set or args.from_history:
            return _usage("--resume RUN takes no suite and no models: the run's own are used")
        return _run(args, None)
    if args.from_history is not None:
        if words:
            return _usage("--from-history builds the suite: give no suite file")
        return _run(args, None)
    if len(words) != 1:
        return _usage("give one suite file: mmchat bench SUITE.yaml --models A,B (or list, report RUN, --resume RUN)")
    return _run(args, Path(words[0]))


def _usage(message: str) -> int:
    print(f"mmchat: {message}", file=sys.stderr)
    return EXIT_USAGE


def _report(args: argparse.Namespace, rest: list[str]) -> int:
    if len(rest) != 1 or not rest[0].isdigit():
        return _usage("bench report takes one run id: mmchat bench report RUN")
    from mmchat.commands import bench_report

    args.run = int(rest[0])
    return bench_report.run(args)



def _list(rest: list[str]) -> int:
    if rest:
        return _usage("bench list takes no arguments")
    store = open_bench_store()
    if store is None:  # listing creates no store
        print("no bench runs yet: mmchat bench SUITE.yaml --models A,B starts one", file=sys.stderr)
        return EXIT_OK
    with store:
        runs = store.bench_runs()
        costs = store.bench_costs()
    rows = [("id", "date", "suite", "models", "status", "cost")]
    for r in runs:
        spent = costs.get(r.id, 0.0) + r.params.get("judge_cost_usd", 0.0)
        rows.append((str(r.id), _date(r.created_at), r.suite_name, ", ".join(r.models), r.status, fmt.cost(spent)))
    for line in fmt.table(rows, right=(0, 5)):
        print(printable(line))
    return EXIT_OK


def _date(ts: float) -> str:
    import time

    return time.strftime("%Y-%m-%d %H:%M", time.localtime(ts))


# -- running --------------------------------------------------------------------------


def _run(args: argparse.Namespace, suite_path: Path | None) -> int:
    if args.repeat < 1 or (args.concurrency is not None and args.concurrency < 1):
        return _usage("--repeat and --concurrency take a whole number of at least 1")
    if args.max_cost is not None and args.max_cost < 0:
        return _usage("--max-cost takes an amount of USD of at least 0")
    config = load(args)
    from mmchat.keys import redact
    from mmchat.paths import database_path

    # The chat history is read only (the router's figures): not even stale answers are marked.
    user_store = Store(database_path(), redact=redact)
    store = Store(bench_database_path(), redact=redact)
    try:
        store.mark_stale_pending()
        session = Session(config, user_store, build_catalog(config), sink=store)
        return _bench(args, config, session, store, user_store, suite_path)
    finally:
        store.close()
        user_store.close()


def _bench(
    args: argparse.Namespace, config: Config, session: Session, store: Store, user_store: Store,
    suite_path: Path | None,
) -> int:
    resumed = None
    try:
        if args.resume is not None:
            resumed = store.bench_run(args.resume)  # LookupError: one line, exit 2
            if resumed.status == "done":
                print(f"bench run {resumed.id} is done: mmchat bench report {resumed.id}", file=sys.stderr)
                return EXIT_OK
            if resumed.suite_path is None:
                return _usage(f"bench run {resumed.id}'s suite was not saved to a file: it cannot be resumed")
            suite = load_suite(Path(resumed.suite_path))
            if suite.sha256 != resumed.suite_sha256:
                return _usage(f"{resumed.suite_path} changed since bench run {resumed.id} started: "
                              "start a new run with it")
        elif suite_path is not None:
            suite = load_suite(suite_path)
        else:
            suite = _from_history(args, user_store)
            if suite is None:
                return EXIT_OK
    except SuiteError as exc:
        print(f"mmchat: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if not suite.cases:
        return _usage(f"the suite {suite.name} has no cases")
    try:
        models = list(resumed.models) if resumed else _models(args, session, suite)
    except CompareError as exc:
        return _usage(str(exc))
    if not models:
        return _usage("no models: pass --models A,B, --models top:N or --set NAME")
    repeat = resumed.repeat if resumed else args.repeat
    # A resumed run keeps the bound it was started with unless told otherwise.
    concurrency = args.concurrency or (resumed.params.get("concurrency") if resumed else None) or DEFAULT_CONCURRENCY
    max_cost = args.max_cost if args.max_cost is not None or resumed is None else resumed.max_cost_usd
    done = store.bench_done(resumed.id) if resumed else set()
    plan = plan_run(session, suite, models, repeat, done)
    _print_plan(suite, plan, repeat, len(done), sys.stderr)
    # The day budget counts what the run may spend: its estimate, or less under --max-cost.
    spend = plan.estimated_cost_usd if max_cost is None else min(plan.estimated_cost_usd, max_cost)
    if not plan.work:
        print("nothing to run", file=sys.stderr)
    elif not within_budget(config, user_store, None, list(plan.decisions.values()), estimate=spend,
                           anyway=args.over_budget, what="this run", conversation=False):
        return EXIT_FAILED
    elif not args.yes and sys.stdin.isatty() and sys.stderr.isatty() and not _confirm():
        print("mmchat: not run", file=sys.stderr)
        return EXIT_FAILED
    # A run expected within the day budget stops at it, should the estimate be short; one
    # the user let pass it (asked, or --over-budget) does not.
    left = None if args.over_budget else day_left(config, user_store)
    by_budget = left is not None and spend <= left and (max_cost is None or left < max_cost)
    limit = left if by_budget else max_cost
    if resumed:
        run_id = resumed.id
    else:
        run_id = store.create_bench_run(
            suite_name=suite.name, suite_path=suite.path, suite_sha256=suite.sha256, models=plan.models,
            repeat=repeat, estimated_cost_usd=plan.estimated_cost_usd, max_cost_usd=max_cost,
            params={"concurrency": concurrency, "added_models": list(plan.added)},
        )
    err = sys.stderr
    live = err.isatty()

    def say(line: str) -> None:  # on its own line, above the progress line (redrawn below it)
        print(("\r\x1b[K" if live else "") + f"mmchat: {printable(line)}", file=err)

    runner = BenchRunner(
        session, store, suite, run_id, plan, concurrency=concurrency, max_cost_usd=limit,
        warn=lambda line: say(f"warning: {line}"), say=say,
    )
    try:
        status = asyncio.run(_run_with_progress(runner, session, live=live))
    except KeyboardInterrupt:
        print(f"mmchat: stopped: the running answers were closed; `mmchat bench --resume {run_id}` continues",
              file=err)
        return EXIT_INTERRUPTED
    progress = runner.progress
    if not live:
        print(f"bench run {run_id} {status}: {_progress_line(progress, ended=True)}", file=err)
    results = store.bench_results(run_id)
    counts = pass_counts(plan.models, results)
    if args.json:
        print(json.dumps({"run_id": run_id, "status": status, "models": counts}, indent=2))
    else:
        rows = _count_rows(counts)
        for line in fmt.table(rows, right=tuple(range(1, len(rows[0])))):
            print(printable(line))
    if status == "stopped" and by_budget:
        print(f"mmchat: stopped at the day budget ({fmt.cost(left)} was left): "
              f"`mmchat bench --resume {run_id} --over-budget` continues past it", file=err)
    elif status == "stopped":
        print(f"mmchat: stopped at the cost limit ({fmt.cost(max_cost)}): "
              f"`mmchat bench --resume {run_id} --max-cost USD` continues", file=err)
    print(f"mmchat bench report {run_id} to see more", file=err)
    return EXIT_OK if status == "done" else EXIT_FAILED


def _from_history(args: argparse.Namespace, user_store: Store) -> Suite | None:
    """The suite of the user's prompts matching the query; written to --save's file (and read
    back, so that the run can be resumed) or, with no models asked for, to stdout (then None)."""
    from mmchat.bench.from_history import dump_suite, suite_from_history
    from mmchat import export

    suite = suite_from_history(user_store, args.from_history, limit=args.limit, judge_model=args.judge)
    text = dump_suite(suite)
    if args.save is not None:
        export.write_private(args.save, text)
        print(f"wrote {len(suite.cases)} cases to {args.save}", file=sys.stderr)
    if not args.models and not args.set:
        if args.save is None:
            sys.stdout.write(printable(text))
        return None
    return load_suite(args.save) if args.save is not None else suite


def _models(args: argparse.Namespace, session: Session, suite: Suite) -> list[str]:
    """The models asked for: addresses, top:N or a compare set."""
    if args.models and args.set:
        raise CompareError("give --models or --set, not both")
    if args.set:
        return compare_set(session, args.set)
    given = (args.models or "").strip()
    if given.startswith("top:"):
        n = given.removeprefix("top:")
        if not n.isdigit() or int(n) < 1:
            raise CompareError(f"--models {given}: write top:N with N a whole number of at least 1")
        return top_models(session, suite, int(n))
    models = [session.catalog.resolve(m).address for m in parse_models(given)]  # UnknownModel: one line
    if twice := sorted({m for m in models if models.count(m) > 1}):
        raise CompareError(f"{', '.join(twice)} named twice: name each model once")
    return models


def _print_plan(suite: Suite, plan: RunPlan, repeat: int, done: int, err: TextIO) -> None:
    models = len(plan.models)
    line = (f"suite {suite.name}: {fmt.counted(len(suite.cases), 'case')} × {fmt.counted(models, 'model')} × "
            f"{repeat} = {fmt.counted(len(suite.cases) * models * repeat, 'answer')}")
    if done:
        line += f", {done} done before"
    line += f"; {len(plan.work)} to run, estimated {fmt.cost(plan.estimated_cost_usd)}"
    if plan.unpriced:
        line += f" (no price for {', '.join(plan.unpriced)})"
    print(printable(line), file=err)
    print(printable(f"models: {', '.join(plan.models)}"), file=err)
    for model in plan.added:
        print(printable(f"{model} added: pairwise checks compare against its answers"), file=err)
    if plan.left_out_private:
        print(f"left out: private: {plan.left_out_private} answers (private cases run on local models only)", file=err)


def _confirm() -> bool:
    sys.stderr.write("run it? [y/N] ")
    sys.stderr.flush()
    try:
        line = sys.stdin.readline()
    except KeyboardInterrupt:
        return False
    return line.strip().lower() in ("y", "yes")


async def _run_with_progress(runner: BenchRunner, session: Session, *, live: bool) -> str:
    try:
        async with _progress_shown(runner.progress, sys.stderr) if live else contextlib.nullcontext():
            return await runner.run()
    finally:
        await session.aclose()


@contextlib.asynccontextmanager
async def _progress_shown(progress: Progress, out: TextIO) -> AsyncIterator[None]:
    """The progress line on a terminal, redrawn in place until the run ends."""

    async def redraw() -> None:
        while True:
            out.write("\r" + _progress_line(progress) + "\x1b[K")
            out.flush()
            await asyncio.sleep(REFRESH_S)

    task = asyncio.create_task(redraw())
    try:
        yield
    finally:
        task.cancel()
        out.write("\r" + _progress_line(progress, ended=True) + "\x1b[K\n")
        out.flush()


def _progress_line(progress: Progress, *, ended: bool = False) -> str:
    """'[#####-----] 40/80 · ETA 1m20s · $0.0123 · 2 failures' (ended: the time it took)."""
    width = 20
    filled = width * progress.done // progress.total if progress.total else width
    parts = [f"[{'#' * filled}{'-' * (width - filled)}] {progress.done}/{progress.total}"]
    if ended:
        parts.append("in " + fmt.duration_ms(progress.elapsed_s() * 1000))
    else:
        eta = progress.eta_s()
        parts.append("ETA " + ("–" if eta is None else fmt.duration_ms(eta * 1000)))
    parts.append(fmt.cost(progress.cost_usd))
    parts.append(fmt.counted(progress.failures, "failure"))
    if progress.left_out_private:
        parts.append(f"left out: private {progress.left_out_private}")
    return " · ".join(parts)


def pass_counts(models: tuple[str, ...], results: list[BenchResult]) -> dict[str, dict[str, float | int]]:
    """Per model: results, passed, failed checks, undecided (a judge could not say), errors
    (did not complete), cost."""
    def zero() -> dict[str, float | int]:
        return {"results": 0, "passed": 0, "failed": 0, "undecided": 0, "errors": 0, "cost_usd": 0.0}

    counts = {m: zero() for m in models}
    for r in results:
        c = counts.setdefault(r.model, zero())
        complete = r.status == "complete"
        c["results"] += 1
        c["passed"] += r.passed is True
        c["failed"] += complete and r.passed is False
        c["undecided"] += complete and r.passed is None
        c["errors"] += not complete
        c["cost_usd"] += r.cost_usd or 0.0
    return counts


def _count_rows(counts: dict[str, dict[str, float | int]]) -> list[tuple[str, ...]]:
    """The table's rows; the undecided column only when a judge left some answer undecided."""
    undecided = any(c["undecided"] for c in counts.values())
    rows = [("model", "passed", "failed", *(("undecided",) if undecided else ()), "errors", "cost")]
    for model, c in counts.items():
        rows.append((model, f"{c['passed']}/{c['results']}", str(c["failed"]),
                     *((str(c["undecided"]),) if undecided else ()), str(c["errors"]), fmt.cost(float(c["cost_usd"]))))
    return rows
