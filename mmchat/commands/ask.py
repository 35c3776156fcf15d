"""`mmchat ask`: one prompt, the answer streamed to stdout, a summary on stderr."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
from typing import Any

from mmchat import format as fmt
from mmchat.commands.prompt_input import read_prompt
from mmchat.commands.setup import build_catalog, load, open_store
from mmchat.engine.turn import Engine
from mmchat.engine.events import FallingBack, Retrying, TurnFailed, TurnFinished, TurnStarted
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
        engine = Engine(config, store, build_catalog(config))
        auto = args.model == AUTO
        if not auto:
            engine.model(args.model)  # an unknown model fails before anything is stored
        pin = None if auto else engine.model(args.model).address
        if again is not None:
            answer_id = _latest_answer(store, conversation_id)
            if answer_id is None:
                print(f"mmchat: conversation {conversation_id} has no answer to give again", file=sys.stderr)
                return 2
            routed = _route(engine, store, pin, again=(answer_id, again))
        else:
            routed = _route(engine, store, pin, prompt=prompt, conversation_id=conversation_id)
        if routed is None:
            return 1
        prompt, route = routed
        return asyncio.run(_ask(engine, prompt, conversation_id, _params(args), route))
    finally:
        store.close()


def _latest_answer(store: Any, conversation_id: int | None) -> int | None:
    """The conversation's latest answer on its chosen path (None: there is none)."""
    path = store.path(conversation_id) if conversation_id is not None else []
    return path[-1].id if path and path[-1].role == "assistant" else None


def _route(
    engine: Engine, store: Any, pin: str | None, *, prompt: str = "", conversation_id: int | None = None,
    again: tuple[int, str] | None = None,
) -> tuple[str | None, dict[str, Any]] | None:
    """The text to send (None: an answer again, of `again` = (answer id, how)) and the turn's
    routing arguments, or None when the turn is held.

    A chosen model (`pin`) goes through the router too: a private turn, or a
    conversation locked to local models, never goes to a cloud model.
    """
    from mmchat.session.autoroute import AutoRoute

    auto = AutoRoute(engine.config, engine.catalog, store)
    engine.health = auto.breaker
    if again is not None:
        decision = auto.decide_again(again[0], again[1], pin=pin)
    else:
        decision = auto.decide(prompt, conversation_id, pin=pin)
    if pin is None or decision.model != pin:
        print(f"mmchat: {printable(decision.line())}", file=sys.stderr)
        for note in decision.notes:
            print(f"mmchat: {printable(note)}", file=sys.stderr)
    if decision.model is None:
        return None  # held: nothing was stored or sent
    args: dict[str, Any] = {"model": decision.model, "decision": decision.to_dict(), "fallbacks": decision.fallbacks}
    if decision.private:
        args["on_start"] = lambda started: auto.record_private(
            decision, started.conversation_id, started.user_message_id
        )
    if again is not None:
        args["retry_of"] = again[0]
        return None, args
    return decision.prompt, args


async def _ask(
    engine: Engine, prompt: str | None, conversation_id: int | None, params: dict[str, Any], route: dict[str, Any]
) -> int:
    out, err = sys.stdout, sys.stderr
    address = ""
    conversation = conversation_id
    status = 0
    on_start = route.pop("on_start", None)
    turn = engine.turn(prompt, conversation_id=conversation_id, params=params, **route)
    try:
        # aclosing: when a write fails (stdout's reader stopped: BrokenPipeError) the turn is
        # closed here, so the answer is stored marked interrupted with the text received so
        # far, before the connection is closed and with no more of the answer paid for.
        async with contextlib.aclosing(turn):
            async for event in turn:
                if type(event) is TextDelta:
                    out.write(printable(event.text))
                    out.flush()
                elif isinstance(event, TurnStarted):
                    address, conversation = event.model.address, event.conversation_id
                    if on_start is not None:
                        on_start(event)
                    if event.history_dropped:
                        print(
                            f"mmchat: left out the {event.history_dropped} oldest messages to fit "
                            f"{address}'s context window",
                            file=err,
                        )
                elif isinstance(event, FallingBack):
                    print(f"mmchat: {event.reason}; trying {event.model.address}", file=err)
                    address = event.model.address
                elif isinstance(event, Retrying):
                    print(f"mmchat: {event.reason}; retrying in {event.delay_s:.1f} s", file=err)
                elif isinstance(event, TurnFinished):
                    out.write("\n")
                    print(f"{fmt.turn_summary(address, event.metrics)} · conversation {conversation}", file=err)
                elif isinstance(event, TurnFailed):
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
        await engine.aclose()
    return status
