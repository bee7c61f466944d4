"""Caption templates for class labels, e.g. ``"image of a {label}"`` → ``"image of a seven"``."""

from __future__ import annotations

from collections.abc import Sequence

DEFAULT_TEMPLATES = ("image of a {label}",)
CAPTION_TEMPLATES = (  # used to diversify stage-0 captions
    "image of a {label}",
    "a photo of a {label}",
    "a blurry image of a {label}",
    "a handwritten {label}",
)


def readable(label: str) -> str:
    """Dataset label names as words: ``Faces_easy`` → ``faces easy``, ``car_side`` → ``car side``."""
    return str(label).replace("_", " ").strip()


def format_prompts(labels: Sequence[str], template: str) -> list[str]:
    """One caption per label; ``template`` must contain ``{label}``."""
    if "{label}" not in template:
        raise ValueError(f"prompt template must contain '{{label}}', got {template!r}")
    return [template.format(label=readable(lab)) for lab in labels]
