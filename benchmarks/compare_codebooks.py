"""Evidence: temporal vs vanilla codebook on N-Digits events at equal code budget, and how the
generator's numbers move with training length.

For each codebook (same n_e = 128 codes of embed_dim 32 per step; the temporal code is one 4-step
trajectory per position, the vanilla code one vector per step) and each training length, trains
stage 1 (spiking VQ-VAE) and stage 2 (spiking GPT) with the run scripts' settings and judges them
with ``spikevision.cli.generation_evaluate``'s measures (a digit classifier trained on N-Digits):
stage-1 PSNR, event F1 and reconstruction class accuracy; the share of samples classified with
confidence ≥ 0.9, the largest class share, FID/KID in the classifier's feature space, and the
consecutive-frame correlation of samples next to the real data's.

Usage: python benchmarks/compare_codebooks.py [--lengths 3:4 6:8] [--samples 512] [--json F] [--markdown F]
(default: the run scripts' own lengths)
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from spikevision.cli.generation_evaluate import MARKDOWN_HEADER, evaluate_generator, markdown_row
from spikevision.cli.launch_scripts import merged_config, script_arguments
from spikevision.cli.train import run as train
from spikevision.data.ndigits import NDigits

REPO = Path(__file__).resolve().parents[1]
REP = {"kind": "frames", "num_bins": 4}
STAGE1, STAGE2 = "stage_1/run_snn_vqvae_ndigits.sh", "stage_2/run_snn_transformer_ndigits.sh"


def script_lengths() -> str:
    """``E1:E2``: the epochs the two run scripts train."""
    return ":".join(str(merged_config([f"train/{s}"]).lightning.trainer.max_epochs) for s in (STAGE1, STAGE2))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--lengths", nargs="+", default=None, metavar="E1:E2",
                   help="training lengths: stage-1 epochs:stage-2 epochs (default: the run scripts')")
    p.add_argument("--codebooks", nargs="+", default=["temporal", "vanilla"], choices=("temporal", "vanilla"))
    p.add_argument("--samples", type=int, default=512)
    p.add_argument("--logdir", default="logs/compare_codebooks")
    p.add_argument("--json", default=None)
    p.add_argument("--markdown", default=None)
    opt = p.parse_args()
    val = NDigits("validation", representation=REP)
    results: dict[str, dict] = {}
    for length in opt.lengths or [script_lengths()]:
        e1, e2 = (int(v) for v in length.split(":"))
        for codebook in opt.codebooks:
            suffix = "_vanilla" if codebook == "vanilla" else ""
            start = time.time()
            s1 = train([*script_arguments(STAGE1.replace(".sh", f"{suffix}.sh")),
                        "-l", opt.logdir, "-n", f"vq_{codebook}_{e1}", "--no-test",
                        f"lightning.trainer.max_epochs={e1}", "lightning.trainer.enable_progress_bar=false"])
            s2 = train([*script_arguments(STAGE2.replace(".sh", f"{suffix}.sh")),
                        "-l", opt.logdir, "-n", f"prior_{codebook}_{e2}", "--no-test",
                        f"lightning.trainer.max_epochs={e2}", "lightning.trainer.enable_progress_bar=false",
                        f"model.params.first_stage.run={s1.logdir}"])
            minutes = (time.time() - start) / 60
            r = evaluate_generator(s2.model.eval(), val, "events", REP, samples=opt.samples)
            r.update(codebook=codebook, stage1_epochs=e1, stage2_epochs=e2, train_minutes=round(minutes, 1),
                     prior_val_loss=s2.validate_after.get("val/loss"))
            key = f"{codebook} {e1}:{e2} epochs"
            results[key] = r
            print(key, json.dumps(r))
    table = MARKDOWN_HEADER + "\n" + "\n".join(markdown_row(k, r) for k, r in results.items())
    print("\n" + table)
    if opt.json:
        Path(opt.json).write_text(json.dumps(results, indent=2))
    if opt.markdown:
        Path(opt.markdown).write_text(table + "\n")


if __name__ == "__main__":
    main()
