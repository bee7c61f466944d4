"""Faults under DDP (issue 10): 2-process CPU/gloo runs of ``main.py`` (Lightning launches the
second rank), each with a timeout, so a hang fails the test instead of stalling the suite.

- SIGUSR1 to one rank: every rank saves the same step into ``last.ckpt``, training goes on, and
  ``-r`` resumes from that save after the job is killed;
- SIGTERM to the launcher: ``last.ckpt`` saved on every rank at one step, non-zero exit, no rank
  left running;
- an exception on one rank: the job ends non-zero well within the timeout and the newest
  checkpoint is intact.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import types
from pathlib import Path

import pytest
import torch
import torch.distributed as dist

from spikevision.atomic_write import TEMP_SUFFIX

REPO = Path(__file__).resolve().parents[1]
TINY = str(REPO / "tests" / "configs" / "tiny_recon.yaml")
HANG = 240  # s; a healthy 2-rank run of TINY takes ~25 s on 2 idle cores
GONE = 30  # s the other rank may take to notice its peer is gone and exit

needs_gloo = pytest.mark.skipif(
    not (dist.is_available() and dist.is_gloo_available()) or sys.platform == "win32",
    reason="needs torch.distributed with the gloo backend and POSIX signals")


def _ddp(tmp_path: Path, *args: str) -> tuple[int, str]:
    """Run ``main.py`` as a 2-process CPU DDP job in its own process group; fail if it (or the
    rank it launched) is still running after ``HANG`` (+ ``GONE``) seconds."""
    env = {**os.environ, "OMP_NUM_THREADS": "1",
           "PYTHONPATH": os.pathsep.join([str(REPO / "src"), str(REPO / "tests")])}
    env.pop("SPIKEVISION_RUN_DIR", None)
    cmd = [sys.executable, str(REPO / "main.py"), *args]
    out = tmp_path / f"out-{time.monotonic_ns()}.txt"
    with out.open("w") as fh:
        proc = subprocess.Popen(cmd, cwd=tmp_path, env=env, stdout=fh, stderr=subprocess.STDOUT,
                                start_new_session=True)
        try:
            rc = proc.wait(timeout=HANG)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            pytest.fail(f"DDP run hung (> {HANG} s): {out.read_text()[-3000:]}")
        deadline = time.monotonic() + GONE
        while True:  # Lightning's children share the launcher's process group
            try:
                os.killpg(proc.pid, 0)
            except ProcessLookupError:
                break
            if time.monotonic() > deadline:
                os.killpg(proc.pid, signal.SIGKILL)
                pytest.fail(f"a rank was still running {GONE} s after the launcher exited")
            time.sleep(0.2)
    return rc, out.read_text()


def _train_args(logs: Path, name: str, rec: Path, rank: int, at: int, action: str, *extra: str) -> list[str]:
    fault = (f"lightning.callbacks.fault={{target: rank_faults.RankFault, params: "
             f"{{path: '{rec}', rank: {rank}, at: {at}, action: {action}}}}}")
    return ["--base", TINY, "-l", str(logs), "-n", name, "--no-test", "lightning.trainer.strategy=ddp",
            "lightning.trainer.devices=2", "lightning.callbacks.image_logger=null", fault, *extra]


def _events(rec: Path, rank: int) -> list[str]:
    path = Path(f"{rec}.rank{rank}")
    return path.read_text().split("\n")[:-1] if path.exists() else []


def _checkpoint(path: Path) -> dict:
    return torch.load(path, map_location="cpu", weights_only=True)


def _checkpoints(run_dir: Path) -> list[str]:
    return sorted(p.name for p in (run_dir / "checkpoints").iterdir())


@pytest.mark.slow
@needs_gloo
def test_sigusr1_to_one_rank_saves_the_same_step_on_every_rank_and_resume_continues(tmp_path):
    rec, logs = tmp_path / "events", tmp_path / "logs"
    # batch 4: 4 batches per rank and epoch, so no periodic save before step 4. SIGUSR1 reaches
    # rank 1 only (not the one that writes files) during step 0; the launcher is killed at step 2.
    kill = ("lightning.callbacks.kill={target: rank_faults.RankFault, params: "
            "{path: '', rank: 0, at: 2, action: SIGKILL, record: false}}")
    rc, out = _ddp(tmp_path, *_train_args(logs, "usr1", rec, 1, 0, "SIGUSR1", kill, "data.params.batch_size=4",
                                          "lightning.trainer.max_steps=3"))
    assert rc == -signal.SIGKILL, out[-3000:]
    # both ranks took part in one save, at step 1, and went on training
    assert _events(rec, 0) == _events(rec, 1) == ["step 0", "save 1", "step 1", "step 2"], out[-3000:]
    (run_dir,) = logs.iterdir()
    assert _checkpoints(run_dir) == ["last.ckpt"]
    assert _checkpoint(run_dir / "checkpoints" / "last.ckpt")["global_step"] == 1

    for rank in (0, 1):
        Path(f"{rec}.rank{rank}").unlink()
    rc, out = _ddp(tmp_path, "-r", str(run_dir), "--no-test", "lightning.callbacks.kill=null",
                   "lightning.callbacks.fault.params.at=-1")
    assert rc == 0, out[-3000:]
    steps = [e for e in _events(rec, 0) if e.startswith("step")]
    assert steps == [e for e in _events(rec, 1) if e.startswith("step")] == ["step 1", "step 2"]
    assert _checkpoint(run_dir / "checkpoints" / "last.ckpt")["global_step"] == 3


@pytest.mark.slow
@needs_gloo
def test_sigterm_to_the_launcher_saves_on_every_rank_and_exits_nonzero(tmp_path):
    rec, logs = tmp_path / "events", tmp_path / "logs"
    # what `kill <pid>` of the job does: SIGTERM to rank 0 only, during step 1 (of 6)
    rc, out = _ddp(tmp_path, *_train_args(logs, "term", rec, 0, 1, "SIGTERM", "lightning.trainer.max_steps=6"))
    # 143 from the CLI; -9 if Lightning's launcher saw the other rank exit (143) first and killed it
    assert rc in (143, -signal.SIGKILL), out[-3000:]
    assert _events(rec, 0) == _events(rec, 1) == ["step 0", "step 1", "save 2"], out[-3000:]
    (run_dir,) = logs.iterdir()
    assert _checkpoints(run_dir) == ["last.ckpt"]  # no temp file, no last-v1
    assert _checkpoint(run_dir / "checkpoints" / "last.ckpt")["global_step"] == 2


@pytest.mark.slow
@needs_gloo
def test_an_exception_on_one_rank_ends_the_job_and_keeps_the_newest_checkpoint(tmp_path):
    rec, logs = tmp_path / "events", tmp_path / "logs"
    # batch 8: 2 batches per rank and epoch, the end-of-epoch save at step 2; rank 1 fails at step 3
    started = time.monotonic()
    rc, out = _ddp(tmp_path, *_train_args(logs, "crash", rec, 1, 3, "raise", "lightning.trainer.max_steps=6"))
    assert rc != 0, out[-3000:]
    assert "injected failure on rank 1 at step 3" in out
    assert time.monotonic() - started < HANG
    assert _events(rec, 1)[-1] == "step 3"
    (run_dir,) = logs.iterdir()
    ckptdir = run_dir / "checkpoints"
    assert not list(ckptdir.glob(f"*{TEMP_SUFFIX}"))
    last = _checkpoint(ckptdir / "last.ckpt")
    assert last["global_step"] == 2
    assert all(bool(torch.isfinite(v).all()) for v in last["state_dict"].values() if v.is_floating_point())


def _stub_trainer(world_size: int, step: int, procs: list) -> types.SimpleNamespace:
    launcher = types.SimpleNamespace(procs=procs, killed=[])
    launcher.kill = launcher.killed.append
    saved: list[Path] = []
    return types.SimpleNamespace(world_size=world_size, global_step=step, saved=saved,
                                 save_checkpoint=lambda path, weights_only=None: saved.append(path),
                                 strategy=types.SimpleNamespace(launcher=launcher))


def test_a_failure_on_one_rank_saves_nothing_and_the_launcher_ends_the_ranks_it_started(tmp_path):
    """Under NCCL a rank whose peer died waits in its next collective until the process-group
    timeout: the launcher kills the ranks it started instead of leaving them to hang."""
    from spikevision.cli.train import save_after_failure
    from spikevision.errors import NonFiniteError

    path = tmp_path / "last.ckpt"
    launcher_rank = _stub_trainer(2, 5, procs=["rank 1"])
    save_after_failure(launcher_rank, RuntimeError("boom"), path)
    assert launcher_rank.saved == [] and launcher_rank.strategy.launcher.killed == [signal.SIGKILL]
    child = _stub_trainer(2, 5, procs=[])
    save_after_failure(child, RuntimeError("boom"), path)
    assert child.saved == [] and child.strategy.launcher.killed == []
    # a failure every rank meets at the same step (non-finite gradients after the all-reduce): saved
    shared = _stub_trainer(2, 5, procs=["rank 1"])
    save_after_failure(shared, NonFiniteError("nan"), path)
    assert shared.saved == [path] and shared.strategy.launcher.killed == []
    single = _stub_trainer(1, 5, procs=[])
    save_after_failure(single, RuntimeError("boom"), path)
    assert single.saved == [path]
    before_training = _stub_trainer(1, 0, procs=[])
    save_after_failure(before_training, RuntimeError("boom"), path)
    assert before_training.saved == []


def test_signal_flags_are_or_ed_over_ranks_so_every_rank_saves_and_stops_together(tmp_path):
    """The flags one rank got reach every rank through the all-reduce (a stub strategy adds the
    other rank's flags): each saves at the same checked batch, SIGTERM then stops it."""
    from lightning.pytorch.trainer.states import TrainerFn
    from lightning.pytorch.utilities.exceptions import SIGTERMException

    from spikevision.callbacks.signal_checkpoint import SignalCheckpoint

    other = torch.zeros(2, dtype=torch.int32)  # [SIGUSR1, SIGTERM] of the other rank
    reduced: list[str] = []

    def reduce(tensor, reduce_op):
        reduced.append(reduce_op)
        return tensor + other

    saved: list[Path] = []
    trainer = types.SimpleNamespace(world_size=2, global_step=5,
                                    save_checkpoint=lambda path, weights_only=None: saved.append(path),
                                    state=types.SimpleNamespace(fn=TrainerFn.FITTING),
                                    strategy=types.SimpleNamespace(root_device=torch.device("cpu"), reduce=reduce))
    cb = SignalCheckpoint(str(tmp_path), check_every_n_batches=2)
    cb.on_train_batch_end(trainer, None, None, None, 0)
    assert reduced == [] and saved == []  # batch 1 of every 2: not checked
    other[0] = 1  # SIGUSR1 reached the other rank only
    cb.on_train_batch_end(trainer, None, None, None, 1)
    assert reduced == ["sum"] and saved == [tmp_path / "last.ckpt"]
    other[0] = 0
    cb.on_train_batch_end(trainer, None, None, None, 2)
    cb.on_train_batch_end(trainer, None, None, None, 3)
    assert len(saved) == 1  # nothing requested any more

    before = signal.getsignal(signal.SIGTERM)
    signal.signal(signal.SIGTERM, lambda *_: None)  # stands for Lightning's
    try:
        cb.on_train_start(trainer, None)
        assert signal.getsignal(signal.SIGTERM) == cb._on_sigterm
        os.kill(os.getpid(), signal.SIGTERM)  # this rank gets SIGTERM: only a flag is set
        assert cb.terminating
        cb.on_train_batch_end(trainer, None, None, None, 4)
        with pytest.raises(SIGTERMException):
            cb.on_train_batch_end(trainer, None, None, None, 5)
        assert len(saved) == 2 and not cb.terminating
        cb.teardown(trainer, None, "fit")
        assert signal.getsignal(signal.SIGTERM) != cb._on_sigterm  # the previous handler is back
    finally:
        signal.signal(signal.SIGTERM, before if before is not None else signal.SIG_DFL)
