"""The `mmchat` command: argument parsing and the plain (non-TUI) subcommands."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Sequence

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
EXIT_PIPE = 128 + 13  # stdout's reader stopped early (see _reader_gone)


def _parser() -> argparse.ArgumentParser:
    from mmchat import __version__

    parser = argparse.ArgumentParser(
        prog="mmchat",
        description="Chat with many LLMs from the terminal.",
    )
    parser.add_argument("--version", action="version", version=f"mmchat {__version__}")
    parser.add_argument("--config", type=Path, metavar="PATH", help="config file (default: $MMCHAT_CONFIG or the platform config dir)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    ask = sub.add_parser("ask", help="send one prompt and stream the answer to stdout")
    ask.add_argument("prompt", nargs="*", help="the prompt (read from stdin when omitted or piped)")
    ask.add_argument(
        "-m", "--model", metavar="PROVIDER/MODEL",
        help="model address (default: default_model), or 'auto' to let the routing rules pick it",
    )
    where = ask.add_mutually_exclusive_group()
    where.add_argument("-c", "--continue", dest="continue_last", action="store_true", help="continue the latest conversation")
    where.add_argument("--conversation", type=int, metavar="ID", help="continue conversation ID")
    ask.add_argument(
        "--again", nargs="?", const="again", choices=("again", "next", "stronger"), metavar="HOW",
        help="answer the conversation's latest prompt again, in its place (the old answer is kept): "
        "routed again, or HOW 'next' (the next model of its routing) or 'stronger'; with -c or --conversation",
    )
    ask.add_argument("-t", "--temperature", type=float, help="sampling temperature")
    ask.add_argument("--max-tokens", type=int, metavar="N", help="longest answer, in tokens")
    ask.add_argument(
        "--over-budget", action="store_true",
        help="send even when a budget limit (budget: in the config) is spent, without asking",
    )

    compare = sub.add_parser("compare", help="send one prompt to several models at once and compare the answers")
    compare.add_argument("prompt", nargs="*", help="the prompt (read from stdin when omitted or piped)")
    which = compare.add_mutually_exclusive_group(required=True)
    which.add_argument(
        "-m", "--model", action="append", metavar="A,B,…",
        help="2 to 6 model addresses, comma-separated or -m repeated",
    )
    which.add_argument("--set", metavar="NAME", help="the models of the config's compare set NAME (compare_sets:)")
    which.add_argument("--top", type=int, metavar="N", help="the router's N best models for this prompt (2 to 6)")
    where = compare.add_mutually_exclusive_group()
    where.add_argument("-c", "--continue", dest="continue_last", action="store_true", help="compare in the latest conversation")
    where.add_argument("--conversation", type=int, metavar="ID", help="compare in conversation ID")
    compare.add_argument("-t", "--temperature", type=float, help="sampling temperature")
    compare.add_argument("--max-tokens", type=int, metavar="N", help="longest answer, in tokens")
    compare.add_argument(
        "--over-budget", action="store_true",
        help="send even when a budget limit is spent or the estimated cost would pass it, without asking",
    )
    compare.add_argument("--json", action="store_true", help="print the answers and their figures as one JSON object")
    compare.add_argument(
        "--vote", action="store_true",
        help="on a terminal, vote on the answers afterwards: a winner, a tie or all bad, with an optional note",
    )
    compare.add_argument(
        "--blind", action="store_true",
        help="label the answers A, B, … in shuffled order, hide names and costs until you vote (implies --vote)",
    )

    stats = sub.add_parser(
        "stats", help="your own leaderboard: ratings from your compare votes, speed, cost and errors per model"
    )
    stats.add_argument(
        "--category", metavar="C",
        help="only the prompts of one category: code, reasoning, creative, everyday, light, multilingual or unknown",
    )
    stats.add_argument("--since", type=float, metavar="DAYS", help="only the votes and answers of the last DAYS days")
    stats.add_argument("--json", action="store_true", help="print the leaderboard as one JSON object")
    stats.add_argument("--no-chart", action="store_true", help="leave out the chart of rating against cost")

    bench = sub.add_parser(
        "bench",
        help="run a suite of prompts over several models, check the answers and store the results",
        description="mmchat bench SUITE.yaml --models A,B | --models top:N | --set NAME; "
        "bench --resume RUN; bench --from-history QUERY; bench list; bench report RUN; bench rule RUN.",
    )
    bench.add_argument(
        "words", nargs="*", metavar="SUITE.yaml | list | report RUN | rule RUN",
        help="the suite file to run, 'list' (the runs), 'report RUN' (a run's report) or 'rule RUN' "
        "(its cheapest model meeting the bar, as routing rules)",
    )
    bench.add_argument(
        "--models", metavar="A,B,…|top:N",
        help="the models to run: addresses, comma-separated, or top:N (the router's N best for the suite)",
    )
    bench.add_argument("--set", metavar="NAME", help="the models of the config's compare set NAME (compare_sets:)")
    bench.add_argument("--repeat", type=int, default=1, metavar="N", help="run each case N times per model (default 1)")
    bench.add_argument(
        "--concurrency", type=int, metavar="N",
        help="requests at once over the whole run (default 4, or the resumed run's; "
             "each provider's own bound is its concurrency:)",
    )
    bench.add_argument(
        "--max-cost", type=float, metavar="USD",
        help="start no answer that would take the run past this (running answers counted)",
    )
    bench.add_argument("-y", "--yes", action="store_true", help="run without asking to confirm the plan")
    bench.add_argument(
        "--over-budget", action="store_true",
        help="run even when the day budget is spent or the run's estimated cost would pass it, without asking",
    )
    bench.add_argument("--json", action="store_true", help="print the run's id and pass counts per model as JSON")
    bench.add_argument("--resume", type=int, metavar="RUN", help="continue a stopped run where it stopped")
    bench.add_argument("--from-history", metavar="QUERY", help="a suite of your stored prompts matching QUERY")
    bench.add_argument("--limit", type=int, default=50, metavar="N", help="with --from-history: at most N cases")
    bench.add_argument(
        "--judge", metavar="MODEL",
        help="with --from-history: judge new answers against the answers you kept, with MODEL",
    )
    bench.add_argument("--save", type=Path, metavar="FILE", help="with --from-history: write the suite to FILE")
    bench.add_argument("--against", type=int, metavar="RUN", help="report: the cases that changed since run RUN")
    bench.add_argument(
        "--bar", type=float, default=0.9, metavar="RATE",
        help="report, rule: the share of cases a model must pass to meet the bar (default 0.9)",
    )
    bench.add_argument(
        "--category", metavar="C",
        help="rule: only this kind of prompt (an intent), or 'all' for the overall verdict over every prompt",
    )
    bench.add_argument("--format", choices=("md", "csv", "json", "html"), default="md", help="report: the format")
    bench.add_argument("-o", "--output", type=Path, metavar="FILE", help="report: write it to FILE (mode 0600)")

    models = sub.add_parser("models", help="list the models of the catalog")
    models.add_argument("--check", action="store_true", help="ask each provider for its models to tell which are reachable")
    models.add_argument(
        "--refresh-prices", action="store_true",
        help="fetch current prices from a public list (OpenRouter's) and cache them; never required",
    )
    models.add_argument(
        "--prices-from", metavar="URL", help="with --refresh-prices: read this list instead (same format as OpenRouter's)"
    )
    models.add_argument(
        "--no-discovery", action="store_true",
        help="do not look for local model servers (Ollama, LM Studio, llama.cpp, vLLM) on this machine",
    )

    keys = sub.add_parser("keys", help="store API keys in the system keyring")
    keys_sub = keys.add_subparsers(dest="keys_command", metavar="ACTION", required=True)
    set_ = keys_sub.add_parser("set", help="store a provider's key (read from stdin or prompted)")
    set_.add_argument("provider")
    delete = keys_sub.add_parser("delete", help="remove a provider's key from the keyring")
    delete.add_argument("provider")
    keys_sub.add_parser("list", help="show where each provider's key comes from (never the key)")

    history = sub.add_parser("history", help="browse and export stored conversations")
    history_sub = history.add_subparsers(dest="history_command", metavar="ACTION", required=True)
    list_ = history_sub.add_parser("list", help="list conversations, newest first")
    list_.add_argument("-n", "--limit", type=int, default=20)
    show = history_sub.add_parser("show", help="print a conversation")
    show.add_argument("id", type=int)
    export = history_sub.add_parser("export", help="export a conversation as Markdown or JSON")
    export.add_argument("id", type=int)
    export.add_argument("-f", "--format", choices=["md", "json"], default="md")
    export.add_argument("-o", "--output", type=Path, metavar="FILE", help="write to FILE (mode 0600) instead of stdout")
    export.add_argument(
        "-a", "--alternatives", action="store_true",
        help="with each answer, the other answers to its prompt (a compare's other models, retries)",
    )

    route = sub.add_parser(
        "route",
        help="which model auto-route picks for a prompt, and why (sends nothing)",
        description="Route a prompt, or: route test CASES.yaml | route replay CONVERSATION | route check.",
    )
    route.add_argument("words", nargs="*", metavar="PROMPT", help="the prompt, or test/replay/check and its argument")
    route.add_argument("--prompt", metavar="TEXT", help="the prompt (when it starts with test, replay or check)")
    route.add_argument("--json", action="store_true", help="print the decision as JSON")
    route.add_argument("--conversation", type=int, metavar="ID", help="route as the next turn of conversation ID")
    route.add_argument("--pin", metavar="PROVIDER/MODEL", help="as if pinned to this model")
    route.add_argument("--tag", action="append", default=[], metavar="TAG", help="a routing tag (private, fast, …)")
    route.add_argument(
        "--watch", action="store_true",
        help="with test: run the cases again on every save of the cases file or the config (Ctrl+C stops)",
    )

    config = sub.add_parser("config", help="check the config file")
    config_sub = config.add_subparsers(dest="config_command", metavar="ACTION", required=True)
    config_sub.add_parser("check", help="validate the config and say which file was read")
    config_sub.add_parser("path", help="print the config file's path")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        try:
            return _main(argv)
        finally:
            # Output still in the buffer is written here, where a closed pipe is handled
            # like any other, not by the interpreter's last flush (which would complain).
            if sys.stdout is not None:
                sys.stdout.flush()
    except BrokenPipeError:
        return _reader_gone()


def _reader_gone() -> int:
    """stdout's reader stopped early (`mmchat … | head`): normal for a Unix tool, so
    exit quietly.

    The status is 141, what the shell reports for a command that SIGPIPE ended
    (128 + 13): the one every other tool in the pipe gives for the same event
    (`seq 1e6 | head -1`), so `set -o pipefail` scripts treat mmchat like them,
    and a cut-short answer is not passed off as a success (it is stored marked
    interrupted). Python ignores SIGPIPE, hence the exception; stdout is pointed
    at /dev/null so that flushing what is left in its buffer at exit cannot raise
    again.
    """
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass
    return EXIT_PIPE


def _main(argv: Sequence[str] | None) -> int:
    args = _parser().parse_args(argv)
    from mmchat import commands
    from mmchat.catalog import UnknownModel
    from mmchat.config import ConfigError
    from mmchat.engine.turn import NoModelError
    from mmchat.keys import KeyringUnavailable, redact
    from mmchat.store import StoreError

    try:
        if args.command is None:
            return commands.start_tui(args)
        return commands.run(args)
    except ConfigError as exc:
        print(f"mmchat: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except (UnknownModel, NoModelError, KeyringUnavailable, StoreError, LookupError) as exc:
        print(f"mmchat: {redact(str(exc))}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("mmchat: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        raise  # stdout's reader has gone: main() exits quietly
    except Exception as exc:  # a bug: report it without ever printing a key
        return _internal_error(exc)


def _internal_error(exc: BaseException) -> int:
    import os
    import traceback

    from mmchat.keys import redact

    if os.environ.get("MMCHAT_DEBUG"):
        print(redact("".join(traceback.format_exception(exc))), file=sys.stderr, end="")
    print(
        f"mmchat: internal error: {redact(f'{type(exc).__name__}: {exc}')} "
        "(set MMCHAT_DEBUG=1 for the traceback, and please report it)",
        file=sys.stderr,
    )
    return EXIT_FAILED
