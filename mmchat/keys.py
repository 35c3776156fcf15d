"""API keys: where they come from, and keeping them out of everything printed.

A key is looked up, in order, from the variable the config names
(`api_key_env`), the provider's conventional variable (only when the provider
really is that service: `mmchat.services.known_service`), the system keyring,
and last `api_key_cmd`. Keys are never read from or written to config files.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from mmchat.services import KNOWN_SERVICES, known_service

if TYPE_CHECKING:
    from mmchat.config import ProviderConfig

KEYRING_SERVICE = "mmchat"
KEYRING_TIMEOUT = 3.0  # seconds; a D-Bus Secret Service can block forever
KEY_CMD_TIMEOUT = 10.0

T = TypeVar("T")


class KeyringUnavailable(Exception):
    """No usable system keyring: the message says how to use a variable instead."""


class KeyCommandError(LookupError):
    """`api_key_cmd` failed; names the provider, never the command's output."""


def key_env_names(provider: ProviderConfig) -> tuple[str, ...]:
    """The variables `resolve_key` reads for `provider`, in order."""
    names: list[str] = [provider.api_key_env] if provider.api_key_env else []
    service = known_service(provider)
    if service is not None:
        names += [n for n in service.env_vars if n not in names]
    return tuple(names)


def _from_env(provider: ProviderConfig, env: Mapping[str, str]) -> tuple[str, str] | None:
    for name in key_env_names(provider):
        value = env.get(name, "").strip()
        if value:
            return name, value
    return None


def resolve_key(provider: ProviderConfig, env: Mapping[str, str] = os.environ) -> str | None:
    """The provider's API key, or None when it has none (fine for local servers).

    A key found is registered for redaction.
    """
    found = _from_env(provider, env)
    key = found[1] if found is not None else _keyring.get(provider.name)
    if not key and provider.api_key_cmd:
        key = _run_key_cmd(provider)
    if key:
        register_secret(key)
    return key or None


def key_source(provider: ProviderConfig, env: Mapping[str, str] = os.environ) -> str:
    """Where the key would come from: 'env NAME' | 'keyring' | 'command' | 'none'. Never the key."""
    found = _from_env(provider, env)
    if found is not None:
        return f"env {found[0]}"
    if _keyring.get(provider.name):
        return "keyring"
    if provider.api_key_cmd:
        return "command"
    return "none"


def _run_key_cmd(provider: ProviderConfig) -> str:
    failed = f"provider '{provider.name}': api_key_cmd"
    try:
        # A session of its own, so that a timeout ends the whole command, children included.
        process = subprocess.Popen(
            provider.api_key_cmd or "",
            shell=True,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            start_new_session=True,
        )
    except OSError as exc:
        raise KeyCommandError(f"{failed} could not start: {exc.strerror}") from None
    try:
        stdout, _ = process.communicate(timeout=KEY_CMD_TIMEOUT)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise KeyCommandError(f"{failed} gave no answer within {KEY_CMD_TIMEOUT:g} s") from None
    if process.returncode != 0:
        raise KeyCommandError(f"{failed} failed with exit status {process.returncode}; run it yourself to see why")
    key = stdout.strip()
    if not key:
        raise KeyCommandError(f"{failed} printed nothing; it must print the key on stdout")
    return key


# --- the system keyring --------------------------------------------------


def _env_hint(provider_name: str) -> str:
    service = KNOWN_SERVICES.get(provider_name)
    var = service.env_vars[0] if service else f"{re.sub(r'[^A-Za-z0-9]', '_', provider_name).upper()}_API_KEY"
    hint = f"export {var}=... instead"
    return hint if service else f"{hint} and set api_key_env: {var} for provider '{provider_name}'"


