"""`mmchat compare`: one prompt to several models at once, the answers one after another.

The models: named (`-m a,b,c`), the config's compare set (`--set NAME`), or the
router's best for the prompt (`--top N`).

The answers stream concurrently; on a terminal a live table of their figures is
redrawn on stderr. Each answer is printed to stdout under its model's name once it
and those before it have ended, so a reader that goes away (`| head`) stops the
rest. A summary table with markers (first token, finished first, cheapest,
longest) and the errors follow on stderr. Stored like a chat compare: one user
message and the answers as its siblings, the first model's answer followed.

`--vote` (stdin and stderr terminals) then asks for a verdict on the completed
answers: a winner, a tie or all bad, with an optional note (`Store.record_vote`);
the conversation then follows the winner's answer, as in the chat.
`--blind` labels the answers A, B, … in shuffled order, with no names or costs
until the vote; the summary table after it reveals which letter was which model,
and flags an answer that named its own model or vendor (recorded with the vote).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import os
import random
import string
import sys
from collections.abc import AsyncIterator, Sequence
from typing import Any, TextIO

from mmchat import format as fmt
from mmchat.commands.budget import within_budget
from mmchat.commands.prompt_input import read_prompt
from mmchat.commands.setup import build_catalog, load, open_store
from mmchat.engine.events import TurnFailed, TurnFinished
from mmchat.sanitize import printable, printable_json
from mmchat.session.compare import (
    CompareChoice, CompareError, ComparePlan, NothingToCompare, markers, names_its_maker, parse_models, plan_compare,
)
from mmchat.session.session import Answering, Session
from mmchat.session.view import TurnView

REFRESH_S = 0.2  # the live table, five times a second
HEADER = ("model", "status", "TTFT", "time", "tok/s", "in", "out", "cost", "")
LEFT = (0, 1, len(HEADER) - 1)  # columns of words; the figures are aligned right
COST = HEADER.index("cost")  # the column a blind compare hides until the vote

def run(args: argparse.Namespace) -> int:
    if args.blind and args.json:
        print("mmchat: --blind cannot be used with --json: the vote is asked on the terminal", file=sys.stderr)
        return 2
    if args.blind and not sys.stdin.isatty():
        print("mmchat: --blind needs stdin to be a terminal, to vote: pass the prompt as an argument",
              file=sys.stderr)
        return 2
    config = load(args)
    named = [address for given in args.model or () for address in parse_models(given)]
    try:
        choice = CompareChoice(models=tuple(named), set_name=args.set, top=args.top, blind=args.blind)
    except CompareError as exc:  # --top outside 2 to 6
        print(f"mmchat: {exc}", file=sys.stderr)
        return 2
    prompt = read_prompt(" ".join(args.prompt or ()), "compare")
    if prompt is None:
        return 2
    if not prompt.strip():
        print("mmchat: no prompt: pass it as an argument or pipe it on stdin", file=sys.stderr)
        return 2
    store = open_store()
    try:
        conversation_id = store.latest_conversation_id() if args.continue_last else args.conversation
        if conversation_id is not None:
            store.conversation(conversation_id)  # a clear error for an unknown id
        session = Session(config, store, build_catalog(config))
        try:  # an unknown model fails here (one line, exit 2), before anything is stored
            plan = plan_compare(session, prompt, conversation_id, choice)
        except NothingToCompare as exc:
            for out in exc.left_out:
                print(f"mmchat: {out.model} left out: {out.reason}", file=sys.stderr)
            hint = f": `mmchat ask -m {exc.able[0]}` answers it alone" if exc.able else ""
            print(f"mmchat: nothing compared: {len(exc.able)} of the models can take this prompt{hint}",
                  file=sys.stderr)
            return 1
        except CompareError as exc:
            print(f"mmchat: {exc}", file=sys.stderr)
            return 2
        for out in plan.left_out:
            print(f"mmchat: {out.model} left out: {out.reason}", file=sys.stderr)
        if sys.stderr.isatty() and not args.blind and not args.json:  # a blind compare shows no model or cost
            print(f"{plan.cost_line()} · {', '.join(plan.models)}", file=sys.stderr)
        if not within_budget(
            config, store, conversation_id, plan.decisions, estimate=plan.estimated_cost, anyway=args.over_budget
        ):
            return 1  # a limit spent or passed by the estimate: nothing was stored or sent
        given = (("temperature", args.temperature), ("max_tokens", args.max_tokens))
        params = {name: value for name, value in given if value is not None}
        blind = args.blind
        wants_vote = blind or args.vote
        can_vote = wants_vote and not args.json and sys.stdin.isatty() and sys.stderr.isatty()
        if wants_vote and not can_vote:
            print("mmchat: no vote: it is asked only when stdin and stderr are terminals (and not with --json)",
                  file=sys.stderr)
        models = plan.models
        order = list(range(len(models)))
        if blind:
            random.shuffle(order)
        answering = asyncio.run(
            _compare(session, plan, conversation_id, params, as_json=args.json, order=order, blind=blind)
        )
        if args.json:
            text = json.dumps(_as_json(plan, answering), indent=2, ensure_ascii=False)
            sys.stdout.write(printable_json(text) + "\n")
        else:
            views = answering.views
            flagged = [i for i in order  # as the chat: only a completed answer is flagged
                       if blind and views[i].status == "complete" and names_its_maker(models[i], views[i].text)]
            if not blind:
                _summary(models, answering, sys.stderr)
            winner = _vote(store, models, answering.views, order, blind=blind, flagged=flagged) if can_vote else None
            if winner is not None:
                store.choose_answer(answering.views[winner].answer_id)
            if blind:
                _summary(models, answering, sys.stderr, order=order, flagged=flagged)
            _followed(models, answering.conversation_id, winner)
        return 0 if any(v.status == "complete" for v in answering.views) else 1
    finally:
        store.close()


async def _compare(
    session: Session,
    plan: ComparePlan,
    conversation_id: int | None,
    params: dict[str, Any],
    *,
    as_json: bool,
    order: list[int],
    blind: bool,
) -> Answering:
    """Runs the plan's answers (printed in `order`, under letters when `blind`); the outcome."""
    models = plan.models
    try:
        await session.load_first(
            models, lambda m: print(f"mmchat: loading {'a model' if blind else m} into memory…", file=sys.stderr)
        )
        answering = session.answer(plan.decisions, conversation_id=conversation_id, params=params, head=0)
        await _stream(models, answering, as_json=as_json, order=order, blind=blind)
    finally:
        await session.aclose()
    return answering


