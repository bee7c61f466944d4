"""Training-curve PNGs from Lightning CSV logs."""

from __future__ import annotations

from PIL import Image

from spikevision.callbacks.training_curves import group_name, plot_curves, read_metrics


def test_read_and_plot(tmp_path):
    a = tmp_path / "v1" / "metrics.csv"
    a.parent.mkdir()
    a.write_text("epoch,step,train/loss,val/loss,val/psnr\n0,0,1.0,,\n0,1,0.5,,\n0,1,,0.7,20\n")
    b = tmp_path / "v2" / "metrics.csv"  # a resumed run: second CSV
    b.parent.mkdir()
    b.write_text("epoch,step,train/loss,lr-Adam\n1,2,0.25,0.001\n1,3,nan,0.001\n")
    series = read_metrics([a, b])
    assert series["train/loss"] == [(0, 1.0), (1, 0.5), (2, 0.25)]  # nan dropped, runs joined
    assert series["val/psnr"] == [(1, 20.0)]
    assert group_name("val/loss") == group_name("train/loss") == "loss"
    out = plot_curves(series, tmp_path / "curves" / "c.png", "run")
    with Image.open(out) as img:
        assert img.size[0] > 400  # two panels side by side: loss, psnr
    assert plot_curves({}, tmp_path / "empty.png") is None
