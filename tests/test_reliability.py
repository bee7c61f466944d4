"""Faults and bad inputs (issue 10): SIGTERM/SIGUSR1 checkpoints, SLURM requeue signal, untrusted
checkpoint files, run directories that cannot collide or escape the log directory."""

from __future__ import annotations

import datetime
import os
import signal
import subprocess
import sys
import types
from pathlib import Path

import pytest
import torch

from spikevision.atomic_write import TEMP_SUFFIX
from spikevision.callbacks import SignalCheckpoint
from spikevision.cli import train
from spikevision.errors import CheckpointError

REPO = Path(__file__).resolve().parents[1]
TINY = str(REPO / "tests" / "configs" / "tiny_recon.yaml")


def _lines(path: Path) -> list[tuple[int, ...]]:
    return [tuple(map(int, ln.split())) for ln in path.read_text().split("\n") if ln]


def _recorder(rec: Path, **params) -> str:
    inner = ", ".join([f"path: '{rec}'"] + [f"{k}: '{v}'" if isinstance(v, str) else f"{k}: {v}"
                                            for k, v in params.items()])
    return f"lightning.callbacks.rec={{target: step_recorder.StepRecorder, params: {{{inner}}}}}"


def _global_step(path: Path) -> int:
    return torch.load(path, map_location="cpu", weights_only=True)["global_step"]


# ---------------------------------------------------------------- signals


@pytest.mark.slow
def test_sigterm_saves_last_ckpt_and_exits_143_then_resume_continues(tmp_path):
    rec, logs = tmp_path / "steps.txt", tmp_path / "logs"
    env = {**os.environ, "OMP_NUM_THREADS": "1",
           "PYTHONPATH": os.pathsep.join([str(REPO / "src"), str(REPO / "tests")])}
    env.pop("SPIKEVISION_RUN_DIR", None)
    cmd = [sys.executable, str(REPO / "main.py"), "--base", TINY, "-l", str(logs), "-n", "term", "--no-test",
           "lightning.trainer.max_steps=6", _recorder(rec, signal_at=1, signal_name="SIGTERM")]
    proc = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 143, (proc.stdout + proc.stderr)[-3000:]
    assert [s for s, *_ in _lines(rec)] == [0, 1]  # stopped after the batch that got SIGTERM
    (run_dir,) = logs.iterdir()
    ckpts = sorted(p.name for p in (run_dir / "checkpoints").iterdir())
    assert ckpts == ["last.ckpt"], ckpts  # no temp file left behind, no last-v1
    assert _global_step(run_dir / "checkpoints" / "last.ckpt") == 2

    rec.unlink()
    killed = run_dir / "checkpoints" / f".last.ckpt.0badf00d{TEMP_SUFFIX}"  # a save killed mid-write
    killed.write_bytes(b"half a checkpoint")
    resumed = train.run(["-r", str(run_dir), "--no-test", "lightning.callbacks.rec.params.signal_at=-1"])
    assert [s for s, *_ in _lines(rec)] == [2, 3, 4, 5]  # continues from the saved step
    assert resumed.trainer.global_step == 6
    assert not killed.exists()  # cleaned up when the resumed run started


@pytest.mark.slow
def test_every_last_save_goes_to_last_ckpt_after_sigusr1(tmp_path):
    rec, logs = tmp_path / "steps.txt", tmp_path / "logs"
    os.environ.pop("SPIKEVISION_RUN_DIR", None)
    # tiny_recon: 4 batches an epoch, validation + ModelCheckpoint at the end of each epoch
    result = train.run(["--base", TINY, "-l", str(logs), "-n", "usr1", "--no-test",
                        "lightning.trainer.max_steps=6",
                        _recorder(rec, signal_at=1, probe=str(logs / "*" / "checkpoints" / "last.ckpt"))])
    saved_at = {step: saved for step, _, saved in _lines(rec)}
    assert saved_at[2] == 2  # SIGUSR1 during step 1 saved last.ckpt at its end
    assert saved_at[4] == 4  # the periodic save at the epoch end replaced it (was: last-v1.ckpt)
    ckptdir = result.logdir / "checkpoints"
    assert not list(ckptdir.glob("last-v*.ckpt"))
    assert not list(ckptdir.glob(".*.tmp"))
    assert _global_step(ckptdir / "last.ckpt") == result.trainer.global_step == 6
    assert train.resolve_resume(str(result.logdir))[1] == ckptdir / "last.ckpt"


