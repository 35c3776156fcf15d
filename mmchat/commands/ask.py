"""`mmchat ask`: one prompt, the answer streamed to stdout, a summary on stderr."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
from typing import Any

from mmchat import format as fmt
from mmchat.commands.budget import within_budget
from mmchat.commands.prompt_input import read_prompt
from mmchat.commands.setup import build_catalog, load, open_store
from mmchat.engine.events import FallingBack, Retrying, TurnFailed, TurnFinished, TurnStarted
from mmchat.session.session import Answering, Session
from mmchat.store import Store
from mmchat.types import TextDelta
from mmchat.sanitize import printable

AUTO = "auto"  # `-m auto`: the router picks the model


def _params(args: argparse.Namespace) -> dict[str, Any]:
    params: dict[str, Any] = {}
    if args.temperature is not None:
        params["temperature"] = args.temperature
    if args.max_tokens is not None:
        params["max_tokens"] = args.max_tokens
    return params


def run(args: argparse.Namespace) -> int:
    config = load(args)
    again = args.again
    if again is not None and args.prompt:
        print("mmchat: --again answers the conversation's stored prompt: give no prompt", file=sys.stderr)
        return 2
    if again is not None and args.conversation is None and not args.continue_last:
        print("mmchat: --again needs a conversation: -c (the latest) or --conversation ID", file=sys.stderr)
        return 2
    prompt = "" if again is not None else read_prompt(" ".join(args.prompt or ()), "ask")
    if prompt is None:
        return 2
    if again is None and not prompt.strip():
        print("mmchat: no prompt: pass it as an argument or pipe it on stdin", file=sys.stderr)
        return 2
    store = open_store()
    try:
        conversation_id = args.conversation
        if args.continue_last:
            conversation_id = store.latest_conversation_id()
        if conversation_id is not None:
            store.conversation(conversation_id)  # a clear error for an unknown id
        session = Session(config, store, build_catalog(config))
        auto = args.model == AUTO
        # An unknown model fails before anything is stored.
        pin = None if auto else session.engine.model(args.model).address
        answer_id = None
        if again is not None:
            answer_id = _latest_answer(store, conversation_id)
            if answer_id is None:
                print(f"mmchat: conversation {conversation_id} has no answer to give again", file=sys.stderr)
                return 2
            decision = session.decide_again(answer_id, again, pin=pin)
        else:
            decision = session.decide(prompt, conversation_id, pin=pin)
        # A chosen model goes through the router too: a private turn, or a conversation
        # locked to local models, never goes to a cloud model. Say so when it changed.
        if pin is None or decision.model != pin:
            print(f"mmchat: {printable(decision.line())}", file=sys.stderr)
            for note in decision.notes:
                print(f"mmchat: {printable(note)}", file=sys.stderr)
        if decision.model is None:
            return 1  # held: nothing was stored or sent
        if not within_budget(config, store, conversation_id, [decision], anyway=args.over_budget):
            return 1  # a spent limit: nothing was stored or sent
        answering = session.answer([decision], conversation_id=conversation_id, again=answer_id, params=_params(args))
        return asyncio.run(_ask(session, answering, conversation_id, decision.model))
    finally:
        store.close()


def _latest_answer(store: Store, conversation_id: int | None) -> int | None:
    """The conversation's latest answer on its chosen path (None: there is none)."""
    path = store.path(conversation_id) if conversation_id is not None else []
    return path[-1].id if path and path[-1].role == "assistant" else None


async def _ask(session: Session, answering: Answering, conversation_id: int | None, model: str | None) -> int:
    out, err = sys.stdout, sys.stderr
    view = answering.views[0]
    status = 0
    turn = aiter(answering)
    try:
        await session.load_first([model], lambda m: print(f"mmchat: loading {m} into memory…", file=err))
        # aclosing: when a write fails (stdout's reader stopped: BrokenPipeError) the turn is
        # closed here, so the answer is stored marked interrupted with the text received so
        # far, before the connection is closed and with no more of the answer paid for.
        async with contextlib.aclosing(turn):
            async for _, event in turn:
                if type(event) is TextDelta:
                    out.write(printable(event.text))
                    out.flush()
                elif isinstance(event, TurnStarted):
                    if event.history_dropped:
                        print(
                            f"mmchat: left out the {event.history_dropped} oldest messages to fit "
                            f"{event.model.address}'s context window",
                            file=err,
                        )
                elif isinstance(event, FallingBack):
                    print(f"mmchat: {event.reason}; trying {event.model.address}", file=err)
                elif isinstance(event, Retrying):
                    print(f"mmchat: {event.reason}; retrying in {event.delay_s:.1f} s", file=err)
                elif isinstance(event, TurnFinished):
                    out.write("\n")
                    out.flush()  # the answer's end before the summary line on stderr
                    address = view.model.address if view.model else ""
                    print(f"{fmt.turn_summary(address, event.metrics)} · conversation {view.conversation_id}", file=err)
                elif isinstance(event, TurnFailed):
                    conversation = view.conversation_id or conversation_id
                    if event.partial:
                        out.write("\n")
                        print(
                            f"mmchat: the answer was cut short and is kept, marked interrupted (conversation {conversation}); "
                            f"`mmchat ask --conversation {conversation} --again next` answers it again on the next model",
                            file=err,
                        )
                    print(f"mmchat: {event.reason}", file=err)
                    status = 1
    finally:
        await session.aclose()
    return status
