"""SpikeCLIP demo on N-Digits (CPU, offline): stages 0–3 of both stage-1 variants, combine, infer, evaluate.

    python -m spikevision.cli.demo_spikeclip [--artifacts DIR] [--full] [key=value ...]

Runs the N-Digits configs of ``train/stage_{0,1,2,3}/`` through the trainer (shortened unless
``--full``): the small N-Digits CLIP (shared), then for each stage-1 variant its SNN, HQ/LQ prompts
and the fine-tuned SNN — *supervised* (InfoNCE + pixel loss; also the U-Net refiner, in DIR) and the
events seed's *CLIP-only* one (in DIR/clip_only) —; combines each variant's exports, reconstructs
the real N-MNIST recording in ``tests/data/`` with the supervised one and prints both stage-1 vs
stage-3 evaluation tables (test split). ``key=value`` arguments are passed to every stage (e.g.
``lightning.trainer.max_steps=2`` for a smoke run)."""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from pathlib import Path

from spikevision.cli.console import console_main, parse_with_overrides
from spikevision.cli.launch_scripts import script_arguments
from spikevision.cli.train import run as train_run
from spikevision.resources import DEMO_RECORDING, find_config

CLIP_STAGE = ("stage_0/run_spikeclip_clip_ndigits.sh", [])  # its 10 epochs (0.9 min; at 6: 0.66 zero-shot)
VARIANTS = {  # variant: [(run script under train/, shortened-run overrides)]; the first is its stage 1
    "supervised": [
        ("stage_1/run_spikeclip_ndigits.sh", ["lightning.trainer.max_epochs=5"]),  # the script's 8, shortened
        ("stage_2/run_spikeclip_prompt_ndigits.sh", ["lightning.trainer.max_epochs=1"]),
        ("stage_3/run_spikeclip_ndigits.sh", ["lightning.trainer.max_epochs=1"]),
        ("stage_3/run_spikeclip_refine_ndigits.sh", ["lightning.trainer.max_epochs=1"]),
    ],
    "clip_only": [
        ("stage_1/run_spikeclip_clip_only_ndigits.sh", ["lightning.trainer.max_epochs=2"]),
        ("stage_2/run_spikeclip_prompt_clip_only_ndigits.sh", ["lightning.trainer.max_epochs=2"]),
        ("stage_3/run_spikeclip_clip_only_ndigits.sh", ["lightning.trainer.max_epochs=1"]),
    ],
}
STAGES = [CLIP_STAGE, *(stage for stages in VARIANTS.values() for stage in stages)]
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


def variant_artifacts(root: Path, variant: str) -> list[str]:
    """Artifact overrides of a variant: the supervised one in ``root``, the others in a subfolder
    reading the shared stage-0 CLIP from ``root``."""
    if variant == "supervised":
        return [f"artifacts={root}"]
    return [f"artifacts={root / variant}", f"clip_artifacts={root}"]


def run(argv: Sequence[str] | None = None) -> dict[str, Path]:
    """Run the stages, combine, infer, evaluate; return each variant's evaluation table path."""
    opt = parse_with_overrides(get_parser(), argv)
    start = time.time()
    summary = []

    def train(script: str, quick: list[str], art: list[str]) -> None:
        result = train_run([*script_arguments(script), "-l", opt.logdir, *art, *QUIET,
                            *([] if opt.full else quick), *opt.overrides])
        metrics = {**result.validate_after, **result.test_metrics}
        shown = {k: round(v, 4) for k, v in metrics.items()
                 if k.split("/")[-1] in ("zero_shot_acc", "clip_acc", "psnr", "ssim", "hq_lq_acc", "p_hq")}
        summary.append((f"{script.split('/')[0]} {Path(script).stem[4:]}", shown, result.logdir))

    from spikevision.cli.spikeclip_combine import run as combine
    from spikevision.cli.spikeclip_evaluate import run as evaluate
    from spikevision.cli.spikeclip_infer import run as infer

    train(*CLIP_STAGE, variant_artifacts(opt.artifacts, "supervised"))
    tables, combined = {}, {}
    for variant, stages in VARIANTS.items():
        art = variant_artifacts(opt.artifacts, variant)
        for script, quick in stages:
            train(script, quick, art)
        folder = Path(art[0].split("=", 1)[1])
        combined[variant] = combine(["--artifacts", str(folder)])
        tables[variant] = Path(evaluate([
            str(combined[variant]), "--config", str(find_config(f"train/{stages[0][0]}")), "-o",
            str(folder / "eval_test"), *art, "--title", f"SpikeCLIP on N-Digits, {variant} stage 1 (test split)",
        ])["table_path"])
    infer([str(combined["supervised"]), str(find_config(DEMO_RECORDING)), "-o",
           str(opt.artifacts / "infer_nmnist"), "--repeats", "10"])
    print(f"\n=== SpikeCLIP demo on N-Digits ({(time.time() - start) / 60:.1f} min) ===")
    for name, shown, logdir in summary:
        print(f"{name:36s} {shown}  ({logdir})")
    print(f"N-MNIST inference:   {opt.artifacts / 'infer_nmnist'}")
    for variant, table in tables.items():
        print(f"\n--- {variant} variant: {table} (figure: {table.parent / 'comparison.png'})")
        print(table.read_text())
    return tables


def main(argv: Sequence[str] | None = None) -> None:
    """Console entry: usage errors and our errors exit with status 2, without a traceback."""
    console_main(run, argv)


if __name__ == "__main__":
    main()