async def _stream(models: list[str], answering: Answering, *, as_json: bool, order: list[int], blind: bool) -> None:
    """Runs the answers; unless `as_json`, prints each in `order` as soon as it and those before it ended
    (under its letter when `blind`, under its model's name otherwise)."""
    out, err = sys.stdout, sys.stderr
    views = answering.views
    labels = _letters(len(models)) if blind else [models[i] for i in order]
    shown = [views[i] for i in order]
    live = None if as_json or not err.isatty() else LiveTable(labels, shown, err, blind=blind)
    printed = 0
    turn = aiter(answering)
    try:
        # aclosing: when a write fails (stdout's reader went: BrokenPipeError) the answers are
        # closed here, each stored marked interrupted with what it received.
        async with contextlib.aclosing(turn), live.shown() if live else contextlib.nullcontext():
            async for _, event in turn:
                if as_json or not isinstance(event, (TurnFinished, TurnFailed)):
                    continue
                while printed < len(shown) and shown[printed].done:
                    if live and out.isatty():
                        live.clear()  # the answer goes where the table was; the table is drawn below it
                    out.write(_section(labels[printed], shown[printed], first=printed == 0, blind=blind))
                    out.flush()
                    printed += 1
    except asyncio.CancelledError:  # Ctrl+C: the answers were closed, each keeps what it received
        if answering.conversation_id is not None:
            print(f"mmchat: stopped: each answer is kept as far as it came, marked interrupted "
                  f"(conversation {answering.conversation_id})", file=err)
        raise


