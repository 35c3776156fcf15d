"""Router.decide(): one turn -> a Decision. Pure and deterministic: no I/O, no clock, no randomness.

The order of work:
  1. signals (intent, code, secrets ...), privacy (tag #private, a credential
     or personal data, a rule, or the conversation's lock) and the rules that
     match;
  2. hard filters: privacy, provider health, exclusions, required tags,
     escalation, context window, budget;
  3. ranking: models with the capabilities the rules need first (while any
     allowed model has them), a small local model last for a non-English
     question, then scores under the policy and the tie-breaks (the
     conversation's model, cheaper, faster, address);
  4. the choice: override > escalation > the next model after an answer's >
     pin > a rule's `use` > staying on the conversation's model > the best
     score. An override or pin that breaks the privacy lock is refused with a
     reason.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from mmchat import format as fmt
from mmchat.catalog import ModelInfo
from mmchat.routing.decision import Candidate, Decision, Rejected
from mmchat.routing.estimate import (
    TIER_NAMES, TIER_SOURCES, AnswerKind, Figures, Profile, expected_output, figures, profile, tier_scale,
)
from mmchat.routing.filters import FITS, TRIM, Gate, context_fit, glob, rejection
from mmchat.routing.inputs import Conversation, ModelStats, RouterState, Turn
from mmchat.routing.learned import Evidence, Learned, turn_categories
from mmchat.routing.policies import score
from mmchat.routing.rules import Plan, RuleSet, evaluate
from mmchat.routing.secrets import reasons as finding_reasons
from mmchat.routing.signals import Count, Signals, approx_tokens, compute_signals

CHOSEN_MODES = ("pin", "override")  # the user chose the model: no other answers for it
_SHORT_FILTERS = {
    "privacy": "not local", "health": "provider skipped", "next": "being retried", "excluded": "excluded",
    "capability": "lacks a required tag", "escalation": "not stronger", "context": "context too small",
    "budget": "over budget",
}
_POLICY_WORDS = {"balanced": "balanced", "cheapest": "cheapest capable", "fastest": "fastest", "best": "best quality"}


class Router:
    """The models and rules, with what can be worked out once (each model's tier, priors, pool membership).

    Build one when the catalog or the rules change; `decide` is then called per turn (and per
    keystroke pause for the typing preview)."""

    def __init__(self, models: Sequence[ModelInfo], rules: RuleSet) -> None:
        self.rules = rules
        # By address, so that nothing in a decision depends on the order the models were given in.
        self.scale = tier_scale(models)
        self.profiles = {
            m.address: profile(m, rules.tiers, self.scale) for m in sorted(models, key=lambda m: m.address)
        }
        patterns = [glob(p) for p in rules.candidates]
        # Auto-route picks from the `candidates` patterns; by default from the catalog's entries
        # and local models, not every model a cloud provider lists.
        self.pool = tuple(
            address for address, p in self.profiles.items()
            if (any(g.match(address) for g in patterns) if patterns else p.model.source != "discovered" or p.local)
        )
        self.has_local = any(p.local for p in self.profiles.values())

    def decide(
        self,
        turn: Turn,
        conversation: Conversation,
        stats: Mapping[str, ModelStats],
        state: RouterState,
        *,
        count: Count = approx_tokens,
        health: Mapping[str, str] | None = None,
        lengths: Mapping[AnswerKind, tuple[int, int]] | None = None,
        learned: Learned | None = None,
    ) -> Decision:
        """Route `turn`. `count` counts a text's tokens (called once for the prompt, and for the
        history only when `conversation.tokens` is None); `health` maps providers to skip now
        (open circuits) to why; `lengths` maps kinds of turn to the (median, samples) of their
        past answers' lengths; `learned` is your evidence (votes, bench runs) per model and
        category, unless the rules turn learning off."""
        signals = compute_signals(turn, conversation, state, count=count, known_tags=self.rules.known_tags)
        if not self.rules.learning:
            learned = None
        return _Turn(self, signals, conversation.model, stats, state, health or {}, lengths, learned).decide()


def decide(
    turn: Turn,
    conversation: Conversation,
    models: Sequence[ModelInfo],
    stats: Mapping[str, ModelStats],
    rules: RuleSet,
    state: RouterState,
    *,
    count: Count = approx_tokens,
    health: Mapping[str, str] | None = None,
    lengths: Mapping[AnswerKind, tuple[int, int]] | None = None,
    learned: Learned | None = None,
) -> Decision:
    """Router(models, rules).decide(...) in one call."""
    return Router(models, rules).decide(
        turn, conversation, stats, state, count=count, health=health, lengths=lengths, learned=learned
    )


class _Turn:
    """The work of one decision."""

    def __init__(
        self, router: Router, signals: Signals, current: str | None, stats: Mapping[str, ModelStats],
        state: RouterState, health: Mapping[str, str], lengths: Mapping[AnswerKind, tuple[int, int]] | None = None,
        learned: Learned | None = None,
    ) -> None:
        rules = router.rules
        self.router = router
        self.signals = signals
        self.learned = learned or None  # None when empty: nothing to look up
        self.categories = turn_categories(signals.intent, signals.language)
        self.current = current
        self.stats = stats
        self.state = state
        self.health = health
        self.notes: list[str] = []
        self.rejected: list[Rejected] = []
        self._figures: dict[str, Figures] = {}
        self.private_reasons = _private_reasons(signals, state)
        self.plan: Plan = evaluate(rules.rules, signals, bool(self.private_reasons))
        self.private_reasons += [f"rule '{name}'" for name in self.plan.private]
        self.private = bool(self.private_reasons)
        self.policy = self.plan.policy[0] if self.plan.policy else rules.policy
        self.prefer = tuple(self.plan.prefer)
        self.expected_output, self.output_samples = expected_output(signals, lengths)
        self.needs: tuple[str, ...] = ()  # the capabilities the rules need that some allowed model has
        self.escalate_tier: int | None = None
        if state.escalate_from and state.override is None:
            origin = router.profiles.get(state.escalate_from)
            if origin is None:
                self.notes.append(f"cannot escalate from {state.escalate_from}: not in the catalog")
            else:
                self.escalate_tier = origin.tier
        # "Retry on the next model": every model but the one that wrote the answer (an override wins).
        self.skip = state.next_after if state.override is None and self.escalate_tier is None else None
        needed = self.plan.tier[0] if self.plan.tier else 1
        if self.escalate_tier is not None:
            needed = max(needed, min(3, self.escalate_tier + 1))
        self.needed_tier = needed

    def decide(self) -> Decision:
        candidates = self._rank(self._filter())
        mode, chosen, why = self._choose(candidates)
        if chosen is not None:
            if all(c.model != chosen.model.address for c in candidates):
                candidates.insert(0, self._candidate(chosen))
            else:
                candidates.sort(key=lambda c: c.model != chosen.model.address)  # stable: the rest keep their rank
        fallbacks = tuple(c.model for c in candidates if chosen is None or c.model != chosen.model.address)
        return Decision(
            model=chosen.model.address if chosen else None,
            why=why,
            mode=mode,
            policy=self.policy,
            candidates=tuple(candidates),
            rejected=tuple(self.rejected),
            rules=tuple(self.plan.matched),
            # A pinned or overridden turn goes to the chosen model only.
            fallbacks=fallbacks[: self.router.rules.fallbacks] if chosen and mode not in CHOSEN_MODES else (),
            private=self.private,
            private_reasons=tuple(self.private_reasons),
            held=chosen is None and self.private,
            message="" if chosen is not None else self._nothing_message(),
            notes=tuple(self.notes),
            expected_output=(self.expected_output, self.output_samples),
            prompt=self.signals.text,
            signals=self.signals,
        )

    # -- steps ---------------------------------------------------------------

    def _filter(self) -> list[Profile]:
        gate = Gate(self.private, self.health, self.plan, self.escalate_tier, self.skip)
        profiles = self.router.profiles
        pool = self.router.pool
        if self.current in profiles and self.current not in pool:
            pool = (*pool, self.current)
        passed: list[Profile] = []
        trimmed: list[tuple[Profile, str]] = []
        for address in pool:
            p = profiles[address]
            failed = rejection(p, gate)
            if failed is None:
                fit, why = context_fit(p, self.signals)
                if fit == FITS:
                    passed.append(p)
                    continue
                if fit == TRIM:
                    trimmed.append((p, why))
                    continue
                failed = ("context", why)
            self.rejected.append(Rejected(address, *failed))
        if not passed and trimmed:  # no model holds the whole conversation: the engine drops older turns
            passed = [p for p, _ in trimmed]
            self.notes.append("no model holds the whole conversation: the oldest turns will be left out")
        else:
            self.rejected.extend(Rejected(p.model.address, "context", why) for p, why in trimmed)
        return self._within_budget(passed)

    def _within_budget(self, profiles: list[Profile]) -> list[Profile]:
        left = self.signals.budget_left
        if left is None:
            return profiles
        kept = []
        for p in profiles:
            cost = self._figures_of(p).cost
            if cost is not None and cost > left:
                self.rejected.append(Rejected(p.model.address, "budget", f"est. ${cost:.4f} > ${left:.4f} left"))
            else:
                kept.append(p)
        return kept

    def _rank(self, profiles: list[Profile]) -> list[Candidate]:
        """Best first: models with the capabilities the rules need before those without (while
        any has them), a small local model after the others for a question in another
        language, then by score and the tie-breaks."""
        self._set_needs(profiles)
        ranked = [self._candidate(p) for p in profiles]
        ranked.sort(key=self._order)
        return ranked

    def _set_needs(self, profiles: list[Profile]) -> None:
        need = self.plan.need
        had = {tag for tag in need if any(tag in p.tags for p in profiles)}
        for tag in sorted(set(need) - had):
            self.notes.append(f"rule '{need[tag]}' needs {tag}: no allowed model has it, so the choice is among the rest")
        self.needs = tuple(sorted(had))

    def _order(self, c: Candidate) -> tuple[int, bool, float, bool, float, float, str]:
        p = self.router.profiles[c.model]
        cost = c.cost_usd if c.cost_usd is not None else float("inf")
        return (self._missing(p), self._out_of_language(p), -round(c.score, 9), c.model != self.current, cost,
                c.latency_s, c.model)

    def _missing(self, p: Profile) -> int:
        """How many of the capabilities the rules need (and some allowed model has) `p` lacks."""
        return sum(tag not in p.tags for tag in self.needs)

    def _out_of_language(self, p: Profile) -> bool:
        """A small local model for a question in another language than English, on a turn that may
        leave the machine: small models answer other languages poorly."""
        return p.local and p.tier == 1 and not self.private and self.signals.language not in ("en", "und")

    def _choose(self, ranked: list[Candidate]) -> tuple[str, Profile | None, str]:
        """(mode, chosen model, why)."""
        state = self.state
        if self.escalate_tier is not None:
            if not ranked:
                return "escalate", None, ""
            top = self.router.profiles[ranked[0].model]
            return "escalate", top, self._why(f"stronger than {state.escalate_from} ({TIER_NAMES[self.escalate_tier]})", top)
        if self.skip is not None:
            return self._next(ranked)
        for mode, address in (("override", state.override), ("pin", state.pin)):
            if address is None:
                continue
            p = self.router.profiles.get(address)
            if self.private and (p is None or not p.local):
                self.notes.append(f"{mode} {address} refused: the conversation is private and it is not a local model")
                continue
            if p is None:
                self.notes.append(f"{mode} {address} is not in the catalog: used as given")
                p = profile(_bare(address), self.router.rules.tiers, self.router.scale)
            self._note_unfit(mode, p)
            return mode, p, self._why("pinned" if mode == "pin" else "chosen for this turn", p)
        profiles = self.router.profiles
        ranked_addresses = {c.model for c in ranked}
        instead = ""  # a rule's model that cannot take the turn is named in the short line too
        if self.plan.use is not None:
            address, rule = self.plan.use
            if address in ranked_addresses:
                return "rule", profiles[address], self._why(f"rule '{rule}'", profiles[address])
            out = next((r for r in self.rejected if r.model == address), None)
            self.notes.append(
                f"rule '{rule}' asks for {address}: " + (f"filtered out ({out.reason})" if out else "not among the candidates")
            )
            instead = f"instead of {address} ({_SHORT_FILTERS.get(out.filter, out.filter) if out else 'not a candidate'}), "
        if self.current in ranked_addresses and self._stays(profiles[self.current]):
            current = profiles[self.current]
            return "stay", current, self._why("stays on the conversation's model", current)
        if not ranked:
            return "auto", None, ""
        top = profiles[ranked[0].model]
        return "auto", top, self._why(instead + self._auto_reason(), top)

    def _next(self, ranked: list[Candidate]) -> tuple[str, Profile | None, str]:
        """The model after the skipped one in the answer's own routing order that is still a
        candidate now (privacy, open circuits, budget), else the best other candidate."""
        if not ranked:
            return "next", None, ""
        skip, chain = self.skip, self.state.chain
        after = chain[chain.index(skip) + 1:] if skip in chain else chain
        ranked_addresses = {c.model for c in ranked}
        address = next((a for a in after if a in ranked_addresses), ranked[0].model)
        p = self.router.profiles[address]
        return "next", p, self._why(f"next after {skip}", p)

    def _stays(self, current: Profile) -> bool:
        """Stay unless a rule named a model or a policy, or asks for a stronger tier or a capability
        the current model lacks."""
        if self.plan.use is not None or self.plan.policy is not None:
            return False
        return current.tier >= self.needed_tier and not self._missing(current) and not self._out_of_language(current)

    # -- helpers -------------------------------------------------------------

    def _figures_of(self, p: Profile) -> Figures:
        address = p.model.address
        f = self._figures.get(address)
        if f is None:
            f = self._figures[address] = figures(
                p, self.signals, self.stats.get(address), current=address == self.current,
                expected_output=self.expected_output, evidence=self._evidence(address),
            )
        return f

    def _candidate(self, p: Profile) -> Candidate:
        """The model scored under the policy, with its estimates and the reasons behind its score."""
        f = self._figures_of(p)
        value, reasons = score(self.policy, p.tier, f, self.needed_tier, self.prefer, p.tags)
        if f.cached_tokens:
            reasons.append(f"{f.cached_tokens:,} history tokens likely cached")
        lacks = [tag for tag in self.needs if tag not in p.tags]
        if lacks:
            reasons.append(f"lacks {', '.join(lacks)}: ranked after models with it")
        if self._out_of_language(p):
            reasons.append(f"small local model: ranked after the others for a question in '{self.signals.language}'")
        reasons.append(f"{TIER_NAMES[p.tier]} tier from {TIER_SOURCES[p.tier_source]}")
        evidence = self._evidence(p.model.address)
        if evidence is not None:
            reasons.append(evidence.line())
        measured = self.stats.get(p.model.address)
        if f.measured and measured is not None:
            reasons.append(f"speed measured over {measured.samples} answers")
        return Candidate(
            p.model.address, value, f.cost, TIER_NAMES[p.tier], f.latency_s, f.output_tokens, f.cached_tokens,
            tuple(reasons),
        )

    def _note_unfit(self, mode: str, p: Profile) -> None:
        """A pin or override is honoured even when a filter would drop the model: say what may go wrong."""
        model = p.model
        why = self.health.get(model.provider)
        if why is not None:
            self.notes.append(f"{mode} {model.address}: {model.provider} is being skipped ({why}); it is tried anyway, alone")
        fit, reason = context_fit(p, self.signals)
        if fit != FITS and reason:
            self.notes.append(f"{mode} {model.address}: {reason}")
        missing = [t for t in self.plan.require if t not in p.tags]
        if missing:
            self.notes.append(f"{mode} {model.address}: lacks {', '.join(missing)}")
        cost, left = self._figures_of(p).cost, self.signals.budget_left
        if cost is not None and left is not None and cost > left:
            self.notes.append(f"{mode} {model.address}: est. ${cost:.4f} > ${left:.4f} left of the budget")

    def _auto_reason(self) -> str:
        reason = _POLICY_WORDS[self.policy]
        if self.plan.policy:
            reason += f" (rule '{self.plan.policy[1]}')"
        if self.plan.tier and self.plan.tier[0] > 1:
            reason += f", {TIER_NAMES[self.plan.tier[0]]} tier ({self.plan.tier[1]})"
        if self.needs:
            reason += f", has {' and '.join(self.needs)}"
        return reason

    def _evidence(self, address: str) -> Evidence | None:
        return self.learned.of(address, self.categories) if self.learned is not None else None

    def _why(self, reason: str, p: Profile) -> str:
        parts = [reason]
        evidence = self._evidence(p.model.address)
        if evidence is not None and p.model.address != self.state.pin and p.model.address != self.state.override:
            parts.append(evidence.line())
        if self.private:
            parts.append("private: local only")
        parts.append(money(self._figures_of(p).cost))
        return " · ".join(parts)

    def _nothing_message(self) -> str:
        if self.escalate_tier is not None:
            return (f"no model stronger than {self.state.escalate_from} ({TIER_NAMES[self.escalate_tier]}) "
                    "can take this turn")
        if self.private:
            why = "; ".join(self.private_reasons)
            if not self.router.has_local:
                own = [r for r in self.private_reasons if r != "conversation locked"]
                fix = " and ".join(
                    (["remove the private data"] if own else []) + (["unlock the conversation"] if self.state.locked else [])
                )
                return (f"the turn is private ({why}) and no local model is configured — add a local "
                        f"provider (e.g. Ollama), or {fix}")
            return f"the turn is private ({why}) and no local model can take it — see the filtered models"
        if self.skip is not None:
            return f"no model other than {self.skip} can take this turn — see the filtered models"
        if self.rejected and all(r.filter == "budget" for r in self.rejected):
            left = fmt.cost(self.signals.budget_left or 0.0)
            return (f"every model's estimate passes the budget left ({left}) and none is free — "
                    "choose a model to send anyway")
        return "no model can take this turn — see the filtered models"


def money(cost: float | None) -> str:
    """An estimate as the UI shows it: 'free', '<$0.0001', 'est. $0.0123', or 'price unknown'."""
    if cost is None:
        return "price unknown"
    if cost == 0:
        return "free"
    return "<$0.0001" if cost < 0.0001 else f"est. ${cost:.4f}"


def _bare(address: str) -> ModelInfo:
    """An entry for a model the catalog does not list (a pin the user typed)."""
    provider, _, model_id = address.partition("/")
    return ModelInfo(
        address=address, provider=provider, model_id=model_id, display_name=model_id, context=None, max_output=None,
        price=None, tags=(), params={}, source="unlisted",
    )


def _private_reasons(signals: Signals, state: RouterState) -> list[str]:
    reasons = []
    if state.locked:
        reasons.append("conversation locked")
    if "private" in signals.tags:
        reasons.append("tag #private")
    reasons += finding_reasons(signals.findings)  # 'AWS secret key, line 3', 'card number, line 2' ...
    return reasons
