"""The real `mmchat` command in a subprocess, against local wire-format servers."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from tests.cli_helpers import KEY, mmchat, write_config
from tests.servers.core import Script

def lab_config(home: Path, server) -> Path:
    return write_config(
        home,
        f"""\
providers:
  lab:
    type: openai
    base_url: {server.base_url}
    api_key_env: LAB_KEY
    timeouts: {{connect: 2, first_token: 2, idle: 2}}
    max_retries: 0
models:
  lab/small:
    context: 8192
    price: {{input: 1.0, output: 2.0}}
    tags: [fast]
default_model: lab/small
""",
    )


def test_ask_streams_the_answer_and_prints_a_summary(home, openai_server):
    config = lab_config(home, openai_server)
    done = mmchat(home, "ask", "hello", "there", config=config)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "You said: hello there\n"
    summary = done.stderr.strip().splitlines()[-1]
    assert summary.startswith("lab/small · ") and "TTFT" in summary and "conversation 1" in summary
    assert "~" not in summary  # the server reported usage
    assert openai_server.requests[-1].headers["authorization"] == f"Bearer {KEY}"


def test_ask_reads_the_prompt_from_stdin_and_continues(home, openai_server):
    config = lab_config(home, openai_server)
    assert mmchat(home, "ask", stdin="piped question\n", config=config).returncode == 0
    done = mmchat(home, "ask", "--continue", "follow-up", config=config)
    assert done.returncode == 0, done.stderr
    sent = [m["content"] for m in openai_server.requests[-1].json["messages"]]
    assert sent == ["piped question\n", "You said: piped question\n", "follow-up"]


def test_history_list_show_and_private_export(home, openai_server):
    config = lab_config(home, openai_server)
    mmchat(home, "ask", "remember this", config=config)
    listed = mmchat(home, "history", "list", config=config)
    assert listed.returncode == 0 and "remember this" in listed.stdout and "lab/small" in listed.stdout
    shown = mmchat(home, "history", "show", "1", config=config)
    assert "You said: remember this" in shown.stdout
    out = home / "conv.json"
    exported = mmchat(home, "history", "export", "1", "-f", "json", "-o", str(out), config=config)
    assert exported.returncode == 0, exported.stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    data = json.loads(out.read_text())
    assert [m["role"] for m in data["messages"]] == ["user", "assistant"]
    assert KEY not in out.read_text()
    assert stat.S_IMODE((home / "data" / "mmchat.db").stat().st_mode) == 0o600


def test_model_text_cannot_control_the_terminal(home, openai_server):
    openai_server.reply_text("safe\x1b[2J\x1b]52;c;aGk=\x07 [bold]x[/]", chunks=2)
    done = mmchat(home, "ask", "hi", config=lab_config(home, openai_server))
    assert "\x1b" not in done.stdout and "\x07" not in done.stdout
    assert "[bold]x[/]" in done.stdout


def test_a_provider_error_names_the_provider_and_hides_the_key(home, openai_server):
    openai_server.reply_error(401, f"Incorrect API key provided: {KEY}")
    done = mmchat(home, "ask", "hi", config=lab_config(home, openai_server))
    assert done.returncode == 1
    assert "lab" in done.stderr and "Traceback" not in done.stderr
    assert KEY not in done.stderr and KEY not in done.stdout
    # The user's message was kept.
    assert "hi" in mmchat(home, "history", "show", "1").stdout


def test_a_broken_config_names_file_line_and_key(home):
    config = write_config(home, "providers:\n  lab:\n    type: openai\n    base_ulr: http://x\n")
    done = mmchat(home, "config", "check", config=config)
    assert done.returncode == 2
    line = done.stderr.strip()
    assert "\n" not in line and "Traceback" not in line
    assert f"{config}:4" in line and "base_ulr" in line and "base_url" in line


def test_unknown_model_and_missing_prompt_are_usage_errors(home, openai_server):
    config = lab_config(home, openai_server)
    unknown = mmchat(home, "ask", "-m", "nowhere/model", "hi", config=config)
    assert unknown.returncode == 2 and "nowhere" in unknown.stderr
    empty = mmchat(home, "ask", config=config)
    assert empty.returncode == 2 and "no prompt" in empty.stderr
    assert len(openai_server.requests) == 0


def test_models_lists_the_catalog_and_checks_reachability(home, openai_server):
    config = lab_config(home, openai_server)
    listed = mmchat(home, "models", config=config)
    assert listed.returncode == 0
    row = next(line for line in listed.stdout.splitlines() if line.startswith("lab/small"))
    assert "8,192" in row and "fast" in row and "not checked" in row
    checked = mmchat(home, "models", "--check", config=config)
    row = next(line for line in checked.stdout.splitlines() if line.startswith("lab/small"))
    assert row.rstrip().endswith("yes")


def test_keys_without_a_keyring_backend_say_so_in_one_line(home, openai_server):
    config = lab_config(home, openai_server)
    done = mmchat(home, "keys", "set", "lab", stdin="sk-new\n", config=config)
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
    assert "environment variable" in done.stderr or "env" in done.stderr
    listed = mmchat(home, "keys", "list", config=config)
    assert listed.returncode == 0 and "lab: env LAB_KEY" in listed.stdout and KEY not in listed.stdout


def test_interrupted_stream_is_kept_and_marked(home, openai_server):
    openai_server.enqueue(Script(200, dict(openai_server.stream_headers), [*openai_server.opening("half an ans")]))
    done = mmchat(home, "ask", "hi", config=lab_config(home, openai_server))
    assert done.returncode == 1
    assert done.stdout.startswith("half an ans")
    assert "interrupted" in done.stderr
    assert "kept, marked interrupted (conversation 1)" in done.stderr  # where to find it
    assert "mmchat ask --conversation 1 --again next" in done.stderr  # and how to answer it again
    exported = json.loads(mmchat(home, "history", "export", "1", "-f", "json").stdout)
    assert exported["messages"][-1]["status"] == "interrupted"


def test_listed_models_are_cached_for_later_runs(home, openai_server):
    config = lab_config(home, openai_server)
    before = mmchat(home, "models", config=config).stdout
    served = openai_server.models[0]
    assert f"lab/{served}" not in before
    mmchat(home, "models", "--check", config=config)
    requests = len(openai_server.requests)
    after = mmchat(home, "models", config=config).stdout
    assert f"lab/{served}" in after
    assert len(openai_server.requests) == requests  # served from the cache


def test_a_corrupt_database_is_one_clear_line(home, openai_server):
    (home / "data" / "mmchat.db").write_bytes(b"this is not a database" * 100)
    done = mmchat(home, "history", "list", config=lab_config(home, openai_server))
    assert done.returncode == 2
    assert "mmchat.db" in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_an_internal_error_is_reported_without_the_key(capsys, monkeypatch):
    from mmchat import cli, keys

    keys.register_secret("sk-internal-0123456789abcdef")
    monkeypatch.setenv("MMCHAT_DEBUG", "1")
    try:
        raise RuntimeError("boom with sk-internal-0123456789abcdef")
    except RuntimeError as exc:
        assert cli._internal_error(exc) == 1
    err = capsys.readouterr().err
    assert "internal error: RuntimeError: boom with ***" in err
    assert "Traceback" in err and "0123456789abcdef" not in err


def test_half_a_surrogate_pair_in_model_text_is_shown_and_stored_as_a_replacement(home, openai_server):
    openai_server.reply_text("smile \ud83d please", chunks=2)  # a server's broken \\ud83d escape
    config = lab_config(home, openai_server)
    done = mmchat(home, "ask", "hi", config=config)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "smile \ufffd please\n"
    exported = mmchat(home, "history", "export", "1", "-f", "json", config=config).stdout
    assert json.loads(exported)["messages"][-1]["content"] == "smile \ufffd please"


def test_bidirectional_controls_in_model_text_are_shown_as_markers(home, openai_server):
    disguised = 'if user == "guest\u202e \u2066// admin\u2069 \u2066":'  # Trojan Source
    openai_server.reply_text(disguised, chunks=3)
    config = lab_config(home, openai_server)
    done = mmchat(home, "ask", "hi", config=config)
    assert done.returncode == 0, done.stderr
    assert done.stdout == 'if user == "guest<U+202E> <U+2066>// admin<U+2069> <U+2066>":\n'
    shown = mmchat(home, "history", "show", "1", config=config).stdout
    assert "guest<U+202E> <U+2066>// admin<U+2069>" in shown and "\u202e" not in shown
    exported = mmchat(home, "history", "export", "1", "-f", "json", config=config).stdout
    assert "\u202e" not in exported and "\\u202e" in exported  # escaped: still the same data
    assert json.loads(exported)["messages"][-1]["content"] == disguised  # stored as it came