def test_resume_picks_the_newest_last_checkpoint_of_older_runs(tmp_path):
    ckptdir = tmp_path / "run" / "checkpoints"
    ckptdir.mkdir(parents=True)
    (ckptdir / "last-v1.ckpt").write_bytes(b"new")
    (ckptdir / "last.ckpt").write_bytes(b"old")
    os.utime(ckptdir / "last.ckpt", (1_000_000, 1_000_000))
    assert train.resolve_resume(str(tmp_path / "run")) == (tmp_path / "run", ckptdir / "last-v1.ckpt")


def _stub_trainer(environment=None) -> types.SimpleNamespace:
    return types.SimpleNamespace(_accelerator_connector=types.SimpleNamespace(cluster_environment=environment))


def test_sigusr1_is_left_to_lightning_requeue_under_slurm(monkeypatch, tmp_path):
    from lightning.fabric.plugins.environments import LightningEnvironment, SLURMEnvironment

    before = signal.getsignal(signal.SIGUSR1)
    cb = SignalCheckpoint(str(tmp_path))
    cb.setup(_stub_trainer(LightningEnvironment()), None, "fit")  # off SLURM: ours
    assert signal.getsignal(signal.SIGUSR1) == cb._handler
    cb.teardown(None, None, "fit")
    assert signal.getsignal(signal.SIGUSR1) == before

    monkeypatch.setenv("SLURM_NTASKS", "1")
    monkeypatch.setenv("SLURM_JOB_NAME", "train")
    assert SLURMEnvironment.detect()
    cb = SignalCheckpoint(str(tmp_path))
    cb.setup(_stub_trainer(SLURMEnvironment()), None, "fit")  # Lightning's requeue signal: not ours
    assert signal.getsignal(signal.SIGUSR1) == before
    cb.teardown(None, None, "fit")
    cb = SignalCheckpoint(str(tmp_path))
    cb.setup(_stub_trainer(SLURMEnvironment(requeue_signal=signal.SIGUSR2)), None, "fit")
    assert signal.getsignal(signal.SIGUSR1) == cb._handler  # requeue on SIGUSR2: SIGUSR1 is ours
    cb.teardown(None, None, "fit")
    assert signal.getsignal(signal.SIGUSR1) == before


# ---------------------------------------------------------------- untrusted checkpoint files


class _Payload:
    """Unpickling this calls ``os.mkdir(marker)``: what a malicious checkpoint could do."""

    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __reduce__(self):
        return (os.mkdir, (self.marker,))


