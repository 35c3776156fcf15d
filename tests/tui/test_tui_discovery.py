"""Local servers found at start-up: their chat models join the picker, tagged local, with the
context the server really takes, so a prompt longer than it is refused before it is sent."""

from __future__ import annotations

from mmchat.config import Discovery
from tests.servers.local import OllamaLocalServer, OllamaModel
from tests.tui.conftest import make_app, until
from tests.tui.test_tui_chat import send

MODELS = [
    OllamaModel("llama3.2:latest", num_ctx=2048),
    OllamaModel("nomic-embed-text:latest", family="nomic-bert", capabilities=("embedding",)),
]


async def test_an_ollama_found_at_start_up_joins_the_models_and_answers(store, openai_server):
    with OllamaLocalServer(MODELS) as ollama:
        app = make_app(
            store, [openai_server.config("lab")], default_model="lab/gpt-4o-mini",
            discovery=Discovery(ports=(ollama.port,), timeout=5.0),  # a loaded machine answers late
        )
        async with app.run_test(size=(130, 40)) as pilot:
            service = app.service
            await until(pilot, lambda: service.model_info("ollama/llama3.2:latest") is not None
                        and "ollama/llama3.2:latest" in [m.address for m in service.models()])
            found = service.model_info("ollama/llama3.2:latest")
            assert found is not None and (found.context, found.tags) == (2048, ("local",))
            assert "ollama/nomic-embed-text:latest" not in [m.address for m in service.models()]
            notes = [n.message for n in app._notifications]
            assert any(n.startswith(f"found ollama at http://127.0.0.1:{ollama.port}: 1 chat model") for n in notes)

            await send(pilot, "/model ollama/llama3.2:latest")
            await send(pilot, "hello ollama")
            await until(pilot, lambda: not app.screen.turn_running and service.conversation_id is not None)
            assert service.messages()[-1].content == "You said: hello ollama"

            # Longer than the 2,048 tokens the server takes: said before anything is sent.
            chats = len([r for r in ollama.requests if r.path == "/api/chat"])
            await send(pilot, "word " * 3000)
            await until(pilot, lambda: not app.screen.turn_running and service.messages()[-1].status == "error")
            assert "context window" in (service.messages()[-1].error or "")
            assert len([r for r in ollama.requests if r.path == "/api/chat"]) == chats


async def test_discovery_switched_off_probes_nothing(store, openai_server):
    with OllamaLocalServer(MODELS) as ollama:
        app = make_app(
            store, [openai_server.config("lab")], default_model="lab/gpt-4o-mini",
            discovery=Discovery(enabled=False, ports=(ollama.port,)),
        )
        async with app.run_test(size=(130, 40)) as pilot:
            await send(pilot, "hi")
            await until(pilot, lambda: not app.screen.turn_running and app.service.conversation_id is not None)
            assert ollama.requests == []
            assert app.service.model_info("ollama/llama3.2:latest") is None
