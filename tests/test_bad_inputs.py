"""Bad inputs (issue 10, sections 2–3): each gives one clear line naming the file or key, what is
wrong and what to do, as spikevision's own error types; nothing is built on silent garbage."""

from __future__ import annotations

import types
import warnings
from pathlib import Path

import numpy as np
import pytest

from spikevision.cli import train
from spikevision.errors import ConfigError, DatasetNotFoundError, EventFormatError, SpikevisionError
from spikevision.io import make_events, write_aedat2, write_atis_bin, write_uhsr_npz

REPO = Path(__file__).resolve().parents[1]
TINY = str(REPO / "tests" / "configs" / "tiny_recon.yaml")
SPEC = {"modality": "events", "representation": {"kind": "frames", "num_bins": 2}, "sensor_size": [34, 34],
        "size": None}


def _events(n: int, side: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return make_events(rng.integers(0, side, n), rng.integers(0, side, n), np.sort(rng.integers(0, 10**5, n)),
                       rng.integers(0, 2, n))


# ---------------------------------------------------------------- inference inputs


def _infer(monkeypatch, tmp_path, *args: str):
    """spikeclip_infer's console entry with a stub pipeline (inputs are refused before the model)."""
    from spikevision.cli import spikeclip_infer
    from spikevision.models.spikeclip.pipeline import SpikeClipPipeline

    stub = types.SimpleNamespace(input_spec=SPEC, stage_names=["stage1"], label_names=["a"])
    monkeypatch.setattr(SpikeClipPipeline, "from_file", classmethod(lambda cls, path, device: stub))
    (tmp_path / "combined.pt").write_bytes(b"")
    spikeclip_infer.main([str(tmp_path / "combined.pt"), *args, "-o", str(tmp_path / "out"), "--no-perf",
                          "--device", "cpu"])


@pytest.mark.parametrize("case", ["zero_bin", "header_only_aedat"])
def test_infer_refuses_empty_streams(monkeypatch, tmp_path, capsys, case):
    path = tmp_path / ("e.bin" if case == "zero_bin" else "e.aedat")
    if case == "zero_bin":
        path.write_bytes(b"")
    else:
        write_aedat2(path, _events(0, 1))
    with pytest.raises(SystemExit) as exit_:
        _infer(monkeypatch, tmp_path, str(path))
    assert exit_.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]  # after tqdm's progress line
    assert err.startswith(f"error: {path} is an empty event stream")
    assert not list((tmp_path / "out").glob("*.png"))


def test_infer_refuses_a_recording_from_another_sensor(monkeypatch, tmp_path, capsys):
    path = tmp_path / "dvs128.aedat"  # a 128×128 recording into a 34×34 model
    write_aedat2(path, _events(500, 128))
    with pytest.raises(SystemExit) as exit_:
        _infer(monkeypatch, tmp_path, str(path))
    assert exit_.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.startswith("error: ") and str(path) in err and "128×128 sensor" in err and "34×34" in err
    assert "fit: crop" in err and not list((tmp_path / "out").glob("*.png"))


def test_explicit_fit_crops_or_resizes_with_a_warning(tmp_path):
    from spikevision.data.recording_inputs import load_input

    path = tmp_path / "big.bin"  # headerless: the events show the sensor is larger
    write_atis_bin(path, _events(400, 100))
    with pytest.raises(EventFormatError, match="100×100 sensor"):
        load_input(path, SPEC)
    with pytest.warns(UserWarning, match=r"fit=crop: kept the \d+ of 400 events"):
        x = load_input(path, {**SPEC, "fit": "crop"})
    assert x.shape == (2, 2, 34, 34) and 0 < x.sum() < 400
    with pytest.warns(UserWarning, match="fit=resize: scaled the coordinates of all 400 events from 100×100"):
        x = load_input(path, {**SPEC, "fit": "resize"})
    assert x.sum() == 400
    with pytest.raises(ConfigError, match="fit must be one of"):
        load_input(path, {**SPEC, "fit": "stretch"})
    small = tmp_path / "nmnist.bin"
    write_atis_bin(small, _events(50, 34))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert load_input(small, SPEC).sum() == 50  # a matching recording: no warning


# ---------------------------------------------------------------- datasets


def _nmnist_root(tmp_path: Path) -> Path:
    root = tmp_path / "nmnist"
    for split in ("Train", "Test"):
        for digit in range(10):
            (root / split / str(digit)).mkdir(parents=True)
    write_atis_bin(root / "Train" / "3" / "00001.bin", _events(100, 34))
    write_atis_bin(root / "Train" / "3" / "00002.bin", _events(100, 34, seed=1))
    (root / "Train" / "5" / "00003.bin").write_bytes(b"")  # a failed copy
    return root


