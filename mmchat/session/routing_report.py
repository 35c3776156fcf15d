"""A routing Decision as readable lines: for `mmchat route` and the TUI's expanded view."""

from __future__ import annotations

from mmchat.format import cost as money
from mmchat.routing import Decision, Signals


def signal_summary(signals: Signals) -> str:
    """One line of the signals that mattered: '812 tokens (+2,100 history) · code: python · en · #private'."""
    parts = [f"{signals.tokens:,} tokens"]
    if signals.history_tokens:
        parts[0] += f" (+{signals.history_tokens:,} history)"
    if signals.has_code:
        languages = ", ".join(signals.code_languages) or "unknown language"
        parts.append(f"code: {languages}")
    if signals.math:
        parts.append("math")
    if signals.reasoning:
        parts.append("reasoning: " + ", ".join(signals.reasoning))
    complexity = signals.complexity or "?"  # '' in a decision stored without it
    if signals.intent:
        parts.append(f"{signals.intent} ({signals.intent_why}), {complexity}")
    else:  # a decision stored before intents were read
        parts.append(f"{complexity} question")
    if signals.language != "und":
        parts.append(f"language {signals.language}")
    if signals.attachments:
        parts.append("attachments: " + ", ".join(signals.attachments))
    if signals.secrets:
        parts.append("secrets: " + ", ".join(signals.secrets))
    if signals.personal:
        parts.append("personal data: " + ", ".join(signals.personal))
    if signals.tags:
        parts.append(" ".join(f"#{t}" for t in signals.tags))
    if signals.budget_left is not None:
        parts.append(f"budget left {money(signals.budget_left)}" + (" (low)" if signals.budget_low else ""))
    return " · ".join(parts)


def decision_lines(decision: Decision) -> list[str]:
    """The whole decision, one line each, for a terminal (a stored one: `Decision.from_dict`).
    Its figures are shown as stored, so a decision made now and one read back say the same."""
    decision = decision.as_stored()
    lines = [decision.line(), f"mode {decision.mode} · policy {decision.policy}"]
    lines.append("rules matched: " + (", ".join(decision.rules) or "none"))
    lines.append("signals: " + signal_summary(decision.signals))
    tokens, samples = decision.expected_output
    if tokens:  # 0: stored before answer lengths were expected
        source = f"median of {samples} similar answers" if samples else "guessed from the prompt"
        lines.append(f"answer: ~{tokens:,} tokens expected ({source})")
    if decision.private:
        lines.append("private: " + ", ".join(decision.private_reasons) + " — local models only")
    if decision.candidates:
        rows = [("#", "model", "score", "est. cost", "tier", "time", "reasons")]
        for rank, c in enumerate(decision.candidates, 1):
            cost = "unknown" if c.cost_usd is None else money(c.cost_usd)
            rows.append(
                (str(rank), c.model, f"{c.score:.3f}", cost, c.tier, f"{c.latency_s:.1f} s", "; ".join(c.reasons))
            )
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
        lines.append("candidates:")
        for row in rows:
            lines.append("  " + "  ".join(cell.ljust(w) for cell, w in zip(row, widths)) + "  " + row[-1])
    if decision.rejected:
        lines.append("filtered out:")
        width = max(len(r.model) for r in decision.rejected)
        filt = max(len(r.filter) for r in decision.rejected)
        lines += [f"  {r.model.ljust(width)}  {r.filter.ljust(filt)}  {r.reason}" for r in decision.rejected]
    if decision.fallbacks:
        lines.append("fallbacks: " + " → ".join(decision.fallbacks))
    lines += [f"note: {note}" for note in decision.notes]
    return lines
