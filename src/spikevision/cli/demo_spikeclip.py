"""SpikeCLIP demo on N-Digits (CPU, offline): stages 0–3, combine, infer, evaluate.

    python -m spikevision.cli.demo_spikeclip [--artifacts DIR] [--full] [key=value ...]

Runs the N-Digits configs of ``train/stage_{0,1,2,3}/`` through the trainer (shortened unless
``--full``): the small N-Digits CLIP, the CLIP-guided SNN, HQ/LQ prompts, the fine-tuned SNN
and the U-Net refiner; then combines the exports, reconstructs the real N-MNIST recording in
``tests/data/`` and prints the path of the stage-1 vs stage-3 evaluation table. ``key=value``
arguments are passed to every stage (e.g. ``lightning.trainer.max_steps=2`` for a smoke run).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from pathlib import Path

from spikevision.cli.console import console_main, parse_with_overrides
from spikevision.cli.launch_scripts import script_arguments
from spikevision.cli.train import run as train_run
from spikevision.resources import DEMO_RECORDING, find_config

STAGES = [  # (run script under train/, shortened-run overrides)
    ("stage_0/run_spikeclip_clip_ndigits.sh", ["lightning.trainer.max_epochs=6"]),
    ("stage_1/run_spikeclip_ndigits.sh", ["lightning.trainer.max_epochs=5"]),  # the script's 8, shortened
    ("stage_2/run_spikeclip_prompt_ndigits.sh", ["lightning.trainer.max_epochs=1"]),
    ("stage_3/run_spikeclip_ndigits.sh", ["lightning.trainer.max_epochs=1"]),
    ("stage_3/run_spikeclip_refine_ndigits.sh", ["lightning.trainer.max_epochs=1"]),
]
QUIET = ["lightning.trainer.enable_model_summary=false"]


def get_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="spikevision.cli.demo_spikeclip", description=__doc__.split("\n\n")[0])
    p.add_argument("--artifacts", type=Path, default=Path("logs") / "spikeclip_artifacts" / "demo",
                   help="folder for the stage exports, combined checkpoint and evaluation")
    p.add_argument("--full", action="store_true", help="train as long as the configs say")
    p.add_argument("-l", "--logdir", default="logs", help="parent directory of the run directories")
    p.add_argument("overrides", nargs="*", metavar="key=value",
                   help="config overrides for every stage, e.g. lightning.trainer.max_steps=2")
    return p


def run(argv: Sequence[str] | None = None) -> Path:
    """Run the stages, combine, infer, evaluate; return the evaluation table's path."""
    opt = parse_with_overrides(get_parser(), argv)
    overrides = opt.overrides
    art = f"artifacts={opt.artifacts}"
    start = time.time()
    summary = []
    for script, quick in STAGES:
        result = train_run([*script_arguments(script), "-l", opt.logdir, art, *QUIET, *([] if opt.full else quick),
                            *overrides])
        metrics = {**result.validate_after, **result.test_metrics}
        shown = {k: round(v, 4) for k, v in metrics.items()
                 if k.split("/")[-1] in ("zero_shot_acc", "clip_acc", "psnr", "ssim", "hq_lq_acc", "p_hq")}
        summary.append((f"{script.split('/')[0]} {Path(script).stem[4:]}", shown, result.logdir))

    from spikevision.cli.spikeclip_combine import run as combine
    from spikevision.cli.spikeclip_evaluate import run as evaluate
    from spikevision.cli.spikeclip_infer import run as infer

    combined = combine(["--artifacts", str(opt.artifacts)])
    infer([str(combined), str(find_config(DEMO_RECORDING)), "-o",
           str(opt.artifacts / "infer_nmnist"), "--repeats", "10"])
    table = evaluate([str(combined), "--config", str(find_config("train/stage_1/run_spikeclip_ndigits.sh")),
                      "-o", str(opt.artifacts / "eval_test"), art,
                      "--title", "SpikeCLIP on N-Digits (test split)"])["table_path"]
    print(f"\n=== SpikeCLIP demo on N-Digits ({(time.time() - start) / 60:.1f} min) ===")
    for name, shown, logdir in summary:
        print(f"{name:28s} {shown}  ({logdir})")
    print(f"combined checkpoint: {combined}")
    print(f"N-MNIST inference:   {opt.artifacts / 'infer_nmnist'}")
    print(f"evaluation table:    {table}")
    return Path(table)


def main(argv: Sequence[str] | None = None) -> None:
    """Console entry: usage errors and our errors exit with status 2, without a traceback."""
    console_main(run, argv)


if __name__ == "__main__":
    main()
