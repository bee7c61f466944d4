"""Combine SpikeCLIP stage exports into one inference checkpoint.

    python -m spikevision.cli.spikeclip_combine --artifacts logs/spikeclip_artifacts/ndigits
    python -m spikevision.cli.spikeclip_combine --stage1 s1.pt --prompts p.pt \
        [--stage3 s3.pt] [--refiner r.pt] -o combined.pt [--no-embed-clip]

``--artifacts DIR`` picks the standard file names the configs write there (``stage1_recon.pt``,
``stage2_prompts.pt``, ``stage3_recon.pt``, ``stage3_refiner.pt``) and writes
``DIR/spikeclip_combined.pt`` unless ``-o`` is given.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from spikevision.cli.console import console_main
from spikevision.errors import SpikevisionError

STANDARD = {"stage1": "stage1_recon.pt", "prompts": "stage2_prompts.pt", "stage3": "stage3_recon.pt",
            "refiner": "stage3_refiner.pt"}
COMBINED_NAME = "spikeclip_combined.pt"


def get_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="spikeclip_combine", description=__doc__.split("\n\n")[0])
    p.add_argument("--artifacts", type=Path, help="folder with the stage exports (standard names)")
    p.add_argument("--stage1", type=Path, help="stage-1 recon export")
    p.add_argument("--prompts", type=Path, help="stage-2 prompts export")
    p.add_argument("--stage3", type=Path, help="stage-3 fine-tuned recon export")
    p.add_argument("--refiner", type=Path, help="stage-3 refiner export")
    p.add_argument("-o", "--output", type=Path, help="combined checkpoint to write")
    p.add_argument("--no-embed-clip", action="store_true",
                   help="reference the CLIP weights by name/path instead of embedding a local file")
    return p


def run(argv: Sequence[str] | None = None) -> Path:
    from spikevision.models.spikeclip.pipeline import combine_exports

    opt = get_parser().parse_args(argv)
    paths = {k: getattr(opt, k) for k in STANDARD}
    if opt.artifacts is not None:
        for key, name in STANDARD.items():
            if paths[key] is None and (opt.artifacts / name).is_file():
                paths[key] = opt.artifacts / name
    if paths["stage1"] is None:
        raise SpikevisionError("no stage-1 export: pass --stage1 or --artifacts with stage1_recon.pt")
    output = opt.output or ((opt.artifacts or paths["stage1"].parent) / COMBINED_NAME)
    out = combine_exports(output, embed_clip=not opt.no_embed_clip, **paths)
    used = ", ".join(f"{k}={v}" for k, v in paths.items() if v is not None)
    print(f"combined checkpoint: {out}  ({used})")
    return out


def main(argv: Sequence[str] | None = None) -> None:
    console_main(run, argv, expected=(ValueError, FileNotFoundError))


if __name__ == "__main__":
    main()