def test_zero_byte_recordings_are_skipped_with_one_warning(tmp_path):
    from spikevision.data.nmnist import NMNIST

    root = _nmnist_root(tmp_path)
    with pytest.warns(UserWarning) as record:
        ds = NMNIST(str(root), "train", cache_dir=False)
    msgs = [str(w.message) for w in record if "empty" in str(w.message)]
    assert len(msgs) == 1 and "00003.bin" in msgs[0] and "1 empty (0-byte)" in msgs[0]
    assert len(ds) == 2 and all(r.path.stat().st_size > 0 for r in ds.recordings)


def test_empty_split_names_root_and_pattern(tmp_path):
    from spikevision.data.nmnist import NMNIST

    root = _nmnist_root(tmp_path)
    with pytest.raises(DatasetNotFoundError) as err:
        NMNIST(str(root), "test", cache_dir=False)
    assert str(root / "Test") in str(err.value) and "*.bin" in str(err.value)


def _uhsr(root: Path, labels, names=None) -> None:
    root.mkdir()
    for i, lab in enumerate(labels):
        extra = {"label_name": np.array(names[i])} if names else {}
        np.savez(root / f"{i}.npz", spk=np.zeros((8, 250, 250), np.uint8), label=np.int64(lab), **extra)


def test_uhsr_label_name_is_the_class_not_the_source_file(tmp_path):
    from spikevision.data.uhsr import UHSR, class_from_label_name

    _uhsr(tmp_path / "ucal", [0, 1], ["4144_helicopter.jpg", "0012_car_side.jpg"])
    ds = UHSR(str(tmp_path / "ucal"), "train", variant="u-caltech", num_bins=4, cache_dir=False)
    assert ds.label_names == ["helicopter", "car_side"]
    assert class_from_label_name("helicopter") == "helicopter"


def test_uhsr_wrong_variant_is_refused_when_the_dataset_is_built(tmp_path):
    from spikevision.data.uhsr import UHSR

    _uhsr(tmp_path / "ucal", [3, 57])  # U-Caltech labels go up to 100
    with pytest.raises(ConfigError) as err:
        UHSR(str(tmp_path / "ucal"), "train", num_bins=4, cache_dir=False)  # default variant u-cifar
    msg = str(err.value)
    assert "label 57" in msg and "variant: u-caltech" in msg and "1.npz" in msg
    with pytest.raises(ConfigError, match="variant must be one of"):
        UHSR(str(tmp_path / "ucal"), "train", variant="caltech", cache_dir=False)


def test_uhsr_zero_byte_file_is_refused_by_name(tmp_path):
    from spikevision.data.uhsr import UHSR

    root = tmp_path / "u"
    root.mkdir()
    write_uhsr_npz(root / "0.npz", np.zeros((8, 250, 250), np.uint8), 1)
    (root / "1.npz").write_bytes(b"")
    with pytest.raises(EventFormatError, match=r"1\.npz: not a readable .npz archive .*0 bytes"):
        UHSR(str(root), "train", num_bins=4, cache_dir=False)


# ---------------------------------------------------------------- configs


def _main_error(capsys, argv: list[str]) -> str:
    with pytest.raises(SystemExit) as exit_:
        train.main(argv)
    assert exit_.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err and err[-1].startswith("error: "), err
    return err[-1]


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ("data.params.batch_size=abc", "data.params.batch_size=abc: expected an integer"),
        ("lightning.trainer.max_steps=abc", "lightning.trainer.max_steps=abc: expected an integer"),
        ("lightning.trainer.max_epochs=abc", "lightning.trainer.max_epochs: expected a number"),
        ("model.target=spikevision.io.SUPPORTED_EVENT_SUFFIXES", "model.target: 'spikevision.io.SUPPORTED"),
        ("data.params.train.params.limit=${nope.key}", "data.params.train.params.limit: Interpolation key"),
        ("data.params.train.params.representation.kind=voxels", "unknown event representation 'voxels'"),
        ("data.params.train.params.representation.num_bins=0", "num_bins must be an integer ≥ 1, got 0"),
        ("lightning.trainer.accelerator=gpu", "accelerator=gpu, but this machine has no usable CUDA GPU"),
        ("data.params.train.params.limit=0", "data.params.train: the spikevision.data.ndigits.NDigits split is empty"),
    ],
)
def test_config_mistakes_give_one_line(tmp_path, capsys, monkeypatch, override, expected):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    msg = _main_error(capsys, ["--base", TINY, "-l", str(tmp_path / "logs"), "--no-test", override])
    assert expected in msg, msg


def test_resume_from_a_yaml_file_is_refused(tmp_path, capsys):
    msg = _main_error(capsys, ["-r", TINY, "-l", str(tmp_path / "logs")])
    assert f"-r '{TINY}' is a config file" in msg and "--base" in msg