def _section(label: str, view: TurnView, *, first: bool, blind: bool = False) -> str:
    """An answer under its label; one that did not complete says why after its text (blind: only
    its status, the error names the provider: it is in the summary after the reveal)."""
    text = printable(view.text)
    if text and not text.endswith("\n"):
        text += "\n"
    if view.status != "complete":
        text += f"[{view.status}]\n" if blind else f"[{view.status}: {printable(view.error or '')}]\n"
    return ("" if first else "\n") + f"== {label} ==\n{text}"


def _letters(n: int) -> list[str]:
    return list(string.ascii_uppercase[:n])


def _vote(store: Any, models: list[str], views: list[TurnView], order: list[int], *, blind: bool,
          flagged: list[int]) -> int | None:
    """Asks on the terminal (stderr, stdin) for a verdict on the completed answers and records it;
    the winner's index (None: no winner). An invalid entry is asked again once, then the vote is
    skipped; so are Enter, Ctrl+C and EOF."""
    letters = _letters(len(order))
    choices = {letters[pos]: i for pos, i in enumerate(order) if views[i].status == "complete"}
    if len(choices) < 2:
        return None
    listed = ", ".join(letter if blind else f"{letter} {models[i]}" for letter, i in choices.items())
    question = f"vote: the best answer's letter ({listed}), t (tie), x (all bad), Enter (skip): "
    try:
        for _ in range(2):
            entry = _ask(question)
            if entry is None or not entry:
                return None
            key = entry.upper()
            if key.isdigit() and 1 <= int(key) <= len(letters):
                key = letters[int(key) - 1]
            if key in choices or key in ("T", "X"):
                break
            print(f"mmchat: {entry!r} is not one of the choices", file=sys.stderr)
        else:
            print("mmchat: no vote", file=sys.stderr)
            return None
        note = _ask("note (Enter for none): ")
        if note is None:
            return None
    except KeyboardInterrupt:
        print(file=sys.stderr)  # the cursor off the prompt's line
        return None
    shown = [views[i].answer_id for i in choices.values()]
    kind = {"T": "tie", "X": "all_bad"}.get(key, "winner")
    store.record_vote(
        views[order[0]].user_message_id, shown,
        winner=views[choices[key]].answer_id if kind == "winner" else None, kind=kind, note=note or None,
        blind=blind, self_naming=[views[i].answer_id for i in flagged if views[i].status == "complete"],
    )
    print("vote recorded", file=sys.stderr)
    return choices[key] if kind == "winner" else None


def _ask(question: str) -> str | None:
    """One line read from the terminal after `question` on stderr, stripped; None at EOF."""
    sys.stdout.flush()
    sys.stderr.write(question)
    sys.stderr.flush()
    line = sys.stdin.readline()
    if not line:
        print(file=sys.stderr)
        return None
    return line.strip()


def _summary(models: list[str], answering: Answering, err: TextIO, *, order: list[int] | None = None,
             flagged: Sequence[int] = ()) -> None:
    """The figures table; with `order` (a blind compare), in letter order, each letter revealed."""
    views = answering.views
    marks = markers(views)
    rows = order if order is not None else range(len(models))
    letters = _letters(len(models))

    def label(pos: int, i: int) -> str:
        if order is None:
            return models[i]
        return f"{letters[pos]} = {models[i]}" + (" (names its maker)" if i in flagged else "")

    cells = [_cells(label(pos, i), views[i], ", ".join(marks[i])) for pos, i in enumerate(rows)]
    for line in _table([HEADER, *cells]):
        print(printable(line), file=err)
    for model, view in zip(models, views):
        if view.history_dropped:
            print(f"mmchat: {model}: left out the {view.history_dropped} oldest messages to fit its context window",
                  file=err)
        if view.status != "complete":
            print(f"mmchat: {model} {view.status}: {printable(view.error or '')}", file=err)


