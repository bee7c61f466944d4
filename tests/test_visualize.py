"""The shared panel builder behind every model's log_images (spikevision.visualize.image_panels)."""

from __future__ import annotations

import torch

from spikevision.visualize import image_panels, side_by_side, titled_columns


def test_image_panels_names_clamps_trims_and_compares():
    recon = torch.tensor([-0.5, 0.25, 1.5]).view(3, 1, 1, 1).expand(3, 1, 2, 2)  # 3 grey images
    target = torch.rand(3, 3, 2, 2)
    gif = torch.rand(3, 4, 1, 2, 2) * 2
    out = image_panels({"_coarse": torch.zeros(3, 1, 2, 2), "reconstruction": recon, "ground_truth": target,
                        "missing": None}, extra={"inputs_gif": gif, "absent": None}, max_images=2)
    assert set(out) == {"reconstruction", "ground_truth", "inputs_gif", "comparison"}  # _coarse: comparison only
    assert out["reconstruction"].shape == (2, 3, 2, 2)
    assert out["reconstruction"][:, 0, 0, 0].tolist() == [0.0, 0.25]  # clamped to [0, 1], first two
    assert torch.equal(out["ground_truth"], target[:2])
    assert out["inputs_gif"].shape == (2, 4, 3, 2, 2) and out["inputs_gif"].max() <= 1
    expected = side_by_side([torch.zeros(2, 3, 2, 2), out["reconstruction"], target[:2]])
    assert torch.equal(out["comparison"], expected)
    assert out["comparison"].shape == (2, 3, 2, 3 * 2 + 2)  # three panels, two 1-pixel gaps


def test_image_panels_custom_comparison_name():
    out = image_panels({"_a": torch.ones(1, 3, 4, 4), "_b": torch.zeros(1, 3, 4, 4)}, comparison="comparison_gif")
    assert list(out) == ["comparison_gif"] and out["comparison_gif"].shape == (1, 3, 4, 9)


def test_titled_columns_draws_each_column_under_its_title(tmp_path):
    """Column c's pixels land in column c of the figure: a white column among black ones shows as a
    bright band at its place; a titles/columns mismatch is refused."""
    import imageio
    import pytest

    black, white = torch.zeros(3, 3, 16, 16), torch.ones(3, 3, 16, 16)
    path = titled_columns([black, white, black], ["a\n1 dB", "b", "c"], tmp_path / "fig.png")
    fig = imageio.v3.imread(path)[..., :3].astype(float).mean(-1)
    third = fig.shape[1] // 3
    middle_row = fig[fig.shape[0] // 2]
    centres = [middle_row[c * third + third // 2] for c in range(3)]
    assert centres[1] > 200 and centres[0] < 60 and centres[2] < 60
    with pytest.raises(ValueError, match="one title per column"):
        titled_columns([black], ["a", "b"], tmp_path / "bad.png")


def test_column_titles_carry_psnr_and_accuracy():
    from spikevision.cli.spikeclip_evaluate import column_titles

    titles = column_titles(["input", "stage1", "ground truth"], {"stage1": {"psnr": 7.534, "clip_acc": 0.78}})
    assert titles == ["input", "stage1\n7.53 dB, acc 0.78", "ground truth"]
