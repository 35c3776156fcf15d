"""`mmchat stats`: your own leaderboard, from your compare votes and your answers.

A table per model, best rating first (rating and its 95 % interval, wins-losses-ties,
votes, median TTFT and tokens/s, cost per answer, error rate), a table of rating and
W-L-T per prompt category, then, on a terminal, a chart of rating against cost per
answer with the frontier marked. Plain text (no escapes) on stdout; notes on stderr;
`--json` for scripts.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from typing import Any

from mmchat.commands.setup import open_store
from mmchat.routing.ratings import Rating
from mmchat.sanitize import printable_json
from mmchat.session import leaderboard
from mmchat.session.leaderboard import CATEGORIES, HOW_TO_VOTE, Leaderboard

DAY_S = 86400.0
MAX_CHART_WIDTH = 100  # wider spreads a few points thin


def run(args: argparse.Namespace) -> int:
    if args.category is not None and args.category not in CATEGORIES:
        print(f"mmchat: unknown category {args.category!r}: use one of {', '.join(CATEGORIES)}", file=sys.stderr)
        return 2
    if args.since is not None and args.since <= 0:
        print(f"mmchat: --since takes a number of days > 0, got {args.since:g}", file=sys.stderr)
        return 2
    since = time.time() - args.since * DAY_S if args.since is not None else None
    store = open_store()
    try:
        board = leaderboard.read(store, since=since, category=args.category)
    finally:
        store.close()
    if args.json:
        print(printable_json(json.dumps(_as_json(board, since), indent=2, ensure_ascii=False)))
        return 0
    if not board.votes:
        print(f"mmchat: {HOW_TO_VOTE}", file=sys.stderr)
    if not board.rows:
        print("mmchat: no answers yet" + (" in that category" if args.category else "")
              + (" in that time" if since is not None else ""), file=sys.stderr)
        return 0
    charted = not args.no_chart and sys.stdout.isatty()
    chart_width = min(MAX_CHART_WIDTH, shutil.get_terminal_size().columns) if charted else None
    # Model names are the only text from outside: the tables and the chart pass them through printable().
    print("\n".join(leaderboard.report(board, chart_width=chart_width, days=args.since)))
    return 0


def _as_json(board: Leaderboard, since: float | None) -> dict[str, Any]:
    models = []
    for row in board.rows:
        f = row.figures
        models.append({
            "model": row.model,
            **_rating(row.rating),
            "votes": row.votes,
            "frontier": row.frontier,
            "complete_answers": f.complete if f else 0,
            "errors": f.errors if f else 0,
            "error_rate": f.error_rate if f else None,
            "median_ttft_ms": f.median_ttft_ms if f else None,
            "median_tokens_per_s": f.median_tokens_per_s if f else None,
            "cost_per_answer_usd": f.cost_per_answer if f else None,
        })
    return {
        "votes": board.votes,
        "category": board.category,
        "since": since,
        "models": models,
        "categories": {
            category: [{"model": model, **_rating(r)} for model, r in sorted(ratings.items(), key=lambda i: -i[1].score)]
            for category, ratings in board.by_category.items()
        },
    }


def _rating(r: Rating | None) -> dict[str, Any]:
    if r is None:
        return {"rating": None, "low": None, "high": None, "wins": 0, "losses": 0, "ties": 0}
    return {"rating": round(r.score, 1), "low": round(r.low, 1), "high": round(r.high, 1),
            "wins": r.wins, "losses": r.losses, "ties": r.ties}
