"""`mmchat compare`: one prompt to several models at once, the answers one after another.

The answers stream concurrently; on a terminal a live table of their figures is
redrawn on stderr. Each answer is printed to stdout under its model's name once it
and those before it have ended, so a reader that goes away (`| head`) stops the
rest. A summary table with markers (first token, finished first, cheapest,
longest) and the errors follow on stderr. Stored like a chat compare: one user
message and the answers as its siblings, the first model's answer followed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import os
import sys
from collections.abc import AsyncIterator, Callable
from typing import Any, TextIO

from mmchat import format as fmt
from mmchat.commands.prompt_input import read_prompt
from mmchat.commands.setup import build_catalog, load, open_store
from mmchat.engine.events import TurnFailed, TurnFinished
from mmchat.routing import Decision
from mmchat.sanitize import printable, printable_json
from mmchat.session.session import Answering, Session
from mmchat.session.view import Figures, TurnView

MIN_MODELS, MAX_MODELS = 2, 6
REFRESH_S = 0.2  # the live table, five times a second
HEADER = ("model", "status", "TTFT", "time", "tok/s", "in", "out", "cost", "")
LEFT = (0, 1, len(HEADER) - 1)  # columns of words; the figures are aligned right


def run(args: argparse.Namespace) -> int:
    config = load(args)
    named = [a.strip() for given in args.model for a in given.split(",") if a.strip()]
    if not MIN_MODELS <= len(named) <= MAX_MODELS:
        print(f"mmchat: compare takes {MIN_MODELS} to {MAX_MODELS} models (-m a,b,c); {len(named)} given",
              file=sys.stderr)
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
        # An unknown model fails here (one line, exit 2), before anything is stored.
        models = [session.catalog.resolve(address).address for address in named]
        twice = sorted({m for m in models if models.count(m) > 1})
        if twice:
            print(f"mmchat: {', '.join(twice)} named twice: compare each model once", file=sys.stderr)
            return 2
        decisions: list[Decision] = []
        left_out: list[dict[str, str]] = []  # {"model", "reason"}: refused by the privacy lock
        for model in models:
            decision = session.decide(prompt, conversation_id, pin=model)
            if decision.model == model:
                decisions.append(decision)
                continue
            # Only the privacy lock refuses a pin: a private turn goes to local models only.
            reason = f"the turn is private ({'; '.join(decision.private_reasons)}) and it is not a local model"
            left_out.append({"model": model, "reason": reason})
            print(f"mmchat: {model} left out: {reason}", file=sys.stderr)
        if len(decisions) < MIN_MODELS:
            hint = f": `mmchat ask -m {decisions[0].model}` answers it alone" if decisions else ""
            print(f"mmchat: nothing compared: {len(decisions)} of the models can take this prompt{hint}",
                  file=sys.stderr)
            return 1
        given = (("temperature", args.temperature), ("max_tokens", args.max_tokens))
        params = {name: value for name, value in given if value is not None}
        return asyncio.run(_compare(session, decisions, conversation_id, params, as_json=args.json, left_out=left_out))
    finally:
        store.close()


async def _compare(
    session: Session,
    decisions: list[Decision],
    conversation_id: int | None,
    params: dict[str, Any],
    *,
    as_json: bool,
    left_out: list[dict[str, str]],
) -> int:
    models = [d.model or "" for d in decisions]
    try:
        for model in models:
            if session.needs_load(model):  # an in-process model: loaded first, so its TTFT is its own
                print(f"mmchat: loading {model} into memory…", file=sys.stderr)
                await session.prepare(model)
        answering = session.answer(decisions, conversation_id=conversation_id, params=params, head=0)
        await _stream(models, answering, as_json=as_json)
    finally:
        await session.aclose()
    if as_json:
        text = json.dumps(_as_json(models, answering, left_out), indent=2, ensure_ascii=False)
        sys.stdout.write(printable_json(text) + "\n")
    else:
        _summary(models, answering, sys.stderr)
    return 0 if any(v.status == "complete" for v in answering.views) else 1


async def _stream(models: list[str], answering: Answering, *, as_json: bool) -> None:
    """Runs the answers; unless `as_json`, prints each in order as soon as it and those before it ended."""
    out, err = sys.stdout, sys.stderr
    views = answering.views
    live = None if as_json or not err.isatty() else LiveTable(models, views, err)
    printed = 0
    turn = aiter(answering)
    try:
        # aclosing: when a write fails (stdout's reader went: BrokenPipeError) the answers are
        # closed here, each stored marked interrupted with what it received.
        async with contextlib.aclosing(turn), live.shown() if live else contextlib.nullcontext():
            async for _, event in turn:
                if as_json or not isinstance(event, (TurnFinished, TurnFailed)):
                    continue
                while printed < len(views) and views[printed].done:
                    if live and out.isatty():
                        live.clear()  # the answer goes where the table was; the table is drawn below it
                    out.write(_section(models[printed], views[printed], first=printed == 0))
                    out.flush()
                    printed += 1
    except asyncio.CancelledError:  # Ctrl+C: the answers were closed, each keeps what it received
        if answering.conversation_id is not None:
            print(f"mmchat: stopped: each answer is kept as far as it came, marked interrupted "
                  f"(conversation {answering.conversation_id})", file=err)
        raise


def _section(model: str, view: TurnView, *, first: bool) -> str:
    """An answer under its model's name; one that did not complete says why after its text."""
    text = printable(view.text)
    if text and not text.endswith("\n"):
        text += "\n"
    if view.status != "complete":
        text += f"[{view.status}: {printable(view.error or '')}]\n"
    return ("" if first else "\n") + f"== {model} ==\n{text}"


