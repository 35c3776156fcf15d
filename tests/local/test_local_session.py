"""The embedded model in a session: a private turn goes to it instead of being held, and
the conversation stays locked to it (the real model, joined into the session's cache)."""

from __future__ import annotations

import pytest

from mmchat.catalog import Catalog
from mmchat.config import Config, ModelConfig, Price, ProviderConfig
from mmchat.session.session import Session
from mmchat.store import Store

pytestmark = pytest.mark.local_model

EMBEDDED = "local/qwen2.5-coder-1.5b"
PRIVATE = "Here is my database password: Tr0ub4dor&3-Vault. In one word, what is this text about?"


def config(*providers: ProviderConfig) -> Config:
    models = {"cloud/big": ModelConfig("cloud/big", price=Price(input=3.0, output=15.0))}
    return Config(
        providers={p.name: p for p in providers},
        models={m: c for m, c in models.items() if m.split("/")[0] in {p.name for p in providers}},
        default_model=None,
    )


async def test_a_private_turn_goes_to_the_embedded_model_instead_of_being_held(
    tmp_path, model_cache, monkeypatch
):
    monkeypatch.setenv("MMCHAT_CACHE_DIR", str(model_cache))  # the file the session's tests joined
    monkeypatch.setenv("CLOUD_KEY", "sk-cloud-0123456789abcdef")
    local = ProviderConfig(name="local", type="local", base_url="", threads=2)
    cloud = ProviderConfig(name="cloud", type="openai", base_url="https://cloud.invalid/v1", api_key_env="CLOUD_KEY")
    with Store(tmp_path / "mmchat.db") as store:
        # Without the embedded model, the turn is held: nothing is stored or sent.
        held = Session(config(cloud), store, Catalog.build(config(cloud))).decide(PRIVATE, None, pin="cloud/big")
        assert held.private and held.model is None

        cfg = config(cloud, local)
        session = Session(cfg, store, Catalog.build(cfg))
        decision = session.decide(PRIVATE, None, pin="cloud/big")
        assert decision.private and decision.model == EMBEDDED
        assert session.needs_load(EMBEDDED)
        await session.prepare(EMBEDDED)
        assert not session.needs_load(EMBEDDED)
        answering = session.answer([decision], params={"max_tokens": 24})
        async for _ in answering:
            pass
        view = answering.views[0]
        await session.aclose()
        assert view.status == "complete" and view.text.strip()
        assert store.privacy_lock(view.conversation_id) == view.user_message_id
        stored = store.message(view.answer_id)
        assert (stored.model, stored.cost_usd) == (EMBEDDED, 0.0)
        assert stored.usage is not None and not stored.usage.estimated and stored.usage.input_tokens > 20
        # The next turn of this conversation, however harmless, stays on the machine.
        follow = session.decide("thanks! and what is 2 + 2?", view.conversation_id, pin="cloud/big")
        assert follow.model == EMBEDDED
