"""``make demo``: train the spiking reconstruction model on the embedded N-Digits data (CPU).

Prints validation PSNR/SSIM before and after training and the path of a PNG grid with
events | reconstruction | ground truth per row. Extra arguments are passed to the trainer CLI
(e.g. ``lightning.trainer.max_epochs=2``).
"""

from __future__ import annotations

import sys
from pathlib import Path

from spikevision.cli.train import run

REPO = Path(__file__).resolve().parents[3]
DEMO_CONFIG = REPO / "train" / "stage_1" / "snn_recon_ndigits.yaml"


def latest(folder: Path, pattern: str) -> Path | None:
    files = sorted(folder.glob(pattern), key=lambda p: p.stat().st_mtime)
    return files[-1] if files else None


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    result = run(["--base", str(DEMO_CONFIG), "-n", "demo", "--validate-first", *argv])
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


if __name__ == "__main__":
    main()