def _summary(models: list[str], answering: Answering, err: TextIO) -> None:
    views = answering.views
    marks = _markers(views)
    for line in _table([HEADER, *(_cells(m, v, ", ".join(k)) for m, v, k in zip(models, views, marks))]):
        print(printable(line), file=err)
    for model, view in zip(models, views):
        if view.history_dropped:
            print(f"mmchat: {model}: left out the {view.history_dropped} oldest messages to fit its context window",
                  file=err)
        if view.status != "complete":
            print(f"mmchat: {model} {view.status}: {printable(view.error or '')}", file=err)
    conversation = answering.conversation_id
    print(f"conversation {conversation}: {models[0]}'s answer is followed, the others are its alternatives "
          f"(`mmchat history show {conversation}`)", file=err)


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


def _table(rows: list[tuple[str, ...]]) -> list[str]:
    """The rows (of HEADER's columns) aligned: words to the left, figures to the right."""
    widths = [max(len(row[c]) for row in rows) for c in range(len(HEADER))]
    aligned = ([cell.ljust(w) if c in LEFT else cell.rjust(w) for c, (cell, w) in enumerate(zip(row, widths))]
               for row in rows)
    return ["  ".join(cells).rstrip() for cells in aligned]


# What each marker ranks a completed answer by (its figures, its length in characters), lowest best.
# Characters, not tokens, for the longest: each model counts tokens with its own tokenizer.
_MARKERS: tuple[tuple[str, Callable[[Figures, int], float | None]], ...] = (
    ("first token", lambda f, chars: f.ttft_ms),
    ("finished first", lambda f, chars: f.elapsed_ms),
    ("cheapest", lambda f, chars: f.cost_usd),
    ("longest", lambda f, chars: -chars),
)


def _markers(views: list[TurnView]) -> list[list[str]]:
    """Each answer's markers, among the completed answers with the figure; a tie marks none
    (two free local models are not 'cheapest')."""
    marks: list[list[str]] = [[] for _ in views]
    done = [(i, v.figures(), len(v.text)) for i, v in enumerate(views) if v.status == "complete"]
    for label, key in _MARKERS:
        ranked = sorted((value, i) for i, figures, chars in done if (value := key(figures, chars)) is not None)
        if len(ranked) >= 2 and ranked[0][0] < ranked[1][0]:
            marks[ranked[0][1]].append(label)
    return marks


def _as_json(models: list[str], answering: Answering, left_out: list[dict[str, str]]) -> dict[str, Any]:
    views = answering.views
    return {
        "conversation_id": answering.conversation_id,
        "user_message_id": views[0].user_message_id,
        "models": models,
        "left_out": left_out,
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
            for model, view, marks in zip(models, views, _markers(views))
        ],
    }


class LiveTable:
    """The answers' progress on stderr (a terminal), redrawn in place, gone once they end."""

    def __init__(self, models: list[str], views: list[TurnView], out: TextIO) -> None:
        self.models, self.views, self.out = models, views, out
        self.lines = 0  # how many lines of the table are on the screen above the cursor

    def draw(self) -> None:
        # One cell short of the width: a wrapped line would break the redraw. A terminal that
        # gives no size (0) is taken as 80 columns.
        width = (os.get_terminal_size(self.out.fileno()).columns or 80) - 1
        rows = _table([HEADER, *(_cells(m, v) for m, v in zip(self.models, self.views))])
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
