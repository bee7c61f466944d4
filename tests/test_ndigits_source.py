"""N-Digits: generation, cache layout, determinism, splits and atomic builds."""

import os
import time

import numpy as np
import pytest

from spikevision.data import ndigits_source as nd
from spikevision.io.event_array import EVENT_DTYPE
from spikevision.simulate.saccade_events import simulate_saccade_events
from spikevision.simulate.spike_camera import simulate_spikes


@pytest.fixture(scope="session")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("ndigits")
    start = time.perf_counter()
    path = nd.build_ndigits(root)
    return root, path, time.perf_counter() - start


@pytest.fixture(scope="session")
def source(built):
    return nd.load_ndigits(built[0])


def test_build_layout_and_time(built):
    root, path, seconds = built
    assert path == root / f"ndigits_v{nd.VERSION}"
    assert sorted(os.listdir(path)) == ["data.npz", "meta.json"]
    assert not [p for p in os.listdir(root) if ".tmp-" in p]
    assert seconds < 60, f"N-Digits build took {seconds:.1f} s"


def test_contents(source):
    n = len(source)
    assert n == 1797 and source.num_classes == 10
    assert source.images.shape == (n, 34, 34) and source.images.dtype == np.float32
    assert 0 <= source.images.min() and source.images.max() <= 1
    assert source.images[:, 0].max() == 0 and source.images[:, :, -1].max() == 0  # 1-px pad
    assert source.labels.dtype == np.int64 and set(np.unique(source.labels)) == set(range(10))
    assert source.label_names[0] == "zero" and source.label_names[9] == "nine"
    assert source.digit_names == tuple("0123456789")
    assert source.meta["num_samples"] == n and source.meta["params"] == nd.DEFAULT_PARAMS


def test_splits(source):
    parts = [source.indices(s) for s in nd.SPLIT_NAMES]
    assert [len(p) for p in parts] == [1258, 269, 270]
    allidx = np.concatenate(parts)
    assert len(np.unique(allidx)) == len(source) == len(allidx)  # disjoint and complete
    np.testing.assert_array_equal(source.indices("val"), parts[1])
    for p in parts:  # stratified: every class in every split, roughly in proportion
        counts = np.bincount(source.labels[p], minlength=10)
        assert counts.min() > 0 and counts.max() - counts.min() <= 0.1 * len(p)
    with pytest.raises(ValueError):
        source.indices("dev")


def test_events_every_sample(source):
    counts = source.num_events()
    assert counts.min() > 500
    t, off = source.ev_t.astype(np.int64), source.ev_offsets
    assert source.ev_x.max() < 34 and source.ev_y.max() < 34
    starts = np.zeros(len(t), bool)
    starts[off[:-1]] = True
    assert np.all((np.diff(t) >= 0) | starts[1:])  # sorted by t within each sample
    on = np.add.reduceat(source.ev_p.astype(np.int64), off[:-1])
    assert np.all(on > 0) and np.all(on < counts)  # ON and OFF in every sample
    ev = source.events(10)
    assert ev.dtype == EVENT_DTYPE and len(ev) == counts[10]
    assert ev["t"].min() > 0 and ev["t"].max() <= 300_000


def test_samples_reproducible_from_simulators(source):
    p = nd.DEFAULT_PARAMS
    for i in (0, 1796):
        ev = simulate_saccade_events(
            source.images[i], seed=p["seed"] + i, threshold=p["threshold"],
            threshold_sigma=p["threshold_sigma"], refractory_us=p["refractory_us"],
            amplitude_px=p["amplitude_px"], steps_per_saccade=p["steps_per_saccade"],
            eps=p["eps"])
        np.testing.assert_array_equal(source.events(i), ev)
        spk = simulate_spikes(source.images[i], p["spike_steps"], seed=[p["seed"] + i, 1])
        np.testing.assert_array_equal(source.spikes(i), spk)


def test_spikes(source):
    s = source.spikes(5)
    assert s.shape == (32, 34, 34) and s.dtype == np.uint8
    assert np.all(np.abs(s.sum(0) - 32 * source.images[5]) <= 1)


def test_build_is_deterministic(built, source, tmp_path):
    again = nd.load_ndigits(tmp_path)
    for name in ("images", "labels", "split", "ev_x", "ev_y", "ev_t", "ev_p", "ev_offsets",
                 "spikes_packed"):
        np.testing.assert_array_equal(getattr(again, name), getattr(source, name))


def test_second_load_does_not_regenerate(built, monkeypatch):
    root, path, _ = built
    mtime = (path / "data.npz").stat().st_mtime_ns

    def boom(*a, **k):
        raise AssertionError("regenerated")

    monkeypatch.setattr(nd, "_generate", boom)
    start = time.perf_counter()
    src = nd.load_ndigits(root)
    assert time.perf_counter() - start < 2.0
    assert len(src) == 1797 and (path / "data.npz").stat().st_mtime_ns == mtime


def test_interrupted_build_leaves_nothing(tmp_path, monkeypatch):
    def fail(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(nd, "simulate_saccade_events_batch", fail)
    with pytest.raises(KeyboardInterrupt):
        nd.build_ndigits(tmp_path)
    assert [p.name for p in tmp_path.iterdir() if not p.name.endswith(".lock")] == []


def test_default_root_and_param_overrides(monkeypatch, tmp_path):
    monkeypatch.setenv("SPIKEVISION_CACHE", str(tmp_path))
    assert nd.ndigits_dir() == tmp_path / "ndigits_v1"
    other = nd.ndigits_dir(eps=0.3)
    assert other.parent == tmp_path and other.name.startswith("ndigits_v1_")
    with pytest.raises(TypeError, match="unknown"):
        nd.ndigits_dir(bogus=1)
