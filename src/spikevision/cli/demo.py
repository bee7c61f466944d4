"""``make demo``: the main jobs on the embedded N-Digits data, on CPU, in sequence.

1. ``recon``: the spiking event → image reconstruction model; prints validation PSNR/SSIM before
   and after training and the path of a PNG grid (events | reconstruction | ground truth).
2. ``generation``: spiking VQ-VAE (temporal codebook) → spiking prior → sampled event GIFs.
3. ``spikeclip``: embedded CLIP (stage 0) → CLIP-guided SNN (1) → HQ/LQ prompts (2) →
   quality-guided refinement (3) → evaluation table, for the supervised and the CLIP-only stage 1.

``jscc`` (stereo JSCC: CNN, matched SNN, SNR sweep; ≈ 4 min estimated from the step times) runs only when asked for
(``--only jscc``, ``make demo-jscc``), so that ``make demo`` stays under 20 minutes.

``python -m spikevision.cli.demo [--only recon|generation|spikeclip|jscc] [trainer overrides]``;
overrides (e.g. ``lightning.trainer.max_epochs=2``) apply to the ``recon`` part.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from pathlib import Path

from spikevision.cli.console import console_main, parse_with_overrides
from spikevision.cli.launch_scripts import script_arguments
from spikevision.cli.train import run as train_run

DEMO_SCRIPT = "stage_1/run_snn_recon_ndigits.sh"  # the demo trains what this run script launches,
DEMO_EPOCHS = ["lightning.trainer.max_epochs=5"]  # shortened from its 8 so that `make demo` stays under 20 min


def latest(folder: Path, pattern: str) -> Path | None:
    files = sorted(folder.glob(pattern), key=lambda p: p.stat().st_mtime)
    return files[-1] if files else None


def demo_recon(argv: list[str]) -> Path | None:
    """Train the reconstruction demo; print before/after metrics; return the grid's path."""
    result = train_run([*script_arguments(DEMO_SCRIPT), "-n", "demo", "--validate-first", *DEMO_EPOCHS, *argv])
    before, after = result.validate_before, result.validate_after
    print("\n=== spikevision demo: spiking event → image reconstruction on N-Digits ===")
    for name in ("psnr", "ssim"):
        key = f"val/{name}"
        if key in before and key in after:
            print(f"validation {name.upper():4s}: {before[key]:7.3f} before training → {after[key]:7.3f} after")
    for name, value in sorted(result.test_metrics.items()):
        print(f"{name}: {value:.4f}")
    grid = latest(result.logdir / "images" / "test", "comparison_*.png") or latest(
        result.logdir / "images" / "val", "comparison_*.png"
    )
    print(f"run directory: {result.logdir}")
    if grid is not None:
        print(f"reconstruction grid (events | reconstruction | ground truth): {grid}")
    return grid


PARTS = ("recon", "generation", "spikeclip")
OPTIONAL_PARTS = ("jscc",)


def get_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="spikevision.cli.demo", description=__doc__.split("\n\n")[0])
    p.add_argument("--only", choices=PARTS + OPTIONAL_PARTS, action="append",
                   help="run only these parts (repeatable; default: " + ", ".join(PARTS) + ")")
    p.add_argument("overrides", nargs="*", metavar="key=value",
                   help="config overrides for the recon part, e.g. lightning.trainer.max_epochs=2")
    return p


def run(argv: Sequence[str] | None = None) -> dict[str, Path | None]:
    """Run the parts in order; return each part's main output (grid, GIF grid, table, plot)."""
    opt = parse_with_overrides(get_parser(), argv)
    rest = opt.overrides
    outputs: dict[str, Path | None] = {}
    timings: dict[str, float] = {}
    for part in opt.only or PARTS:
        start = time.time()
        if part == "recon":
            outputs[part] = demo_recon(rest)
        elif part == "jscc":
            from spikevision.cli import demo_jscc

            outputs[part] = demo_jscc.main([])
        elif part == "generation":
            from spikevision.cli import demo_generation

            outputs[part] = demo_generation.run([])
        else:
            from spikevision.cli import demo_spikeclip

            for variant, table in demo_spikeclip.run([]).items():
                outputs[f"{part} {variant}"] = table
            timings.update({name: time.time() - start for name in outputs if name.startswith(part)})
            continue
        timings[part] = time.time() - start
    print("\n=== spikevision demo: outputs ===")
    for part, path in outputs.items():
        print(f"{part:22s} ({timings[part] / 60:4.1f} min): {path}")
    return outputs


def main(argv: Sequence[str] | None = None) -> None:
    """Console entry: usage errors and our errors exit with status 2, without a traceback."""
    console_main(run, argv)


if __name__ == "__main__":
    main()
