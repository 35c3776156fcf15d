"""Auto-route: which model takes a turn, decided locally and explained. No I/O.

    rules = load_routing(config, catalog.models())          # at startup (raises ConfigError)
    router = Router(catalog.models(), rules)                # again whenever the catalog changes
    decision = router.decide(Turn(prompt), Conversation(history), stats, state,
                             count=lambda text: count_text(text).tokens, health=breaker.open_providers())
    decision.model, decision.fallbacks, decision.line(), decision.to_dict()
"""

from mmchat.routing.breaker import CircuitBreaker
from mmchat.routing.decision import Candidate, Decision, Rejected
from mmchat.routing.inputs import Attachment, Conversation, ModelStats, RouterState, Turn
from mmchat.routing.load import builtin_rules, load_routing, parse_routing, parse_routing_text
from mmchat.routing.router import Router, decide
from mmchat.routing.rules import RuleSet
from mmchat.routing.signals import Signals, approx_tokens, compute_signals

__all__ = [
    "Attachment", "Candidate", "CircuitBreaker", "Conversation", "Decision", "ModelStats", "Rejected",
    "Router", "RouterState", "RuleSet", "Signals", "Turn", "approx_tokens", "builtin_rules", "compute_signals", "decide",
    "load_routing", "parse_routing", "parse_routing_text",
]
