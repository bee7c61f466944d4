"""Send one stereo pair (two image files) through a trained stereo JSCC model.

    python -m spikevision.cli.jscc_send RUN_OR_CKPT LEFT.png RIGHT.png [--snr 5] [--channel awgn]
        [--no-csi] [--seed 0] [-o OUTDIR]

Both images must have the same size; sizes that are not multiples of the codec's stride (8) are
centre-cropped to the largest multiple. Writes ``decoded_left.png`` (and ``decoded_right.png``
when the variant sends the right view) and prints PSNR per view and the bandwidth ratio ρ.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError

from spikevision.channels import format_ratio, make_channel
from spikevision.cli.console import console_main
from spikevision.errors import StereoPairError
from spikevision.metrics.psnr import psnr_per_image
from spikevision.models.jscc.loading import load_jscc
from spikevision.transforms import center_crop


def read_rgb(path: Path) -> np.ndarray:
    """An image file as ``uint8 [H, W, 3]`` (clear error when missing or unreadable)."""
    if not path.is_file():
        raise StereoPairError(f"image {path} does not exist")
    try:
        with Image.open(path) as im:
            return np.asarray(im.convert("RGB"))
    except (UnidentifiedImageError, OSError) as err:
        raise StereoPairError(f"cannot read image {path}: {err}") from None


def to_tensor(image: np.ndarray, stride: int) -> torch.Tensor:
    h, w = image.shape[0] // stride * stride, image.shape[1] // stride * stride
    if h == 0 or w == 0:
        raise StereoPairError(f"image of {image.shape[0]}×{image.shape[1]} px is smaller than the stride {stride}")
    crop = center_crop(np.moveaxis(image, -1, 0), (h, w))  # [3, h, w]
    return torch.from_numpy(crop.copy()).float().div(255).unsqueeze(0)


def run(argv: Sequence[str] | None = None) -> dict:
    p = argparse.ArgumentParser(prog="jscc_send", description=__doc__.split("\n\n")[0])
    p.add_argument("checkpoint")
    p.add_argument("left", type=Path)
    p.add_argument("right", type=Path)
    p.add_argument("--snr", type=float, default=None, help="channel SNR in dB (default: the model's eval SNR)")
    p.add_argument("--channel", choices=["awgn", "rayleigh"], default="awgn")
    p.add_argument("--no-csi", action="store_true")
    p.add_argument("--seed", type=int, default=0, help="seed of the channel noise")
    p.add_argument("-o", "--output", type=Path, default=Path("logs/jscc_send"))
    args = p.parse_args(argv)
    model, _, _ = load_jscc(args.checkpoint)
    left_np, right_np = read_rgb(args.left), read_rgb(args.right)
    if left_np.shape != right_np.shape:
        raise StereoPairError(f"the two views differ in size: {args.left} is {left_np.shape[1]}×{left_np.shape[0]},"
                              f" {args.right} is {right_np.shape[1]}×{right_np.shape[0]}")
    stride = 2**model.system.num_layers
    left, right = to_tensor(left_np, stride), to_tensor(right_np, stride)
    snr = model.eval_snr_db if args.snr is None else args.snr
    params = {"snr_db": snr, **({"csi": not args.no_csi} if args.channel == "rayleigh" else {})}
    model.system.channel = make_channel(args.channel, **params)
    with torch.no_grad():
        out = model(left, right, snr_db=snr, generator=torch.Generator().manual_seed(args.seed))
    args.output.mkdir(parents=True, exist_ok=True)
    result = {"snr_db": snr, "channel": args.channel, "rho": format_ratio(model.bandwidth_ratio(*left.shape[-2:]))}
    for view, target in (("left", left), ("right", right)):
        if out.get(view) is None:
            continue
        decoded = (out[view][0].clamp(0, 1).permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)
        path = args.output / f"decoded_{view}.png"
        Image.fromarray(decoded).save(path)
        result[f"psnr_{view}"] = float(psnr_per_image(out[view], target)[0])
        result[f"decoded_{view}"] = str(path)
    (args.output / "result.json").write_text(json.dumps(result, indent=1))
    views = ", ".join(f"{v} {result[f'psnr_{v}']:.2f} dB" for v in ("left", "right") if f"psnr_{v}" in result)
    print(f"{args.channel} SNR {snr:g} dB, ρ = {result['rho']}: PSNR {views} → {args.output}")
    return result


def main(argv: Sequence[str] | None = None) -> None:
    console_main(run, argv)


if __name__ == "__main__":
    main()
