"""The one atomic-write helper: success replaces, a failure keeps the old file and leaves no
temporary, a full disk raises FileWriteError, and killed writes' leftovers are cleaned up."""

from __future__ import annotations

import errno
import os

import pytest
import torch

from spikevision import atomic_write
from spikevision.atomic_write import (
    TEMP_SUFFIX,
    atomic_directory,
    atomic_path,
    atomic_torch_save,
    atomic_write_bytes,
    remove_stale_temporaries,
)
from spikevision.errors import FileWriteError, SpikevisionError


def _leftovers(directory):
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(TEMP_SUFFIX) or ".tmp" in p.name)


def test_success_replaces_the_file(tmp_path):
    target = tmp_path / "sub" / "x.bin"  # the parent is created
    atomic_write_bytes(target, b"old")
    assert atomic_write_bytes(target, b"new") == target
    assert target.read_bytes() == b"new"
    assert _leftovers(target.parent) == []


def test_temporary_is_next_to_the_target_and_named_recognisably(tmp_path):
    target = tmp_path / "x.ckpt"
    with atomic_path(target) as tmp:
        assert tmp.parent == tmp_path and tmp.is_file()
        assert tmp.name.startswith(".x.ckpt.") and tmp.name.endswith(TEMP_SUFFIX)
        tmp.write_bytes(b"data")
        assert not target.exists()  # nothing visible until the body finishes
    assert target.read_bytes() == b"data"


def test_failure_mid_write_keeps_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "x.bin"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError, match="boom"), atomic_path(target) as tmp:
        tmp.write_bytes(b"half")
        raise RuntimeError("boom")
    assert target.read_bytes() == b"old"
    assert _leftovers(tmp_path) == []


def test_torch_save_round_trip_and_failure(tmp_path, monkeypatch):
    target = tmp_path / "w.pt"
    atomic_torch_save({"w": torch.ones(2)}, target)
    assert torch.equal(torch.load(target, weights_only=True)["w"], torch.ones(2))

    def broken_save(obj, f):
        with open(f, "wb") as fh:
            fh.write(b"partial")
        raise KeyboardInterrupt  # e.g. Ctrl-C mid-save: BaseException, still cleaned up

    monkeypatch.setattr(torch, "save", broken_save)
    with pytest.raises(KeyboardInterrupt):
        atomic_torch_save({"w": torch.zeros(2)}, target)
    assert torch.equal(torch.load(target, weights_only=True)["w"], torch.ones(2))
    assert _leftovers(tmp_path) == []


def test_disk_full_raises_one_clear_error_and_keeps_the_old_file(tmp_path, monkeypatch):
    target = tmp_path / "last.ckpt"
    atomic_torch_save({"step": 1}, target)

    def full_disk(obj, f):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(torch, "save", full_disk)
    with pytest.raises(FileWriteError) as info:
        atomic_torch_save({"step": 2}, target)
    err = info.value
    assert isinstance(err, SpikevisionError) and isinstance(err, OSError)
    assert err.errno == errno.ENOSPC and err.filename == str(target)
    assert str(target) in str(err) and os.strerror(errno.ENOSPC) in str(err)
    assert not str(err).startswith("[Errno")
    assert torch.load(target, weights_only=True) == {"step": 1}
    assert _leftovers(tmp_path) == []


def test_disk_full_during_fsync_or_rename_is_reported_too(tmp_path, monkeypatch):
    target = tmp_path / "x.bin"
    target.write_bytes(b"old")

    def no_space(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(atomic_write, "_fsync", no_space)
    with pytest.raises(FileWriteError, match="x.bin"):
        atomic_write_bytes(target, b"new")
    assert target.read_bytes() == b"old"
    assert _leftovers(tmp_path) == []


def test_other_os_errors_pass_through_unchanged(tmp_path, monkeypatch):
    def denied(obj, f):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(torch, "save", denied)
    with pytest.raises(PermissionError) as info:
        atomic_torch_save({}, tmp_path / "x.pt")
    assert not isinstance(info.value, FileWriteError)


def test_written_file_has_the_usual_permissions(tmp_path):
    umask = os.umask(0o022)
    try:
        target = atomic_write_bytes(tmp_path / "x.bin", b"x")
    finally:
        os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o644  # not mkstemp's 0o600


def test_atomic_directory_replaces_or_keeps(tmp_path):
    target = tmp_path / "dataset"
    with atomic_directory(target) as tmp:
        (tmp / "a.txt").write_text("v1")
    assert (target / "a.txt").read_text() == "v1"

    with pytest.raises(ValueError), atomic_directory(target) as tmp:
        (tmp / "a.txt").write_text("v2")
        raise ValueError("generator failed")
    assert (target / "a.txt").read_text() == "v1"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dataset"]

    with atomic_directory(target) as tmp:
        (tmp / "b.txt").write_text("v2")
    assert sorted(p.name for p in target.iterdir()) == ["b.txt"]  # old content gone, not merged
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dataset"]


def test_remove_stale_temporaries_deletes_only_leftovers(tmp_path):
    (tmp_path / "last.ckpt").write_bytes(b"good")
    (tmp_path / ".hidden.tmp").write_bytes(b"not ours")  # a user's file: left alone
    killed = tmp_path / f".last.ckpt.1a2b3c4d{TEMP_SUFFIX}"
    killed.write_bytes(b"half")
    killed_dir = tmp_path / f".data.tmp-abc{TEMP_SUFFIX}"
    killed_dir.mkdir()
    (killed_dir / "shard.npy").write_bytes(b"x")
    nested = tmp_path / "sub" / f".y.pt.00000000{TEMP_SUFFIX}"
    nested.parent.mkdir()
    nested.write_bytes(b"half")

    assert remove_stale_temporaries(tmp_path) == sorted([killed_dir, killed])
    assert sorted(p.name for p in tmp_path.iterdir()) == [".hidden.tmp", "last.ckpt", "sub"]
    assert nested.exists()  # not recursive by default
    assert remove_stale_temporaries(tmp_path, recursive=True) == [nested]
    assert remove_stale_temporaries(tmp_path / "missing") == []


def test_remove_stale_temporaries_keeps_recent_ones(tmp_path):
    fresh = tmp_path / f".x.0{TEMP_SUFFIX}"
    fresh.write_bytes(b"a concurrent writer's")
    assert remove_stale_temporaries(tmp_path, min_age_s=3600) == []
    assert fresh.exists()
    os.utime(fresh, (1_000_000, 1_000_000))
    assert remove_stale_temporaries(tmp_path, min_age_s=3600) == [fresh]