def _bad_files(tmp_path: Path, good: dict) -> dict[str, Path]:
    torch.save(good, tmp_path / "good.ckpt")
    data = (tmp_path / "good.ckpt").read_bytes()
    (tmp_path / "truncated.ckpt").write_bytes(data[: len(data) // 2])
    (tmp_path / "random.ckpt").write_bytes(os.urandom(4096))
    (tmp_path / "empty.ckpt").write_bytes(b"")
    torch.save({**good, "extra": _Payload(tmp_path / "PWNED")}, tmp_path / "evil.ckpt")
    return {name: tmp_path / f"{name}.ckpt" for name in ("truncated", "random", "empty", "evil")}


def test_malicious_pickle_fixture_really_runs_code_without_weights_only(tmp_path):
    marker = tmp_path / "ran"
    torch.save({"x": _Payload(marker)}, tmp_path / "evil.pt")
    torch.load(tmp_path / "evil.pt", weights_only=False)
    assert marker.exists()


def _check_loader(load, files: dict[str, Path], marker: Path) -> None:
    for name, path in files.items():
        with pytest.raises(CheckpointError, match=str(path)) as err:
            load(path)
        assert "\n" not in str(err.value)
        if name == "evil":
            assert "refused" in str(err.value) and "posix.mkdir" in str(err.value)
        else:
            assert "cannot read" in str(err.value)
    assert not marker.exists()


def test_read_state_dict_refuses_corrupt_and_malicious_files(tmp_path):
    from spikevision.sample.loading import build_model, read_state_dict

    files = _bad_files(tmp_path, {"state_dict": {"w": torch.ones(64)}})
    assert torch.equal(read_state_dict(tmp_path / "good.ckpt")["w"], torch.ones(64))
    _check_loader(read_state_dict, files, tmp_path / "PWNED")
    # the stage-2 / sampler path (a first_stage given by config + ckpt) goes through it too
    spec = {"target": "torch.nn.Linear", "params": {"in_features": 2, "out_features": 1}}
    with pytest.raises(CheckpointError, match="refused"):
        build_model({"config": _model_yaml(tmp_path, spec), "ckpt": str(files["evil"])})
    assert not (tmp_path / "PWNED").exists()


def _model_yaml(tmp_path: Path, spec: dict) -> str:
    from omegaconf import OmegaConf

    path = tmp_path / "model.yaml"
    OmegaConf.save({"model": spec}, path)
    return str(path)


def test_load_export_refuses_corrupt_and_malicious_files(tmp_path):
    from spikevision.models.spikeclip.artifacts import FORMAT, load_export

    files = _bad_files(tmp_path, {"format": FORMAT, "kind": "prompts", "features": torch.zeros(2, 4)})
    assert load_export(tmp_path / "good.ckpt", "prompts")["kind"] == "prompts"
    _check_loader(load_export, files, tmp_path / "PWNED")


def test_spike_convert_checkpoint_refuses_corrupt_and_malicious_files(tmp_path, capsys):
    from spikevision.cli.spike_convert import load_restorer, main

    files = _bad_files(tmp_path, {"state_dict": {}, "hyper_parameters": {}})
    _check_loader(load_restorer, files, tmp_path / "PWNED")
    rec = tmp_path / "rec.dat"
    rec.write_bytes(bytes(8 * 4 * 32))  # 32 frames of 8×8
    with pytest.raises(SystemExit) as exit_:
        main([str(rec), "--height", "8", "--width", "8", "--frame", "16", "-o", str(tmp_path / "x.png"),
              "--method", "model", "--checkpoint", str(files["evil"]), "--device", "cpu"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: refused to load checkpoint") and "\n" not in err
    assert not (tmp_path / "PWNED").exists()


# ---------------------------------------------------------------- run directories


@pytest.mark.parametrize("flag, value", [("-n", "../x"), ("-n", "a/b"), ("-n", ".."), ("-f", "/../../y")])
def test_run_names_cannot_leave_the_log_directory(tmp_path, capsys, flag, value):
    with pytest.raises(SystemExit) as err:
        train.main(["--base", TINY, "-l", str(tmp_path / "logs"), flag, value, "--no-test"])
    assert err.value.code == 2
    msg = capsys.readouterr().err.strip()
    assert msg.startswith(f"error: {flag} '{value}'") and "\n" not in msg
    assert list(tmp_path.iterdir()) == []  # nothing created, inside or outside logs/


def test_claim_run_dir_is_exclusive(tmp_path):
    base = tmp_path / "logs" / "2024-01-01T00-00-00_x"
    claimed = [train.claim_run_dir(base) for _ in range(3)]
    assert [p.name for p in claimed] == [base.name, base.name + "-2", base.name + "-3"]
    assert all(p.is_dir() for p in claimed)


@pytest.mark.slow
def test_second_run_in_the_same_second_gets_its_own_directory(tmp_path, monkeypatch):
    class Frozen(datetime.datetime):
        @classmethod
        def now(cls, tz=None):
            return cls(2024, 1, 1, 12, 0, 0)

    monkeypatch.setattr(train, "datetime", types.SimpleNamespace(datetime=Frozen))
    monkeypatch.delenv("SPIKEVISION_RUN_DIR", raising=False)
    logs = tmp_path / "logs"
    first = logs / "2024-01-01T12-00-00_same"
    first.mkdir(parents=True)  # the first run's directory (just created, same second)
    result = train.run(["--base", TINY, "-l", str(logs), "-n", "same", "--no-test",
                        "lightning.trainer.max_steps=1"])
    assert result.logdir == logs / "2024-01-01T12-00-00_same-2"
    assert (result.logdir / "checkpoints" / "last.ckpt").is_file()
    assert list(first.iterdir()) == []  # the first run's directory was not touched


def test_srun_ranks_agree_on_the_run_directory_and_requeue_resumes_hpc_checkpoint(tmp_path, monkeypatch):
    """Under a multi-task SLURM job every rank names the run directory alike (no timestamps that
    could differ by a second), and -r picks Lightning's requeue checkpoint when it is the newest."""
    import argparse
    import time

    from spikevision.cli.train import plan_run, resolve_resume, run_stamp

    for key, value in {"SLURM_JOB_ID": "4242", "SLURM_NTASKS": "8", "SLURM_JOB_NAME": "spikevision"}.items():
        monkeypatch.setenv(key, value)
    opt = argparse.Namespace(resume="", base=["a.yaml"], name="vq", postfix="", logdir=str(tmp_path))
    dirs = set()
    for rank in ("0", "5"):
        monkeypatch.setenv("SLURM_PROCID", rank)
        dirs.add(plan_run(opt, run_stamp()).logdir)
    assert dirs == {tmp_path / "slurm-4242_vq"}
    monkeypatch.setenv("SLURM_NTASKS", "1")  # one task: the start time as usual
    assert run_stamp().startswith("20")

    run = tmp_path / "slurm-4242_vq"
    (run / "checkpoints").mkdir(parents=True)
    (run / "checkpoints" / "last.ckpt").write_bytes(b"old")
    time.sleep(0.02)
    (run / "hpc_ckpt_1.ckpt").write_bytes(b"new")
    assert resolve_resume(str(run)) == (run, run / "hpc_ckpt_1.ckpt")
    bash = subprocess.run(["bash", "-n", str(REPO / "train" / "slurm" / "multinode.sbatch")], capture_output=True)
    assert bash.returncode == 0, bash.stderr


def test_nvml_device_is_matched_by_uuid_or_pci_id_not_by_index():
    """Under CUDA_VISIBLE_DEVICES=2,3 CUDA's device 0 is NVML's GPU 2: match by UUID, else PCI id."""
    from spikevision.metrics.perf import nvml_handle

    class FakeNvml:
        handles = {"uuid": {"GPU-aaaa-2": "gpu2"}, "pci": {"00000000:65:00.0": "gpu2"}}

        def nvmlDeviceGetHandleByIndex(self, i):  # noqa: N802 - NVML's name
            raise AssertionError("must not match by index")

        def nvmlDeviceGetHandleByUUID(self, uuid):  # noqa: N802
            return self.handles["uuid"][uuid]

        def nvmlDeviceGetHandleByPciBusId(self, bus):  # noqa: N802
            return self.handles["pci"][bus]

    props = types.SimpleNamespace(uuid="aaaa-2", pci_domain_id=0, pci_bus_id=0x65, pci_device_id=0)
    assert nvml_handle(FakeNvml(), 0, props) == "gpu2"
    props.uuid = "unknown"  # no UUID match (older driver): the PCI bus id decides
    assert nvml_handle(FakeNvml(), 0, props) == "gpu2"


# ---------------------------------------------------------------- non-finite losses


def _all_finite(ckpt: Path) -> bool:
    state = torch.load(ckpt, map_location="cpu", weights_only=True)["state_dict"]
    return all(bool(torch.isfinite(v).all()) for v in state.values() if v.is_floating_point())


@pytest.mark.slow
def test_nan_inputs_stop_with_a_clear_error_and_keep_the_finite_checkpoint(tmp_path, monkeypatch, capsys):
    from spikevision.cli.train import main, run

    monkeypatch.syspath_prepend(str(REPO / "tests"))
    logs = tmp_path / "logs"
    first = run(["--base", TINY, "-l", str(logs), "-n", "nan", "--no-test", "lightning.trainer.max_steps=2"])
    last = first.logdir / "checkpoints" / "last.ckpt"
    assert _all_finite(last) and _global_step(last) == 2
    nan = "lightning.callbacks.nan={target: nan_inputs.NaNInputs, params: {from_step: 2}}"
    with pytest.raises(SystemExit) as err:
        main(["-r", str(first.logdir), "--no-test", "lightning.trainer.max_steps=4", nan])
    assert err.value.code != 0
    message = capsys.readouterr().err
    assert "non-finite gradients" in message and "action=skip" in message
    assert _all_finite(last)  # the good state survived; no NaN weights were ever saved
    assert not list((first.logdir / "checkpoints").glob("*nonfinite*"))


@pytest.mark.slow
def test_nan_steps_can_be_skipped(tmp_path, monkeypatch):
    from spikevision.callbacks.nonfinite_guard import NonFiniteGuard
    from spikevision.cli.train import run

    monkeypatch.syspath_prepend(str(REPO / "tests"))
    result = run(["--base", TINY, "-l", str(tmp_path), "-n", "skip", "--no-test", "lightning.trainer.max_steps=3",
                  "lightning.callbacks.nan={target: nan_inputs.NaNInputs, params: {from_step: 1}}",
                  "lightning.callbacks.nonfinite.params.action=skip"])
    guard = next(c for c in result.trainer.callbacks if isinstance(c, NonFiniteGuard))
    assert guard.total_skipped == 2 and result.trainer.global_step == 3
    assert all(bool(torch.isfinite(p).all()) for p in result.model.parameters())


def test_a_nonfinite_checkpoint_never_replaces_a_finite_one(tmp_path):
    from spikevision.callbacks.atomic_checkpoint_io import AtomicCheckpointIO

    io, path = AtomicCheckpointIO(), tmp_path / "last.ckpt"
    io.save_checkpoint({"state_dict": {"w": torch.ones(3)}, "global_step": 1}, path)
    io.save_checkpoint({"state_dict": {"w": torch.tensor([1.0, float("nan"), 0.0])}, "global_step": 2}, path)
    assert _all_finite(path) and _global_step(path) == 1
    assert _global_step(tmp_path / "last.nonfinite.ckpt") == 2
    fresh = tmp_path / "new.ckpt"  # nothing to protect: written as asked
    io.save_checkpoint({"state_dict": {"w": torch.full((2,), float("inf"))}, "global_step": 3}, fresh)
    assert _global_step(fresh) == 3


# ---------------------------------------------------------------- failed starts


@pytest.mark.slow
def test_a_failed_resume_leaves_the_run_as_it_was_and_base_over_resume_warns(tmp_path, capsys):
    from spikevision.cli.train import main, run

    first = run(["--base", TINY, "-l", str(tmp_path), "-n", "keep", "--no-test", "lightning.trainer.max_steps=2"])
    configs = sorted((first.logdir / "configs").glob("*-project.yaml"))
    assert len(configs) == 1
    with pytest.raises(SystemExit) as err:  # a shape mismatch with the checkpoint
        main(["-r", str(first.logdir), "--no-test", "model.params.network.params.ch=8",
              "lightning.trainer.max_steps=3"])
    assert err.value.code != 0
    assert sorted((first.logdir / "configs").glob("*-project.yaml")) == configs
    # a plain -r still works, and --base over -r says which saved values it changes
    with pytest.warns(UserWarning, match=r"--base files win .* lightning\.trainer\.max_steps: 2 -> 4"):
        again = run(["--base", TINY, "-r", str(first.logdir), "--no-test"])
    assert again.trainer.global_step == 4  # the base file's max_steps won, as the warning said


@pytest.mark.slow
def test_a_run_that_fails_before_training_leaves_no_run_directory(tmp_path):
    from spikevision.cli.train import run
    from spikevision.errors import DatasetNotFoundError

    logs = tmp_path / "logs"
    with pytest.raises(DatasetNotFoundError):
        run(["--base", TINY, "-l", str(logs), "-n", "nodata", "--no-test",
             "data.params.train={target: spikevision.data.nmnist.NMNIST, params: {root: /nonexistent, split: train}}"])
    assert not list(logs.glob("*_nodata*"))


# ---------------------------------------------------------------- SIGKILL


@pytest.mark.slow
def test_sigkill_after_a_checkpoint_then_resume_equals_an_uninterrupted_run(tmp_path):
    """Killed (SIGKILL: nothing can be saved) right after the end-of-epoch checkpoint, the resumed
    run continues from the saved step and ends with exactly the weights of a run never killed:
    the model, optimizer and step come from the checkpoint, the batch order from (seed, epoch)."""
    env = {**os.environ, "OMP_NUM_THREADS": "1",
           "PYTHONPATH": os.pathsep.join([str(REPO / "src"), str(REPO / "tests")])}
    env.pop("SPIKEVISION_RUN_DIR", None)
    base = [sys.executable, str(REPO / "main.py"), "--base", TINY, "--no-test", "-s", "7",
            "lightning.trainer.max_steps=8", "lightning.trainer.max_epochs=-1"]

    def main_py(*args: str, ok: bool = True) -> subprocess.CompletedProcess:
        proc = subprocess.run([*base, *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
        assert (proc.returncode == 0) == ok, (proc.stdout + proc.stderr)[-3000:]
        return proc

    main_py("-l", str(tmp_path / "whole"), "-n", "whole")
    rec = tmp_path / "steps.txt"
    killed = main_py("-l", str(tmp_path / "killed"), "-n", "killed", _recorder(rec, signal_at=4, signal_name="SIGKILL"),
                     ok=False)
    assert killed.returncode == -signal.SIGKILL
    (run_dir,) = (tmp_path / "killed").iterdir()
    assert _global_step(run_dir / "checkpoints" / "last.ckpt") == 4  # the end-of-epoch save before the kill
    env["OMP_NUM_THREADS"] = "1"
    proc = subprocess.run([sys.executable, str(REPO / "main.py"), "-r", str(run_dir), "--no-test",
                           "lightning.callbacks.rec.params.signal_at=-1"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
    assert [s for s, *_ in _lines(rec)][-4:] == [4, 5, 6, 7]
    (whole_dir,) = (tmp_path / "whole").iterdir()
    whole = torch.load(whole_dir / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=True)
    resumed = torch.load(run_dir / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=True)
    assert whole["global_step"] == resumed["global_step"] == 8
    assert whole["state_dict"].keys() == resumed["state_dict"].keys()
    for key, value in whole["state_dict"].items():
        assert torch.equal(value, resumed["state_dict"][key]), key


def test_epoch_shuffle_order_depends_only_on_seed_and_epoch():
    from spikevision.data.epoch_sampler import EpochShuffleSampler

    a, b = EpochShuffleSampler(50, seed=3), EpochShuffleSampler(50, seed=3)
    a.set_epoch(2)
    b.set_epoch(2)
    assert list(a) == list(b) and sorted(a) == list(range(50)) and len(a) == 50
    b.set_epoch(3)
    assert list(a) != list(b)
    assert list(EpochShuffleSampler(50, seed=4)) != list(EpochShuffleSampler(50, seed=3))
    follows = EpochShuffleSampler(50, seed=3, epoch_of=lambda: 2)  # the trainer's epoch wins
    follows.set_epoch(7)
    assert list(follows) == list(a)


@pytest.mark.slow
def test_a_run_in_use_by_another_process_is_refused(tmp_path):
    """Two processes training into one run directory (two -r of one run) would overwrite each
    other's checkpoints: the second is refused while the first holds the run's lock."""
    from spikevision.cli import train as train_module
    from spikevision.cli.train import LOCK_FILE, run
    from spikevision.errors import ConfigError

    first = run(["--base", TINY, "-l", str(tmp_path), "-n", "busy", "--no-test", "lightning.trainer.max_steps=1"])
    for fh in train_module._held_locks.values():  # as if the first run's process had ended
        fh.close()
    train_module._held_locks.clear()
    holder = subprocess.Popen([sys.executable, "-c", (
        "import fcntl, sys, time; f = open(sys.argv[1], 'a+'); fcntl.flock(f, fcntl.LOCK_EX); "
        "f.seek(0); f.truncate(); f.write('pid 4242'); f.flush(); print('locked', flush=True); time.sleep(60)"),
        str(first.logdir / LOCK_FILE)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(ConfigError, match="in use by pid 4242"):
            run(["-r", str(first.logdir), "--no-test", "lightning.trainer.max_steps=2"])
    finally:
        holder.kill()
        holder.wait()
    again = run(["-r", str(first.logdir), "--no-test", "lightning.trainer.max_steps=2"])  # lock gone with it
    assert again.trainer.global_step == 2