def _followed(models: list[str], conversation: int | None, winner: int | None) -> None:
    """Which answer the conversation goes on from: the first model's, or the vote's winner."""
    whose = f"{models[0]}'s answer is" if winner is None else f"the winner's answer, {models[winner]}'s, is"
    print(f"conversation {conversation}: {whose} followed, the others are its alternatives "
          f"(`mmchat history show {conversation}`)", file=sys.stderr)


def _cells(model: str, view: TurnView, marks: str = "") -> tuple[str, ...]:
    f = view.figures()
    approx = "~" if f.estimated else ""
    return (
        model,
        view.status,
        fmt.duration_ms(f.ttft_ms),
        fmt.duration_ms(f.elapsed_ms),
        "–" if f.tokens_per_s is None else f"{f.tokens_per_s:.0f}",
        f"{approx}{f.input_tokens:,}",
        f"{approx}{f.output_tokens:,}",
        "unknown" if f.cost_usd is None else approx + fmt.cost(f.cost_usd),
        marks,
    )


def _table(rows: list[tuple[str, ...]], left: tuple[int, ...] = LEFT) -> list[str]:
    """The rows (of HEADER's columns) aligned: words (the `left` columns) to the left, figures to the right."""
    return fmt.table(rows, right=[c for c in range(len(rows[0])) if c not in left])


def _as_json(plan: ComparePlan, answering: Answering) -> dict[str, Any]:
    views = answering.views
    models = plan.models
    return {
        "conversation_id": answering.conversation_id,
        "user_message_id": views[0].user_message_id,
        "models": models,
        "left_out": [dataclasses.asdict(out) for out in plan.left_out],
        "answers": [
            {
                "model": model,
                "answer_id": view.answer_id,
                "status": view.status,
                "text": view.text,
                "error": view.error,
                "error_kind": view.error_kind,
                "finish_reason": view.finish_reason,
                "figures": {k: v for k, v in dataclasses.asdict(view.figures()).items() if k != "live"},
                "markers": marks,
            }
            for model, view, marks in zip(models, views, markers(views))
        ],
    }


class LiveTable:
    """The answers' progress on stderr (a terminal), redrawn in place, gone once they end."""

    def __init__(self, models: list[str], views: list[TurnView], out: TextIO, *, blind: bool = False) -> None:
        """`models`: each view's label (its letter when `blind`: then no cost column either)."""
        self.models, self.views, self.out, self.blind = models, views, out, blind
        self.lines = 0  # how many lines of the table are on the screen above the cursor

    def draw(self) -> None:
        # One cell short of the width: a wrapped line would break the redraw. A terminal that
        # gives no size (0) is taken as 80 columns.
        width = (os.get_terminal_size(self.out.fileno()).columns or 80) - 1
        rows = [HEADER, *(_cells(m, v) for m, v in zip(self.models, self.views))]
        if self.blind:
            rows = [row[:COST] + row[COST + 1:] for row in rows]
            rows = _table(rows, left=(0, 1, len(HEADER) - 2))
        else:
            rows = _table(rows)
        up = f"\x1b[{self.lines}F" if self.lines else ""  # to the first column of the table's first line
        self.out.write(up + "".join(f"{printable(row)[:width]}\x1b[K\n" for row in rows))
        self.out.flush()
        self.lines = len(rows)

    def clear(self) -> None:
        if self.lines:
            self.out.write(f"\x1b[{self.lines}F\x1b[J")  # up to the table, erase to the screen's end
            self.out.flush()
            self.lines = 0

    async def _redraw(self) -> None:
        while True:
            self.draw()
            await asyncio.sleep(REFRESH_S)

    @contextlib.asynccontextmanager
    async def shown(self) -> AsyncIterator[None]:
        task = asyncio.create_task(self._redraw())
        try:
            yield
        finally:
            task.cancel()  # it draws no more: it is waiting on its sleep
            self.clear()
