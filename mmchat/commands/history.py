"""`mmchat history list|show|export`: stored conversations."""

from __future__ import annotations

import argparse
import time

from mmchat import export
from mmchat import format as fmt
from mmchat.commands.setup import open_store
from mmchat.sanitize import printable, printable_json


def run(args: argparse.Namespace) -> int:
    store = open_store()
    try:
        if args.history_command == "list":
            for c in store.list_conversations(limit=args.limit):
                when = time.strftime("%Y-%m-%d %H:%M", time.localtime(c.updated_at))
                models = ",".join(c.models) or "-"
                print(printable(f"{c.id:>5}  {when}  {c.message_count:>4} msgs  {fmt.cost(c.total_cost_usd):>12}  {models}  {c.title}"))
            return 0
        if args.history_command == "show":
            print(printable(export.conversation_text(store, args.id, "md")[1]))
            return 0
        _, text = export.conversation_text(store, args.id, args.format, alternatives=args.alternatives)
        if args.output:
            export.write_private(args.output, text)
            print(f"wrote conversation {args.id} to {args.output}")
        else:  # JSON keeps its data: what printable() removes or marks is escaped instead
            print(printable(text) if args.format == "md" else printable_json(text))
        return 0
    finally:
        store.close()
