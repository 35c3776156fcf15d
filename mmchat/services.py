"""The public services mmchat knows by name: the one table of their URLs and key variables.

A service is a well-known endpoint of a provider type (OpenRouter and Groq speak
the OpenAI protocol). The table decides three things: the defaults of a provider
named like a service (`providers: {groq: {}}`), which providers the environment
configures on its own (a service's key variable is set), and when a
conventional variable such as OPENAI_API_KEY may be sent (`known_service`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from mmchat.config import ProviderConfig


@dataclass(frozen=True)
class KnownService:
    name: str
    type: str  # the provider type (wire protocol) it speaks
    base_url: str
    env_vars: tuple[str, ...]  # conventional variables, first found wins


KNOWN_SERVICES: dict[str, KnownService] = {
    s.name: s
    for s in (
        KnownService("openai", "openai", "https://api.openai.com/v1", ("OPENAI_API_KEY",)),
        KnownService("anthropic", "anthropic", "https://api.anthropic.com", ("ANTHROPIC_API_KEY",)),
        KnownService(
            "gemini",
            "gemini",
            "https://generativelanguage.googleapis.com/v1beta",
            ("GEMINI_API_KEY", "GOOGLE_API_KEY"),
        ),
        KnownService("openrouter", "openai", "https://openrouter.ai/api/v1", ("OPENROUTER_API_KEY",)),
        KnownService("groq", "openai", "https://api.groq.com/openai/v1", ("GROQ_API_KEY",)),
    )
}


def known_service(provider: ProviderConfig) -> KnownService | None:
    """The service `provider` talks to when it speaks that service's protocol to its
    official https host, else None.

    This is the one rule deciding when a conventional variable such as
    OPENAI_API_KEY may be used: a key only ever goes to the service it belongs
    to, so a custom base_url never receives it unless api_key_env says so.
    """
    parts = urlsplit(provider.base_url)
    for service in KNOWN_SERVICES.values():
        official = urlsplit(service.base_url)
        if (
            provider.type == service.type
            and parts.scheme == "https"
            and (parts.hostname or "").lower() == official.hostname
            and parts.port in (None, 443)
        ):
            return service
    return None
