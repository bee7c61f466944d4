"""Generation demo on N-Digits events (CPU, a few minutes): stage 1 → stage 2 → sample.

Trains the spiking VQ-VAE with the temporal codebook (what train/stage_1/run_snn_vqvae_ndigits.sh
launches), then the spiking GPT prior on its codes (train/stage_2/run_snn_transformer_ndigits.sh), samples
event data with sample/sample_event.yaml, judges 256 samples with a digit classifier trained on
N-Digits (recognised share, class histogram, FID; ``generation_evaluate``) and prints the numbers
and the path of the GIF grid. The two runs are shortened from the scripts' 6 and 8 epochs
(``DEMO_EPOCHS``) so that ``make demo`` stays under 20 minutes; docs/generation_results.md has the
full-length numbers. Extra arguments are overrides for both training runs, e.g.
``lightning.trainer.max_epochs=1``.

    python -m spikevision.cli.demo_generation [-l LOGDIR] [key=value ...]
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from spikevision.cli.console import console_main, parse_with_overrides
from spikevision.cli.generation_evaluate import MARKDOWN_HEADER, evaluate_generator, markdown_row
from spikevision.cli.launch_scripts import script_arguments
from spikevision.cli.sample import run as sample
from spikevision.cli.train import run as train
from spikevision.resources import find_config

STAGE1 = "stage_1/run_snn_vqvae_ndigits.sh"
STAGE2 = "stage_2/run_snn_transformer_ndigits.sh"
SAMPLE = "sample/sample_event.yaml"  # under the config root (checkout or installed package)
DEMO_EPOCHS = {STAGE1: ["lightning.trainer.max_epochs=2"], STAGE2: ["lightning.trainer.max_epochs=2"]}


def get_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="spikevision.cli.demo_generation",
                                description=__doc__.split("\n\n")[0])
    p.add_argument("-l", "--logdir", default="logs", help="parent directory of the run directories")
    p.add_argument("overrides", nargs="*", metavar="key=value",
                   help="config overrides for both training runs, e.g. lightning.trainer.max_epochs=1")
    return p


def run(argv: Sequence[str] | None = None) -> Path:
    """Run the three steps; return the GIF grid's path."""
    opt = parse_with_overrides(get_parser(), argv)
    logs = opt.logdir
    extra = [*opt.overrides, "-l", logs]
    # the run scripts' own overrides come first; ours (given after) win
    s1 = train([*script_arguments(STAGE1), "-n", "demo_snn_vqvae_ndigits", "--no-test", *DEMO_EPOCHS[STAGE1],
                *extra])
    s2 = train([*script_arguments(STAGE2), "-n", "demo_snn_transformer_ndigits", "--no-test", *DEMO_EPOCHS[STAGE2],
                f"model.params.first_stage.run={s1.logdir}", *extra])
    paths = sample(["--base", str(find_config(SAMPLE)), f"sample.run={s2.logdir}", "sample.num_samples=32",
                    f"sample.out_dir={s2.logdir / 'samples' / 'demo'}"])
    s1_val = {k: v for k, v in s1.validate_after.items() if k in ("val/psnr", "val/ssim", "val/perplexity")}
    judged = evaluate_generator(s2.model.eval(), s2.data.dataset("validation"), "events",
                                {"kind": "frames", "num_bins": 4}, samples=256)
    print("\n=== spikevision generation demo: temporal-codebook spiking VQ-VAE + spiking GPT on N-Digits ===")
    print("stage 1 (VQ-VAE) validation: " + ", ".join(f"{k} {v:.3f}" for k, v in sorted(s1_val.items())))
    if "val/loss" in s2.validate_after:
        print(f"stage 2 (prior) validation loss: {s2.validate_after['val/loss']:.3f} nats/token")
    print("judged by a digit classifier trained on N-Digits (spikevision.cli.generation_evaluate):")
    print(MARKDOWN_HEADER)
    print(markdown_row("demo", judged))
    print(f"runs: {s1.logdir} , {s2.logdir}  (logs under {logs})")
    print(f"time-unfolded samples: {paths.get('unfold')}")
    print(f"event GIF grid (ON red / OFF blue): {paths['gif']}")
    return paths["gif"]


def main(argv: Sequence[str] | None = None) -> None:
    """Console entry: usage errors and our errors exit with status 2, without a traceback."""
    console_main(run, argv)


if __name__ == "__main__":
    main()
