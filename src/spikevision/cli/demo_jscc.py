"""``make demo-jscc``: stereo JSCC on the embedded stereo pairs (CPU; about 4 minutes estimated from the step times).

Trains the single-view CNN briefly, then the matched SNN initialised from it (same ρ = 1/16,
AWGN at 5 dB), and runs the SNR sweep (AWGN and Rayleigh, with the JPEG/WebP separation
baseline) on 32 test pairs. Prints both models' test PSNR and where the table and plot are.
The full evidence (every variant, 1500 steps each) is ``benchmarks/compare_jscc.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from spikevision.cli import jscc_evaluate
from spikevision.cli.launch_scripts import launched, run_script
from spikevision.cli.train import run as train_run


def config_stack(name: str) -> list[str]:
    """The configs ``train/stage_1/run_<name>.sh`` stacks."""
    return [str(p) for p in launched(run_script(name))[1]]


def main(argv: Sequence[str] | None = None, cnn_steps: int = 400, snn_steps: int = 120) -> Path:
    logdir = Path("logs")  # under the working directory, as the other demos
    common = ["lightning.trainer.val_check_interval=100", "lightning.callbacks.image_logger.params.batch_frequency=100",
              "-l", str(logdir)]
    cnn = train_run(["--base", *config_stack("jscc_cnn_single_embedded"), f"lightning.trainer.max_steps={cnn_steps}",
                     *common, "-n", "demo_jscc_cnn"])
    snn = train_run(["--base", *config_stack("jscc_snn_single_embedded"), f"lightning.trainer.max_steps={snn_steps}",
                     f"model.params.init_from={cnn.logdir}", *common, "-n", "demo_jscc_snn"])
    out = logdir / "demo_jscc_sweep"
    jscc_evaluate.run([str(cnn.logdir), str(snn.logdir), "--names", "CNN", "SNN (from CNN)", "--limit", "32",
                       "--snr", "-5", "0", "5", "10", "15", "--baseline", "jpeg", "webp", "-o", str(out)])
    print("\n=== spikevision demo: stereo JSCC on embedded stereo pairs (ρ = 1/16, AWGN 5 dB) ===")
    for name, result in (("CNN", cnn), ("SNN", snn)):
        m = result.test_metrics
        print(f"{name}: test PSNR left {m.get('test/psnr_left', float('nan')):.2f} dB, "
              f"MS-SSIM {m.get('test/msssim_left', float('nan')):.4f}"
              + (f", firing rate {m['test/firing_mean']:.3f}" if "test/firing_mean" in m else ""))
    print(f"SNR sweep: {out}/jscc_sweep.md and {out}/jscc_sweep.png")
    return out / "jscc_sweep.png"


if __name__ == "__main__":
    main()
