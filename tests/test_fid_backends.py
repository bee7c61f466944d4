"""FID through pytorch-fid next to torch-fidelity: same Fréchet distance on the same features,
pytorch-fid's InceptionV3 from a local file (random weights here), offline errors, the reference
statistics cache, sample counts and the ``fidelity`` command."""

from __future__ import annotations

import json

import imageio.v3 as iio
import numpy as np
import pytest
import torch
from torch import nn

from spikevision.losses.pretrained import WeightsNotFoundError
from spikevision.metrics.fidelity import (
    PYTORCH_FID_FILE,
    PYTORCH_FID_URL,
    PngFolder,
    PytorchFidInception,
    compute_metrics,
    extract_features,
    fid_statistics,
    frechet_distance,
    random_inception_state,
    reference_statistics,
    resolve_device,
)


class TinyFeatures(nn.Module):
    """uint8 images → (features = per-channel means, stds and a corner pixel, logits)."""

    def forward(self, x):
        x = x.float() / 255
        feats = torch.cat([x.mean((2, 3)), x.std((2, 3)), x[:, :, 0, 0]], 1)
        return feats, feats[:, :3] * 10


class Counting(torch.utils.data.Dataset):
    """A list of images that counts how often it is read."""

    def __init__(self, images):
        self.images, self.reads = images, 0

    def __len__(self):
        return len(self.images)

    def __getitem__(self, i):
        self.reads += 1
        return self.images[i]


class Unreadable(torch.utils.data.Dataset):
    def __len__(self):
        return 4

    def __getitem__(self, i):
        raise AssertionError("images were read before the weights were checked")


def _images(seed, n=24, brightness=0.5, size=16):
    g = torch.Generator().manual_seed(seed)
    return ((torch.rand(n, 3, size, size, generator=g) * brightness) * 255).to(torch.uint8)


@pytest.fixture(scope="module")
def inception():
    """pytorch-fid's InceptionV3 (first feature block, 64-d) with random weights."""
    return PytorchFidInception(random_init=True, dims=64)


def test_both_backends_give_the_same_frechet_distance_on_fixed_features():
    g = np.random.default_rng(0)
    a = g.normal(size=(300, 12)) @ g.normal(size=(12, 12))
    b = 0.7 * g.normal(size=(250, 12)) @ g.normal(size=(12, 12)) + 0.5
    (m1, s1), (m2, s2) = fid_statistics(a), fid_statistics(b)
    fid_pf, fid_tf = frechet_distance(m1, s1, m2, s2, "pytorch-fid"), frechet_distance(m1, s1, m2, s2, "torch-fidelity")
    assert fid_pf > 1 and fid_pf == pytest.approx(fid_tf, rel=1e-5)
    assert frechet_distance(m1, s1, m1, s1, "pytorch-fid") == pytest.approx(0, abs=1e-6)
    with pytest.raises(ValueError, match="backend"):
        frechet_distance(m1, s1, m2, s2, "clean-fid")


def test_both_backends_agree_on_random_inception_features(inception):
    real, fake = _images(0, n=80), _images(1, n=80, brightness=0.8)
    (m1, s1), (m2, s2) = (fid_statistics(extract_features(x, inception, batch_size=40)) for x in (fake, real))
    assert s1.shape == (64, 64)
    assert frechet_distance(m1, s1, m2, s2, "pytorch-fid") == pytest.approx(
        frechet_distance(m1, s1, m2, s2, "torch-fidelity"), rel=1e-5)


def test_compute_metrics_backends_agree_end_to_end():
    ref, smp = _images(3), _images(4, brightness=0.8)
    results = {backend: compute_metrics(smp, ref, ["fid"], feature_module=TinyFeatures(), backend=backend)
               for backend in ("torch-fidelity", "pytorch-fid")}
    fid = results["pytorch-fid"]["frechet_inception_distance"]
    assert fid > 0 and fid == pytest.approx(results["torch-fidelity"]["frechet_inception_distance"], rel=1e-5)
    # the seed's split: FID from pytorch-fid, KID from torch-fidelity, in one call
    both = compute_metrics(smp, ref, ["fid", "kid"], feature_module=TinyFeatures(), backend="pytorch-fid")
    assert both["frechet_inception_distance"] == pytest.approx(fid, rel=1e-9)
    assert "kernel_inception_distance_mean" in both