def test_sample_config_override_after_base_is_not_taken_for_a_config_file(tmp_path):
    from spikevision.cli.sample import run

    (tmp_path / "s.yaml").write_text("sample: {num_samples: 2}\n")
    (tmp_path / "m.yaml").write_text("model: {target: torch.nn.Linear, params: {in_features: 2, out_features: 1}}\n")
    with pytest.raises(SpikevisionError) as err:
        run(["--base", str(tmp_path / "s.yaml"), f"sample.config={tmp_path / 'm.yaml'}",
             f"sample.ckpt={tmp_path / 'missing.ckpt'}"])
    assert "missing.ckpt" in str(err.value) and "config file not found" not in str(err.value)


# ---------------------------------------------------------------- empty recordings, worker errors


def test_header_only_and_zero_byte_aedat_files_are_skipped_with_one_warning(tmp_path):
    from spikevision.data.cifar10dvs import CIFAR10DVS, CIFAR10DVS_CLASSES

    root = tmp_path / "cifar10dvs"
    for name in CIFAR10DVS_CLASSES:
        (root / name).mkdir(parents=True)
    write_aedat2(root / "cat" / "cifar10_cat_100.aedat", _events(50, 128))
    write_aedat2(root / "cat" / "cifar10_cat_101.aedat", _events(0, 1))  # a header, no events
    (root / "dog" / "cifar10_dog_102.aedat").write_bytes(b"")
    with pytest.warns(UserWarning) as record:
        ds = CIFAR10DVS(str(root), "train", cache_dir=False)
    msgs = [str(w.message) for w in record if "skipping" in str(w.message)]
    assert len(msgs) == 1, msgs
    assert "1 empty (0-byte) and 1 header-only" in msgs[0] and "of 3" in msgs[0]
    assert "cifar10_cat_101.aedat" in msgs[0] and "cifar10_dog_102.aedat" in msgs[0]
    assert [r.path.name for r in ds.recordings] == ["cifar10_cat_100.aedat"]
    (root / "cat" / "cifar10_cat_100.aedat").unlink()
    with pytest.raises(DatasetNotFoundError, match="every recording of the dataset split is empty"), \
            pytest.warns(UserWarning, match="skipping"):
        CIFAR10DVS(str(root), "train", cache_dir=False)


def _nmnist_with_a_corrupt_file(tmp_path: Path) -> tuple[Path, Path]:
    root = _nmnist_root(tmp_path)
    bad = root / "Train" / "7" / "00004.bin"
    bad.write_bytes(bytes(12))  # not a whole number of 5-byte events
    return root, bad


def _worker_error(root: Path, num_workers: int) -> EventFormatError:
    from spikevision.data.datamodule import DataModuleFromConfig

    split = {"target": "spikevision.data.nmnist.NMNIST",
             "params": {"root": str(root), "split": "train", "cache_dir": False}}
    dm = DataModuleFromConfig(batch_size=8, num_workers=num_workers, train=split)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the 0-byte file's warning
        dm.setup("fit")
    with pytest.raises(EventFormatError) as err:
        next(iter(dm.train_dataloader()))
    return err.value


def test_a_worker_raises_the_same_error_as_the_main_process(tmp_path):
    root, bad = _nmnist_with_a_corrupt_file(tmp_path)
    in_process = _worker_error(root, 0)
    in_worker = _worker_error(root, 2)
    assert str(in_process).startswith(f"{bad}:") and "\n" not in str(in_process)
    assert type(in_worker) is type(in_process) and str(in_worker) == str(in_process)


def test_original_message_is_left_alone_unless_torch_wrapped_it():
    from spikevision.errors import original_message

    assert original_message("a.bin: truncated", EventFormatError) == "a.bin: truncated"
    wrapped = ("Caught EventFormatError in DataLoader worker process 3.\nOriginal Traceback (most recent call last):\n"
               '  File "x.py", line 1, in f\nspikevision.errors.EventFormatError: a.bin: truncated\n')
    assert original_message(wrapped, EventFormatError) == "a.bin: truncated"
    assert EventFormatError(wrapped).args == ("a.bin: truncated",)


@pytest.mark.slow
def test_a_corrupt_file_read_by_a_worker_is_one_line_from_main(tmp_path, capsys):
    root, bad = _nmnist_with_a_corrupt_file(tmp_path)
    train_split = (f"data.params.train={{target: spikevision.data.nmnist.NMNIST, params: "
                   f"{{root: '{root}', split: train, cache_dir: false}}}}")
    lines = {}
    for workers in (0, 2):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            lines[workers] = _main_error(capsys, ["--base", TINY, "-l", str(tmp_path / "logs"), "--no-test",
                                                  train_split, f"data.params.num_workers={workers}"])
    assert lines[2] == lines[0] and lines[0].startswith(f"error: {bad}:"), lines
