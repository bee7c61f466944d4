"""Run a combined SpikeCLIP checkpoint on event or spike recordings.

    python -m spikevision.cli.spikeclip_infer COMBINED.pt INPUT [INPUT ...] -o OUTDIR
        [--device auto|cpu|cuda] [--batch-size 16] [--repeats 20] [--no-perf] [--scale 4]
        [--sensor-size H W] [--fit crop|resize]

INPUT: files or folders (searched recursively) in any format the data layer reads: events
``.bin`` / ``.aedat`` / ``.npy`` / ``.npz``, spikes ``.dat`` / UHSR ``.npz``. Writes per file
``<name>_<stage>.png`` and ``<name>_compare.png`` (input | stage 1 | stage 3 …), then
``predictions.json`` (class, confidence, P(high quality) per stage) and ``perf.json`` (latency at
batch 1, throughput at ``--batch-size``, peak memory, GPU power via NVML).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image

from spikevision.cli.console import console_main
from spikevision.errors import SpikevisionError


def get_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="spikeclip_infer", description=__doc__.split("\n\n")[0])
    p.add_argument("checkpoint", type=Path, help="combined checkpoint (spikeclip_combine)")
    p.add_argument("inputs", nargs="+", help="recording files or folders")
    p.add_argument("-o", "--output", type=Path, default=Path("spikeclip_out"), help="output folder")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:1 ...")
    p.add_argument("--batch-size", type=int, default=16, help="batch size of the throughput measurement")
    p.add_argument("--repeats", type=int, default=20, help="timed repetitions")
    p.add_argument("--no-perf", action="store_true", help="skip the latency/throughput/power measurement")
    p.add_argument("--scale", type=int, default=4, help="nearest-neighbour upscaling of the PNGs")
    p.add_argument("--sensor-size", type=int, nargs=2, metavar=("H", "W"),
                   help="override the sensor size of the checkpoint's input spec")
    p.add_argument("--fit", choices=("crop", "resize"),
                   help="events from a larger sensor than the model's: crop to it or scale their "
                        "coordinates (default: refuse such recordings)")
    return p


def save_png(image: torch.Tensor, path: Path, scale: int = 1) -> None:
    """``[3 or 1, H, W]`` in [0, 1] → PNG, upscaled by ``scale`` (nearest)."""
    img = image.detach().float().cpu().clamp(0, 1)
    if img.shape[0] == 1:
        img = img.expand(3, -1, -1)
    if scale > 1:
        img = torch.nn.functional.interpolate(img[None], scale_factor=scale, mode="nearest")[0]
    Image.fromarray((img.permute(1, 2, 0).numpy() * 255 + 0.5).astype(np.uint8)).save(path)


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(name)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise SpikevisionError(f"device '{name}' requested but CUDA is not available")
    return device


def run(argv: Sequence[str] | None = None) -> dict[str, Any]:
    from tqdm import tqdm

    from spikevision.data.recording_inputs import list_recordings, load_input
    from spikevision.metrics.perf import measure
    from spikevision.models.spikeclip.evaluation import input_panel
    from spikevision.models.spikeclip.pipeline import SpikeClipPipeline
    from spikevision.visualize import side_by_side

    opt = get_parser().parse_args(argv)
    device = resolve_device(opt.device)
    files = list_recordings(opt.inputs)
    pipe = SpikeClipPipeline.from_file(opt.checkpoint, device)
    spec = dict(pipe.input_spec)
    if opt.sensor_size:
        spec["sensor_size"] = list(opt.sensor_size)
    if opt.fit:
        spec["fit"] = opt.fit
    opt.output.mkdir(parents=True, exist_ok=True)
    predictions = []
    example = None
    for path in tqdm(files, desc="spikeclip", unit="file"):
        x = load_input(path, spec).to(device)
        example = x[None] if example is None else example
        out = pipe.reconstruct(x[None])
        record: dict[str, Any] = {"file": str(path)}
        panels = [input_panel(x.cpu())[None]]
        for stage, img in out.items():
            save_png(img[0], opt.output / f"{path.stem}_{stage}.png", opt.scale)
            probs = pipe.classify(img)[0]
            conf, idx = probs.max(0)
            q = pipe.quality(img)
            record[stage] = {"class": pipe.label_names[int(idx)], "confidence": round(float(conf), 4),
                             "p_hq": None if q is None else round(float(q[0]), 4)}
            panels.append(img.cpu().expand(-1, 3, -1, -1))
        save_png(side_by_side(panels)[0], opt.output / f"{path.stem}_compare.png", opt.scale)
        predictions.append(record)
    final = pipe.stage_names[-1]
    print(f"\n{'file':40s} " + " ".join(f"{s:>22s}" for s in pipe.stage_names))
    for r in predictions:
        cells = " ".join(f"{r[s]['class']:>12s} ({r[s]['confidence']:.2f})".rjust(22) for s in pipe.stage_names)
        print(f"{Path(r['file']).name[:40]:40s} {cells}")
    (opt.output / "predictions.json").write_text(json.dumps(predictions, indent=2))
    result: dict[str, Any] = {"predictions": predictions, "final_stage": final, "output": str(opt.output)}
    if not opt.no_perf and example is not None:
        report = measure(lambda b: pipe(b), example, batch_size=opt.batch_size, repeats=opt.repeats)
        result["perf"] = report.as_dict()
        (opt.output / "perf.json").write_text(json.dumps(result["perf"], indent=2))
        mem = f"peak RSS {report.peak_rss_mb:.0f} MB"
        if report.gpu_peak_mb is not None:
            mem += f", GPU peak {report.gpu_peak_mb:.1f} MB"
        power = ""
        if report.power_active_w is not None:
            power = (f", power {report.power_active_w:.0f} W (idle {report.power_idle_w:.0f} W), "
                     f"{1000 * report.energy_per_sample_j:.2f} mJ/sample")
        print(f"\n{report.device}: latency {report.latency_ms:.2f} ms (batch 1, median), "
              f"throughput {report.throughput_per_s:.1f} samples/s (batch {report.batch_size}), {mem}{power}")
        for note in report.notes:
            print(f"note: {note}")
    print(f"outputs: {opt.output}")
    return result


def main(argv: Sequence[str] | None = None) -> None:
    console_main(run, argv, expected=(FileNotFoundError,))


if __name__ == "__main__":
    main()