def test_pytorch_fid_weights_come_from_a_file_or_the_hub_cache(tmp_path, monkeypatch, inception):
    path = tmp_path / PYTORCH_FID_FILE
    torch.save(random_inception_state(0), path)
    x = _images(5, n=3)
    with torch.no_grad():
        expected = inception(x)
        assert torch.equal(PytorchFidInception(path, dims=64)(x), expected)
        (tmp_path / "checkpoints").mkdir()
        path.rename(tmp_path / "checkpoints" / PYTORCH_FID_FILE)
        monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path))
        cached = PytorchFidInception(dims=64)
        assert torch.equal(cached(x), expected)
    assert PYTORCH_FID_FILE in cached.name and "InceptionV3-64" in cached.name
    assert type(inception.net).__module__ == "pytorch_fid.inception"


def test_offline_without_weights_fails_fast_with_file_and_url(tmp_path, monkeypatch):
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path))
    with pytest.raises(WeightsNotFoundError, match=PYTORCH_FID_FILE) as err:
        PytorchFidInception()
    assert PYTORCH_FID_URL in str(err.value)
    with pytest.raises(WeightsNotFoundError, match=PYTORCH_FID_FILE):
        compute_metrics(Unreadable(), Unreadable(), ["fid"], backend="pytorch-fid")
    with pytest.raises(WeightsNotFoundError, match="weights-inception-2015-12-05"):  # KID: torch-fidelity's file
        compute_metrics(Unreadable(), Unreadable(), ["fid", "kid"], backend="pytorch-fid",
                        pytorch_fid_weights=__file__)
    with pytest.raises(WeightsNotFoundError, match="configured path"):
        PytorchFidInception(tmp_path / "missing.pth")


def test_reference_statistics_are_cached_by_key(tmp_path, inception):
    ref = Counting(_images(6, n=12))
    mu, sigma, path = reference_statistics(ref, inception, inception.name, tmp_path, "ndigits/validation/crop32")
    assert path.is_file() and ref.reads == 12
    mu2, sigma2, path2 = reference_statistics(ref, inception, inception.name, tmp_path, "ndigits/validation/crop32")
    assert ref.reads == 12 and path2 == path  # read from the cache, the images untouched
    np.testing.assert_array_equal(mu, mu2)
    np.testing.assert_array_equal(sigma, sigma2)
    _, _, other = reference_statistics(ref, inception, inception.name, tmp_path, "ndigits/validation/crop28")
    assert other != path and ref.reads == 24
    _, _, net = reference_statistics(ref, inception, "another-net", tmp_path, "ndigits/validation/crop32")
    assert net not in (path, other)
    with pytest.raises(ValueError, match="reference_key"):
        reference_statistics(ref, inception, inception.name, tmp_path, None)


@pytest.mark.parametrize("backend", ["torch-fidelity", "pytorch-fid"])
def test_compute_metrics_caches_the_reference(tmp_path, backend):
    ref, smp = Counting(_images(7)), _images(8, brightness=0.9)
    kwargs = dict(feature_module=TinyFeatures(), backend=backend, cache_dir=tmp_path, reference_key="digits/val",
                  feature_name="tiny-v1")
    first = compute_metrics(smp, ref, ["fid"], **kwargs)
    reads = ref.reads
    assert reads >= len(ref) and any(tmp_path.rglob("*"))
    second = compute_metrics(smp, ref, ["fid"], **kwargs)
    assert ref.reads == reads and second == pytest.approx(first, rel=1e-12)
    with pytest.raises(ValueError, match="feature_name"):
        compute_metrics(smp, ref, ["fid"], feature_module=TinyFeatures(), backend=backend, cache_dir=tmp_path,
                        reference_key="digits/val")


