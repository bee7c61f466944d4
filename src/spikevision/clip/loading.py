"""Build an open_clip model by name + pretrained tag, or by name + local checkpoint file.

``load_open_clip("ViT-B-32", "openai")`` uses open_clip's own download/cache logic, but first
looks for the weights in the caches open_clip would use (the Hugging Face hub cache and
``~/.cache/clip``). When they are absent and the hub is unreachable it raises
:class:`WeightsUnavailableError` within a few seconds, naming the file to download and where to
put it, instead of letting open_clip retry for ~40 s. A local file (``pretrained=/path/x.pt``)
never touches the network.

spikevision's own small architectures (``spikevision-tiny`` for tests, ``spikevision-digits``
for the N-Digits CLIP of stage 0) live in ``model_configs/`` and are registered with open_clip,
so they are built by the same open_clip code as ViT-B-32.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from spikevision.atomic_write import atomic_torch_save
from spikevision.clip.offline import WeightsUnavailableError, network_reachable

MODEL_CONFIG_DIR = Path(__file__).with_name("model_configs")
HF_HOST = "huggingface.co"
_registered = False


def register_model_configs() -> None:
    """Register spikevision's architectures (``model_configs/*.json``) with open_clip (once)."""
    global _registered
    if not _registered:
        import open_clip

        open_clip.add_model_config(MODEL_CONFIG_DIR)
        _registered = True


def _check_model_name(model_name: str) -> None:
    import open_clip

    if model_name.replace("/", "-") not in open_clip.list_models():
        import difflib

        close = difflib.get_close_matches(model_name, open_clip.list_models(), n=3)
        hint = f" Did you mean: {', '.join(close)}?" if close else ""
        raise WeightsUnavailableError(f"unknown open_clip model '{model_name}'.{hint}")


def _cached_tag_file(cfg: dict[str, Any], cache_dir: str | None) -> tuple[str | None, str]:
    """(path of the cached weights of a pretrained-tag config or None, how to obtain them)."""
    if cfg.get("file"):
        return (cfg["file"] if Path(cfg["file"]).is_file() else None), f"the file {cfg['file']}"
    hub = cfg.get("hf_hub", "")
    if hub:
        from huggingface_hub import try_to_load_from_cache

        repo, filename = os.path.split(hub)  # "org/repo/" → default file name
        filename = filename or "open_clip_pytorch_model.bin"
        names = [filename]
        if filename.endswith((".bin", ".pth")):
            names.insert(0, filename.rsplit(".", 1)[0] + ".safetensors")
        for name in names:
            found = try_to_load_from_cache(repo, name, cache_dir=cache_dir)
            if isinstance(found, str) and Path(found).is_file():
                return found, ""
        how = (f"'{filename}' from https://huggingface.co/{repo} (e.g. `huggingface-cli download "
               f"{repo} {filename}` on a machine with network, then copy the HF cache), or pass the "
               f"downloaded file's path as `pretrained`")
        return None, how
    url = cfg.get("url", "")
    if url:
        target = Path(cache_dir or Path.home() / ".cache" / "clip") / os.path.basename(url)
        if target.is_file():
            return str(target), ""
        return None, f"{url} into {target.parent}/ (or pass the file's path as `pretrained`)"
    return None, "the checkpoint file (pass its path as `pretrained`)"


def resolve_pretrained(model_name: str, pretrained: str | None, cache_dir: str | None = None) -> str | None:
    """What to hand open_clip as ``pretrained``: a local file path, the tag itself (to let
    open_clip download it when the hub is reachable), or None for random weights.

    Raises:
        WeightsUnavailableError: unknown tag, missing local file, or nothing cached while offline.
    """
    if not pretrained:
        return None
    import open_clip

    path = Path(str(pretrained)).expanduser()
    if path.is_file():
        return str(path)
    name = model_name.replace("/", "-")
    cfg = open_clip.get_pretrained_cfg(name, pretrained)
    if not cfg:
        if "/" in str(pretrained) or path.suffix in (".pt", ".pth", ".bin", ".safetensors", ".ckpt"):
            raise WeightsUnavailableError(
                f"CLIP checkpoint file not found: {path}. Train one with "
                "train/stage_0/run_spikeclip_clip_ndigits.sh or point `pretrained` at an existing file."
            )
        tags = open_clip.list_pretrained_tags_by_model(name)
        raise WeightsUnavailableError(
            f"'{pretrained}' is neither a file nor a pretrained tag of {model_name} (tags: {tags})"
        )
    found, how = _cached_tag_file(cfg, cache_dir)
    if found:
        return found
    host = HF_HOST if cfg.get("hf_hub") else (cfg.get("url", "").split("/")[2] if cfg.get("url") else HF_HOST)
    if not network_reachable(host):
        os.environ["HF_HUB_OFFLINE"] = "1"  # any later hub call fails at once too
        raise WeightsUnavailableError(
            f"CLIP weights {model_name}/{pretrained} are not cached and {host} is unreachable (offline). "
            f"Download {how}. Offline default: the N-Digits CLIP of stage 0 "
            "(train/stage_0/run_spikeclip_clip_ndigits.sh)."
        )
    return str(pretrained)


def load_open_clip(
    model_name: str,
    pretrained: str | None = None,
    device: str | torch.device = "cpu",
    cache_dir: str | None = None,
) -> tuple[torch.nn.Module, Callable[..., torch.Tensor], dict[str, Any]]:
    """Build an open_clip model.

    Args:
        model_name: open_clip architecture (``ViT-B-32``, ``RN50``, ``spikevision-digits`` ...).
        pretrained: a pretrained tag (``openai``), a local checkpoint file, or None (random init).
        device: where to put the model.
        cache_dir: open_clip's download cache (default: the HF hub cache / ``~/.cache/clip``).

    Returns:
        ``(model, tokenizer, preprocess_cfg)`` where ``preprocess_cfg`` has ``size`` (int or
        (H, W)), ``mean`` and ``std`` (3-tuples).
    """
    import open_clip

    register_model_configs()
    _check_model_name(model_name)
    weights = resolve_pretrained(model_name, pretrained, cache_dir)
    tag_cfg = open_clip.get_pretrained_cfg(model_name.replace("/", "-"), str(pretrained)) if pretrained else {}
    model = open_clip.create_model(
        model_name, pretrained=weights, device=device, cache_dir=cache_dir,
        force_quick_gelu=bool(tag_cfg.get("quick_gelu", False)),  # e.g. OpenAI weights use QuickGELU
    )
    tokenizer = open_clip.get_tokenizer(model_name)
    from open_clip.model import get_model_preprocess_cfg

    cfg = dict(get_model_preprocess_cfg(model))
    cfg.setdefault("size", model.visual.image_size)
    cfg.setdefault("mean", open_clip.OPENAI_DATASET_MEAN)
    cfg.setdefault("std", open_clip.OPENAI_DATASET_STD)
    return model, tokenizer, cfg


def save_open_clip_checkpoint(model: torch.nn.Module, path: str | Path) -> Path:
    """Write ``model``'s state dict where ``load_open_clip(name, pretrained=path)`` reads it
    (atomically: temporary file + rename)."""
    return atomic_torch_save({k: v.detach().cpu() for k, v in model.state_dict().items()}, path)
