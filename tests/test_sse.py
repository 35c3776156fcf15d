"""The SSE and NDJSON decoders, alone and under a provider over a real socket."""

from __future__ import annotations

import pytest

from mmchat.providers import build_provider
from mmchat.providers import Provider
from mmchat.providers.sse import NDJSONDecoder, SSEDecoder, SSEEvent
from tests.servers import OpenAIServer
from tests.servers.client import ask, collect, text_of
from tests.servers.openai import DONE, chunk


def decode(*chunks: bytes) -> list[SSEEvent]:
    decoder = SSEDecoder()
    return [event for c in chunks for event in decoder.feed(c)]


def test_lf_crlf_and_cr_line_endings_give_the_same_events() -> None:
    expected = [SSEEvent("message", "a"), SSEEvent("message", "b")]
    assert decode(b"data: a\n\ndata: b\n\n") == expected
    assert decode(b"data: a\r\n\r\ndata: b\r\n\r\n") == expected
    assert decode(b"data: a\r\rdata: b\r\r") == expected


def test_crlf_split_between_chunks_is_one_line_ending() -> None:
    # A CR ending one chunk and the LF starting the next must not make a blank line.
    assert decode(b"data: a\r", b"\ndata: b\r\n\r\n") == [SSEEvent("message", "a\nb")]


def test_bytes_fed_one_at_a_time_decode_like_the_whole() -> None:
    stream = "event: delta\r\ndata: é✓\r\n\r\n: ping\n\ndata: x\rdata: y\r\r".encode()
    whole = decode(stream)
    assert decode(*(stream[i : i + 1] for i in range(len(stream)))) == whole
    assert whole == [SSEEvent("delta", "é✓"), SSEEvent("message", "x\ny")]


def test_comments_and_keep_alives_are_ignored() -> None:
    assert decode(b": keep-alive\n\n:\n\ndata: x\n: comment inside\n\n") == [SSEEvent("message", "x")]


def test_multi_line_data_is_joined_with_newlines() -> None:
    assert decode(b'data: {"a":\ndata: 1}\n\n') == [SSEEvent("message", '{"a":\n1}')]


def test_event_field_names_the_event_and_resets_after_dispatch() -> None:
    events = decode(b"event: message_start\ndata: 1\n\ndata: 2\n\n")
    assert [(e.event, e.data) for e in events] == [("message_start", "1"), ("message", "2")]


def test_one_event_chunks_after_split_fields_keep_their_type_and_id() -> None:
    # Chunks that are exactly one `data:` event take a fast path; fields sent
    # in earlier chunks must still apply to them, and only to them.
    events = decode(b"event: delta\nid: 7\n", b"data: one\n\n", b"data: two\n\n", b"data: a\n", b"data: b\n\n")
    assert events == [
        SSEEvent("delta", "one", "7"), SSEEvent("message", "two", "7"), SSEEvent("message", "a\nb", "7")
    ]


def test_field_without_colon_and_value_without_space() -> None:
    # "data" alone is a data field with an empty value; "data:x" has no leading space to strip.
    assert decode(b"data\ndata:x\n\n") == [SSEEvent("message", "\nx")]


def test_event_without_data_is_not_dispatched_and_unknown_fields_ignored() -> None:
    assert decode(b"event: ping\n\nretry: 100\nfoo: bar\n\n") == []


def test_id_persists_across_events() -> None:
    events = decode(b"id: 7\ndata: a\n\ndata: b\n\n")
    assert [e.id for e in events] == ["7", "7"]


def test_incomplete_event_at_end_is_not_dispatched() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: complete\n\ndata: partial\n") == [SSEEvent("message", "complete")]


def test_ndjson_lines_blank_lines_and_split_objects() -> None:
    decoder = NDJSONDecoder()
    assert decoder.feed(b'{"a": 1}\n\n{"b"') == [{"a": 1}]
    assert decoder.feed(b": 2}\r\n") == [{"b": 2}]
    assert decoder.feed(b'{"c": 3}') == []
    assert decoder.close() == [{"c": 3}]


def test_ndjson_malformed_line_raises() -> None:
    with pytest.raises(ValueError):
        NDJSONDecoder().feed(b"{oops\n")


# ---- the same details over a real socket, through the OpenAI provider ----


def openai_server_provider(server: OpenAIServer) -> Provider:
    return build_provider(server.config(), "sk-test")


ANSWER = [chunk(role=True), chunk(content="Hello"), chunk(content=" world"), chunk(finish="stop")]


def _with_endings(events: list[bytes], ending: bytes) -> list[bytes]:
    return [e.replace(b"\n", ending) for e in events]


@pytest.mark.parametrize("ending", [b"\n", b"\r\n", b"\r"], ids=["LF", "CRLF", "CR"])
async def test_provider_reads_each_line_ending(openai_server: OpenAIServer, ending: bytes) -> None:
    openai_server.enqueue(openai_server.stream_script(_with_endings([*ANSWER, DONE], ending)))
    provider = openai_server_provider(openai_server)
    events = await collect(provider, ask())
    assert text_of(events) == "Hello world"
    await provider.aclose()


async def test_provider_reads_a_stream_written_byte_by_byte(openai_server: OpenAIServer) -> None:
    body = b"".join([*_with_endings(ANSWER, b"\r\n"), DONE])
    openai_server.enqueue(openai_server.stream_script([body[i : i + 1] for i in range(len(body))]))
    provider = openai_server_provider(openai_server)
    assert text_of(await collect(provider, ask())) == "Hello world"
    await provider.aclose()


async def test_provider_skips_comments_keep_alives_and_joins_multi_line_data(
    openai_server: OpenAIServer
) -> None:
    steps = [
        b": OPENROUTER PROCESSING\n\n",
        chunk(role=True),
        b"\n\n",
        b'data: {"choices":[{"index":0,\ndata: "delta":{"content":"two lines"},"finish_reason":null}]}\n\n',
        b":\n\n",
        chunk(finish="stop"),
        DONE,
    ]
    openai_server.enqueue(openai_server.stream_script(steps))
    provider = openai_server_provider(openai_server)
    assert text_of(await collect(provider, ask())) == "two lines"
    await provider.aclose()