def test_sample_count_uses_exactly_the_first_samples(tmp_path):
    ref, smp = _images(9), _images(10, n=30, brightness=0.9)
    for i, img in enumerate(smp):
        iio.imwrite(tmp_path / f"sample_{i:06d}.png", img.permute(1, 2, 0).numpy())
    head = compute_metrics(smp[:20], ref, ["fid"], feature_module=TinyFeatures(), backend="pytorch-fid")
    counted = compute_metrics(tmp_path, ref, ["fid"], feature_module=TinyFeatures(), backend="pytorch-fid",
                              num_samples=20)
    assert counted == pytest.approx(head, rel=1e-9)
    with pytest.raises(ValueError, match="40 requested but only 30"):
        compute_metrics(tmp_path, ref, ["fid"], feature_module=TinyFeatures(), num_samples=40)


def test_png_folder_reads_grey_and_rgba_as_rgb(tmp_path):
    iio.imwrite(tmp_path / "a.png", np.full((5, 6), 7, np.uint8))
    iio.imwrite(tmp_path / "b.png", np.full((5, 6, 4), 9, np.uint8))
    folder = PngFolder(tmp_path)
    assert [tuple(x.shape) for x in folder] == [(3, 5, 6)] * 2 and folder[0].dtype == torch.uint8
    assert folder[0].tolist()[0][0][0] == 7 and folder[1].tolist()[2][4][5] == 9
    with pytest.raises(FileNotFoundError, match="no PNG samples"):
        PngFolder(tmp_path / "none")


def test_devices_are_checked():
    assert resolve_device("cpu") == torch.device("cpu")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="CUDA is not available"):
            resolve_device("cuda:1")
    else:
        with pytest.raises(ValueError, match="CUDA device"):
            resolve_device(f"cuda:{torch.cuda.device_count()}")


def _write_config(tmp_path, n=6):
    imgs = _images(11, n=n, size=12)
    torch.save(imgs, tmp_path / "ref.pt")
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text(f"data:\n  params:\n    validation:\n      target: {__name__}.SavedImages\n"
                   f"      params: {{path: {tmp_path / 'ref.pt'}}}\n")
    return cfg, imgs


class SavedImages(torch.utils.data.Dataset):
    """A dataset of ``{"image": float [3, H, W]}`` from a saved uint8 tensor (for the command)."""

    def __init__(self, path):
        self.images = torch.load(path)

    def __len__(self):
        return len(self.images)

    def __getitem__(self, i):
        return {"image": self.images[i].float() / 255}


def test_fidelity_command_with_pytorch_fid(tmp_path, monkeypatch, capsys):
    from spikevision.cli import fidelity

    cfg, imgs = _write_config(tmp_path)
    samples = tmp_path / "samples"
    samples.mkdir()
    for i, img in enumerate(_images(12, n=6, size=12, brightness=0.9)):
        iio.imwrite(samples / f"sample_{i:06d}.png", img.permute(1, 2, 0).numpy())
    weights = tmp_path / PYTORCH_FID_FILE
    torch.save(random_inception_state(0), weights)
    args = ["--samples", str(samples), "--config", str(cfg), "--metrics", "fid", "--backend", "pytorch-fid",
            "--pytorch-fid-weights", str(weights), "--dims", "64", "--cache-dir", str(tmp_path / "cache"),
            "--device", "cpu", "--no-progress", "--num-samples", "5", "--json", str(tmp_path / "out.json")]
    out = fidelity.run(args)
    assert out["fid_backend"] == "pytorch-fid" and out["num_samples"] == 5 and out["num_reference"] == 6
    assert json.loads((tmp_path / "out.json").read_text())["frechet_inception_distance"] == pytest.approx(
        out["frechet_inception_distance"])
    assert len(list((tmp_path / "cache").glob("fid-stats-*.npz"))) == 1
    again = fidelity.run(args)  # from the cache
    assert again["frechet_inception_distance"] == pytest.approx(out["frechet_inception_distance"], rel=1e-9)
    assert "frechet_inception_distance" in capsys.readouterr().out
    # offline: the command stops before reading data, naming the file
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path / "hub"))
    with pytest.raises(SystemExit) as exit_:
        fidelity.main([a for a in args if a != str(weights) and a != "--pytorch-fid-weights"])
    assert exit_.value.code == 2 and PYTORCH_FID_FILE in capsys.readouterr().err
    with pytest.raises(SystemExit):
        fidelity.main(args[:-2] + ["--num-samples", "50"])
    assert "only 6 PNGs" in capsys.readouterr().err
