"""What the interface may ask of the rest of mmchat: models, turns, totals.

Widgets never touch the network or SQLite; they call this object, which
owns the engine (built on the first turn, so start-up imports no provider
code) and reads the store.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from mmchat.catalog import Catalog, ModelInfo, UnknownModel
from mmchat.config import Config
from mmchat.store import ModelTotals, Store, StoredMessage

if TYPE_CHECKING:
    from mmchat.engine import Engine
    from mmchat.events import EngineEvent


class ChatService:
    def __init__(
        self, config: Config, store: Store, catalog: Catalog | None = None, *, engine: Engine | None = None
    ) -> None:
        self.config = config
        self.store = store
        self.catalog = catalog or (engine.catalog if engine else Catalog.build(config))
        self.conversation_id: int | None = None
        self.model: str | None = config.default_model
        self._engine = engine

    @property
    def has_providers(self) -> bool:
        return bool(self.config.providers)

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            from mmchat.engine import Engine

            self._engine = Engine(self.config, self.store, self.catalog)
        return self._engine

    def models(self) -> list[ModelInfo]:
        """Every model of the catalog, plus the current one if it is not listed."""
        models = self.catalog.models()
        if self.model and all(m.address != self.model for m in models):
            current = self.model_info()
            if current is not None:
                models.append(current)
        return models

    def model_info(self, address: str | None = None) -> ModelInfo | None:
        address = address or self.model
        if not address:
            return None
        try:
            return self.catalog.resolve(address)
        except UnknownModel:
            return None

    def warm_up(self) -> None:
        """Import and load what the first turn needs (run it off the UI thread)."""
        info = self.model_info()
        if info is None:
            return
        import importlib

        from mmchat.tokens import count_text

        importlib.import_module("mmchat.engine")
        provider = self.config.providers.get(info.provider)
        if provider is not None:
            importlib.import_module(f"mmchat.providers.{provider.type}")
        count_text("warm up", info.address)

    def pin(self, address: str) -> ModelInfo:
        """Use `address` for the next turns; raises UnknownModel (one line) if no provider serves it."""
        info = self.catalog.resolve(address)
        self.model = info.address
        return info

    async def turn(self, prompt: str) -> AsyncIterator[EngineEvent]:
        async for event in self.engine.turn(prompt, model=self.model, conversation_id=self.conversation_id):
            if self.conversation_id is None and hasattr(event, "conversation_id"):
                self.conversation_id = event.conversation_id
            yield event

    def new_conversation(self) -> None:
        self.conversation_id = None

    def messages(self) -> list[StoredMessage]:
        if self.conversation_id is None:
            return []
        return self.store.path(self.conversation_id)

    def message(self, message_id: int) -> StoredMessage:
        return self.store.message(message_id)

    def totals(self) -> list[ModelTotals]:
        if self.conversation_id is None:
            return []
        return self.store.totals_by_model(self.conversation_id)

    async def aclose(self) -> None:
        if self._engine is not None:
            await self._engine.aclose()