class Keyring:
    """The system keyring behind a time limit.

    Every call runs in a daemon thread; one that does not answer within
    `timeout` seconds marks the keyring unusable for the rest of the process.
    """

    def __init__(self, timeout: float = KEYRING_TIMEOUT) -> None:
        self.timeout = timeout
        self._problem: str | None = None

    def _call(self, action: Callable[[Any], T]) -> T:
        """Run `action(backend)`; raise KeyringUnavailable (message: why) when it cannot."""
        if self._problem is not None:
            raise KeyringUnavailable(self._problem)
        outcome: dict[str, Any] = {}

        def work() -> None:
            try:
                import keyring
                from keyring.backends import fail

                backend = keyring.get_keyring()
                if isinstance(backend, fail.Keyring):
                    outcome["error"] = "no system keyring is installed or unlocked"
                    return
                outcome["value"] = action(backend)
            except Exception as exc:  # keyring backends raise many kinds
                outcome["error"] = f"the keyring failed ({type(exc).__name__})"

        thread = threading.Thread(target=work, name="mmchat-keyring", daemon=True)
        thread.start()
        thread.join(self.timeout)
        if thread.is_alive():
            self._problem = f"the keyring did not answer within {self.timeout:g} s"
            raise KeyringUnavailable(self._problem)
        if "error" in outcome:
            raise KeyringUnavailable(outcome["error"])
        return outcome["value"]

    def get(self, provider_name: str) -> str | None:
        """The stored key, or None when there is none or no usable keyring."""
        try:
            return self._call(lambda kr: kr.get_password(KEYRING_SERVICE, provider_name)) or None
        except KeyringUnavailable:
            return None

    def stored(self, provider_names: Iterable[str]) -> set[str]:
        """Which of `provider_names` have a key in the keyring (one bounded call for all)."""
        names = list(provider_names)
        try:
            return self._call(lambda kr: {n for n in names if kr.get_password(KEYRING_SERVICE, n)})
        except KeyringUnavailable:
            return set()

    def set(self, provider_name: str, key: str) -> None:
        try:
            self._call(lambda kr: kr.set_password(KEYRING_SERVICE, provider_name, key))
        except KeyringUnavailable as exc:
            raise KeyringUnavailable(f"cannot store the key: {exc}; {_env_hint(provider_name)}") from None

    def delete(self, provider_name: str) -> None:
        def remove(kr: Any) -> None:
            from keyring.errors import PasswordDeleteError

            try:
                kr.delete_password(KEYRING_SERVICE, provider_name)
            except PasswordDeleteError:
                pass  # nothing stored: already the wanted state

        try:
            self._call(remove)
        except KeyringUnavailable as exc:
            raise KeyringUnavailable(f"cannot delete the key: {exc}") from None

    def status(self) -> tuple[bool, str]:
        def describe(kr: Any) -> str:
            return f"{type(kr).__module__}.{type(kr).__name__}"

        try:
            return True, f"usable ({self._call(describe)})"
        except KeyringUnavailable as exc:
            return False, f"not usable: {exc}; use environment variables (api_key_env) or api_key_cmd"


_keyring = Keyring()


def set_key(provider_name: str, key: str) -> None:
    _keyring.set(provider_name, key)


def delete_key(provider_name: str) -> None:
    _keyring.delete(provider_name)


def keyring_status() -> tuple[bool, str]:
    """(usable?, one line explaining)."""
    return _keyring.status()


def stored_providers(provider_names: Iterable[str]) -> set[str]:
    return _keyring.stored(provider_names)


# --- redaction -----------------------------------------------------------

MIN_SECRET_LENGTH = 6  # shorter strings would blank out ordinary words

_secrets: set[str] = set()
_secrets_lock = threading.Lock()

_KEY_SHAPES = re.compile(
    r"\bsk-ant-[A-Za-z0-9_\-]{8,}"
    r"|\bsk-[A-Za-z0-9_\-]{16,}"
    r"|\bAIza[0-9A-Za-z_\-]{30,}"
    r"|\bgsk_[A-Za-z0-9]{16,}"
    r"|(?i:(?<=bearer ))[A-Za-z0-9._~+/\-]{8,}=*"
    r"|(?i:(?<=[?&]key=))[^&\s\"']+"
    r"|(?i:(?<=x-api-key: )|(?<=x-goog-api-key: ))[^\s\"',}]+"
)


def register_secret(value: str) -> None:
    """Remember `value` so that `redact` hides it wherever it appears."""
    value = value.strip()
    if len(value) >= MIN_SECRET_LENGTH:
        with _secrets_lock:
            _secrets.add(value)


def redact(text: str) -> str:
    """`text` with every registered secret and anything shaped like an API key replaced by '***'."""
    with _secrets_lock:
        secrets = sorted(_secrets, key=len, reverse=True)
    for secret in secrets:
        text = text.replace(secret, "***")
    return _KEY_SHAPES.sub("***", text)
