"""A routing Decision as readable lines: for `mmchat route` and the TUI's expanded view."""

from __future__ import annotations

from typing import Any

from mmchat.format import cost as money


def signal_summary(signals: dict[str, Any]) -> str:
    """One line of the signals that mattered: '812 tokens (+2,100 history) · code: python · en · #private'."""
    parts = [f"{signals['tokens']:,} tokens"]
    if signals.get("history_tokens"):
        parts[0] += f" (+{signals['history_tokens']:,} history)"
    if signals.get("has_code"):
        languages = ", ".join(signals.get("code_languages") or ()) or "unknown language"
        parts.append(f"code: {languages}")
    if signals.get("math"):
        parts.append("math")
    if signals.get("reasoning"):
        parts.append("reasoning: " + ", ".join(signals["reasoning"]))
    if signals.get("intent"):
        parts.append(f"{signals['intent']} ({signals.get('intent_why', '')}), {signals.get('complexity', '?')}")
    else:  # a decision stored before intents were read
        parts.append(f"{signals.get('complexity', '?')} question")
    if signals.get("language") not in (None, "und"):
        parts.append(f"language {signals['language']}")
    if signals.get("attachments"):
        parts.append("attachments: " + ", ".join(signals["attachments"]))
    if signals.get("secrets"):
        parts.append("secrets: " + ", ".join(signals["secrets"]))
    if signals.get("personal"):
        parts.append("personal data: " + ", ".join(signals["personal"]))
    if signals.get("tags"):
        parts.append(" ".join(f"#{t}" for t in signals["tags"]))
    if signals.get("budget_left") is not None:
        parts.append(f"budget left {money(signals['budget_left'])}" + (" (low)" if signals.get("budget_low") else ""))
    return " · ".join(parts)


def decision_lines(decision: dict[str, Any]) -> list[str]:
    """The whole decision (as Decision.to_dict() gives it), one line each, for a terminal."""
    if decision.get("model"):
        head = f"→ {decision['model']} · {decision['why']}"
    else:
        head = f"{'held' if decision.get('held') else 'not sent'} · {decision.get('message', '')}"
    lines = [head, f"mode {decision['mode']} · policy {decision['policy']}"]
    lines.append("rules matched: " + (", ".join(decision["rules"]) or "none"))
    lines.append("signals: " + signal_summary(decision["signals"]))
    expected = decision.get("expected_output")
    if expected:
        source = (f"median of {expected['samples']} similar answers" if expected["samples"]
                  else "guessed from the prompt")
        lines.append(f"answer: ~{expected['tokens']:,} tokens expected ({source})")
    if decision.get("private"):
        lines.append("private: " + ", ".join(decision.get("private_reasons") or ()) + " — local models only")
    candidates = decision.get("candidates") or []
    if candidates:
        rows = [("#", "model", "score", "est. cost", "tier", "time", "reasons")]
        for rank, c in enumerate(candidates, 1):
            cost = "unknown" if c["cost_usd"] is None else money(c["cost_usd"])
            rows.append(
                (str(rank), c["model"], f"{c['score']:.3f}", cost, c["tier"], f"{c['latency_s']:.1f} s",
                 "; ".join(c["reasons"]))
            )
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
        lines.append("candidates:")
        for row in rows:
            lines.append("  " + "  ".join(cell.ljust(w) for cell, w in zip(row, widths)) + "  " + row[-1])
    rejected = decision.get("rejected") or []
    if rejected:
        lines.append("filtered out:")
        width = max(len(r["model"]) for r in rejected)
        filt = max(len(r["filter"]) for r in rejected)
        lines += [f"  {r['model'].ljust(width)}  {r['filter'].ljust(filt)}  {r['reason']}" for r in rejected]
    if decision.get("fallbacks"):
        lines.append("fallbacks: " + " → ".join(decision["fallbacks"]))
    lines += [f"note: {note}" for note in decision.get("notes") or ()]
    return lines
